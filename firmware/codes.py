"""Keypad users and their codes, stored salted and hashed, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    MASTER = "master"
    USER = "user"
    DURESS = "duress"
    """Opens like any code and raises a silent alarm (recorded on the board, never announced)."""


FACTORY_CODES: tuple[tuple[int, Role, str], ...] = (
    (0, Role.MASTER, "123456"),
    (1, Role.USER, "246810"),
    (9, Role.DURESS, "123457"),
)
"""The codes an emulated board leaves the factory with; a real lock forces a change at install."""

SALT_SIZE = 16  # pragma: no mutate (any length from 16 bytes up serves as well)
_CODE_ENCODING = "ascii"  # pragma: no mutate (a codec's name, in any case)


@dataclass(slots=True)
class KeypadUser:
    slot: int
    role: Role
    salt: bytes
    digest: bytes

    @classmethod
    def create(cls, slot: int, role: Role, code: str) -> KeypadUser:
        salt = secrets.token_bytes(SALT_SIZE)
        return cls(slot, role, salt, _digest(salt, code))

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "role": self.role.value,
            "salt": self.salt.hex(),
            "digest": self.digest.hex(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeypadUser:
        return cls(
            int(data["slot"]),
            Role(data["role"]),
            bytes.fromhex(data["salt"]),
            bytes.fromhex(data["digest"]),
        )


def _digest(salt: bytes, code: str) -> bytes:
    """A character outside ASCII (a full-width digit passes ``isdigit``) hashes as ``?``: no
    user's code, never an exception on the board."""
    return hashlib.sha256(salt + code.encode(_CODE_ENCODING, "replace")).digest()


def find_user(users: list[KeypadUser], code: str) -> KeypadUser | None:
    """The user whose code this is. Every user is checked, whatever matches, so the time taken
    does not tell which slot (or how much of a code) was right."""
    found: KeypadUser | None = None
    for user in users:
        if hmac.compare_digest(_digest(user.salt, code), user.digest) and found is None:
            found = user
    return found
