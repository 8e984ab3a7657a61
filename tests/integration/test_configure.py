"""Changing the lock policy in a session: who may, what the lock accepts, what it then does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.plugin import BoardFactory
from safetool.client import LockClient, LockRefused
from safetool.identity import TechnicianIdentity
from safetool.services.configure import change_policy, read_policy
from safetool.services.devpki import init_dev_pki
from tests.cli_harness import safetool_here

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("config") / "pki"
    init_dev_pki(directory)
    return directory


async def test_time_delay_set_in_a_session_changes_the_lock(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    me = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    async with await LockClient.connect(board.port) as client:
        result = await change_policy(client, me, {"time_delay_s": 120})
        assert result["before"]["time_delay_s"] == 0
        assert result["after"]["time_delay_s"] == 120
        assert await board.board.enter_code(code="123456") == "waiting"
        status = await client.status()
        assert status.lock_state.name == "TIME_DELAY" and 100 < status.lockout_seconds <= 120
    audit = await board.board.audit()
    change = next(e for e in audit if e["kind"] == "config_changed")
    assert change["technician"] == "T-1001" and change["changes"]["time_delay_s"] == [0, 120]


async def test_out_of_range_values_are_refused(pki: Path, board_factory: BoardFactory) -> None:
    board = await board_factory("--pki", str(pki))
    me = TechnicianIdentity.load(pki / "technicians" / "T-1001")
    async with await LockClient.connect(board.port) as client:
        with pytest.raises(LockRefused, match="at least 90 s"):
            await change_policy(client, me, {"lockout_s": 30})
        assert (await read_policy(client, me))["lockout_s"] == 300


async def test_diagnose_only_technician_reads_but_cannot_change(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    diagnose_only = TechnicianIdentity.load(pki / "technicians" / "T-1002")
    async with await LockClient.connect(board.port) as client:
        assert (await read_policy(client, diagnose_only))["wrong_codes"] == 5
        with pytest.raises(LockRefused, match="'configure' qualification"):
            await change_policy(client, diagnose_only, {"dual_control": 1})
    assert (await board.board.audit())[-1]["reason"] == "not_qualified"


async def test_config_cli(pki: Path, board_factory: BoardFactory) -> None:
    board = await board_factory("--pki", str(pki))
    folder = str(pki / "technicians" / "T-1001")
    code, out, err = await safetool_here(
        "config", "--port", board.port, "--technician", folder, "--set", "dual_control=1", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["after"]["dual_control"] == 1
    code, _, err = await safetool_here(
        "config", "--port", board.port, "--technician", folder, "--set", "bogus=1"
    )
    assert code == 2 and "NAME=NUMBER" in err
    code, out, err = await safetool_here(
        "config", "--port", board.port, "--technician", folder, "--set", "dual_control=0",
        "--lang", "zh-CN",
    )  # fmt: skip
    assert code == 0, err
    assert any(
        line.startswith("双人控制（0 或 1）") and "（原为 1）" in line for line in out.split("\n")
    )
    assert "[time_delay_s]" in out  # the name to type with --set, in any language
    code, _, err = await safetool_here(
        "config", "--port", board.port, "--technician", folder, "--set", "bogus=1", "--lang", "zh"
    )
    assert code == 2 and "无法读取设置" in err and "time_delay_s" in err
