"""Reading and changing the lock policy (penalty, time delay, dual control) in a session."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
    ConfigSetRequest,
    ConfigSetResponse,
)
from safetool.client import LockClient
from safetool.client.secure import open_session
from safetool.errors import SafetoolError
from safetool.identity import TechnicianIdentity
from safetool.messages import Message

POLICY_FIELDS = tuple(f.name for f in fields(ConfigSetRequest))
UNITS = {"window_s": "s", "lockout_s": "s", "time_delay_s": "s", "opening_window_s": "s"}


def policy_label(name: str) -> Message:
    """A policy setting's name for a person (``time_delay_s`` -> "Time delay (s)")."""
    return Message(f"policy.{name}")


def parse_settings(pairs: list[str]) -> dict[str, int]:
    """``["time_delay_s=600", "dual_control=1"]`` → a dict; a clear error for anything else."""
    settings = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        name = name.strip().replace("-", "_")
        if name not in POLICY_FIELDS or not value.strip().isdigit():
            raise SafetoolError(
                Message("policy.bad_setting", {"pair": repr(pair)}),
                next_step=Message("policy.bad_setting.next", {"names": list(POLICY_FIELDS)}),
            )
        settings[name] = int(value)
    return settings


def _as_dict(reply: ConfigResponse | ConfigSetResponse) -> dict[str, int]:
    return {name: int(getattr(reply, name)) for name in POLICY_FIELDS}


async def read_policy(client: LockClient, identity: TechnicianIdentity) -> dict[str, int]:
    await open_session(client, identity)
    reply = await client.request(ConfigGetRequest())
    return _as_dict(reply)


async def change_policy(
    client: LockClient, identity: TechnicianIdentity, changes: dict[str, int]
) -> dict[str, Any]:
    """Apply ``changes`` on top of the lock's current policy; return before and after."""
    before = await read_policy(client, identity)
    reply = await client.request(ConfigSetRequest(**{**before, **changes}))
    return {"before": before, "after": _as_dict(reply)}
