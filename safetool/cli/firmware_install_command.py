"""``safetool firmware install IMAGE --port P [--port P2 …]``: one action for newer and older
firmware, on one lock or several at once (docs/firmware.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from safetool.cli.common import ask, connected, language, print_json, say
from safetool.command_words import h
from safetool.errors import SafetoolError
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.messages import Message, as_dict, render
from safetool.services.firmware_image import (
    FirmwareUsageError,
    Image,
    read_image,
    version_change_message,
)
from safetool.services.firmware_install import (
    DEFAULT_RETRIES,
    InstallOutcome,
    InstallPlan,
    InstallProgress,
)
from safetool.services.session import DEFAULT_BAUD, LockSession

OK, REFUSED, USAGE = 0, 1, 2
JSON_PROGRESS_EVERY_S = 0.5


def add_install_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "install",
        help=h("cli.help.firmware_install.install"),
        description=h("cli.help.firmware_install.install.description"),
    )
    parser.add_argument("image", type=Path, metavar="IMAGE")
    parser.add_argument(
        "--port",
        "-p",
        action="append",
        default=[],
        help=h("cli.help.firmware_install.port"),
    )
    parser.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    parser.add_argument(
        "--base", type=Path, metavar="OLD_IMAGE", help=h("cli.help.firmware_install.base")
    )
    parser.add_argument(
        "--no-delta", action="store_true", help=h("cli.help.firmware_install.no_delta")
    )
    parser.add_argument("--yes", "-y", action="store_true", help=h("cli.help.firmware_install.yes"))
    parser.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_RETRIES,
        help=h("cli.help.firmware_install.retries", default=DEFAULT_RETRIES),
    )
    parser.add_argument(
        "--baud", type=int, default=DEFAULT_BAUD, help=h("cli.help.firmware_install.baud")
    )
    parser.add_argument(
        "--timeout-s", type=float, default=3.0, help=h("cli.help.firmware_install.timeout_s")
    )
    parser.add_argument("--json", action="store_true", help=h("cli.help.firmware_install.json"))
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help=h("cli.help.firmware_install.lang"),
    )
    parser.add_argument("--debug", action="store_true", help=h("cli.help.firmware_install.debug"))
    parser.set_defaults(handler=cmd_firmware_install)


@dataclass(slots=True)
class _Lock:
    port: str
    session: LockSession | None = None
    plan: InstallPlan | None = None
    refusal: SafetoolError | None = None
    outcome: InstallOutcome | None = None


async def cmd_firmware_install(args: argparse.Namespace) -> int:
    ports = args.port or _env_port()
    if not ports:
        raise FirmwareUsageError(
            Message("firmware.no_port"), next_step=Message("firmware.no_port.next")
        )
    image = read_image(args.image)
    base = read_image(args.base) if args.base is not None else None
    identity = TechnicianIdentity.load(args.technician)
    locks = [_Lock(port) for port in dict.fromkeys(ports)]
    async with AsyncExitStack() as stack:
        await asyncio.gather(
            *(_precheck(stack, lock, args, identity, image, base) for lock in locks)
        )
        ready = [lock for lock in locks if lock.plan is not None]
        _show_plans(locks, args)
        if not ready:
            return REFUSED if any(lock.refusal for lock in locks) else USAGE
        if not args.yes and not await _confirm(ready, args):
            if args.json:
                print_json({"event": "cancelled", "ok": False})
            else:
                print("Nothing was installed.")
            return REFUSED
        with _progress_reporter(args) as report:
            try:
                await asyncio.gather(
                    *(_install(lock, identity, image, args, report) for lock in ready)
                )
            except asyncio.CancelledError:  # Ctrl-C: say where each lock stands, then stop
                _show_stopped(ready, args)
                raise
    _show_summary(locks, args)
    failed = any(lock.refusal is not None for lock in locks)
    return REFUSED if failed else OK


def _show_stopped(ready: list[_Lock], args: argparse.Namespace) -> None:
    for lock in ready:
        if lock.outcome is not None or lock.plan is None:
            continue
        stopped = Message(
            "firmware.stopped",
            {"serial": lock.plan.serial, "version": lock.plan.installed_version},
        )
        if args.json:
            print_json({"event": "stopped", "ok": False, "port": lock.port,
                        "message": as_dict(stopped)})  # fmt: skip
        else:
            print(render(stopped, language(args)), file=sys.stderr)


def _env_port() -> list[str]:
    port = os.environ.get("SAFETOOL_PORT", "")
    return [port] if port else []


async def _precheck(
    stack: AsyncExitStack,
    lock: _Lock,
    args: argparse.Namespace,
    identity: TechnicianIdentity,
    image: Image,
    base: Image | None,
) -> None:
    try:
        lock.session = await stack.enter_async_context(connected(args, lock.port, identity))
        lock.plan = await lock.session.plan_firmware(
            image, str(args.image), base=base, delta=not args.no_delta
        )
    except SafetoolError as error:
        lock.refusal = error


async def _install(
    lock: _Lock,
    identity: TechnicianIdentity,
    image: Image,
    args: argparse.Namespace,
    report: Any,
) -> None:
    assert lock.session is not None and lock.plan is not None
    try:
        lock.outcome = await lock.session.install_firmware(
            image, lock.plan, report, retries=args.retries
        )
    except SafetoolError as error:
        lock.refusal = error


# --- what the technician sees ------------------------------------------------------------------


def _show_plans(locks: list[_Lock], args: argparse.Namespace) -> None:
    for lock in locks:
        if args.json:
            if lock.plan is not None:
                print_json({"event": "plan", "ok": True, **lock.plan.as_dict()})
            elif lock.refusal is not None:
                print_json({"event": "refused", "ok": False, "port": lock.port,
                            **lock.refusal.as_dict()})  # fmt: skip
            continue
        if lock.plan is not None:
            plan = lock.plan
            counter, floor = plan.precheck.security_counter, plan.precheck.floor
            said = Message(
                "firmware.plan",
                {
                    "serial": plan.serial,
                    "port": plan.port,
                    "change": version_change_message(plan.installed_version, plan.new_version),
                    "model": plan.model,
                    "volts": f"{plan.battery_mv / 1000:.2f}",
                    "floor": Message(
                        "firmware.plan.floor_raised" if plan.precheck.raises_floor
                        else "firmware.plan.floor",
                        {"counter": counter, "floor": floor},
                    ),
                    "step": Message(
                        "firmware.plan.finish" if plan.finish_only else "firmware.plan.install"
                    ),
                    "slot": plan.target_slot,
                },
            )  # fmt: skip
            say(args, said)
            if plan.switch_back:
                back = {"slot": plan.target_slot, "version": plan.new_version}
                say(args, Message("firmware.plan.switch_back", back))
            if plan.delta_message is not None:
                say(args, plan.delta_message)
        elif lock.refusal is not None:
            print(f"{lock.port}: {lock.refusal.explain(language(args))}", file=sys.stderr)


async def _confirm(ready: list[_Lock], args: argparse.Namespace) -> bool:
    if not sys.stdin.isatty():
        raise FirmwareUsageError(
            Message("firmware.no_terminal"), next_step=Message("firmware.no_terminal.next")
        )
    question = (
        Message("firmware.confirm_many", {"count": len(ready)})
        if len(ready) > 1
        else Message("firmware.confirm_one")
    )
    answer = await ask(render(question, language(args)) + " [y/N] ")
    return answer.strip().lower() in ("y", "yes", "是")


@contextlib.contextmanager
def _progress_reporter(args: argparse.Namespace) -> Any:
    if args.json:
        last: dict[tuple[str, str], float] = {}

        def as_json(event: InstallProgress) -> None:
            key = (event.port, event.phase)
            now = time.monotonic()
            recent = now - last.get(key, 0.0) < JSON_PROGRESS_EVERY_S
            if event.phase == "transfer" and recent and event.done_bytes < event.total_bytes:
                return
            last[key] = now
            print_json(event.as_dict())

        yield as_json
        return
    reader = language(args)
    console = Console(stderr=True)
    if not console.is_terminal:
        phases: dict[str, str] = {}

        def plain(event: InstallProgress) -> None:
            if phases.get(event.port) != event.phase:
                phases[event.port] = event.phase
                phase = render(Message(f"firmware.phase.{event.phase}"), reader)
                print(f"{event.serial}: {phase}", file=sys.stderr, flush=True)

        yield plain
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def bar(event: InstallProgress) -> None:
            if event.port not in tasks:
                tasks[event.port] = bars.add_task(event.serial, total=event.total_bytes or None)
            bars.update(
                tasks[event.port],
                description=f"{event.serial} "
                + render(Message(f"firmware.phase.{event.phase}"), reader),
                completed=event.done_bytes,
                total=event.total_bytes or None,
            )

        yield bar


def _show_summary(locks: list[_Lock], args: argparse.Namespace) -> None:
    for lock in locks:
        if lock.outcome is not None:
            if args.json:
                print_json(lock.outcome.as_dict())
            else:
                outcome = lock.outcome
                before = lock.plan.installed_version if lock.plan else ""
                said = Message(
                    "firmware.installed",
                    {
                        "serial": outcome.serial,
                        "change": version_change_message(before, outcome.version),
                        "slot": outcome.slot,
                        "health": outcome.health or "",
                        "floor": outcome.security_floor,
                        "seconds": f"{outcome.seconds:.1f}",
                        "resumed": Message(
                            "firmware.installed.resumed", {"bytes": outcome.resumed_from}
                        )
                        if outcome.resumed_from
                        else "",
                    },
                )
                say(args, said)
        elif lock.plan is not None and lock.refusal is not None:
            if args.json:
                print_json({"event": "result", "ok": False, "port": lock.port,
                            **lock.refusal.as_dict()})  # fmt: skip
            else:
                print(f"{lock.port}: {lock.refusal.explain(language(args))}", file=sys.stderr)
    if len(locks) > 1 and not args.json:
        done = sum(1 for lock in locks if lock.outcome is not None)
        say(args, Message("firmware.installed_count", {"done": done, "total": len(locks)}))
