"""The layers (../shared/DESIGN.md): front ends call the services, never what is below them;
the services never reach up into a front end; the message catalogue stands on nothing.

Issue 13 moves the front ends behind one door; until that lands, the imports that still reach
below the services are listed here. The list may only shrink: a new one fails, and so does an
entry that is no longer true (remove it, and say so in the commit)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BELOW_THE_SERVICES = ("protocols", "firmware", "safetool.client", "safetool.transport")
FRONT_ENDS = ("safetool.tui", "safetool.cli")

STILL_BELOW: set[tuple[str, str]] = {
    ("safetool/cli/audit_commands.py", "safetool.client"),
    ("safetool/cli/ble_commands.py", "safetool.transport"),
    ("safetool/cli/common.py", "safetool.client"),
    ("safetool/cli/common.py", "safetool.transport"),
    ("safetool/cli/demo.py", "firmware"),
    ("safetool/cli/demo.py", "protocols"),
    ("safetool/cli/demo.py", "safetool.client"),
    ("safetool/cli/firmware_install_command.py", "protocols"),
    ("safetool/cli/firmware_install_command.py", "safetool.client"),
    ("safetool/cli/firmware_install_command.py", "safetool.transport"),
    ("safetool/cli/main.py", "firmware"),
    ("safetool/cli/trust_commands.py", "protocols"),
    ("safetool/cli/tui_commands.py", "safetool.transport"),
    ("safetool/tui/audit_view.py", "protocols"),
    ("safetool/tui/backend.py", "protocols"),
    ("safetool/tui/backend.py", "safetool.client"),
    ("safetool/tui/backend.py", "safetool.transport"),
    ("safetool/tui/run.py", "firmware"),
    ("safetool/tui/run.py", "safetool.transport"),
    ("safetool/tui/screens/audit.py", "protocols"),
    ("safetool/tui/screens/connect.py", "safetool.transport"),
    ("safetool/tui/screens/dashboard.py", "protocols"),
    ("safetool/tui/screens/dashboard.py", "safetool.client"),
    ("safetool/tui/screens/firmware.py", "protocols"),
    ("safetool/tui/screens/keypad.py", "protocols"),
    ("safetool/tui/screens/recover.py", "protocols"),
    ("safetool/tui/texts.py", "protocols"),
    ("safetool/tui/widgets/event_log.py", "protocols"),
    ("safetool/tui/widgets/lock_panel.py", "protocols"),
    ("safetool/tui/widgets/port_list.py", "safetool.transport"),
    ("safetool/tui/widgets/response_input.py", "protocols"),
    ("safetool/tui/widgets/technician_card.py", "protocols"),
}


def imported(path: Path) -> Iterator[str]:
    """Every module ``path`` imports by absolute name, at any depth (lazy imports too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def within(module: str, packages: tuple[str, ...]) -> str | None:
    return next((p for p in packages if module == p or module.startswith(p + ".")), None)


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_front_ends_reach_below_the_services_no_more_than_listed() -> None:
    found = {
        (path.relative_to(ROOT).as_posix(), layer)
        for folder in ("safetool/tui", "safetool/cli")
        for path in sources(folder)
        for module in imported(path)
        if (layer := within(module, BELOW_THE_SERVICES))
    }
    assert found - STILL_BELOW == set(), "front ends call the services, not what is below them"
    assert STILL_BELOW - found == set(), "fixed: remove these from STILL_BELOW"


def test_services_never_import_a_front_end() -> None:
    reaching_up = [
        (path.relative_to(ROOT).as_posix(), module)
        for folder in ("safetool/services", "safetool/client", "safetool/transport", "protocols")
        for path in sources(folder)
        for module in imported(path)
        if within(module, FRONT_ENDS)
    ]
    assert reaching_up == []


def test_the_message_catalogue_stands_on_nothing() -> None:
    leaning = [
        (path.name, module)
        for path in sources("safetool/messages")
        for module in imported(path)
        if module.split(".")[0] in ("safetool", "protocols", "firmware", "hil")
        and not within(module, ("safetool.messages",))
    ]
    assert leaning == []
