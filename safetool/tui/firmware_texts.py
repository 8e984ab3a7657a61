"""Words for firmware in the interface language: slots, install steps, the version change,
sizes, speeds and times (no Textual)."""

from __future__ import annotations

from safetool.messages import Message, render
from safetool.services.firmware_image import version_change_message
from safetool.services.firmware_status import FirmwareStatus, SlotStatus
from safetool.tui.i18n import _, current_language

STEPS = ("precheck", "transfer", "activate", "reboot", "health", "confirm")
"""The install's steps (``InstallProgress.phase``), in order."""


def phase_text(phase: str) -> str:
    return render(Message(f"firmware.phase.{phase}"), current_language())


def version_change(installed: str, new: str) -> str:
    """``2.3.1 → 2.1.0 (older)``, the direction in words (the same action either way)."""
    return render(version_change_message(installed, new), current_language())


def last_result_text(status: FirmwareStatus) -> str:
    return render(status.last_result_message, current_language())


def slot_text(slot: SlotStatus) -> str:
    state = render(Message(f"firmware.slot.{slot.state}"), current_language())
    if slot.state == "empty" or not slot.version:
        return state
    return _("{version} ({state}, counter {counter})").format(
        version=slot.version, state=state, counter=slot.security_counter
    )


def running_text(status: FirmwareStatus) -> str:
    if status.active_slot is None:
        return _("{version} (factory image)").format(version=status.running_version)
    return _("{version} from slot {slot}").format(
        version=status.running_version, slot=status.active_slot
    )


def other_slot(status: FirmwareStatus) -> SlotStatus | None:
    """The slot the next install goes into (not the running one; A under the factory image)."""
    name = "B" if status.active_slot == "A" else "A"
    return next((s for s in status.slots if s.slot == name), None)


def trial_text(status: FirmwareStatus) -> str:
    if status.trial_pending:
        return _("on trial, not yet confirmed")
    return _("none")


def size_text(count: int) -> str:
    if count < 1024:
        return _("{count} B").format(count=count)
    return _("{kib:.1f} KiB").format(kib=count / 1024)


def rate_text(bytes_per_s: float) -> str:
    return _("{rate}/s").format(rate=size_text(round(bytes_per_s)))


def seconds_text(seconds: float) -> str:
    whole = max(round(seconds), 0)
    minutes, rest = divmod(whole, 60)
    return f"{minutes}:{rest:02d}"
