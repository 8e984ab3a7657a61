"""Compute the vectors of the diagnostics, audit, firmware and secure session from SPEC.md.

Run from the repository root::

    python protocols/golden/make_extra_vectors.py          # add or refresh them in vectors.json
    python protocols/golden/make_extra_vectors.py --check  # exit 1 if vectors.json differs

Like every vector in ``vectors.json`` (see README.md beside this file), these are computed from
the spec, never from the code under test: each body is packed with ``struct`` from a layout
table copied from SPEC.md (sections 16, 17.2, 19.1 and 20.1; message types from section 4.3,
enumeration values from the tables beside them), the header from section 3, the CRC with
``zlib.crc32`` (section 2.2) and the byte stuffing with the small COBS encoder below, written from
section 2.3 and checked by a matching decoder and against the worked example of section 14. The
audit head is signed with ``cryptography``'s Ed25519 directly, with the seed of the crypto vector
``key_device``, over the bytes of section 17.2. Nothing of ``protocols`` is imported (not the
codec, the framing, the message classes nor their enums), nor the ``cobs`` package.

It also makes bad vectors of those messages: the good frames with one field set to a value the
SPEC does not list for it (an enumeration value outside its table, an ``active`` other than 0 or
1, a slot record's ``slot`` other than A or B) or FIRMWARE_STATUS with other than its two slot
records, each of which a receiver rejects as malformed (SPEC.md section 5).

And it computes the secure session of SPEC.md 11.4–11.5 from the seeds, ephemeral keys and
nonces of the crypto vectors: the ``handshake`` values, the board's SESSION_INIT answer, every
encrypted frame and the bad vectors made from one, with ``cryptography``'s X25519, HKDF, Ed25519
and ChaCha20-Poly1305 used directly.

The script replaces the vectors it makes (by name, where they stand) and leaves every other
vector as it is.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VECTORS = Path(__file__).with_name("vectors.json")

# --- framing, from SPEC.md sections 2 and 3 ---------------------------------------------------

VERSION = 1
RESPONSE = 0x01  # 3.1 Flags


def cobs_encode(data: bytes) -> bytes:
    """SPEC.md 2.3: runs split at each zero; full 0xFF blocks, then a short block per run."""
    runs = data.split(b"\x00")
    out = bytearray()
    for number, run in enumerate(runs):
        last = number == len(runs) - 1
        while len(run) >= 254:
            out += b"\xff" + run[:254]
            run = run[254:]
            if last and not run:  # rule 3: a final full block ends the encoding
                return bytes(out)
        out += bytes([len(run) + 1]) + run
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """SPEC.md 2.3, the decoding paragraph."""
    out = bytearray()
    position = 0
    while position < len(data):
        code = data[position]
        block = data[position + 1 : position + code]
        if code == 0 or len(block) != code - 1 or 0 in block:
            raise ValueError(f"bad COBS block at {position}")
        out += block
        position += code
        if code != 0xFF and position < len(data):
            out.append(0)
    return bytes(out)


def crc32_le(frame: bytes) -> bytes:
    """SPEC.md 2.2: CRC-32/ISO-HDLC, appended little-endian."""
    return struct.pack("<I", zlib.crc32(frame))


def _self_check() -> None:
    """The worked examples of SPEC.md 2.2 and 14, and COBS round trips at block edges."""
    ping = bytes.fromhex("010400040168656c6c6f")
    assert crc32_le(ping).hex() == "69f4859e"
    assert cobs_encode(ping + crc32_le(ping)).hex() == "0301040c0401" + "68656c6c6f69f4859e"
    assert zlib.crc32(b"123456789") == 0xCBF43926
    assert cobs_encode(b"") == b"\x01"
    for size in (1, 253, 254, 255, 508, 509):
        for data in (bytes([7]) * size, bytes(size), bytes([7]) * size + b"\x00"):
            encoded = cobs_encode(data)
            assert 0 not in encoded and cobs_decode(encoded) == data, size
    assert cobs_encode(bytes([7]) * 254) == b"\xff" + bytes([7]) * 254  # rule 3


# --- body layouts, copied from the SPEC.md tables ---------------------------------------------

Layout = list[tuple[str, Any]]
"""``(field, type)`` in body order: a SPEC type name, or a record layout repeated to the end."""

_INTS = {"u8": "B", "u16": "H", "i16": "h", "u32": "I"}


def pack(layout: Layout, fields: dict[str, Any]) -> bytes:
    assert list(fields) == [name for name, _ in layout], "fields must follow the SPEC table"
    out = bytearray()
    for index, (name, kind) in enumerate(layout):
        value = fields[name]
        if isinstance(kind, list):  # records to the end of the body
            assert index == len(layout) - 1
            for record in value:
                out += pack(kind, record)
        elif kind in _INTS:
            out += struct.pack("<" + _INTS[kind], value)
        elif kind == "str8":
            encoded = value.encode("utf-8")
            out += struct.pack("<B", len(encoded)) + encoded
        elif kind == "bytes*":
            assert index == len(layout) - 1
            out += bytes.fromhex(value)
        elif kind.startswith("bytes["):
            raw = bytes.fromhex(value)
            assert len(raw) == int(kind[6:-1]), name
            out += raw
        else:
            raise AssertionError(kind)
    return bytes(out)


# SPEC.md 4.3
TYPES = {
    "FIRMWARE_STATUS": 0x30,
    "FIRMWARE_BEGIN": 0x31,
    "FIRMWARE_STREAM": 0x32,
    "FIRMWARE_WRITE": 0x33,
    "FIRMWARE_ACTIVATE": 0x34,
    "FIRMWARE_CONFIRM": 0x35,
    "FIRMWARE_HEALTH": 0x36,
    "FIRMWARE_HASH": 0x37,
    "FIRMWARE_DELTA": 0x38,
    "DIAG_SENSORS": 0x40,
    "DIAG_MOTOR_TEST": 0x41,
    "DIAG_KEYPAD_TEST": 0x42,
    "DIAG_OUTPUT_TEST": 0x43,
    "DIAG_ERROR_LOG": 0x44,
    "AUDIT_HEAD": 0x48,
    "AUDIT_READ": 0x49,
    "CLOCK_SET": 0x4A,
    "REVOCATIONS": 0x13,
    "RECOVERY_AUTHORISE": 0x21,
    "CONFIG_GET": 0x28,
    "CONFIG_SET": 0x29,
}

EMPTY: Layout = []
# 16.1
SENSORS_RESPONSE: Layout = [
    ("battery_mv", "u16"),
    ("temperature_dc", "i16"),
    ("rtc_s", "u32"),
    ("uptime_s", "u32"),
    ("tamper_open", "u8"),
    ("door", "u8"),
    ("bolt_sensor", "u8"),
    ("bolt_commanded", "u8"),
    ("keys_held", "u16"),
]
# 16.2
MOTOR_TEST_RESPONSE: Layout = [
    ("result", "u8"),
    ("extend_ms", "u16"),
    ("retract_ms", "u16"),
    ("peak_current_ma", "u16"),
    ("rest_mv", "u16"),
    ("loaded_mv", "u16"),
]
# 16.3
KEYPAD_TEST_REQUEST: Layout = [("active", "u8"), ("duration_s", "u16")]
KEYPAD_TEST_RESPONSE: Layout = [("active", "u8"), ("keys_held", "u16")]
# 16.4
OUTPUT_TEST: Layout = [("output", "u8"), ("duration_ms", "u16")]
# 16.5
ERROR_LOG_RESPONSE: Layout = [
    ("records", [("code", "u8"), ("count", "u32"), ("first_s", "u32"), ("last_s", "u32")])
]
# 17.2
AUDIT_HEAD_REQUEST: Layout = [("nonce", "bytes[16]")]
AUDIT_HEAD_RESPONSE: Layout = [
    ("count", "u32"),
    ("first_index", "u32"),
    ("start_hash", "bytes[32]"),
    ("head_hash", "bytes[32]"),
    ("time_s", "u32"),
    ("signed", "u8"),
    ("signature", "bytes[64]"),
]
AUDIT_READ_REQUEST: Layout = [("start_index", "u32"), ("max_bytes", "u16")]
AUDIT_READ_RESPONSE: Layout = [("count", "u32"), ("first_index", "u32"), ("entries", "bytes*")]
CLOCK_SET_REQUEST: Layout = [("time_s", "u32"), ("statement", "bytes*")]
CLOCK_SET_RESPONSE: Layout = [("before_s", "u32"), ("after_s", "u32")]
# 19.1
FIRMWARE_STATUS_RESPONSE: Layout = [
    ("active_slot", "u8"),
    ("trial_pending", "u8"),
    ("security_floor", "u32"),
    ("last_result", "u8"),
    ("running_version", "str8"),
    (
        "slots",
        [
            ("slot", "u8"),
            ("state", "u8"),
            ("security_counter", "u32"),
            ("size", "u32"),
            ("version", "str8"),
        ],
    ),
]
# 20.1
FIRMWARE_BEGIN_REQUEST: Layout = [("image_size", "u32"), ("image_sha256", "bytes[32]")]
FIRMWARE_BEGIN_RESPONSE: Layout = [
    ("slot", "u8"),
    ("held", "u32"),
    ("held_sha256", "bytes[32]"),
    ("page_size", "u32"),
    ("compressions", "u8"),
    ("max_dict_size", "u32"),
    ("trial", "u8"),
    ("trial_seconds_left", "u32"),
]
FIRMWARE_STREAM_REQUEST: Layout = [
    ("start", "u32"),
    ("compression", "u8"),
    ("dict_size", "u32"),
    ("stream_size", "u32"),
]
FIRMWARE_STREAM_RESPONSE: Layout = [("start", "u32")]
FIRMWARE_WRITE_REQUEST: Layout = [("offset", "u32"), ("data", "bytes*")]
FIRMWARE_WRITE_RESPONSE: Layout = [("received", "u32"), ("written", "u32")]
FIRMWARE_ACTIVATE_REQUEST: Layout = [("image_sha256", "bytes[32]")]
FIRMWARE_ACTIVATE_RESPONSE: Layout = [("slot", "u8"), ("image_sha256", "bytes[32]")]
FIRMWARE_CONFIRM_RESPONSE: Layout = [("slot", "u8"), ("security_floor", "u32")]
FIRMWARE_HEALTH_RESPONSE: Layout = [("checked", "u8"), ("failed", "u8"), ("errors", "u16")]
# 20.5
FIRMWARE_HASH_REQUEST: Layout = [("slot", "u8"), ("size", "u32")]
FIRMWARE_HASH_RESPONSE: Layout = [("slot", "u8"), ("size", "u32"), ("sha256", "bytes[32]")]
FIRMWARE_DELTA_REQUEST: Layout = [
    ("start", "u32"),
    ("base_slot", "u8"),
    ("base_size", "u32"),
    ("base_sha256", "bytes[32]"),
    ("compression", "u8"),
    ("dict_size", "u32"),
    ("stream_size", "u32"),
]
FIRMWARE_DELTA_RESPONSE: Layout = [("start", "u32")]

# 11.6
REVOCATIONS_REQUEST: Layout = [("revocation_list", "bytes*")]
REVOCATIONS_RESPONSE: Layout = [("issued_at", "u32"), ("next_update", "u32"), ("count", "u32")]

# 12.8
RECOVERY_AUTHORISE_REQUEST: Layout = [("method", "u8"), ("digits", "str8"), ("token", "bytes*")]
RECOVERY_AUTHORISE_RESPONSE: Layout = [
    ("result", "u8"),
    ("reason", "u8"),
    ("counter", "u32"),
    ("attempts_left", "u8"),
    ("wait_s", "u16"),
]
# 13.2
POLICY: Layout = [
    ("wrong_codes", "u8"),
    ("window_s", "u16"),
    ("lockout_s", "u16"),
    ("hard_after_lockouts", "u8"),
    ("time_delay_s", "u16"),
    ("opening_window_s", "u16"),
    ("dual_control", "u8"),
    ("answer_valid_min", "u8"),
]

# --- enumerations, from the SPEC.md tables ----------------------------------------------------

DOOR_CLOSED = 0  # 10.2 DoorState
DOOR_STATES = {0: "CLOSED", 1: "OPEN", 2: "UNKNOWN"}  # 10.2, the whole table
BOLT_RETRACTED = 1  # 10.3 BoltState
BOLT_STATES = {0: "EXTENDED", 1: "RETRACTED", 2: "MOVING", 3: "UNKNOWN"}  # 10.3
MOTOR_OK = 0  # 16.2 result
KEYPAD_ACTIVE = (0, 1)  # 16.3: 1 start, 0 stop
OUTPUT_BUZZER = 1  # 16.4
MOTOR_SLOW, LOW_VOLTAGE = 2, 4  # 16.5 error codes
ERROR_CODES = {  # 16.5, the whole list
    1: "MOTOR_STALL",
    2: "MOTOR_SLOW",
    3: "BOLT_SENSOR_MISMATCH",
    4: "LOW_VOLTAGE",
    5: "KEY_STUCK",
    6: "FLASH_RETRY",
    7: "WATCHDOG_RESET",
    8: "RTC_INVALID",
}
SLOT_A, SLOT_B = 1, 2  # 19.1 FirmwareSlot
RECORD_SLOTS = {SLOT_A: "A", SLOT_B: "B"}  # 19.1 slot record `slot`: 1 A, 2 B
SLOT_RECORDS = 2  # 19.1: slot record x 2
SLOT_EMPTY, SLOT_VALID = 0, 1  # 19.1 SlotState
SLOT_STATES = {0: "EMPTY", 1: "VALID", 2: "INVALID", 3: "TRIAL"}  # 19.1
RESULT_CONFIRMED = 2  # 19.1 InstallResult
COMPRESSION_NONE, COMPRESSION_LZMA2 = 0, 1  # 20.3 Compression
TRIAL_NONE = 0  # 20.1 TrialState
HEALTH_ALL = 0x01 | 0x02 | 0x04 | 0x08 | 0x10  # 20.1 HealthCheck: flash .. clock
AUDIT_POWER_ON, AUDIT_SESSION_OPENED = 1, 2  # 17.4
METHOD_ONLINE, METHOD_PHONE = 1, 2  # 10.8
RESULT_OPENED, RESULT_REFUSED = 0, 1  # 10.9
REASON_NONE, REASON_WRONG_RESPONSE, REASON_LOCKED_OUT = 0, 11, 13  # 10.7
DAMM = [  # 12.2, the table T (row: interim digit, column: next digit)
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
]

# --- the values: one realistic exchange per message -------------------------------------------

SERIAL = "SL-0000-0001"  # the board of the golden handshake (certificate_device)
HEAD_DOMAIN = b"safetool audit head v1\x00"


def _canonical_entry(index: int, time_s: int, kind: int, detail: dict[str, Any]) -> bytes:
    """SPEC.md 17.1: the entry's canonical bytes, detail as compact sorted JSON."""
    text = json.dumps(detail, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return struct.pack("<IIBH", index, time_s, kind, len(text)) + text


def _audit_trail() -> tuple[bytes, bytes]:
    """Two entries of the trail as AUDIT_READ sends them, and the chain hash after them."""
    entries = [
        _canonical_entry(0, 1_780_000_000, AUDIT_POWER_ON, {"boot": 1}),
        _canonical_entry(
            1,
            1_780_000_042,
            AUDIT_SESSION_OPENED,
            {
                "certificate": 4242,  # the golden technician certificate
                "qualifications": ["diagnose", "recover"],
                "technician": "T-0042",
            },
        ),
    ]
    # SPEC.md 17.3, the worked example
    assert entries[0].hex() == "0000000000a5186a010a007b22626f6f74223a317d"
    previous = bytes(32)
    wire = b""
    for canonical in entries:
        previous = hashlib.sha256(previous + canonical).digest()
        wire += canonical + previous[:8]  # 17.2: each entry, then 8 bytes of its hash
        if canonical is entries[0]:
            assert previous.hex() == (
                "6808f2b3b75630a5c797c5fe0176f8ae1b6804493008471e7e4a67edb31ef79e"
            )
    return wire, previous


def _device_key(vectors: dict[str, Any]) -> Ed25519PrivateKey:
    for item in vectors["crypto"]:
        if item["name"] == "key_device":
            return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(item["seed_hex"]))
    raise KeyError("key_device")


def _crypto(vectors: dict[str, Any], name: str) -> dict[str, Any]:
    for item in vectors["crypto"]:
        if item["name"] == name:
            return dict(item)
    raise KeyError(name)


def _str8(text: str) -> bytes:
    encoded = text.encode("utf-8")
    return struct.pack("<B", len(encoded)) + encoded


def _part(data: bytes) -> bytes:
    """SPEC.md 12.2, MAC input: ``P(x) = u16(len(x)) || x``."""
    return struct.pack("<H", len(data)) + data


def _with_damm(digits: str) -> str:
    interim = 0
    for digit in digits:
        interim = DAMM[interim][int(digit)]
    return digits + str(interim)


def _decimal(data: bytes, count: int) -> str:
    """SPEC.md 12.2: the first 8 bytes big-endian, modulo 10^count, zero-padded."""
    return str(int.from_bytes(data[:8], "big") % 10**count).zfill(count)


RECOVERY_COUNTER = 7
TECHNICIAN = ("T-0042", 4242)  # the golden technician certificate: subject_id, serial_number
ISSUED_AT = 1_767_226_200  # 2026-01-01 00:10 UTC
TIME_STATEMENT_AT = 1_767_226_260
CRL_ISSUED_AT = 1_767_225_600  # 2026-01-01 00:00 UTC
CRL_NEXT_UPDATE = CRL_ISSUED_AT + 7 * 86_400  # a week later
CRL_SERIALS = (17, 4243, 70000)


def recovery_crypto_vectors(vectors: dict[str, Any]) -> list[dict[str, Any]]:
    """The revocation list (11.3), the authorisation token (12.3), the phone-in response (12.4)
    and the time statement (12.6), from the seeds and secrets of the crypto vectors already
    there."""
    authority = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(_crypto(vectors, "key_authority")["seed_hex"])
    )
    key_id = bytes.fromhex(_crypto(vectors, "key_authority")["key_id_hex"])
    secret = bytes.fromhex(_crypto(vectors, "recovery_secret")["secret_hex"])
    challenge = _crypto(vectors, "challenge_digits")
    nonce = bytes.fromhex(challenge["nonce_hex"])
    technician_id, certificate_serial = TECHNICIAN

    auth_fields = {
        "serial": SERIAL,
        "nonce": nonce.hex(),
        "counter": RECOVERY_COUNTER,
        "technician_id": technician_id,
        "certificate_serial": certificate_serial,
        "recovery_id": 90001,
        "issued_at": ISSUED_AT,
        "issuer_key_id": key_id.hex(),
    }
    auth_tbs = (
        b"SLA2"
        + _str8(SERIAL)
        + nonce
        + struct.pack("<I", RECOVERY_COUNTER)
        + _str8(technician_id)
        + struct.pack("<III", certificate_serial, 90001, ISSUED_AT)
        + key_id
    )
    auth_signature = authority.sign(auth_tbs)

    mac_input = (
        _part(b"safetool phone response v2")
        + _part(SERIAL.encode())
        + _part(challenge["digits"].encode())
        + _part(struct.pack("<I", RECOVERY_COUNTER))
        + _part(technician_id.encode())
    )
    mac = hmac.HMAC(secret, hashes.SHA256())
    mac.update(mac_input)
    mac_bytes = mac.finalize()

    crl_fields = {
        "issued_at": CRL_ISSUED_AT,
        "next_update": CRL_NEXT_UPDATE,
        "serials": list(CRL_SERIALS),
        "issuer_key_id": key_id.hex(),
    }
    crl_tbs = (
        b"SLR2"
        + struct.pack("<III", CRL_ISSUED_AT, CRL_NEXT_UPDATE, len(CRL_SERIALS))
        + struct.pack(f"<{len(CRL_SERIALS)}I", *CRL_SERIALS)
        + key_id
    )
    crl_signature = authority.sign(crl_tbs)

    time_fields = {"serial": SERIAL, "time_s": TIME_STATEMENT_AT, "issuer_key_id": key_id.hex()}
    time_tbs = b"SLT1" + _str8(SERIAL) + struct.pack("<I", TIME_STATEMENT_AT) + key_id
    time_signature = authority.sign(time_tbs)
    return [
        {
            "name": "revocation_list",
            "kind": "revocation_list",
            "description": "Revocation list issued 2026-01-01, next update 2026-01-08, revoking "
            "serials 17, 4243, 70000, signed by key_authority.",
            "signer": "authority",
            "fields": crl_fields,
            "to_be_signed_hex": crl_tbs.hex(),
            "signature_hex": crl_signature.hex(),
            "encoded_hex": (crl_tbs + crl_signature).hex(),
        },
        {
            "name": "authorisation",
            "kind": "authorisation",
            "description": "Online recovery authorisation for SL-0000-0001, challenge counter 7 "
            "(nonce of challenge_digits), technician T-0042 (certificate 4242), ledger entry "
            "90001, issued 2026-01-01 00:10 UTC, signed by key_authority.",
            "signer": "authority",
            "fields": auth_fields,
            "to_be_signed_hex": auth_tbs.hex(),
            "signature_hex": auth_signature.hex(),
            "encoded_hex": (auth_tbs + auth_signature).hex(),
        },
        {
            "name": "phone_response",
            "kind": "phone_response",
            "description": "The phone-in response for challenge_digits, its recovery counter 7 "
            "and technician T-0042 on SL-0000-0001 (no clock enters it).",
            "secret_hex": secret.hex(),
            "serial": SERIAL,
            "challenge": challenge["digits"],
            "counter": RECOVERY_COUNTER,
            "technician_id": technician_id,
            "mac_input_hex": mac_input.hex(),
            "mac_hex": mac_bytes.hex(),
            "response": _with_damm(_decimal(mac_bytes, 12)),
        },
        {
            "name": "time_statement",
            "kind": "time_statement",
            "description": "The service authority's signed time for SL-0000-0001: 2026-01-01 "
            "00:11 UTC, signed by key_authority.",
            "signer": "authority",
            "fields": time_fields,
            "to_be_signed_hex": time_tbs.hex(),
            "signature_hex": time_signature.hex(),
            "encoded_hex": (time_tbs + time_signature).hex(),
        },
    ]


def _recovery_rows(vectors: dict[str, Any]) -> list[Row]:
    """The messages whose layout or crypto changed with recovery v2 (SPEC.md 12.8, 13.2, 17.2)."""
    crypto = {item["name"]: item for item in recovery_crypto_vectors(vectors)}
    recover = "privileged, needs recover: in practice encrypted"
    configure = "privileged, needs configure: in practice encrypted"
    diagnose = "privileged, needs diagnose: in practice encrypted"
    default_policy = {
        "wrong_codes": 5,
        "window_s": 300,
        "lockout_s": 300,
        "hard_after_lockouts": 3,
        "time_delay_s": 0,
        "opening_window_s": 60,
        "dual_control": 0,
        "answer_valid_min": 15,
    }
    strict_policy = {
        "wrong_codes": 3,
        "window_s": 600,
        "lockout_s": 900,
        "hard_after_lockouts": 2,
        "time_delay_s": 600,
        "opening_window_s": 120,
        "dual_control": 1,
        "answer_valid_min": 30,
    }
    online, phone = {"method": "ONLINE"}, {"method": "PHONE"}
    return [
        (
            "revocations_request",
            "REVOCATIONS request carrying the revocation list of crypto vector revocation_list "
            "(public: sent in plaintext or in a session alike).",
            "RevocationsRequest",
            "REVOCATIONS",
            False,
            0x0300,
            REVOCATIONS_REQUEST,
            {"revocation_list": crypto["revocation_list"]["encoded_hex"]},
            {},
        ),
        (
            "revocations_response",
            "The board's answer: it now holds the list issued 2026-01-01, next update "
            "2026-01-08, with 3 serials.",
            "RevocationsResponse",
            "REVOCATIONS",
            True,
            0x0300,
            REVOCATIONS_RESPONSE,
            {"issued_at": CRL_ISSUED_AT, "next_update": CRL_NEXT_UPDATE, "count": len(CRL_SERIALS)},
            {},
        ),
        (
            "recovery_authorise_request_online",
            f"RECOVERY_AUTHORISE, online: method 1, no digits, the token of crypto vector "
            f"authorisation ({recover}).",
            "RecoveryAuthoriseRequest",
            "RECOVERY_AUTHORISE",
            False,
            0x0411,
            RECOVERY_AUTHORISE_REQUEST,
            {
                "method": METHOD_ONLINE,
                "digits": "",
                "token": crypto["authorisation"]["encoded_hex"],
            },
            online,
        ),
        (
            "recovery_authorise_request_phone",
            f"RECOVERY_AUTHORISE, by phone: method 2, the 13 digits of crypto vector "
            f"phone_response, no token ({recover}).",
            "RecoveryAuthoriseRequest",
            "RECOVERY_AUTHORISE",
            False,
            0x0412,
            RECOVERY_AUTHORISE_REQUEST,
            {"method": METHOD_PHONE, "digits": crypto["phone_response"]["response"], "token": ""},
            phone,
        ),
        (
            "recovery_authorise_response_opened",
            "The board opened: result OPENED, reason NONE, counter 7, no attempts left, no wait.",
            "RecoveryAuthoriseResponse",
            "RECOVERY_AUTHORISE",
            True,
            0x0411,
            RECOVERY_AUTHORISE_RESPONSE,
            {
                "result": RESULT_OPENED,
                "reason": REASON_NONE,
                "counter": 7,
                "attempts_left": 0,
                "wait_s": 0,
            },
            {"result": "OPENED", "reason": "NONE"},
        ),
        (
            "recovery_authorise_response_refused",
            "The board refused a wrong phone-in response: REFUSED, WRONG_RESPONSE, counter 7, "
            "2 attempts left, the next answer taken at once.",
            "RecoveryAuthoriseResponse",
            "RECOVERY_AUTHORISE",
            True,
            0x0412,
            RECOVERY_AUTHORISE_RESPONSE,
            {
                "result": RESULT_REFUSED,
                "reason": REASON_WRONG_RESPONSE,
                "counter": 7,
                "attempts_left": 2,
                "wait_s": 0,
            },
            {"result": "REFUSED", "reason": "WRONG_RESPONSE"},
        ),
        (
            "recovery_authorise_response_paced",
            "The board paces answers after too many wrong ones: REFUSED, LOCKED_OUT (not "
            "counted), counter 7, 1 attempt left, the next answer taken in 240 s of its lived "
            "time.",
            "RecoveryAuthoriseResponse",
            "RECOVERY_AUTHORISE",
            True,
            0x0413,
            RECOVERY_AUTHORISE_RESPONSE,
            {
                "result": RESULT_REFUSED,
                "reason": REASON_LOCKED_OUT,
                "counter": 7,
                "attempts_left": 1,
                "wait_s": 240,
            },
            {"result": "REFUSED", "reason": "LOCKED_OUT"},
        ),
        (
            "config_get_response",
            f"The default lock policy: 5 wrong codes in 300 s, 300 s lockout, hard after 3, no "
            f"time delay, 60 s opening window, no dual control, recovery answers within 15 "
            f"minutes ({diagnose}).",
            "ConfigResponse",
            "CONFIG_GET",
            True,
            0x0420,
            POLICY,
            default_policy,
            {},
        ),
        (
            "config_set_request",
            f"CONFIG_SET: 3 wrong codes in 600 s, 900 s lockout, hard after 2, 10-minute time "
            f"delay, 2-minute opening window, dual control, recovery answers within 30 minutes "
            f"({configure}).",
            "ConfigSetRequest",
            "CONFIG_SET",
            False,
            0x0421,
            POLICY,
            strict_policy,
            {},
        ),
        (
            "config_set_response",
            "The board's answer: the policy it now holds.",
            "ConfigSetResponse",
            "CONFIG_SET",
            True,
            0x0421,
            POLICY,
            dict(strict_policy),
            {},
        ),
        (
            "clock_set_request_signed",
            f"CLOCK_SET to the time of crypto vector time_statement, which it carries "
            f"({configure}).",
            "ClockSetRequest",
            "CLOCK_SET",
            False,
            0x0443,
            CLOCK_SET_REQUEST,
            {
                "time_s": TIME_STATEMENT_AT,
                "statement": crypto["time_statement"]["encoded_hex"],
            },
            {},
        ),
    ]


def _mcuboot_header() -> bytes:
    """SPEC.md 18.1: the 32-byte header of a 2.4.0 image (0x200 header, 184320-byte payload,
    37 bytes of protected TLVs: info, SEC_CNT, model, hardware revisions, channel)."""
    return struct.pack("<IIHHIIBBHII", 0x96F3B83D, 0, 0x200, 37, 184_320, 0, 2, 4, 0, 0, 0)


IMAGE_SIZE = 0x200 + 184_320 + 37 + (4 + 36 + 36 + 68)  # 20.1: up to the unprotected TLVs' end
IMAGE_SHA256 = hashlib.sha256(b"golden SL-100 firmware image 2.4.0").digest()
BASE_SHA256 = hashlib.sha256(b"golden SL-100 firmware image 2.3.1").digest()


Row = tuple[str, str, str, str, bool, int, Layout, dict[str, Any], dict[str, Any]]
"""name, description, message class, type, whether a response, seq, SPEC layout, fields,
enum_names."""


def message_vectors(vectors: dict[str, Any]) -> list[dict[str, Any]]:
    """The good vectors, in the JSON shape of README.md, packed and framed here."""
    made = []
    rows = _table(vectors) + _recovery_rows(vectors)
    for name, description, message, type_name, response, seq, layout, fields, enums in rows:
        header, frame, crc, wire = _framed(type_name, response, seq, layout, fields)
        item: dict[str, Any] = {
            "name": name,
            "description": description,
            "message": message,
            "header": header,
            "fields": fields,
        }
        if enums:
            item["enum_names"] = enums
        item.update(frame_hex=frame.hex(), crc32_hex=crc.hex(), wire_hex=wire.hex())
        made.append(item)
    return made


def _framed(
    type_name: str, response: bool, seq: int, layout: Layout, fields: dict[str, Any]
) -> tuple[dict[str, int], bytes, bytes, bytes]:
    """Header fields, frame, CRC and wire bytes of one message (SPEC.md sections 2 and 3)."""
    header = {
        "version": VERSION,
        "type": TYPES[type_name],
        "flags": RESPONSE if response else 0,
        "seq": seq,
    }
    frame = struct.pack("<BBBH", *header.values()) + pack(layout, fields)
    crc = crc32_le(frame)
    wire = cobs_encode(frame + crc) + b"\x00"
    assert cobs_decode(wire[:-1]) == frame + crc
    assert len(frame) + 4 <= 256, type_name  # every one fits MIN_MAX_FRAME
    return header, frame, crc, wire


def _table(vectors: dict[str, Any]) -> list[Row]:
    """One realistic exchange per message, one row per vector."""
    entries, head_hash = _audit_trail()
    nonce = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")
    head_time = 1_780_000_060
    head_signed = (
        HEAD_DOMAIN
        + struct.pack("<B", len(SERIAL))
        + SERIAL.encode()
        + nonce
        + struct.pack("<II", 2, 0)
        + bytes(32)
        + head_hash
        + struct.pack("<I", head_time)
    )
    signature = _device_key(vectors).sign(head_signed)
    diagnose = "privileged, needs diagnose: in practice encrypted"
    firmware = "privileged, needs firmware: in practice encrypted"
    configure = "privileged, needs configure: in practice encrypted"

    return [
        # --- diagnostics (SPEC.md 16) ---
        (
            "diag_sensors_request",
            f"DIAG_SENSORS request (empty body; {diagnose}).",
            "SensorsRequest",
            "DIAG_SENSORS",
            False,
            0x0430,
            EMPTY,
            {},
            {},
        ),
        (
            "diag_sensors_response",
            "DIAG_SENSORS: 6.020 V at rest, 21.5 degC, RTC 1780000123, up 1 d 2 h 3 min 4 s, "
            "tamper switch closed, door CLOSED, bolt sensor and command both RETRACTED, no key "
            "held.",
            "SensorsResponse",
            "DIAG_SENSORS",
            True,
            0x0430,
            SENSORS_RESPONSE,
            {
                "battery_mv": 6020,
                "temperature_dc": 215,
                "rtc_s": 1_780_000_123,
                "uptime_s": 93_784,
                "tamper_open": 0,
                "door": DOOR_CLOSED,
                "bolt_sensor": BOLT_RETRACTED,
                "bolt_commanded": BOLT_RETRACTED,
                "keys_held": 0,
            },
            {
                "door": DOOR_STATES[DOOR_CLOSED],
                "bolt_sensor": BOLT_STATES[BOLT_RETRACTED],
                "bolt_commanded": BOLT_STATES[BOLT_RETRACTED],
            },
        ),
        (
            "diag_motor_test_request",
            f"DIAG_MOTOR_TEST request (empty body; {diagnose}).",
            "MotorTestRequest",
            "DIAG_MOTOR_TEST",
            False,
            0x0431,
            EMPTY,
            {},
            {},
        ),
        (
            "diag_motor_test_response",
            "DIAG_MOTOR_TEST passed: out in 412 ms, back in 398 ms, peak 740 mA, battery 6.020 V "
            "at rest and 5.480 V at its lowest under load.",
            "MotorTestResponse",
            "DIAG_MOTOR_TEST",
            True,
            0x0431,
            MOTOR_TEST_RESPONSE,
            {
                "result": MOTOR_OK,
                "extend_ms": 412,
                "retract_ms": 398,
                "peak_current_ma": 740,
                "rest_mv": 6020,
                "loaded_mv": 5480,
            },
            {"result": "OK"},
        ),
        (
            "diag_keypad_test_request",
            f"DIAG_KEYPAD_TEST: start a keypad test of 120 s ({diagnose}).",
            "KeypadTestRequest",
            "DIAG_KEYPAD_TEST",
            False,
            0x0432,
            KEYPAD_TEST_REQUEST,
            {"active": 1, "duration_s": 120},
            {},
        ),
        (
            "diag_keypad_test_response",
            "DIAG_KEYPAD_TEST answer: the test runs; key 5 is held (key mask bit 5).",
            "KeypadTestResponse",
            "DIAG_KEYPAD_TEST",
            True,
            0x0432,
            KEYPAD_TEST_RESPONSE,
            {"active": 1, "keys_held": 1 << 5},
            {},
        ),
        (
            "diag_output_test_request",
            f"DIAG_OUTPUT_TEST: sound the buzzer for 500 ms ({diagnose}).",
            "OutputTestRequest",
            "DIAG_OUTPUT_TEST",
            False,
            0x0433,
            OUTPUT_TEST,
            {"output": OUTPUT_BUZZER, "duration_ms": 500},
            {"output": "BUZZER"},
        ),
        (
            "diag_output_test_response",
            "DIAG_OUTPUT_TEST answer: the buzzer sounds for 500 ms.",
            "OutputTestResponse",
            "DIAG_OUTPUT_TEST",
            True,
            0x0433,
            OUTPUT_TEST,
            {"output": OUTPUT_BUZZER, "duration_ms": 500},
            {"output": "BUZZER"},
        ),
        (
            "diag_error_log_request",
            f"DIAG_ERROR_LOG request (empty body; {diagnose}).",
            "ErrorLogRequest",
            "DIAG_ERROR_LOG",
            False,
            0x0434,
            EMPTY,
            {},
            {},
        ),
        (
            "diag_error_log_response",
            "DIAG_ERROR_LOG: two 13-byte records, MOTOR_SLOW (code 2) 3 times from 1779000000 "
            "to 1779990000, and LOW_VOLTAGE (code 4) once at 1779500000.",
            "ErrorLogResponse",
            "DIAG_ERROR_LOG",
            True,
            0x0434,
            ERROR_LOG_RESPONSE,
            {
                "records": [
                    {
                        "code": MOTOR_SLOW,
                        "count": 3,
                        "first_s": 1_779_000_000,
                        "last_s": 1_779_990_000,
                    },
                    {
                        "code": LOW_VOLTAGE,
                        "count": 1,
                        "first_s": 1_779_500_000,
                        "last_s": 1_779_500_000,
                    },
                ]
            },
            {"records": [{"code": ERROR_CODES[MOTOR_SLOW]}, {"code": ERROR_CODES[LOW_VOLTAGE]}]},
        ),
        # --- audit trail and clock (SPEC.md 17) ---
        (
            "audit_head_request",
            f"AUDIT_HEAD request with a fresh 16-byte nonce ({diagnose}).",
            "AuditHeadRequest",
            "AUDIT_HEAD",
            False,
            0x0440,
            AUDIT_HEAD_REQUEST,
            {"nonce": nonce.hex()},
            {},
        ),
        (
            "audit_head_response",
            "AUDIT_HEAD of a trail of two entries (those of audit_read_response), all held: "
            "start_hash zero, head_hash the chain hash of entry 1, time 1780000060, signed by "
            "key_device over SPEC.md 17.2's bytes for serial SL-0000-0001 and the request's "
            "nonce.",
            "AuditHeadResponse",
            "AUDIT_HEAD",
            True,
            0x0440,
            AUDIT_HEAD_RESPONSE,
            {
                "count": 2,
                "first_index": 0,
                "start_hash": bytes(32).hex(),
                "head_hash": head_hash.hex(),
                "time_s": head_time,
                "signed": 1,
                "signature": signature.hex(),
            },
            {},
        ),
        (
            "audit_read_request",
            "AUDIT_READ from entry 0, max_bytes 8223: the reference board's largest body (8256 - "
            f"9) less the cipher's 24 bytes ({diagnose}).",
            "AuditReadRequest",
            "AUDIT_READ",
            False,
            0x0441,
            AUDIT_READ_REQUEST,
            {"start_index": 0, "max_bytes": 8223},
            {},
        ),
        (
            "audit_read_response",
            'AUDIT_READ answer: entries 0 (power_on at 1780000000, {"boot":1}: the worked example '
            "of SPEC.md 17.3) and 1 (session_opened at 1780000042 by T-0042, certificate 4242, "
            "diagnose and recover), each followed by the first 8 bytes of its chain hash.",
            "AuditReadResponse",
            "AUDIT_READ",
            True,
            0x0441,
            AUDIT_READ_RESPONSE,
            {"count": 2, "first_index": 0, "entries": entries.hex()},
            {},
        ),
        (
            "clock_set_request",
            f"CLOCK_SET to 1780000300, a laptop's nudge: no time statement ({configure}).",
            "ClockSetRequest",
            "CLOCK_SET",
            False,
            0x0442,
            CLOCK_SET_REQUEST,
            {"time_s": 1_780_000_300, "statement": ""},
            {},
        ),
        (
            "clock_set_response",
            "CLOCK_SET answer: the board's trusted time was 1780000120 (3 minutes slow) and is "
            "now 1780000300.",
            "ClockSetResponse",
            "CLOCK_SET",
            True,
            0x0442,
            CLOCK_SET_RESPONSE,
            {"before_s": 1_780_000_120, "after_s": 1_780_000_300},
            {},
        ),
        # --- firmware status and install (SPEC.md 19, 20) ---
        (
            "firmware_status_request",
            f"FIRMWARE_STATUS request (empty body; {firmware}).",
            "FirmwareStatusRequest",
            "FIRMWARE_STATUS",
            False,
            0x0450,
            EMPTY,
            {},
            {},
        ),
        (
            "firmware_status_response",
            "FIRMWARE_STATUS: running 2.3.1 from slot A, no trial, security floor 3, last install "
            "CONFIRMED; slot A VALID (SEC_CNT 3, 184889 bytes, 2.3.1), slot B EMPTY.",
            "FirmwareStatusResponse",
            "FIRMWARE_STATUS",
            True,
            0x0450,
            FIRMWARE_STATUS_RESPONSE,
            {
                "active_slot": SLOT_A,
                "trial_pending": 0,
                "security_floor": 3,
                "last_result": RESULT_CONFIRMED,
                "running_version": "2.3.1",
                "slots": [
                    {
                        "slot": SLOT_A,
                        "state": SLOT_VALID,
                        "security_counter": 3,
                        "size": 184_889,
                        "version": "2.3.1",
                    },
                    {
                        "slot": SLOT_B,
                        "state": SLOT_EMPTY,
                        "security_counter": 0,
                        "size": 0,
                        "version": "",
                    },
                ],
            },
            {
                "active_slot": "A",
                "last_result": "CONFIRMED",
                "slots": [
                    {"slot": RECORD_SLOTS[SLOT_A], "state": SLOT_STATES[SLOT_VALID]},
                    {"slot": RECORD_SLOTS[SLOT_B], "state": SLOT_STATES[SLOT_EMPTY]},
                ],
            },
        ),
        (
            "firmware_begin_request",
            f"FIRMWARE_BEGIN for a {IMAGE_SIZE}-byte image (a fixed SHA-256) ({firmware}).",
            "FirmwareBeginRequest",
            "FIRMWARE_BEGIN",
            False,
            0x0451,
            FIRMWARE_BEGIN_REQUEST,
            {"image_size": IMAGE_SIZE, "image_sha256": IMAGE_SHA256.hex()},
            {},
        ),
        (
            "firmware_begin_response",
            "FIRMWARE_BEGIN answer: a new image, into slot B; nothing held (held_sha256 the "
            "SHA-256 of no bytes), 4096-byte pages, NONE and LZMA2 decoded (bits 0 and 1), 64 KiB "
            "dictionaries at most, no trial running.",
            "FirmwareBeginResponse",
            "FIRMWARE_BEGIN",
            True,
            0x0451,
            FIRMWARE_BEGIN_RESPONSE,
            {
                "slot": SLOT_B,
                "held": 0,
                "held_sha256": hashlib.sha256(b"").hexdigest(),
                "page_size": 4096,
                "compressions": (1 << COMPRESSION_NONE) | (1 << COMPRESSION_LZMA2),
                "max_dict_size": 64 * 1024,
                "trial": TRIAL_NONE,
                "trial_seconds_left": 0,
            },
            {"slot": "B", "trial": "NONE"},
        ),
        (
            "firmware_stream_request",
            f"FIRMWARE_STREAM from 0, uncompressed: the {IMAGE_SIZE} image bytes ({firmware}).",
            "FirmwareStreamRequest",
            "FIRMWARE_STREAM",
            False,
            0x0452,
            FIRMWARE_STREAM_REQUEST,
            {
                "start": 0,
                "compression": COMPRESSION_NONE,
                "dict_size": 0,
                "stream_size": IMAGE_SIZE,
            },
            {"compression": "NONE"},
        ),
        (
            "firmware_stream_response",
            "FIRMWARE_STREAM answer: the stream starts at 0.",
            "FirmwareStreamResponse",
            "FIRMWARE_STREAM",
            True,
            0x0452,
            FIRMWARE_STREAM_RESPONSE,
            {"start": 0},
            {},
        ),
        (
            "firmware_write_request",
            "FIRMWARE_WRITE of a short first chunk: at stream offset 0, the image's 32-byte "
            f"MCUboot header (SPEC.md 18.1, version 2.4.0) ({firmware}).",
            "FirmwareWriteRequest",
            "FIRMWARE_WRITE",
            False,
            0x0453,
            FIRMWARE_WRITE_REQUEST,
            {"offset": 0, "data": _mcuboot_header().hex()},
            {},
        ),
        (
            "firmware_write_response",
            "FIRMWARE_WRITE answer: 32 stream bytes taken, no page programmed yet.",
            "FirmwareWriteResponse",
            "FIRMWARE_WRITE",
            True,
            0x0453,
            FIRMWARE_WRITE_RESPONSE,
            {"received": 32, "written": 0},
            {},
        ),
        (
            "firmware_activate_request",
            f"FIRMWARE_ACTIVATE with the image's SHA-256 ({firmware}).",
            "FirmwareActivateRequest",
            "FIRMWARE_ACTIVATE",
            False,
            0x0454,
            FIRMWARE_ACTIVATE_REQUEST,
            {"image_sha256": IMAGE_SHA256.hex()},
            {},
        ),
        (
            "firmware_activate_response",
            "FIRMWARE_ACTIVATE answer: slot B, the SHA-256 read back (the image's).",
            "FirmwareActivateResponse",
            "FIRMWARE_ACTIVATE",
            True,
            0x0454,
            FIRMWARE_ACTIVATE_RESPONSE,
            {"slot": SLOT_B, "image_sha256": IMAGE_SHA256.hex()},
            {"slot": "B"},
        ),
        (
            "firmware_confirm_request",
            f"FIRMWARE_CONFIRM request (empty body; {firmware}).",
            "FirmwareConfirmRequest",
            "FIRMWARE_CONFIRM",
            False,
            0x0455,
            EMPTY,
            {},
            {},
        ),
        (
            "firmware_confirm_response",
            "FIRMWARE_CONFIRM answer: slot B kept, the security floor raised to 4.",
            "FirmwareConfirmResponse",
            "FIRMWARE_CONFIRM",
            True,
            0x0455,
            FIRMWARE_CONFIRM_RESPONSE,
            {"slot": SLOT_B, "security_floor": 4},
            {"slot": "B"},
        ),
        (
            "firmware_health_request",
            f"FIRMWARE_HEALTH request (empty body; {firmware}).",
            "FirmwareHealthRequest",
            "FIRMWARE_HEALTH",
            False,
            0x0456,
            EMPTY,
            {},
            {},
        ),
        (
            "firmware_health_response",
            "FIRMWARE_HEALTH: all five checks run (flash, motor driver, sensors, keypad, clock: "
            "0x1f), none failed, no error-log entry since this boot.",
            "FirmwareHealthResponse",
            "FIRMWARE_HEALTH",
            True,
            0x0456,
            FIRMWARE_HEALTH_RESPONSE,
            {"checked": HEALTH_ALL, "failed": 0, "errors": 0},
            {},
        ),
        (
            "firmware_hash_request",
            f"FIRMWARE_HASH of slot A's first 184889 bytes (the running 2.3.1) ({firmware}).",
            "FirmwareHashRequest",
            "FIRMWARE_HASH",
            False,
            0x0457,
            FIRMWARE_HASH_REQUEST,
            {"slot": SLOT_A, "size": 184_889},
            {"slot": "A"},
        ),
        (
            "firmware_hash_response",
            "FIRMWARE_HASH answer: slot A, 184889 bytes, their SHA-256 (a fixed value).",
            "FirmwareHashResponse",
            "FIRMWARE_HASH",
            True,
            0x0457,
            FIRMWARE_HASH_RESPONSE,
            {"slot": SLOT_A, "size": 184_889, "sha256": BASE_SHA256.hex()},
            {"slot": "A"},
        ),
        (
            "firmware_delta_request",
            f"FIRMWARE_DELTA from 0: a 9000-byte LZMA2 stream (32 KiB dictionary) of a patch "
            f"from the 184889-byte image in slot A ({firmware}).",
            "FirmwareDeltaRequest",
            "FIRMWARE_DELTA",
            False,
            0x0458,
            FIRMWARE_DELTA_REQUEST,
            {
                "start": 0,
                "base_slot": SLOT_A,
                "base_size": 184_889,
                "base_sha256": BASE_SHA256.hex(),
                "compression": COMPRESSION_LZMA2,
                "dict_size": 32 * 1024,
                "stream_size": 9000,
            },
            {"base_slot": "A", "compression": "LZMA2"},
        ),
        (
            "firmware_delta_response",
            "FIRMWARE_DELTA answer: the patch's output starts at 0.",
            "FirmwareDeltaResponse",
            "FIRMWARE_DELTA",
            True,
            0x0458,
            FIRMWARE_DELTA_RESPONSE,
            {"start": 0},
            {},
        ),
    ]


# --- bad vectors: one field holding a value the SPEC does not list ---------------------------


def _set(key: str, value: int) -> Any:
    def change(fields: dict[str, Any]) -> None:
        fields[key] = value

    return change


def _set_record(key: str, index: int, field: str, value: int) -> Any:
    def change(fields: dict[str, Any]) -> None:
        fields[key][index][field] = value

    return change


def _slot_count(count: int) -> Any:
    def change(fields: dict[str, Any]) -> None:
        slots = fields["slots"]
        fields["slots"] = (slots * 2)[:count]  # A, B, A, B, ...

    return change


FLAG_VALUES = (0, 1)  # SPEC.md 5: every flag field ("1 if ...", `signed`) holds 0 or 1

BAD_CASES: list[tuple[str, str, str, Any, bool]] = [
    # (good vector, bad vector, description, change, whether the value is unlisted)
    (
        "diag_sensors_response",
        "diag_sensors_response_bad_door",
        "diag_sensors_response with door 3 (DoorState lists 0 to 2, SPEC.md 10.2).",
        _set("door", 3),
        3 not in DOOR_STATES,
    ),
    (
        "diag_sensors_response",
        "diag_sensors_response_bad_bolt_sensor",
        "diag_sensors_response with bolt_sensor 4 (BoltState lists 0 to 3, SPEC.md 10.3).",
        _set("bolt_sensor", 4),
        4 not in BOLT_STATES,
    ),
    (
        "diag_sensors_response",
        "diag_sensors_response_bad_bolt_commanded",
        "diag_sensors_response with bolt_commanded 255 (not a BoltState value).",
        _set("bolt_commanded", 255),
        255 not in BOLT_STATES,
    ),
    (
        "diag_keypad_test_request",
        "diag_keypad_test_request_bad_active",
        "diag_keypad_test_request with active 2 (1 start, 0 stop, SPEC.md 16.3).",
        _set("active", 2),
        2 not in KEYPAD_ACTIVE,
    ),
    (
        "diag_keypad_test_response",
        "diag_keypad_test_response_bad_active",
        "diag_keypad_test_response with active 2 (only 0 or 1, SPEC.md 16.3).",
        _set("active", 2),
        2 not in KEYPAD_ACTIVE,
    ),
    (
        "diag_error_log_response",
        "diag_error_log_response_bad_code",
        "diag_error_log_response whose second record has code 9 (codes 1 to 8, SPEC.md 16.5).",
        _set_record("records", 1, "code", 9),
        9 not in ERROR_CODES,
    ),
    (
        "diag_error_log_response",
        "diag_error_log_response_code_zero",
        "diag_error_log_response whose first record has code 0 (codes 1 to 8, SPEC.md 16.5).",
        _set_record("records", 0, "code", 0),
        0 not in ERROR_CODES,
    ),
    (
        "firmware_status_response",
        "firmware_status_response_bad_slot",
        "firmware_status_response whose second slot record has slot 3 (not a FirmwareSlot).",
        _set_record("slots", 1, "slot", 3),
        3 not in RECORD_SLOTS,
    ),
    (
        "firmware_status_response",
        "firmware_status_response_slot_none",
        "firmware_status_response whose second slot record has slot 0: the factory image is "
        "no slot, a record's slot is 1 A or 2 B (SPEC.md 19.1).",
        _set_record("slots", 1, "slot", 0),
        0 not in RECORD_SLOTS,
    ),
    (
        "firmware_status_response",
        "firmware_status_response_bad_state",
        "firmware_status_response whose first slot record has state 4 (SlotState lists 0 to 3, "
        "SPEC.md 19.1).",
        _set_record("slots", 0, "state", 4),
        4 not in SLOT_STATES,
    ),
    (
        "diag_sensors_response",
        "diag_sensors_response_bad_tamper_open",
        "diag_sensors_response with tamper_open 2 (a flag: 0 or 1, SPEC.md 5 and 16.1).",
        _set("tamper_open", 2),
        2 not in FLAG_VALUES,
    ),
    (
        "firmware_status_response",
        "firmware_status_response_bad_trial_pending",
        "firmware_status_response with trial_pending 255 (a flag: 0 or 1, SPEC.md 5 and 19.1).",
        _set("trial_pending", 255),
        255 not in FLAG_VALUES,
    ),
    (
        "audit_head_response",
        "audit_head_response_bad_signed",
        "audit_head_response with signed 2 (a flag: 0 or 1, SPEC.md 5 and 17.2).",
        _set("signed", 2),
        2 not in FLAG_VALUES,
    ),
    (
        "firmware_status_response",
        "firmware_status_response_one_slot",
        "firmware_status_response with only slot A's record (SPEC.md 19.1: exactly two).",
        _slot_count(1),
        SLOT_RECORDS != 1,
    ),
    (
        "firmware_status_response",
        "firmware_status_response_three_slots",
        "firmware_status_response with a third slot record (A again) after B (SPEC.md 19.1: "
        "exactly two).",
        _slot_count(3),
        SLOT_RECORDS != 3,
    ),
]


def bad_message_vectors(vectors: dict[str, Any]) -> list[dict[str, Any]]:
    """The bad vectors of BAD_CASES, in the JSON shape of README.md: the good row's frame with
    one change, which a receiver rejects as MalformedMessage (the header stays intact)."""
    rows = {row[0]: row for row in _table(vectors)}
    made = []
    for good, name, description, change, unlisted in BAD_CASES:
        assert unlisted, name  # the value really is outside the SPEC's list
        _, _, _, type_name, response, seq, layout, fields, _ = rows[good]
        fields = copy.deepcopy(fields)
        change(fields)
        header, _, _, wire = _framed(type_name, response, seq, layout, fields)
        made.append(
            {
                "name": name,
                "description": description,
                "wire_hex": wire.hex(),
                "stage": "message",
                "error": "MalformedMessage",
                "header": header,
            }
        )
    return made


# --- a frame one byte over the receiver's limit (SPEC.md 2.4, B-2.4.4) -------------------------

LIMIT_BEFORE_HELLO = 256  # 2.5: every receiver's limit until HELLO raises it
PING = 0x04  # 4.3


def frame_limit_vectors() -> list[dict[str, Any]]:
    """A PING whose frame and CRC are 257 bytes, one over a receiver's limit of 256 (5.4: a body
    of ``max_frame - 9`` bytes is the largest), with no zero byte, so its stuffed bytes still
    fit the receiver's window (2.4: ``M + floor(M / 254) + 2``): it decodes; B-2.4.4 drops it."""
    body = bytes(1 + i % 255 for i in range(LIMIT_BEFORE_HELLO - 8))
    frame = struct.pack("<BBBH", VERSION, PING, 0, 0x0101) + body
    made = _frame_and_wire(frame)
    wire = bytes.fromhex(made["wire_hex"])
    assert len(frame) + 4 == LIMIT_BEFORE_HELLO + 1
    assert len(wire) - 1 <= LIMIT_BEFORE_HELLO + LIMIT_BEFORE_HELLO // 254 + 2
    return [
        {
            "name": "ping_one_byte_over_the_limit",
            "description": (
                "A PING request of 257 bytes with its CRC, COBS and CRC good, at a receiver whose "
                "limit is 256 (before HELLO): it fits the receiver's window, decodes, and is "
                "dropped for its size, unanswered (SPEC.md 2.4, B-2.4.4)."
            ),
            "wire_hex": made["wire_hex"],
            "stage": "frame",
            "error": "FrameTooLarge",
            "max_frame": LIMIT_BEFORE_HELLO,
        }
    ]


# --- the secure session, from SPEC.md 11.4 and 11.5 --------------------------------------------

TRANSCRIPT_LABEL = b"safetool session v1\x00"
KEY_INFO = b"safetool session keys v1"
ENCRYPTED = 0x04  # 3.1 Flags


def _good(vectors: dict[str, Any], name: str) -> dict[str, Any]:
    for item in vectors["good"]:
        if item["name"] == name:
            return copy.deepcopy(item)
    raise KeyError(name)


def _hello_bodies(vectors: dict[str, Any]) -> tuple[bytes, bytes]:
    """SPEC.md 5.1: the HELLO request (4 bytes) and response (9 bytes) of the golden link."""
    request = _good(vectors, "hello_request")["fields"]
    response = _good(vectors, "hello_response")["fields"]
    return (
        struct.pack("<BBH", request["min_version"], request["max_version"], request["max_frame"]),
        struct.pack(
            "<BBBHI",
            response["version"],
            response["min_version"],
            response["max_version"],
            response["max_frame"],
            response["boot_id"],
        ),
    )


def _raw_x25519(private: bytes) -> tuple[X25519PrivateKey, bytes]:
    key = X25519PrivateKey.from_private_bytes(private)
    return key, key.public_key().public_bytes_raw()


def _frame_and_wire(frame: bytes) -> dict[str, str]:
    crc = crc32_le(frame)
    wire = cobs_encode(frame + crc) + b"\x00"
    assert cobs_decode(wire[:-1]) == frame + crc
    return {"frame_hex": frame.hex(), "crc32_hex": crc.hex(), "wire_hex": wire.hex()}


def session_vectors(vectors: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The golden handshake (SPEC.md 11.4) after the golden HELLO exchange, and the frames of
    its session: the crypto vector ``handshake``, the good vector ``session_init_response``
    (the board's signature changes with the transcript), every encrypted vector and the bad
    vectors made from ``status_request_encrypted``."""
    handshake = _crypto(vectors, "handshake")
    hello_request, hello_response = _hello_bodies(vectors)
    technician_certificate = bytes.fromhex(
        _crypto(vectors, "certificate_technician")["encoded_hex"]
    )
    device_certificate = bytes.fromhex(_crypto(vectors, "certificate_device")["encoded_hex"])
    tool_private, tool_public = _raw_x25519(bytes.fromhex(handshake["tool_ephemeral_private_hex"]))
    board_private, board_public = _raw_x25519(
        bytes.fromhex(handshake["board_ephemeral_private_hex"])
    )
    tool_nonce = bytes.fromhex(handshake["tool_nonce_hex"])
    board_nonce = bytes.fromhex(handshake["board_nonce_hex"])
    digest = hashlib.sha256(TRANSCRIPT_LABEL)
    for part in (
        hello_request,
        hello_response,
        tool_public,
        tool_nonce,
        technician_certificate,
        board_public,
        board_nonce,
        device_certificate,
    ):
        digest.update(_part(part))
    transcript = digest.digest()
    shared = tool_private.exchange(X25519PublicKey.from_public_bytes(board_public))
    assert shared == board_private.exchange(X25519PublicKey.from_public_bytes(tool_public))
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=transcript, info=KEY_INFO).derive(shared)
    keys = {"tool_to_board": okm[:32], "board_to_tool": okm[32:]}
    device = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(_crypto(vectors, "key_device")["seed_hex"])
    )
    technician = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(_crypto(vectors, "key_technician")["seed_hex"])
    )
    board_signature = device.sign(b"board\x00" + transcript)
    technician_signature = technician.sign(b"technician\x00" + transcript)
    handshake.update(
        description=(
            "A whole handshake with fixed ephemeral keys and nonces, on the link opened by good "
            "vectors hello_request and hello_response: the transcript hash, the X25519 secret, "
            "the two session keys and both signatures. Frames: good vectors "
            "session_init_request/response, then the encrypted vectors."
        ),
        hello_request="hello_request",
        hello_response="hello_response",
        hello_exchange_hex=(hello_request + hello_response).hex(),
        tool_ephemeral_public_hex=tool_public.hex(),
        board_ephemeral_public_hex=board_public.hex(),
        transcript_hash_hex=transcript.hex(),
        shared_secret_hex=shared.hex(),
        key_tool_to_board_hex=keys["tool_to_board"].hex(),
        key_board_to_tool_hex=keys["board_to_tool"].hex(),
        board_signature_hex=board_signature.hex(),
        technician_signature_hex=technician_signature.hex(),
    )

    init_response = _good(vectors, "session_init_response")
    assert init_response["fields"]["ephemeral_key"] == board_public.hex()
    assert init_response["fields"]["certificate"] == device_certificate.hex()
    init_response["fields"]["signature"] = board_signature.hex()
    header = init_response["header"]
    # SPEC.md 11.6: ephemeral key, nonce, signature, then the certificate to the body's end
    body = board_public + board_nonce + board_signature + device_certificate
    frame = struct.pack("<BBBH", *header.values()) + body
    init_response.update(_frame_and_wire(frame))

    encrypted = []
    for item in copy.deepcopy(vectors["encrypted"]):
        if item["name"] == "session_auth_request":
            item["fields"]["signature"] = technician_signature.hex()
            item["plaintext_body_hex"] = technician_signature.hex()
        header = struct.pack("<BBBH", *item["header"].values())
        counter = struct.pack("<Q", item["counter"])
        nonce = bytes(4) + counter  # 11.5
        assert item["nonce_hex"] == nonce.hex()
        sealed = ChaCha20Poly1305(keys[item["direction"]]).encrypt(
            nonce, bytes.fromhex(item["plaintext_body_hex"]), header
        )
        item.update(_frame_and_wire(header + counter + sealed))
        encrypted.append(item)

    status = next(item for item in encrypted if item["name"] == "status_request_encrypted")
    status_frame = bytes.fromhex(status["frame_hex"])
    flipped = status_frame[:-1] + bytes([status_frame[-1] ^ 0x01])
    bad = []
    for item in copy.deepcopy(vectors["bad"]):
        if item["name"] == "encrypted_outside_session":
            item["wire_hex"] = status["wire_hex"]
        elif item["name"] == "encrypted_tag_flipped":
            item["wire_hex"] = _frame_and_wire(flipped)["wire_hex"]
        elif item["name"] == "encrypted_truncated":
            item["wire_hex"] = _frame_and_wire(status_frame[: 5 + 23])["wire_hex"]
        else:
            continue
        bad.append(item)
    return {"crypto": [handshake], "good": [init_response], "encrypted": encrypted, "bad": bad}


def _check_existing(vectors: dict[str, Any]) -> None:
    """This COBS encoder agrees with the one that made the vectors already there."""
    for item in vectors["good"]:
        stuffed = bytes.fromhex(item["frame_hex"]) + bytes.fromhex(item["crc32_hex"])
        assert cobs_encode(stuffed).hex() + "00" == item["wire_hex"], item["name"]


def updated(vectors: dict[str, Any]) -> dict[str, Any]:
    """``vectors`` with these vectors in place of any of the same name (where it stands), new
    ones at the end of their list."""
    session = session_vectors(vectors)
    result = dict(vectors)
    for key, extra in (
        ("good", message_vectors(vectors) + session["good"]),
        ("bad", bad_message_vectors(vectors) + frame_limit_vectors() + session["bad"]),
        ("crypto", recovery_crypto_vectors(vectors) + session["crypto"]),
        ("encrypted", session["encrypted"]),
    ):
        made = {item["name"]: item for item in extra}
        replaced = [made.pop(item["name"], item) for item in vectors[key]]
        result[key] = replaced + list(made.values())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check vectors.json")
    args = parser.parse_args(argv)
    _self_check()
    text = VECTORS.read_text(encoding="utf-8")
    vectors = json.loads(text)
    _check_existing(vectors)
    new_text = json.dumps(updated(vectors), indent=2) + "\n"
    if args.check:
        if new_text != text:
            print(f"{VECTORS} differs from what {Path(__file__).name} computes", file=sys.stderr)
            return 1
        return 0
    if new_text != text:
        VECTORS.write_text(new_text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
