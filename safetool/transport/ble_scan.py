"""Finding locks over BLE: ``safetool scan`` and the look-up behind ``ble:<address|name|serial>``.

Uses the system's Bluetooth through bleak, or the emulated radio when ``SAFETOOL_BLE_HCI`` is set
(:mod:`safetool.transport.ble_backend_bumble`); nothing here knows which.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from bleak import BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

from protocols.ble import COMPANY_ID, NAME_PREFIX, SERVICE_UUID, decode_manufacturer_data
from safetool.transport.base import DEFAULT_SCAN_TIMEOUT_S
from safetool.transport.ble_errors import check_platform, describe_ble_error, not_found

FIND_TIMEOUT_S = 10.0


EMULATED_RADIO_ENV = "SAFETOOL_BLE_HCI"
"""Set (to a Bumble HCI spec) to reach the emulated board's radio instead of a real one."""


def emulated_radio() -> bool:
    """Whether ``SAFETOOL_BLE_HCI`` asks for the emulated radio (then Bumble, the ``emulator``
    extra, is loaded; a real radio never needs it)."""
    return bool(os.environ.get(EMULATED_RADIO_ENV))


def scanner_backend() -> type[BaseBleakScanner] | None:
    """The emulated radio's scanner when ``SAFETOOL_BLE_HCI`` is set, else bleak's own."""
    if not emulated_radio():
        return None
    from safetool.transport.ble_backend_bumble import BumbleScanner

    return BumbleScanner


@dataclass(frozen=True, slots=True)
class FoundLock:
    name: str | None
    address: str
    rssi: int | None
    serial: str | None
    model: str | None
    is_lock: bool
    """It advertises the safetool service or its manufacturer data."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "rssi": self.rssi,
            "serial": self.serial,
            "model": self.model,
            "is_lock": self.is_lock,
            "port": f"ble:{self.address}",
        }

    def matches(self, target: str) -> bool:
        """``target`` is this lock's address (any case), name, or a prefix of name or serial."""
        wanted = target.strip().lower()
        if not wanted:
            return False
        if self.address.lower() == wanted:
            return True
        for text in (self.name, self.serial):
            if text and text.lower().startswith(wanted):
                return True
        # "0000-0001" finds SL-0000-0001
        return bool(self.serial and self.serial.lower().startswith(NAME_PREFIX.lower() + wanted))


def describe(device: BLEDevice, advert: AdvertisementData) -> FoundLock:
    decoded = None
    raw = advert.manufacturer_data.get(COMPANY_ID)
    if raw is not None:
        decoded = decode_manufacturer_data(raw)
    ours = SERVICE_UUID in [u.lower() for u in advert.service_uuids]
    name = advert.local_name or device.name
    serial = decoded.serial if decoded else None
    if serial is None and ours and name and name.startswith(NAME_PREFIX):
        serial = name
    return FoundLock(
        name=name,
        address=device.address,
        rssi=advert.rssi,
        serial=serial,
        model=decoded.model if decoded else None,
        is_lock=ours or decoded is not None,
    )


def most_likely_first(found: list[FoundLock]) -> list[FoundLock]:
    return sorted(found, key=lambda f: (not f.is_lock, -(f.rssi if f.rssi is not None else -999)))


async def scan(
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S, *, locks_only: bool = False
) -> list[FoundLock]:
    """Everything advertising within ``timeout_s``, locks first, strongest signal first."""
    try:
        check_platform()
        backend = scanner_backend()
        if backend is None:
            seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
        else:
            seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True, backend=backend)
    except Exception as exc:
        raise describe_ble_error("a nearby lock", exc) from None
    found = [describe(device, advert) for device, advert in seen.values()]
    if locks_only:
        found = [f for f in found if f.is_lock]
    return most_likely_first(found)


async def find_lock(target: str, timeout_s: float = FIND_TIMEOUT_S) -> tuple[BLEDevice, FoundLock]:
    """The first lock that matches ``target`` (address, name or serial prefix); locks that
    advertise the service win over other devices with a similar name."""
    match: asyncio.Future[tuple[BLEDevice, FoundLock]] = asyncio.get_running_loop().create_future()

    def seen(device: BLEDevice, advert: AdvertisementData) -> None:
        lock = describe(device, advert)
        if (
            not match.done()
            and lock.matches(target)
            and (lock.is_lock or lock.address.lower() == target.lower())
        ):
            match.set_result((device, lock))

    try:
        check_platform()
        async with BleakScanner(seen, backend=scanner_backend()):
            return await asyncio.wait_for(match, timeout_s)
    except TimeoutError:
        raise not_found(target, timeout_s) from None
    except Exception as exc:
        raise describe_ble_error(target, exc) from None
