"""The board's bootloader: which slot runs after a reset, and the FIRMWARE_STATUS answer.

At power-on it looks at the A and B slots (:mod:`firmware.flash`) as MCUboot would:

1. the active slot holds a trial image that was not confirmed before this reset → revert to
   the other slot;
2. a slot programmed since the last boot is activated if its image verifies (signature against
   the manufacturer's firmware key, model, security counter not below the floor) — on trial if
   it was programmed for trial; a permanent image raises the security floor to its SEC_CNT;
3. the active slot's image is verified again; if it fails, the other slot's valid image runs,
   else the board's built-in factory image.

The emulated board behaves the same whatever the slots hold; only IDENTIFY's firmware_version
shows the running image's version (the built-in one for the factory image).
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from firmware.flash import SLOTS, BootState, Flash, other_slot
from firmware.trust import BoardTrust
from protocols.catalogue import MsgType
from protocols.certificates import Certificate, Qualification
from protocols.firmware_image import Image, ImageError, parse_image, verify_image
from protocols.firmware_messages import (
    FirmwareSlot,
    FirmwareStatusResponse,
    InstallResult,
    SlotRecord,
    SlotState,
)
from protocols.messages import AnyRequest, Response


@dataclass(frozen=True, slots=True)
class SlotImage:
    """What the bootloader found in one slot."""

    slot: str
    state: SlotState
    """EMPTY, VALID or INVALID (TRIAL is added from the boot state by :meth:`Bootloader.status`)."""
    refusal: InstallResult | None = None
    image: Image | None = None

    @property
    def version(self) -> str:
        return "" if self.image is None else str(self.image.version)

    @property
    def security_counter(self) -> int:
        return 0 if self.image is None else self.image.security_counter or 0


class Bootloader:
    def __init__(
        self,
        flash: Flash,
        firmware_key: Ed25519PublicKey | None,
        model: str,
        builtin_version: str,
    ) -> None:
        self.flash = flash
        self.firmware_key = firmware_key
        self.model = model
        self.builtin_version = builtin_version
        self.state = flash.load_state()
        self.running_version = builtin_version  # pragma: no mutate (boot() sets it first)
        """What IDENTIFY reports (set by :meth:`boot`)."""
        self.reverted = False  # pragma: no mutate (boot() sets it first)
        """The last :meth:`boot` went back from an unconfirmed trial image."""

    # --- looking at a slot ---------------------------------------------------------------------

    def inspect(self, slot: str, floor: int | None = None) -> SlotImage:
        if self.flash.is_erased(slot):
            return SlotImage(slot, SlotState.EMPTY)
        try:
            image = parse_image(self.flash.read(slot))
        except ImageError:
            return SlotImage(slot, SlotState.INVALID, InstallResult.INVALID_IMAGE)
        if self.firmware_key is None:  # an unprovisioned board trusts no image
            return SlotImage(slot, SlotState.INVALID, InstallResult.INVALID_IMAGE, image)
        try:
            verify_image(image, self.firmware_key)
        except ImageError:
            return SlotImage(slot, SlotState.INVALID, InstallResult.INVALID_IMAGE, image)
        if image.model is not None and image.model != self.model:
            return SlotImage(slot, SlotState.INVALID, InstallResult.WRONG_MODEL, image)
        limit = self.state.security_floor if floor is None else floor
        if (image.security_counter or 0) < limit:
            return SlotImage(slot, SlotState.INVALID, InstallResult.BELOW_FLOOR, image)
        return SlotImage(slot, SlotState.VALID, None, image)

    # --- power-on ------------------------------------------------------------------------------

    def boot(self) -> str:
        """Choose the slot to run, save the boot state; return the running version."""
        state = self.flash.load_state()
        self.state = state
        refused: set[str] = set()
        self.reverted = False  # pragma: no mutate (None is as false)
        if state.active is not None and state.trial:
            self.reverted = True
            refused.add(state.active)  # never fall back to the unconfirmed image
            state.active = other_slot(state.active)  # pragma: no mutate (fallback finds it)
            state.trial = False  # pragma: no mutate (None is as false)
            state.last_result = InstallResult.REVERTED
        if state.next_boot is not None:
            target = self.inspect(state.next_boot)
            if target.state is SlotState.VALID:
                state.active = target.slot
                state.trial = state.next_boot_trial
                state.last_result = InstallResult.BOOTED
                if not state.trial:
                    state.security_floor = max(state.security_floor, target.security_counter)
            else:
                state.last_result = int(target.refusal or InstallResult.INVALID_IMAGE)
            state.next_boot = None
            state.next_boot_trial = False
        running = None if state.active is None else self.inspect(state.active)
        if running is None or running.state is not SlotState.VALID:  # never a trial here
            fallback = [
                found
                for found in (self.inspect(slot) for slot in SLOTS if slot not in refused)
                if found.state is SlotState.VALID and found.slot != state.active
            ]
            running = fallback[0] if fallback else None
            state.active = None if running is None else running.slot
        self.flash.save_state(state)
        self.running_version = self.builtin_version if running is None else running.version
        return self.running_version

    # --- what a production programmer does (the side channel) ------------------------------------

    def program(self, slot: str, data: bytes, *, trial: bool) -> None:
        """Write ``data`` into ``slot`` and mark it to be activated at the next boot."""
        if trial and slot == self.state.active:
            raise ValueError(f"slot {slot} is running: program the other slot for a trial")
        self.flash.write_image(slot, data)
        state = self.flash.load_state()
        state.next_boot, state.next_boot_trial = slot, trial
        self.flash.save_state(state)
        self.state = state

    # --- FIRMWARE_STATUS -----------------------------------------------------------------------

    def register(self, trust: BoardTrust) -> None:
        trust.register(MsgType.FIRMWARE_STATUS, Qualification.FIRMWARE, self.status)

    def status(self, request: AnyRequest, technician: Certificate) -> Response:
        state: BootState = self.flash.load_state()
        records: list[SlotRecord] = []
        for slot in SLOTS:
            found = self.inspect(slot, state.security_floor)  # pragma: no mutate (= self.state's)
            slot_state = found.state
            on_trial = (slot == state.active and state.trial) or (
                slot == state.next_boot and state.next_boot_trial
            )
            if slot_state is SlotState.VALID and on_trial:
                slot_state = SlotState.TRIAL
            records.append(
                SlotRecord(
                    slot=FirmwareSlot.A if slot == "A" else FirmwareSlot.B,
                    state=slot_state,
                    security_counter=found.security_counter,
                    size=0 if found.image is None else found.image.total_size,
                    version=found.version,
                )
            )
        return FirmwareStatusResponse(
            active_slot=FirmwareSlot.NONE if state.active is None else FirmwareSlot[state.active],
            trial_pending=1 if state.active is not None and state.trial else 0,
            security_floor=state.security_floor,
            last_result=InstallResult(state.last_result),
            running_version=self.running_version,
            slots=records,
        )
