"""Screen behaviour that needs no board (fixed data): the command palette lists every action,
the dashboard's firmware box and the Firmware screen, disconnecting goes back to Connect, help
per screen, service errors in Chinese, a footer that draws its keys again only when they change."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from safetool.tui.i18n import set_language
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.firmware import FirmwareScreen
from safetool.tui.screens.help import HelpScreen
from safetool.tui.screens.recover import RecoverScreen
from safetool.tui.widgets.key_footer import KeyFooter
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


async def _image_dialog(pilot: Any) -> tuple[FirmwareScreen, ModalScreen[Any]]:
    """From launch to the firmware screen's image dialog (F, then O)."""
    from safetool.tui.screens.file_dialog import ImageDialog

    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
    await pilot.press("f")
    await wait_until(pilot, lambda: isinstance(app.screen, FirmwareScreen))
    screen = app.screen
    assert isinstance(screen, FirmwareScreen)
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, ImageDialog))
    dialog = app.screen
    assert isinstance(dialog, ImageDialog)
    return screen, dialog


async def test_the_image_dialog_lists_the_folders_images_and_a_bad_file_is_refused_in_chinese(
    tmp_path: Path,
) -> None:
    from textual.widgets import Input, OptionList

    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an image")
    (folder / "raw-build.bin").write_bytes(b"\x7fELF" + b"\0" * 60)  # the raw build, unsigned
    app = fake_app(tmp_path, "zh_CN", port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, dialog = await _image_dialog(pilot)
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


def _footer_keys(app: object) -> list[str]:
    """The keys the footer shows whole, left to right (a key cut at the edge is not shown)."""
    from textual.app import App
    from textual.widgets._footer import FooterKey

    assert isinstance(app, App)
    width = app.size.width
    return [
        key.key_display
        for key in app.screen.query(FooterKey)
        if key.display and 0 < key.region.right <= width
    ]


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_footer_shows_the_visit_keys_and_how_to_quit_at_every_width(
    tmp_path: Path, language: str, width: int
) -> None:
    """Issue 20.6: Audit, Visit and Firmware were never in the footer, nor quitting, nor
    Ctrl+L on Connect. Keys hidden at 80 columns (Policy, Disconnect) still work."""
    app = fake_app(tmp_path, language)
    async with app.run_test(size=(width, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectScreen))
        expected = {"f1", "f5", "^l", "^q", "f2"}
        await wait_until(pilot, lambda: expected <= set(_footer_keys(app)), what="footer")
        await pilot.press("ctrl+l")
        assert isinstance(app.focused, Input) and app.focused.id == "manual-port"
        app.focused.value = "/dev/ttyUSB0"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        expected = {"f1", "r", "d", "f", "a", "v", "^q", "f2"}
        await wait_until(pilot, lambda: expected <= set(_footer_keys(app)), what="footer")
        keys = _footer_keys(app)
        if width >= 100 or language == "zh_CN":
            assert {"c", "x"} <= set(keys), keys
        await pilot.press("c")  # Policy works whether or not the footer shows it
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfigScreen")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_diagnose_names_and_readings_are_whole_at_80_columns(
    tmp_path: Path, language: str
) -> None:
    """Issue 20.6: at 80x24 the checks list cut the names ("Battery under l…") and squeezed
    the readings ("exten"). Results take the whole width once checks run; S brings the list
    back, wide enough for every name."""
    from textual.widgets import DataTable, SelectionList

    from safetool.services.diagnostics import CHECKS
    from safetool.tui.diag_texts import check_title
    from safetool.tui.screens.diagnose import DiagnoseScreen

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DiagnoseScreen)
        picker = screen.query_one(SelectionList)
        await pilot.pause(0.1)
        assert picker.display and "…" not in shown(picker)
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.report is not None)
        await pilot.pause(0.1)
        table = screen.query_one(DataTable)
        assert not picker.display
        text = shown(table)
        assert "…" not in text and "4700 mV" in text, text
        visible = [name for name in CHECKS if check_title(name) in text]
        assert len(visible) >= 8, text  # the rows that fit, each named in full
        await pilot.press("s")
        await pilot.pause(0.1)
        assert picker.display and app.focused is picker
        assert all(check_title(name) in shown(picker) for name in list(CHECKS)[:6])


class _TwoFields(App[None]):
    """Two inputs and the footer: focus moves without changing the keys; ``armed`` adds one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "download", "Download"),
        Binding("f6", "export", "Export"),
    ]
    armed = reactive(False, bindings=True)

    def compose(self) -> ComposeResult:
        yield Input(id="one")
        yield Input(id="two")
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return True if action != "export" or self.armed else None  # None: shown, disabled


async def test_the_footer_draws_its_keys_again_only_when_they_change() -> None:
    """Textual asks the footer to redraw after every change of focus; mounting its keys anew
    each time cost a fifth of the app's drawing. A change of the keys still shows at once."""
    app = _TwoFields()
    async with app.run_test(size=(80, 10)) as pilot:
        await wait_until(pilot, lambda: len(app.query(FooterKey)) == 2, what="footer")
        drawn = list(app.query(FooterKey))
        for field in ("#two", "#one", "#two"):
            app.query_one(field).focus()
            await pilot.pause()
        assert list(app.query(FooterKey)) == drawn  # the same widgets: nothing mounted again
        assert [key.has_class("-disabled") for key in drawn] == [False, True]
        app.armed = True
        await wait_until(
            pilot,
            lambda: [key.has_class("-disabled") for key in app.query(FooterKey)] == [False, False],
        )


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_image_dialog_never_closes_on_nothing(tmp_path: Path, language: str) -> None:
    """Issue 20.6: a path typed fast and Enter once closed the dialog with no image and no
    word. Enter on nothing or on a folder keeps the dialog open and says why; a file typed in
    one burst is read."""
    from textual.widgets import Input, OptionList, Static

    folder = tmp_path / "releases"
    folder.mkdir()
    empty = tmp_path / "empty"
    empty.mkdir()
    (folder / "fw-2.4.0.img").write_bytes(b"\x3d\xb8\xf3\x96" + bytes(60))
    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, dialog = await _image_dialog(pilot)
        problem = dialog.query_one("#image-problem", Static)
        await pilot.press("ctrl+u", "enter")  # nothing typed
        await pilot.pause(0.05)
        assert app.screen is dialog and shown(problem).strip()
        typed = dialog.query_one(Input)
        typed.value = str(empty)
        await pilot.press("enter")  # a folder without images
        await pilot.pause(0.05)
        assert app.screen is dialog and ".img" in shown(problem)
        typed.value = str(folder)
        await pilot.press("enter")  # a folder: its images, to pick from
        await pilot.pause(0.05)
        assert app.screen is dialog and isinstance(app.focused, OptionList)
        typed.focus()  # back to typing: the file name in one burst, and Enter
        typed.value = f"{folder}/"
        await pilot.press("end", *"fw-2.4.0.img", "enter")
        await wait_until(pilot, lambda: screen.refusal is not None, what="the image read")
        assert app.screen is screen and screen.image_path == folder / "fw-2.4.0.img"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_demo_says_what_to_try(tmp_path: Path, language: str) -> None:
    """Issue 20.6: the demo gave no hint of what to try. Once, on the dashboard."""
    from safetool.tui.app import SafetoolApp
    from tests.tui_support import FakeBackend

    app = SafetoolApp(FakeBackend(tmp_path), port="/dev/ttyUSB0", language=language, demo=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        await pilot.pause(0.1)
        said = [n.message for n in app._notifications]
        assert len(said) == 1 and ("D to diagnose" in said[0] or "D 诊断" in said[0]), said
        assert ("T-1001" in said[0]) and (("诊断" in said[0]) == (language == "zh_CN"))
        await pilot.press("x")  # back to Connect and in again: said once is enough
        await wait_until(pilot, lambda: not isinstance(app.screen, DashboardScreen))
        app.screen.query_one("#manual-port", Input).value = "/dev/ttyUSB0"
        app.screen.query_one("#manual-port", Input).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
        assert len(list(app._notifications)) <= 1
