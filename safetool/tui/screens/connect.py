"""Connect: the serial ports and the Bluetooth locks found (refreshing), the last used, a
port typed by hand; connecting shows progress, and any error in place with what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Header, Input, LoadingIndicator, Static
from textual.worker import Worker, WorkerState

from safetool.errors import SafetoolError
from safetool.services.ports import PortInfo
from safetool.tui.i18n import N_, _
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.widgets.error_note import ErrorNote, explain, parts
from safetool.tui.widgets.key_footer import KeyFooter
from safetool.tui.widgets.port_list import PortList

if TYPE_CHECKING:
    from safetool.services.ports import FoundLock
    from safetool.tui.backend import Backend, LockLink

REFRESH_S = 2.0
BLE_AGAIN_S = 1.0
"""Pause between Bluetooth scans (each listens for a few seconds)."""
BLE_RETRY_S = 10.0
"""After Bluetooth could not be used: try again this much later (an adapter plugged in)."""


class ConnectScreen(SafetoolScreen):
    TITLE_TEXT = N_("Connect to a lock")
    HELP_TEXT = N_(
        "Choose the lock's port with the arrow keys and press **Enter**, or type a port "
        "(`/dev/ttyUSB0`, `COM3`, `socket://host:port`, `rfc2217://host:port`, "
        "`ble:<name or address>`) and press **Enter**. Ports marked ★ look like a lock's "
        "service cable; locks seen over Bluetooth are listed below them (if Bluetooth cannot "
        "be used, the list says why). The list refreshes by itself; **Esc** cancels a "
        "connection attempt."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *SafetoolScreen.BINDINGS,
        Binding("f5", "refresh_ports", N_("Refresh")),
        Binding("escape", "cancel_connect", N_("Cancel"), show=False),
        Binding("ctrl+l", "focus_manual", N_("Type a port")),
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
        self.ble: list[FoundLock] | None = None
        self.ble_error: BaseException | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Vertical(id="connect-body"):
            yield Static(_("Choose the lock's port (★ likely a lock):"), classes="hint")
            ports = PortList(self.recent, self.found, id="ports")
            ports.ble, ports.ble_problem = self.ble, self._ble_problem()
            yield ports
            yield Input(
                placeholder=_("or type a port: /dev/ttyUSB0, COM3, socket://host:port, ble:NAME"),
                id="manual-port",
            )
            with Vertical(id="connecting"):
                yield Static(id="connecting-text")
                yield LoadingIndicator()
            yield ErrorNote(id="connect-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._show_progress()
        self.query_one(ErrorNote).show_error(self.error, _("Could not connect:"))
        self.set_interval(REFRESH_S, self.action_refresh_ports)
        self.action_refresh_ports()
        self._scan_ble()
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

    @work(group="ble", exclusive=True, exit_on_error=False)
    async def _scan_ble(self) -> list[FoundLock]:
        return await self.backend.scan_ble()

    def _ble_later(self, seconds: float) -> None:
        def again() -> None:
            if self.is_mounted and not self.connecting_to:
                self._scan_ble()

        self.set_timer(seconds, again)

    def _ble_problem(self) -> str:
        error = self.ble_error
        if error is None:
            return ""
        if isinstance(error, SafetoolError):
            what, _meaning, step = parts(error)
            return f"{what}\n    " + _("What to do: {step}").format(step=step) if step else what
        return explain(error)

    def _show_ports(self) -> None:
        self.query_one(PortList).show(self.recent, self.found, self.ble, self._ble_problem())

    def action_focus_manual(self) -> None:
        self.query_one("#manual-port", Input).focus()

    # --- connecting -------------------------------------------------------------------------

    def on_port_list_chosen(self, message: PortList.Chosen) -> None:
        self.connect(message.port)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "manual-port" and event.value.strip():
            self.connect(event.value.strip())

    def connect(self, port: str) -> None:
        self.workers.cancel_group(self, "ble")  # the radio is the lock's while connecting
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
        self._scan_ble()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "scan" and event.state == WorkerState.SUCCESS:
            assert isinstance(worker.result, list)
            self.found = worker.result
            self._show_ports()
        elif worker.group == "ble" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            if event.state == WorkerState.SUCCESS:
                assert isinstance(worker.result, list)
                self.ble, self.ble_error = worker.result, None
            else:
                self.ble, self.ble_error = None, worker.error
            self._show_ports()
            self._ble_later(BLE_AGAIN_S if self.ble_error is None else BLE_RETRY_S)
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
                self._scan_ble()
