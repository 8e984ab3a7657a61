"""Golden vectors: wire bytes written by hand from SPEC.md, for testing both ends of the link.

The bytes in ``vectors.json`` were computed from the tables of SPEC.md with ``struct``,
``zlib.crc32`` and a separate COBS encoder (those of the diagnostics, audit and firmware
messages by ``make_extra_vectors.py`` beside this file), never with :mod:`protocols.codec` or
:mod:`protocols.framing`, so a bug shared by the tool and the board cannot hide. The
cryptographic vectors (certificates, authorisations, revocation lists, phone-in and seal codes,
the handshake and encrypted frames) were computed from SPEC.md sections 11 and 12 with the
primitives of ``cryptography`` directly, never with :mod:`protocols.certificates`,
:mod:`protocols.recovery` or :mod:`protocols.session`. See README.md beside this file for the
format.

Typical use, in a test of either end::

    from protocols.golden import good_vectors, message_from_vector, wire_bytes

    for vector in good_vectors():
        assert encode(message_from_vector(vector), ...) == wire_bytes(vector)
"""

from __future__ import annotations

import copy
import enum
import functools
import json
import typing
from importlib import resources
from typing import Any

from protocols import audit_messages, diag_messages, firmware_messages, messages, trust_messages
from protocols.catalogue import Flags
from protocols.messages import Message

Vector = dict[str, Any]
"""One vector, as parsed from the JSON (see README.md for its keys)."""


@functools.cache
def _load() -> dict[str, Any]:
    text = resources.files(__name__).joinpath("vectors.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_vectors() -> dict[str, Any]:
    """The whole of ``vectors.json``, parsed (a fresh copy each call; change it freely)."""
    return copy.deepcopy(_load())


def good_vectors() -> list[Vector]:
    """Valid frames, each with the header and message fields it encodes."""
    good: list[Vector] = load_vectors()["good"]
    return good


def bad_vectors() -> list[Vector]:
    """Invalid frames, each with the error a receiver must report."""
    bad: list[Vector] = load_vectors()["bad"]
    return bad


def encrypted_vectors() -> list[Vector]:
    """Frames sealed under the session keys of the crypto vector ``handshake``, in the order
    they pass in that session."""
    encrypted: list[Vector] = load_vectors()["encrypted"]
    return encrypted


def crypto_vectors() -> list[Vector]:
    """Keys, certificates, authorisations, revocation lists, codes and the handshake."""
    crypto: list[Vector] = load_vectors()["crypto"]
    return crypto


def vector(name: str) -> Vector:
    """The good, bad or encrypted vector called ``name``."""
    for item in (*good_vectors(), *bad_vectors(), *encrypted_vectors()):
        if item["name"] == name:
            return item
    raise KeyError(name)


def crypto_vector(name: str) -> Vector:
    """The crypto vector called ``name``."""
    for item in crypto_vectors():
        if item["name"] == name:
            return item
    raise KeyError(name)


def wire_bytes(item: Vector) -> bytes:
    """The bytes on the wire: COBS-encoded frame and its 0x00 delimiter."""
    return bytes.fromhex(item["wire_hex"])


def frame_bytes(item: Vector) -> bytes:
    """Header and body, before the CRC is appended (good and encrypted vectors)."""
    return bytes.fromhex(item["frame_hex"])


def header_flags(item: Vector) -> Flags:
    """The header flags of a vector that has a ``header``."""
    return Flags(item["header"]["flags"])


def message_class(item: Vector) -> type[Message]:
    """The message class a good or encrypted vector holds (from :mod:`protocols.messages`,
    :mod:`protocols.trust_messages`, :mod:`protocols.diag_messages`,
    :mod:`protocols.audit_messages` or :mod:`protocols.firmware_messages`)."""
    for module in (messages, trust_messages, diag_messages, audit_messages, firmware_messages):
        cls = getattr(module, item["message"], None)
        if isinstance(cls, type) and issubclass(cls, Message):
            return cls
    raise KeyError(item["message"])


def message_from_vector(item: Vector) -> Message:
    """The message a good or encrypted vector holds, built from its ``fields``.

    ``bytes`` fields are stored as hex strings and enum fields (also those of records, and
    ``Literal`` fields of enum members) as integers; they are converted to the types the message
    class declares.
    """
    cls = message_class(item)
    hints = typing.get_type_hints(cls)
    return cls(**{name: _field_value(hints[name], raw) for name, raw in item["fields"].items()})


def _field_value(hint: Any, raw: Any) -> Any:
    if hint is bytes:
        return bytes.fromhex(raw)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(raw)
    origin = typing.get_origin(hint)
    if origin is typing.Literal:  # the listed value itself (an enum member for enum literals)
        return next((value for value in typing.get_args(hint) if value == raw), raw)
    if origin is list and typing.is_typeddict(record := typing.get_args(hint)[0]):
        keys = typing.get_type_hints(record)
        return [{key: _field_value(keys[key], value) for key, value in r.items()} for r in raw]
    return raw
