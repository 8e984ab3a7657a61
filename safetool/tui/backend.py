"""What the app needs from the world, as two small interfaces, and their real implementation:
the services' door (:class:`~safetool.services.session.LockSession`). Tests inject their own
(an emulated board through the real serial stack, or fixed data for snapshots)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.services.audit import AuditReport
from safetool.services.datadir import data_dir
from safetool.services.diagnostics import CheckResult, DiagnosticReport, Interaction
from safetool.services.diagnostics.model_data import Part
from safetool.services.firmware_image import Image
from safetool.services.firmware_install import InstallOutcome, InstallPlan, InstallProgress
from safetool.services.firmware_status import FirmwareStatus
from safetool.services.info import LockInfo
from safetool.services.lock_state import EventSeen, LockStatus
from safetool.services.ports import PortInfo, list_serial_ports
from safetool.services.recover import Challenge, Outcome
from safetool.services.session import DEFAULT_BAUD, LockSession, Seal

if TYPE_CHECKING:
    from safetool.services.ports import FoundLock

AUTHORITY_ENV = "SAFETOOL_AUTHORITY"
BLE_SCAN_S = 3.0


class LockLink(Protocol):
    """One connected lock: what the app uses of :class:`LockSession`."""

    port: str

    async def read_info(self) -> LockInfo: ...
    async def status(self) -> LockStatus: ...
    def events(self) -> AsyncIterator[EventSeen]: ...
    async def challenge(self) -> Challenge: ...
    async def answer_by_phone(self, typed: str) -> Outcome: ...
    async def seal(self) -> Seal: ...
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
        from safetool.services.ports import scan_ble

        return await scan_ble(BLE_SCAN_S)

    def identity(self) -> TechnicianIdentity | None:
        if self._identity is None and (self.technician or os.environ.get(ENV_VAR)):
            self._identity = TechnicianIdentity.load(self.technician)
        return self._identity

    async def connect(self, port: str) -> LockLink:
        return await LockSession.connect(
            port,
            baudrate=self.baudrate,
            timeout_s=self.timeout_s,
            identity=self.identity,
            data_folder=self.data_folder,
        )
