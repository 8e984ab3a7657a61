"""Reading what people type or say: challenge and seal digits, lock serials, technician ids.

Digits may come grouped (``123 456 789 0``) or with dashes; the Damm check digit at the end
catches any one misheard digit and any swap of neighbours, and such an error says exactly that.
The challenge is kept *with* its check digit: the board computes the phone response and the
close seal over the full challenge string it shows, check digit included.
"""

from __future__ import annotations

import re

from protocols.recovery import (
    CHALLENGE_DIGITS,
    SEAL_DIGITS,
    check_digits_ok,
    group_digits,
    normalise_digits,
)
from safetool.authority.errors import MisheardDigits, RequestInvalid

CHALLENGE_LENGTH = CHALLENGE_DIGITS + 1
"""Digits a technician reads for a challenge: 9 and the check digit."""
SEAL_LENGTH = SEAL_DIGITS + 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _digits(text: str, *, what: str, length: int, again: str, unchanged: str) -> str:
    digits = normalise_digits(text)
    if not digits.isascii() or not digits.isdigit():
        raise RequestInvalid(
            f"the {what} {text!r} must be digits only",
            meaning="Nothing was issued or recorded.",
            next_step=again,
        )
    if len(digits) != length:
        raise RequestInvalid(
            f"the {what} has {len(digits)} digits; it must have {length} "
            f"({length - 1} and a check digit)",
            meaning="A group was probably missed or read twice; nothing was issued or recorded.",
            next_step=again,
        )
    if not check_digits_ok(digits):
        raise MisheardDigits(
            f"the {what} {group_digits(digits)} does not pass its check digit: one digit was "
            "misheard or mistyped, or two neighbours were swapped",
            meaning=unchanged,
            next_step=again,
        )
    return digits


def parse_challenge(text: str) -> str:
    """The challenge as the board shows it (10 digits, check digit last), or a clear error."""
    return _digits(
        text,
        what="challenge",
        length=CHALLENGE_LENGTH,
        again="Ask the technician to read the challenge from the lock again, group by group.",
        unchanged="Nothing was issued or recorded, and the lock has not counted a wrong try.",
    )


def parse_seal(text: str) -> str:
    """The close seal (8 digits and a check digit), or a clear error."""
    return _digits(
        text,
        what="close seal",
        length=SEAL_LENGTH,
        again="Ask the technician to read the seal from the lock again, group by group.",
        unchanged="Nothing was recorded; the recovery stays open.",
    )


def parse_name(text: str, *, what: str) -> str:
    """A lock serial or technician id: 1-64 of letters, digits, ``.``, ``_`` and ``-``."""
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise RequestInvalid(
            f"{what} {text!r} is not valid: use 1-64 letters, digits, '.', '_' or '-'",
            meaning="Nothing was issued or recorded.",
            next_step=f"Check the {what} and send it again.",
        )
    return text
