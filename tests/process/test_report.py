"""The customer's report: rendered from the templates, in English and Chinese, and checked in a
real headless Chromium (the system's, driven by Playwright): it renders, logs no console error,
loads nothing from outside the file, prints to PDF, and shows the key facts as text."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from safetool.messages import Message
from safetool.report.render import render_html, render_json
from safetool.services.visits import ServiceRecord
from tests.unit.test_visits import full_visit

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def closed_visit(
    tmp_path: Path,
    details: list[dict[str, Any]] | None = None,
    *,
    satisfaction: int = 4,
    comment: str = "<b>ok</b>",
) -> dict[str, Any]:
    """The full visit of tests/unit/test_visits.py, its audit (one entry per detail given, from
    index 41 on) attached, closed with 王芳's sign-off."""
    details = details if details is not None else [{"technician": "T-1001"}]
    with ServiceRecord(tmp_path / "v.sqlite") as record:
        visit_id = full_visit(record)
        entries = [
            {"index": 41 + n, "time": "2026-11-24T08:00:00Z", "kind": "session_opened",
             "detail": detail}
            for n, detail in enumerate(details)
        ]  # fmt: skip
        record.attach_audit(
            visit_id,
            {"verified": True, "signed": True, "findings": [], "entries": entries},
            last=len(entries),
        )
        record.close_visit(
            visit_id, signed_off_by="王芳", satisfaction=satisfaction, comment=comment
        )
        return record.visit(visit_id)


def test_html_is_one_escaped_file_in_both_languages(tmp_path: Path) -> None:
    visit = closed_visit(tmp_path)
    english = render_html(visit, "en")
    chinese = render_html(visit, "zh-CN")
    assert "Parts replaced" in english and "更换零件" in chinese
    assert "session opened" in english and "会话建立" in chinese  # the audit entry's kind
    assert "&lt;b&gt;ok&lt;/b&gt;" in english  # customer text is escaped, never markup
    for page in (english, chinese):
        assert "<script" not in page and "http" not in page.split("</style>")[0]
        assert "BAT-4AA-01" in page and "SL-0000-0001" in page
    assert '"visit_id"' in render_json(visit)


def test_report_shows_control_and_bidi_characters_made_visible(tmp_path: Path) -> None:
    """Issue 19, finding 5: a comment (or a lock's string) with a right-to-left override or an
    escape sequence reaches the customer's report visible, never acting on the text."""
    with ServiceRecord(tmp_path / "v.sqlite") as record:
        visit_id = full_visit(record)
        record.close_visit(visit_id, signed_off_by="A\u202eB", satisfaction=4, comment="x\x1by")
        visit = record.visit(visit_id)
    page = render_html(visit, "en")
    assert "\u202e" not in page and "\x1b" not in page
    assert "A\\u202eB" in page and "x\u241by" in page


def _browser_or_skip() -> None:
    """Skip, saying why, when there is no browser; fail instead where CI insists on one."""
    missing = None
    if importlib.util.find_spec("playwright") is None:
        missing = "no browser test: the playwright package is not installed"
    elif not Path(CHROMIUM).exists():
        missing = (
            f"no browser test: no system Chromium at {CHROMIUM} "
            "(apt-get install -y chromium; .ci/run does)"
        )
    if missing is not None:
        if os.environ.get("SAFETOOL_REQUIRE_BROWSER"):
            pytest.fail(missing + " (SAFETOOL_REQUIRE_BROWSER is set)")
        pytest.skip(missing)


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("en", ["SL-0000-0001", "BAT-4AA-01", "fail", "1.2.0", "1.3.0", "王芳", "Parts replaced",
                "Verified", "session opened", "(4/5)"]),
        ("zh-CN", ["SL-0000-0001", "BAT-4AA-01", "不合格", "1.3.0", "王芳", "客户签收", "已验证"]),
    ],
)  # fmt: skip
def test_report_in_a_real_headless_browser(language: str, facts: list[str], tmp_path: Path) -> None:
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / f"report-{language}.html"
    page_file.write_text(render_html(closed_visit(tmp_path), language), encoding="utf-8")
    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "request",
                lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url),
            )
            page.goto(page_file.as_uri())
            text = page.inner_text("body")
            title = page.title()
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            browser.close()
    assert problems == [] and outside == []
    assert "SL-0000-0001" in title
    missing = [fact for fact in facts if fact not in text]
    assert missing == [], text
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    (tmp_path / f"report-{language}.pdf").write_bytes(pdf)


def test_a_diagnosed_visit_reads_in_chinese_from_the_codes_kept_with_it(tmp_path: Path) -> None:
    """The checks keep their coded words, so the report words them in the customer's
    language; genuine parts are named from the model data; times are local, offset shown."""
    from datetime import UTC, datetime, timedelta, timezone

    from safetool.messages import local_time
    from safetool.services.diagnostics.checks import CheckResult, Verdict, describe_limits
    from safetool.services.diagnostics.model_data import load_model_data

    model = load_model_data("SL-100")
    battery = model.part("battery")
    finding = CheckResult(
        "battery",
        Message("diag.check.battery"),
        Verdict.FAIL,
        4700,
        "mV",
        describe_limits(model.limit("battery_mv"), "mV"),
        battery.number,
        battery.name,
        battery.next_step,
    )
    with ServiceRecord(tmp_path / "v.sqlite") as record:
        visit_id = record.start(serial="SL-0000-0001", site="Bank", technician="T-1001",
                                model="SL-100")[0]  # fmt: skip
        record.attach_diagnostics(visit_id, {"checks": [finding.as_dict()]})
        record.add_part(visit_id, battery.number, 1, str(battery.name))
        visit = record.visit(visit_id)
    chinese = render_html(visit, "zh-CN")
    assert "电池（静置）" in chinese and "限值：低于 5200 mV 警告，低于 4800 mV 不合格" in chinese
    assert "换上原厂电池组 SL-BAT-4AA" in chinese and "电池组，4 节 AA 碱性电池" in chinese
    assert "battery pack" not in chinese and "warn below" not in chinese
    english = render_html(visit, "en")
    assert "limits: warn below 5200 mV" in english and "battery pack, 4 × AA alkaline" in english
    started = datetime.fromisoformat(visit["started_at"])
    assert local_time(visit["started_at"], "zh_CN") in chinese
    plus8 = timezone(timedelta(hours=8))
    noon_utc = datetime(2026, 12, 3, 4, 5, tzinfo=UTC)
    assert local_time(noon_utc, "zh_CN", plus8) == "2026年12月3日 12:05（UTC+08:00）"
    assert local_time(noon_utc.isoformat(), "en", plus8) == "2026-12-03 12:05 (UTC+08:00)"
    assert local_time("not a time", "en") == "not a time" and started.tzinfo is not None


def _long_visit(tmp_path: Path) -> dict[str, Any]:
    """A visit whose appendix runs over several A4 pages: 60 audit entries whose details
    wrap, each row marked at its start and its end."""
    words = " ".join(["qualifications diagnose recover install"] * 4)
    details = [{"note": f"ROW{n}START {words} ROW{n}END"} for n in range(100, 160)]
    return closed_visit(tmp_path, details, satisfaction=5, comment="")


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_report_prints_on_a4_as_a_document_with_no_row_cut(
    language: str, tmp_path: Path
) -> None:
    """Issue 20.5: the first page is the customer's (the service centre and its hotline, what
    was found and done, the sign-off); the technical record starts on a page of its own; no
    row of any table is split across two pages. The screenshot and the PDF of each language
    are kept (``$SAFETOOL_ARTEFACTS``, else the test's folder)."""
    _browser_or_skip()
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from safetool.services.devpki import DEV_SERVICE_CENTRE

    kept = Path(os.environ.get("SAFETOOL_ARTEFACTS") or tmp_path)
    kept.mkdir(parents=True, exist_ok=True)
    page_file = tmp_path / f"report-{language}.html"
    page_file.write_text(
        render_html(_long_visit(tmp_path), language, DEV_SERVICE_CENTRE), encoding="utf-8"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 800, "height": 1100})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(kept / f"report-{language}.png"), full_page=True)
            pdf = page.pdf(format="A4")
        finally:
            browser.close()
    (kept / f"report-{language}.pdf").write_bytes(pdf)
    import io

    pages = [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3, len(pages)
    first = pages[0]
    zh = language == "zh-CN"
    assert "400-000-0000" in first and ("示例保险柜服务中心" if zh else "Example Safe") in first
    assert ("客户签收" if zh else "Satisfaction") in first
    assert ("附录" if zh else "Appendix") not in first  # the technical record: a page of its own
    appendix = next(i for i, text in enumerate(pages) if ("附录" if zh else "Appendix") in text)
    assert appendix >= 1 and ("王芳" in "".join(pages[:appendix]))
    for n in range(100, 160):
        start = [i for i, text in enumerate(pages) if f"ROW{n}START" in text]
        end = [i for i, text in enumerate(pages) if f"ROW{n}END" in text]
        assert start and start == end, (n, start, end)  # the row is whole on one page


async def test_the_command_line_report_is_headed_by_the_technicians_service_centre(
    tmp_path: Path,
) -> None:
    from safetool.services.devpki import init_dev_pki
    from tests.process.test_cli import run

    pki = tmp_path / "pki"
    init_dev_pki(pki)
    db = tmp_path / "v.sqlite"
    with ServiceRecord(db) as record:
        visit_id = full_visit(record)
        record.close_visit(visit_id, signed_off_by="王芳", satisfaction=5, comment="")
    technician = str(pki / "technicians" / "T-1001")
    argv = ("report", str(visit_id), "--db", str(db), "--lang", "zh-CN")
    code, out, err = await run(*argv, "--technician", technician)
    assert code == 0, err
    assert "服务热线 400-000-0000" in out and "示例保险柜服务中心" in out
    code, out, err = await run(*argv, env={**os.environ, "SAFETOOL_TECHNICIAN": ""})
    assert code == 0 and "400-000-0000" not in out  # no centre known: no letterhead


async def test_a_signed_report_is_checked_at_the_hotline_and_an_altered_one_is_refused(
    tmp_path: Path,
) -> None:
    """Issue 20.5: a verification code on the report, signed by the technician's key, that
    the hotline checks: genuine as written; refused when a fact is changed, when another
    technician's name is put on it, and when the signature is missing."""
    from safetool.authority.errors import NotAuthenticated
    from safetool.authority.keys import load_authority_keys
    from safetool.authority.service import check_report
    from safetool.identity import TechnicianIdentity
    from safetool.report_signature import SCRIPT_ID, ReportSignatureError, read_embedded
    from safetool.services.devpki import init_dev_pki
    from tests.process.test_cli import run

    pki = tmp_path / "pki"
    init_dev_pki(pki)
    identity = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    visit = closed_visit(tmp_path)
    html = render_html(visit, "zh-CN", None, identity)
    signed = read_embedded(html)
    assert signed.code.replace(" ", "") and signed.code in html and SCRIPT_ID in html
    keys = load_authority_keys(pki)  # keys and revocations only: no ledger is opened
    check = check_report(signed, keys)
    assert (check.technician_id, check.revoked_now) == ("T-1001", False)
    assert check.facts["serial"] == "SL-0000-0001" and check.facts["recoveries"]
    altered = signed.to_json()
    altered["facts"]["recoveries"][0]["seal"] = "99999999-9"
    with pytest.raises(NotAuthenticated) as forged:
        check_report(type(signed).from_json(altered), keys)
    assert "签名验证失败" in forged.value.explain("zh_CN")
    renamed = signed.to_json()
    renamed["facts"]["technician"] = "T-1002"
    with pytest.raises(NotAuthenticated):
        check_report(type(signed).from_json(renamed), keys)
    with pytest.raises(ReportSignatureError):
        read_embedded(render_html(visit, "en"))  # written without an identity: nothing to check

    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    code, out, err = await run(
        "authority", "verify-report", str(report), "--pki", str(pki), "--lang", "zh-CN"
    )
    assert code == 0, err
    assert "真实：由持证技术员 T-1001" in out and "SL-0000-0001" in out
    tampered = tmp_path / "tampered.html"
    tampered.write_text(html.replace("12345678-9", "12345678-0"), encoding="utf-8")
    code, out, err = await run("authority", "verify-report", str(tampered), "--pki", str(pki))
    assert code == 1 and "does not verify" in err and "Traceback" not in err
