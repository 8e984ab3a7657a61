"""The Firmware screen driven by Textual's Pilot against an emulated board through the real
serial stack (pyserial on a pty to the emulator process), in English and in Chinese: an
upgrade and a downgrade by the same steps (recorded in the open visit), a refusal below the
security floor with nothing sent, and a cancel mid-transfer followed by a retry that resumes.
Also: diagnostics and the audit trail are kept in the open visit by themselves."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from textual.widgets import Input

from hil.images import build_test_image
from hil.plugin import BoardFactory
from safetool.client import LockClient
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from safetool.services.firmware_image import read_image
from safetool.services.firmware_install import install, plan_install
from safetool.services.firmware_status import firmware_status
from safetool.services.visits import ServiceRecord
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import ServiceBackend
from safetool.tui.i18n import set_language
from safetool.tui.recent import RecentPorts
from safetool.tui.screens.audit import AuditScreen
from safetool.tui.screens.confirm import ConfirmDialog
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.diagnose import DiagnoseScreen
from safetool.tui.screens.file_dialog import ImageDialog
from safetool.tui.screens.firmware import FirmwareScreen
from tests.tui_support import flow_in, shown, wait_until

TECHNICIAN = "technicians/T-1001"
WORDS = {
    "en": {
        "factory": "2.3.1 (factory image)",
        "up": "2.3.1 → 2.4.0 (newer)",
        "down": "2.4.0 → 2.2.0 (older)",
        "installed": "Installed 2.4.0 in slot A, confirmed",
        "installed_down": "Installed 2.2.0 in slot B, confirmed",
        "running_b": "2.2.0 from slot B",
        "back": "it still holds 2.4.0: nothing to send",
        "delta": "delta from slot A (2.4.0)",
        "refused": "Refused by the pre-check: nothing was sent to the lock.",
        "floor": "its security counter is 1; the lock's security floor is 3",
        "allow": "What to do: Install a release whose security counter is 3 or more",
        "cancelled": "Cancelled: nothing was installed",
        "rate": "/s",
        "left": "left",
    },
    "zh_CN": {
        "factory": "2.3.1（出厂固件）",
        "up": "2.3.1 → 2.4.0（升级）",
        "down": "2.4.0 → 2.2.0（降级）",
        "installed": "已将 2.4.0 安装到槽位 A 并确认",
        "installed_down": "已将 2.2.0 安装到槽位 B 并确认",
        "running_b": "2.2.0，来自槽位 B",
        "back": "该槽位仍保存着 2.4.0",
        "delta": "基于槽位 A（2.4.0）的增量",
        "refused": "预检拒绝：未向锁发送任何数据。",
        "floor": "其安全计数器为 1；锁的安全下限为 3",
        "allow": "处理办法：请安装安全计数器不低于 3 的版本",
        "cancelled": "已取消：未安装任何内容",
        "rate": "/s",
        "left": "剩余",
    },
}

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tui-firmware") / "pki"
    init_dev_pki(directory)
    return directory


@pytest.fixture(scope="module")
def images(pki: Path) -> dict[str, Path]:
    """Incompressible 48 KiB payloads, so a transfer at 115200 baud takes seconds."""
    payload = os.urandom(48 * 1024)
    root = pki.parent
    return {
        "v240": build_test_image(pki, root, "v240", payload, "2.4.0"),
        "v220": build_test_image(pki, root, "v220", payload, "2.2.0"),
        "v250_sec3": build_test_image(pki, root, "v250", payload, "2.5.0", security_counter=3),
    }


@pytest_asyncio.fixture(autouse=True)
async def english_afterwards() -> AsyncIterator[None]:
    yield
    set_language("en")


def make_app(pki: Path, data: Path, language: str, port: str) -> SafetoolApp:
    backend = ServiceBackend(pki / TECHNICIAN, data_folder=data)
    return SafetoolApp(
        backend, port=port, language=language, recent=RecentPorts(data / "recent.json")
    )


async def on_firmware_screen(app: SafetoolApp, pilot: Any) -> FirmwareScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
    await pilot.press("f")
    await wait_until(pilot, lambda: isinstance(app.screen, FirmwareScreen), what="firmware")
    screen = app.screen
    assert isinstance(screen, FirmwareScreen)
    await wait_until(pilot, lambda: screen.status is not None, timeout_s=15, what="slots read")
    return screen


async def choose(app: SafetoolApp, pilot: Any, screen: FirmwareScreen, image: Path) -> None:
    await pilot.press("o")
    await wait_until(pilot, lambda: isinstance(app.screen, ImageDialog), what="image dialog")
    app.screen.query_one(Input).value = str(image)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, FirmwareScreen), what="dialog closed")
    await wait_until(
        pilot,
        lambda: not screen.busy and (screen.plan is not None or screen.refusal is not None),
        timeout_s=15,
        what="pre-check",
    )


async def confirm_install(app: SafetoolApp, pilot: Any) -> None:
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="confirmation")
    dialog, firmware = app.screen, app.screen_stack[-2]
    assert isinstance(dialog, ConfirmDialog) and isinstance(firmware, FirmwareScreen)
    if firmware.plan is not None and firmware.plan.precheck.raises_floor:
        # the one step an install cannot take back is said again where it is confirmed
        assert "floor" in dialog.question or "下限" in dialog.question, dialog.question
    await pilot.press("y")


async def board_firmware(port: str, pki: Path) -> tuple[str, Any]:
    """What the board runs, read by a fresh client once the app has let the port go."""
    async with await LockClient.connect(port) as client:
        version = (await client.identify()).firmware_version
        status = await firmware_status(client, TechnicianIdentity.load(pki / TECHNICIAN))
    return version, status


@flow_in("zh_CN")
async def test_an_upgrade_then_a_downgrade_by_the_same_steps_recorded_in_the_visit(
    pki: Path,
    images: dict[str, Path],
    board_factory: BoardFactory,
    tmp_path: Path,
    language: str,
) -> None:
    board = await board_factory("--pki", str(pki), "--baud", "460800")
    words = WORDS[language]
    with ServiceRecord(tmp_path / "visits.sqlite") as record:
        visit_id, _ = record.start(
            serial="SL-0000-0001", site="Bank of Qingdao", technician="T-1001",
            firmware_before="2.3.1",
        )  # fmt: skip
    app = make_app(pki, tmp_path, language, board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        box = app.screen.query_one("#dashboard-firmware")
        await wait_until(pilot, lambda: words["factory"] in shown(box), what="dashboard slots")
        screen = await on_firmware_screen(app, pilot)
        assert words["factory"] in shown(screen.query_one("#firmware-slots"))

        await choose(app, pilot, screen, images["v240"])
        assert screen.plan is not None and screen.refusal is None
        assert words["up"] in shown(screen.query_one("#firmware-plan"))
        await confirm_install(app, pilot)
        rates: set[str] = set()

        def done() -> bool:
            rates.add(shown(screen.query_one("#firmware-rate")))
            return screen.outcome is not None or screen.failure is not None

        await wait_until(pilot, done, timeout_s=60, what="upgrade")
        assert screen.failure is None, screen.failure
        assert any(words["rate"] in r and words["left"] in r for r in rates), rates
        assert words["installed"] in shown(screen.query_one("#firmware-result"))
        await wait_until(pilot, lambda: screen.visit_id == visit_id, what="recorded in visit")

        await choose(app, pilot, screen, images["v220"])
        assert words["down"] in shown(screen.query_one("#firmware-plan"))
        # the app installed 2.4.0 and keeps it: 2.2.0 goes as a patch from it (issue 18)
        assert words["delta"] in shown(screen.query_one("#firmware-plan"))
        await confirm_install(app, pilot)
        await wait_until(
            pilot, lambda: screen.outcome is not None or screen.failure is not None, timeout_s=60
        )
        assert screen.failure is None, screen.failure
        assert words["installed_down"] in shown(screen.query_one("#firmware-result"))
        await wait_until(
            pilot,
            lambda: screen.status is not None and screen.status.running_version == "2.2.0",
            what="slots read again",
        )
        assert words["running_b"] in shown(screen.query_one("#firmware-slots"))
        # back to 2.4.0, which slot A still holds: the plan says nothing need be sent; not
        # installed (the technician leaves the screen after the pre-check)
        await choose(app, pilot, screen, images["v240"])
        assert words["back"] in shown(screen.query_one("#firmware-plan"))

        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back")
        box = app.screen.query_one("#dashboard-firmware")
        await wait_until(pilot, lambda: words["running_b"] in shown(box), what="dashboard again")
        panel = app.screen.query_one("#lock-panel")
        await wait_until(pilot, lambda: "2.2.0" in shown(panel), what="lock panel firmware")
        assert app.screen.link_error is None, app.screen.link_error
        await pilot.press("ctrl+q")

    version, status = await board_firmware(board.port, pki)
    assert version == "2.2.0" and status.active_slot == "B" and not status.trial_pending
    with ServiceRecord(tmp_path / "visits.sqlite") as record:
        visit = record.visit(visit_id)
    assert visit["firmware"] == {"before": "2.3.1", "after": "2.2.0"}
    assert len(visit["work_done"]) == 2 and "2.4.0 → 2.2.0" in visit["work_done"][1]


@flow_in("en")
async def test_below_the_floor_is_refused_with_the_floor_named_and_nothing_sent(
    pki: Path,
    images: dict[str, Path],
    board_factory: BoardFactory,
    tmp_path: Path,
    language: str,
) -> None:
    board = await board_factory("--pki", str(pki), "--baud", "460800")
    identity = TechnicianIdentity.load(pki / TECHNICIAN)
    image = read_image(images["v250_sec3"])
    async with await LockClient.connect(board.port) as client:
        plan = await plan_install(client, identity, image, port=board.port, source="setup")
        await install(client, identity, image, plan)  # confirming it raises the floor to 3
    words = WORDS[language]
    app = make_app(pki, tmp_path, language, board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_firmware_screen(app, pilot)
        assert screen.status is not None and screen.status.security_floor == 3
        before = await board.board.counters()
        await choose(app, pilot, screen, images["v220"])
        after = await board.board.counters()
        assert screen.plan is None and screen.refusal is not None
        assert words["refused"] in shown(screen.query_one("#firmware-plan"))
        note = shown(screen.query_one("#firmware-error")).replace("\n", "").replace(" ", "")
        assert words["floor"].replace(" ", "") in note
        assert words["allow"].replace(" ", "") in note
        assert after["data_operations"] == before["data_operations"]  # no slot or state write
        assert after["bytes_in"] - before["bytes_in"] < 4096  # the 48 KiB image never went out
        await pilot.press("i")  # nothing to install: no confirmation comes up
        await pilot.pause(0.2)
        assert isinstance(app.screen, FirmwareScreen)
        await pilot.press("ctrl+q")
    version, _status = await board_firmware(board.port, pki)
    assert version == "2.5.0"


@flow_in("zh_CN")
async def test_a_cancel_mid_transfer_leaves_the_lock_as_it_was_and_the_retry_resumes(
    pki: Path,
    images: dict[str, Path],
    board_factory: BoardFactory,
    tmp_path: Path,
    language: str,
) -> None:
    board = await board_factory("--pki", str(pki))  # 115200 baud: the transfer takes seconds
    size = images["v240"].stat().st_size
    words = WORDS[language]
    app = make_app(pki, tmp_path, language, board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_firmware_screen(app, pilot)
        await choose(app, pilot, screen, images["v240"])
        await confirm_install(app, pilot)
        await wait_until(
            pilot, lambda: screen.done_bytes > size // 3, timeout_s=30, what="a third sent"
        )
        assert screen.phase == "transfer"
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.cancelled_in == "transfer", what="cancelled")
        await wait_until(
            pilot, lambda: not screen.busy and screen.plan is not None, timeout_s=15,
            what="checked again",
        )  # fmt: skip
        assert words["cancelled"] in shown(screen.query_one("#firmware-result"))
        assert screen.status is not None and screen.status.active_slot is None
        assert screen.status.running_version == "2.3.1"  # the lock is as it was
        assert screen.outcome is None

        await confirm_install(app, pilot)
        await wait_until(
            pilot, lambda: screen.outcome is not None or screen.failure is not None, timeout_s=60
        )
        assert screen.failure is None, screen.failure
        assert screen.outcome is not None and screen.outcome.resumed_from  # not from byte 0
        assert screen.outcome.resumed_from[0] >= size // 4
        assert words["installed"] in shown(screen.query_one("#firmware-result"))
        await pilot.press("ctrl+q")
    version, status = await board_firmware(board.port, pki)
    assert version == "2.4.0" and status.last_result == "confirmed"


async def test_a_cancel_after_the_trial_boot_leaves_a_working_link_and_i_confirms(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory, tmp_path: Path
) -> None:
    """Esc once the lock runs the new image on trial: the link still works (the pre-check runs
    again and finds the trial), nothing is confirmed, and I then confirms only."""
    board = await board_factory("--pki", str(pki), "--baud", "921600")
    await board.board.set_link(latency_ms=150)  # every step after the trial boot takes a while
    app = make_app(pki, tmp_path, "en", board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_firmware_screen(app, pilot)
        await choose(app, pilot, screen, images["v240"])
        await confirm_install(app, pilot)
        await wait_until(
            pilot, lambda: screen.phase == "reboot", timeout_s=60, what="the trial boot"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.cancelled_in != "", what="cancelled")
        assert screen.cancelled_in in ("reboot", "health", "confirm")
        await wait_until(
            pilot, lambda: not screen.busy and screen.plan is not None, timeout_s=30,
            what="checked again over the same link",
        )  # fmt: skip
        assert screen.plan is not None and screen.plan.finish_only  # 2.4.0 runs on trial
        assert "Cancelled after the trial boot" in shown(screen.query_one("#firmware-result"))
        await confirm_install(app, pilot)
        await wait_until(
            pilot, lambda: screen.outcome is not None or screen.failure is not None, timeout_s=60
        )
        assert screen.failure is None, screen.failure
        assert screen.outcome is not None and not screen.outcome.transfers  # confirmed only
        await pilot.press("ctrl+q")
    version, status = await board_firmware(board.port, pki)
    assert version == "2.4.0" and status.last_result == "confirmed"


async def test_diagnostics_and_the_audit_trail_are_kept_in_the_open_visit(
    pki: Path, board_factory: BoardFactory, tmp_path: Path
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.set_fault(name="weak_battery", rest_mv=4700)
    with ServiceRecord(tmp_path / "visits.sqlite") as record:
        visit_id, _ = record.start(serial="SL-0000-0001", site="Depot 4", technician="T-1001")
    app = make_app(pki, tmp_path, "en", board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, DiagnoseScreen), what="diagnose")
        diagnose = app.screen
        assert isinstance(diagnose, DiagnoseScreen)
        await pilot.press("a", "space", "f5")  # none, then the battery alone
        assert diagnose.planned == ["battery"]
        await wait_until(pilot, lambda: diagnose.attached_to == visit_id, timeout_s=15)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="back")
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), what="audit")
        audit = app.screen
        assert isinstance(audit, AuditScreen)
        await wait_until(pilot, lambda: audit.attached_to == visit_id, timeout_s=15)
        assert audit.report is not None
        count = len(audit.report.entries)
        await pilot.press("ctrl+q")
    await asyncio.sleep(0)
    with ServiceRecord(tmp_path / "visits.sqlite") as record:
        visit = record.visit(visit_id)
    assert [(c["name"], c["verdict"], c["part_number"]) for c in visit["checks"]] == [
        ("battery", "fail", "SL-BAT-4AA")
    ]
    assert visit["audit"] is not None and visit["audit"]["verified"]
    assert len(visit["audit"]["entries"]) == min(count, 50)
