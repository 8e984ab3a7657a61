"""Who the lock is and how it is: IDENTIFY and STATUS read together, with problems named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocols.catalogue import Alerts, LockState
from protocols.messages import IdentifyResponse, StatusResponse
from safetool.client import LockClient


@dataclass(slots=True)
class LockInfo:
    port: str
    identity: IdentifyResponse
    status: StatusResponse

    @property
    def problems(self) -> list[str]:
        """What a technician should look at; empty for a healthy, idle lock."""
        status = self.status
        found = []
        if status.lock_state == LockState.HARD_LOCKOUT:
            found.append("hard lockout: only a service recovery opens this lock")
        elif status.lock_state == LockState.PENALTY_LOCKOUT:
            found.append(f"penalty lockout: keypad blocked for {status.lockout_seconds} s")
        if status.alerts & Alerts.TAMPER:
            found.append("tamper switch open")
        if status.alerts & Alerts.LOW_BATTERY:
            found.append(f"low battery ({status.battery_mv} mV)")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "port": self.port,
            **identity_dict(self.identity),
            **status_dict(self.status),
            "problems": self.problems,
        }


def identity_dict(identity: IdentifyResponse) -> dict[str, Any]:
    return {
        "serial": identity.serial,
        "model": identity.model,
        "hardware_revision": identity.hardware_revision,
        "firmware_version": identity.firmware_version,
        "bootloader_version": identity.bootloader_version,
        "protocol_version": identity.protocol_version,
    }


def status_dict(status: StatusResponse) -> dict[str, Any]:
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
    identity = await client.identify()
    status = await client.status()
    return LockInfo(port, identity, status)
