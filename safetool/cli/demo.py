"""``safetool demo``: start an emulated board and show what safetool sees of it."""

from __future__ import annotations

import argparse
import asyncio
import sys

from safetool.cli.common import language, print_fields, print_json, say
from safetool.cli.tui_commands import cmd_tui_demo
from safetool.emulator import EmulatorProcess
from safetool.messages import Message
from safetool.services.events import event_dict, received_message
from safetool.services.lock_state import EventKind, EventSeen
from safetool.services.session import LockSession


async def cmd_demo(args: argparse.Namespace) -> int:
    if not args.json and sys.stdout.isatty() and sys.stdin.isatty():
        return await cmd_tui_demo(args)  # a person at a terminal: the app
    reader = language(args)
    async with EmulatorProcess(*args.emulator_args) as emulator:
        port = emulator.port
        if not args.json:
            say(args, Message("demo.started", {"port": port}))
            print()
        async with await LockSession.connect(port) as lock:
            info = await lock.read_info()
            if args.json:
                print_json({"event": "info", **info.as_dict()})
            else:
                print_fields(info.fields(), reader)
                print()
                say(args, Message("demo.customer"))
            events: list[EventSeen] = []

            async def collect() -> None:
                async for received in lock.events():
                    events.append(received)
                    if received.kind == EventKind.BOLT_RETRACTED:
                        return

            watcher = asyncio.create_task(collect())
            await asyncio.sleep(0.05)
            await emulator.board.enter_code(code="999999")
            await emulator.board.enter_code(code="123456")
            await asyncio.wait_for(watcher, 5)
            for received in events:
                if received.kind == EventKind.KEY_PRESS:
                    continue
                if args.json:
                    print_json({"event": "lock_event", **event_dict(received)})
                else:
                    event = Message("demo.event", {"event": received_message(received)})
                    print("  ", end="")
                    say(args, event)
        if not args.json:
            print()
            say(args, Message("demo.next"))
    return 0
