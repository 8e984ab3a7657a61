"""The one door into the services: a connected lock and everything a front end may do with it.

:class:`LockSession` owns the link (:class:`~safetool.client.LockClient` on its transport),
the secure session, reconnecting after the lock resets, and the rule that only one secure
conversation runs at a time (the app's dashboard reads the firmware and the clock while a
screen may be changing the policy; interleaved, they would open sessions over each other).
Every use case has the same shape: ``await session.verb(...)`` returning the services' own
typed result. The CLI and the app call only this; they import nothing below the services
(``tests/unit/test_layering.py`` checks).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from safetool.client import LockClient, LockRefused
from safetool.client.errors import SessionLost
from safetool.errors import SafetoolError
from safetool.services.info import LockInfo, read_info
from safetool.services.lock_state import EventSeen, LockIdentity, LockStatus
from safetool.transport import DEFAULT_BAUD, LinkLost, Tracer

if TYPE_CHECKING:  # each use case loads when first used: `safetool status` needs no crypto
    from safetool.identity import TechnicianIdentity
    from safetool.services.audit import AuditReport
    from safetool.services.clock import ClockChange
    from safetool.services.diagnostics import CheckResult, DiagnosticReport, Interaction
    from safetool.services.diagnostics.model_data import Part
    from safetool.services.firmware_image import Image
    from safetool.services.firmware_install import InstallOutcome, InstallPlan, InstallProgress
    from safetool.services.firmware_status import FirmwareStatus
    from safetool.services.recover import Challenge, Outcome, Recovery

__all__ = [
    "DEFAULT_BAUD",
    "LinkLost",
    "LockRefused",
    "LockSession",
    "Seal",
]

T = TypeVar("T")

IdentitySource: TypeAlias = "TechnicianIdentity | Callable[[], TechnicianIdentity | None] | None"
"""The technician's identity, or how to get it when secure work first needs it (the app loads
it late, so a lock can be looked at before the technician's folder is set up)."""


@dataclass(frozen=True, slots=True)
class Seal:
    """A recovery's close seal, for the technician to read to the hotline."""

    counter: int
    seal: str


class LockSession:
    """A connected lock. Open with :meth:`connect` (or ``async with await
    LockSession.connect(...)``); :meth:`close` when done."""

    def __init__(
        self,
        client: LockClient,
        port: str,
        identity: IdentitySource = None,
        data_folder: Path | None = None,
    ) -> None:
        self.client = client
        self.port = port
        self.data_folder = data_folder
        """Where the audit trails this laptop keeps live (``None``: the user's data folder)."""
        self._identity = identity
        self._recovery: Recovery | None = None
        self._conversation = asyncio.Lock()

    @classmethod
    async def connect(
        cls,
        port: str,
        *,
        baudrate: int = DEFAULT_BAUD,
        timeout_s: float = 3.0,
        trace: Tracer | None = None,
        identity: IdentitySource = None,
        data_folder: Path | None = None,
    ) -> LockSession:
        """Open ``port`` (a serial device, a pyserial URL or ``ble:<address>``) and say HELLO."""
        client = await LockClient.connect(
            port, baudrate=baudrate, timeout_s=timeout_s, tracer=trace
        )
        return cls(client, port, identity, data_folder)

    async def __aenter__(self) -> LockSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.client.close()

    def identity(self) -> TechnicianIdentity:
        """The technician's identity; with none set, the error that says how to set one."""
        from safetool.identity import TechnicianIdentity

        source = self._identity
        found = source() if callable(source) else source
        return found or TechnicianIdentity.load(None)

    async def _conversing(self, work: Callable[[], Awaitable[T]]) -> T:
        async with self._conversation:
            return await work()

    async def _reconnecting(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work`` in the one conversation; once more on a fresh link if the lock had reset
        (an install's trial boot, or one cancelled half-way)."""
        async with self._conversation:
            try:
                return await work()
            except LinkLost:
                await self.client.reconnect()
                return await work()

    # --- who and how the lock is (no session needed) ---------------------------------------

    async def _public(self, work: Callable[[], Awaitable[T]]) -> T:
        """A read any tool may make, outside the conversation: while a session is open it goes
        sealed, and another conversation that opens a new session ends the old one under it
        (SPEC.md 11.7: the request is aborted). Reading again is harmless, so it is read again."""
        try:
            return await work()
        except SessionLost:
            return await work()

    async def identify(self) -> LockIdentity:
        return LockIdentity.from_wire(await self._public(self.client.identify))

    async def status(self) -> LockStatus:
        return LockStatus.from_wire(await self._public(self.client.status))

    async def read_info(self) -> LockInfo:
        return await self._public(lambda: read_info(self.client, self.port))

    async def events(self) -> AsyncIterator[EventSeen]:
        """Lock events as they arrive, until the link is lost (then :class:`LinkLost`)."""
        async for received in self.client.events():
            yield EventSeen.from_wire(received)

    async def model_parts(self) -> list[Part]:
        from safetool.services.diagnostics.model_data import load_model_data

        identity = await self.client.identify()
        return list(load_model_data(identity.model).parts.values())

    # --- recovery --------------------------------------------------------------------------

    def _recovery_service(self) -> Recovery:
        from safetool.services.recover import Recovery

        if self._recovery is None:
            self._recovery = Recovery(self.client, self.identity())
        return self._recovery

    async def challenge(self) -> Challenge:
        return await self._conversing(lambda: self._recovery_service().challenge())

    async def answer_by_phone(self, typed: str) -> Outcome:
        """The hotline's response as typed; a mistyped one raises DigitsMistyped at no cost."""
        return await self._conversing(lambda: self._recovery_service().answer_by_phone(typed))

    async def recover_online(self, authority_url: str) -> tuple[Outcome, int]:
        """Challenge, the authority's authorisation, the lock's answer reported back; the
        outcome and the authority's recovery id."""
        from safetool.services.recover import recover_online

        return await self._conversing(
            lambda: recover_online(self._recovery_service(), authority_url)
        )

    async def seal(self) -> Seal:
        reply = await self._conversing(lambda: self._recovery_service().seal())
        return Seal(reply.counter, reply.seal)

    # --- policy, diagnostics, audit, clock ------------------------------------------------

    async def read_policy(self) -> dict[str, int]:
        from safetool.services.configure import read_policy

        return await self._conversing(lambda: read_policy(self.client, self.identity()))

    async def change_policy(self, changes: dict[str, int]) -> dict[str, dict[str, int]]:
        """Apply ``changes`` on top of the lock's policy; the policy ``before`` and ``after``."""
        from safetool.services.configure import change_policy

        result = await self._conversing(
            lambda: change_policy(self.client, self.identity(), changes)
        )
        return {"before": result["before"], "after": result["after"]}

    async def diagnose(
        self,
        checks: list[str] | None,
        interaction: Interaction | None,
        on_result: Callable[[CheckResult], None] | None = None,
    ) -> DiagnosticReport:
        from safetool.services.diagnostics import run_diagnostics

        # Not in the one conversation: a check may wait minutes for the technician at the
        # keypad, and the dashboard's reads must go on meanwhile (they reuse its session).
        return await run_diagnostics(
            self.client,
            self.identity(),
            checks=checks,
            interaction=interaction,
            on_result=on_result,
        )

    async def download_audit(
        self, *, full: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> AuditReport:
        """Fetch the audit trail's new entries, verify and keep them (``full``: all again)."""
        from safetool.client.secure import close_session, open_session
        from safetool.services.audit import download_audit

        async def work() -> AuditReport:
            session = await open_session(self.client, self.identity())
            report = await download_audit(
                self.client, session, directory=self.data_folder, full=full, progress=progress
            )
            await close_session(self.client)
            return report

        return await self._conversing(work)

    async def clock_offset_s(self) -> float:
        """The lock's clock minus this laptop's, in seconds."""
        from safetool.services.clock import clock_offset_s

        return await self._conversing(lambda: clock_offset_s(self.client, self.identity()))

    async def set_clock(self, authority_url: str | None = None) -> ClockChange:
        """Nudge the lock's clock to this laptop's, or set the authority's signed time."""
        from safetool.services.clock import set_clock

        return await self._conversing(
            lambda: set_clock(self.client, self.identity(), authority_url=authority_url)
        )

    # --- firmware --------------------------------------------------------------------------

    async def firmware_status(self) -> FirmwareStatus:
        from safetool.services.firmware_status import firmware_status

        return await self._reconnecting(lambda: firmware_status(self.client, self.identity()))

    async def plan_firmware(
        self, image: Image, source: str, *, base: Image | None = None, delta: bool = True
    ) -> InstallPlan:
        """The install's pre-check; raises InstallRefused (or another SafetoolError) before
        any byte of the image is sent. With ``delta``, a patch from the image the lock runs
        (``base``, or one this laptop installed before) is planned when it pays."""
        from safetool.services import firmware_cache
        from safetool.services.firmware_install import plan_install

        def bases(version: str, size: int) -> list[Image]:
            given = [base] if base is not None else []
            return given + firmware_cache.images_of(version, size)

        return await self._reconnecting(
            lambda: plan_install(
                self.client,
                self.identity(),
                image,
                port=self.port,
                source=source,
                bases=bases if delta else None,
            )
        )

    async def install_firmware(
        self,
        image: Image,
        plan: InstallPlan,
        progress: Callable[[InstallProgress], None] | None = None,
        *,
        retries: int | None = None,
    ) -> InstallOutcome:
        """Transfer, activate, health-check and confirm (``plan`` from :meth:`plan_firmware`);
        link failures are survived ``retries`` times (default 3), resuming."""
        from safetool.services import firmware_cache
        from safetool.services.firmware_install import DEFAULT_RETRIES, install

        async with self._conversation:
            try:
                outcome = await install(
                    self.client,
                    self.identity(),
                    image,
                    plan,
                    progress=progress,
                    retries=DEFAULT_RETRIES if retries is None else retries,
                )
                with contextlib.suppress(OSError):  # a full disk costs only the next delta
                    firmware_cache.remember(image)
                return outcome
            except asyncio.CancelledError:
                # Stopped at any point (mid-transfer, mid-reconnect while the lock reboots):
                # start the next conversation from a fresh HELLO, with no session assumed.
                with contextlib.suppress(SafetoolError):
                    await self.client.reconnect()
                raise
