"""Screen behaviour that needs no board (fixed data): the command palette lists every action,
placeholders say what is not yet available, disconnecting goes back to Connect, help per screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetool.tui.i18n import set_language
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.help import HelpScreen
from safetool.tui.screens.placeholder import PlaceholderScreen
from safetool.tui.screens.recover import RecoverScreen
from tests.tui_support import fake_app, shown, wait_until


@pytest.fixture(autouse=True)
def english_afterwards() -> object:
    yield None
    set_language("en")


async def test_the_command_palette_lists_every_action(tmp_path: Path) -> None:
    app = fake_app(tmp_path, "en", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for action in (
            "Recover",
            "Policy",
            "Diagnose",
            "Firmware",
            "Audit",
            "Visit",
            "Disconnect",
            "Help",
            "Refresh",
            "Quit",
            "中文",
        ):
            assert action in titles, action
        assert {"Language: English", "Language: 简体中文"} <= titles
        await app.use_language("zh_CN")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"恢复", "策略", "断开", "帮助"} <= titles


@pytest.mark.parametrize(("key", "title"), [("f", "Firmware")])
async def test_screens_without_a_service_say_so(tmp_path: Path, key: str, title: str) -> None:
    app = fake_app(tmp_path, "en", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press(key)
        assert isinstance(app.screen, PlaceholderScreen)
        text = app.screen.query_one("#placeholder-text")
        await wait_until(pilot, lambda: f"{title}: not yet available." in shown(text))
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_f1_help_on_every_screen_and_disconnect(tmp_path: Path) -> None:
    app = fake_app(tmp_path, "en", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        for key in ("r", "c", "d", "a", "v"):
            await pilot.press(key)
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            assert not isinstance(app.screen, (HelpScreen, DashboardScreen))
            await pilot.press("escape")
            assert isinstance(app.screen, DashboardScreen)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectScreen))
        assert app.link is None


async def test_a_refused_response_shows_the_reason_and_attempts_left(tmp_path: Path) -> None:
    app = fake_app(tmp_path, "zh_CN", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, RecoverScreen)
        await wait_until(pilot, lambda: screen.challenge is not None)
        await pilot.press(*"1234567890123", "enter")  # a valid check digit; the fake refuses
        await wait_until(pilot, lambda: screen.outcome is not None)
        await wait_until(pilot, lambda: "应答码错误" in shown(screen.query_one("#result")))
        assert "还剩 2 次尝试" in shown(screen.query_one("#attempts"))
        await pilot.press("f6")
        await wait_until(pilot, lambda: screen.seal_reply is not None)
        await wait_until(pilot, lambda: "123 456 782" in shown(screen.query_one("#seal")))
