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
from pathlib import Path
from typing import Any

from safetool.authority.app import MIN_OPERATOR_TOKEN_LENGTH, OPERATOR_TOKEN_ENV
from safetool.authority.database import DB_ENV, default_database_url, describe
from safetool.authority.errors import AuthorityConfigError
from safetool.authority.export import iso_utc, parse_ledger_filter, to_csv, to_json
from safetool.authority.ledger import RateLimits
from safetool.authority.server import DEFAULT_HOST, DEFAULT_PORT
from safetool.authority.service import Authority, AuthorityPolicy
from safetool.cli.common import print_json
from safetool.errors import SafetoolError

PKI_ENV = "SAFETOOL_PKI"
Handler = Callable[[argparse.Namespace], Awaitable[int]]


def _pki(args: argparse.Namespace) -> Path:
    if not args.pki:
        raise AuthorityConfigError(
            "no PKI folder given",
            meaning="The authority needs its keys and technician register.",
            next_step=f"Give --pki DIR or set {PKI_ENV} (see `safetool dev-pki init DIR`).",
        )
    return Path(args.pki)


def _database_url(args: argparse.Namespace) -> str:
    return str(args.db or default_database_url(_pki(args)))


def _policy(args: argparse.Namespace) -> AuthorityPolicy:
    defaults = AuthorityPolicy()
    return AuthorityPolicy(
        validity_s=int(getattr(args, "validity_min", defaults.validity_s // 60)) * 60,
        limits=RateLimits(
            per_technician=getattr(args, "per_technician_per_hour", defaults.limits.per_technician),
            per_lock=getattr(args, "per_lock_per_hour", defaults.limits.per_lock),
        ),
    )


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _open(args: argparse.Namespace) -> Authority:
    return Authority.open(_pki(args), _database_url(args), policy=_policy(args))


# --- serve ---------------------------------------------------------------------------------


def _operator_token() -> str | None:
    token = os.environ.get(OPERATOR_TOKEN_ENV) or None
    if token is not None and len(token) < MIN_OPERATOR_TOKEN_LENGTH:
        raise AuthorityConfigError(
            f"{OPERATOR_TOKEN_ENV} is shorter than {MIN_OPERATOR_TOKEN_LENGTH} characters",
            meaning="A short token could be guessed; the authority did not start.",
            next_step="Use a long random token, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`.",
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
        print(f"Service authority listening on {url}", flush=True)
        print(f"  ledger: {database}")
        print(f"  technicians registered: {len(authority.register)}")
        if token is None:
            print(f"  operator endpoints off ({OPERATOR_TOKEN_ENV} not set)")
        print("Press Ctrl-C to stop.", flush=True)

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
    print(f"Read back to the technician:  {answer.grouped}")
    print(
        f"recovery {answer.recovery_id} · lock {answer.serial} · technician "
        f"{answer.technician_id} · valid until {iso_utc(answer.not_after)}"
    )
    return 0


async def cmd_close(args: argparse.Namespace) -> int:
    def work() -> Any:
        authority = _open(args)
        try:
            return authority.close(args.serial, args.recovery_id, args.seal, counter=args.counter)
        finally:
            authority.shutdown()

    entry = await asyncio.to_thread(work)
    if args.json:
        print_json({"ok": True, "recovery": entry.as_dict()})
        return 0
    print(f"recovery {entry.id} of lock {entry.serial} is closed (seal verified).")
    return 0


# --- ledger --------------------------------------------------------------------------------


def _table(entries: Sequence[Any]) -> str:
    header = ("id", "kind", "state", "lock", "technician", "issued (UTC)", "closed (UTC)")
    rows = [
        (
            str(e.id),
            e.kind,
            e.state,
            e.serial,
            e.technician_id,
            iso_utc(e.issued_at),
            iso_utc(e.closed_at),
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines) + f"\n{len(rows)} entries\n"


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
        text = _table(entries)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        if args.json:
            print_json({"ok": True, "output": args.output, "count": len(entries)})
        else:
            print(f"wrote {len(entries)} entries to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


# --- parser --------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, database: bool = True) -> None:
    parser.add_argument(
        "--pki",
        default=os.environ.get(PKI_ENV, ""),
        help=f"the PKI folder (authority keys, technicians); default: ${PKI_ENV}",
    )
    if database:
        parser.add_argument(
            "--db",
            default=os.environ.get(DB_ENV, ""),
            help=f"ledger database URL (sqlite:///FILE or postgresql+psycopg://...); default: "
            f"${DB_ENV}, else PKI/authority/ledger.sqlite",
        )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _policy_options(parser: argparse.ArgumentParser, *, validity: bool = True) -> None:
    defaults = AuthorityPolicy()
    if validity:
        parser.add_argument(
            "--validity-min",
            type=_positive,
            default=defaults.validity_s // 60,
            help="minutes an online authorisation stays valid (default %(default)s)",
        )
    parser.add_argument(
        "--per-technician-per-hour",
        type=_positive,
        default=defaults.limits.per_technician,
        help="authorisations one technician may get per hour (default %(default)s)",
    )
    parser.add_argument(
        "--per-lock-per-hour",
        type=_positive,
        default=defaults.limits.per_lock,
        help="authorisations one lock may get per hour (default %(default)s)",
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
        help="the service authority: issue and record recovery authorisations",
        description="The service centre's side of lockout recovery: an HTTP API for "
        "technicians and operators, and the hotline desk's offline commands.",
    )
    authority.set_defaults(handler=_help(authority))
    commands = authority.add_subparsers(dest="authority_command", metavar="SUBCOMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the HTTP API",
        description=f"Run the HTTP API. Operator endpoints need the token in "
        f"${OPERATOR_TOKEN_ENV} (at least {MIN_OPERATOR_TOKEN_LENGTH} characters); without "
        "it they are off. Put a TLS proxy in front of anything but loopback.",
    )
    _common(serve)
    serve.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s; 0: any)"
    )
    _policy_options(serve)
    serve.set_defaults(handler=cmd_serve)

    issue = commands.add_parser(
        "issue",
        help="issue a phone-in response (hotline desk, directly on the ledger)",
        description="Check the technician and the challenge's check digit, record the "
        "authorisation in the ledger, and print the response to read back in groups.",
    )
    _common(issue)
    issue.add_argument("--serial", required=True, help="the lock's serial number")
    issue.add_argument(
        "--challenge", required=True, help="the challenge digits as read (spaces allowed)"
    )
    issue.add_argument("--technician", required=True, help="the technician's id, e.g. T-1001")
    issue.add_argument(
        "--counter",
        type=int,
        required=True,
        help="the lock's recovery counter, as the technician reads it out with the challenge",
    )
    _policy_options(issue, validity=False)  # the lock times a phone response itself
    issue.set_defaults(handler=cmd_issue)

    close = commands.add_parser(
        "close",
        help="record a recovery as closed, after checking the lock's close seal",
        description="Verify the close seal the lock showed after the safe was shut and mark "
        "the recovery closed. A wrong seal is refused and recorded.",
    )
    _common(close)
    close.add_argument("--serial", required=True, help="the lock's serial number")
    close.add_argument("--recovery-id", type=_positive, required=True, help="the recovery id")
    close.add_argument("--seal", required=True, help="the seal digits as read (spaces allowed)")
    close.add_argument(
        "--counter",
        type=int,
        default=None,
        help="the lock's recovery counter (phone recoveries issued without one)",
    )
    close.set_defaults(handler=cmd_close)

    ledger = commands.add_parser(
        "ledger",
        help="list or export the ledger (CSV or JSON)",
        description="List what was issued, used and closed; --format csv|json exports.",
    )
    _common(ledger)
    ledger.add_argument("--format", choices=("csv", "json"), help="export format")
    ledger.add_argument("--output", "-o", help="write to this file instead of the screen")
    ledger.add_argument("--serial", help="only this lock")
    ledger.add_argument("--technician", help="only this technician")
    ledger.add_argument("--state", help="only issued, used, refused, closed or expired")
    ledger.add_argument("--kind", help="only online or phone")
    ledger.add_argument("--since", help="issued at or after (ISO date/time or epoch seconds)")
    ledger.add_argument("--until", help="issued before (ISO date/time or epoch seconds)")
    ledger.set_defaults(handler=cmd_ledger)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m safetool.cli.authority ...``: the authority commands on their own."""
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
            print(f"safetool: {error.explain()}", file=sys.stderr)
        return error.exit_code
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
