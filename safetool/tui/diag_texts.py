"""Words for the diagnostic checks and their verdicts in the interface language.

Check titles, readings and details are coded messages (safetool/messages); the verdict
labels and the questions the service asks go through the app's catalogs."""

from __future__ import annotations

from safetool.messages import Message, render
from safetool.services.diagnostics import Verdict
from safetool.tui.i18n import N_, _, current_language

INTERACTIVE_CHECKS = ("keypad_keys", "buzzer", "leds")
"""Checks that need the technician at the lock (a dialog asks them)."""

VERDICT: dict[Verdict, str] = {
    Verdict.PASS: N_("pass"),
    Verdict.WARN: N_("WARN"),
    Verdict.FAIL: N_("FAIL"),
    Verdict.COULD_NOT_RUN: N_("not run"),
}
VERDICT_STYLE: dict[Verdict, str] = {
    Verdict.PASS: "green",
    Verdict.WARN: "yellow",
    Verdict.FAIL: "bold red",
    Verdict.COULD_NOT_RUN: "dim",
}
QUESTIONS: dict[str, str] = {
    "Did the buzzer sound?": N_("Did the buzzer sound?"),
    "Did the green and then the red LED light?": N_("Did the green and then the red LED light?"),
}
"""The questions the diagnostics service asks, as the catalogs know them."""


def check_title(name: str) -> str:
    return render(Message(f"diag.check.{name}"), current_language())


def verdict_label(verdict: Verdict) -> str:
    return _(VERDICT[verdict])


def question_text(question: str) -> str:
    return _(QUESTIONS[question]) if question in QUESTIONS else question
