"""The lock's challenge, large and in digit groups, with what to read to the hotline."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Static

from safetool.services.recover import Challenge
from safetool.tui.i18n import _


class ChallengeView(Vertical):
    def __init__(self, challenge: Challenge | None, **kw: str) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.challenge = challenge

    def compose(self) -> ComposeResult:
        challenge = self.challenge
        if challenge is None:
            yield Static(_("Asking the lock for a challenge…"), id="challenge-note")
            return
        yield Static(
            _(
                "Call the hotline and read out: lock {serial}, counter {counter}, technician "
                "{technician}, challenge:"
            ).format(
                serial=challenge.serial,
                counter=challenge.counter,
                technician=challenge.technician_id,
            ),
            id="challenge-note",
        )
        yield Digits(challenge.grouped, id="challenge-digits")
