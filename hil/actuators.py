"""What the bench does to a board with its hands: press keys, open and shut the door, let time
pass. An emulated board does it through its side channel; a rig board through the shell commands
its rig file gives for its fixtures (a keypad robot, a door arm, a clock fixture or plain
waiting), so a scenario written against :class:`Actuators` runs on either (docs/hil.md)."""

from __future__ import annotations

import asyncio
import shlex
from typing import Protocol

from firmware.control import ControlClient
from hil.rig import RigBoard


class Actuators(Protocol):
    """Keys (capability ``keys``), the door (``door``) and the board's time (``clock``)."""

    async def press_key(self, key: str) -> None: ...

    async def enter_code(self, code: str) -> None:
        """``*``, the digits and ``#``, as a person types a code."""

    async def open_door(self) -> None: ...

    async def close_door(self) -> None: ...

    async def advance_clock(self, seconds: float) -> None:
        """Let ``seconds`` of the board's time pass (its real-time clock and lived time); a
        negative amount sets only the real-time clock back, as a person could."""


def keys_of_code(code: str) -> str:
    """The keys a person presses to enter ``code``: ``*`` starts it, ``#`` ends it."""
    return f"*{code}#"


class SideChannelActuators:
    """An emulated board's hands: its side channel (the board's own verdicts are not kept:
    a scenario reads what happened over the wire, as it must on a real board)."""

    def __init__(self, board: ControlClient) -> None:
        self.board = board

    async def press_key(self, key: str) -> None:
        await self.board.press_key(key=key)

    async def enter_code(self, code: str) -> None:
        await self.board.enter_code(code=code)

    async def open_door(self) -> None:
        await self.board.open_door()

    async def close_door(self) -> None:
        await self.board.close_door()

    async def advance_clock(self, seconds: float) -> None:
        await self.board.advance_clock(seconds=seconds)


class RigCommandFailed(RuntimeError):
    """A rig shell command (power, fault, fixture) exited non-zero; the message has its output."""


class NoSuchFixture(RuntimeError):
    """The rig file gives no command for what a scenario asked (its ``needs`` should say so)."""


async def run_command(command: str) -> None:
    process = await asyncio.create_subprocess_shell(
        command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RigCommandFailed(f"`{command}` exited {process.returncode}: {output.decode()[-500:]}")


class RigActuators:
    """A rig board's hands: the fixture commands of its rig file, with ``{keys}`` and
    ``{seconds}`` replaced by their values, shell-quoted."""

    def __init__(self, board: RigBoard) -> None:
        self.rig_board = board

    def _command(self, name: str, template: str | None, **values: str) -> str:
        if template is None:
            raise NoSuchFixture(f"rig board {self.rig_board.name} has no '{name}' command")
        for key, value in values.items():
            template = template.replace("{" + key + "}", shlex.quote(value))
        return template

    async def press_key(self, key: str) -> None:
        await run_command(self._command("keys", self.rig_board.keys, keys=key))

    async def enter_code(self, code: str) -> None:
        await run_command(self._command("keys", self.rig_board.keys, keys=keys_of_code(code)))

    async def open_door(self) -> None:
        await self._door(opened=True)

    async def close_door(self) -> None:
        await self._door(opened=False)

    async def _door(self, opened: bool) -> None:
        door = self.rig_board.door
        if door is None:
            raise NoSuchFixture(f"rig board {self.rig_board.name} has no 'door' commands")
        await run_command(door.on if opened else door.off)
        await asyncio.sleep(door.settle_s)

    async def advance_clock(self, seconds: float) -> None:
        if seconds < 0:
            raise NoSuchFixture(
                f"rig board {self.rig_board.name}: its clock fixture lets time pass, "
                "it cannot set the clock back"
            )
        await run_command(self._command("clock", self.rig_board.clock, seconds=_decimal(seconds)))


def _decimal(seconds: float) -> str:
    """``301``, ``0.25``: what ``sleep`` and a fixture's argument parser read (never ``1e+06``)."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")
