"""``safetool dev-pki init`` and ``safetool recover`` as a technician runs them."""

from __future__ import annotations

import asyncio
import json
import stat
import sys
from pathlib import Path

from hil.plugin import BoardFactory
from protocols.recovery import (
    check_digits_ok,
    device_recovery_secret,
    phone_response,
)
from safetool.services.devpki import init_dev_pki
from tests.process.test_cli import run
from tests.trust_helpers import hard_lockout
from tests.unit.test_messages import latin_words


async def test_dev_pki_init_makes_owner_only_keys(tmp_path: Path) -> None:
    code, out, err = await run("dev-pki", "init", str(tmp_path / "pki"), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert [t["id"] for t in summary["technicians"]] == ["T-1001", "T-1002", "T-1003"]
    keys = list((tmp_path / "pki").rglob("*.key")) + list((tmp_path / "pki").rglob("*.secret"))
    assert len(keys) >= 8
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    code, _, err = await run("dev-pki", "init", str(tmp_path / "pki"))
    assert code == 2 and "not empty" in err  # never overwrites keys


async def test_recover_by_phone_end_to_end(tmp_path: Path, board_factory: BoardFactory) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)  # the command itself: test_dev_pki_init_makes_owner_only_keys
    board = await board_factory("--pki", str(pki))
    await hard_lockout(board)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "safetool.cli.main",
        "recover",
        "--phone",
        "--json",
        "--port",
        board.port,
        "--technician",
        str(pki / "technicians" / "T-1001"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    challenge = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    assert challenge["event"] == "challenge" and len(challenge["challenge"]) == 10
    # the hotline's side, done here by hand with the authority's master secret
    master = bytes.fromhex((pki / "authority" / "recovery-master.key").read_text())
    response = phone_response(
        device_recovery_secret(master, challenge["serial"]),
        challenge["serial"],
        challenge["challenge"],
        challenge["counter"],
        "T-1001",
    )
    process.stdin.write(f"{response[:4]} {response[4:8]} {response[8:]}\n".encode())
    await process.stdin.drain()
    result = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    assert result.get("event") == "result" and result["opened"], result
    assert await asyncio.wait_for(process.wait(), 20) == 0
    assert (await board.board.state())["hard_lockout"] is False


async def test_recover_without_identity_explains(board_factory: BoardFactory) -> None:
    board = await board_factory()
    bare = {"PATH": "/usr/bin:/bin"}  # no SAFETOOL_TECHNICIAN, no other identity
    code, _, err = await run("recover", "--phone", "--port", board.port, env=bare)
    assert code == 2
    assert "SAFETOOL_TECHNICIAN" in err and "Traceback" not in err


async def test_recover_by_phone_speaks_chinese(tmp_path: Path, board_factory: BoardFactory) -> None:
    """The challenge to read out, a misheard response and a refused one, all in Chinese."""
    pki = tmp_path / "pki"
    init_dev_pki(pki)  # the command itself: test_dev_pki_init_makes_owner_only_keys
    board = await board_factory("--pki", str(pki))
    await hard_lockout(board)
    technician = str(pki / "technicians" / "T-1001")
    well_formed = next(
        digits for n in range(100) if check_digits_ok(digits := f"{n:02d}" + "1234567890")
    )
    misheard = well_formed[:-1] + str((int(well_formed[-1]) + 1) % 10)
    common = ("recover", "--phone", "--port", board.port, "--technician", technician)
    code, out, err = await run(*common, "--lang", "zh-CN", "--response", misheard)
    assert code == 2, err
    assert "请致电服务热线并读出：" in out and "挑战码" in out and "技术员编号" in out
    assert "应答码的校验位不符。" in err and "没有消耗尝试次数" in err
    code, out, err = await run(*common, "--lang", "zh-CN", "--response", well_formed)
    assert code == 1, err
    assert "锁拒绝了：应答码错误。" in out
    for line in (out + err).splitlines():
        assert not latin_words(line.replace(board.port, "").replace("SL-0000-0001", "")), line
