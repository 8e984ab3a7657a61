"""Ctrl-C at a prompt stops the command at once (not at the next Enter), and an install stopped
half-way says where the lock stands and how to go on."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from hil.images import build_test_image
from hil.plugin import BoardFactory
from safetool.services.devpki import init_dev_pki


async def read_until(fd: int, needle: bytes, timeout_s: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout_s
    while needle not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")
        try:
            seen += os.read(fd, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.05)
    return seen


@pytest.mark.skipif(sys.platform == "win32", reason="a pty is how a terminal is modelled")
async def test_ctrl_c_at_the_install_confirmation_stops_at_once(
    tmp_path: Path, board_factory: BoardFactory
) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    board = await board_factory("--pki", str(pki))
    image = build_test_image(pki, tmp_path, "v240", b"\x5a" * 4096, "2.4.0")
    main, terminal = os.openpty()
    os.set_blocking(main, False)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "firmware", "install", str(image),
        "--port", board.port, "--technician", str(pki / "technicians" / "T-1001"),
        stdin=terminal, stdout=terminal, stderr=terminal,
    )  # fmt: skip
    os.close(terminal)
    try:
        await read_until(main, b"[y/N]", 30)
        asked = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), 5)
        assert time.monotonic() - asked < 3  # not waiting for Enter
        assert code == 130
    finally:
        if process.returncode is None:
            process.kill()
        os.close(main)


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell starts a background job


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    ("sig", "started_ignoring_sigint", "expected"),
    [
        (signal.SIGINT, True, 0),  # Ctrl-C is how monitor ends, however it was started
        (signal.SIGTERM, False, 143),
    ],
)
async def test_a_running_command_stops_on_sigint_and_sigterm(
    sig: signal.Signals, started_ignoring_sigint: bool, expected: int, board_factory: BoardFactory
) -> None:
    board = await board_factory()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "monitor", "--port", board.port,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        preexec_fn=ignore_sigint if started_ignoring_sigint else None,
    )  # fmt: skip
    assert process.stdout is not None
    await asyncio.wait_for(process.stdout.readline(), 20)  # "Watching ..."
    process.send_signal(sig)
    try:
        code = await asyncio.wait_for(process.wait(), 5)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.stderr is not None
    err = (await process.stderr.read()).decode()
    assert code == expected, err
    assert "Traceback" not in err


async def test_monitor_notices_a_lock_that_stops_answering(board_factory: BoardFactory) -> None:
    """A hung controller keeps the cable up and says nothing: monitor must not watch silence."""
    board = await board_factory()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "monitor", "--port", board.port,
        "--timeout-s", "1", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        await asyncio.wait_for(process.stdout.readline(), 20)
        await board.board.mute(on=True)
        code = await asyncio.wait_for(process.wait(), 15)
    finally:
        if process.returncode is None:
            process.kill()
    err = (await process.stderr.read()).decode()
    assert code == 2 and "Traceback" not in err
    assert "answer" in err, err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_the_emulated_board_stops_on_sigint_and_sigterm_without_a_traceback(
    sig: signal.Signals, tmp_path: Path
) -> None:
    """Issue 19, finding 8: `safetool emulate` stopped by a service manager (SIGTERM) or Ctrl-C
    closes cleanly and says nothing alarming."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "safetool.cli.main", "emulate", "--tcp", "0",
        "--state", str(tmp_path / "board"), "--lang", "en",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert b"listening on socket://" in line, line
        process.send_signal(sig)
        code = await asyncio.wait_for(process.wait(), 10)
    finally:
        if process.returncode is None:
            process.kill()
    err = (await process.stderr.read()).decode()
    assert code == 0, err
    assert "Traceback" not in err and "Error" not in err, err
