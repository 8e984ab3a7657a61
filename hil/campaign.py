"""Campaigns: many seeded trials of one scenario. Every trial's seed derives from the run's
``--seed`` and the trial's name, so ``--seed S -k <trial>`` replays exactly that trial."""

from __future__ import annotations

import hashlib
import random
import secrets

import pytest

CAMPAIGNS = ("noise", "soak", "power-cut", "fuzz")


def run_seed(config: pytest.Config) -> int:
    seed: int | None = config.getoption("hil_seed")
    if seed is None:
        seed = secrets.randbelow(2**31)
        config.option.hil_seed = seed  # the same for every worker: set before xdist starts
    return seed


def trial_seed(base: int, trial: str) -> int:
    digest = hashlib.sha256(f"{base}:{trial}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def trial_rng(base: int, trial: str) -> random.Random:
    return random.Random(trial_seed(base, trial))


def select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--campaign X`` run only X's trials; without, skip campaign trials (with why)."""
    chosen: str | None = config.getoption("hil_campaign")
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("campaign")
        if chosen is None:
            if marker is not None:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"campaign {marker.args[0]!r} not selected "
                        f"(run with --campaign {marker.args[0]})"
                    )
                )
            kept.append(item)
        elif marker is not None and marker.args[0] == chosen:
            kept.append(item)
        else:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
