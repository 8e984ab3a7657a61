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
        target = port[len("ble:") :].strip()
        if not target:
            raise SafetoolError(
                "A BLE port needs the lock's address, name or serial: ble:<address or name>.",
                next_step="Run `safetool scan` to list the locks in range.",
            )
        from safetool.transport.ble import BleTransport  # bleak loads only when BLE is used

        return BleTransport(target)
    return SerialTransport(port, baudrate=baudrate)
