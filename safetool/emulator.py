"""The emulated board, for ``safetool emulate``, ``safetool demo`` and the app's demo.

The one module of safetool that may import ``firmware`` (the board's emulator): the front ends
start a board through it and then talk to it like any lock, through the services' door.
``tests/unit/test_layering.py`` keeps it so.
"""

from __future__ import annotations

import argparse
from typing import Any

from firmware.process import EmulatorProcess
from safetool.command_words import h
from safetool.errors import SafetoolError
from safetool.messages import Message, pick_language, render

__all__ = ["EmulatorProcess", "add_emulator_arguments", "serve_emulator"]


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """``safetool emulate``'s options (the board's port, PKI, faults, ...), their help in the
    reader's language."""
    import firmware.run

    firmware.run.add_arguments(parser, lambda key, **values: h(f"cli.help.emulate.{key}", **values))


async def serve_emulator(args: argparse.Namespace) -> None:
    """Run an emulated board until interrupted, as ``safetool emulate`` does; say where it
    listens in the reader's language. A board that cannot start is a coded error."""
    import firmware.run
    from firmware.provisioning import ProvisioningError

    language = pick_language(getattr(args, "lang", None))

    def announce(ready: dict[str, Any]) -> None:
        lines = [Message("emulate.listening", {key: ready[key] for key in _LISTENING})]
        if "hci" in ready:
            lines.append(Message("emulate.radio", {"hci": ready["hci"]}))
        lines += [
            Message("emulate.try", {"port": ready["port"]}),
            Message("emulate.side_channel", {"control": ready["control"]}),
            Message("emulate.stop"),
        ]
        print("\n".join(render(line, language) for line in lines), flush=True)

    try:
        await firmware.run.serve(args, announce)
    except (ValueError, ProvisioningError) as error:
        raise SafetoolError(
            Message("emulate.cannot_start", {"detail": str(error)}),
            next_step=Message("emulate.cannot_start.next"),
        ) from None


_LISTENING = ("serial", "model", "firmware_version", "port")
