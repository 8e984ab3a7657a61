"""``dev-pki`` and ``recover``: the development PKI, and lockout recovery in the field."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from safetool.cli.common import (
    add_output_options,
    add_port_options,
    ask,
    cells,
    connected,
    language,
    print_fields,
    print_json,
    say,
)
from safetool.command_words import h
from safetool.errors import SafetoolError
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.messages import Message, render
from safetool.services.configure import UNITS, parse_settings, policy_label
from safetool.services.devpki import init_dev_pki
from safetool.services.recover import Challenge, DigitsMistyped, Outcome, group_digits
from safetool.services.session import LockSession

OK, REFUSED = 0, 1


def add_trust_parsers(commands: Any) -> None:
    dev_pki = commands.add_parser("dev-pki", help=h("cli.help.trust.dev_pki"))
    dev_pki_commands = dev_pki.add_subparsers(dest="dev_pki_command", metavar="COMMAND")
    init = dev_pki_commands.add_parser(
        "init",
        help=h("cli.help.trust.init"),
    )
    init.add_argument("directory", type=Path, metavar="DIR")
    add_output_options(init)
    init.set_defaults(handler=cmd_dev_pki_init)

    recover = commands.add_parser(
        "recover",
        help=h("cli.help.trust.recover"),
        description=h("cli.help.trust.recover.description"),
    )
    add_port_options(recover)
    recover.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    how = recover.add_mutually_exclusive_group()
    how.add_argument(
        "--phone",
        action="store_true",
        help=h("cli.help.trust.phone"),
    )
    how.add_argument("--authority", metavar="URL", help=h("cli.help.trust.authority"))
    how.add_argument(
        "--seal",
        action="store_true",
        help=h("cli.help.trust.seal"),
    )
    recover.add_argument(
        "--response",
        metavar="DIGITS",
        help=h("cli.help.trust.response"),
    )
    recover.set_defaults(handler=cmd_recover)

    config = commands.add_parser(
        "config",
        help=h("cli.help.trust.config"),
        description=h("cli.help.trust.config.description"),
    )
    add_port_options(config)
    config.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    config.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=h("cli.help.trust.set"),
    )
    config.set_defaults(handler=cmd_config)


async def cmd_dev_pki_init(args: argparse.Namespace) -> int:
    summary = init_dev_pki(args.directory)
    if args.json:
        print_json(summary)
        return OK
    say(args, Message("devpki.created", {"path": str(args.directory)}))
    for tech in summary["technicians"]:
        qualifications = [Message(f"audit.value.{name}") for name in tech["qualifications"]]
        said = "devpki.technician_revoked" if tech["revoked"] else "devpki.technician"
        values = {"id": tech["id"], "qualifications": qualifications, "path": tech["folder"]}
        say(args, Message(said, values))
    for board in summary["boards"]:
        say(args, Message("devpki.board", {"serial": board["serial"], "path": str(args.directory)}))
    say(args, Message("devpki.development_only"))
    return OK


def _show_challenge(challenge: Challenge, args: argparse.Namespace) -> None:
    if args.json:
        print_json({"event": "challenge", **challenge.as_dict()})
        return
    reader = language(args)
    say(args, Message("recovery.call_hotline"))
    print_fields(
        [
            (Message("recovery.field.serial"), challenge.serial),
            (Message("recovery.field.challenge"), challenge.grouped),
            (Message("recovery.field.counter"), challenge.counter),
            (Message("recovery.field.technician"), challenge.technician_id),
        ],
        reader,
        indent="  ",
    )
    left = Message("recovery.attempts_with_challenge", {"count": challenge.attempts_left})
    print(f"  {render(left, reader)}")


async def _ask_response(args: argparse.Namespace) -> str:
    prompt = render(Message("recovery.prompt_response"), language(args)) + " "
    if sys.stdin.isatty():
        return await ask(prompt)
    line: str = await asyncio.to_thread(sys.stdin.readline)
    if not line:
        raise SafetoolError(
            Message("recovery.no_response"), next_step=Message("recovery.no_response.next")
        )
    return line


def _show_outcome(outcome: Outcome, args: argparse.Namespace) -> None:
    if args.json:
        print_json({"event": "result", **outcome.as_dict()})
        return
    say(args, outcome.message)
    if not outcome.opened and outcome.attempts_left:
        left = Message("recovery.attempts_left", {"count": outcome.attempts_left})
        print(f"  {render(left, language(args))}")
    if outcome.opened:
        say(args, Message("recovery.seal_next"))


async def cmd_recover(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    async with connected(args, identity=identity) as lock:
        if args.seal:
            seal = await lock.seal()
            if args.json:
                print_json({"event": "seal", "counter": seal.counter, "seal": seal.seal})
            else:
                said = Message(
                    "recovery.seal", {"counter": seal.counter, "seal": group_digits(seal.seal)}
                )
                say(args, said)
                say(args, Message("recovery.seal.report", {"counter": seal.counter}))
            return OK
        if args.authority:
            return await _recover_online(lock, args)
        challenge = await lock.challenge()
        _show_challenge(challenge, args)
        typed = args.response
        while True:
            if typed is None:
                typed = await _ask_response(args)
            try:
                outcome = await lock.answer_by_phone(typed)
            except DigitsMistyped as mistyped:
                if args.response is not None or not sys.stdin.isatty():
                    raise
                print(mistyped.explain(language(args)))
                typed = None
                continue
            _show_outcome(outcome, args)
            if outcome.opened:
                return OK
            if outcome.attempts_left == 0 or args.response is not None or not sys.stdin.isatty():
                return REFUSED
            typed = None


async def cmd_config(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    changes = parse_settings(args.settings)
    async with connected(args, identity=identity) as lock:
        if changes:
            result: dict[str, dict[str, int]] = await lock.change_policy(changes)
        else:
            result = {"after": await lock.read_policy()}
    if args.json:
        print_json(result)
        return OK
    reader = language(args)
    rows = []
    for name, value in result["after"].items():
        before = result.get("before", {}).get(name, value)
        change = Message("policy.was", {"before": before}) if before != value else ""
        rows.append((policy_label(name), f"{value}{UNITS.get(name, '')}", change))
    width = max(cells(render(label, reader)) for label, _, _ in rows)
    for (label, setting, change), name in zip(rows, result["after"], strict=True):
        worded = render(label, reader)
        shown = f"{worded}{' ' * (width - cells(worded))}  {setting}"
        print(f"{shown}   {render(change, reader)}".rstrip() + f"   [{name}]")
    return OK


async def _recover_online(lock: LockSession, args: argparse.Namespace) -> int:
    """Challenge from the lock, authorisation from the authority, result back to both."""
    if not args.json:
        say(args, Message("recovery.asking_authority", {"url": args.authority}), flush=True)
    outcome, recovery_id = await lock.recover_online(args.authority)
    if args.json:
        print_json(
            {
                "event": "result",
                "recovery": outcome.counter,  # the lock's number for it: the one reference
                "ledger_id": recovery_id,
                **outcome.as_dict(),
            }
        )
    else:
        _show_outcome(outcome, args)
        say(args, Message("recovery.recorded", {"number": outcome.counter}))
    return OK if outcome.opened else REFUSED
