"""The emulated board as a BLE peripheral, on Bumble: real ATT, MTU exchange, notifications.

Two Bumble controllers share one virtual link (:class:`bumble.link.LocalLink`): the board's, with
the board's Bumble host on it, and the tool's, exposed as HCI over TCP (H4 framing, as Bumble's
``tcp-server:`` transport; see :mod:`firmware.ble_hci_server`). The tool's Bumble central
opens it as ``tcp-client:127.0.0.1:PORT`` (``safetool/transport/ble_backend_bumble.py``), scans,
connects and talks GATT as to a real lock; no radio and no system Bluetooth are involved.
The :class:`~firmware.emulator.Emulator` is the same as behind a pty: only its sink changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from bumble import hci, ll
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import AdvertisingEventProperties, AdvertisingParameters, Connection, Device
from bumble.gatt import Characteristic, CharacteristicValue, Service
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from firmware.ble_hci_server import HciServer
from firmware.ble_linkmodel import BleLinkSettings, ConnectionEvents
from firmware.emulator import Emulator
from protocols.ble import (
    COMPANY_ID,
    NOTIFY_CHAR_UUID,
    SERVICE_UUID,
    WRITE_CHAR_UUID,
    advertised_name,
    encode_manufacturer_data,
)

HCI_ENV = "SAFETOOL_BLE_HCI"
"""Where the tool finds the emulated radio: ``tcp-client:127.0.0.1:PORT`` (the ready line's
``hci``). Documented in docs/ble.md."""
ACL_PACKET_BYTES = 251
"""Both controllers do LE Data Length Extension: one link-layer packet holds a 247-byte MTU."""
TOOL_CONTROLLER_ADDRESS = "C0:5A:FE:70:01:00"
ADVERTISING_INTERVAL_MS = 20.0
RESET_DRAIN_TIMEOUT_S = 2.0
"""A reset the firmware asks for waits this long at most for its last answer to leave."""

logging.getLogger("bumble").setLevel(logging.CRITICAL)  # Bumble logs expected disconnects loudly


class _ToolSideController(Controller):
    """The tool's controller. A host that connects anew sends HCI Reset first; a real controller
    then drops its links, so a tool that was killed does not leave the board connected."""

    def on_hci_reset_command(self, command: hci.HCI_Reset_Command) -> Any:
        self.drop_links()
        return super().on_hci_reset_command(command)

    def drop_links(self) -> None:
        """End every link, as a controller does on reset or when its host goes away."""
        for connection in list(self.le_connections.values()):
            with contextlib.suppress(Exception):
                connection.send_ll_control_pdu(
                    ll.TerminateInd(hci.HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR)
                )
        self.le_connections.clear()


def board_address(serial: str) -> str:
    """A random static address (top bits 11) derived from the serial: stable across restarts."""
    digest = sum((i + 1) * b for i, b in enumerate(serial.encode())) & 0xFFFFFF
    return f"C0:5A:1E:{digest >> 16:02X}:{(digest >> 8) & 0xFF:02X}:{digest & 0xFF:02X}"


class BleBoard:
    def __init__(self, emu: Emulator, settings: BleLinkSettings | None = None) -> None:
        self.emu = emu
        self.settings = settings or BleLinkSettings()
        self.name = advertised_name(emu.identity.serial)
        self.address = board_address(emu.identity.serial)
        self.connection: Connection | None = None
        self.events: ConnectionEvents | None = None
        self.connections = 0
        self._hci: HciServer | None = None
        self._device: Device | None = None
        self._notify_char: Characteristic[bytes] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._draining: set[Connection] = set()
        """Connections of a board that reset, still sending its last answer."""

    async def start(self, hci_port: int = 0, host: str = "127.0.0.1") -> tuple[str, str]:
        """Advertise; return the port for the tool (``ble:<name>``) and the HCI spec to reach it."""
        link = LocalLink()  # type: ignore[no-untyped-call]
        board_controller = Controller("board", link=link)
        board_controller.le_acl_data_packet_length = ACL_PACKET_BYTES
        self._hci = HciServer(on_host_gone=lambda: tool_controller.drop_links())
        tool_controller = _ToolSideController(
            "tool",
            host_source=self._hci,
            host_sink=self._hci.host_sink,
            link=link,
            public_address=TOOL_CONTROLLER_ADDRESS,
        )
        tool_controller.le_acl_data_packet_length = ACL_PACKET_BYTES
        bound = await self._hci.start(host, hci_port)

        device = Device(
            name=self.name,
            address=hci.Address(self.address),
            host=Host(board_controller, AsyncPipeSink(board_controller)),
        )
        device.gatt_server.max_mtu = self.settings.att_mtu
        write_char: Characteristic[bytes] = Characteristic(
            WRITE_CHAR_UUID,
            Characteristic.Properties.WRITE_WITHOUT_RESPONSE | Characteristic.Properties.WRITE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_write),
        )
        self._notify_char = Characteristic(
            NOTIFY_CHAR_UUID,
            Characteristic.Properties.NOTIFY,
            Characteristic.READABLE,
            b"",
        )
        device.add_service(Service(SERVICE_UUID, [write_char, self._notify_char]))
        device.on(device.EVENT_CONNECTION, self._on_connection)
        self._device = device
        await device.power_on()
        # Bumble's virtual controller sends no scan responses, so everything a scanner needs
        # goes into one extended advertisement (a real lock splits the same fields between
        # its advertisement and scan response; bleak merges them, so scanning code is the same)
        advertisement = AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes([0x06])),  # LE general discoverable, no BR/EDR
                (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
                (
                    AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                    UUID(SERVICE_UUID).to_bytes(),
                ),
                (
                    AdvertisingData.MANUFACTURER_SPECIFIC_DATA,
                    COMPANY_ID.to_bytes(2, "little")
                    + encode_manufacturer_data(self.emu.identity.serial, self.emu.identity.model),
                ),
            ]
        )
        await device.create_advertising_set(
            advertising_parameters=AdvertisingParameters(
                advertising_event_properties=AdvertisingEventProperties(
                    is_connectable=True, is_legacy=False
                ),
                primary_advertising_interval_min=ADVERTISING_INTERVAL_MS,
                primary_advertising_interval_max=ADVERTISING_INTERVAL_MS,
            ),
            random_address=hci.Address(self.address),
            advertising_data=bytes(advertisement),
            auto_restart=True,
        )

        self.emu.port = f"ble:{self.name}"
        self.emu._disconnect = self.disconnect
        self.emu.reset_listeners.append(self._reset)
        self.emu._closers.append(self._close)
        self.emu._start_ticking()
        return self.emu.port, f"tcp-client:{host}:{bound}"

    # --- the connection ------------------------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self.connections += 1
        events = ConnectionEvents(
            self.settings,
            att_mtu=lambda: connection.att_mtu,
            notify=lambda packet: self._notify(connection, packet),
            deliver=self.emu.on_wire_data,
        )
        self.events = events
        events.start()
        self.emu._sink = events.send
        connection.on(connection.EVENT_DISCONNECTION, lambda reason: self._ended(connection))

    def _ended(self, connection: Connection) -> None:
        if self.connection is not connection:
            return
        self.connection = None
        self.emu._sink = None
        self.emu.service.link_dropped()
        if self.events is not None:
            self.events.clear()
            self._spawn(self.events.stop())
            self.events = None

    def _on_write(self, connection: Connection, value: bytes) -> None:
        if connection is self.connection and self.events is not None:
            self.events.received(bytes(value))

    async def _notify(self, connection: Connection, packet: bytes) -> None:
        assert self._device is not None and self._notify_char is not None
        if self.connection is connection or connection in self._draining:
            with contextlib.suppress(Exception):  # the link went down mid-send: bytes are lost
                await self._device.notify_subscriber(connection, self._notify_char, packet)

    def disconnect(self) -> None:
        """Drop the connection from the board's side (out of range, board reset)."""
        connection = self.connection
        if connection is not None:
            self._ended(connection)
            self._spawn(connection.disconnect())

    def _reset(self, requested: bool) -> None:
        """The board reset or lost power, and its radio with it: the connection ends, as a
        central sees on a real lock, and the new boot advertises again. A reset the firmware
        asked for (after its last answer, e.g. to FIRMWARE_ACTIVATE) lets that answer leave
        first; a power cut loses whatever was waiting."""
        connection, events = self.connection, self.events
        if connection is None:
            return
        if not requested or events is None:
            self.disconnect()
            return
        self.connection = None  # the new boot takes no writes over the old link
        self.events = None
        self.emu._sink = None
        events.discard_from_tool()
        self._draining.add(connection)
        self._spawn(self._drop_when_sent(connection, events))

    async def _drop_when_sent(self, connection: Connection, events: ConnectionEvents) -> None:
        interval_s = self.settings.connection_interval_ms / 1000
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events.all_sent(), RESET_DRAIN_TIMEOUT_S)
            await asyncio.sleep(interval_s)  # the terminate goes in a later connection event
        finally:
            self._draining.discard(connection)
            events.clear()
            await events.stop()
            with contextlib.suppress(Exception):
                await connection.disconnect()

    def _spawn(self, awaitable: Any) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _close(self) -> None:
        if self.events is not None:
            self._spawn(self.events.stop())
        if self._hci is not None:
            self._hci.close()


async def start_ble(
    emu: Emulator, settings: BleLinkSettings, hci_port: int = 0
) -> tuple[BleBoard, str, str]:
    board = BleBoard(emu, settings)
    port, hci_spec = await board.start(hci_port)
    return board, port, hci_spec
