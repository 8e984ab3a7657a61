"""What each HIL client's link carried last, shown in a failing test's report.

A lost answer, a run of resends or garbage on the line is plain in the bytes and nowhere else
(a flake seen once in CI is otherwise gone). Every client the suite opens keeps the last chunks
it sent and received (the client's ``tracer``); a test that fails in its setup or body shows
them under "link trace", beside its captured output. Under xdist each worker is its own process
and runs one test at a time, so one list of open traces a process serves.
"""

from __future__ import annotations

from collections import deque

from safetool.client.lock_client import loop_time

KEPT_CHUNKS = 120
"""Chunks kept a link: a few seconds of requests, answers and resends."""
SHOWN_BYTES = 48
"""Bytes of each chunk kept and shown (a firmware chunk is kilobytes: its start says which)."""

_open: list[LinkTrace] = []


class LinkTrace:
    def __init__(self, port: str, keep: int = KEPT_CHUNKS) -> None:
        self.port = port
        self._started_s = loop_time()
        self._chunks: deque[tuple[float, str, bytes, int]] = deque(maxlen=keep)

    def __call__(self, direction: str, data: bytes) -> None:
        at_s = loop_time() - self._started_s
        self._chunks.append((at_s, direction, bytes(data[:SHOWN_BYTES]), len(data)))

    def text(self) -> str:
        lines = [
            f"{self.port}: the last {len(self._chunks)} chunks, in seconds since it opened "
            "(on the client's clock, which times its resends)"
        ]
        for at_s, direction, head, size in self._chunks:
            more = " ..." if size > len(head) else ""
            lines.append(f"{at_s:10.4f}  {direction}  {size:5d} B  {head.hex()}{more}")
        return "\n".join(lines)


def tracer_for(port: str) -> LinkTrace:
    """A new trace for a client opened on ``port``, shown if the running test fails."""
    trace = LinkTrace(port)
    _open.append(trace)
    return trace


def report_text() -> str:
    """The traces of the links the running test opened, those that carried anything."""
    return "\n\n".join(trace.text() for trace in _open if trace._chunks)


def forget() -> None:
    """The test is over: its links' traces go."""
    _open.clear()
