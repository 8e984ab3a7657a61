"""The rig file: which real boards a lab bench has, how to reach and power them, and which
faults each can be given (docs/hil.md, "Rig file").

A rig board's capabilities are what its file declares; nothing is assumed, so a test that needs
more is skipped with the reason instead of failing on the bench.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRANSPORT_KEYS = {"serial": "port", "tcp": "tcp", "rfc2217": "rfc2217", "ble": "ble"}
FIXTURES = ("keys", "door", "clock")
"""Capabilities a board has when its rig-file entry gives the fixture's command under the same
name, and never by name alone (a scenario would press keys nobody can press)."""


class RigFileError(ValueError):
    """The rig file is missing a field or holds a wrong one; the message names it."""


@dataclass(frozen=True)
class Switch:
    """Two shell commands that turn something on and off (a relay, a supply, a fixture)."""

    on: str
    off: str
    settle_s: float = 1.0


@dataclass(frozen=True)
class RigBoard:
    name: str
    serial: str
    ports: dict[str, str]
    """Transport name (serial, tcp, rfc2217, ble) to the address safetool opens."""
    power: Switch | None = None
    faults: dict[str, Switch] = field(default_factory=dict)
    capabilities: frozenset[str] = frozenset()
    """Extra declared abilities, e.g. ``keys`` when a keypad robot is fitted."""
    factory_reset: str | None = None
    """A shell command that puts the board back as it left the production line (state, trail
    and firmware slots erased, provisioning kept): run before each test, as the suite expects
    a board in factory state. Without it, what one test leaves the next one finds."""
    keys: str | None = None
    """A keypad robot: a shell command that presses ``{keys}`` in order (``*123456#``)."""
    door: Switch | None = None
    """A door arm: ``on`` opens the door, ``off`` shuts it."""
    clock: str | None = None
    """A shell command after which ``{seconds}`` of the board's time have passed (a clock
    fixture, or ``sleep {seconds}`` on a bench without one)."""

    def provides(self) -> frozenset[str]:
        caps = set(self.capabilities)
        caps |= {name for name in FIXTURES if getattr(self, name) is not None}
        caps |= {f"transport:{t}" for t in self.ports}
        caps |= {f"fault:{name}" for name in self.faults}
        if self.power is not None:
            caps.add("power_cycle")
        if self.factory_reset is not None:
            caps.add("factory_reset")
        return frozenset(caps)


@dataclass(frozen=True)
class Rig:
    name: str
    boards: list[RigBoard]
    pki: Path | None
    """The PKI the rig's boards were provisioned from (their technicians and authority)."""

    def provides(self) -> frozenset[str]:
        caps: set[str] = set()
        for board in self.boards:
            caps |= board.provides()
        if self.pki is not None:
            caps.add("pki")
        return frozenset(caps)


def _switch(where: str, raw: Any) -> Switch:
    if not isinstance(raw, dict) or not isinstance(raw.get("on"), str):
        raise RigFileError(f"{where}: needs a table with 'on' and 'off' shell commands")
    if not isinstance(raw.get("off"), str):
        raise RigFileError(f"{where}: needs an 'off' shell command")
    return Switch(raw["on"], raw["off"], float(raw.get("settle_s", 1.0)))


def _board(index: int, raw: Any) -> RigBoard:
    where = f"[[board]] #{index + 1}"
    if not isinstance(raw, dict):
        raise RigFileError(f"{where}: must be a table")
    for key in ("name", "serial"):
        if not isinstance(raw.get(key), str):
            raise RigFileError(f"{where}: '{key}' (a string) is required")
    ports: dict[str, str] = {}
    for transport, key in TRANSPORT_KEYS.items():
        if key in raw:
            value = str(raw[key])
            ports[transport] = (
                value if transport != "ble" or value.startswith("ble:") else (f"ble:{value}")
            )
    if not ports:
        raise RigFileError(f"{where} ({raw['name']}): give at least one of port, tcp, rfc2217, ble")
    faults_raw = raw.get("faults", {})
    if not isinstance(faults_raw, dict):
        raise RigFileError(f"{where}: 'faults' must be a table of name = {{on, off}}")
    faults = {name: _switch(f"{where} faults.{name}", v) for name, v in faults_raw.items()}
    power = _switch(f"{where} power", raw["power"]) if "power" in raw else None
    caps = raw.get("capabilities", [])
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        raise RigFileError(f"{where}: 'capabilities' must be a list of strings")
    reset = raw.get("factory_reset")
    if reset is not None and not isinstance(reset, str):
        raise RigFileError(f"{where}: 'factory_reset' must be a shell command (a string)")
    for name in FIXTURES:
        if name in caps and name not in raw:
            raise RigFileError(
                f"{where}: capability '{name}' needs the fixture's command ('{name}' = ...), "
                "so the suite can use it"
            )
    door = None
    if "door" in raw:
        door_raw = raw["door"]
        if not isinstance(door_raw, dict) or not all(
            isinstance(door_raw.get(k), str) for k in ("open", "close")
        ):
            raise RigFileError(f"{where} door: needs a table of 'open' and 'close' shell commands")
        door = Switch(door_raw["open"], door_raw["close"], float(door_raw.get("settle_s", 1.0)))
    return RigBoard(
        raw["name"],
        raw["serial"],
        ports,
        power,
        faults,
        frozenset(caps) - set(FIXTURES),
        reset,
        keys=_template(where, raw, "keys", "{keys}"),
        door=door,
        clock=_template(where, raw, "clock", "{seconds}"),
    )


def _template(where: str, raw: dict[str, Any], key: str, placeholder: str) -> str | None:
    """A fixture's shell command, which must name where its argument goes."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or placeholder not in value:
        raise RigFileError(f"{where}: '{key}' must be a shell command with {placeholder} in it")
    return value


def load_rig(path: Path) -> Rig:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise RigFileError(f"cannot read rig file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise RigFileError(f"rig file {path} is not valid TOML: {exc}") from None
    rig = data.get("rig", {})
    boards = [_board(i, raw) for i, raw in enumerate(data.get("board", []))]
    if not boards:
        raise RigFileError(f"rig file {path}: no [[board]] tables")
    pki = rig.get("pki")
    pki_path = None if pki is None else (path.parent / str(pki)).resolve()
    return Rig(str(rig.get("name", path.stem)), boards, pki_path)
