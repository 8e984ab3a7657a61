"""Read the lock's firmware status: slots A and B, the running image, trial state, security floor
and the outcome of the last install (FIRMWARE_STATUS, needs the ``firmware`` qualification)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocols.firmware_messages import (
    FirmwareSlot,
    FirmwareStatusRequest,
    FirmwareStatusResponse,
    InstallResult,
)
from safetool.client import LockClient
from safetool.client.secure import close_session, open_session
from safetool.identity import TechnicianIdentity
from safetool.messages import Message, render

FACTORY_IMAGE = "factory image"


@dataclass(frozen=True, slots=True)
class SlotStatus:
    slot: str
    state: str
    """empty, valid, invalid or trial."""
    version: str
    security_counter: int
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "state": self.state,
            "version": self.version or None,
            "security_counter": self.security_counter,
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class FirmwareStatus:
    active_slot: str | None
    """``"A"`` or ``"B"``; ``None`` when the board runs its built-in factory image."""
    running_version: str
    trial_pending: bool
    security_floor: int
    last_result: str
    """InstallResult name in lower case (``booted``, ``reverted``, …)."""
    slots: tuple[SlotStatus, ...]

    @property
    def running(self) -> str:
        """``"A"``, ``"B"`` or ``"factory image"``."""
        return self.active_slot or FACTORY_IMAGE

    @property
    def last_result_message(self) -> Message:
        return Message(f"firmware.last.{InstallResult[self.last_result.upper()].name.lower()}")

    @property
    def last_result_text(self) -> str:
        return render(self.last_result_message)

    def fields(self) -> list[tuple[Message, Any]]:
        """Label and value of each fact, for a person (``firmware status``)."""
        running = (
            Message("firmware.running_factory", {"version": self.running_version})
            if self.active_slot is None
            else Message(
                "firmware.running_slot", {"version": self.running_version, "slot": self.active_slot}
            )
        )
        if self.trial_pending:
            running = Message("firmware.running_on_trial", {"running": running})
        fields: list[tuple[Message, Any]] = [
            (Message("firmware.field.running"), running),
            (Message("firmware.field.floor"), self.security_floor),
            (Message("firmware.field.last_install"), self.last_result_message),
        ]
        for slot in self.slots:
            state = Message(f"firmware.slot.{slot.state}")
            detail = state
            if slot.version:
                detail = Message(
                    "firmware.slot_detail",
                    {
                        "state": state,
                        "version": slot.version,
                        "counter": slot.security_counter,
                        "size": slot.size,
                    },
                )
            fields.append((Message("firmware.field.slot", {"slot": slot.slot}), detail))
        return fields

    def slot(self, name: str) -> SlotStatus:
        return next(s for s in self.slots if s.slot == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "active_slot": self.active_slot,
            "running": self.running,
            "running_version": self.running_version,
            "trial_pending": self.trial_pending,
            "security_floor": self.security_floor,
            "last_result": self.last_result,
            "slots": [s.as_dict() for s in self.slots],
        }


def firmware_status_from(response: FirmwareStatusResponse) -> FirmwareStatus:
    slots = tuple(
        SlotStatus(
            slot=record["slot"].name,
            state=record["state"].name.lower(),
            version=record["version"],
            security_counter=record["security_counter"],
            size=record["size"],
        )
        for record in response.slots
    )
    active = FirmwareSlot(response.active_slot)
    return FirmwareStatus(
        active_slot=None if active is FirmwareSlot.NONE else active.name,
        running_version=response.running_version,
        trial_pending=bool(response.trial_pending),
        security_floor=response.security_floor,
        last_result=InstallResult(response.last_result).name.lower(),
        slots=slots,
    )


async def read_firmware_status(client: LockClient) -> FirmwareStatus:
    """FIRMWARE_STATUS in the client's open session."""
    answer = await client.request(FirmwareStatusRequest())
    return firmware_status_from(answer)


async def firmware_status(client: LockClient, identity: TechnicianIdentity) -> FirmwareStatus:
    """Open a session as ``identity``, read the status, close the session."""
    await open_session(client, identity)
    try:
        return await read_firmware_status(client)
    finally:
        await close_session(client)
