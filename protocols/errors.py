"""Typed protocol errors.

As in h11: a ``LocalProtocolError`` means *our* side misused the API (a bug in the caller);
a ``RemoteProtocolError`` means the bytes from the wire were wrong. Everything that arrives
over the wire is untrusted, so decoding only ever raises ``RemoteProtocolError`` subclasses.
"""

from __future__ import annotations

import re


class ProtocolError(Exception):
    """Base class of every error the protocol layer raises."""


class LocalProtocolError(ProtocolError):
    """The caller asked for something the protocol does not allow (a programming error)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that are not a valid frame or message."""


class FrameTooLarge(RemoteProtocolError):
    """A frame exceeded the negotiated maximum size before its delimiter arrived."""


class FrameCorrupt(RemoteProtocolError):
    """A frame failed COBS decoding or its CRC-32 check (line noise)."""


class FrameTooShort(RemoteProtocolError):
    """A frame is shorter than a header plus CRC."""


class UnsupportedVersion(RemoteProtocolError):
    """The frame header names a protocol version this side does not speak."""


class UnknownMessageType(RemoteProtocolError):
    """The message type byte is not in the catalogue."""


class MalformedMessage(RemoteProtocolError):
    """The frame was intact but its body does not match the message layout."""


class NotInSession(RemoteProtocolError):
    """An encrypted frame, or a privileged request, arrived with no secure session up."""


class UnexpectedMessage(RemoteProtocolError):
    """A well-formed message arrived that this role never receives (e.g. a request at the tool)."""


def in_spec_terms(error: Exception) -> str:
    """What stopped a document's decoding, in SPEC.md's terms: the field it stopped at, never
    the decoding library's own text (SPEC 9, B-9.3: a ``detail`` carries no implementation)."""
    if isinstance(error, UnicodeDecodeError):
        return "a text field is not UTF-8"
    fields = re.findall(r"-> (\w+)", str(getattr(error, "path", None) or ""))  # construct's path
    if fields:
        return f"the field {fields[-1]} is wrong or cut short"
    return "its layout does not match"
