"""Shared by the TUI tests: a backend with fixed data (snapshots must not depend on clocks,
ports or keys made at test time), and helpers to wait for the app."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from textual.css.query import NoMatches
from textual.pilot import Pilot

from protocols.audit_messages import AuditKind, WireEntry
from protocols.catalogue import (
    Alerts,
    BoltState,
    DoorState,
    EventKind,
    LockState,
    RefusalReason,
)
from protocols.certificates import Certificate, CertificateKind, Qualification
from protocols.firmware_image import Image
from protocols.trust_messages import RecoveryChallengeResponse
from safetool.identity import TechnicianIdentity
from safetool.messages import Message
from safetool.services.audit import AuditReport
from safetool.services.diagnostics import CheckResult, DiagnosticReport, Interaction, Verdict
from safetool.services.diagnostics.checks import describe_limits
from safetool.services.diagnostics.model_data import Part, load_model_data
from safetool.services.firmware_image import (
    InstallPrecheck,
    check_security_floor,
    version_change,
)
from safetool.services.firmware_install import (
    InstallOutcome,
    InstallPlan,
    InstallProgress,
)
from safetool.services.firmware_status import FirmwareStatus, SlotStatus
from safetool.services.info import LockInfo
from safetool.services.lock_state import EventSeen, LockIdentity, LockStatus
from safetool.services.ports import PortInfo
from safetool.services.recover import Challenge, Outcome
from safetool.services.session import Seal
from safetool.transport.ble_scan import FoundLock
from safetool.tui.app import SafetoolApp
from safetool.tui.backend import LockLink
from safetool.tui.recent import RecentPorts

T0 = 1_790_000_000  # a fixed board time for the snapshots (2026-09-21 UTC)
FIXED_CHALLENGE = "1234567890"
IDENTITY = LockIdentity("SL-0000-0001", "SL-100", "B", "2.3.1", "1.0.4", 1)


def status(state: LockState = LockState.HARD_LOCKOUT, battery_mv: int = 5980) -> LockStatus:
    return LockStatus(
        state, DoorState.CLOSED, BoltState.EXTENDED, 0, 0, battery_mv, 235, 4242, Alerts(0)
    )


def fixed_events() -> list[EventSeen]:
    kinds = [
        (EventKind.POWER_ON, 12),
        (EventKind.WRONG_CODE, 1),
        (EventKind.WRONG_CODE, 2),
        (EventKind.LOCKOUT_STARTED, 300),
        (EventKind.HARD_LOCKOUT, 3),
    ]
    return [
        EventSeen(seq, kind, T0 + 61 * seq, value, 0)
        for seq, (kind, value) in enumerate(kinds, start=1)
    ]


def fixed_identity() -> TechnicianIdentity:
    key = Ed25519PrivateKey.generate()
    certificate = Certificate(
        CertificateKind.TECHNICIAN,
        7,
        "T-1001",
        "Li Wei",
        "CN-East",
        Qualification.DIAGNOSE
        | Qualification.RECOVER
        | Qualification.CONFIGURE
        | Qualification.FIRMWARE,
        T0 - 86400,
        T0 + 365 * 86400,
        b"\0" * 32,
        b"\0" * 8,
    )
    public = key.public_key()
    return TechnicianIdentity(Path("/nowhere"), key, b"", certificate, public, public, public, None)


class FakeLink:
    """A lock with fixed answers: hard lockout, a fixed challenge, a fixed policy."""

    def __init__(self) -> None:
        self.port = "/dev/ttyUSB0"
        self.policy = {
            "wrong_codes": 5,
            "window_s": 300,
            "lockout_s": 300,
            "hard_after_lockouts": 3,
            "time_delay_s": 0,
            "opening_window_s": 60,
            "dual_control": 0,
            "answer_valid_min": 15,
        }
        self.clock_offset = 0.0
        """The lock's clock against this laptop's, in seconds."""
        self.pacing_s = 0
        """When set, the lock is pacing answers: every answer waits this long."""

    async def read_info(self) -> LockInfo:
        return LockInfo(self.port, IDENTITY, status())

    async def status(self) -> LockStatus:
        return status()

    async def events(self) -> AsyncIterator[EventSeen]:
        for received in fixed_events():
            yield received
        await asyncio.Event().wait()

    async def challenge(self) -> Challenge:
        raw = RecoveryChallengeResponse(b"\0" * 16, 4, T0, 3, "SL-0000-0001", FIXED_CHALLENGE)
        return Challenge("SL-0000-0001", FIXED_CHALLENGE, 4, 3, "T-1001", raw)

    async def answer_by_phone(self, typed: str) -> Outcome:
        if self.pacing_s:
            return Outcome(False, RefusalReason.LOCKED_OUT, 4, 3, self.pacing_s)
        return Outcome(False, RefusalReason.WRONG_RESPONSE, 4, 2)

    async def seal(self) -> Seal:
        return Seal(4, "123456782")

    async def read_policy(self) -> dict[str, int]:
        return dict(self.policy)

    async def change_policy(self, changes: dict[str, int]) -> dict[str, dict[str, int]]:
        before = dict(self.policy)
        self.policy.update(changes)
        return {"before": before, "after": dict(self.policy)}

    async def diagnose(
        self,
        checks: list[str],
        interaction: Interaction,
        on_result: Callable[[CheckResult], None],
    ) -> DiagnosticReport:
        results = []
        for name in checks:
            result = fixed_check(name)
            results.append(result)
            on_result(result)
        return DiagnosticReport("SL-0000-0001", "SL-100", results)

    async def download_audit(self) -> AuditReport:
        return fixed_audit()

    async def model_parts(self) -> list[Part]:
        return list(load_model_data("SL-100").parts.values())

    async def recover_online(self, authority_url: str) -> tuple[Outcome, int]:
        return Outcome(True, RefusalReason.NONE, 4, 3), 17

    async def firmware_status(self) -> FirmwareStatus:
        return fixed_firmware()

    async def clock_offset_s(self) -> float:
        return self.clock_offset

    async def plan_firmware(self, image: Image, source: str) -> InstallPlan:
        """The floor check of the real pre-check (no signature: the fake has no keys)."""
        status = fixed_firmware()
        check_security_floor(image, status.security_floor, source=source)
        counter = image.security_counter or 0
        precheck = InstallPrecheck(
            version_change(IDENTITY.firmware_version, image.version),
            counter,
            status.security_floor,
            counter > status.security_floor,
        )
        return InstallPlan(
            self.port, IDENTITY.serial, IDENTITY.model, IDENTITY.firmware_version,
            str(image.version), precheck, status, 5980,
        )  # fmt: skip

    async def install_firmware(
        self, image: Image, plan: InstallPlan, progress: Callable[[InstallProgress], None]
    ) -> InstallOutcome:
        raise AssertionError("the fake lock installs nothing")

    async def close(self) -> None:
        pass


def fixed_firmware() -> FirmwareStatus:
    """Running 2.3.1 from slot A, 2.2.0 kept in B, the floor raised to 2 by a security fix."""
    return FirmwareStatus(
        "A",
        "2.3.1",
        False,
        2,
        "confirmed",
        (SlotStatus("A", "valid", "2.3.1", 2, 49664), SlotStatus("B", "valid", "2.2.0", 1, 49664)),
    )


def fixed_check(name: str) -> CheckResult:
    if name == "battery":
        model = load_model_data("SL-100")
        return CheckResult(
            name,
            Message("diag.check.battery"),
            Verdict.FAIL,
            4700,
            "mV",
            describe_limits(model.limit("battery_mv"), "mV"),
            "SL-BAT-4AA",
            model.part("battery").name,
            model.part("battery").next_step,
        )
    if name in ("keypad_keys", "buzzer", "leds"):
        return CheckResult(
            name,
            Message(f"diag.check.{name}"),
            Verdict.COULD_NOT_RUN,
            detail=Message("diag.needs_confirmer"),
        )
    return CheckResult(name, Message(f"diag.check.{name}"), Verdict.PASS, 0)


def fixed_audit() -> AuditReport:
    kinds = [
        (AuditKind.POWER_ON, {"boot": 1}),
        (AuditKind.CODE_ENTERED, {"ok": True, "slot": 1}),
        (AuditKind.CODE_ENTERED, {"ok": False, "slot": 0}),
        (AuditKind.LOCKOUT, {"seconds": 300}),
        (AuditKind.SESSION_OPENED, {"technician": "T-1001"}),
        (AuditKind.RECOVERY_OPENED, {"counter": 4}),
        (AuditKind.CLOCK_SET, {"before": T0, "after": T0 + 5}),
    ]
    entries = [
        WireEntry(index, T0 + 3600 * index, kind, json.dumps(detail).encode())
        for index, (kind, detail) in enumerate(kinds)
    ]
    return AuditReport("SL-0000-0001", len(entries), 0, True, T0, len(entries), entries)


class FakeBackend:
    def __init__(self, data_folder: Path | None = None) -> None:
        self.technician = fixed_identity()
        self.authority_url = ""
        self.data_folder = data_folder or Path("/nonexistent")
        self.clock_offset = 0.0
        """The clock offset of every lock this backend connects to."""
        self.pacing_s = 0

    def list_ports(self) -> list[PortInfo]:
        return [
            PortInfo("/dev/ttyS0", "ttyS0", None, None, None, False, None),
            PortInfo(
                "/dev/ttyUSB0",
                "FT232R USB UART",
                "0403:6001",
                "A10K4",
                "FTDI",
                True,
                Message("port.why_bridge", {"bridge": "FTDI FT232R"}),
            ),
        ]

    async def scan_ble(self) -> list[FoundLock]:
        return [FoundLock("SL-0000-0042", "C0:5A:1E:00:00:2A", -61, "SL-0000-0042", "SL-100", True)]

    async def connect(self, port: str) -> LockLink:
        link = FakeLink()
        link.port = port
        link.clock_offset = self.clock_offset
        link.pacing_s = self.pacing_s
        return link

    def identity(self) -> TechnicianIdentity | None:
        return self.technician


def fake_app(
    tmp_path: Path, language: str, *, port: str = "", theme: str = "textual-dark"
) -> SafetoolApp:
    recent = RecentPorts(tmp_path / "recent.json")
    recent.remember("socket://192.168.1.20:7000")
    return SafetoolApp(
        FakeBackend(tmp_path), port=port, language=language, recent=recent, theme=theme
    )


async def wait_until(
    pilot: Pilot[None], check: Callable[[], bool], timeout_s: float = 10.0, what: str = ""
) -> None:
    """Let the app run until ``check()`` holds (workers talk to a real board meanwhile); a
    widget ``check`` reads that is not yet composed means "not yet"."""
    deadline = time.monotonic() + timeout_s

    def holds() -> bool:
        try:
            return check()
        except NoMatches:
            return False

    while not holds():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await pilot.pause(0.05)


def shown(widget: object) -> str:
    """The text a widget shows on screen now, line by line."""
    from textual.widget import Widget

    assert isinstance(widget, Widget)
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def flow_in(language: str) -> pytest.MarkDecorator:
    """An app flow runs once, in one language (``language`` is its argument): the flows share
    English and Chinese between them, and both languages of every screen are in the snapshots
    (test_tui_snapshots.py) and the catalogue's checks (tests/unit/test_messages.py)."""
    return pytest.mark.parametrize("language", [language])
