"""Run an emulated board: ``python -m firmware`` or ``safetool emulate`` (same options)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import Any

from firmware.control import start_control_server
from firmware.emulator import Emulator
from firmware.linkmodel import LinkSettings
from firmware.lock import Identity
from firmware.policy import LockPolicy
from firmware.provisioning import Provisioning, ProvisioningError
from firmware.updater import DEFAULT_TRIAL_TIMEOUT_S


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where the board listens")
    where.add_argument(
        "--tcp",
        type=int,
        metavar="PORT",
        help="serve on TCP (socket://127.0.0.1:PORT; 0 picks a free port) instead of a pty",
    )
    where.add_argument(
        "--ble",
        action="store_true",
        help="be a BLE peripheral on an emulated radio (Bumble) instead of a pty; the ready "
        "line's hci field is what the tool puts in SAFETOOL_BLE_HCI (docs/ble.md)",
    )
    where.add_argument(
        "--control-port",
        type=int,
        default=0,
        metavar="PORT",
        help="side-channel port on 127.0.0.1 (default: a free one)",
    )
    where.add_argument(
        "--json",
        action="store_true",
        help="print one JSON ready line (port, serial, model, firmware_version, "
        "control) and nothing else",
    )
    board = parser.add_argument_group("the board")
    board.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="keep the board's persistent state here (a restart is a power "
        "cycle); default: in memory only",
    )
    defaults = Identity()
    board.add_argument(
        "--pki",
        type=Path,
        metavar="DIR",
        help="provision the board from a PKI folder (safetool dev-pki init): "
        "device key and certificate, recovery secret, trusted keys",
    )
    board.add_argument("--serial", default=defaults.serial)
    board.add_argument("--model", default=defaults.model)
    board.add_argument("--hardware-revision", default=defaults.hardware_revision)
    board.add_argument("--firmware-version", default=defaults.firmware_version)
    board.add_argument("--bootloader-version", default=defaults.bootloader_version)
    policy = LockPolicy()
    board.add_argument(
        "--wrong-codes",
        type=int,
        default=policy.wrong_codes,
        help="wrong codes within the window that start a penalty lockout (default %(default)s)",
    )
    board.add_argument(
        "--lockout-s",
        type=int,
        default=policy.lockout_s,
        help="penalty lockout length in seconds, at least 90 (default %(default)s)",
    )
    board.add_argument(
        "--time-delay-s",
        type=int,
        default=policy.time_delay_s,
        help="time delay after a good code, 0 for none (default %(default)s)",
    )
    board.add_argument(
        "--trial-timeout-s",
        type=float,
        default=DEFAULT_TRIAL_TIMEOUT_S,
        help="seconds a trial firmware image may run unconfirmed before the board reverts it "
        "(default %(default)s)",
    )
    board.add_argument(
        "--dual-control", action="store_true", help="two different users' codes are needed to open"
    )
    link = parser.add_argument_group("link model")
    link.add_argument("--baud", type=int, help="pace bytes to this line rate (10 bits a byte)")
    link.add_argument(
        "--strict-baud",
        action="store_true",
        help="pty: a tool at another line rate than --baud (default 115200) reads noise and is "
        "not heard, as on a real cable",
    )
    link.add_argument("--latency-ms", type=float, default=0.0)
    link.add_argument("--ber", type=float, default=0.0, help="bit-error rate, both directions")
    link.add_argument("--drop", type=float, default=0.0, help="frame-loss rate, both directions")
    link.add_argument("--seed", type=int, help="seed for bit errors and drops (replayable runs)")
    ble = parser.add_argument_group("BLE link model (with --ble)")
    ble.add_argument("--ble-mtu", type=int, default=247, help="largest ATT MTU (23-517)")
    ble.add_argument(
        "--ble-interval-ms", type=float, default=15.0, help="connection interval (7.5-4000)"
    )
    ble.add_argument(
        "--ble-packets",
        type=int,
        default=4,
        help="packets each way per connection event (0: unpaced)",
    )
    ble.add_argument("--ble-hci-port", type=int, default=0, help="TCP port of the emulated HCI")


def build_emulator(args: argparse.Namespace) -> Emulator:
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
    )


async def serve(args: argparse.Namespace) -> None:
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
    if args.json:
        print(json.dumps(ready), flush=True)
    else:
        print(
            f"Emulated lock {emu.identity.serial} ({emu.identity.model}, firmware "
            f"{emu.identity.firmware_version}) is listening on {port}\n"
            + (f"  radio:        export SAFETOOL_BLE_HCI={extra['hci']}\n" if extra else "")
            + f"  try:          safetool info --port {port}\n"
            f"  side channel: {ready['control']} (JSON lines; see docs/emulator.md)\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
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
