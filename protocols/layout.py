"""Fast packers for message bodies, derived from their construct declarations.

construct stays the single declaration of every body; this module reads that declaration once
and builds a plain-Python packer for the field kinds the catalogue uses: runs of fixed-size
little-endian integers become one ``struct.Struct``, ``Str8`` strings a length byte plus UTF-8,
and a trailing ``GreedyBytes`` the rest of the body. Compiled construct is the fallback for any
other layout. Measured in ``benchmarks/codec.py``: construct alone runs at 0.03-0.2 of a
hand-written ``struct`` codec; these packers keep every message well above 0.25.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any, NamedTuple

import construct
from construct import (
    Array,
    Bytes,
    Construct,
    FormatField,
    GreedyBytes,
    Int8ul,
    Prefixed,
    Renamed,
    StringEncoded,
    Struct,
    Terminated,
)

from protocols.errors import LocalProtocolError, MalformedMessage

_INTS, _STR8, _GREEDY = "ints", "str8", "greedy"


class Step(NamedTuple):
    kind: str
    packer: struct.Struct | None = None
    fields: int = 1
    """How many field values this step consumes."""


def _ints(formats: list[str]) -> Step:
    return Step(_INTS, struct.Struct("<" + "".join(formats)), len(formats))


def _is_str8(field: Construct) -> bool:
    return (
        isinstance(field, StringEncoded)
        and field.encoding == "utf8"
        and isinstance(field.subcon, Prefixed)
        and field.subcon.lengthfield is Int8ul
        and field.subcon.subcon is GreedyBytes
    )


def fast_steps(body: Construct) -> list[Step] | None:
    """The steps that pack ``body``; ``None`` if a field kind needs construct itself."""
    if not isinstance(body, Struct):
        return None
    steps: list[Step] = []
    formats: list[str] = []
    subcons = body.subcons
    for index, sub in enumerate(subcons):
        field = sub.subcon if isinstance(sub, Renamed) else sub
        if isinstance(field, FormatField) and field.fmtstr[0] == "<":
            formats.append(field.fmtstr[1:])
            continue
        if isinstance(field, Bytes) and isinstance(field.length, int):
            formats.append(f"{field.length}s")
            continue
        if formats:
            steps.append(_ints(formats))
            formats = []
        if _is_str8(field):
            steps.append(Step(_STR8))
        elif field is GreedyBytes and index == len(subcons) - 1:
            steps.append(Step(_GREEDY))
        else:
            return None
    steps.append(_ints(formats))  # possibly empty: an empty body is one empty struct
    return [step for step in steps if step.fields or len(steps) == 1]


class BodyLayout:
    """Packs a tuple of field values into body bytes and parses them back."""

    def __init__(self, body: Construct, names: Sequence[str]) -> None:
        self.names = tuple(names)
        steps = fast_steps(body)
        self._steps = steps
        self._single: struct.Struct | None = None
        if steps is not None and len(steps) == 1 and steps[0].kind == _INTS:
            self._single = steps[0].packer
        self._compiled: Any = None
        self._byte_lengths = tuple(
            (index, sub.subcon.length)
            for index, sub in enumerate(body.subcons)
            if isinstance(sub, Renamed)
            and isinstance(sub.subcon, Bytes)
            and isinstance(sub.subcon.length, int)
        )
        self._counts = tuple(
            (index, sub.subcon.count)
            for index, sub in enumerate(body.subcons)
            if isinstance(sub, Renamed)
            and isinstance(sub.subcon, Array)
            and isinstance(sub.subcon.count, int)
        )
        self.fixed_size = None if self._single is None else self._single.size
        """The body's size when it never varies (integers only), else ``None``."""
        if steps is None:
            self._compiled = Struct(*body.subcons, Terminated).compile()
        self._parser: Any = self._compiled
        if self._counts:  # compiled construct reads a fixed Array's records short, unchecked
            self._parser = Struct(*body.subcons, Terminated)  # plain: it checks every read

    def pack(self, values: tuple[Any, ...]) -> bytes:
        for index, length in self._byte_lengths:  # struct "Ns" would pad or cut silently
            if len(values[index]) != length:
                raise LocalProtocolError(
                    f"{self.names[index]} must be {length} bytes, not {len(values[index])}"
                )
        for index, count in self._counts:  # compiled construct builds any count unchecked
            if len(values[index]) != count:
                raise LocalProtocolError(
                    f"{self.names[index]} must hold {count} records, not {len(values[index])}"
                )
        single = self._single
        if single is not None:
            return single.pack(*values)
        if self._steps is None:
            return bytes(self._compiled.build(dict(zip(self.names, values, strict=True))))
        parts = []
        position = 0
        for kind, packer, fields in self._steps:
            if kind == _STR8:
                encoded = values[position].encode("utf-8")
                if len(encoded) > 255:
                    raise LocalProtocolError(f"{self.names[position]} is over 255 UTF-8 bytes")
                parts.append(bytes((len(encoded),)))
                parts.append(encoded)
                position += 1
            elif kind == _GREEDY:
                parts.append(bytes(values[position]))
                position += 1
            else:
                assert packer is not None
                parts.append(packer.pack(*values[position : position + fields]))
                position += fields
        return b"".join(parts)

    def parse(self, body: bytes) -> tuple[Any, ...] | list[Any]:
        """Field values in declaration order. Raises ``MalformedMessage``."""
        single = self._single
        if single is not None:
            try:
                return single.unpack(body)
            except struct.error as exc:
                raise MalformedMessage(f"body of {len(body)} bytes: {exc}") from None
        if self._steps is None:
            try:
                parsed = self._parser.parse(body)
            except (construct.ConstructError, struct.error, UnicodeDecodeError) as exc:
                raise MalformedMessage(f"body of {len(body)} bytes: {exc}") from None
            return [parsed[name] for name in self.names]
        values: list[Any] = []
        offset = 0
        end = len(body)
        try:
            for kind, packer, _fields in self._steps:
                if kind == _STR8:
                    stop = offset + 1 + body[offset]
                    if stop > end:
                        raise MalformedMessage(f"string runs past the body's {end} bytes")
                    values.append(body[offset + 1 : stop].decode("utf-8"))
                    offset = stop
                elif kind == _GREEDY:
                    values.append(bytes(body[offset:]))
                    offset = end
                else:
                    assert packer is not None
                    values.extend(packer.unpack_from(body, offset))
                    offset += packer.size
        except (IndexError, struct.error, UnicodeDecodeError) as exc:
            raise MalformedMessage(f"body of {end} bytes: {exc}") from None
        if offset != end:
            raise MalformedMessage(f"{end - offset} bytes left over after the last field")
        return values
