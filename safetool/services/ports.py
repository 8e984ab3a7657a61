"""Serial ports on this laptop, the likely lock controllers first."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from serial.tools import list_ports

from safetool.messages import Message, as_dict, render
from safetool.transport.base import DEFAULT_SCAN_TIMEOUT_S

if TYPE_CHECKING:
    from safetool.transport.ble_scan import FoundLock

__all__ = ["DEFAULT_SCAN_TIMEOUT_S", "FoundLock", "PortInfo", "list_serial_ports", "scan_ble"]

SERVICE_CABLE_BRIDGES: dict[tuple[int, int], str] = {
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
    (0x10C4, 0xEA60): "Silicon Labs CP210x",
    (0x1A86, 0x7523): "WCH CH340",
    (0x1A86, 0x55D4): "WCH CH9102",
    (0x067B, 0x2303): "Prolific PL2303",
}
"""USB-serial bridges that service cables of lock controllers are built on."""

_LIKELY_WORDS = ("lock", "safe", "service")


@dataclass(slots=True)
class PortInfo:
    device: str
    description: str
    vid_pid: str | None
    serial_number: str | None
    manufacturer: str | None
    likely_lock: bool
    why: Message | None
    """Why it looks like a lock's service port (coded), None if it does not."""

    def as_dict(self) -> dict[str, Any]:
        document = {f.name: getattr(self, f.name) for f in fields(self)}
        document["why"] = render(self.why) if self.why else ""
        document["why_code"] = as_dict(self.why) if self.why else None
        return document


def list_serial_ports() -> list[PortInfo]:
    found = []
    for port in list_ports.comports():
        vid_pid = None
        likely, why = False, None
        if port.vid is not None and port.pid is not None:
            vid_pid = f"{port.vid:04X}:{port.pid:04X}"
            bridge = SERVICE_CABLE_BRIDGES.get((port.vid, port.pid))
            if bridge:
                likely, why = True, Message("port.why_bridge", {"bridge": bridge})
        text = f"{port.description} {port.product or ''} {port.manufacturer or ''}".lower()
        if any(word in text for word in _LIKELY_WORDS):
            likely, why = True, Message("port.why_description")
        found.append(
            PortInfo(
                device=port.device,
                description=port.description or "",
                vid_pid=vid_pid,
                serial_number=port.serial_number,
                manufacturer=port.manufacturer,
                likely_lock=likely,
                why=why,
            )
        )
    found.sort(key=lambda p: (not p.likely_lock, p.device))
    return found


async def scan_ble(
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S, *, locks_only: bool = True
) -> list[FoundLock]:
    """Everything advertising within ``timeout_s`` (only locks by default), likely locks and
    strongest signals first; raises a SafetoolError when Bluetooth cannot be used."""
    from safetool.transport.ble_scan import scan  # bleak loads only when BLE is looked at

    return await scan(timeout_s, locks_only=locks_only)
