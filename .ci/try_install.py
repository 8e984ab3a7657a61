"""Drive an installed safetool, as a technician would, against an emulated lock.

The lock, the development PKI's hotline side and the firmware image come from the dev install
(this Python); the commands under test come from ``--safetool``: a fresh venv with only the base
install, a ``uv tool`` or ``pipx`` install of the wheel, or the single-file build. Each step is
checked by what it prints and its exit code; the seconds of each are printed.

    .venv/bin/python .ci/try_install.py --safetool /tmp/base/bin/safetool --label base

Steps: info, status, diag, recover --phone (after a hard lockout), firmware install, visit
start/note/close and report (HTML, zh-CN), the app in tmux at 80x24 in zh-CN, and a command of
each missing extra (`authority ledger`, `emulate --ble`, `firmware build`), which must name the
extra, not raise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from firmware.process import EmulatorProcess
from hil.images import build_test_image
from protocols.recovery import device_recovery_secret, phone_response

TECHNICIAN = "technicians/T-1001"
SERIAL = "SL-0000-0001"


class StepFailed(Exception):
    pass


class Tool:
    """The safetool under test, with a private data and config folder."""

    def __init__(self, command: list[str], home: Path) -> None:
        self.command = command
        self.env = {
            **os.environ,
            "SAFETOOL_DATA_DIR": str(home / "data"),
            "SAFETOOL_CONFIG_DIR": str(home / "config"),
            "SAFETOOL_PORT": "",
            "SAFETOOL_TECHNICIAN": "",
        }

    def run(self, *argv: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        done = subprocess.run(
            [*self.command, *argv],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        if done.returncode not in ok or "Traceback" in done.stdout + done.stderr:
            raise StepFailed(
                f"`safetool {' '.join(argv)}` exited {done.returncode}:\n"
                f"{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
            )
        return done.stdout


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def step_info_status(tool: Tool, board: EmulatorProcess, _work: Path) -> None:
    info = json.loads(tool.run("info", "--port", board.port, "--json"))
    status = json.loads(tool.run("status", "--port", board.port, "--json"))
    if info.get("serial") != SERIAL or status.get("serial") != SERIAL:
        raise StepFailed(f"info/status name another lock: {info} {status}")


async def step_diag(tool: Tool, board: EmulatorProcess, work: Path) -> None:
    out = tool.run(
        "diag", "--port", board.port, "--technician", str(work / "pki" / TECHNICIAN), "--json",
        ok=(0, 1),  # 1: a check found a problem (the motor checks need the lock open)
    )  # fmt: skip
    lines = json_lines(out)
    checks = [line for line in lines if line.get("event") == "check"]
    if not checks or lines[-1].get("event") != "report":
        raise StepFailed(f"diag printed no checks and report:\n{out[-1500:]}")
    # `visit note --diag` reads one JSON document, while `diag --json` prints JSON lines (one
    # per check, then the report): the report line is the document it takes.
    (work / "diag.json").write_text(json.dumps(lines[-1], ensure_ascii=False))


async def step_recover_phone(tool: Tool, board: EmulatorProcess, work: Path) -> None:
    for _ in range(3):  # three penalty lockouts in a row: a hard lockout
        for _ in range(5):
            await board.board.enter_code(code="999999")
        await board.board.advance_clock(seconds=301)
    argv = [*tool.command, "recover", "--phone", "--json", "--port", board.port]
    argv += ["--technician", str(work / "pki" / TECHNICIAN)]
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=tool.env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        first = await asyncio.wait_for(process.stdout.readline(), 30)
        challenge = json.loads(first or b"{}")
        if challenge.get("event") != "challenge":
            raise StepFailed(f"recover --phone showed no challenge: {first!r}")
        # the hotline's side, with the development authority's master secret
        master = bytes.fromhex((work / "pki/authority/recovery-master.key").read_text())
        response = phone_response(
            device_recovery_secret(master, challenge["serial"]),
            challenge["serial"],
            challenge["challenge"],
            challenge["counter"],
            "T-1001",
        )
        process.stdin.write(f"{response}\n".encode())
        await process.stdin.drain()
        result = json.loads(await asyncio.wait_for(process.stdout.readline(), 30) or b"{}")
        if not result.get("opened"):
            raise StepFailed(f"recover --phone did not open the lock: {result}")
        if await asyncio.wait_for(process.wait(), 30) != 0:
            raise StepFailed(f"recover --phone exited {process.returncode}")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if (await board.board.state())["hard_lockout"]:
        raise StepFailed("the lock is still in hard lockout after recover --phone")


async def step_firmware_install(tool: Tool, board: EmulatorProcess, work: Path) -> None:
    image = build_test_image(work / "pki", work, "v240", os.urandom(24 * 1024), "2.4.0")
    out = tool.run(
        "firmware", "install", str(image), "--port", board.port,
        "--technician", str(work / "pki" / TECHNICIAN), "--yes", "--json",
    )  # fmt: skip
    result = json_lines(out)[-1]
    info = json.loads(tool.run("info", "--port", board.port, "--json"))
    if info.get("firmware_version") != "2.4.0":
        raise StepFailed(
            f"firmware install: the lock runs {info.get('firmware_version')}: {result}"
        )


async def step_visit_report(tool: Tool, board: EmulatorProcess, work: Path) -> None:
    technician = str(work / "pki" / TECHNICIAN)
    started = json.loads(
        tool.run("visit", "start", "--port", board.port, "--site", "上海 门店 12",
                 "--technician", technician, "--json")
    )  # fmt: skip
    visit_id = str(started["visit_id"])
    tool.run("visit", "note", "--diag", str(work / "diag.json"))
    tool.run("visit", "note", "电池电压正常", "--finding")
    tool.run("visit", "close", "--signed-off-by", "王芳", "--satisfaction", "5")
    report = work / "report.html"
    tool.run("report", visit_id, "--html", "--lang", "zh-CN", "-o", str(report))
    text = report.read_text(encoding="utf-8")
    if SERIAL not in text or "王芳" not in text:
        raise StepFailed("the report lacks the lock's serial or the sign-off")


def _capture(session: str) -> str:
    return subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
    ).stdout


def _wait_for(session: str, wanted: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    screen = ""
    while time.monotonic() < deadline:
        screen = _capture(session)
        if wanted in screen:
            return screen
        time.sleep(0.1)
    raise StepFailed(f"the app did not show {wanted!r}; the terminal shows:\n{screen}")


async def step_app_in_tmux(tool: Tool, board: EmulatorProcess, work: Path) -> None:
    if shutil.which("tmux") is None:
        raise StepFailed("tmux is not installed")
    session = f"safetool-try-{uuid.uuid4().hex[:8]}"
    exit_file = work / "app-exit"
    env = " ".join(
        f"{name}={shlex.quote(tool.env[name])}"
        for name in ("SAFETOOL_DATA_DIR", "SAFETOOL_CONFIG_DIR")
    )
    command = (
        f"{env} TERM=xterm-256color LANG=C.UTF-8 {shlex.join(tool.command)} tui "
        f"--port {shlex.quote(board.port)} --lang zh_CN; echo $? > {shlex.quote(str(exit_file))}"
        "; sleep 30"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True
    )
    try:
        screen = _wait_for(session, SERIAL, 30)  # the dashboard, connected to the lock
        _wait_for(session, "帮助", 10)
        lines = screen.splitlines()
        if len(lines) > 24 or any(len(line) > 80 for line in lines):
            raise StepFailed("the app drew outside 80x24")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 15
        while not exit_file.exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        code = exit_file.read_text().strip() if exit_file.exists() else "(still running)"
        if code != "0":
            raise StepFailed(f"the app exited {code}:\n{_capture(session)}")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)


async def step_missing_extras(tool: Tool, _board: EmulatorProcess, work: Path) -> None:
    (work / "app.bin").write_bytes(os.urandom(4096))
    build = ["firmware", "build", "--payload", str(work / "app.bin"), "--version", "2.4.0",
             "--security-counter", "1", "--model", "SL-100", "--hardware-revision", "B",
             "--channel", "stable", "--key", str(work / "pki/manufacturer/firmware.key"),
             "-o", str(work / "built.img")]  # fmt: skip
    for argv, extra in (
        (["authority", "ledger"], "authority"),
        (["emulate", "--ble"], "emulator"),
        (build, "build"),
    ):
        done = subprocess.run(
            [*tool.command, *argv],
            capture_output=True,
            text=True,
            env={**tool.env, "PATH": "/usr/bin:/bin"},  # no imgtool of another install
            timeout=60,
            check=False,
        )
        named = f"safetool[{extra}]" in done.stderr or (
            extra == "emulator" and "single-file safetool does not include" in done.stderr
        )  # the single file leaves the whole emulated lock out, and says so
        if done.returncode != 2 or not named:
            raise StepFailed(
                f"`safetool {argv[0]} {argv[1]}` without the {extra} extra: "
                f"exit {done.returncode}, {done.stderr[-800:]}"
            )
        if "Traceback" in done.stderr:
            raise StepFailed(f"`safetool {argv[0]} {argv[1]}` printed a traceback")


Step = Callable[[Tool, EmulatorProcess, Path], Awaitable[None]]
STEPS: dict[str, Step] = {
    "info+status": step_info_status,
    "diag": step_diag,
    "firmware install": step_firmware_install,
    "recover --phone": step_recover_phone,
    "visit+report": step_visit_report,
    "app (tmux 80x24 zh_CN)": step_app_in_tmux,
    "missing extras named": step_missing_extras,
}


async def try_install(command: list[str], label: str, skip: set[str]) -> int:
    started = time.perf_counter()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="safetool-try-") as folder:
        work = Path(folder)
        tool = Tool(command, work)
        tool.run("dev-pki", "init", str(work / "pki"))
        async with EmulatorProcess("--tcp", "0", "--pki", str(work / "pki")) as board:
            for name, step in STEPS.items():
                if name in skip:
                    print(f"[{label}] {name}: skipped")
                    continue
                began = time.perf_counter()
                try:
                    await step(tool, board, work)
                except (StepFailed, subprocess.TimeoutExpired, TimeoutError) as error:
                    failures += 1
                    print(f"[{label}] {name}: FAILED\n{error}")
                    continue
                print(f"[{label}] {name}: ok ({time.perf_counter() - began:.1f} s)")
    total = time.perf_counter() - started
    print(f"[{label}] {len(STEPS) - failures - len(skip)} ok, {failures} failed in {total:.1f} s")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--safetool", required=True, help="the safetool command to try")
    parser.add_argument("--label", default="safetool")
    parser.add_argument("--skip", action="append", default=[], choices=list(STEPS))
    args = parser.parse_args()
    command = shlex.split(args.safetool)
    sys.exit(asyncio.run(try_install(command, args.label, set(args.skip))))


if __name__ == "__main__":
    main()
