"""A yes/no question to the technician at the lock (Y, N; Esc means no answer)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from safetool.tui.i18n import N_, _


class ConfirmDialog(ModalScreen[bool | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes")),
        Binding("n", "answer(False)", N_("No")),
        Binding("escape", "answer(None)", N_("Skip")),
    ]

    def __init__(self, question: str, hint: str = "") -> None:
        super().__init__()
        self.question = question
        self.hint = hint
        """The keys under the question; by default those of a diagnostic check."""

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self.question, id="confirm-question")
            yield Static(self.hint or _("Y yes · N no · Esc skip this check"), classes="hint")

    def action_answer(self, answer: bool | None) -> None:
        self.dismiss(answer)
