"""Errors a technician can act on: what happened, what it means for the lock, what to do next.

Each part is a coded message (safetool/messages) or, where not yet coded, English text; front
ends word it in the reader's language with :meth:`SafetoolError.explain`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:  # the catalogue loads at the first error, not for `safetool --help`
    from safetool.messages import Message

Text: TypeAlias = "Message | str"
"""A coded message, or English text not yet in the catalogue."""


class SafetoolError(Exception):
    """Base of every error safetool reports to a person (never shown as a traceback)."""

    exit_code = 2
    """CLI exit code: 2 for usage and connection problems, 1 when the lock refused."""

    def __init__(self, message: Text, *, meaning: Text = "", next_step: Text = "") -> None:
        from safetool.messages import render

        super().__init__(render(message))
        self.coded = (message, meaning, next_step)
        self.message = render(message)
        self.meaning = render(meaning)
        self.next_step = render(next_step)

    def explain(self, language: str = "en") -> str:
        from safetool.messages import Message, render

        message, meaning, next_step = (render(part, language) for part in self.coded)
        lines = [message]
        if meaning:
            lines.append(meaning)
        if next_step:
            lines.append(render(Message("cli.error.next_step", {"next_step": next_step}), language))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        from safetool.messages import Message, as_dict

        document: dict[str, Any] = {
            "error": type(self).__name__,
            "message": self.message,
            "meaning": self.meaning,
            "next_step": self.next_step,
        }
        codes = {
            name: as_dict(part)
            for name, part in zip(("message", "meaning", "next_step"), self.coded, strict=True)
            if isinstance(part, Message)
        }
        if codes:
            document["codes"] = codes
        return document
