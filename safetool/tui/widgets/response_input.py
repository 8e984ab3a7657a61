"""The hotline's response, typed in groups; the check digit is checked as you type, so a
misheard digit is caught before anything reaches the lock."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from safetool.services.recover import (
    RESPONSE_DIGITS,
    check_digits_ok,
    group_digits,
    normalise_digits,
)
from safetool.tui.i18n import _, ngettext

FULL_LENGTH = RESPONSE_DIGITS + 1
"""Twelve digits and the check digit."""


def feedback(typed: str) -> tuple[Text, bool]:
    """What to tell the technician about ``typed``, and whether it may be sent."""
    digits = normalise_digits(typed)
    grouped = group_digits(digits) if digits else ""  # in threes, as the hotline reads them
    if len(digits) < FULL_LENGTH:
        missing = FULL_LENGTH - len(digits)
        note = ngettext("{count} more digit", "{count} more digits", missing).format(count=missing)
        return Text(f"{grouped}  {note}".strip(), style="dim"), False
    if len(digits) > FULL_LENGTH:
        return Text(_("Too many digits: the response has 13."), style="bold red"), False
    if check_digits_ok(digits):
        return Text(f"✓ {grouped}  " + _("check digit correct: Enter sends it"), "bold green"), True
    return (
        Text(
            f"✗ {grouped}  " + _("check digit wrong: a digit was misheard. Nothing was sent."),
            "bold red",
        ),
        False,
    )


class ResponseInput(Vertical):
    class Submitted(Message):
        def __init__(self, digits: str) -> None:
            super().__init__()
            self.digits = digits

    def __init__(self, value: str = "", **kw: str) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.value = value

    def compose(self) -> ComposeResult:
        yield Input(
            self.value,
            placeholder=_("response: 13 digits"),
            restrict=r"[0-9 \-]*",
            max_length=24,
            id="response-digits",
        )
        text, _ok = feedback(self.value)
        yield Static(text, id="response-feedback")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.value = event.value
        text, _ok = feedback(event.value)
        self.query_one("#response-feedback", Static).update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        _text, ok = feedback(event.value)
        if ok:
            self.post_message(self.Submitted(normalise_digits(event.value)))
        else:
            self.app.bell()

    def clear(self) -> None:
        self.value = ""
        self.query_one(Input).value = ""
