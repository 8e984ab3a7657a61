"""The app driven by Textual's Pilot against an emulated board through the real serial stack
(pyserial on a pty to the emulator process), in English and in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from firmware.process import EmulatedBoard
from hil.suite.authority import phone_answer
from protocols.catalogue import LockState
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import ServiceBackend
from safetool.tui.recent import RecentPorts
from safetool.tui.screens.config import ConfigScreen
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.recover import RecoverScreen
from safetool.tui.widgets.error_note import ErrorNote
from safetool.tui.widgets.event_log import EventLog
from safetool.tui.widgets.lock_panel import LockPanel
from tests.trust_helpers import hard_lockout
from tests.tui_support import flow_in, shown, wait_until

WORDS = {
    "en": {"wrong": "wrong code", "unlocked": "unlocked", "saved": "Saved: 1 setting changed."},
    "zh_CN": {"wrong": "密码错误", "unlocked": "已开锁", "saved": "已保存：修改了 1 项设置。"},
}

pytestmark = pytest.mark.in_memory


def make_app(pki: Path, tmp_path: Path, language: str, port: str = "") -> SafetoolApp:
    backend = ServiceBackend(pki / "technicians" / "T-1001")
    return SafetoolApp(
        backend, port=port, language=language, recent=RecentPorts(tmp_path / "recent.json")
    )


def lock_state(app: SafetoolApp) -> LockState | None:
    panel = app.screen.query_one(LockPanel)
    return panel.status.lock_state if panel.status else None


@flow_in("en")
async def test_connect_then_a_wrong_code_shows_in_the_event_log(
    board: EmulatedBoard, pki: Path, tmp_path: Path, language: str
) -> None:
    app = make_app(pki, tmp_path, language)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ConnectScreen)
        await pilot.press("ctrl+l")
        manual = app.screen.query_one("#manual-port")
        manual.value = board.port  # type: ignore[attr-defined]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        panel = app.screen.query_one(LockPanel)
        await wait_until(pilot, lambda: panel.identity is not None, what="identity")
        await wait_until(pilot, lambda: "SL-0000-0001" in shown(panel), what="serial shown")
        assert "Li Wei" in shown(app.screen.query_one("#technician"))

        await board.board.enter_code(code="999999")
        log = app.screen.query_one(EventLog)
        await wait_until(pilot, lambda: WORDS[language]["wrong"] in shown(log), what="event")
        assert RecentPorts(tmp_path / "recent.json").load() == [board.port]
        await pilot.press("ctrl+q")
    assert app.return_code in (0, None)


@flow_in("zh_CN")
async def test_hard_lockout_recovered_by_phone(
    board: EmulatedBoard, pki: Path, tmp_path: Path, language: str
) -> None:
    await hard_lockout(board)
    app = make_app(pki, tmp_path, language, port=board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await wait_until(pilot, lambda: lock_state(app) == LockState.HARD_LOCKOUT, what="lockout")
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, RecoverScreen)
        await wait_until(pilot, lambda: screen.challenge is not None, what="challenge")
        assert screen.challenge is not None
        response = phone_answer(pki, screen.challenge, "T-1001")

        # A misheard digit is caught as it is typed; nothing reaches the lock.
        wrong = response[:-1] + str((int(response[-1]) + 1) % 10)
        await pilot.press(*wrong, "enter")
        await pilot.pause(0.2)
        assert screen.outcome is None
        await pilot.press(*["backspace"] * len(wrong))

        await pilot.press(*response, "enter")
        await wait_until(pilot, lambda: screen.outcome is not None, what="outcome")
        assert screen.outcome is not None and screen.outcome.opened
        await pilot.pause(0.1)
        # beside the success, no "0 attempts left" (it read as a failure)
        assert str(screen.query_one("#attempts", Static).render()).strip() == ""
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await wait_until(pilot, lambda: lock_state(app) == LockState.UNLOCKED, what="unlocked")
        panel = app.screen.query_one(LockPanel)
        await wait_until(pilot, lambda: WORDS[language]["unlocked"] in shown(panel), what="shown")
        await pilot.press("ctrl+q")


@flow_in("en")
async def test_policy_change(
    board: EmulatedBoard, pki: Path, tmp_path: Path, language: str
) -> None:
    app = make_app(pki, tmp_path, language, port=board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, ConfigScreen)
        await wait_until(pilot, lambda: screen.policy is not None, what="policy")
        assert screen.policy is not None and screen.policy["time_delay_s"] == 0
        field = screen.query_one("#policy-time_delay_s")
        field.focus()
        await pilot.press("ctrl+a", "ctrl+k", "6", "0", "0", "ctrl+s")
        await wait_until(pilot, lambda: bool(screen.changed), what="saved")
        assert screen.changed == {"time_delay_s": (0, 600)}
        status = screen.query_one("#config-status")
        await wait_until(pilot, lambda: WORDS[language]["saved"] in shown(status), what="saved")
        await pilot.press("ctrl+q")


async def test_a_silent_port_shows_the_error_in_place(
    board: EmulatedBoard, pki: Path, tmp_path: Path
) -> None:
    await board.board.mute(on=True)
    app = make_app(pki, tmp_path, "en", port=board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        note = app.screen.query_one(ErrorNote)
        await wait_until(
            pilot, lambda: "No lock controller answered" in shown(note), timeout_s=8, what="error"
        )
        assert isinstance(app.screen, ConnectScreen)
        await pilot.press("ctrl+q")


async def test_language_switches_while_running(
    board: EmulatedBoard, pki: Path, tmp_path: Path
) -> None:
    app = make_app(pki, tmp_path, "en", port=board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await wait_until(pilot, lambda: app.screen.query_one(LockPanel).status is not None)
        await pilot.press("f2")
        await wait_until(pilot, lambda: "已上锁" in shown(app.screen.query_one(LockPanel)))
        await pilot.press("f2")
        await wait_until(pilot, lambda: "locked" in shown(app.screen.query_one(LockPanel)))
        await pilot.press("ctrl+q")
