"""An emulated board as a lab would share it: behind a network serial server
(``hil.network_serial``, RFC 2217 or raw), with a shell command that power-cycles it through
its side channel; and a nested ``pytest hil/`` run against it (``--rig`` or ``--lg-env``) whose
JUnit outcomes a test can check."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.process import EmulatorProcess
from hil.forked import ForkedEmulator
from hil.network_serial import NetworkSerialServer

ROOT = Path(__file__).resolve().parents[2]

SIDE_CHANNEL_SCRIPT = """\
import asyncio, json, sys

async def main(address: str, op: str, argument: str) -> None:
    host, _, port = address.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))

    async def call(op: str, **args: object) -> None:
        writer.write(json.dumps({"op": op, **args}).encode() + b"\\n")
        await writer.drain()
        answer = json.loads(await reader.readline())
        if not answer["ok"]:
            sys.exit(f"side channel: {answer['error']}")

    if op == "press_keys":  # a keypad robot presses them one by one
        for key in argument:
            await call("press_key", key=key)
    elif op == "advance_clock":
        await call(op, seconds=float(argument))
    else:
        await call(op)
    writer.close()
    await writer.wait_closed()

asyncio.run(main(sys.argv[1], sys.argv[2], (sys.argv[3:] or [""])[0]))
"""
"""A rig's shell command that does ``op`` to the served board through its side channel, as a
relay (power_cycle), a re-provisioning fixture (factory_reset), a keypad robot (press_keys), a
door arm (open_door, close_door) or a clock fixture (advance_clock) would. It speaks the side
channel's JSON lines itself, importing nothing of ours, as a lab's fixture would: importing the
board's code for its client cost 0.3–0.8 s of CPU each time a fixture moved."""


@dataclass
class ServedBoard:
    """An emulated board behind an RFC 2217 server, with a power command for labgrid."""

    process: EmulatorProcess
    server: NetworkSerialServer
    power_cycle_cmd: str
    pki: Path
    factory_reset_cmd: str = ""
    fixture_cmd: str = ""
    """The side-channel script's command line up to its ``op``."""

    @property
    def transport(self) -> str:
        """The suite's ``--transport`` for this board's port, and its key in a rig file."""
        return "tcp" if self.server.raw else "rfc2217"

    def env(self, path: Path, *, place: str | None = None, coordinator: str = "") -> Path:
        """A labgrid environment file (JSON is YAML) for this board."""
        resources: dict[str, Any] = (
            {"RemotePlace": {"name": place}}
            if place
            else {"NetworkSerialPort": {"host": self.server.host, "port": self.server.port}}
        )
        config: dict[str, Any] = {
            "targets": {
                "main": {
                    "resources": resources,
                    "drivers": {
                        "ExternalPowerDriver": {
                            "cmd_on": "true",
                            "cmd_off": "true",
                            "cmd_cycle": self.power_cycle_cmd,
                        }
                    },
                }
            },
            "paths": {"safetool_pki": str(self.pki)},
        }
        if coordinator:
            config["options"] = {"coordinator_address": coordinator}
        path.write_text(json.dumps(config, indent=2))
        return path

    def rig(self, path: Path, *, factory_reset: bool = False, fixtures: bool = False) -> Path:
        """A rig file with this board shared over RFC 2217 and its power on a "relay" (and,
        with ``factory_reset``, its re-provisioning fixture; with ``fixtures``, a keypad robot,
        a door arm and a clock fixture)."""
        fixture = self.fixture_cmd
        hands = (
            f"keys = {json.dumps(f'{fixture} press_keys {{keys}}')}\n"
            f"door = {{ open = {json.dumps(f'{fixture} open_door')}, "
            f"close = {json.dumps(f'{fixture} close_door')}, settle_s = 0 }}\n"
            f"clock = {json.dumps(f'{fixture} advance_clock {{seconds}}')}\n"
        )
        path.write_text(
            "[rig]\n"
            'name = "bench-net"\n'
            f"pki = {json.dumps(str(self.pki))}\n\n"
            "[[board]]\n"
            'name = "lock-a"\n'
            'serial = "SL-0000-0001"\n'
            f"{self.transport} = {json.dumps(self.server.url)}\n"
            f'power = {{ on = {json.dumps(self.power_cycle_cmd)}, off = "true", '
            "settle_s = 0.2 }\n"
            + (f"factory_reset = {json.dumps(self.factory_reset_cmd)}\n" if factory_reset else "")
            + (hands if fixtures else "")
        )
        return path


@asynccontextmanager
async def served_board(
    pki: Path, directory: Path, *, raw: bool = False
) -> AsyncIterator[ServedBoard]:
    """The board's port shared over RFC 2217, or ``raw`` (``socket://``, as ser2net's raw mode)."""
    process = await ForkedEmulator("--pki", str(pki), state_dir=directory / "board").start()
    server = NetworkSerialServer(process.port, raw=raw).start()
    script = directory / "side_channel.py"
    script.write_text(SIDE_CHANNEL_SCRIPT)
    control = str(process.ready["control"])
    fixture = shlex.join([sys.executable, str(script), control])
    try:
        yield ServedBoard(
            process, server, f"{fixture} power_cycle", pki, f"{fixture} factory_reset", fixture
        )
    finally:
        server.stop()
        await process.stop()


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """Test name (with its parameters) to (outcome, skip reason or board label)."""
    found: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        skipped = case.find("skipped")
        failed = case.find("failure") if case.find("failure") is not None else case.find("error")
        board = [p.get("value", "") for p in case.iter("property") if p.get("name") == "hil.board"]
        if skipped is not None:
            found[case.get("name", "")] = ("skipped", skipped.get("message", ""))
        elif failed is not None:
            found[case.get("name", "")] = ("failed", failed.get("message", ""))
        else:
            found[case.get("name", "")] = ("passed", board[0] if board else "")
    return found


def run_pytest(*args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # -n 0: one rig's boards are not shared between workers (this repository runs -n auto)
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "0", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
