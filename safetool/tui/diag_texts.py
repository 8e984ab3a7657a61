"""Words for the diagnostic checks and their verdicts in the interface language.

The diagnostics service names checks and asks its questions in English (for the CLI and
JSON); the app shows the same checks through the catalogs, by the check's name."""

from __future__ import annotations

from safetool.services.diagnostics import Verdict
from safetool.tui.i18n import N_, _

CHECK_TITLE: dict[str, str] = {
    "battery": N_("Battery at rest"),
    "battery_resistance": N_("Battery under load"),
    "motor": N_("Motor and bolt travel"),
    "bolt_sensor": N_("Bolt position sensor"),
    "keypad_stuck": N_("Keypad: stuck keys"),
    "keypad_keys": N_("Keypad: every key"),
    "buzzer": N_("Buzzer"),
    "leds": N_("LEDs"),
    "rtc": N_("Clock"),
    "temperature": N_("Temperature"),
    "tamper": N_("Tamper switch"),
    "door_sensor": N_("Door sensor"),
    "error_log": N_("Error log"),
    "versions": N_("Firmware and bootloader"),
}
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
    return _(CHECK_TITLE[name]) if name in CHECK_TITLE else name


def verdict_label(verdict: Verdict) -> str:
    return _(VERDICT[verdict])


def question_text(question: str) -> str:
    return _(QUESTIONS[question]) if question in QUESTIONS else question
