"""An error shown in place: what happened, what it means, what to do, in the interface
language. A :class:`SafetoolError` carries its three parts as coded messages
(safetool/messages); the app renders them, as the CLI does with ``--lang``."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from safetool.errors import SafetoolError
from safetool.messages import render
from safetool.tui.i18n import _, current_language

__all__ = ["ErrorNote", "explain", "parts", "what_happened"]


def parts(error: SafetoolError) -> tuple[str, str, str]:
    """(what happened, what it means, what to do) in the interface language; empty where the
    error has none."""
    language = current_language()
    message, meaning, next_step = (render(part, language) for part in error.coded)
    return message, meaning, next_step


def what_happened(error: BaseException) -> str:
    """The first of the three parts (a one-line problem under a panel)."""
    if isinstance(error, SafetoolError):
        return parts(error)[0]
    return explain(error)


def explain(error: BaseException) -> str:
    """All three parts, one per line; an error that is not a SafetoolError is a bug of ours."""
    if not isinstance(error, SafetoolError):
        return _(
            "Unexpected error ({kind}: {error}). Please report it to the safetool team."
        ).format(kind=type(error).__name__, error=error)
    message, meaning, next_step = parts(error)
    lines = [message]
    if meaning:
        lines.append(meaning)
    if next_step:
        lines.append(_("What to do: {step}").format(step=next_step))
    return "\n".join(lines)


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
