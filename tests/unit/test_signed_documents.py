"""The authority's signed documents (an authorisation, a revocation list, a time statement):
what each refuses and why, and the codes' counters over their whole unsigned range. Found by
mutation testing (issue 21): these refusals were reached only with their reason unread, and
every authorisation in the tests happened to have a 64-byte body, as long as its signature."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from protocols.recovery import (
    Authorisation,
    RecoveryError,
    RevocationList,
    TimeStatement,
    group_digits,
    phone_response,
    seal_code,
)

AUTHORITY = Ed25519PrivateKey.generate()  # made at run time, as every test key

Document = Authorisation | RevocationList | TimeStatement
DOCUMENTS: dict[str, tuple[Callable[[], Document], Callable[[bytes], Document]]] = {
    "authorisation": (
        lambda: Authorisation("SL-0000-0001", bytes(16), 7, "T-1001", 3, 41, 1_800_000_000),
        Authorisation.decode,
    ),
    "revocation list": (
        lambda: RevocationList(1_800_000_000, 1_800_604_800, (3, 9)),
        RevocationList.decode,
    ),
    "time statement": (lambda: TimeStatement("SL-0000-0001", 1_800_000_000), TimeStatement.decode),
}


@pytest.fixture(params=sorted(DOCUMENTS))
def what(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def signed(what: str) -> Document:
    return DOCUMENTS[what][0]().signed_by(AUTHORITY)


def decode(what: str, data: bytes) -> Document:
    return DOCUMENTS[what][1](data)


def test_a_document_round_trips_and_verifies(what: str) -> None:
    document = signed(what)
    again = decode(what, document.encode())
    assert again == document
    again.verify_signature(AUTHORITY.public_key())


def test_another_signer_is_named_as_such(what: str) -> None:
    stranger = Ed25519PrivateKey.generate()
    with pytest.raises(RecoveryError, match=f"^{what} was not signed by the service authority$"):
        signed(what).verify_signature(stranger.public_key())


def test_a_flipped_signature_bit_is_not_valid(what: str) -> None:
    wire = bytearray(signed(what).encode())
    wire[-1] ^= 0x01
    with pytest.raises(RecoveryError, match=f"^{what} signature is not valid$"):
        decode(what, bytes(wire)).verify_signature(AUTHORITY.public_key())


def test_a_byte_slipped_in_before_the_signature_is_the_wrong_length(what: str) -> None:
    wire = signed(what).encode()
    longer = wire[:-64] + b"\x00" + wire[-64:]  # the body parses; one byte is left over
    with pytest.raises(RecoveryError, match=f"^{what} has the wrong length$"):
        decode(what, longer)


def test_a_body_that_does_not_parse_is_malformed_and_names_the_field(what: str) -> None:
    with pytest.raises(
        RecoveryError, match=f"^malformed {what}: the field magic is wrong or cut short$"
    ):
        decode(what, b"SLX0" + bytes(80))
    wire = signed(what).encode()
    cut_after_magic = wire[:5] + wire[-64:]  # the magic, one byte of the next field, a signature
    second_field = {"authorisation": "serial", "revocation list": "issued_at"}
    with pytest.raises(
        RecoveryError,
        match=f"^malformed {what}: the field {second_field.get(what, 'serial')} is wrong or cut",
    ):
        decode(what, cut_after_magic)


def test_signing_again_gives_the_same_signature(what: str) -> None:
    """The signature covers the body only, never an earlier signature."""
    first = signed(what)
    assert first.signed_by(AUTHORITY).signature == first.signature


@given(what=st.sampled_from(sorted(DOCUMENTS)), data=st.binary(max_size=200))
def test_any_bytes_decode_to_a_document_that_encodes_back_or_a_recovery_error(
    what: str, data: bytes
) -> None:
    try:
        document = decode(what, data)
    except RecoveryError as error:  # said in SPEC terms, never the decoding library's (B-9.3)
        assert "Error" not in str(error) and "\n" not in str(error), str(error)
        return
    assert document.encode() == data


@given(
    serial=st.text(min_size=1, max_size=40),
    technician=st.text(min_size=1, max_size=40),
    counter=st.integers(0, 2**32 - 1),
)
def test_an_authorisation_of_any_length_round_trips(
    serial: str, technician: str, counter: int
) -> None:
    token = Authorisation(serial, bytes(16), counter, technician, 3, 41, 1_800_000_000)
    wire = token.signed_by(AUTHORITY).encode()
    assert Authorisation.decode(wire) == token.signed_by(AUTHORITY)


@pytest.mark.parametrize("counter", [0, 2**31 - 1, 2**31, 2**32 - 1])
def test_codes_take_a_counter_anywhere_in_its_32_bits(counter: int) -> None:
    """SPEC: the recovery counter is a uint32; past 2**31 is a counter like any other."""
    secret = bytes(range(32))
    response = phone_response(secret, "SL-0000-0001", "1234567890", counter, "T-1001")
    seal = seal_code(secret, "SL-0000-0001", counter, "1234567890")
    assert len(response) == 13 and len(seal) == 9
    other = phone_response(secret, "SL-0000-0001", "1234567890", counter ^ 1, "T-1001")
    assert response != other


def test_digits_are_read_in_threes() -> None:
    assert group_digits("1234567890") == "123 456 789 0"
