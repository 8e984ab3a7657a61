"""Screen behaviour that needs no board (fixed data): the command palette lists every action,
the dashboard's firmware box and the Firmware screen, disconnecting goes back to Connect, help
per screen, service errors in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from safetool.tui.i18n import set_language
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.firmware import FirmwareScreen
from safetool.tui.screens.help import HelpScreen
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


async def test_the_dashboard_shows_the_firmware_slots_and_f_opens_the_firmware_screen(
    tmp_path: Path,
) -> None:
    app = fake_app(tmp_path, "en", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        box = app.screen.query_one("#dashboard-firmware")
        await wait_until(pilot, lambda: "2.3.1 from slot A" in shown(box), what="running")
        assert "2.2.0 (valid, counter 1)" in shown(box) and "floor 2" in shown(box)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FirmwareScreen))
        screen = app.screen
        assert isinstance(screen, FirmwareScreen)
        slots = screen.query_one("#firmware-slots")
        await wait_until(pilot, lambda: "Security floor" in shown(slots), what="slots")
        assert "No image chosen: press O." in shown(screen.query_one("#firmware-image"))
        titles = {command.title for command in app.get_system_commands(screen)}
        assert {"Image", "Install", "Refresh", "Back", "Help"} <= titles
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


@pytest.mark.parametrize(
    ("language", "offset_s", "expected"),
    [
        ("en", 3 * 86400 + 7200, "3 d 2 h fast"),
        ("zh_CN", 3 * 86400 + 7200, "快 3 天 2 小时"),
        ("en", -2400, "40 min slow"),
        ("en", 40.0, None),
    ],
)
async def test_the_dashboard_shows_a_clock_skew_only_when_it_matters(
    tmp_path: Path, language: str, offset_s: float, expected: str | None
) -> None:
    """Issue 14: a lock days fast or 40 minutes slow says so, and what it affects; 40 s off, a
    laptop's nudge puts right, says nothing."""
    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    app.backend.clock_offset = offset_s  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        note = app.screen.query_one("#clock-skew")
        box = app.screen.query_one("#dashboard-firmware")
        await wait_until(pilot, lambda: "2.3.1" in shown(box), what="firmware")
        await pilot.pause(0.2)
        if expected is None:
            assert note.has_class("hidden")
            return
        text = "".join(expected.split())
        await wait_until(pilot, lambda: text in "".join(shown(note).split()), what=text)
        assert "--authority" in shown(note) and not note.has_class("hidden")


async def test_a_paced_answer_says_how_long_and_keeps_the_digits(tmp_path: Path) -> None:
    """Issue 14: the lock pacing answers says how long to wait; the 13 digits stay typed."""
    app = fake_app(tmp_path, "zh_CN", port="/dev/ttyUSB0")
    app.backend.pacing_s = 240  # type: ignore[attr-defined]
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("r")
        screen = app.screen
        assert isinstance(screen, RecoverScreen)
        await wait_until(pilot, lambda: screen.challenge is not None)
        await pilot.press(*"1234567890123", "enter")
        await wait_until(pilot, lambda: screen.outcome is not None)

        def result() -> str:
            return "".join(shown(screen.query_one("#result")).split())

        await wait_until(pilot, lambda: "240秒后" in result(), what="the wait")
        assert "无需重新输入" in result()
        assert screen.query_one("#response").query_one(Input).value == "1234567890123"


async def test_f1_help_on_every_screen_and_disconnect(tmp_path: Path) -> None:
    app = fake_app(tmp_path, "en", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        for key in ("r", "c", "d", "a", "v", "f"):
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


async def test_the_image_dialog_lists_the_folders_images_and_a_bad_file_is_refused_in_chinese(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input, OptionList

    from safetool.tui.screens.file_dialog import ImageDialog

    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an image")
    (folder / "raw-build.bin").write_bytes(b"\x7fELF" + b"\0" * 60)  # the raw build, unsigned
    app = fake_app(tmp_path, "zh_CN", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FirmwareScreen))
        screen = app.screen
        assert isinstance(screen, FirmwareScreen)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ImageDialog))
        dialog = app.screen
        dialog.query_one(Input).value = f"{folder}/"
        choices = dialog.query_one(OptionList)
        await wait_until(pilot, lambda: choices.option_count == 1, what="the folder's images")
        assert str(choices.get_option_at_index(0).prompt) == "raw-build.bin"
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: screen.refusal is not None, what="refused")
        assert screen.image_path == folder / "raw-build.bin" and screen.plan is None
        assert "预检拒绝：未向锁发送任何数据。" in shown(screen.query_one("#firmware-plan"))
        note = shown(screen.query_one("#firmware-error")).replace("\n", "").replace(" ", "")
        assert "raw-build.bin：固件被拒绝" in note  # the service's refusal, in Chinese
        assert "这不是MCUboot固件" in note and "处理办法：" in note
        await pilot.press("i")  # nothing passed the pre-check: no confirmation
        await pilot.pause(0.1)
        assert app.screen is screen
