"""Errors a technician can act on: what happened, what it means for the lock, what to do next."""

from __future__ import annotations


class SafetoolError(Exception):
    """Base of every error safetool reports to a person (never shown as a traceback)."""

    exit_code = 2
    """CLI exit code: 2 for usage and connection problems, 1 when the lock refused."""

    def __init__(self, message: str, *, meaning: str = "", next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.meaning = meaning
        self.next_step = next_step

    def explain(self) -> str:
        lines = [self.message]
        if self.meaning:
            lines.append(self.meaning)
        if self.next_step:
            lines.append(f"What to do: {self.next_step}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, str]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "meaning": self.meaning,
            "next_step": self.next_step,
        }
