"""How long the README's test command takes, and where the time goes: each folder of ``tests/``
run on its own (as ``pytest`` runs it: ``-n auto``), then the whole command.

Goal (issue 21): the README's test command under 150 s on a 2-core machine; CI under 10 minutes
(``.ci/run`` prints its own time).

Run: ``.venv/bin/python benchmarks/suite_time.py`` (``--quick`` runs one small module, to check
the script works). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 150.0
FOLDERS = ("unit", "integration", "process", "app")
SUMMARY = re.compile(r"(\d+) passed")


def timed_pytest(*args: str) -> tuple[float, int, int]:
    """Seconds, tests passed and the exit code of ``pytest args`` run as the README runs it."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "CI": "true"},
        check=False,
    )
    seconds = time.perf_counter() - started
    found = SUMMARY.findall(done.stdout)
    return seconds, int(found[-1]) if found else 0, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small module only")
    args = parser.parse_args()
    if args.quick:
        seconds, passed, code = timed_pytest("-n", "0", "tests/unit/test_layering.py")
        print(f"tests/unit/test_layering.py: {passed} passed in {seconds:.1f} s (exit {code})")
        return code
    print(f"{'folder':<14}{'tests':>7}{'seconds':>10}")
    failed = 0
    for folder in FOLDERS:
        seconds, passed, code = timed_pytest(f"tests/{folder}")
        failed |= code
        print(f"{'tests/' + folder:<14}{passed:>7}{seconds:>10.1f}")
    seconds, passed, code = timed_pytest()
    failed |= code
    print(f"{'pytest':<14}{passed:>7}{seconds:>10.1f}")
    print(
        f"the README's test command: {seconds:.0f} s for {passed} tests, "
        f"{seconds / GOAL_S:.2f} × the {GOAL_S:.0f} s goal "
        f"({'met' if seconds <= GOAL_S else 'not met'}) on {os.cpu_count()} cores"
    )
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
