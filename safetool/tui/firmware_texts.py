"""Words for firmware in the interface language: slots, install steps, the version change,
sizes, speeds and times (no Textual)."""

from __future__ import annotations

from protocols.firmware_image import ImageVersion
from safetool.services.firmware_status import FirmwareStatus, SlotStatus
from safetool.tui.i18n import N_, _

PHASES: dict[str, str] = {
    "precheck": N_("pre-check"),
    "transfer": N_("transfer"),
    "activate": N_("activate"),
    "reboot": N_("trial boot"),
    "health": N_("health check"),
    "confirm": N_("confirm"),
}
"""The install's steps (``InstallProgress.phase``), in order."""
STEPS = tuple(PHASES)

SLOT_STATE: dict[str, str] = {
    "empty": N_("empty"),
    "valid": N_("valid"),
    "invalid": N_("invalid"),
    "trial": N_("on trial"),
}
LAST_RESULT: dict[str, str] = {
    "none": N_("none"),
    "booted": N_("booted"),
    "confirmed": N_("confirmed"),
    "invalid_image": N_("refused: image damaged or not signed by the manufacturer"),
    "below_floor": N_("refused: security counter below the lock's floor"),
    "wrong_model": N_("refused: image for another model"),
    "reverted": N_("reverted: the trial image was not confirmed"),
}


def version_change(installed: str, new: str) -> str:
    """``2.3.1 → 2.1.0 (older)``, the direction in words (the same action either way)."""
    try:
        old_v, new_v = ImageVersion.parse(installed), ImageVersion.parse(new)
    except ValueError:
        return f"{installed} → {new}"
    if new_v > old_v:
        template = _("{old} → {new} (newer)")
    elif new_v < old_v:
        template = _("{old} → {new} (older)")
    else:
        template = _("{old} → {new} (same version)")
    return template.format(old=old_v, new=new_v)


def slot_text(slot: SlotStatus) -> str:
    state = _(SLOT_STATE.get(slot.state, slot.state))
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


def last_result_text(status: FirmwareStatus) -> str:
    return _(LAST_RESULT.get(status.last_result, status.last_result))


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
