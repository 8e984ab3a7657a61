"""The whole service visit in the app, by key presses only, in English and in Chinese, against
an emulated board through the real serial stack (issue 20; the script is tests/tui_visit.py,
and benchmarks/tui.py counts its key presses)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hil.images import build_test_image
from hil.plugin import BoardFactory
from safetool.report_signature import read_embedded
from safetool.services.devpki import init_dev_pki
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import ServiceBackend
from safetool.tui.i18n import set_language
from safetool.tui.recent import RecentPorts
from tests.trust_helpers import jammed_call_out
from tests.tui_support import flow_in
from tests.tui_visit import JAMMED_PART, Keys, whole_visit

pytestmark = pytest.mark.in_memory


@flow_in("zh_CN")
async def test_a_whole_visit_in_the_app(
    language: str, tmp_path: Path, board_factory: BoardFactory
) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    board = await board_factory("--pki", str(pki))
    await jammed_call_out(board)
    image = build_test_image(pki, tmp_path, "fw-2.4.0", os.urandom(30_000), "2.4.0")
    backend = ServiceBackend(pki / "technicians" / "T-1001", data_folder=tmp_path / "data")
    app = SafetoolApp(
        backend, port=board.port, language=language, recent=RecentPorts(tmp_path / "r.json")
    )
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            keys = Keys(pilot)
            visit = await whole_visit(app, keys, board, pki, image)
            await pilot.press("ctrl+q")
    finally:
        set_language("en")
    assert visit["status"] == "closed" and visit["signed_off_by"] == "Wang Fang"
    assert [p["part_number"] for p in visit["parts"]] == [JAMMED_PART]
    assert {c["name"]: c["verdict"] for c in visit["checks"]}["bolt_sensor"] == "fail"
    assert visit["firmware"]["after"] == "2.4.0" and visit["recoveries"][0]["method"] == "phone"
    assert visit["audit"] and visit["satisfaction"]["rating"] == 5
    report = next((tmp_path / "data" / "reports").glob("visit-*.html")).read_text("utf-8")
    facts = read_embedded(report).facts
    assert facts["recoveries"] == [
        {k: visit["recoveries"][0][k] for k in ("counter", "method", "seal")}
    ]
    assert ("锁舌位置传感器" if language == "zh_CN" else "Bolt position sensor") in report
    assert len(keys.commands) <= 60, keys.commands  # benchmarks/tui.py prints the count
