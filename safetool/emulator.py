"""The emulated board, for ``safetool emulate``, ``safetool demo`` and the app's demo.

The one module of safetool that may import ``firmware`` (the board's emulator): the front ends
start a board through it and then talk to it like any lock, through the services' door.
``tests/test_layering.py`` keeps it so.
"""

from __future__ import annotations

import argparse

from firmware.process import EmulatorProcess

__all__ = ["EmulatorProcess", "add_emulator_arguments", "serve_emulator"]


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """``safetool emulate``'s options (the board's port, PKI, faults, ...)."""
    import firmware.run

    firmware.run.add_arguments(parser)


async def serve_emulator(args: argparse.Namespace) -> None:
    """Run an emulated board until interrupted, as ``safetool emulate`` does."""
    import firmware.run

    await firmware.run.serve(args)
