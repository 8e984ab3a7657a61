"""File names: one to write to (Enter writes, Esc cancels), and an image to read."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from safetool.tui.i18n import N_, _


class ExportDialog(ModalScreen[Path | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, question: str, suggested: Path) -> None:
        super().__init__()
        self.question = question
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box", classes="dialog"):
            yield Static(self.question, id="export-question")
            yield Input(str(self.suggested), id="export-path")
            yield Static(_("Enter writes the file · Esc cancels"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        text = message.value.strip()
        self.dismiss(Path(text).expanduser() if text else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


IMAGE_SUFFIXES = (".img", ".bin", ".signed")


def images_in(folder: Path) -> list[Path]:
    """Firmware image files in ``folder``, newest first (none if it cannot be read)."""
    try:
        found = [p for p in folder.iterdir() if p.suffix in IMAGE_SUFFIXES and p.is_file()]
    except OSError:
        return []
    return sorted(found, key=lambda p: (-p.stat().st_mtime, p.name))[:50]


class ImageDialog(ModalScreen[Path | None]):
    """Asks for an image file to read: typed (Enter), or picked from the images in its folder
    (↓ into the list, Enter)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, question: str, suggested: Path) -> None:
        super().__init__()
        self.question = question
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        shown = str(self.suggested) + ("/" if self.suggested.is_dir() else "")
        with Vertical(id="image-box", classes="dialog"):
            yield Static(self.question, id="image-question")
            # the cursor after the folder, nothing selected: a file name typed is added to it
            yield Input(shown, id="image-path", select_on_focus=False)
            yield OptionList(id="image-list")
            yield Static(id="image-problem")
            yield Static(
                _("Enter reads the file · ↓ the images in this folder · Esc cancels"),
                classes="hint",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._list(self.suggested)

    def _list(self, typed: Path) -> None:
        """The images in the folder typed so far (or in the folder of the file typed)."""
        folder = typed if typed.is_dir() else typed.parent
        choices = self.query_one(OptionList)
        choices.clear_options()
        found = images_in(folder)
        choices.add_options([Option(p.name, id=str(p)) for p in found])
        choices.display = bool(found)

    def on_input_changed(self, message: Input.Changed) -> None:
        self.query_one("#image-problem", Static).update("")
        self._list(Path(message.value.strip() or ".").expanduser())

    def on_input_submitted(self, message: Input.Submitted) -> None:
        """A file closes the dialog and is read; nothing typed, or a folder, keeps it open and
        says why (issue 20.6: the dialog once closed with no image and no word)."""
        text = message.value.strip()
        path = Path(text).expanduser()
        problem = self.query_one("#image-problem", Static)
        if not text:
            problem.update(_("Type the image file's path, or pick one below."))
            return
        if path.is_dir():
            self._list(path)
            choices = self.query_one(OptionList)
            if choices.display:
                choices.focus()
                choices.highlighted = 0
                problem.update(_("That is a folder: pick one of its images."))
            else:
                problem.update(_("That folder holds no firmware image (.img, .bin, .signed)."))
            return
        self.dismiss(path)

    def on_key(self, event: events.Key) -> None:
        choices = self.query_one(OptionList)
        if event.key == "down" and self.query_one(Input).has_focus and choices.display:
            event.stop()
            choices.focus()
            choices.highlighted = 0

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self.dismiss(Path(message.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)
