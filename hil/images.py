"""Signed test images: a payload, a version and a counter, signed with the test PKI's firmware key
through ``safetool firmware build``'s own path (imgtool). Used by the suite, the tests and the
firmware benchmark."""

from __future__ import annotations

from pathlib import Path

from safetool.services.firmware_image import BuildRequest, build_image


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
    """Write ``folder/name.img`` (hardware revision B, stable channel) and return its path."""
    (folder / f"{name}.bin").write_bytes(payload)
    output = folder / f"{name}.img"
    build_image(
        BuildRequest(
            payload=folder / f"{name}.bin",
            output=output,
            key=pki / "manufacturer" / "firmware.key",
            version=version,
            security_counter=security_counter,
            model=model,
            hardware_revisions=("B",),
            channel="stable",
            notes="",
            slot_size_bytes=slot_size_bytes,
        )
    )
    return output
