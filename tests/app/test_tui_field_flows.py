"""The field flows of the app (diagnose, audit, visit, online recovery) driven by Textual's
Pilot against an emulated board through the real serial stack, in English and in Chinese."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select

from firmware.process import EmulatedBoard
from hil.plugin import BoardFactory
from safetool.services.diagnostics import Verdict
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import ServiceBackend
from safetool.tui.i18n import set_language
from safetool.tui.recent import RecentPorts
from safetool.tui.screens.audit import AuditScreen
from safetool.tui.screens.confirm import ConfirmDialog
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.diagnose import DiagnoseScreen
from safetool.tui.screens.file_dialog import ExportDialog
from safetool.tui.screens.keypad import KeypadDialog
from safetool.tui.screens.recover import RecoverScreen
from safetool.tui.screens.visit import VisitScreen
from tests.trust_helpers import hard_lockout
from tests.tui_support import flow_in, shown, wait_until

WORDS = {
    "en": {"fail": "FAIL", "verified": "verified", "code": "code entered"},
    "zh_CN": {"fail": "不合格", "verified": "已验证", "code": "输入密码"},
}

pytestmark = pytest.mark.in_memory


def make_app(
    pki: Path, tmp_path: Path, language: str, port: str, authority_url: str = ""
) -> SafetoolApp:
    backend = ServiceBackend(
        pki / "technicians" / "T-1001", authority_url=authority_url, data_folder=tmp_path
    )
    return SafetoolApp(
        backend, port=port, language=language, recent=RecentPorts(tmp_path / "recent.json")
    )


@flow_in("zh_CN")
async def test_diagnose_finds_a_fault_and_asks_the_technician(
    board: EmulatedBoard, pki: Path, tmp_path: Path, language: str
) -> None:
    await board.board.set_fault(name="weak_battery", rest_mv=4700)
    app = make_app(pki, tmp_path, language, board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DiagnoseScreen)
        # only the battery, every key and the buzzer: none, then tick three
        await pilot.press("a", "space", *["down"] * 5, "space", "down", "space", "f5")
        assert screen.planned == ["battery", "keypad_keys", "buzzer"]

        await wait_until(pilot, lambda: isinstance(app.screen, KeypadDialog), what="keypad")
        keypad = app.screen
        assert isinstance(keypad, KeypadDialog)
        for key in "0123456789*#":
            await board.board.press_key(key=key)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="buzzer")
        assert keypad.seen == set("0123456789*#")
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.report is not None, timeout_s=15, what="report")

        verdicts = {name: result.verdict for name, result in screen.results.items()}
        assert verdicts == {
            "battery": Verdict.FAIL,
            "keypad_keys": Verdict.PASS,
            "buzzer": Verdict.PASS,
        }
        table = screen.query_one("#diag-results")
        text = shown(table)
        assert WORDS[language]["fail"] in text and "SL-BAT-4AA" in text
        assert "SL-BAT-4AA" in shown(screen.query_one("#diag-detail"))
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("ctrl+q")


@flow_in("en")
async def test_audit_download_verified_filtered_and_exported(
    board: EmulatedBoard, pki: Path, tmp_path: Path, language: str
) -> None:
    await board.board.enter_code(code="999999")
    app = make_app(pki, tmp_path, language, board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await wait_until(pilot, lambda: screen.report is not None, timeout_s=15, what="report")
        assert screen.report is not None and screen.report.verified
        status = shown(screen.query_one("#audit-status"))
        assert WORDS[language]["verified"] in status
        table = screen.query_one(DataTable)
        total = table.row_count
        assert total == len(screen.report.entries) > 1
        word = WORDS[language]["code"]
        cells = [str(cell) for i in range(total) for cell in table.get_row_at(i)]
        assert any(word in cell for cell in cells), cells  # in the interface language
        await wait_until(pilot, lambda: shown(table).strip() != "", what="rows drawn")

        screen.query_one("#audit-text").focus()
        await pilot.press(*"wrong")
        await wait_until(pilot, lambda: 0 < table.row_count < total, what="filtered")
        screen.query_one("#audit-from").focus()
        await pilot.press(*"2999-01-01")
        await wait_until(pilot, lambda: table.row_count == 0, what="nothing after 2999")
        await pilot.press(*["backspace"] * 10)
        await wait_until(pilot, lambda: table.row_count > 0, what="filter cleared")

        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportDialog), what="dialog")
        app.screen.query_one(Input).value = str(tmp_path / "trail.json")
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "trail.json").exists(), what="export")
        document = json.loads((tmp_path / "trail.json").read_text(encoding="utf-8"))
        assert document["verified"] and len(document["entries"]) == table.row_count
        count = screen.query_one("#audit-count")  # the file is written before the line is drawn
        await wait_until(
            pilot, lambda: "trail.json" in shown(count).replace("\n", ""), what="export said"
        )
        await pilot.press("ctrl+q")


@flow_in("zh_CN")
async def test_visit_started_part_added_closed_and_reported(
    board: EmulatedBoard, pki: Path, tmp_path: Path, language: str
) -> None:
    app = make_app(pki, tmp_path, language, board.port)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen), what="dashboard")
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, VisitScreen)
        await wait_until(pilot, lambda: bool(screen.parts), 30, what="model parts")  # under load
        screen.query_one("#visit-site").focus()
        await pilot.press(*"Bank of Qingdao", "f5")
        await wait_until(pilot, lambda: screen.visit is not None, what="visit started")
        assert "SL-0000-0001" in shown(screen.query_one("#visit-status"))

        screen.query_one("#visit-part", Select).value = "SL-BAT-4AA"
        screen.query_one("#visit-quantity").focus()
        await pilot.press("backspace", "2", "f6")
        await wait_until(pilot, lambda: bool(screen.visit and screen.visit["parts"]), what="part")
        screen.query_one("#visit-note").focus()
        await pilot.press(*"battery weak", "f7")
        await wait_until(pilot, lambda: bool(screen.visit and screen.visit["notes"]), what="note")
        assert "2 × SL-BAT-4AA" in shown(screen.query_one("#visit-record"))

        screen.query_one("#visit-rating", Select).value = "5"
        screen.query_one("#visit-signoff").focus()
        await pilot.press(*"Wang Fang", "f8")
        await wait_until(pilot, lambda: screen.report_path is not None, what="report")
        assert screen.visit is not None and screen.visit["status"] == "closed"
        assert screen.visit["satisfaction"]["rating"] == 5
        assert screen.report_path is not None
        html = screen.report_path.read_text(encoding="utf-8")
        assert "SL-BAT-4AA" in html and "Wang Fang" in html
        from safetool.report_signature import read_embedded  # signed by the technician's key

        assert read_embedded(html).facts["signed_off_by"] == "Wang Fang"
        assert "400-000-0000" in html  # headed by the technician's service centre
        name = screen.report_path.name
        await wait_until(  # drawn once the closing work has ended
            pilot, lambda: name in shown(screen.query_one("#visit-report")).replace("\n", "")
        )
        await pilot.press("ctrl+q")


@pytest.fixture(scope="module")
def authority_url(pki: Path) -> Iterator[str]:
    """The service authority in its own process, on the module's PKI."""
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "safetool.cli.main", "authority", "serve"),
            *("--pki", str(pki), "--port", "0", "--json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout is not None
    try:
        yield str(json.loads(server.stdout.readline())["url"])
    finally:
        server.terminate()
        server.wait(10)


@flow_in("en")
async def test_hard_lockout_recovered_online(
    pki: Path, board_factory: BoardFactory, authority_url: str, tmp_path: Path, language: str
) -> None:
    board = await board_factory("--pki", str(pki), "--lockout-s", "90")
    await hard_lockout(board, lockout_s=90)
    app = make_app(pki, tmp_path, language, board.port, authority_url=authority_url)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            await pilot.press("r")
            screen = app.screen
            assert isinstance(screen, RecoverScreen)
            await wait_until(pilot, lambda: screen.challenge is not None, 20, what="challenge")
            await pilot.press("f7")
            await wait_until(pilot, lambda: screen.outcome is not None, timeout_s=15)
            assert screen.outcome is not None and screen.outcome.opened
            assert screen.recovery_id is not None
            seal = shown(screen.query_one("#seal"))
            # one recovery, one reference: the lock's number for it, not the ledger's row id
            assert str(screen.outcome.counter) in seal
            await pilot.press("ctrl+q")
    finally:
        set_language("en")
