"""MCUboot firmware images, sans-IO: parse the format, verify the hash and ED25519 signature.

An image is laid out as MCUboot's ``bootutil/image.h`` defines it (little-endian)::

    header (32 bytes, padded with zeros to ``header_size``)
    payload (``image_size`` bytes)
    protected TLV area   (info magic 0x6908, only if ``protected_tlv_size`` != 0)
    unprotected TLV area (info magic 0x6907: hash, key hash, signature)
    [anything after it: slot padding and trailer, never signed and never sent to a lock]

The hash (SHA-256 by default) covers header + payload + protected TLV area; the ED25519
signature covers that hash (or, for imgtool's ``--pure`` images, the region itself). The
security counter (``SEC_CNT``) and safetool's own metadata (model, hardware revisions,
release channel, release notes; vendor TLV types below) are read from the protected area only:
they are signed. See SPEC.md section 18.

:func:`parse_image` raises only :class:`ImageFormatError` subclasses; :func:`verify_image`
raises only :class:`ImageVerificationError` subclasses. No I/O here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, IntFlag

from construct import Bytes, Int8ul, Int16ul, Int32ul, Struct, this
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from protocols.errors import ProtocolError

IMAGE_MAGIC = 0x96F3B83D
IMAGE_MAGIC_BIG_ENDIAN = 0x3DB8F396  # the same magic written by ``imgtool sign -e big``
HEADER_STRUCT_SIZE = 32
TLV_INFO_MAGIC = 0x6907
TLV_PROT_INFO_MAGIC = 0x6908
TLV_INFO_SIZE = 4
TLV_HEADER_SIZE = 4
VENDOR_TLV_MIN = 0x00A0
VENDOR_TLV_MAX = 0xFFFE


class TlvType(IntEnum):
    """TLV types: MCUboot's own (imgtool ``TLV_VALUES``) and safetool's vendor types."""

    KEYHASH = 0x01
    PUBKEY = 0x02
    SHA256 = 0x10
    SHA384 = 0x11
    SHA512 = 0x12
    RSA2048 = 0x20
    ECDSASIG = 0x22
    RSA3072 = 0x23
    ED25519 = 0x24
    SIG_PURE = 0x25
    ENCRSA2048 = 0x30
    ENCKW = 0x31
    ENCEC256 = 0x32
    ENCX25519 = 0x33
    ENCX25519_SHA512 = 0x34
    DEPENDENCY = 0x40
    SEC_CNT = 0x50
    BOOT_RECORD = 0x60
    DECOMP_SIZE = 0x70
    DECOMP_SHA = 0x71
    DECOMP_SIGNATURE = 0x72
    COMP_DEC_SIZE = 0x73
    UUID_VID = 0x74
    UUID_CID = 0x75
    # safetool's vendor TLVs (MCUboot's vendor range 0x00A0-0xFFFE), protected, UTF-8 text.
    SAFETOOL_MODEL = 0x0A10
    SAFETOOL_HARDWARE_REVISIONS = 0x0A11
    SAFETOOL_CHANNEL = 0x0A12
    SAFETOOL_NOTES = 0x0A13


SAFETOOL_TLVS = (
    TlvType.SAFETOOL_MODEL,
    TlvType.SAFETOOL_HARDWARE_REVISIONS,
    TlvType.SAFETOOL_CHANNEL,
    TlvType.SAFETOOL_NOTES,
)
HASH_TLVS: dict[int, Callable[..., hashlib._Hash]] = {
    TlvType.SHA256: hashlib.sha256,
    TlvType.SHA384: hashlib.sha384,
    TlvType.SHA512: hashlib.sha512,
}
SIGNATURE_TLVS = (TlvType.RSA2048, TlvType.ECDSASIG, TlvType.RSA3072, TlvType.ED25519)
# What MCUboot accepts outside the protected area; anything else there is refused.
UNPROTECTED_TLVS = frozenset(
    {
        TlvType.KEYHASH,
        TlvType.PUBKEY,
        *HASH_TLVS,
        *SIGNATURE_TLVS,
        TlvType.SIG_PURE,
        TlvType.ENCRSA2048,
        TlvType.ENCKW,
        TlvType.ENCEC256,
        TlvType.ENCX25519,
        TlvType.ENCX25519_SHA512,
        TlvType.DECOMP_SIGNATURE,
    }
)


class ImageFlag(IntFlag):
    PIC = 0x01
    ENCRYPTED_AES128 = 0x04
    ENCRYPTED_AES256 = 0x08
    NON_BOOTABLE = 0x10
    RAM_LOAD = 0x20
    ROM_FIXED = 0x100
    COMPRESSED_LZMA1 = 0x200
    COMPRESSED_LZMA2 = 0x400
    COMPRESSED_ARM_THUMB = 0x800


ENCRYPTED_FLAGS = ImageFlag.ENCRYPTED_AES128 | ImageFlag.ENCRYPTED_AES256

# construct declarations (bootutil/image.h)
ImageVersionStruct = Struct(
    "major" / Int8ul,
    "minor" / Int8ul,
    "revision" / Int16ul,
    "build" / Int32ul,
)
ImageHeaderStruct = Struct(
    "magic" / Int32ul,
    "load_address" / Int32ul,
    "header_size" / Int16ul,
    "protected_tlv_size" / Int16ul,
    "image_size" / Int32ul,
    "flags" / Int32ul,
    "version" / ImageVersionStruct,
    "pad1" / Int32ul,
)
TlvInfoStruct = Struct("magic" / Int16ul, "total_size" / Int16ul)
TlvStruct = Struct("type" / Int16ul, "length" / Int16ul, "value" / Bytes(this.length))


# ---------------------------------------------------------------------------------------------
# errors


class ImageError(ProtocolError):
    """Base of every error about a firmware image.

    ``code`` names the finding and ``values`` its numbers, so a tool can word it in any
    language (safetool's catalogue: ``image.detail.<code>``); ``str()`` is the English."""

    def __init__(self, text: str, code: str, **values: object) -> None:
        super().__init__(text)
        self.code = code
        self.values = values


class ImageFormatError(ImageError):
    """The bytes are not a well-formed MCUboot image."""


class EmptyImage(ImageFormatError):
    """No bytes at all."""


class TruncatedImage(ImageFormatError):
    """The image ends before its header, payload or TLV areas do."""


class NotAnImage(ImageFormatError):
    """The first four bytes are not MCUboot's image magic."""


class CorruptImage(ImageFormatError):
    """Header or TLV areas are inconsistent: a damaged or hand-altered file."""


class UnsupportedImage(ImageFormatError):
    """A valid MCUboot image of a kind safetool's locks do not boot (encrypted, big-endian)."""


class ImageVerificationError(ImageError):
    """The image is well formed but fails its hash or signature check."""


class UnsignedImage(ImageVerificationError):
    """The image carries no ED25519 signature."""


class UnsupportedSignature(ImageVerificationError):
    """The image is signed with an algorithm other than ED25519."""


class HashMismatch(ImageVerificationError):
    """Header, payload or protected TLVs changed after signing (or the hash TLV was altered)."""


class WrongKey(ImageVerificationError):
    """The image was signed with a different key than the one it is checked against."""


class BadSignature(ImageVerificationError):
    """The signature names the right key but does not verify: the signature was altered."""


# ---------------------------------------------------------------------------------------------
# model


@dataclass(frozen=True, slots=True, order=True)
class ImageVersion:
    major: int
    minor: int
    revision: int
    build: int = 0

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.revision}"
        return f"{text}+{self.build}" if self.build else text

    @classmethod
    def parse(cls, text: str) -> ImageVersion:
        """``major.minor.revision+build`` as imgtool takes it (minor, revision, build optional)."""
        core, plus, build = text.strip().partition("+")
        parts = core.split(".")
        try:
            if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
                raise ValueError
            if plus and not build.isdigit():
                raise ValueError
            numbers = [int(p) for p in parts] + [0, 0]  # minor and revision may be left out
            build_number = int(build) if build else 0
        except ValueError:
            raise ValueError(f"{text!r} is not a version like 2.4.0+7") from None
        version = cls(numbers[0], numbers[1], numbers[2], build_number)
        if version.major > 0xFF or version.minor > 0xFF or version.revision > 0xFFFF:
            raise ValueError(f"{text!r}: major and minor must be ≤ 255, revision ≤ 65535")
        if version.build > 0xFFFFFFFF:
            raise ValueError(f"{text!r}: build must fit in 32 bits")
        return version

    def release_key(self) -> tuple[int, int, int]:
        """What orders releases (MCUboot compares builds only with a build-aware config)."""
        return (self.major, self.minor, self.revision)


@dataclass(frozen=True, slots=True)
class Tlv:
    type: int
    value: bytes
    offset: int
    """Where the TLV's 4-byte header starts in the image bytes."""

    @property
    def name(self) -> str:
        try:
            return TlvType(self.type).name
        except ValueError:
            return f"0x{self.type:04X}"


@dataclass(frozen=True, slots=True)
class Image:
    """A parsed image. ``signed_region`` is what the hash covers; ``data`` is the whole image."""

    data: bytes
    load_address: int
    header_size: int
    image_size: int
    flags: ImageFlag
    version: ImageVersion
    protected_tlvs: tuple[Tlv, ...]
    unprotected_tlvs: tuple[Tlv, ...]
    signed_size: int
    """Header + payload + protected TLVs: the bytes the hash covers."""
    total_size: int
    """Everything up to the end of the unprotected TLV area: what an install sends."""
    security_counter: int | None
    model: str | None
    hardware_revisions: tuple[str, ...]
    channel: str | None
    notes: str | None

    @property
    def payload(self) -> bytes:
        return self.data[self.header_size : self.header_size + self.image_size]

    @property
    def signed_region(self) -> bytes:
        return self.data[: self.signed_size]

    @property
    def image_bytes(self) -> bytes:
        """The image without slot padding or trailer."""
        return self.data[: self.total_size]

    @property
    def trailing_size(self) -> int:
        return len(self.data) - self.total_size

    def unprotected(self, kind: int) -> list[bytes]:
        return [tlv.value for tlv in self.unprotected_tlvs if tlv.type == kind]

    @property
    def is_signed(self) -> bool:
        return any(tlv.type in SIGNATURE_TLVS for tlv in self.unprotected_tlvs)

    @property
    def hash_tlv(self) -> Tlv | None:
        found = [tlv for tlv in self.unprotected_tlvs if tlv.type in HASH_TLVS]
        return found[0] if found else None


# ---------------------------------------------------------------------------------------------
# parsing


def parse_image(data: bytes) -> Image:
    """Parse an MCUboot image; raise an :class:`ImageFormatError` subclass if it is not one."""
    data = bytes(data)
    if not data:
        raise EmptyImage("the file is empty", "empty")
    if len(data) < HEADER_STRUCT_SIZE:
        raise TruncatedImage(
            f"{len(data)} bytes: shorter than MCUboot's 32-byte header",
            "short_header",
            size=len(data),
        )
    header = ImageHeaderStruct.parse(data[:HEADER_STRUCT_SIZE])
    if header.magic == IMAGE_MAGIC_BIG_ENDIAN:
        raise UnsupportedImage(
            "a big-endian MCUboot image; lock controllers use little-endian", "big_endian"
        )
    if header.magic != IMAGE_MAGIC:
        raise NotAnImage(
            f"image magic is 0x{header.magic:08X}, not MCUboot's 0x{IMAGE_MAGIC:08X}",
            "magic",
            magic=f"0x{header.magic:08X}",
            expected=f"0x{IMAGE_MAGIC:08X}",
        )
    if header.header_size < HEADER_STRUCT_SIZE:
        raise CorruptImage(
            f"header size {header.header_size} is below 32 bytes",
            "header_size",
            size=header.header_size,
        )
    flags = ImageFlag(header.flags)
    if header.flags & ENCRYPTED_FLAGS:
        raise UnsupportedImage("an encrypted image: safetool cannot check its payload", "encrypted")
    payload_end = header.header_size + header.image_size
    if payload_end > len(data):
        raise TruncatedImage(
            f"the payload ends at byte {payload_end} but the file has {len(data)} bytes",
            "short_payload",
            end=payload_end,
            size=len(data),
        )
    protected: tuple[Tlv, ...] = ()
    offset = payload_end
    if header.protected_tlv_size:
        protected = _parse_area(
            data, offset, TLV_PROT_INFO_MAGIC, "protected", header.protected_tlv_size
        )
        offset += header.protected_tlv_size
    signed_size = offset
    unprotected = _parse_area(data, offset, TLV_INFO_MAGIC, "unprotected", None)
    total_size = offset + TlvInfoStruct.parse(data[offset : offset + TLV_INFO_SIZE]).total_size
    for tlv in unprotected:
        if tlv.type not in UNPROTECTED_TLVS:
            raise CorruptImage(
                f"TLV {tlv.name} is outside the protected (signed) area",
                "unprotected",
                tlv=tlv.name,
            )
    return Image(
        data=data,
        load_address=header.load_address,
        header_size=header.header_size,
        image_size=header.image_size,
        flags=flags,
        version=ImageVersion(
            header.version.major,
            header.version.minor,
            header.version.revision,
            header.version.build,
        ),
        protected_tlvs=protected,
        unprotected_tlvs=unprotected,
        signed_size=signed_size,
        total_size=total_size,
        security_counter=_security_counter(protected),
        model=_text(protected, TlvType.SAFETOOL_MODEL),
        hardware_revisions=_revisions(protected),
        channel=_text(protected, TlvType.SAFETOOL_CHANNEL),
        notes=_text(protected, TlvType.SAFETOOL_NOTES),
    )


def _parse_area(
    data: bytes, offset: int, magic: int, label: str, expected_size: int | None
) -> tuple[Tlv, ...]:
    if offset + TLV_INFO_SIZE > len(data):
        raise TruncatedImage(
            f"the file ends before the {label} TLV area", "no_tlv_area", area=label
        )
    info = TlvInfoStruct.parse(data[offset : offset + TLV_INFO_SIZE])
    if info.magic != magic:
        raise CorruptImage(
            f"{label} TLV area magic is 0x{info.magic:04X}, expected 0x{magic:04X}",
            "tlv_magic",
            area=label,
            magic=f"0x{info.magic:04X}",
            expected=f"0x{magic:04X}",
        )
    if expected_size is not None and info.total_size != expected_size:
        raise CorruptImage(
            f"{label} TLV area says {info.total_size} bytes, the header {expected_size}",
            "tlv_size_mismatch",
            area=label,
            size=info.total_size,
            header=expected_size,
        )
    if info.total_size < TLV_INFO_SIZE:
        raise CorruptImage(
            f"{label} TLV area size {info.total_size} is too small",
            "tlv_too_small",
            area=label,
            size=info.total_size,
        )
    end = offset + info.total_size
    if end > len(data):
        raise TruncatedImage(
            f"the file ends inside the {label} TLV area", "inside_tlv_area", area=label
        )
    tlvs: list[Tlv] = []
    position = offset + TLV_INFO_SIZE
    while position < end:
        if position + TLV_HEADER_SIZE > end:
            raise CorruptImage(
                f"a TLV header crosses the end of the {label} TLV area",
                "tlv_header_crosses",
                area=label,
            )
        entry = TlvStruct.parse(data[position:end]) if _fits(data, position, end) else None
        if entry is None:
            raise CorruptImage(
                f"a TLV value crosses the end of the {label} TLV area",
                "tlv_value_crosses",
                area=label,
            )
        tlvs.append(Tlv(entry.type, bytes(entry.value), position))
        position += TLV_HEADER_SIZE + entry.length
    return tuple(tlvs)


def _fits(data: bytes, position: int, end: int) -> bool:
    length = int.from_bytes(data[position + 2 : position + 4], "little")
    return position + TLV_HEADER_SIZE + length <= end


def _single(protected: tuple[Tlv, ...], kind: TlvType) -> bytes | None:
    values = [tlv.value for tlv in protected if tlv.type == kind]
    if len(values) > 1:
        raise CorruptImage(
            f"TLV {kind.name} appears {len(values)} times",
            "tlv_repeated",
            tlv=kind.name,
            count=len(values),
        )
    return values[0] if values else None


def _security_counter(protected: tuple[Tlv, ...]) -> int | None:
    value = _single(protected, TlvType.SEC_CNT)
    if value is None:
        return None
    if len(value) != 4:
        raise CorruptImage(f"SEC_CNT holds {len(value)} bytes, not 4", "sec_cnt", size=len(value))
    return int.from_bytes(value, "little")


def _text(protected: tuple[Tlv, ...], kind: TlvType) -> str | None:
    value = _single(protected, kind)
    if value is None:
        return None
    try:
        return value.decode("utf-8")  # pragma: no mutate (a codec name)
    except UnicodeDecodeError:
        raise CorruptImage(
            f"TLV {kind.name} is not UTF-8 text", "not_text", tlv=kind.name
        ) from None


def _revisions(protected: tuple[Tlv, ...]) -> tuple[str, ...]:
    text = _text(protected, TlvType.SAFETOOL_HARDWARE_REVISIONS)
    if text is None:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


# ---------------------------------------------------------------------------------------------
# verification


def public_key_der(public_key: Ed25519PublicKey) -> bytes:
    """The key as imgtool embeds and hashes it: DER SubjectPublicKeyInfo."""
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def hash_intact(image: Image) -> bool | None:
    """Whether the image's hash TLV matches its header, payload and protected TLVs (no key
    needed); ``None`` when it carries no single hash to check (unsigned, or a pure signature)."""
    hash_tlvs = [tlv for tlv in image.unprotected_tlvs if tlv.type in HASH_TLVS]
    if len(hash_tlvs) != 1:
        return None if not hash_tlvs else False
    return HASH_TLVS[hash_tlvs[0].type](image.signed_region).digest() == hash_tlvs[0].value


def verify_image(image: Image, public_key: Ed25519PublicKey) -> None:
    """Check hash, key hash and ED25519 signature; raise an ImageVerificationError if any fail."""
    signatures = image.unprotected(TlvType.ED25519)
    if not signatures:
        if image.is_signed:
            raise UnsupportedSignature(
                "the image is signed with RSA or ECDSA, not ED25519", "other_signature"
            )
        raise UnsignedImage("the image carries no signature", "unsigned")
    pure = bool(image.unprotected(TlvType.SIG_PURE))
    hash_tlvs = [tlv for tlv in image.unprotected_tlvs if tlv.type in HASH_TLVS]
    if len(hash_tlvs) > 1:
        raise HashMismatch("the image carries more than one hash TLV", "two_hashes")
    region = image.signed_region
    if pure:
        make_hash: Callable[..., hashlib._Hash] = hashlib.sha512
        message = region
    else:
        if not hash_tlvs:
            raise HashMismatch("the image carries no hash TLV", "no_hash")
        make_hash = HASH_TLVS[hash_tlvs[0].type]
        digest = make_hash(region).digest()
        if digest != hash_tlvs[0].value:
            raise HashMismatch(
                "the hash of header, payload and protected TLVs does not match", "hash"
            )
        message = digest
    der = public_key_der(public_key)
    key_hashes = image.unprotected(TlvType.KEYHASH)
    full_keys = image.unprotected(TlvType.PUBKEY)
    if key_hashes and make_hash(der).digest() not in key_hashes:
        raise WrongKey("the image names a different signing key (KEYHASH)", "keyhash")
    if full_keys and der not in full_keys:
        raise WrongKey("the image carries a different signing key (PUBKEY)", "pubkey")
    for signature in signatures:
        try:
            public_key.verify(signature, message)
            return
        except InvalidSignature:
            continue
    if key_hashes or full_keys:
        raise BadSignature(
            "the signature does not verify although the image names this key", "bad_signature"
        )
    raise WrongKey("the signature does not verify with this key", "signature")
