"""The BLE binding of the wire protocol (SPEC.md 21): names and bytes, no I/O.

One GATT service with two characteristics carries the same COBS frames as the serial port:
the tool writes to :data:`WRITE_CHAR_UUID`, the board notifies on :data:`NOTIFY_CHAR_UUID`.
Each ATT packet carries at most ``att_mtu - 3`` bytes; frames are cut into packets in order and
joined again by the reader, whose frame parser finds the ``00`` delimiters (no extra header).

Locks advertise their name (``SL-...``) and, in the scan response, the service UUID and
manufacturer data with the serial number and model (:func:`encode_manufacturer_data`).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

SERVICE_UUID = "5a1e0001-7c3d-4b8e-9f51-2b6a1c0d5a1e"
WRITE_CHAR_UUID = "5a1e0002-7c3d-4b8e-9f51-2b6a1c0d5a1e"
"""Tool to board: write without response (preferred) and write with response."""
NOTIFY_CHAR_UUID = "5a1e0003-7c3d-4b8e-9f51-2b6a1c0d5a1e"
"""Board to tool: notifications."""

COMPANY_ID = 0xFFFF
"""Bluetooth SIG company identifier for manufacturer data; 0xFFFF is reserved for testing
until the manufacturer's own identifier is assigned."""
MANUFACTURER_DATA_VERSION = 1
NO_SERIAL_NUMBER = 0xFFFFFFFF

ATT_HEADER_BYTES = 3
"""An ATT write or notification spends 3 bytes (opcode, handle) of the MTU."""
MIN_ATT_MTU = 23
MAX_ATT_MTU = 517
MAX_ATTRIBUTE_VALUE = 512
"""No attribute value is longer (Core spec Vol 3 Part F 3.2.9): at MTU 517 a write or a
notification carries 512 bytes, not 514; stacks drop longer write commands without a word."""

NAME_PREFIX = "SL-"
_SERIAL = re.compile(r"^SL-(\d{4})-(\d{4})$")


def payload_per_packet(att_mtu: int) -> int:
    """Bytes of frame data one ATT write or notification carries at ``att_mtu``:
    ``att_mtu - 3``, and never more than 512."""
    if att_mtu < MIN_ATT_MTU:
        raise ValueError(f"ATT MTU {att_mtu} is below the minimum of {MIN_ATT_MTU}")
    return min(att_mtu - ATT_HEADER_BYTES, MAX_ATTRIBUTE_VALUE)


def segment(data: bytes, att_mtu: int) -> list[bytes]:
    """Cut ``data`` into packets for ``att_mtu``, in order (the reader simply joins them)."""
    size = payload_per_packet(att_mtu)
    return [data[offset : offset + size] for offset in range(0, len(data), size)]


def advertised_name(serial: str) -> str:
    """``SL-<serial>``; a serial that already starts with ``SL-`` is used as it is."""
    return serial if serial.startswith(NAME_PREFIX) else NAME_PREFIX + serial


@dataclass(frozen=True, slots=True)
class AdvertisedLock:
    serial: str | None
    model: str


def encode_manufacturer_data(serial: str, model: str) -> bytes:
    """Manufacturer data after the company id: version (1), serial number (4, big-endian,
    ``SL-NNNN-NNNN`` as the number NNNNNNNN; 0xFFFFFFFF if the serial has another form),
    model (ASCII, up to 8 bytes). 13 bytes at most, so it fits a legacy scan response
    beside the 128-bit service UUID."""
    match = _SERIAL.match(serial)
    number = int(match.group(1) + match.group(2)) if match else NO_SERIAL_NUMBER
    return struct.pack(">BI", MANUFACTURER_DATA_VERSION, number) + model.encode("ascii")[:8]


def decode_manufacturer_data(data: bytes) -> AdvertisedLock | None:
    """The serial and model a lock advertises, or ``None`` if the data is not ours."""
    if len(data) < 5 or data[0] != MANUFACTURER_DATA_VERSION:
        return None
    (number,) = struct.unpack(">I", data[1:5])
    serial = (
        None if number == NO_SERIAL_NUMBER else f"SL-{number // 10000:04d}-{number % 10000:04d}"
    )
    return AdvertisedLock(serial=serial, model=data[5:13].decode("ascii", errors="replace"))
