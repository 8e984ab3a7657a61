"""Audit entry kinds in the interface language (the trail and exports keep the lock's own
names; the table shows these words, from the message catalogue)."""

from __future__ import annotations

from safetool.messages import render
from safetool.services.audit import audit_kind_message
from safetool.tui.i18n import current_language


def audit_kind(name: str) -> str:
    return render(audit_kind_message(name), current_language())
