"""Transports: how bytes reach a board. ``make_transport`` picks one from a ``--port`` string."""

from __future__ import annotations

from safetool.errors import SafetoolError
from safetool.messages import Message
from safetool.transport import memory
from safetool.transport.base import (
    LinkLost,
    PortBusy,
    PortNotFound,
    PortPermissionDenied,
    Tracer,
    Transport,
    TransportError,
)
from safetool.transport.serial_port import DEFAULT_BAUD, SerialTransport

__all__ = [
    "DEFAULT_BAUD",
    "LinkLost",
    "PortBusy",
    "PortNotFound",
    "PortPermissionDenied",
    "SerialTransport",
    "Tracer",
    "Transport",
    "TransportError",
    "make_transport",
]


def make_transport(port: str, *, baudrate: int = DEFAULT_BAUD) -> Transport:
    """The transport for ``port``: any pyserial URL or device, ``ble:<address or name>``, or
    ``memory://NAME`` (a board in this same process: tests, :mod:`safetool.transport.memory`)."""
    port = port.strip()
    if not port:
        raise SafetoolError(Message("port.none_given"), next_step=Message("port.none_given.next"))
    if port.startswith("ble:"):
        target = port[len("ble:") :].strip()
        if not target:
            raise SafetoolError(
                Message("ble.no_target"), next_step=Message("ble.scan_to_list.next")
            )
        from safetool.transport.ble import BleTransport  # bleak loads only when BLE is used

        return BleTransport(target)
    if port.startswith(memory.SCHEME):
        return memory.MemoryTransport(port)
    return SerialTransport(port, baudrate=baudrate)
