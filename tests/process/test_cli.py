"""The ``safetool`` command as a technician runs it: a separate process, real ports."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

from firmware.process import EmulatorProcess
from hil.forked import run_forked
from hil.plugin import BoardFactory
from tests.unit.test_messages import latin_words

INFO_KEYS = {
    "serial",
    "model",
    "hardware_revision",
    "firmware_version",
    "bootloader_version",
    "protocol_version",
    "lock_state",
    "lockout_seconds",
    "battery_mv",
    "wrong_code_count",
}


async def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``safetool ARGS`` as a process of its own (forked with the commands' code already
    imported, hil/forked.py), ``env`` its whole environment: exit status, stdout, stderr."""
    return await run_forked("safetool.cli.main:main", list(args), env)


async def test_info_json_has_the_documented_fields(board: EmulatorProcess) -> None:
    code, out, err = await run("info", "--port", board.port, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info.keys() >= INFO_KEYS
    assert info["serial"] == "SL-0000-0001"
    assert info["lock_state"] == "locked"


async def test_info_text_and_exit_code_1_when_the_lock_has_a_problem(
    board: EmulatorProcess,
) -> None:
    for _ in range(5):
        await board.board.enter_code(code="000000")
    code, out, _err = await run("info", "--port", board.port)
    assert code == 1
    assert "penalty lockout" in out
    assert "SL-0000-0001" in out


async def test_status_reads_the_port_from_the_environment(board: EmulatorProcess) -> None:
    import os

    env = {**os.environ, "SAFETOOL_PORT": board.port}
    code, out, _ = await run("status", "--json", env=env)
    assert code == 0
    assert json.loads(out)["battery_mv"] > 5000


async def test_missing_port_is_exit_2_without_a_traceback() -> None:
    code, out, err = await run("info", "--port", "/dev/ttyUSB-not-there")
    assert code == 2
    assert "There is no serial port" in err
    assert "Traceback" not in err + out
    code, out, err = await run("info", "--port", "/dev/ttyUSB-not-there", "--json")
    assert code == 2
    assert json.loads(out)["error"] == "PortNotFound"


async def test_no_port_at_all_says_how_to_give_one() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "SAFETOOL_PORT"}
    code, _, err = await run("status", env=env)
    assert code == 2
    assert "SAFETOOL_PORT" in err


async def test_debug_shows_a_frame_trace(board: EmulatorProcess) -> None:
    code, _, err = await run("status", "--port", board.port, "--debug")
    assert code == 0
    assert "[tx] " in err and "[rx] " in err


async def monitor_sees_a_wrong_code(
    board: EmulatorProcess, *options: str
) -> asyncio.subprocess.Process:
    """``safetool monitor`` on ``board``, connected, after someone typed a wrong code."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "monitor", "--port", board.port, *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    for _ in range(200):  # let it connect (its HELLO opens a link session)
        if (await board.board.state())["link"]["link_sessions"]:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    await board.board.enter_code(code="000000")
    return process


async def test_monitor_streams_json_lines_until_ctrl_c(board: EmulatorProcess) -> None:
    process = await monitor_sees_a_wrong_code(board, "--json")
    assert process.stdout is not None
    kinds = []
    while "wrong_code" not in kinds:
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        kinds.append(json.loads(line)["kind"])
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 10) == 0
    assert kinds[0] == "key_press"


async def test_emulate_json_prints_one_ready_line(board_factory: BoardFactory) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "safetool.cli.main",
        "emulate",
        "--json",
        "--tcp",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    ready = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
    assert {"port", "serial", "model", "firmware_version"} <= ready.keys()
    code, out, _ = await run("info", "--port", ready["port"], "--json")
    assert code == 0 and json.loads(out)["serial"] == ready["serial"]
    process.terminate()
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_ports_lists_as_json() -> None:
    code, out, _ = await run("ports", "--json")
    assert code == 0
    assert isinstance(json.loads(out), list)


async def test_demo_shows_the_board_and_its_events() -> None:
    code, out, err = await run("demo")
    assert code == 0, err
    assert "SL-0000-0001" in out
    assert "code accepted" in out


async def test_a_wrong_baud_rate_is_noise_and_the_advice_names_it(
    board_factory: BoardFactory,
) -> None:
    """A board with --strict-baud listens at its UART's rate: a tool at another rate reads
    noise, as on a real cable, and the error says to check --baud (README, 'Ports')."""
    board = await board_factory("--strict-baud")
    code, _out, err = await run("info", "--port", board.port, "--baud", "9600")
    assert code == 2 and "Traceback" not in err
    assert "--baud" in err and "115200" in err
    assert (await board.board.counters())["bytes_at_wrong_rate"] > 0
    code, _out, err = await run("info", "--port", board.port, "--baud", "115200")
    assert code == 0, err


async def test_monitor_words_events_in_chinese(board: EmulatorProcess) -> None:
    process = await monitor_sees_a_wrong_code(board, "--lang", "zh-CN")
    assert process.stdout is not None
    first = await asyncio.wait_for(process.stdout.readline(), 10)
    assert "正在监视" in first.decode()
    lines: list[str] = []
    while not any("密码错误" in line for line in lines):
        lines.append((await asyncio.wait_for(process.stdout.readline(), 10)).decode())
    process.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(process.wait(), 10) == 0
    assert any("按键" in line for line in lines)
    for line in lines:
        assert not latin_words(line), line
