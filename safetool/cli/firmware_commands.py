"""``safetool firmware build|info|verify|status|install``: signed MCUboot images and the lock's
slots (docs/firmware.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from safetool.cli.common import (
    add_output_options,
    add_port_options,
    connected,
    language,
    print_fields,
    print_json,
    say,
)
from safetool.cli.firmware_install_command import add_install_parser
from safetool.command_words import h
from safetool.identity import ENV_VAR, TechnicianIdentity
from safetool.messages import Message, os_error_message, pick_language, render
from safetool.services.firmware_image import (
    CHANNELS,
    DEFAULT_ALIGN,
    DEFAULT_HEADER_SIZE,
    BuildRequest,
    FirmwareUsageError,
    build_image,
    check_image,
    describe,
    load_public_key,
    read_image,
)

OK = 0
FAILED = 1


def _int(text: str) -> int:
    return int(text, 0)


def add_firmware_parsers(commands: Any) -> None:
    firmware = commands.add_parser(
        "firmware",
        help=h("cli.help.firmware.firmware"),
        description=h("cli.help.firmware.firmware.description"),
    )
    sub = firmware.add_subparsers(dest="firmware_command", metavar="COMMAND", required=True)

    build = sub.add_parser(
        "build",
        help=h("cli.help.firmware.build"),
        description=h("cli.help.firmware.build.description"),
    )
    build.add_argument("--payload", type=Path, required=True, metavar="BIN")
    build.add_argument("--version", required=True, help=h("cli.help.firmware.version"))
    build.add_argument(
        "--security-counter",
        type=_int,
        required=True,
        metavar="N",
        help=h("cli.help.firmware.security_counter"),
    )
    build.add_argument("--model", required=True, help=h("cli.help.firmware.model"))
    build.add_argument(
        "--hardware-revision",
        action="append",
        required=True,
        metavar="REV",
        help=h("cli.help.firmware.hardware_revision"),
    )
    build.add_argument("--channel", choices=CHANNELS, default="stable")
    build.add_argument("--notes", default="", help=h("cli.help.firmware.notes"))
    build.add_argument(
        "--notes-file", type=Path, metavar="FILE", help=h("cli.help.firmware.notes_file")
    )
    build.add_argument(
        "--key",
        type=Path,
        required=True,
        help=h("cli.help.firmware.key"),
    )
    build.add_argument("-o", "--output", type=Path, required=True, metavar="IMAGE")
    build.add_argument("--header-size", type=_int, default=DEFAULT_HEADER_SIZE, metavar="BYTES")
    build.add_argument("--align", type=int, choices=(1, 2, 4, 8, 16, 32), default=DEFAULT_ALIGN)
    build.add_argument(
        "--slot-size", type=_int, metavar="BYTES", help=h("cli.help.firmware.slot_size")
    )
    add_output_options(build)
    build.set_defaults(handler=cmd_firmware_build)

    info = sub.add_parser("info", help=h("cli.help.firmware.info"))
    info.add_argument("image", type=Path, metavar="IMAGE")
    add_output_options(info)
    info.set_defaults(handler=cmd_firmware_info)

    verify = sub.add_parser(
        "verify",
        help=h("cli.help.firmware.verify"),
    )
    verify.add_argument("image", type=Path, metavar="IMAGE")
    keys = verify.add_mutually_exclusive_group()
    keys.add_argument("--pki", type=Path, metavar="DIR", help=h("cli.help.firmware.pki"))
    keys.add_argument("--key", type=Path, metavar="PUB", help=h("cli.help.firmware.key_2"))
    verify.add_argument("--model", help=h("cli.help.firmware.model_2"))
    verify.add_argument(
        "--hardware-revision", metavar="REV", help=h("cli.help.firmware.hardware_revision_2")
    )
    verify.add_argument(
        "--slot-size", type=_int, metavar="BYTES", help=h("cli.help.firmware.slot_size_2")
    )
    add_output_options(verify)
    verify.set_defaults(handler=cmd_firmware_verify)

    status = sub.add_parser(
        "status",
        help=h("cli.help.firmware.status"),
        description=h("cli.help.firmware.status.description"),
    )
    add_port_options(status)
    status.add_argument(
        "--technician",
        type=Path,
        metavar="DIR",
        help=h("cli.help.audit.technician", env_var=ENV_VAR),
    )
    status.set_defaults(handler=cmd_firmware_status)
    add_install_parser(sub)


async def cmd_firmware_build(args: argparse.Namespace) -> int:
    notes = args.notes
    if args.notes_file is not None:
        try:
            notes = args.notes_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise FirmwareUsageError(
                Message(
                    "build.notes_unreadable",
                    {
                        "path": str(args.notes_file),
                        "reason": os_error_message(error)
                        if isinstance(error, OSError)
                        else Message("build.not_utf8"),
                    },
                ),
                next_step=Message("build.notes_unreadable.next"),
            ) from None
    request = BuildRequest(
        payload=args.payload,
        output=args.output,
        key=args.key,
        version=args.version,
        security_counter=args.security_counter,
        model=args.model,
        hardware_revisions=tuple(args.hardware_revision),
        channel=args.channel,
        notes=notes,
        header_size=args.header_size,
        align=args.align,
        slot_size_bytes=args.slot_size,
    )
    image = await asyncio.to_thread(build_image, request)
    summary = {"ok": True, "image": str(args.output), **describe(image)}
    if args.json:
        print_json(summary)
    else:
        said = Message(
            "build.signed",
            {
                "path": str(args.output),
                "version": str(image.version),
                "counter": image.security_counter,
                "size": image.total_size,
            },
        )
        print(render(said, pick_language(getattr(args, "lang", None))))
    return OK


async def cmd_firmware_info(args: argparse.Namespace) -> int:
    image = read_image(args.image)
    details = describe(image)
    damaged = details["intact"] is False
    if args.json:
        print_json({"ok": not damaged, "image": str(args.image), **details})
        return FAILED if damaged else OK
    none = Message("list.none")

    def shown(value: object) -> object:
        return none if value is None else value

    signature = details["signature"] or Message("image.info.unsigned")
    size = Message(
        "image.info.size_value",
        {"bytes": details["image_size"], "payload": details["payload_size"]},
    )
    print_fields(
        [
            (Message("image.info.image"), str(args.image)),
            (Message("image.info.version"), details["version"]),
            (Message("image.info.security_counter"), shown(details["security_counter"])),
            (Message("image.info.model"), shown(details["model"])),
            (Message("image.info.hardware_revisions"), details["hardware_revisions"]),
            (Message("image.info.channel"), channel_words(details["channel"])),
            (Message("image.info.signature"), signature),
            (Message("image.info.size"), size),
        ],
        language(args),
    )
    if details["notes"]:
        print()
        say(args, Message("image.info.notes"))
        print(details["notes"])
    if damaged:  # its signature type alone says nothing: the contents changed after signing
        say(args, Message("image.hash_mismatch", {"source": str(args.image)}), file=sys.stderr)
        return FAILED
    return OK


async def cmd_firmware_verify(args: argparse.Namespace) -> int:
    image = read_image(args.image)
    key = load_public_key(pki=args.pki, key=args.key)
    check_image(
        image,
        key,
        source=str(args.image),
        model=args.model,
        hardware_revision=args.hardware_revision,
        slot_size_bytes=args.slot_size,
    )
    if args.json:
        print_json({"ok": True, "image": str(args.image), "verified": True, **describe(image)})
    else:
        none = Message("list.none")
        counter = none if image.security_counter is None else image.security_counter
        said = Message(
            "image.verified",
            {
                "source": str(args.image),
                "version": image.version,
                "counter": counter,
                "model": image.model or none,
            },
        )
        say(args, said)
    return OK


def channel_words(channel: str | None) -> Message | str:
    """A release channel in words (``stable``, ``beta``, ``dev``); another as it is."""
    if channel is None:
        return Message("list.none")
    return Message(f"image.channel.{channel}") if channel in CHANNELS else channel


async def cmd_firmware_status(args: argparse.Namespace) -> int:
    identity = TechnicianIdentity.load(args.technician)
    async with connected(args, identity=identity) as lock:
        status = await lock.firmware_status()
    if args.json:
        print_json({"ok": True, **status.as_dict()})
        return OK
    print_fields(status.fields(), language(args))
    return OK
