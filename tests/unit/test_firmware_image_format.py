"""protocols.firmware_image: parsing never raises anything but its own errors; helpers."""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols.firmware_image import (
    IMAGE_MAGIC,
    Image,
    ImageFormatError,
    ImageVerificationError,
    ImageVersion,
    parse_image,
    verify_image,
)
from safetool.services.devpki import private_pem, write_private
from safetool.services.firmware_image import (
    BelowSecurityFloor,
    FirmwareImageError,
    check_security_floor,
    imgtool_command,
    precheck_install,
    version_change,
)

KEY = Ed25519PrivateKey.generate()


@functools.cache
def signed_image() -> bytes:
    """One small image signed by imgtool with ``KEY`` (made once per test run)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_private(root / "k.pem", private_pem(KEY))
        (root / "app.bin").write_bytes(os.urandom(300))
        subprocess.run(
            [
                *imgtool_command(),
                *("sign", "-k", str(root / "k.pem"), "-H", "0x20", "--pad-header"),
                *("-S", "0x10000", "-v", "3.1.4+1", "-s", "9", "--custom-tlv", "0x0A10", "SL-100"),
                *(str(root / "app.bin"), str(root / "out.img")),
            ],
            check=True,
            capture_output=True,
        )
        return (root / "out.img").read_bytes()


def parse_and_verify(data: bytes) -> Image | None:
    """Only the module's own errors may escape; returns the image if it still verifies."""
    try:
        image = parse_image(data)
    except ImageFormatError:
        return None
    try:
        verify_image(image, KEY.public_key())
    except ImageVerificationError:
        return None
    return image


def test_signed_image_parses_and_verifies() -> None:
    image = parse_and_verify(signed_image())
    assert image is not None
    assert str(image.version) == "3.1.4+1"
    assert image.security_counter == 9 and image.model == "SL-100"
    assert len(image.payload) == 300


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    parse_and_verify(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=0, max_size=400))
def test_arbitrary_bytes_after_a_valid_magic(tail: bytes) -> None:
    parse_and_verify(IMAGE_MAGIC.to_bytes(4, "little") + tail)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_truncations(data: st.DataObject) -> None:
    image = signed_image()
    cut = data.draw(st.integers(0, len(image) - 1))
    assert parse_and_verify(image[:cut]) is None


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_bit_flips_never_verify(data: st.DataObject) -> None:
    image = bytearray(signed_image())
    flips = data.draw(st.lists(st.integers(0, len(image) * 8 - 1), min_size=1, max_size=3))
    for bit in set(flips):
        image[bit // 8] ^= 1 << (bit % 8)
    if bytes(image) == signed_image():
        return
    result = parse_and_verify(bytes(image))
    if result is not None:
        # only a flip in what the signature does not cover may leave a verifying image
        assert result.signed_region == parse_image(signed_image()).signed_region


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.4.0+7", (2, 4, 0, 7)),
        ("1", (1, 0, 0, 0)),
        ("1.2", (1, 2, 0, 0)),
        ("0.0.65535", (0, 0, 65535, 0)),
    ],
)
def test_version_parse(text: str, expected: tuple[int, int, int, int]) -> None:
    assert ImageVersion.parse(text) == ImageVersion(*expected)


@pytest.mark.parametrize("text", ["", "a.b", "1.2.3.4", "256.0.0", "1.2.3+x", "1.2.3+", "-1"])
def test_version_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        ImageVersion.parse(text)


def test_version_change_words() -> None:
    assert version_change("2.3.1", "2.1.0") == "2.3.1 → 2.1.0 (older)"
    assert version_change("2.1.0", "2.3.1+4") == "2.1.0 → 2.3.1+4 (newer)"
    assert version_change("2.3.1", "2.3.1") == "2.3.1 → 2.3.1 (same version)"


def test_security_floor() -> None:
    image = parse_image(signed_image())
    check_security_floor(image, 9, source="x.img")
    with pytest.raises(BelowSecurityFloor) as refused:
        check_security_floor(image, 10, source="x.img")
    assert "floor is 10" in refused.value.message and "10 or more" in refused.value.next_step


def test_metadata_outside_the_protected_area_is_refused() -> None:
    image = parse_image(signed_image())
    data = bytearray(image.image_bytes)
    extra = (0x50).to_bytes(2, "little") + (4).to_bytes(2, "little") + (99).to_bytes(4, "little")
    total = int.from_bytes(data[image.signed_size + 2 : image.signed_size + 4], "little")
    data[image.signed_size + 2 : image.signed_size + 4] = (total + len(extra)).to_bytes(2, "little")
    with pytest.raises(ImageFormatError, match="outside the protected"):
        parse_image(bytes(data) + extra)


def test_slot_padding_is_not_part_of_the_image() -> None:
    padded = signed_image() + b"\xff" * 1000
    image = parse_image(padded)
    assert image.trailing_size == 1000 and image.image_bytes == signed_image()
    verify_image(image, KEY.public_key())


def test_golden_image_written_from_the_spec() -> None:
    """SPEC.md 18.1-18.2 by hand: 2.4.0+7, SEC_CNT 2, model SL-100, payload "hello"."""
    signed = bytes.fromhex(
        "3db8f396 00000000 2000 1600 05000000 00000000 0204 0000 07000000 00000000"
        "68656c6c6f"
        "0869 1600 5000 0400 02000000 100a 0600 534c2d313030"
    )
    digest = hashlib.sha256(signed).digest()
    signature = KEY.sign(digest)
    unprotected = bytes.fromhex("0769 6c00 1000 2000") + digest
    unprotected += bytes.fromhex("2400 4000") + signature
    image = parse_image(signed + unprotected)
    assert (str(image.version), image.security_counter, image.model) == ("2.4.0+7", 2, "SL-100")
    assert image.payload == b"hello" and image.signed_size == len(signed)
    assert image.total_size == len(signed) + 0x6C
    verify_image(image, KEY.public_key())


def test_precheck_install_older_version_above_floor() -> None:
    image = parse_image(signed_image())  # 3.1.4+1, SEC_CNT 9, model SL-100, no revisions
    with pytest.raises(FirmwareImageError, match="hardware revisions none named"):
        precheck_install(
            image,
            KEY.public_key(),
            source="x.img",
            model="SL-100",
            hardware_revision="B",
            installed_version="3.2.0",
            floor=9,
        )


def test_precheck_install_reports_change_and_floor() -> None:
    image = parse_image(golden_with_revision())
    plan = precheck_install(
        image,
        KEY.public_key(),
        source="x.img",
        model="SL-100",
        hardware_revision="B",
        installed_version="2.5.1",
        floor=1,
    )
    assert plan.change == "2.5.1 → 2.4.0+7 (older)"
    assert (plan.security_counter, plan.floor, plan.raises_floor) == (2, 1, True)
    with pytest.raises(BelowSecurityFloor):
        precheck_install(
            image,
            KEY.public_key(),
            source="x.img",
            model="SL-100",
            hardware_revision="B",
            installed_version="2.5.1",
            floor=3,
        )


def golden_with_revision() -> bytes:
    """2.4.0+7, SEC_CNT 2, model SL-100, hardware revision B."""
    signed = bytes.fromhex(
        "3db8f396 00000000 2000 1b00 05000000 00000000 0204 0000 07000000 00000000"
        "68656c6c6f"
        "0869 1b00 5000 0400 02000000 100a 0600 534c2d313030 110a 0100 42"
    )
    digest = hashlib.sha256(signed).digest()
    unprotected = bytes.fromhex("0769 6c00 1000 2000") + digest
    return signed + unprotected + bytes.fromhex("2400 4000") + KEY.sign(digest)
