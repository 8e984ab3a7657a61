"""Issue 19, finding 8, the emulated board's side: a garbage device certificate is refused at
start with a clear message, and a tool that stops reading cannot make it buffer without bound."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from protocols.catalogue import Flags
from protocols.codec import encode_message
from protocols.framing import encode_frame
from protocols.messages import HelloRequest, PingRequest
from safetool.services.devpki import init_dev_pki


@pytest.mark.parametrize(
    "garbage", [b"", b"\x00" * 200, b"not a certificate at all"], ids=["empty", "zeros", "text"]
)
def test_a_board_refuses_to_start_with_a_garbage_device_certificate(
    tmp_path: Path, garbage: bytes
) -> None:
    pki = tmp_path / "pki"
    init_dev_pki(pki)
    (pki / "boards" / "SL-0000-0001" / "device.cert").write_bytes(garbage)
    result = subprocess.run(
        [sys.executable, "-m", "firmware", "--pki", str(pki), "--json"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout
    assert "device" in result.stderr and "Traceback" not in result.stderr


async def test_a_tool_that_stops_reading_cannot_grow_the_boards_buffer() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware", "--tcp", "0", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        ready = json.loads(await asyncio.wait_for(process.stdout.readline(), 30))
        host, port = ready["port"].removeprefix("socket://").split(":")
        baseline_kib = _rss_kib(process.pid)
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(encode_frame(encode_message(HelloRequest(1, 1, 65535), 1, Flags.NONE)))
        ping = PingRequest(bytes(4000))
        for seq in range(2, 6002):  # 6,000 PINGs, never reading an answer
            writer.write(encode_frame(encode_message(ping, seq, Flags.NONE)))
            if seq % 500 == 0:
                await writer.drain()
        await writer.drain()
        await asyncio.sleep(1.0)
        rss_kib = _rss_kib(process.pid)
        control_host, control_port = ready["control"].split(":")
        c_reader, c_writer = await asyncio.open_connection(control_host, int(control_port))
        c_writer.write(b'{"op": "state"}\n')
        await c_writer.drain()
        counters = json.loads(await asyncio.wait_for(c_reader.readline(), 10))
        c_writer.close()
        writer.close()
        lost = counters["result"]["link"]["bytes_lost_unread"]
        unread = 6000 * 4000
        # what nobody read fell off: all but the board's 64 KiB and the kernel's socket buffers
        # (several MiB on loopback)
        assert lost > unread // 2, lost
        assert rss_kib - baseline_kib < 8 * 1024, (baseline_kib, rss_kib)  # 24 MB went unread
    finally:
        process.terminate()
        await process.wait()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
