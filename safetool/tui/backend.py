"""What the app needs from the world, as two small interfaces, and their real implementation
on safetool's services. Tests inject their own (an emulated board through the real serial
stack, or fixed data for snapshots); the screens never import the client or transport."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from protocols.events import LockEventReceived
from protocols.firmware_image import Image
from protocols.messages import StatusResponse
from protocols.trust_messages import RecoverySealResponse
from safetool.client import LockClient
from safetool.client.secure import open_session
from safetool.errors import SafetoolError
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.services.audit import AuditReport, download_audit
from safetool.services.clock import clock_offset_s
from safetool.services.configure import change_policy, read_policy
from safetool.services.datadir import data_dir
from safetool.services.diagnostics import CheckResult, DiagnosticReport, Interaction
from safetool.services.diagnostics import run_diagnostics as run_checks
from safetool.services.diagnostics.model_data import Part, load_model_data
from safetool.services.firmware_install import (
    InstallOutcome,
    InstallPlan,
    InstallProgress,
    install,
    plan_install,
)
from safetool.services.firmware_status import FirmwareStatus
from safetool.services.firmware_status import firmware_status as read_firmware_status
from safetool.services.info import LockInfo, read_info
from safetool.services.ports import PortInfo, list_serial_ports
from safetool.services.recover import Challenge, Outcome, Recovery, recover_online
from safetool.transport import DEFAULT_BAUD, LinkLost

if TYPE_CHECKING:
    from safetool.transport.ble_scan import FoundLock

AUTHORITY_ENV = "SAFETOOL_AUTHORITY"
BLE_SCAN_S = 3.0


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
    async def diagnose(
        self,
        checks: list[str],
        interaction: Interaction,
        on_result: Callable[[CheckResult], None],
    ) -> DiagnosticReport: ...
    async def download_audit(self) -> AuditReport: ...
    async def model_parts(self) -> list[Part]: ...
    async def recover_online(self, authority_url: str) -> tuple[Outcome, int]: ...
    async def firmware_status(self) -> FirmwareStatus: ...
    async def clock_offset_s(self) -> float: ...
    async def plan_firmware(self, image: Image, source: str) -> InstallPlan:
        """The install's pre-check; raises InstallRefused (or another SafetoolError)."""
        ...

    async def install_firmware(
        self, image: Image, plan: InstallPlan, progress: Callable[[InstallProgress], None]
    ) -> InstallOutcome: ...
    async def close(self) -> None: ...


class Backend(Protocol):
    """Ports on this laptop, connecting to a lock, the technician's identity, and where the
    service record and reports are kept."""

    authority_url: str
    """The service authority for online recovery; empty: phone-in only."""
    data_folder: Path
    """The service record (``visits.sqlite``) and the reports (``reports/``) live here."""

    def list_ports(self) -> list[PortInfo]: ...
    async def scan_ble(self) -> list[FoundLock]:
        """The locks in Bluetooth range, most likely first; raises a SafetoolError when
        Bluetooth cannot be used (no adapter, no BlueZ, no emulated radio)."""
        ...

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
        data_folder: Path | None = None,
    ) -> None:
        self.client = client
        self.port = port
        self.data_folder = data_folder
        self._identity = identity
        self._recovery: Recovery | None = None
        self._conversation = asyncio.Lock()
        """One secure conversation at a time: the dashboard's reads (firmware, clock) and a
        screen's (policy, audit, install) would otherwise open sessions over each other."""

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
        async with self._conversation:
            return await self._recovery_service().challenge()

    async def answer_by_phone(self, typed: str) -> Outcome:
        async with self._conversation:
            return await self._recovery_service().answer_by_phone(typed)

    async def seal(self) -> RecoverySealResponse:
        async with self._conversation:
            return await self._recovery_service().seal()

    async def read_policy(self) -> dict[str, int]:
        async with self._conversation:
            return await read_policy(self.client, self._need_identity())

    async def change_policy(self, changes: dict[str, int]) -> dict[str, dict[str, int]]:
        async with self._conversation:
            result = await change_policy(self.client, self._need_identity(), changes)
        return {"before": result["before"], "after": result["after"]}

    async def diagnose(
        self,
        checks: list[str],
        interaction: Interaction,
        on_result: Callable[[CheckResult], None],
    ) -> DiagnosticReport:
        return await run_checks(
            self.client,
            self._need_identity(),
            checks=checks,
            interaction=interaction,
            on_result=on_result,
        )

    async def download_audit(self) -> AuditReport:
        async with self._conversation:
            session = await open_session(self.client, self._need_identity())
            return await download_audit(self.client, session, directory=self.data_folder)

    async def model_parts(self) -> list[Part]:
        identity = await self.client.identify()
        return list(load_model_data(identity.model).parts.values())

    async def recover_online(self, authority_url: str) -> tuple[Outcome, int]:
        async with self._conversation:
            return await recover_online(self._recovery_service(), authority_url)

    async def firmware_status(self) -> FirmwareStatus:
        async with self._conversation:
            try:
                return await read_firmware_status(self.client, self._need_identity())
            except LinkLost:
                # the lock reset (an install's trial boot, or one cancelled half-way): reopen
                await self.client.reconnect()
                return await read_firmware_status(self.client, self._need_identity())

    async def clock_offset_s(self) -> float:
        """The lock's clock against this laptop's (a session with ``diagnose``)."""
        async with self._conversation:
            return await clock_offset_s(self.client, self._need_identity())

    async def plan_firmware(self, image: Image, source: str) -> InstallPlan:
        async with self._conversation:
            try:
                return await plan_install(
                    self.client, self._need_identity(), image, port=self.port, source=source
                )
            except LinkLost:
                await self.client.reconnect()
                return await plan_install(
                    self.client, self._need_identity(), image, port=self.port, source=source
                )

    async def install_firmware(
        self, image: Image, plan: InstallPlan, progress: Callable[[InstallProgress], None]
    ) -> InstallOutcome:
        async with self._conversation:
            try:
                return await install(
                    self.client, self._need_identity(), image, plan, progress=progress
                )
            except asyncio.CancelledError:
                # Stopped at any point (mid-transfer, mid-reconnect while the lock reboots):
                # start the next conversation from a fresh HELLO, with no session assumed.
                with contextlib.suppress(SafetoolError):
                    await self.client.reconnect()
                raise

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
        authority_url: str | None = None,
        data_folder: Path | None = None,
    ) -> None:
        self.technician = technician
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self.authority_url = (
            os.environ.get(AUTHORITY_ENV, "") if authority_url is None else authority_url
        )
        self.data_folder = data_folder or data_dir()
        self._identity: TechnicianIdentity | None = None

    def list_ports(self) -> list[PortInfo]:
        return list_serial_ports()

    async def scan_ble(self) -> list[FoundLock]:
        from safetool.transport.ble_scan import scan  # bleak loads only when BLE is looked at

        return await scan(BLE_SCAN_S, locks_only=True)

    def identity(self) -> TechnicianIdentity | None:
        if self._identity is None and (self.technician or os.environ.get(ENV_VAR)):
            self._identity = TechnicianIdentity.load(self.technician)
        return self._identity

    async def connect(self, port: str) -> LockLink:
        client = await LockClient.connect(port, baudrate=self.baudrate, timeout_s=self.timeout_s)
        return ServiceLink(client, port, self.identity, self.data_folder)
