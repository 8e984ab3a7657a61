"""Transports: how bytes reach a board. ``make_transport`` picks one from a ``--port`` string."""

from __future__ import annotations

from safetool.errors import SafetoolError
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
    """The transport for ``port``: any pyserial URL or device, or ``ble:<address or name>``."""
    port = port.strip()
    if not port:
        raise SafetoolError(
            "No port given.",
            next_step="Pass --port (e.g. /dev/ttyUSB0, COM3, socket://host:port) or set "
            "SAFETOOL_PORT; `safetool ports` lists what is connected.",
        )
    if port.startswith("ble:"):
        raise SafetoolError(
            f"BLE ports ({port}) are not supported by this version of safetool.",
            next_step="Connect with the USB service cable and use its serial port.",
        )
    return SerialTransport(port, baudrate=baudrate)
