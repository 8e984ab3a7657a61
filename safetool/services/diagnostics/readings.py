"""What the checks read from the lock, each reading taken once per run and shared.

The person at the lock is reached through an :class:`Interaction` (the CLI asks on the terminal,
the TUI in a dialog, tests answer for them); without one, the checks that need a person report
that they could not run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

from protocols.catalogue import EventKind
from protocols.diag_messages import (
    KEYPAD_KEYS as KEYPAD_KEYS,
)
from protocols.diag_messages import (
    ErrorLogRequest,
    KeypadTestRequest,
    MotorTestRequest,
    MotorTestResponse,
    Output,
    OutputTestRequest,
    SensorsRequest,
    SensorsResponse,
)
from protocols.messages import IdentifyResponse, Request, Response
from safetool.client import LockClient

R = TypeVar("R", bound=Response)
T = TypeVar("T")

MOTOR_TEST_S = 4.0
"""How long the board may take over a motor test (two travels, or a stall): no resend before."""
KEYPAD_TEST_S = 60


class Interaction(Protocol):
    async def confirm(self, question: str) -> bool | None:
        """Ask the technician a yes/no question; ``None`` if nobody can answer."""
        ...

    async def press_every_key(self, started: Callable[[], Awaitable[None]]) -> None:
        """Tell the technician to press every key once; ``started`` has begun the test.
        Return when they say they are done."""
        ...


class Readings:
    def __init__(self, client: LockClient, interaction: Interaction | None = None) -> None:
        self.client = client
        self.interaction = interaction
        self._cache: dict[str, Any] = {}

    async def _once(self, key: str, read: Callable[[], Awaitable[T]]) -> T:
        """``read()`` the first time, then what it gave (a check reads each thing once)."""
        if key not in self._cache:
            self._cache[key] = await read()
        return cast(T, self._cache[key])

    async def _request(self, request: Request[R], **options: float) -> R:
        return await self.client.request(request, **options)

    async def sensors(self) -> SensorsResponse:
        return await self._once("sensors", lambda: self._request(SensorsRequest()))

    async def motor_test(self) -> MotorTestResponse:
        await self.sensors()  # read the sensors before the bolt moves
        return await self._once(
            "motor",
            lambda: self._request(
                MotorTestRequest(), timeout_s=MOTOR_TEST_S + 3, processing_s=MOTOR_TEST_S
            ),
        )

    async def error_log(self) -> list[dict[str, int]]:
        reply = await self._once("errors", lambda: self._request(ErrorLogRequest()))
        return [
            {k: int(r[k]) for k in ("code", "count", "first_s", "last_s")} for r in reply.records
        ]

    async def identity(self) -> IdentifyResponse:
        return await self._once("identity", self.client.identify)

    async def rtc_offset_s(self) -> float:
        """Board clock minus laptop clock, with the round trip's midpoint as the laptop time."""

        async def measure() -> float:
            before = time.time()
            reply = await self._request(SensorsRequest())
            after = time.time()
            return reply.rtc_s + 0.5 - (before + after) / 2  # rtc_s is whole seconds

        return await self._once("rtc", measure)

    async def keypad_test(self) -> str | None:
        """The keys the board reported while the technician pressed each; ``None`` without
        a person."""
        if self.interaction is None:
            return None
        interaction = self.interaction

        async def run() -> str:
            seen: set[str] = set()
            ready = asyncio.Event()

            async def collect() -> None:
                events = self.client.events()
                ready.set()
                async for received in events:
                    if received.event.kind == EventKind.KEY_PRESS and received.event.value:
                        seen.add(chr(received.event.value))
                        if seen >= set(KEYPAD_KEYS):
                            return

            collector = asyncio.create_task(collect())
            await ready.wait()

            async def start() -> None:
                await self._request(KeypadTestRequest(1, KEYPAD_TEST_S))

            try:
                done = asyncio.create_task(interaction.press_every_key(start))
                await asyncio.wait({collector, done}, return_when=asyncio.FIRST_COMPLETED)
                done.cancel()
            finally:
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
                await self._request(KeypadTestRequest(0, 0))
            return "".join(k for k in KEYPAD_KEYS if k in seen)

        result: str = await self._once("keypad", run)
        return result

    async def confirm_output(self, name: str) -> bool | None:
        if self.interaction is None:
            return None
        if name == "buzzer":
            await self._request(OutputTestRequest(Output.BUZZER, 1000))
            return await self.interaction.confirm("Did the buzzer sound?")
        await self._request(OutputTestRequest(Output.LED_GREEN, 1000))
        await self._request(OutputTestRequest(Output.LED_RED, 1000))
        return await self.interaction.confirm("Did the green and then the red LED light?")
