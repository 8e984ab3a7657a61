"""A board under test as the suite holds it: a connected client plus what the bench can do to it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from firmware.control import ControlClient
from firmware.process import EmulatedBoard
from hil.actuators import Actuators, SideChannelActuators
from hil.link_trace import tracer_for
from safetool.client import LockClient
from safetool.transport import Transport, make_transport

Wrap = Callable[[Transport], Transport]
"""Something put round a link (a recorder, a man in the middle)."""


class NotOnThisBoard(RuntimeError):
    """The bench cannot do this to this board (a rig board has no side channel)."""


@dataclass
class Lock:
    client: LockClient
    port: str
    transport: str
    label: str
    """Who this board is, for reports: ``emulated SL-0000-0001 over serial``."""
    capabilities: frozenset[str]
    emulator: EmulatedBoard | None = None
    restart: Callable[[], Awaitable[str]] | None = None
    """Cut power and restore it; gives the port to reopen (it may change, as USB does)."""
    pids: list[int] = field(default_factory=list)
    console_survives_power: bool = False
    """The port stays while the board's power is cut (a rig's adapter), so keep it open."""
    hands: Actuators | None = None
    """A rig board's fixtures (an emulated board's are its side channel)."""

    @property
    def board(self) -> ControlClient:
        """The emulated board's side channel (faults, link model, its inner state); keys, door
        and clock go through :attr:`actuators`, which a rig board has too."""
        if self.emulator is None:
            raise NotOnThisBoard(f"{self.label} is a real board: it has no side channel")
        return self.emulator.board

    @property
    def actuators(self) -> Actuators:
        """Keys, door and time, by the side channel or the rig's fixtures (hil.actuators)."""
        if self.hands is not None:
            return self.hands
        if self.emulator is not None:
            return SideChannelActuators(self.emulator.board)
        raise NotOnThisBoard(f"{self.label}: the rig has no fixtures for keys, door or clock")

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.board.state()
        return result

    async def power_cycle(self, wrap: Wrap | None = None) -> None:
        """Power off and on (persistent state stays), then speak to the board again; ``wrap``
        goes round the link before the first byte is said (to record all the board sends).

        A rig board keeps its port, so its console stays open across the power cycle (opening a
        port drops what is pending on it) and only HELLO is said again; the port is reopened
        only if the link went with the power. An emulated board's process dies, and its port
        with it, so it is reopened.
        """
        if self.restart is None:
            raise NotOnThisBoard(f"{self.label}: the rig has no power switch for it")
        if not self.console_survives_power:
            await self.client.close()
            self.port = await self.restart()
            self.client = await connect(self.port, wrap=wrap)
            return
        if wrap is not None:
            self.client.transport = wrap(self.client.transport)
            await self.client.ping()  # the read already waiting ends: the next ones are wrapped
            await self.client.ping()
        await self.restart()
        begin = getattr(self.client.transport, "begin", None)
        if wrap is not None and begin is not None:  # the link is open: what it says first, now
            await begin()
        try:
            await self.client.say_hello()
        except Exception:  # the link went with the power (a USB adapter powered by the board)
            await self.client.close()
            self.client = await connect(self.port, wrap=wrap)

    async def reconnect_after_reset(self, boot_id: int, timeout_s: float = 15.0) -> None:
        """The board reset by itself (FIRMWARE_ACTIVATE boots the new image): speak to it again
        once it has booted, that is once a HELLO is answered with another boot id."""
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(Exception):  # the port or the board is not back yet
                if self.console_survives_power:
                    await self.client.say_hello()
                else:
                    await self.client.close()
                    self.client = await connect(self.port, attempts=2)
                if self.client.hello is not None and self.client.hello.boot_id != boot_id:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.label} did not come back after its reset")
            await asyncio.sleep(0.05)


async def connect(port: str, attempts: int = 20, *, wrap: Wrap | None = None) -> LockClient:
    """Connect, retrying while the port comes back (a board that was just powered on);
    ``wrap`` goes round the link before HELLO."""
    last: Exception | None = None
    for _ in range(attempts):
        client = LockClient(make_transport(port), hello_timeout_s=5, tracer=tracer_for(port))
        if wrap is not None:
            client.transport = wrap(client.transport)
        try:
            await client.open()
            return client
        except Exception as exc:  # the port is not there yet, or the board still boots
            last = exc
            await asyncio.sleep(0.25)
    assert last is not None
    raise last
