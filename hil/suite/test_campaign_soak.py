"""``--campaign soak --duration-s N``: status and events for N seconds, with the resident memory
of both processes (tool and board) and the error count recorded; memory must not grow."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import pytest

from hil.campaign import trial_seed
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.process_stats import rss_kib
from hil.results import CAMPAIGN_PROPERTY, SEED_PROPERTY
from hil.targets import SOAK_GROWTH_LIMIT_KIB

pytestmark = [pytest.mark.campaign("soak"), pytest.mark.any_link, pytest.mark.needs("keys")]

WARM_UP_S = 2.0


async def test_soak(
    request: pytest.FixtureRequest, lock: Lock, hil_seed: int, measure: Recorder
) -> None:
    duration_s: float = request.config.getoption("hil_duration_s")
    seed = trial_seed(hil_seed, request.node.name)
    request.node.user_properties += [(CAMPAIGN_PROPERTY, "soak"), (SEED_PROPERTY, seed)]
    rng = random.Random(seed)
    events = 0

    async def count_events() -> None:
        nonlocal events
        async for _ in lock.client.events():
            events += 1

    watcher = asyncio.create_task(count_events())
    requests = errors = 0
    baseline: tuple[int, int] | None = None
    started = time.monotonic()
    while (elapsed := time.monotonic() - started) < duration_s:
        if baseline is None and elapsed >= min(WARM_UP_S, duration_s / 4):
            baseline = (rss_kib(), rss_kib(lock.pids[0]) if lock.pids else 0)
        try:
            await lock.client.status()
            if rng.random() < 0.05:
                await lock.actuators.press_key(key=str(rng.randrange(10)))
        except Exception:
            errors += 1
        requests += 1
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    tool_kib, board_kib = rss_kib(), rss_kib(lock.pids[0]) if lock.pids else 0
    base_tool, base_board = baseline or (tool_kib, board_kib)
    measure("soak_s", round(time.monotonic() - started, 1), "s", check=False)
    measure("requests", requests, "", low=1)
    measure("events", events, "", check=False)
    measure("errors", errors, "", high=0)
    measure("tool_rss", tool_kib, "KiB", check=False)
    measure("board_rss", board_kib, "KiB", check=False)
    measure("tool_rss_growth", tool_kib - base_tool, "KiB", high=SOAK_GROWTH_LIMIT_KIB)
    measure("board_rss_growth", board_kib - base_board, "KiB", high=SOAK_GROWTH_LIMIT_KIB)
