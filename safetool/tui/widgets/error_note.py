"""An error shown in place: what happened, what it means, what to do (SafetoolError.explain)."""

from __future__ import annotations

from textual.widgets import Static

from safetool.errors import SafetoolError
from safetool.tui.i18n import _


def explain(error: BaseException) -> str:
    if isinstance(error, SafetoolError):
        return error.explain()
    return _("Unexpected error ({kind}: {error}). Please report it to the safetool team.").format(
        kind=type(error).__name__, error=error
    )


class ErrorNote(Static):
    """Hidden while empty; ``show_error`` fills it and shows it."""

    def show_error(self, error: BaseException | None, heading: str = "") -> None:
        if error is None:
            self.update("")
            self.display = False
            return
        text = explain(error)
        self.update(f"{heading}\n{text}" if heading else text)
        self.display = True
