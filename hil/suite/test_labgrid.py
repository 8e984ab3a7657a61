"""Power cycles on any board, and boards through labgrid (``--lg-env``, docs/hil.md).

``test_power_cycle_boots_again`` is a scenario like the others: it runs on emulated boards, rig
boards and labgrid boards. The rest drive labgrid for real and need it installed (its own venv,
``pip install -e '.[dev,labgrid]'``); elsewhere they skip with that reason:

* an environment whose target has a ``NetworkSerialPort`` to an emulated board served over
  RFC 2217 (``hil.network_serial``) and an ``ExternalPowerDriver`` that power-cycles it
  through its side channel; ``pytest hil/ --lg-env`` runs against it, no coordinator needed;
* a real ``labgrid-coordinator`` and ``labgrid-exporter`` on loopback: the place is acquired
  through labgrid's client API, the board used and power-cycled, and the place released at the
  end, after a failed test, and after Ctrl-C; a place someone else holds is refused and left
  held.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from hil.faults import Faults
from hil.labgrid_boards import LabgridBench, LabgridSetupError, labgrid_installed
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.suite.served import ServedBoard, outcomes, run_pytest, served_board

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

needs_labgrid = pytest.mark.skipif(
    not labgrid_installed(),
    reason="labgrid is not installed here: it runs in its own venv "
    "(pip install -e '.[dev,labgrid]', docs/hil.md 'labgrid')",
)


@pytest.mark.any_link
@pytest.mark.needs("power_cycle")
async def test_power_cycle_boots_again(lock: Lock, faults: Faults, measure: Recorder) -> None:
    assert lock.client.hello is not None
    boot, serial = lock.client.hello.boot_id, (await lock.client.identify()).serial
    started = time.monotonic()
    await faults.power_cycle()
    measure("power_cycle_s", time.monotonic() - started, "s", high=30)
    assert lock.client.hello is not None and lock.client.hello.boot_id != boot
    assert (await lock.client.identify()).serial == serial
    await lock.client.status()


# --- labgrid for real -----------------------------------------------------------------------


@pytest.fixture
def own_lab(request: pytest.FixtureRequest) -> None:
    """These tests make their own labgrid environment; not inside a --lg-env or --rig run."""
    if request.config.getoption("lg_env", None) or request.config.getoption("hil_rig", None):
        pytest.skip("starts its own boards and labgrid environment; not under --lg-env/--rig")


@pytest_asyncio.fixture
async def board_served(tmp_path: Path, pki: Path, own_lab: None) -> AsyncIterator[ServedBoard]:
    async with served_board(pki, tmp_path) as served:
        yield served


@needs_labgrid
async def test_lg_env_end_to_end_without_coordinator(
    board_served: ServedBoard, tmp_path: Path
) -> None:
    env = board_served.env(tmp_path / "lab.yaml")
    junit = tmp_path / "junit.xml"
    run = run_pytest(
        "hil/suite/test_basics.py",
        "hil/suite/test_lockout.py",
        "hil/suite/test_labgrid.py",
        "--lg-env",
        str(env),
        "--transport",
        "rfc2217",
        "-k",
        "basics or lockout or power_cycle_boots_again",
        "--junitxml",
        str(junit),
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    got = outcomes(junit)
    for name in ("test_identify[rfc2217]", "test_status[rfc2217]"):
        assert got[name] == ("passed", "labgrid main (local) over rfc2217 [lab.yaml]"), got
    assert got["test_power_cycle_boots_again[rfc2217]"][0] == "passed", got
    for name in (
        "test_events_arrive_in_order[rfc2217]",
        "test_wrong_codes_lockout_survives_power_cycle[rfc2217]",
    ):
        outcome, reason = got[name]
        assert outcome == "skipped" and "needs keys: labgrid lab.yaml cannot" in reason, got


@needs_labgrid
async def test_lg_env_over_the_wrong_link_skips_with_the_reason(
    board_served: ServedBoard, tmp_path: Path
) -> None:
    env = board_served.env(tmp_path / "lab.yaml")
    junit = tmp_path / "junit.xml"
    run = run_pytest(
        "hil/suite/test_basics.py", "--lg-env", str(env), "-k", "identify", "--junitxml", str(junit)
    )
    assert run.returncode == 0, run.stdout[-3000:]
    outcome, reason = outcomes(junit)["test_identify[serial]"]
    assert outcome == "skipped" and "its targets serve rfc2217: --transport" in reason


@needs_labgrid
def test_both_plugins_load_and_lg_env_is_labgrids() -> None:
    run = run_pytest("--help", timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.count("--lg-env") == 1  # labgrid's, not registered twice
    assert "hardware-in-the-loop suite" in run.stdout and "--lg-coordinator" in run.stdout


# --- with a real coordinator -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(address: str, *args: str, user: str | None = None) -> str:
    env = dict(os.environ, LG_USERNAME=user) if user else None
    done = subprocess.run(
        [str(BIN / "labgrid-client"), "-x", address, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _acquired_by(address: str, place: str) -> str:
    for line in _client(address, "-p", place, "show").splitlines():
        if line.strip().startswith("acquired:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no 'acquired:' line")


@dataclass
class Coordinator:
    address: str
    place: str


@pytest.fixture
def coordinator(board_served: ServedBoard, tmp_path: Path) -> Iterator[Coordinator]:
    """labgrid-coordinator and an exporter of the board's RFC 2217 port, on loopback."""
    address = f"127.0.0.1:{_free_port()}"
    (tmp_path / "coordinator").mkdir()
    exported = tmp_path / "exporter.yaml"
    exported.write_text(
        json.dumps(
            {
                "lock": {
                    "NetworkSerialPort": {
                        "host": board_served.server.host,
                        "port": board_served.server.port,
                    }
                }
            }
        )
    )
    started: list[subprocess.Popen[bytes]] = []
    log = (tmp_path / "labgrid.log").open("wb")
    try:
        started.append(
            subprocess.Popen(
                [str(BIN / "labgrid-coordinator"), "-l", address],
                cwd=tmp_path / "coordinator",
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        _wait_for_port(address)
        started.append(
            subprocess.Popen(
                [
                    *(str(BIN / "labgrid-exporter"), "-c", address, "-n", "hil-exp"),
                    *("--hostname", "127.0.0.1", str(exported)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 20
        while "hil-exp/lock/NetworkSerialPort" not in _client(address, "resources"):
            assert time.monotonic() < deadline, (tmp_path / "labgrid.log").read_text()
            time.sleep(0.2)
        _client(address, "-p", "hil-lock", "create")
        _client(address, "-p", "hil-lock", "add-match", "hil-exp/lock/*")
        yield Coordinator(address, "hil-lock")
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _wait_for_port(address: str) -> None:
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection((host, int(port)), 0.5).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"labgrid-coordinator not listening on {address}"
            time.sleep(0.1)


@needs_labgrid
async def test_remote_place_acquired_used_and_released(
    board_served: ServedBoard, coordinator: Coordinator, tmp_path: Path
) -> None:
    env = board_served.env(tmp_path / "remote.yaml", place=coordinator.place)
    bench = LabgridBench(env, coordinator.address).load()
    try:
        (board,) = bench.boards()
        assert bench.acquired == [coordinator.place]
        assert _acquired_by(coordinator.address, coordinator.place) != "None"
        assert board.place == coordinator.place and board.transport == "rfc2217"
        assert board.port == f"{board_served.server.url}"  # exported by the exporter, found
        assert board.provides() == {"transport:rfc2217", "power_cycle", "pki"}
        assert bench.choose(["keys"], "rfc2217", []) is None
        assert bench.choose([], "serial", []) is None
        assert bench.choose(["power_cycle"], "rfc2217", [board]) is None  # in use
        lock = await bench.open(board)
        assert lock.client.hello is not None
        boot = lock.client.hello.boot_id
        await lock.power_cycle()  # ExternalPowerDriver via labgrid, console held open
        assert lock.client.hello.boot_id != boot and lock.reopened_after_power == 0
        await lock.client.status()
        await lock.client.close()
    finally:
        bench.close()
    assert _acquired_by(coordinator.address, coordinator.place) == "None"


@needs_labgrid
def test_a_place_someone_else_holds_is_refused_and_left_held(
    board_served: ServedBoard, coordinator: Coordinator, tmp_path: Path
) -> None:
    _client(coordinator.address, "-p", coordinator.place, "acquire", user="someone")
    env = board_served.env(tmp_path / "remote.yaml", place=coordinator.place)
    bench = LabgridBench(env, coordinator.address).load()
    try:
        with pytest.raises(LabgridSetupError, match=r"already acquired by .*/someone"):
            bench.boards()
    finally:
        bench.close()
    assert _acquired_by(coordinator.address, coordinator.place).endswith("/someone")
    _client(coordinator.address, "-p", coordinator.place, "release", user="someone")


FAILING_AND_WAITING = """\
import asyncio, os
from pathlib import Path

async def test_fails(lock):
    await lock.client.identify()
    assert False, "fails on purpose"

async def test_waits(lock):
    await lock.client.identify()
    Path(os.environ["HIL_LG_MARK"]).write_text("in the test")
    await asyncio.sleep(60)
"""


@needs_labgrid
def test_released_after_a_failure_and_after_ctrl_c(
    board_served: ServedBoard, coordinator: Coordinator, tmp_path: Path
) -> None:
    env = board_served.env(
        tmp_path / "remote.yaml", place=coordinator.place, coordinator=coordinator.address
    )
    tests = tmp_path / "test_lab_outcomes.py"
    tests.write_text(FAILING_AND_WAITING)
    common = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tests)]
    common += ["-o", "asyncio_mode=auto", "--rootdir", str(tmp_path), "--lg-env", str(env)]
    common += ["--transport", "rfc2217"]
    failed = subprocess.run(
        [*common, "-k", "fails"], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert failed.returncode == 1 and "fails on purpose" in failed.stdout, failed.stdout[-3000:]
    assert "released place hil-lock" in failed.stdout + failed.stderr
    assert _acquired_by(coordinator.address, coordinator.place) == "None"

    mark = tmp_path / "mark"
    waiting = subprocess.Popen(
        [*common, "-k", "waits"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, HIL_LG_MARK=str(mark)),
    )
    try:
        deadline = time.monotonic() + 60
        while not mark.exists():
            assert waiting.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        assert _acquired_by(coordinator.address, coordinator.place) != "None"
        waiting.send_signal(signal.SIGINT)  # Ctrl-C
        output, _ = waiting.communicate(timeout=60)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    assert b"KeyboardInterrupt" in output, output[-3000:]
    assert _acquired_by(coordinator.address, coordinator.place) == "None"
