"""Config: the lock policy (penalty lockout, time delay, dual control), shown and changed in a
secure session through services/configure.py. The lock itself refuses values that lock
standards do not allow; its refusal is shown in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from safetool.services.configure import POLICY_FIELDS, policy_label
from safetool.tui.i18n import N_, _, ngettext
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.texts import said
from safetool.tui.widgets.error_note import ErrorNote
from safetool.tui.widgets.key_footer import KeyFooter
from safetool.tui.widgets.policy_form import PolicyForm

if TYPE_CHECKING:
    from safetool.tui.backend import LockLink


class ConfigScreen(SafetoolScreen):
    TITLE_TEXT = N_("Lock policy")
    HELP_TEXT = N_(
        "The lock's policy, read in a secure session. Move between fields with **Tab**, "
        "type new numbers, and press **Ctrl+S** to apply them (needs the *configure* "
        "qualification). **F5** reads the policy again; **Esc** goes back."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("escape", "back", N_("Back")),
        Binding("ctrl+s", "apply", N_("Apply")),
        Binding("f5", "reload", N_("Reload")),
    ]

    def __init__(self, link: LockLink) -> None:
        super().__init__()
        self.link = link
        self.policy: dict[str, int] | None = None
        self.typed: dict[str, str] = {}
        self.changed: dict[str, tuple[int, int]] = {}
        self.error: BaseException | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="config-body"):
            yield Static(self._status_text(), id="config-status")
            yield PolicyForm(self.typed, id="policy")
            yield ErrorNote(id="config-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(ErrorNote).show_error(self.error)
        if self.policy is None:
            self.action_reload()

    def _status_text(self) -> str:
        if self.busy:
            return _("Talking to the lock…")
        if self.policy is None:
            return _("Reading the policy…")
        if not self.changed:
            return _("The lock's policy. Change a number and press Ctrl+S.")
        lines = [
            ngettext(
                "Saved: {count} setting changed.",
                "Saved: {count} settings changed.",
                len(self.changed),
            ).format(count=len(self.changed))
        ]
        for name, (before, after) in self.changed.items():
            lines.append(
                _("{setting}: {before} → {after}").format(
                    setting=said(policy_label(name)), before=before, after=after
                )
            )
        return "\n".join(lines)

    def _redraw(self) -> None:
        self.query_one("#config-status", Static).update(self._status_text())
        self.query_one(ErrorNote).show_error(self.error)

    def action_reload(self) -> None:
        self.error, self.busy = None, True
        self._redraw()
        self._read()

    @work(group="config", exclusive=True, exit_on_error=False)
    async def _read(self) -> dict[str, int]:
        return await self.link.read_policy()

    def action_apply(self) -> None:
        if self.policy is None:
            return
        typed = self.query_one(PolicyForm).typed()
        changes: dict[str, int] = {}
        for name in POLICY_FIELDS:
            text = typed.get(name, "").strip()
            if text.lstrip("-").isdigit() and int(text) != self.policy.get(name):
                changes[name] = int(text)
        if not changes:
            self.notify(_("Nothing to change."))
            return
        self.error, self.busy = None, True
        self._redraw()
        self._change(changes)

    @work(group="config", exclusive=True, exit_on_error=False)
    async def _change(self, changes: dict[str, int]) -> dict[str, dict[str, int]]:
        return await self.link.change_policy(changes)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "config" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.busy = False
        if event.state == WorkerState.ERROR:
            self.error = worker.error
        else:
            result = worker.result
            assert isinstance(result, dict)
            if "after" in result:
                before, after = result["before"], result["after"]
                self.changed = {
                    name: (before[name], after[name])
                    for name in POLICY_FIELDS
                    if before.get(name) != after.get(name)
                }
                self._set_policy(after)
            else:
                self.changed = {}
                self._set_policy(result)
        self._redraw()

    def _set_policy(self, policy: dict[str, int]) -> None:
        self.policy = policy
        self.typed = {name: str(value) for name, value in policy.items()}
        form = self.query_one(PolicyForm)
        form.values = self.typed
        for name, value in self.typed.items():
            self.query_one(f"#policy-{name}").value = value  # type: ignore[attr-defined]

    def action_back(self) -> None:
        self.workers.cancel_group(self, "config")
        self.app.pop_screen()
