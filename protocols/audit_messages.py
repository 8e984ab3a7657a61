"""Audit-trail and clock messages (0x48-0x4F). SPEC.md section 17."""

from __future__ import annotations

from protocols.messages import Request, Response

AUDIT_REQUESTS: tuple[type[Request], ...] = ()
AUDIT_RESPONSES: tuple[type[Response], ...] = ()
