"""Delivers scheduled pieces of bytes in order at their times (one direction of the link)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from firmware.clock import CLOCK_GRAIN_S


class DelayLine:
    def __init__(self, deliver: Callable[[bytes], None], now: Callable[[], float]) -> None:
        """``now`` is the clock the schedules' times are on (the board's elapsed seconds)."""
        self._deliver = deliver
        self._now = now
        self._queue: deque[tuple[float, bytes]] = deque()
        self._task: asyncio.Task[None] | None = None

    def put(self, schedule: list[tuple[float, bytes]]) -> None:
        if not schedule:
            return
        if not self._queue and schedule[0][0] <= self._now():
            # nothing waiting and already due: deliver now, no scheduling cost
            self._deliver(schedule[0][1])
            schedule = schedule[1:]
        self._queue.extend(schedule)
        if self._queue and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run())

    @property
    def idle(self) -> bool:
        """Nothing is waiting to be delivered."""
        return not self._queue

    def clear(self) -> None:
        """Lose everything not yet delivered (power cut, cable pulled)."""
        self._queue.clear()

    async def _run(self) -> None:
        while self._queue:
            due, piece = self._queue[0]
            wait_s = due - self._now()
            if wait_s > CLOCK_GRAIN_S:  # a rounding error early is on time
                await asyncio.sleep(wait_s)
                continue
            self._queue.popleft()
            self._deliver(piece)

    def close(self) -> None:
        self.clear()
        if self._task is not None:
            self._task.cancel()
