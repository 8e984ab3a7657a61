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
