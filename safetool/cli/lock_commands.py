"""``ports``, ``info``, ``status`` and ``monitor``: see what is connected and how the lock is."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from safetool.cli.common import connected, language, print_fields, print_json, say
from safetool.messages import Message, as_dict, render
from safetool.services.events import describe, event_dict
from safetool.services.info import LockInfo, identity_dict, status_dict
from safetool.services.ports import list_serial_ports
from safetool.services.session import LockSession

OK, PROBLEM = 0, 1


async def cmd_ports(args: argparse.Namespace) -> int:
    ports = list_serial_ports()
    if args.json:
        print_json([p.as_dict() for p in ports])
        return OK
    if not ports:
        say(args, Message("port.none_found"))
        return OK
    reader = language(args)
    for port in ports:
        mark = "*" if port.likely_lock else " "
        ids = port.vid_pid or "-"
        print(f"{mark} {port.device:<20} {ids:<10} {port.description}")
        if port.why:
            likely = Message("port.likely_lock", {"why": port.why})
            print(f"  {'':<20} {'':<10} {render(likely, reader)}")
    return OK


def _print_info(info: LockInfo, reader: str, *, with_port: bool = True) -> None:
    print_fields(info.fields(with_port=with_port), reader)
    for problem in info.problem_messages:
        print(f"! {render(problem, reader)}")


async def cmd_info(args: argparse.Namespace) -> int:
    async with connected(args) as lock:
        info = await lock.read_info()
    if args.json:
        print_json(info.as_dict())
    else:
        _print_info(info, language(args))
    return PROBLEM if info.problems else OK


async def cmd_status(args: argparse.Namespace) -> int:
    async with connected(args) as lock:
        info = await lock.read_info()
    identity, status = info.identity, info.status
    document = {
        "serial": identity_dict(identity)["serial"],
        **status_dict(status),
        "problems": info.problems,
        "problem_codes": [as_dict(problem) for problem in info.problem_messages],
    }
    if args.json:
        print_json(document)
    else:
        _print_info(info, language(args), with_port=False)
    return PROBLEM if info.problems else OK


HEARTBEAT_S = 5.0
"""Every this many seconds ``monitor`` asks the lock for its STATUS: a lock that stopped
answering while the link stays up (a hung controller) is noticed, not watched in silence."""


async def _heartbeat(lock: LockSession) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        await lock.status()


async def _show_events(lock: LockSession, args: argparse.Namespace, reader: str) -> None:
    async for received in lock.events():
        if args.json:
            print_json(event_dict(received))
            continue
        if received.missed:
            missed = Message("cli.monitor.missed", {"count": received.missed})
            print(f"  {render(missed, reader)}")
        when = datetime.fromtimestamp(received.time_s, UTC).astimezone().strftime("%H:%M:%S")
        print(f"{when}  {describe(received, reader)}", flush=True)


async def cmd_monitor(args: argparse.Namespace) -> int:
    """Live events until Ctrl-C (JSON lines with --json)."""
    reader = language(args)
    async with connected(args) as lock:
        if not args.json:
            say(args, Message("cli.monitor.watching", {"port": args.port}), flush=True)
        watching = asyncio.create_task(_show_events(lock, args, reader))
        heartbeat = asyncio.create_task(_heartbeat(lock))
        try:
            done, _ = await asyncio.wait({watching, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (watching, heartbeat):
                task.cancel()
            await asyncio.gather(watching, heartbeat, return_exceptions=True)
        for task in done:
            task.result()  # the lock stopped answering, or the link was lost: say so
    return OK
