"""Message codec: header and body bytes to typed messages and back (no framing, no state).

Bodies are declared once, with construct, in :mod:`protocols.messages`. Fixed-size bodies of
plain integers are then packed and unpacked with a ``struct.Struct`` derived from that same
declaration, which is several times faster than even compiled construct; bodies with strings or
greedy bytes use compiled construct.

The field annotations of a message class say which values are valid (SPEC.md section 5: a value
a table does not list makes the message malformed): an enum type takes only its members, a
``Literal`` only the values it names, and a list of ``TypedDict`` records (records to the end
of the body, or a fixed number of them) has each record's fields checked by their own
annotations. Other fields (plain ``int``, ``str``, ``bytes``) take whatever their layout holds.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import struct
import typing
from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple

import construct

from protocols.catalogue import (
    KNOWN_FLAGS,
    MAX_PROTOCOL_VERSION,
    MIN_PROTOCOL_VERSION,
    Flags,
    MsgType,
)
from protocols.errors import (
    FrameTooShort,
    LocalProtocolError,
    MalformedMessage,
    RemoteProtocolError,
    UnknownMessageType,
    UnsupportedVersion,
)
from protocols.layout import BodyLayout
from protocols.messages import REQUESTS, RESPONSES, LockEvent, Message, Request

HEADER = struct.Struct("<BBBH")
"""version u8, type u8, flags u8, seq u16 (little-endian)."""
HEADER_SIZE = HEADER.size

_FROZEN_LAYOUT_TYPES = (MsgType.HELLO, MsgType.ERROR)
_UNKNOWN_FLAGS = 0xFF & ~int(KNOWN_FLAGS)
_FLAGS = tuple(Flags(bits) for bits in range(int(KNOWN_FLAGS) + 1))
_EVENT = int(MsgType.EVENT)
_RESPONSE = int(Flags.RESPONSE)
"""HELLO and ERROR keep their layout in every protocol version, so any version can read them."""


class Header(NamedTuple):
    version: int
    msg_type: int
    flags: Flags
    seq: int


class Decoded(NamedTuple):
    """One frame, decoded: its header fields and the typed message."""

    version: int
    flags: Flags
    seq: int
    message: Message
    body: bytes
    """The raw body, for callers that key on content (the board's reply cache)."""


class BadMessage(RemoteProtocolError):
    """A frame whose header was intact but whose message was not acceptable.

    Carries the header so a board can still answer the request with an ERROR of the same
    sequence number instead of leaving the tool to time out.
    """

    def __init__(self, error: RemoteProtocolError, header: Header) -> None:
        super().__init__(str(error))
        self.error = error
        self.header = header


Converter = Callable[[Any], Any]
"""Turns a parsed value into the field's type, raising ``ValueError`` for a value not allowed."""


def _literal(allowed: tuple[Any, ...]) -> Converter:
    by_value = {value: value for value in allowed}  # enum members hash and compare as their ints

    def convert(value: Any) -> Any:
        try:
            return by_value[value]
        except KeyError:
            listed = ", ".join(str(int(v)) for v in allowed)
            raise ValueError(f"{value!r} is not one of {listed}") from None

    return convert


def _records(record: type[Any]) -> Converter:
    fields = tuple((key, converter(hint)) for key, hint in typing.get_type_hints(record).items())

    def convert(values: Any) -> list[dict[str, Any]]:
        return [
            {key: item[key] if check is None else check(item[key]) for key, check in fields}
            for item in values
        ]

    return convert


def converter(hint: Any) -> Converter | None:
    """How a field annotated ``hint`` is checked and converted after parsing; ``None`` when the
    parsed value is taken as it is."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return _literal(typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        if typing.is_typeddict(item):
            return _records(item)
    return None


class BodyCodec:
    """Packs and parses the body of one message class."""

    def __init__(self, cls: type[Message]) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls)
        self.names = tuple(f.name for f in dataclasses.fields(cls))
        converters = [converter(hints[name]) for name in self.names]
        self._converters = tuple(converters)
        self._needs_conversion = any(c is not None for c in converters)
        getter = attrgetter(*self.names) if self.names else (lambda _m: ())
        self._values: Callable[[Message], tuple[Any, ...]] = (
            getter if len(self.names) != 1 else (lambda m: (getter(m),))
        )
        self._layout = BodyLayout(cls.BODY, self.names)
        self.fixed_size = self._layout.fixed_size

    def pack(self, message: Message) -> bytes:
        try:
            body: bytes = self._layout.pack(self._values(message))
            return body
        except LocalProtocolError as exc:
            raise LocalProtocolError(f"cannot encode {message!r}: {exc}") from None
        except (
            struct.error,
            construct.ConstructError,
            TypeError,
            ValueError,
            AttributeError,
        ) as exc:
            raise LocalProtocolError(f"cannot encode {message!r}: {exc}") from None

    def parse(self, body: bytes) -> Message:
        name = self.cls.__name__
        try:
            values = self._layout.parse(body)
        except MalformedMessage as exc:
            raise MalformedMessage(f"{name}: {exc}") from None
        if self._needs_conversion:
            try:
                values = [
                    v if c is None else c(v) for c, v in zip(self._converters, values, strict=True)
                ]
            except ValueError as exc:
                raise MalformedMessage(f"{name}: {exc}") from None
        return self.cls(*values)


_BY_CLASS: dict[type[Message], BodyCodec] = {}
_BY_TYPE: dict[tuple[int, bool], BodyCodec] = {}
_CORE: tuple[type[Message], ...] = (*REQUESTS, *RESPONSES, LockEvent)
_FAMILIES = {  # module -> its request and response lists, loaded at the first need
    "protocols.trust_messages": ("TRUST_REQUESTS", "TRUST_RESPONSES"),
    "protocols.diag_messages": ("DIAG_REQUESTS", "DIAG_RESPONSES"),
    "protocols.audit_messages": ("AUDIT_REQUESTS", "AUDIT_RESPONSES"),
    "protocols.firmware_messages": ("FIRMWARE_REQUESTS", "FIRMWARE_RESPONSES"),
}
"""The message families past the core (HELLO, IDENTIFY, STATUS, PING, EVENT, ...): registered
the first time a message outside the core is encoded or decoded, so that `safetool status`
does not build (or import) the codecs of messages it never sends."""
_families_loaded = False


def _register(classes: tuple[type[Message], ...]) -> None:
    for cls in classes:
        codec = BodyCodec(cls)
        _BY_CLASS[cls] = codec
        _BY_TYPE[(cls.TYPE, not issubclass(cls, Request))] = codec


def load_catalogue() -> None:
    """Register every message family (idempotent); afterwards ``_BY_CLASS`` holds the whole
    catalogue."""
    global _families_loaded
    if _families_loaded:
        return
    for module_name, lists in _FAMILIES.items():
        module = importlib.import_module(module_name)
        for name in lists:
            _register(tuple(getattr(module, name)))
    _families_loaded = True


_register(_CORE)


def _codec_of_class(cls: type[Message]) -> BodyCodec | None:
    codec = _BY_CLASS.get(cls)
    if codec is None and not _families_loaded:
        load_catalogue()
        codec = _BY_CLASS.get(cls)
    return codec


def fixed_body_size(cls: type[Message]) -> int | None:
    """The body size of ``cls`` if every instance has the same one, else ``None``."""
    codec = _codec_of_class(cls)
    return None if codec is None else codec.fixed_size


def encode_message(
    message: Message, seq: int, flags: Flags = Flags.NONE, version: int = MAX_PROTOCOL_VERSION
) -> bytes:
    """Header and body of ``message``: what :func:`protocols.framing.encode_frame` wraps."""
    codec = _codec_of_class(type(message))
    if codec is None:
        raise LocalProtocolError(f"{type(message).__name__} is not in the message catalogue")
    if not 0 <= seq <= 0xFFFF:
        raise LocalProtocolError(f"sequence number {seq} is outside 0..65535")
    return HEADER.pack(version, message.TYPE, flags, seq) + codec.pack(message)


def decode_message(frame: bytes) -> Decoded:
    """Parse one CRC-checked frame (header and body). Raises ``RemoteProtocolError``."""
    if len(frame) < HEADER_SIZE:
        raise FrameTooShort(f"frame of {len(frame)} bytes has no complete header")
    version, msg_type, flag_bits, seq = HEADER.unpack_from(frame)
    if flag_bits & _UNKNOWN_FLAGS:
        error: RemoteProtocolError = MalformedMessage(f"unknown header flags 0x{flag_bits:02x}")
        raise BadMessage(error, Header(version, msg_type, Flags(flag_bits), seq))
    flags = _FLAGS[flag_bits]
    if not MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION and (
        msg_type not in _FROZEN_LAYOUT_TYPES
    ):
        error = UnsupportedVersion(f"protocol version {version} is not spoken")
        raise BadMessage(error, Header(version, msg_type, flags, seq))
    is_response = msg_type == _EVENT or flag_bits & _RESPONSE != 0
    codec = _BY_TYPE.get((msg_type, is_response))
    if codec is None and not _families_loaded:
        load_catalogue()
        codec = _BY_TYPE.get((msg_type, is_response))
    if codec is None:
        kind = "response" if is_response else "request"
        error = UnknownMessageType(f"unknown {kind} type 0x{msg_type:02x}")
        raise BadMessage(error, Header(version, msg_type, flags, seq))
    body = frame[HEADER_SIZE:]
    try:
        message = codec.parse(body)
    except RemoteProtocolError as error:
        raise BadMessage(error, Header(version, msg_type, flags, seq)) from None
    return Decoded(version, flags, seq, message, body)
