"""``safetool diag``: run the checks, one line each as it finishes, then the parts to fit."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from safetool.cli.common import add_port_options, cells, connected, language, print_json, say
from safetool.command_words import h
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.messages import Message, as_dict, render
from safetool.services.clock import SKEW_THAT_MATTERS_S, skew_message
from safetool.services.diagnostics import CHECKS, CheckResult, Verdict


def add_diag_parsers(commands: Any) -> None:
    diag = commands.add_parser(
        "diag",
        help=h("cli.help.diag.diag"),
        description=h("cli.help.diag.diag.description"),
    )
    add_port_options(diag)
    diag.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    diag.add_argument(
        "--check",
        action="append",
        choices=list(CHECKS),
        metavar="NAME",
        help=h("cli.help.diag.check", names=", ".join(CHECKS)),
    )
    diag.add_argument(
        "--interactive",
        action="store_true",
        help=h("cli.help.diag.interactive"),
    )
    diag.set_defaults(handler=cmd_diag)

    clock = commands.add_parser(
        "clock",
        help=h("cli.help.diag.clock"),
    )
    add_port_options(clock)
    clock.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    clock.add_argument(
        "--set",
        action="store_true",
        help=h("cli.help.diag.set"),
    )
    clock.add_argument(
        "--authority",
        metavar="URL",
        help=h("cli.help.diag.authority"),
    )
    clock.set_defaults(handler=cmd_clock)


async def cmd_clock(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    reader = language(args)
    async with connected(args, identity=identity) as lock:
        if args.set:
            change = await lock.set_clock(args.authority)
            moved = change.after_s - change.before_s
            key = "clock.set_signed" if change.signed else "clock.set"
            message = Message(key, {"seconds": moved})
            if args.json:
                print_json(
                    {
                        "before_s": change.before_s,
                        "after_s": change.after_s,
                        "corrected_by_s": moved,
                        "signed": change.signed,
                        "message": as_dict(message),
                    }
                )
            else:
                print(render(message, reader))
            return 0
        offset = round(await lock.clock_offset_s(), 1)
    lines = [Message("clock.offset", {"skew": skew_message(offset)})]
    if abs(offset) > SKEW_THAT_MATTERS_S:
        lines.append(Message("clock.offset.consequence"))
    if args.json:
        print_json({"offset_s": offset, "messages": [as_dict(line) for line in lines]})
    else:
        for line in lines:
            print(render(line, reader))
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


def _line(result: CheckResult, reader: str) -> str:
    worded = result.worded(reader)
    value = "" if worded.value is None else f"{worded.value}{result.unit and ' ' + result.unit}"
    marks = {verdict: render(Message(f"diag.mark.{verdict.value}"), reader) for verdict in Verdict}
    mark = marks[result.verdict]
    mark += " " * (max(map(cells, marks.values())) - cells(mark))
    padding = " " * max(26 - cells(worded.title), 0)
    return f"{mark}  {worded.title}{padding} {value}"


async def cmd_diag(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    interaction = TerminalInteraction() if args.interactive and sys.stdin.isatty() else None

    def progress(result: CheckResult) -> None:
        if args.json:
            print_json({"event": "check", **result.as_dict()})
        else:
            print(_line(result, reader), flush=True)

    reader = language(args)
    async with connected(args, identity=identity) as lock:
        if not args.json:
            say(args, Message("diag.cli.diagnosing", {"port": args.port}), flush=True)
        report = await lock.diagnose(args.check, interaction, progress)
    if args.json:
        print_json({"event": "report", **report.as_dict()})
    else:
        _print_findings(report.results, reader)
    return 0 if report.all_passed else 1


def _print_findings(results: list[CheckResult], reader: str) -> None:
    findings = [r for r in results if r.verdict in (Verdict.WARN, Verdict.FAIL)]
    skipped = [r for r in results if r.verdict == Verdict.COULD_NOT_RUN]

    def said(key: str, **values: object) -> str:
        return render(Message(key, values), reader)

    print()
    if not findings:
        print(said("diag.cli.nothing_to_fix"))
    for result in findings:
        worded = result.worded(reader)
        verdict = said(f"diag.verdict.{result.verdict.value}")
        print(said("diag.cli.finding", verdict=verdict, title=worded.title, detail=worded.detail))
        print("  " + said("diag.cli.part", number=result.part_number, name=worded.part_name))
        print("  " + said("diag.cli.next", step=worded.next_step))
    for result in skipped:
        worded = result.worded(reader)
        print(said("diag.cli.not_run", title=worded.title, detail=worded.detail))
