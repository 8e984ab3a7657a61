"""Each screen at 80×24 in both languages (pytest-textual-snapshot). The SVGs live in
tests/__snapshots__/test_tui_snapshots/; review them by eye when they change
(``pytest tests/app/test_tui_snapshots.py --snapshot-update``, then look at the diff report)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.events import Mount
from textual.pilot import Pilot
from textual.widgets import Input

from hil.images import build_test_image
from safetool.services.devpki import init_dev_pki
from safetool.tui.app import SafetoolApp
from safetool.tui.i18n import set_language
from safetool.tui.screens.audit import AuditScreen
from safetool.tui.screens.config import ConfigScreen
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.diagnose import DiagnoseScreen
from safetool.tui.screens.file_dialog import ImageDialog
from safetool.tui.screens.firmware import FirmwareScreen
from safetool.tui.screens.help import HelpScreen
from safetool.tui.screens.keypad import KeypadDialog
from safetool.tui.screens.recover import RecoverScreen
from safetool.tui.screens.visit import VisitScreen
from tests.tui_support import fake_app, wait_until

LANGUAGES = ["en", "zh_CN"]
SnapCompare = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture(autouse=True)
def english_afterwards() -> object:
    yield None
    set_language("en")


@pytest.fixture(autouse=True)
def steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A focused input blinks its cursor every 0.5 s of real time, so a screenshot taken on a
    busy machine could catch it either way. Here a cursor shows while its input has the focus,
    as it does in the first half second after a key press."""
    mount = Input._on_mount

    def mount_steady(self: Input, event: Mount) -> None:
        mount(self, event)
        self.cursor_blink = False

    monkeypatch.setattr(Input, "_on_mount", mount_steady)


async def until(pilot: Pilot[None], check: Callable[[], bool]) -> None:
    """Let the app run until ``check()`` holds: a screenshot of a screen that is not ready yet
    would be a wrong picture, so a wait that runs out fails here and says so."""
    await wait_until(pilot, check, timeout_s=30, what="the screen to be ready for its picture")


def steady(run_before: RunBefore) -> RunBefore:
    """``run_before``, then wait for a steady screen: what the picture is taken of."""

    async def then_settled(pilot: Pilot[None]) -> None:
        await run_before(pilot)
        await settled(pilot)

    return then_settled


async def settled(pilot: Pilot[None], frames: int = 3) -> None:
    """Let the app draw until ``frames`` pictures in a row are the same. A state the screen
    holds can reach the picture a frame later: on a busy machine a text that grew from one
    line to four was once taken with only its first line, before the new layout."""
    pictures: list[str] = []
    for _ in range(200):
        await pilot.pause(0.02)
        pictures = [*pictures[-(frames - 1) :], pilot.app.export_screenshot()]
        if len(pictures) == frames and len(set(pictures)) == 1:
            return
    raise AssertionError("the screen kept changing over 200 frames: no steady picture to compare")


async def on_dashboard(pilot: Pilot[None]) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
    await until(pilot, lambda: len(app.screen.query_one("#event-log").lines) >= 5)  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", LANGUAGES)
def test_connect(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, ConnectScreen))

    assert snap_compare(fake_app(tmp_path, language), run_before=steady(ready))


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(on_dashboard))


def test_dashboard_light_theme(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app = fake_app(tmp_path, "en", port="/dev/ttyUSB0", theme="textual-light")
    assert snap_compare(app, run_before=steady(on_dashboard))


@pytest.mark.parametrize("language", LANGUAGES)
def test_recover(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def typing_the_response(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("r")
        screen = pilot.app.screen
        assert isinstance(screen, RecoverScreen)
        await until(pilot, lambda: screen.challenge is not None)
        await pilot.press(*"12345678")

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(typing_the_response))


@pytest.mark.parametrize("language", LANGUAGES)
def test_config(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def changed(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("c")
        screen = pilot.app.screen
        assert isinstance(screen, ConfigScreen)
        await until(pilot, lambda: screen.policy is not None)
        screen.query_one("#policy-lockout_s").focus()
        await pilot.press("ctrl+a", "ctrl+k", *"600", "ctrl+s")
        await until(pilot, lambda: bool(screen.changed))

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(changed))


@pytest.mark.parametrize("language", LANGUAGES)
def test_help(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def help_open(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(help_open))


@pytest.mark.parametrize("language", LANGUAGES)
def test_diagnose(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def finished(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("d")
        screen = pilot.app.screen
        assert isinstance(screen, DiagnoseScreen)
        await pilot.press("f5")
        await until(pilot, lambda: screen.report is not None)

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(finished))


def test_keypad_dialog(snap_compare: SnapCompare, tmp_path: Path) -> None:
    async def three_keys(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        app = pilot.app
        assert isinstance(app, SafetoolApp) and app.link is not None
        dialog = KeypadDialog(app.link)
        await app.push_screen(dialog)
        for key in "15#":
            dialog.key_seen(key)

    app = fake_app(tmp_path, "zh_CN", port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(three_keys))


@pytest.mark.parametrize("language", LANGUAGES)
def test_audit(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def downloaded(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("a")
        screen = pilot.app.screen
        assert isinstance(screen, AuditScreen)
        await until(pilot, lambda: screen.report is not None)
        screen.query_one("#audit-text").focus()
        await pilot.press(*"slot")

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(downloaded))


@pytest.mark.parametrize("language", LANGUAGES)
def test_visit(snap_compare: SnapCompare, tmp_path: Path, language: str) -> None:
    async def site_typed(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("v")
        screen = pilot.app.screen
        assert isinstance(screen, VisitScreen)
        await until(pilot, lambda: bool(screen.parts))
        screen.query_one("#visit-site").focus()
        await pilot.press(*"Bank of Qingdao")

    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(site_typed))


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A downgrade the fake lock's floor (2) allows, and one it refuses (counter 1)."""
    root = tmp_path_factory.mktemp("snapshot-images")
    init_dev_pki(root / "pki")
    payload = bytes(range(256)) * 96  # fixed: the size shown stays the same
    return {
        "allowed": build_test_image(
            root / "pki", root, "safe-2.1.0", payload, "2.1.0", security_counter=2
        ),
        "refused": build_test_image(root / "pki", root, "safe-2.0.0", payload, "2.0.0"),
    }


def firmware_with(image: Path) -> RunBefore:
    async def prechecked(pilot: Pilot[None]) -> None:
        await on_dashboard(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(pilot.app.screen, FirmwareScreen))
        screen = pilot.app.screen
        assert isinstance(screen, FirmwareScreen)
        await until(pilot, lambda: screen.status is not None)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(pilot.app.screen, ImageDialog))
        pilot.app.screen.query_one(Input).value = str(image)
        await pilot.press("enter")
        await until(pilot, lambda: screen.plan is not None or screen.refusal is not None)

    return prechecked


@pytest.mark.parametrize("language", LANGUAGES)
def test_firmware_precheck(
    snap_compare: SnapCompare, tmp_path: Path, language: str, images: dict[str, Path]
) -> None:
    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(firmware_with(images["allowed"])))


@pytest.mark.parametrize("language", LANGUAGES)
def test_firmware_refused_below_the_floor(
    snap_compare: SnapCompare, tmp_path: Path, language: str, images: dict[str, Path]
) -> None:
    app = fake_app(tmp_path, language, port="/dev/ttyUSB0")
    assert snap_compare(app, run_before=steady(firmware_with(images["refused"])))
