"""``safetool diag``: run the checks, one line each as it finishes, then the parts to fit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from safetool.cli.common import add_port_options, connected, print_json
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.services.clock import clock_offset_s, set_clock
from safetool.services.diagnostics import CHECKS, CheckResult, Verdict, run_diagnostics

MARKS = {
    Verdict.PASS: "ok  ",
    Verdict.WARN: "WARN",
    Verdict.FAIL: "FAIL",
    Verdict.COULD_NOT_RUN: "--  ",
}


def add_diag_parsers(commands: Any) -> None:
    diag = commands.add_parser(
        "diag",
        help="diagnose the lock: battery, motor, bolt sensor, keypad, clock, tamper, errors",
        description="Runs the checks (all by default) in a secure session (needs the "
        "'diagnose' qualification). The motor checks need the lock open (bolt retracted): a "
        "motor test never opens a locked safe. Exit 0 if nothing warns or fails, else 1.",
    )
    add_port_options(diag)
    diag.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=f"your key and certificate folder (default: ${ENV_VAR})",
    )
    diag.add_argument(
        "--check",
        action="append",
        choices=list(CHECKS),
        metavar="NAME",
        help=f"run only this check (repeatable): {', '.join(CHECKS)}",
    )
    diag.add_argument(
        "--interactive",
        action="store_true",
        help="include the checks that need you: press every key, confirm the buzzer and LEDs",
    )
    diag.set_defaults(handler=cmd_diag)

    clock = commands.add_parser(
        "clock",
        help="show the lock's clock against this laptop's; --set sets it (needs 'configure')",
    )
    add_port_options(clock)
    clock.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=f"your key and certificate folder (default: ${ENV_VAR})",
    )
    clock.add_argument("--set", action="store_true", help="set the lock's clock to this laptop's")
    clock.set_defaults(handler=cmd_clock)


async def cmd_clock(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    async with connected(args) as client:
        document: dict[str, float]
        if args.set:
            change = await set_clock(client, identity)
            document = {
                "before_s": change.before_s,
                "after_s": change.after_s,
                "corrected_by_s": change.after_s - change.before_s,
            }
        else:
            document = {"offset_s": round(await clock_offset_s(client, identity), 1)}
    if args.json:
        print_json(document)
    elif args.set:
        print(f"Clock set: moved by {document['corrected_by_s']} s (recorded in the audit trail).")
    else:
        offset = float(document["offset_s"])
        side = "behind" if offset < 0 else "ahead of"
        print(f"The lock's clock is {abs(offset):.1f} s {side} this laptop's.")
    return 0


class TerminalInteraction:
    """Asks the technician on the terminal."""

    async def confirm(self, question: str) -> bool | None:
        answer = await asyncio.to_thread(input, f"{question} [y/n] ")
        return answer.strip().lower().startswith("y")

    async def press_every_key(self, started: Callable[[], Awaitable[None]]) -> None:
        await started()
        await asyncio.to_thread(
            input, "Press every key on the lock's keypad once, then press Enter here. "
        )


def _line(result: CheckResult) -> str:
    value = "" if result.value is None else f"{result.value}{result.unit and ' ' + result.unit}"
    return f"{MARKS[result.verdict]}  {result.title:<26} {value}"


async def cmd_diag(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    interaction = TerminalInteraction() if args.interactive and sys.stdin.isatty() else None

    def progress(result: CheckResult) -> None:
        if args.json:
            print_json({"event": "check", **result.as_dict()})
        else:
            print(_line(result), flush=True)

    async with connected(args) as client:
        if not args.json:
            print(f"Diagnosing the lock on {args.port} ...", flush=True)
        report = await run_diagnostics(
            client, identity, checks=args.check, interaction=interaction, on_result=progress
        )
    if args.json:
        print_json({"event": "report", **report.as_dict()})
    else:
        _print_findings(report.results)
    return 0 if report.all_passed else 1


def _print_findings(results: list[CheckResult]) -> None:
    findings = [r for r in results if r.verdict in (Verdict.WARN, Verdict.FAIL)]
    skipped = [r for r in results if r.verdict == Verdict.COULD_NOT_RUN]
    print()
    if not findings:
        print("Nothing to fix.")
    for result in findings:
        print(f"{result.verdict.value.upper()}: {result.title}: {result.detail}")
        print(f"  likely part: {result.part_number} ({result.part_name})")
        print(f"  next: {result.next_step}")
    for result in skipped:
        print(f"not run: {result.title}: {result.detail}")
