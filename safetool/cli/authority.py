"""``safetool authority``: the service centre's side of lockout recovery.

``serve`` runs the HTTP API; ``issue``, ``close`` and ``ledger`` work directly on the ledger
database (the hotline desk's offline path). Wired into ``safetool.cli.main`` by
:func:`add_authority_parser`; ``python -m safetool.cli.authority`` runs the same commands alone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetool.authority.database import DB_ENV, default_database_url, describe
from safetool.authority.errors import AuthorityConfigError
from safetool.authority.export import iso_utc, parse_ledger_filter, to_csv, to_json
from safetool.authority.ledger import RateLimits
from safetool.authority.revocations import DAY_S, DEFAULT_VALID_DAYS
from safetool.authority.service import Authority, AuthorityPolicy
from safetool.authority.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    MIN_OPERATOR_TOKEN_LENGTH,
    OPERATOR_TOKEN_ENV,
)
from safetool.cli.common import (
    add_output_options,
    cells,
    language,
    print_fields,
    print_json,
    say,
)
from safetool.command_words import h, use_language, wanted_language
from safetool.errors import SafetoolError
from safetool.messages import Message, local_time, render

PKI_ENV = "SAFETOOL_PKI"
Handler = Callable[[argparse.Namespace], Awaitable[int]]


def _pki(args: argparse.Namespace) -> Path:
    if not args.pki:
        raise AuthorityConfigError(
            Message("cli.authority.no_pki"),
            meaning=Message("cli.authority.no_pki.meaning"),
            next_step=Message("cli.authority.no_pki.next", {"variable": PKI_ENV}),
        )
    return Path(args.pki)


def _database_url(args: argparse.Namespace) -> str:
    if args.db:
        return str(args.db)
    pki = _pki(args)
    if not pki.is_dir():  # a mistyped folder: not a new, empty ledger in a new folder
        raise AuthorityConfigError(
            Message("authority.keys.no_folder", {"path": str(pki)}),
            next_step=Message("authority.keys.next.give_pki"),
        )
    return default_database_url(pki)


def _policy(args: argparse.Namespace) -> AuthorityPolicy:
    defaults = AuthorityPolicy()
    return AuthorityPolicy(
        registered_locks_only=bool(getattr(args, "registered_locks_only", False)),
        validity_s=int(getattr(args, "validity_min", defaults.validity_s // 60)) * 60,
        revocations_valid_s=int(
            getattr(args, "revocations_valid_days", defaults.revocations_valid_s // DAY_S)
        )
        * DAY_S,
        limits=RateLimits(
            per_technician=getattr(args, "per_technician_per_hour", defaults.limits.per_technician),
            per_lock=getattr(args, "per_lock_per_hour", defaults.limits.per_lock),
        ),
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(h("cli.authority.not_positive", text=text))
    return value


def _open(args: argparse.Namespace) -> Authority:
    return Authority.open(_pki(args), _database_url(args), policy=_policy(args))


# --- serve ---------------------------------------------------------------------------------


def _operator_token() -> str | None:
    token = os.environ.get(OPERATOR_TOKEN_ENV) or None
    if token is not None and len(token) < MIN_OPERATOR_TOKEN_LENGTH:
        raise AuthorityConfigError(
            Message(
                "cli.authority.short_token",
                {"variable": OPERATOR_TOKEN_ENV, "length": MIN_OPERATOR_TOKEN_LENGTH},
            ),
            meaning=Message("cli.authority.short_token.meaning"),
            next_step=Message("cli.authority.short_token.next"),
        )
    return token


async def cmd_serve(args: argparse.Namespace) -> int:
    from safetool.authority.server import serve

    token = _operator_token()
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.debug:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    authority = await asyncio.to_thread(_open, args)
    database = describe(_database_url(args))

    def ready(url: str) -> None:
        if args.json:
            print_json(
                {
                    "ok": True,
                    "event": "ready",
                    "url": url,
                    "ledger": database,
                    "technicians": len(authority.register),
                    "operator_endpoints": token is not None,
                }
            )
            return
        say(args, Message("cli.authority.listening", {"url": url}), flush=True)
        say(args, Message("cli.authority.ledger", {"ledger": database}))
        say(args, Message("cli.authority.technicians", {"count": len(authority.register)}))
        if token is None:
            say(args, Message("cli.authority.operator_off", {"variable": OPERATOR_TOKEN_ENV}))
        say(args, Message("cli.authority.stop"), flush=True)

    try:
        await serve(authority, host=args.host, port=args.port, operator_token=token, on_ready=ready)
    finally:
        authority.shutdown()
    return 0


# --- issue, close --------------------------------------------------------------------------


async def cmd_issue(args: argparse.Namespace) -> int:
    def work() -> Any:
        authority = _open(args)
        try:
            return authority.issue_phone(
                args.serial, args.challenge, args.technician, counter=args.counter, via="cli"
            )
        finally:
            authority.shutdown()

    answer = await asyncio.to_thread(work)
    if args.json:
        print_json({"ok": True, **answer.to_json(), "not_after_utc": iso_utc(answer.not_after)})
        return 0
    say(args, Message("cli.authority.read_back", {"response": answer.grouped}))
    say(
        args,
        Message(
            "cli.authority.issued",
            {
                "recovery": args.counter,
                "serial": answer.serial,
                "technician": answer.technician_id,
                "until": datetime.fromtimestamp(answer.not_after, UTC),
            },
        ),
    )
    return 0


async def cmd_close(args: argparse.Namespace) -> int:
    def work() -> Any:
        authority = _open(args)
        try:
            return authority.close(args.serial, None, args.seal, counter=args.recovery)
        finally:
            authority.shutdown()

    entry = await asyncio.to_thread(work)
    if args.json:
        print_json({"ok": True, "recovery": entry.as_dict()})
        return 0
    say(args, Message("cli.authority.closed", {"recovery": entry.counter, "serial": entry.serial}))
    return 0


# --- operator accounts (the hotline desk) ---------------------------------------------------

PASSWORD_ENV = "SAFETOOL_OPERATOR_PASSWORD"


def _new_password() -> str:
    """From ``$SAFETOOL_OPERATOR_PASSWORD`` (scripts), else typed twice without echo."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    import getpass

    if not sys.stdin.isatty():
        raise AuthorityConfigError(
            Message("cli.authority.password_needed", {"variable": PASSWORD_ENV}),
            next_step=Message("cli.authority.password_needed.next", {"variable": PASSWORD_ENV}),
        )
    first = getpass.getpass(h("cli.authority.password_prompt"))
    if getpass.getpass(h("cli.authority.password_again")) != first:
        raise AuthorityConfigError(Message("cli.authority.passwords_differ"))
    return first


async def cmd_operator_add(args: argparse.Namespace) -> int:
    from safetool.authority.operators import OperatorDesk

    password = _new_password()

    def work() -> Any:
        authority = _open(args)
        try:
            desk = OperatorDesk(authority.ledger.engine, authority.clock)
            return desk.add(args.username, args.name or args.username, args.role, password)
        finally:
            authority.shutdown()

    account = await asyncio.to_thread(work)
    if args.json:
        print_json({"ok": True, "username": account.username, "role": account.role})
        return 0
    role = Message(f"desk.role.{account.role}")
    say(args, Message("desk.account.created", {"username": account.username, "role": role}))
    return 0


async def cmd_operator_totp(args: argparse.Namespace) -> int:
    from safetool.authority.operators import OperatorDesk

    def work() -> str:
        authority = _open(args)
        try:
            return OperatorDesk(authority.ledger.engine, authority.clock).enable_totp(args.username)
        finally:
            authority.shutdown()

    uri = await asyncio.to_thread(work)
    if args.json:
        print_json({"ok": True, "username": args.username, "provisioning_uri": uri})
        return 0
    say(args, Message("desk.account.second_factor", {"username": args.username, "uri": uri}))
    return 0


# --- verify-report -------------------------------------------------------------------------


async def cmd_verify_report(args: argparse.Namespace) -> int:
    """Whether a customer's report file was signed by a technician this centre certified, and
    the facts the signature covers, to compare with what the customer reads out."""
    from safetool.report_signature import read_embedded

    try:
        html = Path(args.file).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise AuthorityConfigError(
            Message("cli.authority.report_unreadable", {"path": str(args.file)}),
            meaning=Message("authority.nothing_recorded"),
            next_step=Message("cli.authority.report_unreadable.next"),
        ) from error
    signed = read_embedded(html)

    from safetool.authority.keys import load_authority_keys
    from safetool.authority.service import check_report

    check = await asyncio.to_thread(lambda: check_report(signed, load_authority_keys(_pki(args))))
    facts = check.facts
    if args.json:
        print_json(
            {
                "ok": True,
                "genuine": True,
                "technician": check.technician_id,
                "certificate_serial": check.certificate_serial,
                "revoked_now": check.revoked_now,
                "facts": facts,
            }
        )
        return 0
    reader = language(args)
    say(
        args,
        Message(
            "cli.authority.report_genuine",
            {"technician": check.technician_id, "certificate": check.certificate_serial},
        ),
    )
    if check.revoked_now:
        say(args, Message("cli.authority.report_revoked_since"))
    ended = facts.get("ended_at") or facts.get("started_at") or ""
    print_fields(
        [
            (Message("report.serial"), str(facts.get("serial"))),
            (Message("report.visit"), str(facts.get("visit_id"))),
            (Message("report.ended"), local_time(str(ended), reader) if ended else ""),
            (Message("report.site"), str(facts.get("site") or "")),
            (Message("report.signed_by"), str(facts.get("signed_off_by") or "")),
            (
                Message("report.parts"),
                [
                    f"{p.get('part_number')} × {p.get('quantity')}"
                    for p in facts.get("parts") or []
                    if isinstance(p, dict)
                ],
            ),
            (
                Message("report.recoveries"),
                [
                    f"{r.get('counter')} ({r.get('seal')})"
                    for r in facts.get("recoveries") or []
                    if isinstance(r, dict)
                ],
            ),
        ],
        reader,
    )
    return 0


# --- ledger --------------------------------------------------------------------------------


def _table(entries: Sequence[Any], language: str) -> str:
    """The ledger as the hotline reads it: states worded, times in the reader's time zone."""

    def word(key: str, **values: Any) -> str:
        return render(Message(key, values), language)

    def when(seconds: int | None) -> str:
        return "" if seconds is None else local_time(datetime.fromtimestamp(seconds, UTC), language)

    header = tuple(
        word(f"cli.authority.column.{name}")
        for name in ("lock", "recovery", "kind", "state", "technician", "issued", "closed")
    )
    rows = [
        (
            e.serial,
            "" if e.counter is None else str(e.counter),  # the lock's number for it
            word(f"ledger.kind.{e.kind}"),
            word(f"ledger.state.{e.state}"),
            e.technician_id,
            when(e.issued_at),
            when(e.closed_at),
        )
        for e in entries
    ]
    widths = [max(cells(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell + " " * (w - cells(cell)) for cell, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    footer = word("cli.authority.entries", count=len(rows))
    return "\n".join(line.rstrip() for line in lines) + f"\n{footer}\n"


async def cmd_ledger(args: argparse.Namespace) -> int:
    from safetool.authority.database import open_ledger_database
    from safetool.authority.ledger import Ledger

    wanted = parse_ledger_filter(
        {
            key: value
            for key, value in {
                "serial": args.serial,
                "technician": args.technician,
                "state": args.state,
                "kind": args.kind,
                "since": args.since,
                "until": args.until,
            }.items()
            if value
        }
    )

    def work() -> Any:
        engine = open_ledger_database(_database_url(args))
        try:
            return Ledger(engine).entries(wanted)
        finally:
            engine.dispose()

    entries = await asyncio.to_thread(work)
    output_format = args.format or ("json" if args.json else None)
    if output_format == "csv":
        text = to_csv(entries)
    elif output_format == "json":
        text = to_json(entries)
    else:
        text = _table(entries, language(args))
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        if args.json:
            print_json({"ok": True, "output": args.output, "count": len(entries)})
        else:
            say(args, Message("cli.authority.wrote", {"count": len(entries), "path": args.output}))
    else:
        sys.stdout.write(text)
    return 0


# --- parser --------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, database: bool = True) -> None:
    parser.add_argument(
        "--pki",
        default=os.environ.get(PKI_ENV, ""),
        metavar="DIR",
        help=h("cli.help.authority.pki", variable=PKI_ENV),
    )
    if database:
        parser.add_argument(
            "--db",
            default=os.environ.get(DB_ENV, ""),
            metavar="URL",
            help=h("cli.help.authority.db", variable=DB_ENV),
        )
    add_output_options(parser)


def _policy_options(parser: argparse.ArgumentParser, *, validity: bool = True) -> None:
    defaults = AuthorityPolicy()
    if validity:
        parser.add_argument(
            "--validity-min",
            type=_positive,
            default=defaults.validity_s // 60,
            metavar="MIN",
            help=h("cli.help.authority.validity_min", default=defaults.validity_s // 60),
        )
    parser.add_argument(
        "--per-technician-per-hour",
        type=_positive,
        default=defaults.limits.per_technician,
        metavar="N",
        help=h("cli.help.authority.per_technician", default=defaults.limits.per_technician),
    )
    parser.add_argument(
        "--per-lock-per-hour",
        type=_positive,
        default=defaults.limits.per_lock,
        metavar="N",
        help=h("cli.help.authority.per_lock", default=defaults.limits.per_lock),
    )


def _help(parser: argparse.ArgumentParser) -> Handler:
    async def show_help(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show_help


def add_authority_parser(subparsers: Any) -> None:
    """Add ``authority`` and its sub-commands to the ``safetool`` command's subparsers."""
    authority = subparsers.add_parser(
        "authority",
        help=h("cli.command.authority"),
        description=h("cli.help.authority.description"),
    )
    authority.set_defaults(handler=_help(authority))
    commands = authority.add_subparsers(dest="authority_command", metavar="SUBCOMMAND")

    serve = commands.add_parser(
        "serve",
        help=h("cli.help.authority.serve"),
        description=h(
            "cli.help.authority.serve.description",
            variable=OPERATOR_TOKEN_ENV,
            length=MIN_OPERATOR_TOKEN_LENGTH,
        ),
    )
    _common(serve)
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help=h("cli.help.authority.host", default=DEFAULT_HOST)
    )
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=h("cli.help.authority.port", default=DEFAULT_PORT),
    )
    _policy_options(serve)
    serve.add_argument(
        "--registered-locks-only",
        action="store_true",
        help=h("cli.help.authority.registered_locks_only"),
    )
    serve.add_argument(
        "--revocations-valid-days",
        type=_positive,
        default=DEFAULT_VALID_DAYS,
        metavar="DAYS",
        help=h("cli.help.authority.revocations_valid_days", default=DEFAULT_VALID_DAYS),
    )
    serve.set_defaults(handler=cmd_serve)

    issue = commands.add_parser(
        "issue",
        help=h("cli.help.authority.issue"),
        description=h("cli.help.authority.issue.description"),
    )
    _common(issue)
    issue.add_argument("--serial", required=True, help=h("cli.help.authority.serial"))
    issue.add_argument(
        "--challenge", required=True, metavar="DIGITS", help=h("cli.help.authority.challenge")
    )
    issue.add_argument(
        "--technician", required=True, metavar="ID", help=h("cli.help.authority.technician")
    )
    issue.add_argument(
        "--counter", type=int, required=True, metavar="N", help=h("cli.help.authority.counter")
    )
    _policy_options(issue, validity=False)  # the lock times a phone response itself
    issue.set_defaults(handler=cmd_issue)

    close = commands.add_parser(
        "close",
        help=h("cli.help.authority.close"),
        description=h("cli.help.authority.close.description"),
    )
    _common(close)
    close.add_argument("--serial", required=True, help=h("cli.help.authority.serial"))
    close.add_argument(
        "--recovery",
        type=_positive,
        required=True,
        metavar="N",
        help=h("cli.help.authority.recovery"),
    )
    close.add_argument("--seal", required=True, metavar="DIGITS", help=h("cli.help.authority.seal"))
    close.set_defaults(handler=cmd_close)

    operator = commands.add_parser(
        "operator-add",
        help=h("cli.help.authority.operator_add"),
        description=h("cli.help.authority.operator_add.description", variable=PASSWORD_ENV),
    )
    _common(operator)
    operator.add_argument("username", metavar="ACCOUNT", help=h("cli.help.authority.account"))
    operator.add_argument("--name", help=h("cli.help.authority.account_name"))
    operator.add_argument(
        "--role",
        choices=("operator", "supervisor", "administrator"),
        default="operator",
        help=h("cli.help.authority.role"),
    )
    operator.set_defaults(handler=cmd_operator_add)

    totp = commands.add_parser(
        "operator-totp",
        help=h("cli.help.authority.operator_totp"),
        description=h("cli.help.authority.operator_totp"),
    )
    _common(totp)
    totp.add_argument("username", metavar="ACCOUNT", help=h("cli.help.authority.account"))
    totp.set_defaults(handler=cmd_operator_totp)

    verify = commands.add_parser(
        "verify-report",
        help=h("cli.help.authority.verify_report"),
        description=h("cli.help.authority.verify_report.description"),
    )
    _common(verify, database=False)  # keys and revocations only: the ledger is not opened
    verify.add_argument("file", type=Path, metavar="FILE", help=h("cli.help.authority.report_file"))
    verify.set_defaults(handler=cmd_verify_report)

    ledger = commands.add_parser(
        "ledger",
        help=h("cli.help.authority.ledger"),
        description=h("cli.help.authority.ledger.description"),
    )
    _common(ledger)
    ledger.add_argument("--format", choices=("csv", "json"), help=h("cli.help.authority.format"))
    ledger.add_argument("--output", "-o", metavar="FILE", help=h("cli.help.authority.output"))
    ledger.add_argument("--serial", help=h("cli.help.authority.only_serial"))
    ledger.add_argument("--technician", metavar="ID", help=h("cli.help.authority.only_technician"))
    ledger.add_argument("--state", help=h("cli.help.authority.only_state"))
    ledger.add_argument("--kind", help=h("cli.help.authority.only_kind"))
    ledger.add_argument("--since", metavar="TIME", help=h("cli.help.authority.since"))
    ledger.add_argument("--until", metavar="TIME", help=h("cli.help.authority.until"))
    ledger.set_defaults(handler=cmd_ledger)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m safetool.cli.authority ...``: the authority commands on their own."""
    argv = sys.argv[1:] if argv is None else list(argv)
    use_language(wanted_language(argv))
    parser = argparse.ArgumentParser(prog="safetool")
    add_authority_parser(parser.add_subparsers(dest="command", metavar="COMMAND"))
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    try:
        exit_code: int = asyncio.run(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except SafetoolError as error:
        if args.debug:
            traceback.print_exc()
        if args.json:
            print_json({"ok": False, **error.as_dict()})
        else:
            print(f"safetool: {error.explain(language(args))}", file=sys.stderr)
        return error.exit_code
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
