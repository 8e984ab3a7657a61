"""Issue 19, finding 8: damaged files get a clear message and a non-zero exit, never "internal
error" or a traceback, and nothing is created by mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from safetool.services.devpki import init_dev_pki
from tests.process.test_cli import run


def _clear(code: int, err: str, expected: str) -> None:
    assert code in (1, 2), err
    assert "internal error" not in err and "Traceback" not in err, err
    assert expected in err, err


@pytest.mark.parametrize(
    "trust", [b"[1, 2]", b'{"authority_public_key": 5}', b"not json", b""], ids=str
)
async def test_a_damaged_trust_json(tmp_path: Path, trust: bytes) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    folder = tmp_path / "tech"
    shutil.copytree(pki / "technicians" / "T-1001", folder)
    (folder / "trust.json").write_bytes(trust)
    code, _, err = await run(
        "recover", "--phone", "--port", "/dev/null", "--technician", str(folder)
    )
    _clear(code, err, "trust.json")


async def test_dev_pki_init_onto_a_file(tmp_path: Path) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    code, _, err = await run("dev-pki", "init", str(target))
    _clear(code, err, "is a file")
    assert target.read_text() == "x"


async def test_visits_database_that_is_not_one(tmp_path: Path) -> None:
    database = tmp_path / "v.db"
    database.write_bytes(b"garbage, not sqlite" * 100)
    for command in (("visit", "list"), ("visit", "show", "1")):
        code, _, err = await run(*command, "--db", str(database))
        _clear(code, err, "cannot be read")
    assert database.read_bytes() == b"garbage, not sqlite" * 100


async def test_a_visit_number_past_any_integer(tmp_path: Path) -> None:
    code, _, err = await run("visit", "show", "9" * 23, "--db", str(tmp_path / "v.db"))
    _clear(code, err, "no visit")


async def test_a_mistyped_db_folder_creates_nothing(tmp_path: Path) -> None:
    code, _, err = await run("visit", "list", "--db", str(tmp_path / "missing" / "v.db"))
    _clear(code, err, "no folder")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"[", "damaged"), (b"[1]", "not a JSON object"), (b'{"users": 5}', "wrong shape")],
    ids=["torn", "list", "shape"],
)
def test_the_boards_state_file(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "board-state.json").write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "firmware", "--state", str(tmp_path)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    _clear(result.returncode, result.stderr, expected)


def test_a_state_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("{}")
    result = subprocess.run(
        [sys.executable, "-m", "firmware", "--state", str(target)],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    _clear(result.returncode, result.stderr, "is a file")


WRITER = """
import sys
from pathlib import Path
from safetool.services.visits import ServiceRecord
with ServiceRecord(Path(sys.argv[1])) as record:
    visit, _ = record.start(serial="SL-0000-0001", site="bank", technician="T-1001")
    print("ready", flush=True)
    for number in range(1_000_000):
        record.add_note(visit, f"note {number}", "note")
"""


async def test_a_visits_database_cut_off_mid_write_stays_whole(tmp_path: Path) -> None:
    """Issue 19: the power goes (the process is killed, SIGKILL) while notes are being written,
    five times over: each time the database opens, passes sqlite's integrity check and holds
    every note whose write completed."""
    import asyncio
    import random
    import sqlite3

    from safetool.services.visits import ServiceRecord

    database = tmp_path / "visits.sqlite"
    rng = random.Random(19)
    held = 0
    for _ in range(5):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, str(database), stdout=asyncio.subprocess.PIPE
        )
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), 30)).startswith(b"ready")
        await asyncio.sleep(rng.uniform(0.05, 0.4))
        assert process.returncode is None, "the writer stopped by itself"
        process.kill()
        await process.wait()
        with sqlite3.connect(database) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with ServiceRecord(database) as record:
            notes = [n for v in record.list_visits() for n in record.visit(v["id"])["notes"]]
        assert len(notes) >= held  # nothing that was written is lost
        held = len(notes)
    assert held > 0
