"""``--campaign fuzz``, the other way round: a malicious board (hil/hostile.py) against the
tool's commands. Every command, run as a technician runs it (a process, a pipe for output, the
dev PKI's technician), must end within its time bound with an exit code rather than a crash: no
traceback, no "internal error", no signal, bounded memory, and nothing in its output that a
terminal would act on (control and bidi characters are shown, never sent).

Each trial is seeded (``--seed S -k <trial>`` replays it); one board per command and hostility
(every answer hostile, or a share of them, so a command gets further before it goes wrong).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from hil.campaign import trial_seed
from hil.hostile import HostileServer, harmless
from hil.images import build_test_image
from hil.measure import Recorder
from hil.results import CAMPAIGN_PROPERTY, SEED_PROPERTY

pytestmark = [pytest.mark.campaign("fuzz")]

HOSTILITY = (1.0, 0.3, 0.1)
TIME_BOUND_S = 60.0
MEMORY_BOUND_MB = 300.0
COMMANDS: dict[str, tuple[str, ...]] = {
    "info": ("info",),
    "status": ("status", "--json"),
    "monitor": ("monitor",),
    "diag": ("diag", "--technician", "{technician}"),
    "audit": ("audit", "--technician", "{technician}"),
    "config": ("config", "--technician", "{technician}"),
    "clock": ("clock", "--technician", "{technician}"),
    "firmware_install": (
        "firmware",
        "install",
        "{image}",
        "--yes",
        "--retries",
        "1",
        "--technician",
        "{technician}",
    ),
    "recover": (
        "recover",
        "--phone",
        "--response",
        "0000000000000",
        "--technician",
        "{technician}",
    ),
}
MONITOR_WATCH_S = 3.0


def _run(argv: list[str], home: Path, stop_after_s: float | None) -> tuple[int, str, str, float]:
    """Run one command to its end; return its exit code, output, errors and peak resident
    memory in MB (the child's own, from ``wait4``). ``stop_after_s``: send Ctrl-C (SIGINT)
    that long after the start, as a technician ends ``monitor``; past the time bound it is
    killed (and the test fails on the signal)."""
    env = {**os.environ, "HOME": str(home), "SAFETOOL_LANG": "en", "COLUMNS": "100"}
    env.pop("SAFETOOL_PORT", None)
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    timers = [threading.Timer(TIME_BOUND_S, process.kill)]
    if stop_after_s is not None:
        timers.append(threading.Timer(stop_after_s, process.send_signal, [signal.SIGINT]))
    read: dict[str, bytes] = {}

    def drain(name: str, pipe: IO[bytes]) -> None:
        read[name] = pipe.read()
        pipe.close()

    assert process.stdout is not None and process.stderr is not None
    readers = [
        threading.Thread(target=drain, args=("out", process.stdout)),
        threading.Thread(target=drain, args=("err", process.stderr)),
    ]
    for thread in (*timers, *readers):
        thread.start()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for timer in timers:
        timer.cancel()
    for reader in readers:
        reader.join()
    out, err = (read[name].decode(errors="replace") for name in ("out", "err"))
    return process.returncode, out, err, usage.ru_maxrss / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory read on Linux")
@pytest.mark.parametrize("hostility", HOSTILITY)
@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_a_hostile_board_gets_a_clear_end_from_every_command(
    request: pytest.FixtureRequest, command: str, hostility: float, pki: Path, tmp_path: Path,
    measure: Recorder,
) -> None:  # fmt: skip
    seed = trial_seed(request.config.getoption("hil_seed") or 0, request.node.name)
    request.node.user_properties += [(CAMPAIGN_PROPERTY, "fuzz"), (SEED_PROPERTY, seed)]
    image = build_test_image(pki, tmp_path, "next", b"\x5a" * 4096, "2.4.0")
    server = HostileServer(seed, hostility)
    await server.start()
    try:
        words = {"technician": str(pki / "technicians" / "T-1001"), "image": str(image)}
        argv = [sys.executable, "-m", "safetool.cli.main"]
        argv += [word.format(**words) for word in COMMANDS[command]]
        argv += ["--port", server.url, "--timeout-s", "0.5"]
        started = time.monotonic()
        watch = MONITOR_WATCH_S if command == "monitor" else None
        code, out, err, peak_mb = await asyncio.to_thread(_run, argv, tmp_path, watch)
        elapsed = time.monotonic() - started
    finally:
        await server.close()
    shown = f"exit {code}\n--- out\n{out[-3000:]}\n--- err\n{err[-3000:]}"
    assert code >= 0, f"killed by signal {-code}: {shown}"
    assert "Traceback" not in err and "internal error" not in out + err, shown
    assert harmless(out) and harmless(err), shown
    assert sum(server.strategies.values()) > 0, "the tool never asked the board anything"
    measure("time_s", elapsed, "s", high=TIME_BOUND_S)
    measure("peak_memory_mb", peak_mb, "MB", high=MEMORY_BOUND_MB)
    measure("exit_code", code, "", check=False)
    measure("answers", sum(server.strategies.values()), "", check=False)
