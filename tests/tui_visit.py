"""A whole service visit in the app, by key presses only (issue 20): start the visit, diagnose a
lock whose bolt jammed as the customer opened it, fit the part, recover the lock from a hard
lockout by phone, install firmware, download the audit trail, close the visit with the
customer's sign-off (which writes the report). Shared by
tests/app/test_tui_visit_end_to_end.py (both languages) and benchmarks/tui.py (which prints the
key presses it takes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from firmware.process import EmulatorProcess
from protocols.recovery import device_recovery_secret, phone_response
from safetool.services.diagnostics import CHECKS
from safetool.tui.app import SafetoolApp
from safetool.tui.screens.audit import AuditScreen
from safetool.tui.screens.confirm import ConfirmDialog
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.diagnose import DiagnoseScreen
from safetool.tui.screens.file_dialog import ImageDialog
from safetool.tui.screens.firmware import FirmwareScreen
from safetool.tui.screens.recover import RecoverScreen
from safetool.tui.screens.visit import VisitScreen
from tests.tui_support import wait_until

JAMMED_PART = "SL-MTR-12"


@dataclass
class Keys:
    """Presses keys through the pilot and counts them: commands apart from text typed."""

    pilot: Pilot[None]
    commands: list[str] = field(default_factory=list)
    typed: int = 0

    async def press(self, *keys: str) -> None:
        self.commands.extend(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        self.typed += len(text)
        await self.pilot.press(*text)


async def until(
    pilot: Pilot[None], check: Callable[[], object], what: str, timeout_s: float = 30
) -> None:
    await wait_until(pilot, lambda: bool(check()), timeout_s, what=what)


def hotline_answer(pki: Path, app: SafetoolApp) -> str:
    """What the hotline reads back for the challenge on the screen (as the authority does)."""
    screen = app.screen
    assert isinstance(screen, RecoverScreen) and screen.challenge is not None
    challenge = screen.challenge
    master = bytes.fromhex((pki / "authority" / "recovery-master.key").read_text())
    secret = device_recovery_secret(master, challenge.serial)
    return phone_response(secret, challenge.serial, challenge.digits, challenge.counter, "T-1001")


async def whole_visit(
    app: SafetoolApp, keys: Keys, board: EmulatorProcess, pki: Path, image: Path
) -> dict[str, object]:
    """The visit, from the dashboard to the report; returns the closed visit's record."""
    pilot = keys.pilot
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "dashboard")

    await keys.press("v")  # arrive: the visit, its first field focused
    visit = app.screen
    assert isinstance(visit, VisitScreen)
    await until(pilot, lambda: bool(visit.parts), "the model's parts")
    await keys.type("Bank of Example")
    await keys.press("f5")
    await until(pilot, lambda: visit.visit is not None, "visit started")
    await keys.press("escape")

    await keys.press("d")  # diagnose the bolt: none ticked, then the bolt sensor, run
    diagnose = app.screen
    assert isinstance(diagnose, DiagnoseScreen)
    await keys.press("a", *["down"] * list(CHECKS).index("bolt_sensor"), "space", "f5")
    await until(pilot, lambda: diagnose.report is not None, "diagnosis")
    await until(pilot, lambda: diagnose.attached_to is not None, "diagnosis kept in the visit")
    await keys.press("escape")

    await board.board.fit_part(part="motor")  # the technician fits the new motor
    await keys.press("v", "tab", "enter")  # the part used: the list of the model's parts
    visit = app.screen
    assert isinstance(visit, VisitScreen)
    await until(pilot, lambda: bool(visit.parts), "the model's parts")
    index = [part.number for part in visit.parts].index(JAMMED_PART)
    await keys.press(*["down"] * (index + 1), "enter", "f6")
    await until(pilot, lambda: bool(visit.visit and visit.visit["parts"]), "part recorded")
    await keys.press("escape")

    for _ in range(3):  # three penalty lockouts in a row: a hard lockout
        for _ in range(5):
            await board.board.enter_code(code="999999")
        await board.board.advance_clock(seconds=301)
    await keys.press("r")  # recover by phone: the challenge read out, the response typed
    recover = app.screen
    assert isinstance(recover, RecoverScreen)
    await until(pilot, lambda: recover.challenge is not None, "challenge")
    await keys.type(hotline_answer(pki, app))
    await keys.press("enter")
    await until(pilot, lambda: recover.outcome is not None, "the lock's answer")
    assert recover.outcome is not None and recover.outcome.opened
    await asyncio.sleep(0.8)  # the bolt retracts; the customer closes the safe again
    await board.board.advance_clock(seconds=11)
    await asyncio.sleep(0.8)
    await keys.press("f6")  # the close seal, kept in the visit
    await until(pilot, lambda: recover.seal_reply is not None, "seal")
    await asyncio.sleep(0.3)
    await keys.press("escape")

    await keys.press("f")  # firmware: the image, the confirmation, the install
    await until(pilot, lambda: isinstance(app.screen, FirmwareScreen), "firmware screen")
    firmware = app.screen
    assert isinstance(firmware, FirmwareScreen)
    await until(pilot, lambda: firmware.status is not None, "the lock's slots")
    await keys.press("o")
    await until(pilot, lambda: isinstance(app.screen, ImageDialog), "image dialog")
    await keys.press("ctrl+u")
    await keys.type(str(image))
    await keys.press("enter")
    await until(pilot, lambda: firmware.plan is not None, "pre-check", 60)
    await keys.press("i")
    await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "confirmation")
    await keys.press("y")
    await until(pilot, lambda: firmware.outcome is not None, "installed", 120)
    await until(pilot, lambda: firmware.visit_id is not None, "install kept in the visit")
    await keys.press("escape")

    await keys.press("a", "f5")  # the audit trail, kept in the visit
    audit = app.screen
    assert isinstance(audit, AuditScreen)
    await until(pilot, lambda: audit.attached_to is not None, "audit kept in the visit", 60)
    await keys.press("escape")

    await keys.press("v")  # the customer signs off: the visit closes and the report is written
    visit = app.screen
    assert isinstance(visit, VisitScreen)
    await until(pilot, lambda: visit.visit is not None, "visit")
    await keys.press("tab", "tab", "tab", "tab", "enter", "down", "enter")  # the rating: 5 ★
    assert visit.focused is not None and visit.focused.id == "visit-rating", visit.focused
    await keys.press("tab")
    await keys.type("Wang Fang")
    await keys.press("f8")
    await until(pilot, lambda: visit.report_path is not None, "report", 30)
    assert visit.visit is not None
    return visit.visit
