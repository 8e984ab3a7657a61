"""Cold start: whole processes, from exec to exit, measured in one run against a peer CLI.

* ``safetool status --port socket://…`` against an emulated lock (process start to the answer
  printed and the process gone);
* ``esptool --help``, the leanest peer CLI a technician also runs (installed with ``[dev]``);
* ``safetool --help``;
* ``python -c pass`` in the same interpreter, the floor nobody can go under;
* with ``--exe PATH`` also the single-file build's ``status`` and ``--help``.

The runs are interleaved (one of each per round), so load on the machine hits all of them alike;
the medians and their ratios are printed. Goals (issue 16): status no slower than
``esptool --help``; ``safetool --help`` under a third of it.

Run: ``.venv/bin/python benchmarks/cold_start.py`` (``--quick`` for a smoke run). See
``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from firmware.process import EmulatorProcess

BIN = Path(sys.executable).parent
GOAL_STATUS_VS_ESPTOOL = 1.0
GOAL_HELP_VS_ESPTOOL = 1 / 3


def timed_run(argv: list[str]) -> float:
    """Seconds from exec to exit; a failing command is an error, never a figure."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"cold_start: {' '.join(argv)} failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace')[-500:]}"
        )
    return elapsed


def find_esptool() -> str | None:
    beside = BIN / "esptool"
    if beside.exists():
        return str(beside)
    return shutil.which("esptool")


def commands(port: str, exe: Path | None) -> dict[str, list[str]]:
    safetool = str(BIN / "safetool")
    table = {
        "safetool status": [safetool, "status", "--port", port],
        "safetool --help": [safetool, "--help"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    esptool = find_esptool()
    if esptool is not None:
        table["esptool --help"] = [esptool, "--help"]
    if exe is not None:
        table["one-file status"] = [str(exe), "status", "--port", port]
        table["one-file --help"] = [str(exe), "--help"]
    return table


async def measure(rounds: int, exe: Path | None) -> dict[str, list[float]]:
    async with EmulatorProcess("--tcp", "0") as emulator:
        table = commands(emulator.port, exe)
        for argv in table.values():  # warm the page cache and the .pyc files
            await asyncio.to_thread(timed_run, argv)
        times: dict[str, list[float]] = {name: [] for name in table}
        for _ in range(rounds):
            for name, argv in table.items():
                times[name].append(await asyncio.to_thread(timed_run, argv))
    return times


def report(times: dict[str, list[float]]) -> None:
    medians = {name: statistics.median(values) for name, values in times.items()}
    rounds = len(next(iter(times.values())))
    print(f"cold start, whole process, median of {rounds} interleaved runs (ms):")
    for name, value in medians.items():
        spread = f"{min(times[name]) * 1e3:.0f}-{max(times[name]) * 1e3:.0f}"
        print(f"  {name:<18} {value * 1e3:7.0f}   (range {spread})")
    esptool = medians.get("esptool --help")
    if esptool is None:
        print("esptool is not installed here (pip install esptool): no ratios")
        return
    status = medians["safetool status"] / esptool
    helped = medians["safetool --help"] / esptool
    print("ratios to esptool --help in the same run:")
    print(
        f"  safetool status  {status:.2f}  (goal <= {GOAL_STATUS_VS_ESPTOOL:.2f}: "
        f"{'met' if status <= GOAL_STATUS_VS_ESPTOOL else 'NOT met'})"
    )
    print(
        f"  safetool --help  {helped:.2f}  (goal < {GOAL_HELP_VS_ESPTOOL:.2f}: "
        f"{'met' if helped < GOAL_HELP_VS_ESPTOOL else 'NOT met'})"
    )
    for name in ("one-file status", "one-file --help"):
        if name in medians:
            print(f"  {name:<16} {medians[name] / esptool:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds (CI smoke run)")
    parser.add_argument("--rounds", type=int, default=15, help="rounds (default %(default)s)")
    parser.add_argument("--exe", type=Path, help="also time this single-file safetool")
    args = parser.parse_args()
    if args.exe is not None and not os.access(args.exe, os.X_OK):
        parser.error(f"--exe {args.exe}: not an executable file")
    rounds = 3 if args.quick else args.rounds
    report(asyncio.run(measure(rounds, args.exe)))


if __name__ == "__main__":
    main()
