"""``safetool demo``: start an emulated board and show what safetool sees of it."""

from __future__ import annotations

import argparse
import asyncio
import sys

from firmware.process import EmulatorProcess
from protocols.catalogue import EventKind
from safetool.cli.common import print_fields, print_json
from safetool.cli.tui_commands import cmd_tui_demo
from safetool.client import LockClient
from safetool.services.events import describe, event_dict
from safetool.services.info import read_info


async def cmd_demo(args: argparse.Namespace) -> int:
    if not args.json and sys.stdout.isatty() and sys.stdin.isatty():
        return await cmd_tui_demo(args)  # a person at a terminal: the app
    async with EmulatorProcess(*args.emulator_args) as emulator:
        port = emulator.port
        if not args.json:
            print(f"Started an emulated lock on {port}.\n")
        async with await LockClient.connect(port) as client:
            info = await read_info(client, port)
            if args.json:
                print_json({"event": "info", **info.as_dict()})
            else:
                print_fields(
                    [(k.replace("_", " "), v) for k, v in info.as_dict().items() if k != "problems"]
                )
                print("\nA customer types a wrong code, then the right one:")
            events = []

            async def collect() -> None:
                async for received in client.events():
                    events.append(received)
                    if received.event.kind == EventKind.BOLT_RETRACTED:
                        return

            watcher = asyncio.create_task(collect())
            await asyncio.sleep(0.05)
            await emulator.board.enter_code(code="999999")
            await emulator.board.enter_code(code="123456")
            await asyncio.wait_for(watcher, 5)
            for received in events:
                if received.event.kind == EventKind.KEY_PRESS:
                    continue
                if args.json:
                    print_json({"event": "lock_event", **event_dict(received)})
                else:
                    print(f"  event: {describe(received)}")
        if not args.json:
            print(
                "\nNext: `safetool emulate` keeps a board running; then try "
                "`safetool info --port <its port>` or `safetool monitor --port <its port>`."
            )
    return 0
