"""Who the lock is and how it is: IDENTIFY and STATUS read together, with problems named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safetool.client import LockClient
from safetool.messages import Message, as_dict, render
from safetool.services.events import bolt_message, door_message, lock_state_message
from safetool.services.lock_state import Alerts, LockIdentity, LockState, LockStatus


@dataclass(slots=True)
class LockInfo:
    port: str
    identity: LockIdentity
    status: LockStatus

    @property
    def problem_messages(self) -> list[Message]:
        """What a technician should look at; empty for a healthy, idle lock."""
        status = self.status
        found = []
        if status.lock_state == LockState.HARD_LOCKOUT:
            found.append(Message("problem.hard_lockout"))
        elif status.lock_state == LockState.PENALTY_LOCKOUT:
            found.append(Message("problem.penalty_lockout", {"seconds": status.lockout_seconds}))
        if status.alerts & Alerts.TAMPER:
            found.append(Message("problem.tamper_open"))
        if status.alerts & Alerts.LOW_BATTERY:
            found.append(Message("problem.low_battery", {"mv": status.battery_mv}))
        return found

    @property
    def problems(self) -> list[str]:
        """The problems in English, as ``--json`` has always carried them."""
        return [render(problem) for problem in self.problem_messages]

    def fields(self, *, with_port: bool = True) -> list[tuple[Message, Any]]:
        """Label and value of each fact, for a person: states and alerts as coded words."""
        document = (
            self.as_dict()
            if with_port
            else {
                "serial": self.identity.serial,
                **status_dict(self.status),
            }
        )
        worded: dict[str, Any] = {
            "lock_state": lock_state_message(self.status.lock_state),
            "door": door_message(self.status.door),
            "bolt": bolt_message(self.status.bolt),
            "alerts": [
                Message(f"alert.{alert.name.lower()}")
                for alert in Alerts
                if alert in self.status.alerts and alert.name
            ],
        }
        return [
            (Message(f"field.{name}"), worded.get(name, value))
            for name, value in document.items()
            if name not in ("problems", "problem_codes")
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "port": self.port,
            **identity_dict(self.identity),
            **status_dict(self.status),
            "problems": self.problems,
            "problem_codes": [as_dict(problem) for problem in self.problem_messages],
        }


def identity_dict(identity: LockIdentity) -> dict[str, Any]:
    return {
        "serial": identity.serial,
        "model": identity.model,
        "hardware_revision": identity.hardware_revision,
        "firmware_version": identity.firmware_version,
        "bootloader_version": identity.bootloader_version,
        "protocol_version": identity.protocol_version,
    }


def status_dict(status: LockStatus) -> dict[str, Any]:
    return {
        "lock_state": status.lock_state.name.lower(),
        "lockout_seconds": status.lockout_seconds,
        "battery_mv": status.battery_mv,
        "wrong_code_count": status.wrong_code_count,
        "door": status.door.name.lower(),
        "bolt": status.bolt.name.lower(),
        "temperature_c": status.temperature_dc / 10,
        "uptime_s": status.uptime_s,
        "alerts": [str(alert.name).lower() for alert in Alerts if alert in status.alerts],
    }


async def read_info(client: LockClient, port: str) -> LockInfo:
    identity = LockIdentity.from_wire(await client.identify())
    status = LockStatus.from_wire(await client.status())
    return LockInfo(port, identity, status)
