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
from safetool.messages import Message

CHALLENGE_LENGTH = CHALLENGE_DIGITS + 1
"""Digits a technician reads for a challenge: 9 and the check digit."""
SEAL_LENGTH = SEAL_DIGITS + 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _digits(text: str, *, what: str, length: int) -> str:
    """``what`` is ``challenge`` or ``seal``: it picks the words of the errors."""
    again = Message(f"authority.digits.{what}.again")
    digits = normalise_digits(text)
    if not digits.isascii() or not digits.isdigit():
        raise RequestInvalid(
            Message(f"authority.digits.{what}.not_digits", {"text": text}),
            meaning=Message("authority.nothing_issued_or_recorded"),
            next_step=again,
        )
    if len(digits) != length:
        raise RequestInvalid(
            Message(
                f"authority.digits.{what}.wrong_length",
                {"count": len(digits), "length": length, "without_check": length - 1},
            ),
            meaning=Message("authority.digits.group_missed"),
            next_step=again,
        )
    if not check_digits_ok(digits):
        raise MisheardDigits(
            Message(f"authority.digits.{what}.misheard", {"digits": group_digits(digits)}),
            meaning=Message(f"authority.digits.{what}.unchanged"),
            next_step=again,
        )
    return digits


def parse_challenge(text: str) -> str:
    """The challenge as the board shows it (10 digits, check digit last), or a clear error."""
    return _digits(text, what="challenge", length=CHALLENGE_LENGTH)


def parse_seal(text: str) -> str:
    """The close seal (8 digits and a check digit), or a clear error."""
    return _digits(text, what="seal", length=SEAL_LENGTH)


def parse_name(text: str, *, what: str) -> str:
    """A lock serial or technician id (``what``: ``serial`` or ``technician``): 1-64 of
    letters, digits, ``.``, ``_`` and ``-``."""
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise RequestInvalid(
            Message(f"authority.name.{what}.invalid", {"text": repr(text)}),
            meaning=Message("authority.nothing_issued_or_recorded"),
            next_step=Message(f"authority.name.{what}.again"),
        )
    return text
