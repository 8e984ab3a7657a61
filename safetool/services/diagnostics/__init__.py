"""Diagnostics: checks with documented methods, limits from per-model data, verdicts and the
genuine part that fixes a fault."""

from safetool.services.diagnostics.checks import CHECKS, CheckResult, Verdict
from safetool.services.diagnostics.readings import KEYPAD_KEYS, Interaction
from safetool.services.diagnostics.runner import DiagnosticReport, run_diagnostics

__all__ = [
    "CHECKS",
    "KEYPAD_KEYS",
    "CheckResult",
    "DiagnosticReport",
    "Interaction",
    "Verdict",
    "run_diagnostics",
]
