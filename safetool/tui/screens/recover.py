"""Recover: the phone-in path. The lock's challenge shown large, the hotline's response typed
with its check digit checked as you type, attempts left, the result, and the close seal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from safetool.messages import Message, render
from safetool.services.recover import Challenge, Outcome, group_digits
from safetool.services.session import Seal
from safetool.tui import visit_log
from safetool.tui.i18n import N_, _, current_language
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.texts import attempts_left, refusal_text
from safetool.tui.widgets.challenge_view import ChallengeView
from safetool.tui.widgets.error_note import ErrorNote
from safetool.tui.widgets.key_footer import KeyFooter
from safetool.tui.widgets.response_input import ResponseInput

if TYPE_CHECKING:
    from safetool.tui.backend import LockLink


class RecoverScreen(SafetoolScreen):
    TITLE_TEXT = N_("Recover (phone-in)")
    HELP_TEXT = N_(
        "1. Call the service hotline and read out the lock serial, your technician ID and the "
        "challenge.\n2. Type the 13 digits they read back; the last is a check digit, so a "
        "misheard digit is caught at once and costs no attempt.\n3. **Enter** sends it. "
        "The lock opens if it is right.\n4. Once the safe is shut again, **F6** shows the close "
        "seal to report.\n\n**F5** asks for a new challenge (the old one stops working). "
        "**Esc** goes back to the dashboard.\n\nOnline: when the app knows the service "
        "authority (`--authority URL` or `$SAFETOOL_AUTHORITY`), **F7** asks it for the "
        "authorisation and hands it to the lock; nothing to type."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("escape", "back", N_("Back")),
        Binding("f5", "new_challenge", N_("New challenge")),
        Binding("f6", "seal", N_("Close seal")),
        Binding("f7", "online", N_("Online")),
    ]

    def __init__(self, link: LockLink, authority_url: str = "", visits: Path | None = None) -> None:
        super().__init__()
        self.link = link
        self.authority_url = authority_url
        self.visits = visits
        """The service record: a recovery sealed goes into the visit open for the lock."""
        self.recovery_id: int | None = None
        self.challenge: Challenge | None = None
        self.outcome: Outcome | None = None
        self.seal_reply: Seal | None = None
        self.typed = ""
        self.error: BaseException | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="recover-body"):
            yield ChallengeView(self.challenge, id="challenge")
            yield ResponseInput(self.typed, id="response")
            yield Static(self._attempts_text(), id="attempts")
            yield Static(self._result_text(), id="result")
            yield Static(self._seal_text(), id="seal")
            yield ErrorNote(id="recover-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(ErrorNote).show_error(self.error)
        self.query_one("#response-digits").focus()
        if self.challenge is None:
            self.action_new_challenge()

    # --- texts from state -------------------------------------------------------------------

    def _attempts_text(self) -> str:
        if self.outcome is not None:
            # an opened lock has no attempts to count: "0 attempts left" beside the success
            # read as a failure
            return "" if self.outcome.opened else attempts_left(self.outcome.attempts_left)
        if self.challenge is not None:
            return attempts_left(self.challenge.attempts_left)
        return ""

    def _result_text(self) -> Text:
        outcome = self.outcome
        if outcome is None:
            return Text("")
        if outcome.opened:
            return Text(_("The lock accepted the response and is opening."), style="bold green")
        reason = refusal_text(outcome.reason)
        refused = _("The lock refused: {reason}.").format(reason=reason)
        if outcome.wait_s:  # pacing: the typed response stays, ready to send again
            wait = render(Message("recovery.wait", {"seconds": outcome.wait_s}), current_language())
            refused = f"{refused} {wait}"
        return Text(refused, style="bold red")

    def title_text(self) -> str:
        return _("Recover") if self.authority_url else super().title_text()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "online":
            return bool(self.authority_url)
        return True

    def _seal_text(self) -> str:
        if self.recovery_id is not None and self.seal_reply is None and self.outcome is not None:
            lines = [
                _("Recorded at the service centre as recovery {number} of this lock.").format(
                    number=self.outcome.counter
                )
            ]
            if self.outcome is not None and self.outcome.opened:
                lines.append(
                    _("When the safe is shut and bolted again, press F6 for the close seal.")
                )
            return "\n".join(lines)
        if self.seal_reply is None:
            if self.outcome is not None and self.outcome.opened:
                return _("When the safe is shut and bolted again, press F6 for the close seal.")
            return ""
        return _(
            "Close seal for recovery {counter}: {seal}. Read the hotline the lock's serial, the "
            "recovery number and the seal."
        ).format(counter=self.seal_reply.counter, seal=group_digits(self.seal_reply.seal))

    def _redraw(self) -> None:
        self.query_one("#attempts", Static).update(self._attempts_text())
        self.query_one("#result", Static).update(self._result_text())
        self.query_one("#seal", Static).update(self._seal_text())
        self.query_one(ErrorNote).show_error(self.error)

    # --- actions, each a worker -------------------------------------------------------------

    def action_new_challenge(self) -> None:
        self.error = None
        self._ask_challenge()

    @work(group="recover", exclusive=True, exit_on_error=False)
    async def _ask_challenge(self) -> Challenge:
        return await self.link.challenge()

    def on_response_input_submitted(self, message: ResponseInput.Submitted) -> None:
        if self.challenge is None:
            self.app.bell()
            return
        self.typed = message.digits
        self.error = None
        self._answer(message.digits)

    @work(group="recover", exclusive=True, exit_on_error=False)
    async def _answer(self, digits: str) -> Outcome:
        return await self.link.answer_by_phone(digits)

    def action_online(self) -> None:
        if not self.authority_url:
            return
        self.error = None
        self.query_one("#result", Static).update(
            _("Asking the service authority at {url}…").format(url=self.authority_url)
        )
        self._online()

    @work(group="recover", exclusive=True, exit_on_error=False)
    async def _online(self) -> tuple[Outcome, int]:
        return await self.link.recover_online(self.authority_url)

    def action_seal(self) -> None:
        self.error = None
        self._ask_seal()

    @work(group="recover", exclusive=True, exit_on_error=False)
    async def _ask_seal(self) -> Seal:
        return await self.link.seal()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "recover":
            return
        if event.state == WorkerState.ERROR:
            self.error = worker.error
            self._redraw()
        elif event.state == WorkerState.SUCCESS:
            result = worker.result
            if isinstance(result, Challenge):
                self.challenge, self.outcome, self.seal_reply = result, None, None
                self.typed = ""
                self.call_after_refresh(self._show_challenge)
            elif isinstance(result, Outcome):
                self.outcome = result  # what was typed stays: the lock may only ask to wait
            elif isinstance(result, tuple):
                self.outcome, self.recovery_id = result
                self.seal_reply = None
            elif isinstance(result, Seal):
                self.seal_reply = result
                self._record_in_visit(result)
            self._redraw()

    @work(group="recover-visit", exit_on_error=False)
    async def _record_in_visit(self, seal: Seal) -> None:
        if self.visits is None or self.challenge is None:
            return
        method = "online" if self.recovery_id is not None else "phone"
        visit_id = await asyncio.to_thread(
            visit_log.record_recovery,
            self.visits,
            self.challenge.serial,
            seal.counter,
            method,
            seal.seal,
        )
        if visit_id is not None:
            self.notify(_("Recorded in visit {id}.").format(id=visit_id))

    async def _show_challenge(self) -> None:
        await self.query_one(ChallengeView).remove()
        await self.query_one("#recover-body").mount(
            ChallengeView(self.challenge, id="challenge"), before=0
        )
        self.query_one("#response-digits").focus()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "recover")
        self.app.pop_screen()
