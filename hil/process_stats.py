"""Resident memory of a process (Linux /proc; elsewhere the current process via resource)."""

from __future__ import annotations

import os
import resource
import sys


def rss_kib(pid: int | None = None) -> int:
    pid = os.getpid() if pid is None else pid
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    if pid == os.getpid():
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak
    return 0
