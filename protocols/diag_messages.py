"""Diagnostics messages (0x40-0x47): sensor readings and guided tests. SPEC.md section 16."""

from __future__ import annotations

from protocols.messages import Request, Response

DIAG_REQUESTS: tuple[type[Request], ...] = ()
DIAG_RESPONSES: tuple[type[Response], ...] = ()
