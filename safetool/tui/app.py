"""The technician's app: screens, app-wide keys, language and theme, and the command palette.

Services come in through a :class:`~safetool.tui.backend.Backend`; the app keeps the one
connected :class:`~safetool.tui.backend.LockLink` and hands it down to the screens."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path, PurePath
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from safetool.tui.backend import Backend, LockLink
from safetool.tui.i18n import LANGUAGES, N_, _, current_language, set_language
from safetool.tui.recent import RecentPorts
from safetool.tui.screens.audit import AuditScreen
from safetool.tui.screens.base import SafetoolScreen
from safetool.tui.screens.config import ConfigScreen
from safetool.tui.screens.connect import ConnectScreen
from safetool.tui.screens.dashboard import DashboardScreen
from safetool.tui.screens.diagnose import DiagnoseScreen
from safetool.tui.screens.firmware import FirmwareScreen
from safetool.tui.screens.recover import RecoverScreen
from safetool.tui.screens.visit import VisitScreen
from safetool.tui.visit_log import VISITS_FILE

STYLES = Path(__file__).parent / "styles"
THEMES = ("textual-dark", "textual-light")


DEMO_HINT = N_(
    "An emulated lock, and you are test technician T-1001. Try D to diagnose it, R to recover "
    "it from a lockout, F to install firmware (newer or older), A to read its audit trail, V "
    "to keep the visit's record. F1 explains each screen; Ctrl+Q quits."
)


class SafetoolApp(App[None]):
    TITLE = "safetool"
    CSS_PATH: ClassVar[list[str | PurePath]] = [
        STYLES / name
        for name in (
            "app.tcss",
            "connect.tcss",
            "dashboard.tcss",
            "recover.tcss",
            "config.tcss",
            "diagnose.tcss",
            "audit.tcss",
            "visit.tcss",
            "firmware.tcss",
            "dialogs.tcss",
        )
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "switch_language", N_("中文")),
        Binding("f3", "toggle_theme", N_("Theme"), show=False),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
    ]

    def __init__(
        self,
        backend: Backend,
        *,
        port: str = "",
        language: str = "en",
        recent: RecentPorts | None = None,
        theme: str = "textual-dark",
        demo: bool = False,
    ) -> None:
        set_language(language)
        super().__init__()
        self.backend = backend
        self.start_port = port
        self.recent = recent or RecentPorts()
        self.link: LockLink | None = None
        self.theme = theme
        self.demo_hint_due = demo
        """``safetool demo``: say what to try, once, when the dashboard first opens."""

    def on_mount(self) -> None:
        self.push_screen(ConnectScreen(self.backend, self.recent.load(), self.start_port))

    # --- flow between screens (messages up from the screens) ---------------------------------

    async def on_connect_screen_connected(self, message: ConnectScreen.Connected) -> None:
        self.link = message.link
        self.recent.remember(message.link.port)
        await self.switch_screen(DashboardScreen(self.backend, message.link))
        if self.demo_hint_due:
            self.demo_hint_due = False
            self.notify(_(DEMO_HINT), title=_("Demo"), timeout=30)

    async def on_dashboard_screen_navigate(self, message: DashboardScreen.Navigate) -> None:
        assert self.link is not None
        if message.where == "recover":
            await self.push_screen(
                RecoverScreen(self.link, self.backend.authority_url, self._visits())
            )
        elif message.where == "config":
            await self.push_screen(ConfigScreen(self.link))
        elif message.where == "diagnose":
            await self.push_screen(DiagnoseScreen(self.link, self._visits()))
        elif message.where == "visit":
            await self.push_screen(VisitScreen(self.backend, self.link))
        elif message.where == "audit":
            await self.push_screen(
                AuditScreen(self.link, self.backend.data_folder / "exports", self._visits())
            )
        elif message.where == "firmware":
            await self.push_screen(
                FirmwareScreen(self.link, self.backend.data_folder, self.image_folder())
            )

    def _visits(self) -> Path:
        return self.backend.data_folder / VISITS_FILE

    def image_folder(self) -> Path:
        """Where the image dialog starts: ``firmware/`` in the data folder if there is one,
        else the folder the app was started in."""
        kept = self.backend.data_folder / "firmware"
        return kept if kept.is_dir() else Path.cwd()

    async def on_dashboard_screen_disconnect(self, message: DashboardScreen.Disconnect) -> None:
        await self._close_link()
        await self.switch_screen(ConnectScreen(self.backend, self.recent.load()))

    async def _close_link(self) -> None:
        link, self.link = self.link, None
        if link is not None:
            await link.close()

    async def action_quit(self) -> None:
        self.workers.cancel_all()
        await self._close_link()
        self.exit()

    # --- language and theme ---------------------------------------------------------------

    async def action_switch_language(self) -> None:
        codes = list(LANGUAGES)
        following = codes[(codes.index(current_language()) + 1) % len(codes)]
        await self.use_language(following)

    async def use_language(self, language: str) -> None:
        set_language(language)
        for screen in self.screen_stack:
            if isinstance(screen, SafetoolScreen):
                await screen.relabel()
        self.refresh_bindings()

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    # --- command palette: every action of the screen, plus the app's ----------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        seen: set[str] = set()
        own_keys = {
            b.key for b in [*self.BINDINGS, *type(screen).BINDINGS] if isinstance(b, Binding)
        }
        for active in screen.active_bindings.values():
            binding = active.binding
            ours = active.node in (screen, self) and binding.key in own_keys
            if not ours or not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                binding.description,
                _("Key: {key}").format(key=self.get_key_display(binding)),
                partial(self.run_action, binding.action, active.node),
            )
        for code, name in LANGUAGES.items():
            yield SystemCommand(
                _("Language: {name}").format(name=name),
                _("Show the app in this language"),
                partial(self.use_language, code),
            )
        yield from super().get_system_commands(screen)
