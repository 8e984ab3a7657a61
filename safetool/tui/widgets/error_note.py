"""An error shown in place: what happened, what it means, what to do (SafetoolError.explain),
in the interface language (:mod:`safetool.tui.service_texts`)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from safetool.tui.service_texts import explain

__all__ = ["ErrorNote", "explain"]


class ErrorNote(Static):
    """Hidden while empty; ``show_error`` fills it and shows it."""

    def show_error(self, error: BaseException | None, heading: str = "") -> None:
        if error is None:
            self.update("")
            self.display = False
            return
        text = explain(error)  # as plain text: a lock's detail is never taken for markup
        self.update(Text(f"{heading}\n{text}" if heading else text))
        self.display = True
