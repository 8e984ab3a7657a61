"""Signed test images: a payload, a version and a counter, signed with the test PKI's firmware key
through ``safetool firmware build``'s own path (imgtool, with the same arguments). Used by the
suite, the tests and the firmware benchmark."""

from __future__ import annotations

import subprocess
from pathlib import Path

from safetool.services.firmware_image import BuildRequest, build_image

_signed: dict[tuple[bytes, bytes, str, int, str, int | None], bytes] = {}
"""Images this process has signed, by key and inputs: an image is signed once per test run."""


def imgtool_in_process(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """imgtool's own command line run in this process: the same code and arguments as the
    process ``safetool firmware build`` starts, without an interpreter's start (0.1 s of CPU)
    for each of the many images a test run signs. The build's own tests keep the process."""
    from click.testing import CliRunner
    from imgtool.main import imgtool

    ran = CliRunner().invoke(imgtool, arguments)
    return subprocess.CompletedProcess(arguments, ran.exit_code, ran.stdout, ran.stderr)


def build_test_image(
    pki: Path,
    folder: Path,
    name: str,
    payload: bytes,
    version: str,
    *,
    security_counter: int = 1,
    model: str = "SL-100",
    slot_size_bytes: int | None = None,
) -> Path:
    """Write ``folder/name.img`` (hardware revision B, stable channel) and return its path.

    The same inputs signed with the same key give the same image (ED25519 signs
    deterministically), so a second request copies the first one's bytes instead of running
    imgtool again."""
    key = pki / "manufacturer" / "firmware.key"
    inputs = (key.read_bytes(), payload, version, security_counter, model, slot_size_bytes)
    (folder / f"{name}.bin").write_bytes(payload)
    output = folder / f"{name}.img"
    if inputs in _signed:
        output.write_bytes(_signed[inputs])
        return output
    build_image(
        BuildRequest(
            payload=folder / f"{name}.bin",
            output=output,
            key=key,
            version=version,
            security_counter=security_counter,
            model=model,
            hardware_revisions=("B",),
            channel="stable",
            notes="",
            slot_size_bytes=slot_size_bytes,
        ),
        imgtool=imgtool_in_process,
    )
    _signed[inputs] = output.read_bytes()
    return output
