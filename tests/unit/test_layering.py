"""The layers (../shared/DESIGN.md), kept: the front ends (CLI, app) go through the services'
door (safetool/services/session.py) and import nothing below it; nothing below the front ends
reaches up into one; the service authority is a part of its own that the services reach only
through its client; only the emulator launcher imports the emulated board; the message
catalogue stands on nothing. Every import counts, lazy and type-checking ones included."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.reads_source  # mutation testing skips it (docs/testing.md)

ROOT = Path(__file__).resolve().parents[2]
SAFETOOL = ROOT / "safetool"

BELOW_THE_DOOR = ("protocols", "firmware", "safetool.client", "safetool.transport")
FRONT_ENDS = ("safetool.cli", "safetool.tui")


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in ``path``: top-level, in functions, under TYPE_CHECKING."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            yield node.lineno, node.module or ""


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def offences(folder: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    found = []
    for path in sorted((SAFETOOL / folder).resolve().rglob("*.py")):
        for line, module in imports(path):
            if within(module, forbidden) and not within(module, allowed):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("front_end", ["cli", "tui"])
def test_front_ends_import_nothing_below_the_services(front_end: str) -> None:
    assert offences(front_end, BELOW_THE_DOOR) == []


def test_the_app_does_not_import_the_command_line() -> None:
    # the CLI starts the app (safetool tui); the app never reaches back: no package cycle
    assert offences("tui", ("safetool.cli",)) == []


@pytest.mark.parametrize("layer", ["services", "client", "transport", "../protocols"])
def test_nothing_below_the_front_ends_imports_one(layer: str) -> None:
    assert offences(layer, FRONT_ENDS) == []


def test_the_services_reach_the_authority_only_through_its_client() -> None:
    assert (
        offences("services", ("safetool.authority",), allowed=("safetool.authority.client",)) == []
    )


def test_the_authority_imports_neither_services_nor_front_ends() -> None:
    assert offences("authority", ("safetool.services", *FRONT_ENDS)) == []


def test_the_message_catalogue_stands_on_nothing() -> None:
    ours = ("safetool", "protocols", "firmware", "hil")
    assert offences("messages", ours, allowed=("safetool.messages",)) == []


def test_only_the_emulator_launcher_imports_the_emulated_board() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(SAFETOOL.rglob("*.py"))
        if path != SAFETOOL / "emulator.py"
        for line, module in imports(path)
        if within(module, ("firmware",))
    ]
    assert found == []


def test_the_scan_sees_imports_of_every_kind(tmp_path: Path) -> None:
    # the checks above are only as good as this reader: it must see lazy and TYPE_CHECKING ones
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "import protocols.messages\n"
        "if TYPE_CHECKING:\n"
        "    from safetool.transport import Tracer\n"
        "def later():\n"
        "    from firmware.process import EmulatorProcess\n",
        encoding="utf-8",
    )
    seen = [module for _, module in imports(sample)]
    assert [m for m in seen if within(m, BELOW_THE_DOOR)] == [
        "protocols.messages",
        "safetool.transport",
        "firmware.process",
    ]
