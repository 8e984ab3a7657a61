"""The transport contract: bytes in and out, nothing more. Serial and BLE share it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from safetool.errors import SafetoolError

DEFAULT_SCAN_TIMEOUT_S = 5.0
"""How long a Bluetooth scan listens by default (seconds): ``safetool scan``."""

Tracer = Callable[[str, bytes], None]
"""Called with ("tx" or "rx", bytes) for every write and read (``--debug`` frame traces)."""


class TransportError(SafetoolError):
    """The link itself failed: the port is missing, busy, forbidden, or went away."""


class PortNotFound(TransportError):
    pass


class PortBusy(TransportError):
    pass


class PortPermissionDenied(TransportError):
    pass


class LinkLost(TransportError):
    """The link dropped while in use (cable pulled, board reset or powered off)."""


class Transport(Protocol):
    """One link to one board. ``read`` returns the next bytes, in whatever chunks arrive."""

    description: str
    line_rate_bytes_per_s: float | None
    """What the link carries at most (serial: baud / 10); ``None`` if unknown."""

    async def open(self) -> None: ...

    async def write(self, data: bytes) -> None: ...

    async def read(self) -> bytes:
        """Wait for bytes; raise :class:`LinkLost` once the link is gone."""
        ...

    async def close(self) -> None: ...
