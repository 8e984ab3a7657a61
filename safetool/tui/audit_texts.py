"""Audit entry kinds in the interface language (the trail and exports keep the lock's own
names; the table shows these)."""

from __future__ import annotations

from safetool.tui.i18n import N_, _

AUDIT_KIND: dict[str, str] = {
    "power_on": N_("power on"),
    "session_opened": N_("session opened"),
    "session_refused": N_("session refused"),
    "session_closed": N_("session closed"),
    "revocations_updated": N_("revocations updated"),
    "revocations_refused": N_("revocations refused"),
    "privileged_refused": N_("privileged command refused"),
    "recovery_challenge": N_("recovery challenge"),
    "recovery_refused": N_("recovery refused"),
    "recovery_opened": N_("recovery opened"),
    "recovery_sealed": N_("recovery sealed"),
    "config_changed": N_("policy changed"),
    "config_refused": N_("policy change refused"),
    "clock_jump_back": N_("clock jumped back"),
    "clock_jump_forward": N_("clock jumped forward"),
    "clock_set": N_("clock set"),
    "clock_set_refused": N_("clock setting refused"),
    "silent_alarm": N_("silent alarm"),
    "code_entered": N_("code entered"),
    "lockout": N_("lockout"),
    "tamper": N_("tamper"),
    "firmware_installed": N_("firmware installed"),
    "power_loss": N_("power loss"),
    "diagnostic": N_("diagnostic"),
    "test_fill": N_("test entry"),
}


def audit_kind(name: str) -> str:
    return _(AUDIT_KIND[name]) if name in AUDIT_KIND else name
