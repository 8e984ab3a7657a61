"""Answers that take time: a handler returns :class:`Pending`, and the board answers when
``poll()`` first returns a response (checked on every tick). The tool waits meanwhile; it gives
such requests a ``processing_s`` so it does not resend while the board works."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocols.messages import Response


@dataclass(slots=True)
class Pending:
    poll: Callable[[], Response | None]
