"""What the app needs from the world, as two small interfaces, and their real implementation
on safetool's services. Tests inject their own (an emulated board through the real serial
stack, or fixed data for snapshots); the screens never import the client or transport."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

from protocols.events import LockEventReceived
from protocols.messages import StatusResponse
from protocols.trust_messages import RecoverySealResponse
from safetool.client import LockClient
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.services.configure import change_policy, read_policy
from safetool.services.info import LockInfo, read_info
from safetool.services.ports import PortInfo, list_serial_ports
from safetool.services.recover import Challenge, Outcome, Recovery
from safetool.transport import DEFAULT_BAUD


class LockLink(Protocol):
    """One connected lock."""

    port: str

    async def read_info(self) -> LockInfo: ...
    async def status(self) -> StatusResponse: ...
    def events(self) -> AsyncIterator[LockEventReceived]: ...
    async def challenge(self) -> Challenge: ...
    async def answer_by_phone(self, typed: str) -> Outcome: ...
    async def seal(self) -> RecoverySealResponse: ...
    async def read_policy(self) -> dict[str, int]: ...
    async def change_policy(self, changes: dict[str, int]) -> dict[str, dict[str, int]]: ...
    async def close(self) -> None: ...


class Backend(Protocol):
    """Ports on this laptop, connecting to a lock, and the technician's identity."""

    def list_ports(self) -> list[PortInfo]: ...
    async def connect(self, port: str) -> LockLink: ...
    def identity(self) -> TechnicianIdentity | None:
        """The loaded identity, or ``None``; raises a SafetoolError if the folder is bad."""
        ...


class ServiceLink:
    """A :class:`LockLink` on :class:`LockClient` and the services."""

    def __init__(
        self,
        client: LockClient,
        port: str,
        identity: Callable[[], TechnicianIdentity | None],
    ) -> None:
        self.client = client
        self.port = port
        self._identity = identity
        self._recovery: Recovery | None = None

    def _need_identity(self) -> TechnicianIdentity:
        # With no folder given, load(None) raises the IdentityError that says what to do.
        return self._identity() or TechnicianIdentity.load(None)

    async def read_info(self) -> LockInfo:
        return await read_info(self.client, self.port)

    async def status(self) -> StatusResponse:
        return await self.client.status()

    def events(self) -> AsyncIterator[LockEventReceived]:
        return self.client.events()

    def _recovery_service(self) -> Recovery:
        if self._recovery is None:
            self._recovery = Recovery(self.client, self._need_identity())
        return self._recovery

    async def challenge(self) -> Challenge:
        return await self._recovery_service().challenge()

    async def answer_by_phone(self, typed: str) -> Outcome:
        return await self._recovery_service().answer_by_phone(typed)

    async def seal(self) -> RecoverySealResponse:
        return await self._recovery_service().seal()

    async def read_policy(self) -> dict[str, int]:
        return await read_policy(self.client, self._need_identity())

    async def change_policy(self, changes: dict[str, int]) -> dict[str, dict[str, int]]:
        result = await change_policy(self.client, self._need_identity(), changes)
        return {"before": result["before"], "after": result["after"]}

    async def close(self) -> None:
        await self.client.close()


class ServiceBackend:
    """The real world: pyserial ports, :meth:`LockClient.connect`, the technician's folder."""

    def __init__(
        self,
        technician: Path | str | None = None,
        *,
        baudrate: int = DEFAULT_BAUD,
        timeout_s: float = 3.0,
    ) -> None:
        self.technician = technician
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self._identity: TechnicianIdentity | None = None

    def list_ports(self) -> list[PortInfo]:
        return list_serial_ports()

    def identity(self) -> TechnicianIdentity | None:
        if self._identity is None and (self.technician or os.environ.get(ENV_VAR)):
            self._identity = TechnicianIdentity.load(self.technician)
        return self._identity

    async def connect(self, port: str) -> LockLink:
        client = await LockClient.connect(port, baudrate=self.baudrate, timeout_s=self.timeout_s)
        return ServiceLink(client, port, self.identity)
