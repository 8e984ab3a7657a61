"""The hotline desk as a person uses it (issue 17): the system Chromium, driven by Playwright,
against the real authority server (uvicorn on loopback) and an emulated lock in hard lockout,
in both languages. Log in; issue the phone-in response and type it into ``safetool recover
--phone`` (the lock opens); verify its close seal; read the ledger and export it; enrol a
technician from their own request and revoke them. Screenshots of every page are kept as
artefacts (``$SAFETOOL_ARTEFACTS``, else the test's folder); no console errors; the desk works at
1280×720 and on a 1024-wide screen."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from hil.plugin import BoardFactory
from safetool.authority.operators import OperatorDesk
from safetool.authority.server import running
from safetool.authority.service import Authority
from safetool.services.devpki import init_dev_pki
from tests.cli_harness import safetool_here
from tests.process.test_report import CHROMIUM, CHROMIUM_ARGS, _browser_or_skip
from tests.trust_helpers import hard_lockout

WORDS = {
    "en": {"misheard": "a digit was misheard", "response": "read this response back",
           "closed": "the seal is right", "found": "1 recoveries",
           "enrolled": "T-2001 is enrolled", "revoked": "revoked",
           "registered": "Lock SL-0000-0002 is registered in Qingdao",
           "on_contract": "T-1002 is now on contract Bank of Qingdao"},
    "zh_CN": {"misheard": "有数字听错了", "response": "请向 T-1001 读出锁",
              "closed": "封码正确", "found": "共 1 条恢复记录",
              "enrolled": "T-2001 已注册", "revoked": "已吊销",
              "registered": "锁 SL-0000-0002 已登记在 Qingdao",
              "on_contract": "T-1002 已加入合同 Bank of Qingdao"},
}  # fmt: skip
PASSWORD = "desk password 1"


async def _cli(*argv: str) -> dict[str, Any]:
    code, out, err = await safetool_here(*argv)
    assert code == 0, err
    return dict(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_phone_in_recovery_seal_ledger_and_technicians_at_the_desk_in_a_browser(
    language: str, tmp_path: Path, board_factory: BoardFactory
) -> None:
    _browser_or_skip()
    from playwright.async_api import async_playwright

    words = WORDS[language]
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    authority = Authority.open(pki, f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    desk = OperatorDesk(authority.ledger.engine, authority.clock)
    desk.add("li.na", "Li Na", "operator", PASSWORD)
    desk.add("chen.jie", "Chen Jie", "supervisor", PASSWORD)
    board = await board_factory("--pki", str(pki))
    await hard_lockout(board)
    shots = Path(os.environ.get("SAFETOOL_ARTEFACTS") or tmp_path) / f"desk-{language}"
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    env = {**os.environ, "SAFETOOL_TECHNICIAN": str(pki / "technicians" / "T-1001")}
    recover = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "recover", "--phone", "--json",
        "--port", board.port, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert recover.stdout is not None and recover.stdin is not None
    challenge = json.loads(await asyncio.wait_for(recover.stdout.readline(), 20))
    try:
        async with running(authority) as url, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = await browser.new_context(
                locale="zh-CN" if language == "zh_CN" else "en-GB",
                viewport={"width": 1280, "height": 720},
                accept_downloads=True,
            )
            page = await context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))

            async def log_in(account: str) -> None:
                await page.goto(f"{url}/desk/")
                await page.fill("#username", account)
                await page.fill("#password", PASSWORD)
                await page.click("button[type=submit]")
                await page.wait_for_url(f"{url}/desk/")

            await page.goto(f"{url}/desk/")
            await page.screenshot(path=shots / "login.png")
            await log_in("li.na")
            await page.fill("#serial", challenge["serial"])
            await page.fill("#technician", "T-1001")
            told = challenge["challenge"]
            misheard = told[:3] + str((int(told[3]) + 1) % 10) + told[4:]
            await page.fill("#challenge", misheard)  # caught as typed, before anything is sent
            assert words["misheard"] in await page.inner_text("#challenge-hint")
            assert not await page.eval_on_selector("#challenge", "e => e.checkValidity()")
            await page.screenshot(path=shots / "phone-misheard.png")
            await page.fill("#challenge", challenge["challenge_grouped"])
            assert (await page.inner_text("#challenge-hint")).strip() == ""
            await page.fill("#counter", str(challenge["counter"]))
            await page.click("form[action='/desk/phone'] button[type=submit]")
            response = (await page.inner_text("#response")).strip()
            assert words["response"] in await page.inner_text("#issued")
            await page.screenshot(path=shots / "phone-response.png", full_page=True)
            recover.stdin.write(f"{response}\n".encode())
            await recover.stdin.drain()
            opened = json.loads(await asyncio.wait_for(recover.stdout.readline(), 20))
            assert opened["opened"], opened
            assert await asyncio.wait_for(recover.wait(), 20) == 0

            await asyncio.sleep(0.8)  # the bolt retracts; the safe is shut and bolted again
            await board.board.advance_clock(seconds=11)
            await asyncio.sleep(0.8)
            seal = await _cli(
                "recover", "--seal", "--port", board.port, "--json",
                "--technician", env["SAFETOOL_TECHNICIAN"],
            )  # fmt: skip
            await page.click("nav a[href='/desk/seals']")
            await page.fill("#serial", challenge["serial"])
            await page.fill("#recovery", str(seal["counter"]))
            await page.fill("#seal", seal["seal"])
            await page.click("form[action='/desk/seals'] button[type=submit]")
            assert words["closed"] in await page.inner_text("#closed")
            await page.screenshot(path=shots / "seals.png", full_page=True)

            await page.click("nav a[href='/desk/ledger']")
            assert words["found"] in await page.inner_text("main")
            assert await page.locator("svg").count() == 2
            await page.screenshot(path=shots / "ledger.png", full_page=True)
            await page.set_viewport_size({"width": 1024, "height": 768})
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1024, f"the ledger needs {width} px on a 1024-wide screen"
            await page.screenshot(path=shots / "ledger-1024.png", full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 720})

            await page.click("header form button[type=submit]")  # log out
            await log_in("chen.jie")
            await page.goto(f"{url}/desk/ledger")
            async with page.expect_download() as download:
                await page.click("a[href^='/desk/ledger.csv']")
            saved = tmp_path / "ledger.csv"
            await (await download.value).save_as(saved)
            assert challenge["serial"] in saved.read_text(encoding="utf-8")

            folder = tmp_path / "t-2001"
            await _cli(
                "technician", "request", "T-2001", "--name", "Zhang Wei", "--region", "Qingdao",
                "--folder", str(folder), "--json",
            )  # fmt: skip
            await page.click("nav a[href='/desk/technicians']")
            request = (folder / "enrolment-request.json").read_text(encoding="utf-8")
            await page.fill("#request", request)
            await page.click("form[action='/desk/technicians'] button[type=submit]")
            assert words["enrolled"] in await page.inner_text("#enrolled")
            await page.screenshot(path=shots / "technicians.png", full_page=True)
            await page.click("form[action='/desk/technicians/T-2001/revoke'] button")
            row = page.locator("#technicians tr", has_text="T-2001")
            assert words["revoked"] in await row.inner_text()

            await page.click("nav a[href='/desk/locks']")
            await page.fill("#serial", "SL-0000-0002")
            await page.fill("#region", "Qingdao")
            await page.fill("#contract", "Bank of Qingdao")
            await page.click("form[action='/desk/locks'] button[type=submit]")
            assert words["registered"] in await page.inner_text("#added")
            await page.fill("#assign-contract", "Bank of Qingdao")
            await page.fill("#assign-technician", "T-1002")
            await page.click("form[action='/desk/locks/contracts'] button[type=submit]")
            assert words["on_contract"] in await page.inner_text("#done")
            assert "T-1002" in await page.inner_text("#contracts")
            await page.screenshot(path=shots / "locks.png", full_page=True)
            await browser.close()
    finally:
        if recover.returncode is None:
            recover.kill()
            await recover.wait()
        authority.shutdown()
    assert problems == []
