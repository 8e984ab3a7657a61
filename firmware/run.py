"""Run an emulated board: ``python -m firmware`` or ``safetool emulate`` (same options)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.clock import SystemClock
from firmware.control import start_control_server
from firmware.emulator import Emulator
from firmware.linkmodel import LinkSettings
from firmware.lock import Identity
from firmware.policy import LockPolicy
from firmware.provisioning import Provisioning, ProvisioningError
from firmware.updater import DEFAULT_TRIAL_TIMEOUT_S

HELP: dict[str, str] = {
    "where": "where the board listens",
    "tcp": "serve on TCP (socket://127.0.0.1:PORT; 0 picks a free port) instead of a pty",
    "ble": "be a BLE peripheral on an emulated radio (Bumble) instead of a pty; the ready "
    "line's hci field is what the tool puts in SAFETOOL_BLE_HCI (docs/ble.md)",
    "control_port": "side-channel port on 127.0.0.1 (default: a free one)",
    "json": "print one JSON ready line (port, serial, model, firmware_version, control) and "
    "nothing else",
    "board": "the board",
    "state": "keep the board's persistent state here (a restart is a power cycle); default: "
    "in memory only",
    "pki": "provision the board from a PKI folder (safetool dev-pki init): device key and "
    "certificate, recovery secret, trusted keys",
    "serial": "the board's serial number (default {default})",
    "model": "the board's model (default {default})",
    "hardware_revision": "the board's hardware revision (default {default})",
    "firmware_version": "the firmware version it runs (default {default})",
    "bootloader_version": "its bootloader's version (default {default})",
    "wrong_codes": "wrong codes within the window that start a penalty lockout (default {default})",
    "lockout_s": "penalty lockout length in seconds, at least 90 (default {default})",
    "time_delay_s": "time delay after a good code, 0 for none (default {default})",
    "trial_timeout_s": "seconds a trial firmware image may run unconfirmed before the board "
    "reverts it (default {default})",
    "dual_control": "two different users' codes are needed to open",
    "link": "link model",
    "baud": "pace bytes to this line rate (10 bits a byte)",
    "strict_baud": "pty: a tool at another line rate than --baud (default 115200) reads noise "
    "and is not heard, as on a real cable",
    "latency_ms": "delay each frame by this many milliseconds (default {default})",
    "ber": "bit-error rate, both directions",
    "drop": "frame-loss rate, both directions",
    "seed": "seed for bit errors and drops (replayable runs)",
    "ble_link": "BLE link model (with --ble)",
    "ble_mtu": "largest ATT MTU, 23 to 517 (default {default})",
    "ble_interval_ms": "connection interval in milliseconds, 7.5 to 4000 (default {default})",
    "ble_packets": "packets each way per connection event, 0 for unpaced (default {default})",
    "ble_hci_port": "TCP port of the emulated HCI (default: a free one)",
}
"""The options' help, by key. The board speaks English; ``safetool emulate`` passes its own
``words`` to show them in the reader's language (its catalogue's ``cli.help.emulate.<key>``)."""


def english(key: str, **values: Any) -> str:
    """A help text from :data:`HELP`, safe for argparse's ``%``-formatting."""
    return HELP[key].format(**values).replace("%", "%%")


def add_arguments(parser: argparse.ArgumentParser, words: Callable[..., str] = english) -> None:
    """The board's options; ``words(key, **values)`` gives each help text."""
    where = parser.add_argument_group(words("where"))
    where.add_argument("--tcp", type=int, metavar="PORT", help=words("tcp"))
    where.add_argument("--ble", action="store_true", help=words("ble"))
    where.add_argument(
        "--control-port", type=int, default=0, metavar="PORT", help=words("control_port")
    )
    where.add_argument("--json", action="store_true", help=words("json"))
    board = parser.add_argument_group(words("board"))
    board.add_argument("--state", type=Path, metavar="DIR", help=words("state"))
    defaults = Identity()
    board.add_argument("--pki", type=Path, metavar="DIR", help=words("pki"))
    for name, metavar in (
        ("serial", "SERIAL"),
        ("model", "MODEL"),
        ("hardware_revision", "REV"),
        ("firmware_version", "VERSION"),
        ("bootloader_version", "VERSION"),
    ):
        default = getattr(defaults, name)
        board.add_argument(
            "--" + name.replace("_", "-"),
            default=default,
            metavar=metavar,
            help=words(name, default=default),
        )
    policy = LockPolicy()
    for name, kind, default in (
        ("wrong_codes", int, policy.wrong_codes),
        ("lockout_s", int, policy.lockout_s),
        ("time_delay_s", int, policy.time_delay_s),
        ("trial_timeout_s", float, DEFAULT_TRIAL_TIMEOUT_S),
    ):
        board.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            default=default,
            metavar="N",
            help=words(name, default=default),
        )
    board.add_argument("--dual-control", action="store_true", help=words("dual_control"))
    link = parser.add_argument_group(words("link"))
    link.add_argument("--baud", type=int, help=words("baud"))
    link.add_argument("--strict-baud", action="store_true", help=words("strict_baud"))
    link.add_argument(
        "--latency-ms", type=float, default=0.0, metavar="MS", help=words("latency_ms", default=0)
    )
    link.add_argument("--ber", type=float, default=0.0, metavar="RATE", help=words("ber"))
    link.add_argument("--drop", type=float, default=0.0, metavar="RATE", help=words("drop"))
    link.add_argument("--seed", type=int, help=words("seed"))
    ble = parser.add_argument_group(words("ble_link"))
    ble.add_argument(
        "--ble-mtu", type=int, default=247, metavar="BYTES", help=words("ble_mtu", default=247)
    )
    ble.add_argument(
        "--ble-interval-ms",
        type=float,
        default=15.0,
        metavar="MS",
        help=words("ble_interval_ms", default=15.0),
    )
    ble.add_argument(
        "--ble-packets", type=int, default=4, metavar="N", help=words("ble_packets", default=4)
    )
    ble.add_argument(
        "--ble-hci-port", type=int, default=0, metavar="PORT", help=words("ble_hci_port")
    )


def build_emulator(args: argparse.Namespace, clock: SystemClock | None = None) -> Emulator:
    identity = Identity(
        serial=args.serial,
        model=args.model,
        hardware_revision=args.hardware_revision,
        firmware_version=args.firmware_version,
        bootloader_version=args.bootloader_version,
    )
    return Emulator(
        identity=identity,
        state_dir=args.state,
        link=LinkSettings(baud=args.baud, latency_ms=args.latency_ms, ber=args.ber, drop=args.drop),
        seed=args.seed,
        policy=LockPolicy(
            wrong_codes=args.wrong_codes,
            lockout_s=args.lockout_s,
            time_delay_s=args.time_delay_s,
            dual_control=int(args.dual_control),
        ),
        provisioning=None if args.pki is None else Provisioning.load(args.pki, args.serial),
        trial_timeout_s=args.trial_timeout_s,
        clock=clock,
    )


def announce_in_english(ready: dict[str, Any]) -> None:
    """Where the board listens, for a person (``--json`` prints ``ready`` itself)."""
    print(
        f"Emulated lock {ready['serial']} ({ready['model']}, firmware "
        f"{ready['firmware_version']}) is listening on {ready['port']}\n"
        + (f"  radio:        export SAFETOOL_BLE_HCI={ready['hci']}\n" if "hci" in ready else "")
        + f"  try:          safetool info --port {ready['port']}\n"
        f"  side channel: {ready['control']} (JSON lines; see docs/emulator.md)\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )


async def serve(
    args: argparse.Namespace, announce: Callable[[dict[str, Any]], None] = announce_in_english
) -> None:
    emu = build_emulator(args)
    extra: dict[str, Any] = {}
    if getattr(args, "ble", False):
        from firmware.ble_board import start_ble  # Bumble loads only for BLE boards
        from firmware.ble_linkmodel import BleLinkSettings

        settings = BleLinkSettings(args.ble_mtu, args.ble_interval_ms, args.ble_packets)
        _, port, hci_spec = await start_ble(emu, settings, args.ble_hci_port)
        extra = {"hci": hci_spec, "ble_mtu": settings.att_mtu}
    elif args.tcp is not None:
        port = await emu.start_tcp(args.tcp)
    else:
        port = await emu.start_pty(strict_baud=args.strict_baud)
    host, control_port = await start_control_server(emu, args.control_port)
    ready: dict[str, Any] = {
        "port": port,
        "serial": emu.identity.serial,
        "model": emu.identity.model,
        "firmware_version": emu.identity.firmware_version,
        "control": f"{host}:{control_port}",
        "state": str(args.state) if args.state else None,
        **extra,
    }
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):  # before the ready line: a stop sent on
        with contextlib.suppress(NotImplementedError):  # seeing it closes the board cleanly
            loop.add_signal_handler(signum, stop.set)
    if args.json:
        print(json.dumps(ready), flush=True)
    else:
        announce(ready)
    try:
        await stop.wait()
    finally:
        emu.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args))
    except (ValueError, ProvisioningError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    return 0
