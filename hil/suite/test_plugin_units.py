"""The plugin's own parts without a board: rig file, measurement verdicts, trial seeds,
``--lg-env`` without labgrid."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from hil.actuators import NoSuchFixture, RigActuators, RigCommandFailed
from hil.campaign import trial_seed
from hil.capabilities import MEMORY
from hil.emulated import EmulatedBoard
from hil.fuzz import SEQ_WINDOW, SESSION_MUTATIONS, session_frames
from hil.labgrid_boards import labgrid_installed
from hil.measure import Measurement, MeasurementFailed, Recorder
from hil.plugin import _runs_hil
from hil.rig import RigBoard, RigFileError, Switch, load_rig
from protocols.catalogue import Flags, MsgType

RIG = """
[rig]
name = "bench-1"
pki = "pki"

[[board]]
name = "lock-a"
serial = "SL-0000-0001"
port = "/dev/ttyUSB0"
rfc2217 = "rfc2217://rig-host:7001?ign_set_control"
ble = "SL-0000-0001"
power = { on = "relay 1 on", off = "relay 1 off", settle_s = 2 }
faults = { jammed_motor = { on = "fixture jam", off = "fixture free" } }
capabilities = ["custom"]
factory_reset = "fixture reprovision 1"
keys = "keypad-robot 1 {keys}"
door = { open = "door-arm 1 open", close = "door-arm 1 close", settle_s = 0.5 }
clock = "sleep {seconds}"
"""


def test_rig_file_gives_ports_power_and_capabilities(tmp_path: Path) -> None:
    path = tmp_path / "rig.toml"
    path.write_text(RIG)
    rig = load_rig(path)
    (board,) = rig.boards
    assert board.ports == {
        "serial": "/dev/ttyUSB0",
        "rfc2217": "rfc2217://rig-host:7001?ign_set_control",
        "ble": "ble:SL-0000-0001",
    }
    assert board.power is not None and board.power.settle_s == 2
    assert {"fault:jammed_motor", "power_cycle", "custom", "transport:ble"} <= board.provides()
    assert {"keys", "door", "clock"} <= board.provides()  # from the fixtures' commands
    assert board.door is not None
    assert (board.door.on, board.door.off, board.door.settle_s) == (
        "door-arm 1 open",
        "door-arm 1 close",
        0.5,
    )
    assert board.factory_reset == "fixture reprovision 1" and "factory_reset" in board.provides()
    assert "fault:hot" not in rig.provides() and "pki" in rig.provides()
    assert rig.pki == (tmp_path / "pki").resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[board]]\nname = 'a'\n", "'serial'"),
        ("[[board]]\nname = 'a'\nserial = 'S'\n", "at least one of port"),
        ("[[board]]\nname='a'\nserial='S'\nport='p'\npower={on='x'}\n", "'off'"),
        ("[rig]\nname='x'\n", "no [[board]]"),
        ("[[board]]\nname='a'\nserial='S'\nport='p'\nfactory_reset=1\n", "'factory_reset'"),
        ("not toml [", "not valid TOML"),
        ("[[board]]\nname='a'\nserial='S'\nport='p'\ncapabilities=['keys']\n", "'keys' = ..."),
        ("[[board]]\nname='a'\nserial='S'\nport='p'\nkeys='robot'\n", "with {keys} in it"),
        ("[[board]]\nname='a'\nserial='S'\nport='p'\nclock=5\n", "with {seconds} in it"),
        ("[[board]]\nname='a'\nserial='S'\nport='p'\ndoor={open='o'}\n", "'open' and 'close'"),
    ],
)
def test_rig_file_errors_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rig.toml"
    path.write_text(text)
    with pytest.raises(RigFileError, match=message.replace("[", r"\[")):
        load_rig(path)


async def test_a_rig_boards_fixtures_get_their_arguments_shell_quoted(tmp_path: Path) -> None:
    """Each fixture command runs with its argument in place, quoted, so a key such as ``*`` or
    ``#`` reaches the robot as itself; what a rig lacks or cannot do is refused by name."""
    pressed, door, clock = tmp_path / "pressed", tmp_path / "door", tmp_path / "clock"
    rig_board = RigBoard(
        "lock-a",
        "S",
        {"serial": "p"},
        keys=f"printf '%s\\n' {{keys}} >> {pressed}",
        door=Switch(f"echo open >> {door}", f"echo shut >> {door}", 0),
        clock=f"echo {{seconds}} >> {clock}",
    )
    hands = RigActuators(rig_board)
    await hands.enter_code("123456")
    await hands.press_key("*")
    await hands.open_door()
    await hands.close_door()
    await hands.advance_clock(301)
    await hands.advance_clock(0.25)
    assert pressed.read_text().split() == ["*123456#", "*"]
    assert door.read_text().split() == ["open", "shut"]
    assert clock.read_text().split() == ["301", "0.25"]
    with pytest.raises(NoSuchFixture, match="cannot set the clock back"):
        await hands.advance_clock(-3600)
    with pytest.raises(NoSuchFixture, match="no 'door'"):
        await RigActuators(RigBoard("lock-b", "S", {"serial": "p"})).open_door()
    with pytest.raises(RigCommandFailed, match="exited 3"):
        failing = RigBoard("lock-c", "S", {"serial": "p"}, keys="exit 3 {keys}")
        await RigActuators(failing).press_key("1")


def test_measurement_verdicts_and_recording() -> None:
    properties: list[tuple[str, object]] = []
    measure = Recorder(properties)
    assert measure("lockout_s", 300, "s", low=90, high=600).verdict == "pass"
    with pytest.raises(MeasurementFailed, match="outside"):
        measure("battery_mv", 4000, "mV", low=4800)
    assert [name for name, _ in properties] == ["hil.measure.lockout_s", "hil.measure.battery_mv"]
    again = Measurement.from_property(*properties[1])
    assert again.verdict == "fail" and again.unit == "mV"


def test_trial_seeds_are_stable_and_distinct() -> None:
    assert trial_seed(7, "a") == trial_seed(7, "a") != trial_seed(7, "b")


@pytest.mark.skipif(
    labgrid_installed(), reason="labgrid is installed: its plugin owns --lg-env (test_labgrid.py)"
)
def test_lg_env_without_labgrid_says_how_to_install_it(tmp_path: Path) -> None:
    args = ["hil/suite/test_basics.py", "--lg-env", str(tmp_path / "lab.yaml")]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "--lg-env needs labgrid, which is not installed here" in run.stderr
    assert "pip install -e '.[dev,labgrid]'" in run.stderr


def test_session_fuzz_is_replayable_stays_in_its_window_and_spares_the_session() -> None:
    first_seq = 0xFFF0  # the window wraps round the sequence numbers
    made = list(session_frames(7, 400, first_seq))
    assert made == list(session_frames(7, 400, first_seq))
    assert made != list(session_frames(8, 400, first_seq))
    assert {fuzz.mutation for fuzz in made} == set(SESSION_MUTATIONS)
    session_itself = {MsgType.HELLO, MsgType.SESSION_INIT, MsgType.SESSION_AUTH}
    session_itself.add(MsgType.SESSION_END)
    for fuzz in made:
        assert len(fuzz.requests) == (2 if fuzz.mutation == "same_seq" else 1)
        seqs = set()
        for header, _body in fuzz.requests:
            version, msg_type, flags, seq = struct.unpack("<BBBH", header)
            assert (version, flags) == (1, Flags.ENCRYPTED)
            assert msg_type not in session_itself
            assert (seq - first_seq) & 0xFFFF < SEQ_WINDOW
            seqs.add(seq)
        assert len(seqs) == 1


async def test_a_memory_board_lives_in_the_tests_own_process(tmp_path: Path, pki: Path) -> None:
    """``--transport memory``: the board is reached as ``memory://`` and runs in this process
    (no pid to watch), so a mutation tool sees its mutants; a power cut still loses what was
    not committed, and the board comes back with the same state folder."""
    board = EmulatedBoard(MEMORY, tmp_path / "board", ["--pki", str(pki)])
    lock = await board.open()
    try:
        assert lock.port.startswith("memory://") and lock.pids == []
        assert (await lock.client.identify()).serial == "SL-0000-0001"
        await lock.board.enter_code(code="000000")
        await lock.power_cycle()
        assert (await lock.state())["wrong_code_count"] == 1
        assert (await lock.client.identify()).serial == "SL-0000-0001"
    finally:
        await lock.client.close()
        await board.stop()


FAILING_ON_PURPOSE = """
from hil.lock_handle import Lock


async def test_passes(lock: Lock) -> None:
    await lock.client.status()


async def test_fails_after_a_status(lock: Lock) -> None:
    await lock.client.status()
    raise AssertionError("on purpose")
"""


def test_a_failing_test_shows_what_its_link_carried_last(tmp_path: Path) -> None:
    """The bytes a flake leaves behind: each chunk the client sent and received, and when."""
    (tmp_path / "test_on_purpose.py").write_text(FAILING_ON_PURPOSE, encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    config = ["-c", str(root / "pyproject.toml"), "--rootdir", str(root), "-p", "no:cacheprovider"]
    memory = ["-n", "0", "--transport", "memory"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), *config, *memory],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    failure = run.stdout.split("link trace")
    assert len(failure) == 2, run.stdout  # shown once: for the failed test, not the passed one
    shown = failure[1].split("short test summary")[0].splitlines()
    assert [line for line in shown if "://" in line] == shown[1:2], shown  # its own link only
    lines = shown[1:6]
    assert lines[0].startswith("memory://") and "the last 4 chunks" in lines[0], lines
    hello, status = lines[1].split(), lines[3].split()
    assert (hello[1], hello[2], hello[3]) == ("tx", "15", "B")  # HELLO, as SPEC.md 3 frames it
    assert status[1] == "tx" and [line.split()[1] for line in lines[2:5:2]] == ["rx", "rx"]


def test_a_run_of_the_hil_suite_is_told_apart_from_a_run_of_tests() -> None:
    """The HIL suite hands its tests out in order (its long_first tests each to a worker of
    their own, first); pyproject.toml's work stealing is for tests/ (docs/hil.md)."""
    root = Path(__file__).resolve().parents[2]

    def runs_hil(*args: Path) -> bool:
        config = SimpleNamespace(rootpath=root, args=[str(arg) for arg in args])
        return _runs_hil(cast(pytest.Config, config))

    assert runs_hil(root / "hil")
    assert runs_hil(root / "tests", root / "hil/suite/test_basics.py::test_identify")
    assert not runs_hil(root / "tests")
    assert not runs_hil(root / "tests/unit/test_session.py", root / "hilly.py")
