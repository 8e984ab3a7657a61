"""A bleak backend that is a Bumble central on an HCI transport (``tcp-client:host:port``).

This is how the tool reaches the emulated BLE board (firmware/ble_board.py): the board process
serves a Bumble controller over HCI, and this backend runs a Bumble host on it, so the tool does
real scanning, connecting, ATT MTU exchange, GATT discovery, writes and notifications. It plugs
in through bleak's backend extension point (``BleakClient(..., backend=...)``, as bleak-esphome
does), so :mod:`safetool.transport.ble` uses the same bleak calls as with the system's
Bluetooth. Chosen when ``SAFETOOL_BLE_HCI`` names the HCI transport (docs/ble.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bleak.args import SizedBuffer
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError
from bumble import hci
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy, DescriptorProxy, ServiceProxy
from bumble.transport import open_transport
from bumble.transport.common import Transport

from safetool.transport.ble_scan import EMULATED_RADIO_ENV

HCI_ENV = EMULATED_RADIO_ENV

CENTRAL_ADDRESS = "C0:5A:FE:70:01:01"
MAX_MTU_REQUEST = 517
DISCOVERY_TIMEOUT_S = 10.0
"""GATT discovery gets its own deadline (some stacks take over 10 s; the cache avoids it)."""

logging.getLogger("bumble").setLevel(logging.CRITICAL)


def hci_spec_from_env() -> str | None:
    return os.environ.get(HCI_ENV) or None


async def _open_central(spec: str) -> tuple[Transport, Device]:
    try:
        transport = await open_transport(spec)
    except (OSError, ValueError) as exc:
        raise BleakError(f"{HCI_ENV}={spec} cannot be opened: {exc}") from exc
    device = Device.with_hci(
        "safetool", hci.Address(CENTRAL_ADDRESS), transport.source, transport.sink
    )
    try:
        await asyncio.wait_for(device.power_on(), 5)
    except Exception as exc:
        await transport.close()
        raise BleakError(f"{HCI_ENV}={spec}: the controller did not start ({exc})") from exc
    return transport, device


def _bleak_address(address: hci.Address) -> str:
    return str(address).split("/")[0]


class BumbleScanner(BaseBleakScanner):
    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._spec = kwargs.get("hci") or hci_spec_from_env() or ""
        self._transport: Transport | None = None
        self._device: Device | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._transport, self._device = await _open_central(self._spec)
        self._device.on(self._device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self._device.start_scanning(filter_duplicates=False)

    async def stop(self) -> None:
        if self._device is not None:
            with contextlib.suppress(Exception):
                await self._device.stop_scanning()
        if self._transport is not None:
            with contextlib.suppress(Exception):
                await self._transport.close()
        self._transport = self._device = None

    def _on_advertisement(self, advertisement: Advertisement) -> None:
        name: str | None = None
        uuids: list[str] = []
        manufacturer: dict[int, bytes] = {}
        tx_power: int | None = None
        for ad_type, value in advertisement.data.ad_structures:
            if ad_type in (
                AdvertisingData.COMPLETE_LOCAL_NAME,
                AdvertisingData.SHORTENED_LOCAL_NAME,
            ):
                name = value.decode("utf-8", errors="replace")
            elif ad_type in (
                AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
            ):
                uuids += [
                    str(UUID.from_bytes(value[i : i + 16])).lower()
                    for i in range(0, len(value) - 15, 16)
                ]
            elif ad_type == AdvertisingData.MANUFACTURER_SPECIFIC_DATA and len(value) >= 2:
                manufacturer[int.from_bytes(value[:2], "little")] = value[2:]
            elif ad_type == AdvertisingData.TX_POWER_LEVEL and value:
                tx_power = int.from_bytes(value[:1], "little", signed=True)
        if not self.is_allowed_uuid(uuids):
            return
        address = _bleak_address(advertisement.address)
        previous = self.seen_devices.get(address)
        if previous is not None:  # the scan response adds to the advertisement, as on an OS
            old = previous[1]
            name = name or old.local_name
            uuids = sorted(set(uuids) | set(old.service_uuids))
            manufacturer = {**old.manufacturer_data, **manufacturer}
        data = AdvertisementData(
            local_name=name,
            manufacturer_data=manufacturer,
            service_data={},
            service_uuids=uuids,
            tx_power=tx_power,
            rssi=advertisement.rssi,
            platform_data=(advertisement,),
        )
        device = self.create_or_update_device(address, address, name, advertisement.address, data)
        self.call_detection_callbacks(device, data)


@dataclass(frozen=True, slots=True)
class _CachedCharacteristic:
    handle: int
    end_handle: int
    uuid: str
    properties: int
    descriptors: tuple[tuple[int, str], ...]


@dataclass(frozen=True, slots=True)
class _CachedService:
    handle: int
    end_handle: int
    uuid: str
    characteristics: tuple[_CachedCharacteristic, ...]


_SERVICE_CACHE: dict[str, tuple[_CachedService, ...]] = {}
"""GATT databases seen this run, by address: a reconnect skips discovery (bleak and the OS
stacks cache the same way)."""


class BumbleClient(BaseBleakClient):
    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._peer_address: hci.Address | None = None
        if isinstance(address_or_ble_device, BLEDevice) and isinstance(
            address_or_ble_device.details, hci.Address
        ):
            self._peer_address = address_or_ble_device.details
        self._spec = kwargs.get("hci") or hci_spec_from_env() or ""
        self._transport: Transport | None = None
        self._device: Device | None = None
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._watch: asyncio.Task[None] | None = None
        self.used_service_cache = False

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        self._transport, self._device = await _open_central(self._spec)
        address = self._peer_address or hci.Address(self.address, hci.Address.RANDOM_DEVICE_ADDRESS)
        try:
            connection = await self._device.connect(address, timeout=self._timeout)
        except Exception as exc:
            await self._close_transport()
            raise BleakDeviceNotFoundError(
                self.address, f"device {self.address} was not found or did not answer: {exc}"
            ) from exc
        self._connection = connection
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        self._watch = asyncio.create_task(self._watch_transport())
        try:
            self._peer = Peer(connection)
            await self._peer.request_mtu(MAX_MTU_REQUEST)
            use_cache = bool(kwargs.get("dangerous_use_bleak_cache", True))
            await asyncio.wait_for(self._discover(use_cache), DISCOVERY_TIMEOUT_S)
        except BaseException:
            await self.disconnect()
            raise

    async def _watch_transport(self) -> None:
        """The HCI link itself can go (the board process died): that is a disconnect too."""
        assert self._transport is not None
        with contextlib.suppress(Exception):
            await self._transport.source.terminated
        if self._connection is not None:
            self._on_disconnection(hci.HCI_CONNECTION_TIMEOUT_ERROR)

    def _on_disconnection(self, reason: int) -> None:
        if self._connection is None:
            return
        self._connection = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    async def _discover(self, use_cache: bool) -> None:
        assert self._peer is not None
        cached = _SERVICE_CACHE.get(self.address) if use_cache else None
        if cached is not None:
            self._peer.gatt_client.services = [self._rebuild(s) for s in cached]
            self.used_service_cache = True
        else:
            await self._peer.discover_all()  # type: ignore[no-untyped-call]
            _SERVICE_CACHE[self.address] = tuple(
                _snapshot(s) for s in self._peer.gatt_client.services
            )
            self.used_service_cache = False
        self.services = self._collection()

    def _rebuild(self, cached: _CachedService) -> ServiceProxy:
        assert self._peer is not None
        client = self._peer.gatt_client
        service = ServiceProxy(  # type: ignore[no-untyped-call]
            client, cached.handle, cached.end_handle, UUID(cached.uuid)
        )
        for c in cached.characteristics:
            proxy: CharacteristicProxy[bytes] = CharacteristicProxy(
                client, c.handle, c.end_handle, UUID(c.uuid), c.properties
            )
            proxy.descriptors = [DescriptorProxy(client, h, UUID(u)) for h, u in c.descriptors]
            proxy.descriptors_discovered = True
            service.characteristics.append(proxy)
        return service

    def _collection(self) -> BleakGATTServiceCollection:
        assert self._peer is not None
        collection = BleakGATTServiceCollection()
        for service in self._peer.gatt_client.services:
            bleak_service = BleakGATTService(service, service.handle, _uuid_str(service.uuid))
            collection.add_service(bleak_service)
            for proxy in service.characteristics:
                characteristic = BleakGATTCharacteristic(
                    proxy,
                    proxy.handle,
                    _uuid_str(proxy.uuid),
                    _property_names(int(proxy.properties)),
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(characteristic)
                for descriptor in proxy.descriptors:
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            _uuid_str(descriptor.type),
                            characteristic,
                        )
                    )
        return collection

    async def disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.disconnect(), 2)
        await self._close_transport()

    async def _close_transport(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self._transport is not None:
            with contextlib.suppress(Exception):
                await self._transport.close()
        self._transport = self._device = None

    def _require_peer(self) -> Peer:
        if self._peer is None or self._connection is None:
            raise BleakError("not connected")
        return self._peer

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise BleakError("pairing is not used on the emulated link")

    async def unpair(self) -> None:
        raise BleakError("pairing is not used on the emulated link")

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await self._require_peer().read_value(characteristic.handle))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        return bytearray(await self._require_peer().read_value(descriptor.handle))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        await self._require_peer().write_value(
            characteristic.handle, bytes(data), with_response=response
        )

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        await self._require_peer().write_value(descriptor.handle, bytes(data), with_response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        await self._require_peer().subscribe(
            characteristic.obj, lambda value: callback(bytearray(value))
        )

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        await self._require_peer().unsubscribe(characteristic.obj)


def _snapshot(service: ServiceProxy) -> _CachedService:
    return _CachedService(
        service.handle,
        service.end_group_handle,
        _uuid_str(service.uuid),
        tuple(
            _CachedCharacteristic(
                c.handle,
                c.end_group_handle,
                _uuid_str(c.uuid),
                int(c.properties),
                tuple((d.handle, _uuid_str(d.type)) for d in c.descriptors),
            )
            for c in service.characteristics
        ),
    )


def _uuid_str(uuid: UUID) -> str:
    return str(uuid.to_hex_str("-")).lower() if len(uuid.uuid_bytes) == 16 else _expand16(uuid)


def _expand16(uuid: UUID) -> str:
    short = int.from_bytes(uuid.uuid_bytes, "little")
    return f"{short:08x}-0000-1000-8000-00805f9b34fb"


_PROPERTY_NAMES = {
    0x01: "broadcast",
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
    0x40: "authenticated-signed-writes",
    0x80: "extended-properties",
}


def _property_names(flags: int) -> list[Any]:
    return [name for bit, name in _PROPERTY_NAMES.items() if flags & bit]
