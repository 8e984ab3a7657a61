"""The ports to choose from: the last used first, then the serial ports found and the locks
seen over Bluetooth, likely locks first and marked ★. When Bluetooth cannot be used, its
section says why in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from safetool.services.ports import PortInfo
from safetool.tui.i18n import _

if TYPE_CHECKING:
    from safetool.services.ports import FoundLock


class PortList(OptionList):
    class Chosen(Message):
        def __init__(self, port: str) -> None:
            super().__init__()
            self.port = port

    def __init__(self, recent: list[str], found: list[PortInfo], **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.recent = recent
        self.found = found
        self.ble: list[FoundLock] | None = None
        """The locks seen in the last Bluetooth scan; ``None`` before the first one ends."""
        self.ble_problem = ""
        """Why Bluetooth cannot be used (in the interface language), or empty."""

    def on_mount(self) -> None:
        self.show(self.recent, self.found)

    def show(
        self,
        recent: list[str],
        found: list[PortInfo],
        ble: list[FoundLock] | None = None,
        ble_problem: str | None = None,
    ) -> None:
        """Replace the list, keeping the highlighted port where it was."""
        self.recent, self.found = recent, found
        if ble is not None or ble_problem is not None:
            self.ble, self.ble_problem = ble, ble_problem or ""
        keep = self.highlighted_option.id if self.highlighted_option is not None else None
        options: list[Option | None] = []
        if recent:
            options.append(Option(_("Last used"), disabled=True))
            options += [Option(f"  {port}", id=f"recent:{port}") for port in recent]
        options.append(Option(_("Ports found"), disabled=True))
        if not found:
            options.append(Option("  " + _("no serial ports found (refreshing)"), disabled=True))
        for port in sorted(found, key=lambda p: not p.likely_lock):
            mark = "★" if port.likely_lock else " "
            label = f"{mark} {port.device}  {port.description}"
            if port.vid_pid:
                label += f"  [{port.vid_pid}]"
            options.append(Option(label, id=f"found:{port.device}"))
        options.append(Option(_("Bluetooth locks"), disabled=True))
        options += self._ble_options()
        self.clear_options()
        self.add_options(options)
        ids = [o.id for o in self.options]
        if keep is not None and keep in ids:
            self.highlighted = ids.index(keep)
        else:
            enabled = [i for i, o in enumerate(self.options) if not o.disabled]
            self.highlighted = enabled[0] if enabled else None

    def _ble_options(self) -> list[Option | None]:
        if self.ble_problem:
            text = Text("  " + _("Bluetooth cannot be used: {why}").format(why=self.ble_problem))
            text.stylize("dim")
            return [Option(text, disabled=True)]
        if self.ble is None:
            return [Option("  " + _("looking for locks over Bluetooth…"), disabled=True)]
        if not self.ble:
            return [Option("  " + _("no lock in range (refreshing)"), disabled=True)]
        options: list[Option | None] = []
        for lock in self.ble:
            mark = "★" if lock.is_lock else " "
            name = lock.name or lock.serial or lock.address
            label = f"{mark} ble:{name}  {lock.model or ''}  {lock.address}"
            if lock.rssi is not None:
                label += f"  {lock.rssi} dBm"
            options.append(Option(label, id=f"found:ble:{lock.address}"))
        return options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        _kind, _sep, port = option_id.partition(":")
        if port:
            self.post_message(self.Chosen(port))
