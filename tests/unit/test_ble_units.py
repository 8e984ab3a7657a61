"""The BLE binding without a radio: packets, advertisement bytes, matching, errors, pacing."""

from __future__ import annotations

import asyncio
import time

import pytest
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakGATTProtocolError,
    BleakGATTProtocolErrorCode,
)

from firmware.ble_linkmodel import BleLinkSettings, ConnectionEvents
from protocols.ble import (
    advertised_name,
    decode_manufacturer_data,
    encode_manufacturer_data,
    payload_per_packet,
    segment,
)
from safetool.transport.ble_errors import (
    BluetoothPermissionDenied,
    BluetoothUnavailable,
    BluezMissing,
    LockNotFound,
    PairingRequired,
    describe_ble_error,
)
from safetool.transport.ble_scan import FoundLock, most_likely_first


@pytest.mark.parametrize(("mtu", "payload"), [(23, 20), (185, 182), (247, 244), (517, 512)])
def test_packet_payload_per_mtu(mtu: int, payload: int) -> None:
    assert payload_per_packet(mtu) == payload  # 512 is the longest attribute value


def test_segments_join_back_and_fill_packets() -> None:
    data = bytes(range(256)) * 3
    pieces = segment(data, 23)
    assert b"".join(pieces) == data
    assert {len(p) for p in pieces[:-1]} == {20} and 0 < len(pieces[-1]) <= 20
    assert segment(b"", 247) == []
    with pytest.raises(ValueError):
        segment(b"x", 22)


def test_manufacturer_data_round_trip_fits_a_legacy_scan_response() -> None:
    raw = encode_manufacturer_data("SL-0123-4567", "SL-100")
    assert len(raw) <= 13
    decoded = decode_manufacturer_data(raw)
    assert decoded is not None and (decoded.serial, decoded.model) == ("SL-0123-4567", "SL-100")
    odd = decode_manufacturer_data(encode_manufacturer_data("LAB-7", "X"))
    assert odd is not None and odd.serial is None
    assert decode_manufacturer_data(b"\x02abcdef") is None
    assert decode_manufacturer_data(b"\x01") is None


def test_advertised_name() -> None:
    assert advertised_name("SL-0000-0001") == "SL-0000-0001"
    assert advertised_name("0042") == "SL-0042"


def lock(name: str, address: str, rssi: int | None, is_lock: bool = True) -> FoundLock:
    return FoundLock(name, address, rssi, name if is_lock else None, "SL-100", is_lock)


def test_targets_match_address_name_and_serial_prefix() -> None:
    found = lock("SL-0000-0001", "C0:5A:1E:00:0E:E6", -60)
    for target in ("c0:5a:1e:00:0e:e6", "SL-0000-0001", "sl-0000", "0000-0001"):
        assert found.matches(target), target
    for target in ("", "SL-0000-0002", "C0:5A"):
        assert not found.matches(target), target


def test_locks_first_then_strongest_signal() -> None:
    ordered = most_likely_first(
        [lock("phone", "A", -30, False), lock("SL-1", "B", -80), lock("SL-2", "C", -50)]
    )
    assert [f.address for f in ordered] == ["C", "B", "A"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            BleakBluetoothNotAvailableError("off", BleakBluetoothNotAvailableReason.POWERED_OFF),
            BluetoothUnavailable,
        ),
        (
            BleakBluetoothNotAvailableError("none", BleakBluetoothNotAvailableReason.NO_BLUETOOTH),
            BluetoothUnavailable,
        ),
        (
            BleakBluetoothNotAvailableError(
                "denied", BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM
            ),
            BluetoothPermissionDenied,
        ),
        (BleakDBusError("org.freedesktop.DBus.Error.AccessDenied", []), BluetoothPermissionDenied),
        (BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", []), BluezMissing),
        (
            BleakGATTProtocolError(BleakGATTProtocolErrorCode.INSUFFICIENT_AUTHENTICATION),
            PairingRequired,
        ),
        (BleakDeviceNotFoundError("C0:5A:1E:00:0E:E6"), LockNotFound),
        (TimeoutError(), LockNotFound),
    ],
)
def test_os_errors_say_what_to_do(error: Exception, expected: type[Exception]) -> None:
    described = describe_ble_error("SL-0000-0001", error)
    assert isinstance(described, expected)
    assert described.message and described.meaning and described.next_step


async def test_connection_events_pace_both_directions() -> None:
    settings = BleLinkSettings(att_mtu=23, connection_interval_ms=10, packets_per_interval=2)
    notified: list[tuple[float, bytes]] = []
    delivered: list[bytes] = []

    async def notify(packet: bytes) -> None:
        notified.append((time.monotonic(), packet))

    events = ConnectionEvents(settings, att_mtu=lambda: 23, notify=notify, deliver=delivered.append)
    events.start()
    try:
        started = time.monotonic()
        events.send(bytes(100))  # five 20-byte notifications: three connection events
        for n in range(3):
            events.received(bytes([n]))
        while len(notified) < 5 or len(delivered) < 3:
            await asyncio.sleep(0.005)
    finally:
        await events.stop()
    assert [len(p) for _, p in notified] == [20] * 5
    assert delivered == [b"\x00", b"\x01", b"\x02"]
    assert notified[-1][0] - started >= 0.018  # the third event is two intervals after the first
    assert settings.limit_bytes_per_s() == 20 * 2 / 0.010


def test_manufacturer_data_matches_the_spec_example() -> None:
    written_in_spec = bytes.fromhex("01 00 12 d6 87 53 4c 2d 31 30 30")  # SPEC.md 21
    assert encode_manufacturer_data("SL-0123-4567", "SL-100") == written_in_spec
