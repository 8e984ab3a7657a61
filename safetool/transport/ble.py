"""BLE transport: the lock's frames over one GATT service, through bleak.

The tool writes frames to the write characteristic (write without response, with response as
the fallback) in pieces of ``MTU - 3`` bytes, and reads the notify characteristic's
notifications in order; the frame parser above finds the ``00`` delimiters, so pieces need no
header (SPEC.md 21). The MTU is read after connecting and again before every write:
some stacks report 20 or 23 until the exchange finishes. A disconnect ends ``read`` at once with
:class:`LinkLost`. Transient connect failures are retried by bleak-retry-connector.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.exc import BleakError
from bleak_retry_connector import BleakClientWithServiceCache, establish_connection

from protocols.ble import (
    MIN_ATT_MTU,
    NOTIFY_CHAR_UUID,
    WRITE_CHAR_UUID,
    payload_per_packet,
    segment,
)
from safetool.messages import Message
from safetool.transport.base import LinkLost, TransportError
from safetool.transport.ble_errors import describe_ble_error
from safetool.transport.ble_scan import FIND_TIMEOUT_S, emulated_radio, find_lock

CONNECT_ATTEMPTS = 3
MTU_SETTLE_S = 0.5
"""How long to wait for a stack that reports the minimum MTU right after connecting."""
ASSUMED_PACKETS_PER_S = 164.0
"""A BLE link's rate is set by connection parameters the central cannot read (interval, packets
per event, data length); this typical figure (a few packets per 15 ms event: 40 kB/s at MTU
247) times the payload the negotiated MTU allows is the rate the transport reports, so requests
queued behind a large transfer are not resent early."""
ASSUMED_BYTES_PER_S = payload_per_packet(247) * ASSUMED_PACKETS_PER_S
"""The rate reported before the MTU is known (the client reads it when it is built)."""
_LOST = object()


def client_backend() -> type[BaseBleakClient] | None:
    """The emulated radio's client when ``SAFETOOL_BLE_HCI`` is set, else bleak's own."""
    if not emulated_radio():
        return None
    from safetool.transport.ble_backend_bumble import BumbleClient

    return BumbleClient


class BleTransport:
    def __init__(self, target: str, *, find_timeout_s: float = FIND_TIMEOUT_S) -> None:
        self.target = target
        self.find_timeout_s = find_timeout_s
        self.description = f"ble:{target}"
        self.line_rate_bytes_per_s: float | None = ASSUMED_BYTES_PER_S
        self.att_mtu = MIN_ATT_MTU
        self.writes_with_response = False
        self._client: BleakClient | None = None
        self._write_char: BleakGATTCharacteristic | None = None
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._lost: LinkLost | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Find the lock, connect (retrying transient failures), subscribe to its frames."""
        self._queue = asyncio.Queue()
        self._lost = None
        device, found = await find_lock(self.target, self.find_timeout_s)
        self.description = f"ble:{self.target} ({found.name or '?'}, {found.address})"
        kwargs: dict[str, Any] = {}
        backend = client_backend()
        if backend is not None:
            kwargs["backend"] = backend
        try:
            client = await establish_connection(
                BleakClientWithServiceCache,
                device,
                found.name or found.address,
                disconnected_callback=self._on_disconnect,
                max_attempts=CONNECT_ATTEMPTS,
                **kwargs,
            )
        except Exception as exc:
            raise describe_ble_error(self.target, exc) from None
        self._client = client
        try:
            service_chars = client.services
            write_char = service_chars.get_characteristic(WRITE_CHAR_UUID)
            notify_char = service_chars.get_characteristic(NOTIFY_CHAR_UUID)
            if write_char is None or notify_char is None:
                raise TransportError(
                    Message("ble.not_a_lock", {"device": found.name or found.address}),
                    meaning=Message("ble.not_a_lock.meaning"),
                    next_step=Message("ble.not_a_lock.next"),
                )
            self._write_char = write_char
            self.writes_with_response = "write-without-response" not in write_char.properties
            await client.start_notify(notify_char, self._on_notify)
            await self._settle_mtu()
            self._rate_from_mtu()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await client.disconnect()
            self._client = None
            if isinstance(exc, Exception) and not isinstance(exc, TransportError):
                raise describe_ble_error(self.target, exc) from None
            raise

    async def _settle_mtu(self) -> None:
        assert self._client is not None
        self.att_mtu = self._client.mtu_size
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MTU_SETTLE_S
        while self.att_mtu <= MIN_ATT_MTU and loop.time() < deadline:
            await asyncio.sleep(0.05)
            self.att_mtu = self._client.mtu_size

    def _rate_from_mtu(self) -> None:
        rate = payload_per_packet(self.att_mtu) * ASSUMED_PACKETS_PER_S
        self.line_rate_bytes_per_s = rate

    def _current_mtu(self) -> int:
        """Re-read every time: never assume the MTU the connection started with."""
        if self._client is not None:
            self.att_mtu = max(MIN_ATT_MTU, self._client.mtu_size)
        return self.att_mtu

    def _on_notify(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._queue.put_nowait(bytes(data))

    def _on_disconnect(self, _client: BleakClient) -> None:
        self._queue.put_nowait(_LOST)

    async def write(self, data: bytes) -> None:
        if self._lost is not None:
            raise self._lost
        client, char = self._client, self._write_char
        if client is None or char is None or not client.is_connected:
            raise self._link_lost(None)
        async with self._write_lock:  # pieces of two writes must not interleave
            for piece in segment(data, self._current_mtu()):
                await self._write_piece(client, char, piece)

    async def _write_piece(
        self, client: BleakClient, char: BleakGATTCharacteristic, piece: bytes
    ) -> None:
        try:
            await client.write_gatt_char(char, piece, response=self.writes_with_response)
        except BleakError as exc:
            if not client.is_connected:
                raise self._link_lost(exc) from None
            if self.writes_with_response:
                raise self._link_lost(exc) from None
            self.writes_with_response = True  # the fallback, for stacks that refuse commands
            try:
                await client.write_gatt_char(char, piece, response=True)
            except BleakError as again:
                raise self._link_lost(again) from None
        except (OSError, EOFError) as exc:
            raise self._link_lost(exc) from None

    async def read(self) -> bytes:
        if self._lost is not None:
            raise self._lost
        item = await self._queue.get()
        if isinstance(item, bytes):
            chunks = [item]
            # notifications that arrived faster than we read: hand them over in one piece
            while not self._queue.empty():
                following = self._queue.get_nowait()
                if not isinstance(following, bytes):
                    self._queue.put_nowait(following)
                    break
                chunks.append(following)
            return b"".join(chunks)
        raise self._link_lost(None)

    def _link_lost(self, cause: BaseException | None) -> LinkLost:
        if self._lost is None:
            detail = f" ({cause})" if cause else ""
            self._lost = LinkLost(
                Message("ble.lost", {"target": self.target, "detail": detail}),
                meaning=Message("ble.lost.meaning"),
                next_step=Message("ble.lost.next"),
            )
        return self._lost

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), 5)
        if self._lost is None:
            self._lost = LinkLost(Message("link.closed", {"port": self.description}))
        self._queue.put_nowait(_LOST)
