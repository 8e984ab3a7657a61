"""Firmware images for people: build (through MCUboot's imgtool), read, verify, pre-check.

The format itself lives in :mod:`protocols.firmware_image`; this module turns its errors into
:class:`~safetool.errors.SafetoolError` refusals that say what happened, what it means for the
lock and what to do next. ``firmware install`` reuses :func:`check_image` and
:func:`check_security_floor` for its pre-check, before any byte is sent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
    load_pem_public_key,
)

from protocols.firmware_image import (
    BadSignature,
    CorruptImage,
    EmptyImage,
    HashMismatch,
    ImageError,
    ImageVersion,
    NotAnImage,
    TlvType,
    TruncatedImage,
    UnsignedImage,
    UnsupportedImage,
    UnsupportedSignature,
    WrongKey,
    hash_intact,
    parse_image,
    verify_image,
)
from protocols.firmware_image import (
    Image as Image,
)
from safetool.errors import SafetoolError
from safetool.identity import ENV_VAR
from safetool.messages import Message, os_error_message, render

DEFAULT_HEADER_SIZE = 0x200
DEFAULT_ALIGN = 8
TRAILER_RESERVE_BYTES = 4096
"""Slot space kept for MCUboot's swap status and trailer (one 4 KiB sector)."""
SLOT_SIZES = {"SL-100": 0x60000}
"""Slot size per model when the model's data file (``[firmware] slot_size_bytes``) has none."""
MAX_FILE_BYTES = 16 * 1024 * 1024
"""No lock has a slot this big: larger files are refused before being read."""
MAX_TEXT_TLV_BYTES = 4096
CHANNELS = ("stable", "beta", "dev")
MODELS_DIRECTORY = Path(__file__).resolve().parent.parent / "data" / "models"


class FirmwareImageError(SafetoolError):
    """An image was refused: the lock must not receive it."""

    exit_code = 1


class FirmwareUsageError(SafetoolError):
    """A missing file, key or option: nothing was checked yet."""

    exit_code = 2


_REFUSALS: dict[type[ImageError], str] = {
    # each kind of damage: its words are image.why.<name>, image.refused.<name>(.next)
    EmptyImage: "empty",
    TruncatedImage: "truncated",
    NotAnImage: "not_an_image",
    CorruptImage: "corrupt",
    UnsupportedImage: "unsupported",
    UnsignedImage: "unsigned",
    UnsupportedSignature: "unsupported_signature",
    HashMismatch: "tampered",
    BadSignature: "tampered",
    WrongKey: "wrong_key",
}


def refusal(error: ImageError, source: str) -> FirmwareImageError:
    """The image cannot be used: the parser's finding, worded (``image.detail.<code>``), and
    what that kind of damage means and what to do."""
    name = next((name for kind, name in _REFUSALS.items() if isinstance(error, kind)), "unusable")
    detail = (
        Message(f"image.detail.{error.code}", error.values)
        if error.code
        else Message("image.detail.other", {"text": str(error)})
    )
    return FirmwareImageError(
        Message("image.refused", {"source": source, "detail": detail}),
        meaning=Message(f"image.refused.{name}"),
        next_step=Message(f"image.refused.{name}.next"),
    )


# ---------------------------------------------------------------------------------------------
# reading


def read_image(path: Path) -> Image:
    """Read and parse ``path``; refuse missing, oversized or malformed files."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise FirmwareUsageError(
            Message("image.unreadable", {"path": str(path), "error": os_error_message(error)}),
            next_step=Message("image.unreadable.next"),
        ) from None
    if not path.is_file():
        raise FirmwareUsageError(
            Message("image.not_a_file", {"path": str(path)}),
            next_step=Message("image.not_a_file.next"),
        )
    if size > MAX_FILE_BYTES:
        raise FirmwareImageError(
            Message("image.too_large", {"path": str(path), "size": size}),
            meaning=Message("image.too_large.meaning"),
            next_step=Message("image.too_large.next"),
        )
    try:
        return parse_image(path.read_bytes())
    except ImageError as error:
        raise refusal(error, str(path)) from None


def load_public_key(*, pki: Path | None = None, key: Path | None = None) -> Ed25519PublicKey:
    """The firmware key to check against: ``--key`` (PEM public or private key, or 64 hex
    digits), ``--pki`` (a folder with trust.json) or the technician folder in $SAFETOOL_TECHNICIAN.
    """
    if key is not None:
        return _key_from_file(key)
    folder = (
        pki if pki is not None else Path(os.environ[ENV_VAR]) if os.environ.get(ENV_VAR) else None
    )
    if folder is None:
        raise FirmwareUsageError(
            Message("image.no_key"), next_step=Message("image.no_key.next", {"env": ENV_VAR})
        )
    trust = folder / "trust.json" if folder.is_dir() else folder
    try:
        data = json.loads(trust.read_text())
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(data["firmware_public_key"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise FirmwareUsageError(
            Message("image.key_unreadable", {"path": str(trust), "error": type(error).__name__}),
            next_step=Message("image.key_unreadable.next"),
        ) from None


def _key_from_file(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FirmwareUsageError(
            Message(
                "image.key_file_unreadable", {"path": str(path), "error": os_error_message(error)}
            ),
            next_step=Message("image.key_file_unreadable.next"),
        ) from None
    text = data.strip()
    loaded: Any = None
    try:
        if len(text) == 64:
            loaded = Ed25519PublicKey.from_public_bytes(bytes.fromhex(text.decode()))
        elif b"PRIVATE KEY" in text:
            loaded = load_pem_private_key(data, password=None).public_key()
        else:
            loaded = load_pem_public_key(data)
    except (ValueError, TypeError, UnicodeDecodeError):
        loaded = None
    if not isinstance(loaded, Ed25519PublicKey):
        raise FirmwareUsageError(
            Message("image.not_a_key", {"path": str(path)}),
            next_step=Message("image.not_a_key.next"),
        )
    return loaded


# ---------------------------------------------------------------------------------------------
# checks


@dataclass(frozen=True, slots=True)
class ModelFirmware:
    model: str
    slot_size_bytes: int

    @property
    def image_limit_bytes(self) -> int:
        return self.slot_size_bytes - TRAILER_RESERVE_BYTES


def model_firmware(model: str, directory: Path | None = None) -> ModelFirmware:
    """Slot size for ``model``: from its data file's ``[firmware]`` table, else built in."""
    path = (directory or MODELS_DIRECTORY) / f"{model}.toml"
    slot: Any = None
    try:
        slot = tomllib.loads(path.read_text()).get("firmware", {}).get("slot_size_bytes")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        slot = None
    if not isinstance(slot, int):
        slot = SLOT_SIZES.get(model)
    if slot is None:
        raise FirmwareUsageError(
            Message("image.no_slot_size", {"model": model}),
            next_step=Message("image.no_slot_size.next"),
        )
    return ModelFirmware(model, slot)


def check_image(
    image: Image,
    public_key: Ed25519PublicKey,
    *,
    source: str,
    model: str | None = None,
    hardware_revision: str | None = None,
    slot_size_bytes: int | None = None,
) -> None:
    """Everything that can be checked without a lock: signature, model, revision, size."""
    try:
        verify_image(image, public_key)
    except ImageError as error:
        raise refusal(error, source) from None
    if model is not None and image.model != model:
        named = (
            Message("image.for_model", {"model": image.model})
            if image.model
            else Message("image.for_no_model")
        )
        raise FirmwareImageError(
            Message("image.wrong_model", {"source": source, "named": named, "model": model}),
            meaning=Message("image.wrong_model.meaning"),
            next_step=Message("image.wrong_model.next", {"model": model}),
        )
    if hardware_revision is not None and hardware_revision not in image.hardware_revisions:
        revisions = list(image.hardware_revisions) or Message("image.no_revisions")
        raise FirmwareImageError(
            Message(
                "image.wrong_revision",
                {"source": source, "revisions": revisions, "revision": hardware_revision},
            ),
            meaning=Message("image.wrong_revision.meaning"),
            next_step=Message("image.wrong_revision.next", {"revision": hardware_revision}),
        )
    if image.security_counter is None and model is not None:
        raise FirmwareImageError(
            Message("image.no_counter", {"source": source}),
            meaning=Message("image.no_counter.meaning"),
            next_step=Message("image.no_counter.next"),
        )
    limit = _image_limit(model, slot_size_bytes)
    if limit is not None and image.total_size > limit:
        raise FirmwareImageError(
            Message(
                "image.too_big_for_slot",
                {"source": source, "size": image.total_size, "limit": limit},
            ),
            meaning=Message("image.too_big_for_slot.meaning"),
            next_step=Message("image.too_big_for_slot.next"),
        )


def _image_limit(model: str | None, slot_size_bytes: int | None) -> int | None:
    if slot_size_bytes is not None:
        return slot_size_bytes - TRAILER_RESERVE_BYTES
    if model is not None:
        return model_firmware(model).image_limit_bytes
    return None


class BelowSecurityFloor(FirmwareImageError):
    """The lock's anti-rollback floor forbids this image."""


def check_security_floor(image: Image, floor: int, *, source: str) -> None:
    counter = image.security_counter or 0
    if counter < floor:
        raise BelowSecurityFloor(
            Message("image.below_floor", {"source": source, "counter": counter, "floor": floor}),
            meaning=Message("image.below_floor.meaning"),
            next_step=Message("image.below_floor.next", {"floor": floor}),
        )


@dataclass(frozen=True, slots=True)
class InstallPrecheck:
    """What an install shows before its one confirmation (every check has passed)."""

    change: str
    """e.g. ``2.3.1 → 2.1.0 (older)``"""
    security_counter: int
    floor: int
    raises_floor: bool
    """Confirming this image raises the lock's floor: older releases can no longer go on."""


def precheck_install(
    image: Image,
    public_key: Ed25519PublicKey,
    *,
    source: str,
    model: str,
    hardware_revision: str,
    installed_version: ImageVersion | str,
    floor: int,
    slot_size_bytes: int | None = None,
) -> InstallPrecheck:
    """The image half of the install pre-check (the lock half: battery, lock state, free slot)."""
    check_image(
        image,
        public_key,
        source=source,
        model=model,
        hardware_revision=hardware_revision,
        slot_size_bytes=slot_size_bytes,
    )
    check_security_floor(image, floor, source=source)
    counter = image.security_counter or 0
    return InstallPrecheck(
        change=version_change(installed_version, image.version),
        security_counter=counter,
        floor=floor,
        raises_floor=counter > floor,
    )


def version_change_message(installed: ImageVersion | str, new: ImageVersion | str) -> Message:
    """``2.3.1 → 2.1.0 (older)``: the words an install shows before its one confirmation
    (the direction in words; the action is the same either way)."""
    try:
        old_v = ImageVersion.parse(installed) if isinstance(installed, str) else installed
        new_v = ImageVersion.parse(new) if isinstance(new, str) else new
    except ValueError:
        return Message("firmware.change.unknown", {"old": str(installed), "new": str(new)})
    if new_v > old_v:
        direction = "newer"
    elif new_v < old_v:
        direction = "older"
    else:
        direction = "same"
    return Message(f"firmware.change.{direction}", {"old": str(old_v), "new": str(new_v)})


def version_change(installed: ImageVersion | str, new: ImageVersion | str) -> str:
    """:func:`version_change_message` in English (JSON, logs)."""
    return render(version_change_message(installed, new))


def describe(image: Image) -> dict[str, Any]:
    """What ``firmware info`` shows (JSON-ready)."""
    hash_tlv = image.hash_tlv
    key_hash = image.unprotected(TlvType.KEYHASH)
    return {
        "version": str(image.version),
        "security_counter": image.security_counter,
        "model": image.model,
        "hardware_revisions": list(image.hardware_revisions),
        "channel": image.channel,
        "notes": image.notes,
        "signed": image.is_signed,
        "signature": "ED25519" if image.unprotected(TlvType.ED25519) else None,
        "hash": {"algorithm": hash_tlv.name, "value": hash_tlv.value.hex()} if hash_tlv else None,
        "intact": hash_intact(image),
        "key_hash": key_hash[0].hex() if key_hash else None,
        "header_size": image.header_size,
        "payload_size": image.image_size,
        "image_size": image.total_size,
        "trailing_bytes": image.trailing_size,
        "load_address": image.load_address,
        "flags": [flag.name for flag in type(image.flags) if flag in image.flags],
        "protected_tlvs": [tlv.name for tlv in image.protected_tlvs],
        "unprotected_tlvs": [tlv.name for tlv in image.unprotected_tlvs],
    }


# ---------------------------------------------------------------------------------------------
# building


@dataclass(frozen=True, slots=True)
class BuildRequest:
    payload: Path
    output: Path
    key: Path
    version: str
    security_counter: int
    model: str
    hardware_revisions: tuple[str, ...]
    channel: str
    notes: str
    header_size: int = DEFAULT_HEADER_SIZE
    align: int = DEFAULT_ALIGN
    slot_size_bytes: int | None = None


def imgtool_command() -> list[str]:
    """How to run MCUboot's imgtool: the one beside this Python, else on PATH."""
    beside = Path(sys.executable).with_name("imgtool")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("imgtool")
    if found:
        return [found]
    if importlib.util.find_spec("imgtool") is None:
        raise FirmwareUsageError(
            Message("build.no_imgtool"),
            meaning=Message("build.no_imgtool.meaning"),
            next_step=Message("build.no_imgtool.next"),
        )
    return [sys.executable, "-m", "imgtool.main"]


ImgtoolRunner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]
"""Runs imgtool with these arguments; its exit code, standard output and standard error."""


def run_imgtool(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """MCUboot's imgtool in a process of its own, as a release manager's machine runs it."""
    return subprocess.run(
        [*imgtool_command(), *arguments], capture_output=True, text=True, check=False
    )


def build_image(request: BuildRequest, imgtool: ImgtoolRunner = run_imgtool) -> Image:
    """Sign ``request.payload`` with imgtool into ``request.output``; return the parsed image."""
    version = _checked_build_inputs(request)
    public_key = _public_of(request.key)
    slot = request.slot_size_bytes or model_firmware(request.model).slot_size_bytes
    texts = {
        TlvType.SAFETOOL_MODEL: request.model,
        TlvType.SAFETOOL_HARDWARE_REVISIONS: ",".join(request.hardware_revisions),
        TlvType.SAFETOOL_CHANNEL: request.channel,
        TlvType.SAFETOOL_NOTES: request.notes,
    }
    with tempfile.TemporaryDirectory(prefix="safetool-build-") as scratch:
        command = [
            "sign",
            "--key",
            str(request.key),
            "--version",
            str(version),
            "--security-counter",
            str(request.security_counter),
            "--header-size",
            hex(request.header_size),
            "--pad-header",
            "--align",
            str(request.align),
            "--slot-size",
            hex(slot),
        ]
        for kind, text in texts.items():
            if not text:
                continue
            # files, not --custom-tlv: imgtool reads a value starting with "0x" as hex
            value_file = Path(scratch) / f"{kind:04x}.tlv"
            value_file.write_bytes(text.encode("utf-8"))
            command += ["--custom-tlv-file", hex(kind), str(value_file)]
        output = Path(scratch) / "signed.bin"
        command += [str(request.payload), str(output)]
        try:
            result = imgtool(command)
        except OSError as error:
            raise FirmwareUsageError(
                Message("build.imgtool_failed_to_run", {"reason": os_error_message(error)}),
                next_step=Message("build.imgtool_failed_to_run.next"),
            ) from None
        if result.returncode != 0:
            problem = _imgtool_problem(result.stderr)
            if "exceeds requested size" in problem:
                raise FirmwareImageError(
                    Message("build.too_large", {"slot": slot, "detail": problem}),
                    meaning=Message("build.too_large.meaning"),
                    next_step=Message("build.too_large.next"),
                )
            raise FirmwareUsageError(
                Message("build.imgtool_refused", {"detail": problem}),
                next_step=Message("build.imgtool_refused.next"),
            )
        data = output.read_bytes()
    try:
        image = parse_image(data)
    except ImageError as error:
        raise refusal(error, "imgtool's output") from None
    check_image(
        image,
        public_key,
        source=str(request.output),
        model=request.model,
        slot_size_bytes=slot,
    )
    try:
        request.output.write_bytes(data)
    except OSError as error:
        raise FirmwareUsageError(
            Message(
                "build.cannot_write",
                {"path": str(request.output), "reason": os_error_message(error)},
            ),
            next_step=Message("build.cannot_write.next"),
        ) from None
    return image


def _checked_build_inputs(request: BuildRequest) -> ImageVersion:
    try:
        version = ImageVersion.parse(request.version)
    except ValueError:
        raise FirmwareUsageError(
            Message("build.bad_version", {"text": request.version}),
            next_step=Message("build.bad_version.next"),
        ) from None
    if not 0 <= request.security_counter <= 0xFFFFFFFF:
        raise FirmwareUsageError(
            Message("build.counter_too_big", {"counter": request.security_counter}),
            next_step=Message("build.counter_too_big.next"),
        )
    if request.channel not in CHANNELS:
        raise FirmwareUsageError(
            Message("build.unknown_channel", {"channel": request.channel}),
            next_step=Message("build.unknown_channel.next", {"channels": ", ".join(CHANNELS)}),
        )
    if not request.hardware_revisions or any(
        not rev or "," in rev for rev in request.hardware_revisions
    ):
        raise FirmwareUsageError(Message("build.no_revision"))
    if not request.model or len(request.model.encode("utf-8")) > 64:
        raise FirmwareUsageError(Message("build.bad_model"))
    if len(request.notes.encode("utf-8")) > MAX_TEXT_TLV_BYTES:
        raise FirmwareUsageError(
            Message("build.notes_too_long", {"size": MAX_TEXT_TLV_BYTES}),
            next_step=Message("build.notes_too_long.next"),
        )
    if not request.payload.is_file():
        raise FirmwareUsageError(
            Message("build.no_payload", {"path": str(request.payload)}),
            next_step=Message("build.no_payload.next"),
        )
    return version


def _public_of(key_path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise FirmwareUsageError(
            Message("build.not_a_key", {"path": str(key_path)}),
            next_step=Message("build.not_a_key.next"),
        )
    return key.public_key()


def _imgtool_problem(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "rror" in line]
    return (errors or lines or ["no reason given"])[-1]
