"""The technician's app against the emulated board, driven by Textual's Pilot (a script, not a
test): the key presses of the phone-in recovery path from launch to an open lock (goal: at most
15 plus the digits typed), the key presses of a whole service visit (tests/tui_visit.py: visit,
diagnosis of a jammed bolt, the part, a phone recovery with its seal, firmware, audit, sign-off
and report), and the time from launch to the first dashboard with the lock's state on it.

Run: ``.venv/bin/python benchmarks/tui.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.pilot import Pilot

from firmware.process import EmulatorProcess
from protocols.catalogue import LockState
from safetool.services.devpki import init_dev_pki
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import ServiceBackend
from safetool.tui.recent import RecentPorts
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.widgets.lock_panel import LockPanel
from tests.tui_visit import Keys, hotline_answer, whole_visit

GOAL_KEYS = 15


class CountingPilot:
    """Presses keys through the pilot and counts them: digits apart from the rest."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.keys = 0
        self.digits = 0
        self.log: list[str] = []

    async def press(self, *keys: str) -> None:
        for key in keys:
            if key.isdigit():
                self.digits += 1
            else:
                self.keys += 1
                self.log.append(key)
        await self.pilot.press(*keys)


async def until(pilot: Pilot[None], check: object, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("the app did not get there in time")
        await pilot.pause(0.01)


def lock_state(app: SafetoolApp) -> LockState | None:
    if not isinstance(app.screen, DashboardScreen):
        return None
    panel = app.screen.query_one(LockPanel)
    return panel.status.lock_state if panel.status else None


async def hard_lockout(emulator: EmulatorProcess) -> None:
    for _ in range(3):
        for _ in range(5):
            await emulator.board.enter_code(code="999999")
        await emulator.board.advance_clock(seconds=301)


async def recovery_path(pki: Path, folder: Path, with_port: bool) -> CountingPilot:
    async with EmulatorProcess("--pki", str(pki), state_dir=folder / "board") as emulator:
        await hard_lockout(emulator)
        recent = RecentPorts(folder / "recent.json")
        recent.remember(emulator.port)  # the port used last time: highlighted first
        backend = ServiceBackend(pki / "technicians" / "T-1001")
        port = emulator.port if with_port else ""
        app = SafetoolApp(backend, port=port, recent=recent)
        async with app.run_test(size=(80, 24)) as pilot:
            keys = CountingPilot(pilot)
            if not with_port:
                await pilot.pause(0.2)
                await keys.press("enter")  # connect to the highlighted last-used port
            await until(pilot, lambda: lock_state(app) == LockState.HARD_LOCKOUT)
            await keys.press("r")
            await until(pilot, lambda: getattr(app.screen, "challenge", None) is not None)
            await keys.press(*hotline_answer(pki, app), "enter")
            await until(pilot, lambda: getattr(app.screen, "outcome", None) is not None)
            await keys.press("escape")
            await until(pilot, lambda: lock_state(app) == LockState.UNLOCKED)
            await app.action_quit()
    return keys


async def whole_visit_keys(pki: Path, folder: Path) -> Keys:
    """The whole visit of tests/tui_visit.py, once, with its key presses counted."""
    import os

    from hil.images import build_test_image

    folder.mkdir(parents=True, exist_ok=True)
    image = build_test_image(pki, folder, "fw-2.4.0", os.urandom(30_000), "2.4.0")
    async with EmulatorProcess("--pki", str(pki), state_dir=folder / "board") as emulator:
        await emulator.board.set_fault(name="jammed_motor")
        await emulator.board.enter_code(code="246810")
        backend = ServiceBackend(pki / "technicians" / "T-1001", data_folder=folder / "data")
        app = SafetoolApp(backend, port=emulator.port, recent=RecentPorts(folder / "r.json"))
        async with app.run_test(size=(80, 24)) as pilot:
            keys = Keys(pilot)
            await whole_visit(app, keys, emulator, pki, image)
            await app.action_quit()
    return keys


async def first_dashboard_s(pki: Path, folder: Path) -> float:
    async with EmulatorProcess("--pki", str(pki), state_dir=folder / "board") as emulator:
        started = time.perf_counter()
        app = SafetoolApp(
            ServiceBackend(pki / "technicians" / "T-1001"),
            port=emulator.port,
            recent=RecentPorts(folder / "recent.json"),
        )
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: lock_state(app) is not None)
            elapsed = time.perf_counter() - started
            await app.action_quit()
    return elapsed


async def main(quick: bool) -> None:
    runs = 1 if quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki = folder / "pki"
        init_dev_pki(pki)
        print("Phone-in recovery in the app, launch to an open lock (80×24, emulated board):")
        for with_port, how in ((False, "launched with no port"), (True, "launched with --port")):
            run = folder / f"path-{with_port}"
            keys = await recovery_path(pki, run, with_port)
            verdict = "ok" if keys.keys <= GOAL_KEYS else "OVER THE GOAL"
            print(
                f"  {how:<22} {keys.keys} key presses + {keys.digits} digits typed "
                f"(goal ≤ {GOAL_KEYS} + digits: {verdict}); keys: {' '.join(keys.log)}"
            )
        visit = await whole_visit_keys(pki, folder / "visit")
        print(
            f"A whole service visit in the app (80×24): {len(visit.commands)} key presses + "
            f"{visit.typed} characters typed (the site, the hotline's response, the image's "
            f"path, the customer's name); keys: {' '.join(visit.commands)}"
        )
        times = [await first_dashboard_s(pki, folder / f"dash-{n}") for n in range(runs)]
        print(
            f"Time to first dashboard (launch → lock state shown), median of {runs}: "
            f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run each (CI smoke run)")
    asyncio.run(main(parser.parse_args().quick))
