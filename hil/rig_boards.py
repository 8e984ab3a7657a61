"""Real boards from the rig file: reach them by their ports, power them by their switches."""

from __future__ import annotations

import asyncio

from hil.actuators import RigActuators, run_command
from hil.lock_handle import Lock, connect
from hil.rig import Rig, RigBoard, Switch


async def flip(switch: Switch, on: bool) -> None:
    await run_command(switch.on if on else switch.off)
    await asyncio.sleep(switch.settle_s)


def choose(rig: Rig, needs: list[str], transport: str) -> RigBoard | None:
    """The first rig board that offers everything the test needs over ``transport``."""
    for board in rig.boards:
        provided = board.provides() | ({"pki"} if rig.pki else set())
        if transport in board.ports and all(n in provided for n in needs):
            return board
    return None


async def open_rig_board(rig: Rig, board: RigBoard, transport: str) -> Lock:
    port = board.ports[transport]

    async def restart() -> str:
        assert board.power is not None
        await flip(board.power, False)
        await flip(board.power, True)
        return port

    if board.factory_reset is not None:  # each test starts from the factory state
        await run_command(board.factory_reset)
    return Lock(
        client=await connect(port),
        port=port,
        transport=transport,
        label=f"rig {rig.name}/{board.name} {board.serial} over {transport}",
        capabilities=board.provides() | ({"pki"} if rig.pki else frozenset()),
        restart=restart if board.power is not None else None,
        console_survives_power=True,
        hands=RigActuators(board),
    )
