"""The BLE link, modelled: connection events, packets per event, the ATT MTU.

Bumble's virtual link moves ATT packets at once; a real BLE link moves them only at connection
events, one every ``connection_interval_ms``, each carrying at most ``packets_per_interval``
packets each way of at most ``att_mtu - 3`` bytes. :class:`ConnectionEvents` holds the bytes
waiting in each direction and lets them through event by event, so throughput and round trips
come out as on a real link. Latency, bit errors and lost frames stay with the emulator's
:mod:`firmware.linkmodel`, which works on whole frames before they reach this one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from protocols.ble import MAX_ATT_MTU, MIN_ATT_MTU, payload_per_packet

DEFAULT_ATT_MTU = 247
DEFAULT_CONNECTION_INTERVAL_MS = 15.0
DEFAULT_PACKETS_PER_INTERVAL = 4


@dataclass(frozen=True, slots=True)
class BleLinkSettings:
    att_mtu: int = DEFAULT_ATT_MTU
    """The largest ATT MTU the board accepts; the link uses what the exchange settles on."""
    connection_interval_ms: float = DEFAULT_CONNECTION_INTERVAL_MS
    packets_per_interval: int = DEFAULT_PACKETS_PER_INTERVAL
    """Packets each way per connection event (0 for no pacing: the virtual link's own speed)."""

    def __post_init__(self) -> None:
        if not MIN_ATT_MTU <= self.att_mtu <= MAX_ATT_MTU:
            raise ValueError(f"the ATT MTU must be in [{MIN_ATT_MTU}, {MAX_ATT_MTU}]")
        if not 7.5 <= self.connection_interval_ms <= 4000:
            raise ValueError("the connection interval must be in [7.5, 4000] ms")
        if self.packets_per_interval < 0:
            raise ValueError("packets per interval must be at least 0")

    def limit_bytes_per_s(self, att_mtu: int | None = None) -> float | None:
        """What one direction carries at most, at ``att_mtu`` (default: the board's)."""
        if self.packets_per_interval == 0:
            return None
        payload = payload_per_packet(att_mtu or self.att_mtu)
        return payload * self.packets_per_interval / (self.connection_interval_ms / 1000)


SendPacket = Callable[[bytes], Awaitable[None]]


class ConnectionEvents:
    """Both directions of one connection, released at connection events.

    ``to_tool`` bytes are cut into notifications at the connection's current MTU;
    ``from_tool`` packets are the tool's writes as they arrived.
    """

    def __init__(
        self,
        settings: BleLinkSettings,
        *,
        att_mtu: Callable[[], int],
        notify: SendPacket,
        deliver: Callable[[bytes], None],
    ) -> None:
        self.settings = settings
        self._att_mtu = att_mtu
        self._notify = notify
        self._deliver = deliver
        self._to_tool = bytearray()
        self._from_tool: deque[bytes] = deque()
        self._wakeup = asyncio.Event()
        self._to_tool_sent = asyncio.Event()
        self._to_tool_sent.set()
        self._task: asyncio.Task[None] | None = None
        self.events = 0
        self.packets_to_tool = 0
        self.packets_from_tool = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ble-connection-events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def send(self, data: bytes) -> None:
        """Bytes the board writes: they leave at the next connection events."""
        self._to_tool += data
        if data:
            self._to_tool_sent.clear()
        self._wakeup.set()

    def received(self, packet: bytes) -> None:
        """A write from the tool: the board sees it at the next connection event."""
        self._from_tool.append(packet)
        self._wakeup.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        interval_s = self.settings.connection_interval_ms / 1000
        next_event = loop.time()
        while True:
            if not self._to_tool and not self._from_tool:
                self._wakeup.clear()
                await self._wakeup.wait()
                # an idle link still keeps its anchor points: wait for the next one
                now = loop.time()
                next_event += max(0, -(-(now - next_event) // interval_s)) * interval_s
            if self.settings.packets_per_interval:
                delay = next_event - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await self._one_event()
            next_event += interval_s

    async def _one_event(self) -> None:
        self.events += 1
        budget = self.settings.packets_per_interval or 1 << 30
        # the board answers in the event after the one that brought the request, as a real
        # peripheral's host does: send first, then take in
        size = payload_per_packet(self._att_mtu())
        sent = 0
        while self._to_tool and sent < budget:
            packet = bytes(self._to_tool[:size])
            del self._to_tool[:size]
            await self._notify(packet)
            sent += 1
        self.packets_to_tool += sent
        if not self._to_tool:
            self._to_tool_sent.set()
        taken = 0
        while self._from_tool and taken < budget:
            self._deliver(self._from_tool.popleft())
            taken += 1
        self.packets_from_tool += taken

    async def all_sent(self) -> None:
        """Return once every byte handed to :meth:`send` has left in a notification."""
        await self._to_tool_sent.wait()

    def discard_from_tool(self) -> None:
        """Forget the tool's writes not yet taken in (the board reset: its RAM is gone)."""
        self._from_tool.clear()

    def clear(self) -> None:
        """The connection ended: what was waiting is lost, as in a real radio."""
        self._to_tool.clear()
        self._from_tool.clear()
        self._to_tool_sent.set()
