"""Connect: the ports found (refreshing), the last used, a port typed by hand; connecting
shows progress, and any error in place with what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Footer, Header, Input, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from safetool.services.ports import PortInfo
from safetool.tui.i18n import N_, _
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.widgets.error_note import ErrorNote
from safetool.tui.widgets.port_list import PortList

if TYPE_CHECKING:
    from safetool.tui.backend import Backend, LockLink

REFRESH_S = 2.0


class ConnectScreen(SafetoolScreen):
    TITLE_TEXT = N_("Connect to a lock")
    HELP_TEXT = N_(
        "Choose the lock's port with the arrow keys and press **Enter**, or type a port "
        "(`/dev/ttyUSB0`, `COM3`, `socket://host:port`, `rfc2217://host:port`) and press "
        "**Enter**. Ports marked ★ look like a lock's service cable. The list refreshes by "
        "itself; **Esc** cancels a connection attempt."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("f5", "refresh_ports", N_("Refresh")),
        Binding("escape", "cancel_connect", N_("Cancel"), show=False),
        Binding("ctrl+l", "focus_manual", N_("Type a port"), show=False),
    ]

    class Connected(Message):
        def __init__(self, link: LockLink) -> None:
            super().__init__()
            self.link = link

    def __init__(self, backend: Backend, recent: list[str], port: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.recent = recent
        self.found: list[PortInfo] = []
        self.initial_port = port
        self.connecting_to = ""
        self.error: BaseException | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="connect-body"):
            yield Static(_("Choose the lock's port (★ likely a lock):"), classes="hint")
            yield PortList(self.recent, self.found, id="ports")
            yield Input(
                placeholder=_("or type a port: /dev/ttyUSB0, COM3, socket://host:port"),
                id="manual-port",
            )
            with Vertical(id="connecting"):
                yield Static(id="connecting-text")
                yield LoadingIndicator()
            yield ErrorNote(id="connect-error")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self._show_progress()
        self.query_one(ErrorNote).show_error(self.error, _("Could not connect:"))
        self.set_interval(REFRESH_S, self.action_refresh_ports)
        self.action_refresh_ports()
        if self.initial_port:
            port, self.initial_port = self.initial_port, ""
            self.connect(port)

    def _show_progress(self) -> None:
        box = self.query_one("#connecting")
        box.display = bool(self.connecting_to)
        if self.connecting_to:
            text = _("Connecting to {port}… (Esc cancels)").format(port=self.connecting_to)
            self.query_one("#connecting-text", Static).update(text)

    # --- ports ------------------------------------------------------------------------------

    def action_refresh_ports(self) -> None:
        self._scan()

    @work(thread=True, group="scan", exclusive=True, exit_on_error=False)
    def _scan(self) -> list[PortInfo]:
        return self.backend.list_ports()

    def action_focus_manual(self) -> None:
        self.query_one("#manual-port", Input).focus()

    # --- connecting -------------------------------------------------------------------------

    def on_port_list_chosen(self, message: PortList.Chosen) -> None:
        self.connect(message.port)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "manual-port" and event.value.strip():
            self.connect(event.value.strip())

    def connect(self, port: str) -> None:
        self.connecting_to = port
        self.error = None
        self.query_one(ErrorNote).show_error(None)
        self._show_progress()
        self._connect(port)

    @work(group="connect", exclusive=True, exit_on_error=False)
    async def _connect(self, port: str) -> LockLink:
        return await self.backend.connect(port)

    def action_cancel_connect(self) -> None:
        self.workers.cancel_group(self, "connect")
        self.connecting_to = ""
        self._show_progress()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "scan" and event.state == WorkerState.SUCCESS:
            assert isinstance(worker.result, list)
            self.found = worker.result
            self.query_one(PortList).show(self.recent, self.found)
        elif worker.group == "connect":
            if event.state == WorkerState.SUCCESS:
                self.connecting_to = ""
                self._show_progress()
                self.post_message(self.Connected(worker.result))  # type: ignore[arg-type]
            elif event.state == WorkerState.ERROR:
                self.connecting_to = ""
                self.error = worker.error
                self._show_progress()
                self.query_one(ErrorNote).show_error(worker.error, _("Could not connect:"))
