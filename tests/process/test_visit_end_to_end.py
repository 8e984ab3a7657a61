"""A whole service visit on the command line, as a technician lives it (issue 20), each
command a process of its own, in Chinese (the stricter reading): arrive and start the visit,
diagnose a lock whose bolt jammed as the customer opened it, fit the part, recover the lock
from a hard lockout by phone (the hotline's side with its own command), install firmware,
download the audit trail, close the visit with the customer's sign-off and print the report.
Every step is a documented command; every line printed is Chinese (names, serials, versions
and codes aside). The English of each message is the catalogue's (tests/unit/test_messages.py);
the English report, tests/process/test_report.py."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from hil.images import build_test_image
from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki
from tests.integration.test_zh_cli import english_in
from tests.process.test_cli import run
from tests.trust_helpers import hard_lockout, jammed_call_out


async def test_a_whole_visit_on_the_command_line(
    tmp_path: Path, board_factory: BoardFactory
) -> None:
    language = "zh-CN"  # each command's English is the catalogue's, checked there and elsewhere
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    board = await board_factory("--pki", str(pki))
    port = board.port
    technician = str(pki / "technicians" / "T-1001")
    env = {
        **os.environ,
        "SAFETOOL_DATA_DIR": str(tmp_path / "data"),
        "SAFETOOL_TECHNICIAN": technician,
        "SAFETOOL_LANG": language,
    }
    said: list[str] = []

    async def safetool(*argv: str, expect: int = 0) -> str:
        code, out, err = await run(*argv, env=env)
        assert code == expect and "Traceback" not in err, (argv, code, out, err)
        if "--json" not in argv:  # JSON carries the English text beside each code, by design
            said.append(out + err)
        return out

    await jammed_call_out(board)
    await asyncio.sleep(1.5)

    await safetool("visit", "start", "--port", port, "--site", "Bank of Example / 示例银行")
    diag = await safetool(
        "diag", "--port", port, "--check", "motor", "--check", "bolt_sensor", "--check",
        "error_log", "--json", expect=1,
    )  # fmt: skip
    (tmp_path / "diag.json").write_text(diag, encoding="utf-8")  # as docs/visits.md does it
    await safetool("visit", "note", "--diag", str(tmp_path / "diag.json"))
    await safetool(
        "diag", "--port", port, "--check", "bolt_sensor", expect=1
    )  # and as a person reads it
    await safetool(
        "visit", "add-part", "--part", "SL-MTR-12", "--quantity", "1", "--reason", "jammed"
    )
    await board.board.fit_part(part="motor")
    await safetool("visit", "note", "--work", "motor replaced / 已更换电机")

    # a hard lockout, recovered by phone: the challenge read out, the hotline's response typed
    await hard_lockout(board)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "recover", "--phone", "--json", "--port", port,
        env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    challenge = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    hotline = await safetool(
        "authority", "issue", "--pki", str(pki), "--serial", challenge["serial"],
        "--challenge", challenge["challenge_grouped"], "--technician", "T-1001",
        "--counter", str(challenge["counter"]), "--json",
    )  # fmt: skip
    response = json.loads(hotline)["response"]
    process.stdin.write(f"{response}\n".encode())
    await process.stdin.drain()
    result = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    assert result["opened"] and await asyncio.wait_for(process.wait(), 20) == 0
    await asyncio.sleep(0.8)  # the bolt retracts
    assert (await board.board.state())["bolt"] == "RETRACTED"
    await board.board.advance_clock(seconds=11)  # the safe shut and bolted again
    await asyncio.sleep(0.8)
    seal = json.loads(await safetool("recover", "--seal", "--port", port, "--json"))
    assert seal["counter"] == challenge["counter"]  # one recovery, one number
    await safetool(
        "authority", "close", "--pki", str(pki), "--serial", challenge["serial"],
        "--recovery", str(seal["counter"]), "--seal", seal["seal"],
    )  # fmt: skip
    await safetool(
        "visit", "note", "--recovery", str(seal["counter"]), "--method", "phone",
        "--seal", seal["seal"],
    )  # fmt: skip

    # firmware, then the audit trail attached to the visit
    image = build_test_image(pki, tmp_path, "fw-2.4.0", os.urandom(40_000), "2.4.0")
    await safetool("firmware", "install", str(image), "--port", port, "--yes")
    await safetool("visit", "note", "--firmware-after", "2.4.0")
    audit = await safetool("audit", "--port", port, "--json")
    (tmp_path / "audit.json").write_text(audit, encoding="utf-8")
    await safetool("visit", "note", "--audit", str(tmp_path / "audit.json"))
    await safetool("audit", "--port", port)

    closed = await safetool(
        "visit", "close", "--signed-off-by", "王芳", "--satisfaction", "5", "--json"
    )
    visit_id = str(json.loads(closed.splitlines()[-1])["visit_id"])
    report_file = tmp_path / "report.html"
    await safetool("report", visit_id, "--lang", language, "-o", str(report_file))
    html = report_file.read_text(encoding="utf-8")

    from safetool.report_signature import read_embedded

    facts = read_embedded(html).facts
    assert facts["recoveries"][0]["seal"] == seal["seal"]
    assert {"part_number": "SL-MTR-12", "quantity": 1} in facts["parts"]
    assert facts["firmware"]["after"] == "2.4.0" and facts["signed_off_by"] == "王芳"
    verdicts = {check["name"]: check["verdict"] for check in facts["checks"]}
    assert verdicts["bolt_sensor"] == "fail"
    assert "400-000-0000" in html and "2.4.0" in html
    if language == "zh-CN":
        assert "锁舌位置传感器" in html and "服务热线" in html
        values = (port, str(tmp_path), "SL-MTR-12", "Bank of Example", "motor replaced")
        values += ("report.html",)
        english = [line for text in said for line in english_in(text, *values)]
        assert english == [], english
