"""Every refusal of protocols.firmware_image by its class, code and values (what a tool words
in either language, ``image.detail.<code>``), on images written byte by byte from SPEC.md
section 18: found unread by mutation testing (issue 21)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocols.firmware_image import (
    IMAGE_MAGIC,
    TLV_INFO_MAGIC,
    TLV_PROT_INFO_MAGIC,
    BadSignature,
    CorruptImage,
    EmptyImage,
    HashMismatch,
    ImageError,
    ImageFlag,
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
    public_key_der,
    verify_image,
)

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()
Tlvs = Sequence[tuple[int, bytes]]


def _area(magic: int, tlvs: Tlvs) -> bytes:
    body = b"".join(
        kind.to_bytes(2, "little") + len(value).to_bytes(2, "little") + value
        for kind, value in tlvs
    )
    return magic.to_bytes(2, "little") + (4 + len(body)).to_bytes(2, "little") + body


@dataclass
class Written:
    """An image as SPEC.md 18.1-18.2 lays it out: header, payload, protected TLVs, then the
    unprotected TLVs that ``unprotected`` makes from the signed bytes."""

    payload: bytes = b"hello"
    protected: Tlvs = field(
        default_factory=lambda: [(TlvType.SEC_CNT, (2).to_bytes(4, "little")), (0x0A10, b"SL-100")]
    )
    flags: int = 0
    magic: int = IMAGE_MAGIC
    header_size: int = 32
    load_address: int = 0

    def signed(self) -> bytes:
        protected = _area(TLV_PROT_INFO_MAGIC, self.protected) if self.protected else b""
        header = (
            self.magic.to_bytes(4, "little")
            + self.load_address.to_bytes(4, "little")
            + self.header_size.to_bytes(2, "little")
            + len(protected).to_bytes(2, "little")
            + len(self.payload).to_bytes(4, "little")
            + self.flags.to_bytes(4, "little")
            + bytes([2, 4])
            + (0).to_bytes(2, "little")
            + (7).to_bytes(4, "little")
            + bytes(4)
        )
        return header + bytes(self.header_size - 32) + self.payload + protected

    def with_unprotected(self, tlvs: Tlvs) -> bytes:
        return self.signed() + _area(TLV_INFO_MAGIC, tlvs)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _signed_by(key: Ed25519PrivateKey, written: Written | None = None, extra: Tlvs = ()) -> bytes:
    """SHA-256 hash TLV and ED25519 signature over it, as imgtool writes them."""
    written = written or Written()
    digest = _sha256(written.signed())
    tlvs: Tlvs = [(TlvType.SHA256, digest), *extra, (TlvType.ED25519, key.sign(digest))]
    return written.with_unprotected(tlvs)


def _refusal(error: ImageError) -> tuple[type[ImageError], str, dict[str, object], str]:
    return type(error), error.code, error.values, str(error)


def _parse_refusal(data: bytes) -> tuple[type[ImageError], str, dict[str, object], str]:
    with pytest.raises(ImageError) as refused:
        parse_image(data)
    return _refusal(refused.value)


def _verify_refusal(data: bytes) -> tuple[type[ImageError], str, dict[str, object], str]:
    with pytest.raises(ImageError) as refused:
        verify_image(parse_image(data), KEY.public_key())
    return _refusal(refused.value)


# --- verification -----------------------------------------------------------------------------


def test_an_image_signed_over_its_hash_verifies_and_its_hash_is_intact() -> None:
    image = parse_image(_signed_by(KEY))
    verify_image(image, KEY.public_key())
    assert hash_intact(image) is True


def test_a_pure_signature_signs_the_bytes_themselves_with_no_hash() -> None:
    """SIG_PURE (SPEC.md 18.2): the signature is over the signed region, not over a hash."""
    written = Written()
    pure = written.with_unprotected(
        [(TlvType.SIG_PURE, b"\x01"), (TlvType.ED25519, KEY.sign(written.signed()))]
    )
    image = parse_image(pure)
    verify_image(image, KEY.public_key())
    assert hash_intact(image) is None  # no single hash to check
    over_a_hash = written.with_unprotected([(TlvType.ED25519, KEY.sign(_sha256(written.signed())))])
    assert _verify_refusal(over_a_hash)[:2] == (HashMismatch, "no_hash")


def test_each_signature_refusal_by_its_class_code_and_words() -> None:
    written = Written()
    digest = _sha256(written.signed())
    ecdsa = written.with_unprotected([(TlvType.SHA256, digest), (TlvType.ECDSASIG, bytes(70))])
    assert _verify_refusal(ecdsa) == (
        UnsupportedSignature,
        "other_signature",
        {},
        "the image is signed with RSA or ECDSA, not ED25519",
    )
    unsigned = written.with_unprotected([(TlvType.SHA256, digest)])
    assert _verify_refusal(unsigned) == (
        UnsignedImage,
        "unsigned",
        {},
        "the image carries no signature",
    )
    two = written.with_unprotected(
        [(TlvType.SHA256, digest), (TlvType.SHA256, digest), (TlvType.ED25519, KEY.sign(digest))]
    )
    assert _verify_refusal(two) == (
        HashMismatch,
        "two_hashes",
        {},
        "the image carries more than one hash TLV",
    )
    no_hash = written.with_unprotected([(TlvType.ED25519, KEY.sign(digest))])
    assert _verify_refusal(no_hash) == (
        HashMismatch,
        "no_hash",
        {},
        "the image carries no hash TLV",
    )
    wrong_hash = written.with_unprotected(
        [(TlvType.SHA256, bytes(32)), (TlvType.ED25519, KEY.sign(bytes(32)))]
    )
    assert _verify_refusal(wrong_hash) == (
        HashMismatch,
        "hash",
        {},
        "the hash of header, payload and protected TLVs does not match",
    )


def test_a_named_key_must_be_the_one_checked_and_its_signature_must_verify() -> None:
    der = public_key_der(KEY.public_key())
    other_der = public_key_der(OTHER_KEY.public_key())
    names_other = _signed_by(KEY, extra=[(TlvType.KEYHASH, _sha256(other_der))])
    assert _verify_refusal(names_other) == (
        WrongKey,
        "keyhash",
        {},
        "the image names a different signing key (KEYHASH)",
    )
    carries_other = _signed_by(KEY, extra=[(TlvType.PUBKEY, other_der)])
    assert _verify_refusal(carries_other) == (
        WrongKey,
        "pubkey",
        {},
        "the image carries a different signing key (PUBKEY)",
    )
    named_keys: list[Tlvs] = [[(TlvType.KEYHASH, _sha256(der))], [(TlvType.PUBKEY, der)]]
    for named in named_keys:
        verify_image(parse_image(_signed_by(KEY, extra=named)), KEY.public_key())
        assert _verify_refusal(_signed_by(OTHER_KEY, extra=named)) == (
            BadSignature,
            "bad_signature",
            {},
            "the signature does not verify although the image names this key",
        )
    assert _verify_refusal(_signed_by(OTHER_KEY)) == (
        WrongKey,
        "signature",
        {},
        "the signature does not verify with this key",
    )


def test_any_of_several_signatures_may_be_the_one_that_verifies() -> None:
    written = Written()
    digest = _sha256(written.signed())
    tlvs: Tlvs = [
        (TlvType.SHA256, digest),
        (TlvType.ED25519, OTHER_KEY.sign(digest)),
        (TlvType.ED25519, KEY.sign(digest)),
    ]
    verify_image(parse_image(written.with_unprotected(tlvs)), KEY.public_key())


def test_the_hash_is_intact_only_with_exactly_one_matching_hash() -> None:
    written = Written()
    digest = _sha256(written.signed())
    assert hash_intact(parse_image(written.with_unprotected([]))) is None
    two = written.with_unprotected([(TlvType.SHA256, digest), (TlvType.SHA256, digest)])
    assert hash_intact(parse_image(two)) is False
    damaged = written.with_unprotected([(TlvType.SHA256, bytes(32))])
    assert hash_intact(parse_image(damaged)) is False
    sha512 = written.with_unprotected([(TlvType.SHA512, hashlib.sha512(written.signed()).digest())])
    assert hash_intact(parse_image(sha512)) is True


# --- parsing ----------------------------------------------------------------------------------


def _header_refusals() -> list[tuple[bytes, tuple[type[ImageError], str, dict[str, object], str]]]:
    good = Written().with_unprotected([])
    big = Written(magic=0x3DB8F396).with_unprotected([])
    other = Written(magic=0x12345678).with_unprotected([])
    small_header = Written(header_size=32).with_unprotected([])
    small_header = small_header[:8] + (31).to_bytes(2, "little") + small_header[10:]
    encrypted = Written(flags=ImageFlag.ENCRYPTED_AES256).with_unprotected([])
    return [
        (b"", (EmptyImage, "empty", {}, "the file is empty")),
        (
            good[:31],
            (
                TruncatedImage,
                "short_header",
                {"size": 31},
                "31 bytes: shorter than MCUboot's 32-byte header",
            ),
        ),
        (
            big,
            (
                UnsupportedImage,
                "big_endian",
                {},
                "a big-endian MCUboot image; lock controllers use little-endian",
            ),
        ),
        (
            other,
            (
                NotAnImage,
                "magic",
                {"magic": "0x12345678", "expected": "0x96F3B83D"},
                "image magic is 0x12345678, not MCUboot's 0x96F3B83D",
            ),
        ),
        (
            small_header,
            (CorruptImage, "header_size", {"size": 31}, "header size 31 is below 32 bytes"),
        ),
        (
            encrypted,
            (
                UnsupportedImage,
                "encrypted",
                {},
                "an encrypted image: safetool cannot check its payload",
            ),
        ),
        (
            good[:36],
            (
                TruncatedImage,
                "short_payload",
                {"end": 37, "size": 36},
                "the payload ends at byte 37 but the file has 36 bytes",
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    _header_refusals(),
    ids=["empty", "short", "big_endian", "magic", "header_size", "encrypted", "payload"],
)
def test_each_header_refusal_by_its_class_code_values_and_words(
    data: bytes, expected: tuple[type[ImageError], str, dict[str, object], str]
) -> None:
    assert _parse_refusal(data) == expected


def _area_refusals() -> list[tuple[bytes, tuple[type[ImageError], str, dict[str, object], str]]]:
    written = Written()
    signed = written.signed()
    protected_at = 32 + len(written.payload)
    protected_size = len(signed) - protected_at
    wrong_magic = bytearray(signed)
    wrong_magic[protected_at : protected_at + 2] = (0x1234).to_bytes(2, "little")
    says_more = bytearray(signed)
    says_more[protected_at + 2 : protected_at + 4] = (protected_size + 4).to_bytes(2, "little")
    unprotected = _area(TLV_INFO_MAGIC, [(TlvType.SHA256, bytes(32))])
    tiny = signed + TLV_INFO_MAGIC.to_bytes(2, "little") + (3).to_bytes(2, "little")
    header_crosses = signed + TLV_INFO_MAGIC.to_bytes(2, "little") + (6).to_bytes(2, "little")
    value_crosses = (  # one byte short of its 32
        signed
        + TLV_INFO_MAGIC.to_bytes(2, "little")
        + (39).to_bytes(2, "little")
        + (TlvType.SHA256).to_bytes(2, "little")
        + (32).to_bytes(2, "little")
    )
    return [
        (
            signed[:-1],
            (
                TruncatedImage,
                "inside_tlv_area",
                {"area": "protected"},
                "the file ends inside the protected TLV area",
            ),
        ),
        (
            signed,
            (
                TruncatedImage,
                "no_tlv_area",
                {"area": "unprotected"},
                "the file ends before the unprotected TLV area",
            ),
        ),
        (
            bytes(wrong_magic) + unprotected,
            (
                CorruptImage,
                "tlv_magic",
                {"area": "protected", "magic": "0x1234", "expected": "0x6908"},
                "protected TLV area magic is 0x1234, expected 0x6908",
            ),
        ),
        (
            bytes(says_more) + unprotected,
            (
                CorruptImage,
                "tlv_size_mismatch",
                {"area": "protected", "size": protected_size + 4, "header": protected_size},
                f"protected TLV area says {protected_size + 4} bytes, the header {protected_size}",
            ),
        ),
        (
            tiny,
            (
                CorruptImage,
                "tlv_too_small",
                {"area": "unprotected", "size": 3},
                "unprotected TLV area size 3 is too small",
            ),
        ),
        (
            header_crosses + b"\x10\x00",
            (
                CorruptImage,
                "tlv_header_crosses",
                {"area": "unprotected"},
                "a TLV header crosses the end of the unprotected TLV area",
            ),
        ),
        (
            value_crosses + bytes(31),
            (
                CorruptImage,
                "tlv_value_crosses",
                {"area": "unprotected"},
                "a TLV value crosses the end of the unprotected TLV area",
            ),
        ),
        (
            written.with_unprotected([(TlvType.SEC_CNT, bytes(4))]),
            (
                CorruptImage,
                "unprotected",
                {"tlv": "SEC_CNT"},
                "TLV SEC_CNT is outside the protected (signed) area",
            ),
        ),
        (
            written.with_unprotected([(0x0B00, b"")]),
            (
                CorruptImage,
                "unprotected",
                {"tlv": "0x0B00"},
                "TLV 0x0B00 is outside the protected (signed) area",
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    _area_refusals(),
    ids=[
        "inside_area",
        "no_area",
        "magic",
        "size_mismatch",
        "too_small",
        "header_crosses",
        "value_crosses",
        "unprotected",
        "unknown_unprotected",
    ],
)
def test_each_tlv_area_refusal_by_its_class_code_values_and_words(
    data: bytes, expected: tuple[type[ImageError], str, dict[str, object], str]
) -> None:
    assert _parse_refusal(data) == expected


@pytest.mark.parametrize(
    ("protected", "expected"),
    [
        (
            [(TlvType.SEC_CNT, bytes(4)), (TlvType.SEC_CNT, bytes(4))],
            (
                CorruptImage,
                "tlv_repeated",
                {"tlv": "SEC_CNT", "count": 2},
                "TLV SEC_CNT appears 2 times",
            ),
        ),
        (
            [(TlvType.SEC_CNT, bytes(3))],
            (CorruptImage, "sec_cnt", {"size": 3}, "SEC_CNT holds 3 bytes, not 4"),
        ),
        (
            [(TlvType.SAFETOOL_CHANNEL, b"\xff")],
            (
                CorruptImage,
                "not_text",
                {"tlv": "SAFETOOL_CHANNEL"},
                "TLV SAFETOOL_CHANNEL is not UTF-8 text",
            ),
        ),
    ],
    ids=["repeated", "sec_cnt", "not_text"],
)
def test_each_protected_value_refusal_by_its_class_code_values_and_words(
    protected: Tlvs, expected: tuple[type[ImageError], str, dict[str, object], str]
) -> None:
    assert _parse_refusal(Written(protected=protected).with_unprotected([])) == expected


def test_the_protected_values_are_read_as_written() -> None:
    protected: Tlvs = [
        (TlvType.SEC_CNT, (0x01020304).to_bytes(4, "little")),
        (TlvType.SAFETOOL_MODEL, b"SL-100"),
        (TlvType.SAFETOOL_HARDWARE_REVISIONS, b" B, C ,,D "),
        (TlvType.SAFETOOL_CHANNEL, b"beta"),
        (TlvType.SAFETOOL_NOTES, "修复电机".encode()),
    ]
    image = parse_image(Written(protected=protected, payload=b"abc").with_unprotected([]))
    assert (image.security_counter, image.model, image.hardware_revisions) == (
        0x01020304,
        "SL-100",
        ("B", "C", "D"),
    )
    assert (image.channel, image.notes, image.payload) == ("beta", "修复电机", b"abc")
    bare = parse_image(Written(protected=[]).with_unprotected([]))
    assert (bare.security_counter, bare.model, bare.hardware_revisions, bare.channel) == (
        None,
        None,
        (),
        None,
    )
    assert bare.signed_size == 32 + 5 and bare.protected_tlvs == ()


# --- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("255.255.65535+4294967295", (255, 255, 65535, 4294967295)),
        (" 2.4.0+7 ", (2, 4, 0, 7)),
        ("3+1", (3, 0, 0, 1)),
    ],
)
def test_a_version_reaches_each_field_s_limit(
    text: str, expected: tuple[int, int, int, int]
) -> None:
    assert ImageVersion.parse(text) == ImageVersion(*expected)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a.b", "'a.b' is not a version like 2.4.0+7"),
        ("1.2.3.4", "'1.2.3.4' is not a version like 2.4.0+7"),
        ("1.2.3+", "'1.2.3+' is not a version like 2.4.0+7"),
        ("256.0.0", "'256.0.0': major and minor must be ≤ 255, revision ≤ 65535"),
        ("0.256.0", "'0.256.0': major and minor must be ≤ 255, revision ≤ 65535"),
        ("0.0.65536", "'0.0.65536': major and minor must be ≤ 255, revision ≤ 65535"),
        ("1.0.0+4294967296", "'1.0.0+4294967296': build must fit in 32 bits"),
    ],
)
def test_a_version_refused_says_why(text: str, words: str) -> None:
    with pytest.raises(ValueError) as refused:
        ImageVersion.parse(text)
    assert str(refused.value) == words


def test_a_version_is_written_with_its_build_only_when_it_has_one() -> None:
    assert (str(ImageVersion(2, 4, 0)), str(ImageVersion(2, 4, 0, 7))) == ("2.4.0", "2.4.0+7")
    assert ImageVersion(2, 4, 1, 9).release_key() == (2, 4, 1)


def test_a_file_that_ends_where_its_header_or_payload_does_lacks_only_its_tlv_area() -> None:
    for written in (Written(payload=b"", protected=[]), Written(protected=[])):
        assert _parse_refusal(written.signed())[:3] == (
            TruncatedImage,
            "no_tlv_area",
            {"area": "unprotected"},
        )


def test_where_each_part_lies_is_read_as_written() -> None:
    written = Written(load_address=0x08020000, payload=b"abcdef")
    data = written.with_unprotected([(TlvType.SHA256, bytes(32)), (TlvType.ED25519, bytes(64))])
    image = parse_image(data)
    assert image.load_address == 0x08020000
    protected_at = 32 + 6
    assert [tlv.offset for tlv in image.protected_tlvs] == [protected_at + 4, protected_at + 12]
    unprotected_at = len(written.signed())
    assert [tlv.offset for tlv in image.unprotected_tlvs] == [
        unprotected_at + 4,
        unprotected_at + 4 + 36,
    ]
    assert image.total_size == len(data) and image.signed_size == unprotected_at


def test_a_pure_signature_names_its_key_by_a_sha512_hash() -> None:
    written = Written()
    pure = [(TlvType.SIG_PURE, b"\x01"), (TlvType.ED25519, KEY.sign(written.signed()))]
    for key, verifies in ((KEY, True), (OTHER_KEY, False)):
        key_hash = hashlib.sha512(public_key_der(key.public_key())).digest()
        data = written.with_unprotected([(TlvType.KEYHASH, key_hash), *pure])
        if verifies:
            verify_image(parse_image(data), KEY.public_key())
        else:
            assert _verify_refusal(data)[:2] == (WrongKey, "keyhash")
