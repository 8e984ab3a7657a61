"""docs/visits.md's recipe, run as written (in a shell, line by line) against an emulated board:
a technician copying it must end with the visit recorded, diagnosis and audit attached."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import pytest

from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki
from safetool.services.visits import ServiceRecord

DOCS = Path(__file__).resolve().parents[2] / "docs" / "visits.md"


def recipe() -> list[str]:
    block = re.search(r"```sh\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


async def shell(line: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", line, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.parametrize("fault", [None, "weak_battery"])
async def test_the_documented_visit_recipe_runs_as_written(
    fault: str | None, tmp_path: Path, board_factory: BoardFactory
) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    board = await board_factory("--pki", str(pki))
    if fault:  # diag finds something (exit 1): the attach must still happen
        await board.board.set_fault(name=fault)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "safetool").write_text(
        f'#!/bin/sh\nexec {sys.executable} -m safetool.cli.main "$@"\n'
    )
    (bin_dir / "safetool").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SAFETOOL_DATA_DIR": str(tmp_path / "data"),
        "SAFETOOL_TECHNICIAN": str(pki / "technicians" / "T-1001"),
        "HOME": str(tmp_path),
    }
    (tmp_path / "T-1001").symlink_to(pki / "technicians" / "T-1001")
    for line in recipe():
        line = line.replace("/dev/ttyUSB0", board.port).replace("--port P", f"--port {board.port}")
        line = re.sub(r"report \d+", "report 1", line)
        code, out = await shell(line, env, tmp_path)
        assert code == 0, (line, out)
        assert "Traceback" not in out, out
    with ServiceRecord(tmp_path / "data" / "visits.sqlite") as record:
        visit = record.visit(1)
    assert visit["status"] == "closed"
    assert {check["name"] for check in visit["checks"]} >= {"battery", "motor", "versions"}
    assert visit["audit"] is not None and visit["audit"]["verified"]
    report = json.loads((tmp_path / "visits.jsonl").read_text().splitlines()[0])
    assert report["lock"]["serial"] == "SL-0000-0001"
