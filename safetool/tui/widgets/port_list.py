"""The ports to choose from: the last used first, then those found, likely locks marked ★."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from safetool.services.ports import PortInfo
from safetool.tui.i18n import _


class PortList(OptionList):
    class Chosen(Message):
        def __init__(self, port: str) -> None:
            super().__init__()
            self.port = port

    def __init__(self, recent: list[str], found: list[PortInfo], **kwargs: str) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.recent = recent
        self.found = found

    def on_mount(self) -> None:
        self.show(self.recent, self.found)

    def show(self, recent: list[str], found: list[PortInfo]) -> None:
        """Replace the list, keeping the highlighted port where it was."""
        self.recent, self.found = recent, found
        keep = self.highlighted_option.id if self.highlighted_option is not None else None
        options: list[Option | None] = []
        if recent:
            options.append(Option(_("Last used"), disabled=True))
            options += [Option(f"  {port}", id=f"recent:{port}") for port in recent]
        options.append(Option(_("Ports found"), disabled=True))
        if not found:
            options.append(Option("  " + _("no serial ports found (refreshing)"), disabled=True))
        for port in found:
            mark = "★" if port.likely_lock else " "
            label = f"{mark} {port.device}  {port.description}"
            if port.vid_pid:
                label += f"  [{port.vid_pid}]"
            options.append(Option(label, id=f"found:{port.device}"))
        self.clear_options()
        self.add_options(options)
        ids = [o.id for o in self.options]
        if keep is not None and keep in ids:
            self.highlighted = ids.index(keep)
        else:
            enabled = [i for i, o in enumerate(self.options) if not o.disabled]
            self.highlighted = enabled[0] if enabled else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option_id = event.option.id or ""
        _kind, _sep, port = option_id.partition(":")
        if port:
            self.post_message(self.Chosen(port))
