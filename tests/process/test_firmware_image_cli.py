"""``safetool firmware build|info|verify``: images from our wrapper and from imgtool by hand."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hil.images import imgtool_in_process
from protocols.firmware_image import TlvType, parse_image
from safetool.messages import Message
from safetool.services.devpki import init_dev_pki, private_pem, write_private
from safetool.services.firmware_image import (
    BuildRequest,
    FirmwareImageError,
    build_image,
    imgtool_command,
    run_imgtool,
)
from tests.cli_harness import safetool_here

PAYLOAD_BYTES = 6000
KEY_PATH = "pki/manufacturer/firmware.key"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("firmware")
    init_dev_pki(root / "pki", technicians=(), boards=())
    write_private(root / "other.key", private_pem(Ed25519PrivateKey.generate()))
    (root / "app.bin").write_bytes(os.urandom(PAYLOAD_BYTES))
    return root


async def firmware(*argv: str) -> tuple[int, str, str]:
    code, out, err = await safetool_here(
        "firmware",
        *argv,
    )
    assert "Traceback" not in out + err
    return code, out, err


async def build(workspace: Path, name: str, *extra: str, key: str = "pki") -> Path:
    key_path = workspace / "pki/manufacturer/firmware.key" if key == "pki" else workspace / key
    output = workspace / name
    code, _, err = await firmware(
        "build",
        "--payload",
        str(workspace / "app.bin"),
        "--version",
        "2.4.0+7",
        "--security-counter",
        "3",
        "--model",
        "SL-100",
        "--hardware-revision",
        "B",
        "--channel",
        "stable",
        "--notes",
        "0x fixes the motor stall in cold weather. 修复低温电机卡滞。",
        "--key",
        str(key_path),
        "-o",
        str(output),
        *extra,
    )
    assert code == 0, err
    return output


def imgtool_sign(workspace: Path, name: str, *options: str) -> Path:
    output = workspace / name
    command = [
        *imgtool_command(),
        "sign",
        "--header-size",
        "0x200",
        "--pad-header",
        "--align",
        "8",
        "--slot-size",
        "0x60000",
        "--version",
        "1.2.3",
        *options,
        str(workspace / "app.bin"),
        str(output),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return output


async def verify(image: Path, workspace: Path, *extra: str) -> tuple[int, str, str]:
    return await firmware("verify", str(image), "--pki", str(workspace / "pki"), *extra)


async def test_build_info_verify(workspace: Path) -> None:
    image = await build(workspace, "built.img")
    code, out, _ = await firmware("info", str(image), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["version"] == "2.4.0+7"
    assert info["security_counter"] == 3
    assert info["model"] == "SL-100"
    assert info["hardware_revisions"] == ["B"]
    assert info["channel"] == "stable"
    assert info["notes"].startswith("0x fixes")  # not read as hex by imgtool
    assert info["signature"] == "ED25519"
    code, out, _ = await firmware("info", str(image))
    assert code == 0 and "2.4.0+7" in out and "修复" in out
    assert "security counter" in out and "Release notes:" in out
    code, out, _ = await firmware("info", str(image), "--lang", "zh-CN")
    assert code == 0 and "安全计数器" in out and "发布说明：" in out and "security" not in out
    code, out, _ = await verify(image, workspace, "--model", "SL-100", "--hardware-revision", "B")
    assert code == 0 and "signature good" in out
    code, out, _ = await verify(image, workspace, "--json")
    assert code == 0 and json.loads(out)["verified"] is True


async def test_build_is_accepted_by_imgtool_verify(workspace: Path) -> None:
    image = await build(workspace, "cross.img")
    result = subprocess.run(
        [*imgtool_command(), "verify", "-k", str(workspace / KEY_PATH), str(image)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Image was correctly validated" in result.stdout


async def test_build_keeps_key_permissions(workspace: Path) -> None:
    key = workspace / "pki/manufacturer/firmware.key"
    await build(workspace, "perm.img")
    assert key.stat().st_mode & 0o777 == 0o600


async def test_hand_made_imgtool_image(workspace: Path) -> None:
    key = str(workspace / "pki/manufacturer/firmware.key")
    image = imgtool_sign(
        workspace,
        "hand.img",
        "--key",
        key,
        "--security-counter",
        "5",
        "--custom-tlv",
        "0x0A10",
        "SL-100",
        "--custom-tlv",
        "0x0A11",
        "A,B",
    )
    code, out, _ = await firmware("info", str(image), "--json")
    info = json.loads(out)
    assert (info["version"], info["security_counter"], info["model"]) == ("1.2.3", 5, "SL-100")
    assert info["hardware_revisions"] == ["A", "B"]
    code, out, _ = await verify(image, workspace, "--model", "SL-100", "--hardware-revision", "A")
    assert code == 0, out


@pytest.mark.parametrize(
    "options",
    [
        ("--pad",),  # padded to the slot with MCUboot's trailer
        ("--public-key-format", "full"),  # PUBKEY instead of KEYHASH
        ("--pure",),  # signature over the image itself
        ("--sha", "512"),
    ],
    ids=["padded", "full-key", "pure", "sha512"],
)
async def test_hand_made_variants_verify(workspace: Path, options: tuple[str, ...]) -> None:
    key = str(workspace / "pki/manufacturer/firmware.key")
    image = imgtool_sign(
        workspace, f"variant{len(options)}{options[0]}.img", "--key", key, *options
    )
    code, _, err = await verify(image, workspace)
    assert code == 0, err


async def test_verify_with_public_key_file(workspace: Path) -> None:
    image = await build(workspace, "pub.img")
    pem = workspace / "firmware.pub.pem"
    result = subprocess.run(
        [*imgtool_command(), "getpub", "-k", str(workspace / KEY_PATH), "--encoding", "pem"],
        capture_output=True,
        check=True,
    )
    pem.write_bytes(result.stdout)
    code, _, err = await firmware("verify", str(image), "--key", str(pem))
    assert code == 0, err
    trust = json.loads((workspace / "pki/trust.json").read_text())
    hex_key = workspace / "firmware.pub.hex"
    hex_key.write_text(trust["firmware_public_key"])
    code, _, err = await firmware("verify", str(image), "--key", str(hex_key))
    assert code == 0, err


# --- refusals -------------------------------------------------------------------------------


def assert_refused(result: tuple[int, str, str], *words: str) -> None:
    code, out, err = result
    assert code == 1, (out, err)
    assert err.startswith("safetool: ") and "What to do:" in err
    for word in words:
        assert word in err, err


async def test_refuses_image_signed_with_another_key(workspace: Path) -> None:
    image = await build(workspace, "other.img", key="other.key")
    assert_refused(await verify(image, workspace), "different signing key")


async def test_refuses_imgtool_image_with_another_key(workspace: Path) -> None:
    image = imgtool_sign(workspace, "hand-other.img", "--key", str(workspace / "other.key"))
    assert_refused(await verify(image, workspace), "different signing key")


async def test_refuses_unsigned_image(workspace: Path) -> None:
    image = imgtool_sign(workspace, "unsigned.img")
    code, out, _ = await firmware("info", str(image), "--json")
    assert code == 0 and json.loads(out)["signed"] is False
    assert_refused(await verify(image, workspace), "no signature")


def tampered(workspace: Path, source: Path, name: str, offset: int) -> Path:
    data = bytearray(source.read_bytes())
    data[offset] ^= 0x01
    target = workspace / name
    target.write_bytes(bytes(data))
    return target


async def test_refuses_tampered_payload(workspace: Path) -> None:
    image = await build(workspace, "good.img")
    parsed = parse_image(image.read_bytes())
    bad = tampered(workspace, image, "tampered-payload.img", parsed.header_size + 100)
    assert_refused(await verify(bad, workspace), "changed after it was signed")
    # issue 19: `info` no longer shows it as if it were fine (no key is needed to see this)
    code, out, err = await firmware("info", str(bad))
    assert code == 1 and "ED25519" in out and "damaged or altered" in err
    code, out, _ = await firmware("info", str(bad), "--json")
    assert code == 1 and json.loads(out)["intact"] is False and not json.loads(out)["ok"]
    code, out, _ = await firmware("info", str(image), "--json")
    assert code == 0 and json.loads(out)["intact"] is True


async def test_refuses_tampered_protected_tlvs(workspace: Path) -> None:
    image = await build(workspace, "good2.img")
    parsed = parse_image(image.read_bytes())
    for tlv in parsed.protected_tlvs:
        if tlv.type in (TlvType.SEC_CNT, TlvType.SAFETOOL_MODEL):
            bad = tampered(workspace, image, f"tampered-{tlv.name}.img", tlv.offset + 4)
            assert_refused(await verify(bad, workspace), "changed after it was signed")


@pytest.mark.parametrize("kind", [TlvType.ED25519, TlvType.SHA256, TlvType.KEYHASH])
async def test_refuses_tampered_unprotected_tlvs(workspace: Path, kind: TlvType) -> None:
    image = await build(workspace, f"good-{kind.name}.img")
    parsed = parse_image(image.read_bytes())
    tlv = next(t for t in parsed.unprotected_tlvs if t.type == kind)
    bad = tampered(workspace, image, f"tampered-{kind.name}.img", tlv.offset + 4 + 3)
    assert_refused(await verify(bad, workspace), "image refused")


async def test_refuses_corrupt_truncated_empty(workspace: Path) -> None:
    image = (await build(workspace, "good3.img")).read_bytes()
    cases = {
        "empty.img": (b"", "empty"),
        "short.img": (image[:20], "shorter than"),
        "truncated.img": (image[: len(image) - 10], "ends inside"),
        "raw.img": (b"\x7fELF" + image[4:], "not an MCUboot firmware image"),
        "corrupt.img": (image[:8] + b"\x10\x00" + image[10:], "below 32 bytes"),
    }
    for name, (data, words) in cases.items():
        path = workspace / name
        path.write_bytes(data)
        assert_refused(await firmware("info", str(path)), "image refused", words)
        assert_refused(await verify(path, workspace), "image refused", words)


async def test_refuses_oversized(workspace: Path) -> None:
    image = await build(workspace, "big.img")
    assert_refused(await verify(image, workspace, "--slot-size", "8192"), "slot holds")
    huge = workspace / "huge.img"
    with huge.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    assert_refused(await firmware("info", str(huge)), "larger than any lock's firmware slot")


async def test_build_refuses_payload_larger_than_slot(workspace: Path) -> None:
    code, _, err = await firmware(
        "build",
        "--payload",
        str(workspace / "app.bin"),
        "--version",
        "1.0.0",
        "--security-counter",
        "1",
        "--model",
        "SL-100",
        "--hardware-revision",
        "B",
        "--key",
        str(workspace / "pki/manufacturer/firmware.key"),
        "--slot-size",
        "0x2000",
        "-o",
        str(workspace / "never.img"),
    )
    assert code == 1 and "too large" in err and "What to do" in err
    assert not (workspace / "never.img").exists()


async def test_refuses_wrong_model_and_revision(workspace: Path) -> None:
    image = await build(workspace, "model.img")
    assert_refused(await verify(image, workspace, "--model", "SL-200"), "SL-200")
    assert_refused(await verify(image, workspace, "--hardware-revision", "C"), "revision C")


async def test_model_check_needs_security_counter(workspace: Path) -> None:
    key = str(workspace / "pki/manufacturer/firmware.key")
    image = imgtool_sign(workspace, "nocount.img", "--key", key, "--custom-tlv", "0x0A10", "SL-100")
    assert (await verify(image, workspace))[0] == 0
    assert_refused(await verify(image, workspace, "--model", "SL-100"), "security counter")


async def test_usage_errors_are_explained(workspace: Path) -> None:
    image = await build(workspace, "usage.img")
    code, _, err = await firmware("verify", str(image), "--pki", str(workspace / "nowhere"))
    assert code == 2 and "trust.json" in err
    code, _, err = await firmware("info", str(workspace / "missing.img"))
    assert code == 2 and "Cannot read" in err
    code, _, err = await firmware(
        "build",
        "--payload",
        str(workspace / "app.bin"),
        "--version",
        "two",
        "--security-counter",
        "1",
        "--model",
        "SL-100",
        "--hardware-revision",
        "B",
        "--key",
        str(workspace / "pki/manufacturer/firmware.key"),
        "-o",
        str(workspace / "x.img"),
    )
    assert code == 2 and "2.4.0+7" in err
    # a public key cannot sign
    pub = workspace / "pub-only.pem"
    pub.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    code, _, err = await firmware(
        "build",
        "--payload",
        str(workspace / "app.bin"),
        "--version",
        "1.0.0",
        "--security-counter",
        "1",
        "--model",
        "SL-100",
        "--hardware-revision",
        "B",
        "--key",
        str(pub),
        "-o",
        str(workspace / "y.img"),
    )
    assert code == 2 and "private key" in err


def test_the_suites_in_process_imgtool_signs_what_the_process_signs(workspace: Path) -> None:
    """hil.images signs the suite's images with imgtool in its own process; the bytes, and a
    refusal, are the same as from the process ``safetool firmware build`` starts."""

    def request(output: str, slot_size_bytes: int | None = None) -> BuildRequest:
        return BuildRequest(
            payload=workspace / "app.bin",
            output=workspace / output,
            key=workspace / KEY_PATH,
            version="2.5.0",
            security_counter=3,
            model="SL-100",
            hardware_revisions=("B",),
            channel="stable",
            notes="在线 notes",
            slot_size_bytes=slot_size_bytes,
        )

    by_process = build_image(request("by-process.img"))
    in_process = build_image(request("in-process.img"), imgtool=imgtool_in_process)
    assert (workspace / "in-process.img").read_bytes() == (
        workspace / "by-process.img"
    ).read_bytes()
    assert in_process.security_counter == by_process.security_counter == 3
    refusals = []
    for imgtool in (run_imgtool, imgtool_in_process):
        with pytest.raises(FirmwareImageError) as refused:
            build_image(request("too-large.img", slot_size_bytes=4096), imgtool=imgtool)
        coded = refused.value.coded[0]
        assert isinstance(coded, Message)
        refusals.append(coded.key)
    assert refusals == ["build.too_large", "build.too_large"]
