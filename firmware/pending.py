"""Answers that take time: a handler returns :class:`Pending`, and the board answers when
``poll()`` first returns a response (checked on every tick, and at ``ready_at_s`` when the
handler knows when its work ends). The tool waits meanwhile; it gives such requests a
``processing_s`` so it does not resend while the board works."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocols.messages import Response


@dataclass(slots=True)
class Pending:
    poll: Callable[[], Response | None]
    ready_at_s: float | None = None
    """Board monotonic time at which ``poll()`` will answer, if known (flash busy until then):
    the board answers at that instant instead of on its next tick, as firmware would from the
    flash controller's done interrupt."""
