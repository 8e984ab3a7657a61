"""The authority's parsers and wire formats, without a database (property tests included)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.certificates import Certificate, CertificateKind, Qualification, raw_public
from protocols.recovery import challenge_digits, damm_digit, with_check_digit
from safetool.authority.digits import parse_challenge, parse_name, parse_seal
from safetool.authority.errors import (
    AuthorityError,
    CertificateRefused,
    MisheardDigits,
    NotAuthenticated,
    RateLimited,
    RequestInvalid,
)
from safetool.authority.export import parse_ledger_filter, parse_time, to_csv
from safetool.authority.ledger import LedgerEntry
from safetool.authority.wire import (
    CloseReport,
    OnlineRequest,
    ResultReport,
    build_close_report,
    build_online_request,
    build_result_report,
    close_bytes,
    error_from_json,
    request_bytes,
    result_bytes,
)
from safetool.errors import SafetoolError

AUTHORITY = Ed25519PrivateKey.generate()
TECHNICIAN = Ed25519PrivateKey.generate()
CERTIFICATE = Certificate(
    kind=CertificateKind.TECHNICIAN,
    serial_number=1001,
    subject_id="T-1001",
    name="Li Wei",
    region="Shanghai",
    qualifications=Qualification.RECOVER,
    not_before=0,
    not_after=2**31,
    public_key=raw_public(TECHNICIAN.public_key()),
    issuer_key_id=b"",
).signed_by(AUTHORITY)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
digits9 = st.text(alphabet="0123456789", min_size=9, max_size=9)


# --- digits ------------------------------------------------------------------------------


def test_challenge_is_read_with_groups_and_check_digit() -> None:
    challenge = challenge_digits(secrets.token_bytes(16))
    grouped = f"{challenge[:3]} {challenge[3:6]}-{challenge[6:9]} {challenge[9]}"
    assert parse_challenge(grouped) == challenge


@given(digits9, st.integers(0, 9), st.integers(1, 9))
def test_one_misheard_challenge_digit_is_caught(body: str, position: int, delta: int) -> None:
    challenge = with_check_digit(body)
    wrong = list(challenge)
    wrong[position] = str((int(wrong[position]) + delta) % 10)
    with pytest.raises(MisheardDigits, match="misheard"):
        parse_challenge("".join(wrong))


@given(digits9, st.integers(0, 8))
def test_swapped_neighbours_are_caught(body: str, position: int) -> None:
    challenge = with_check_digit(body)
    if challenge[position] == challenge[position + 1]:
        return
    swapped = list(challenge)
    swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
    with pytest.raises(MisheardDigits):
        parse_challenge("".join(swapped))


@given(st.text(max_size=30))
def test_digit_parsers_take_any_text_without_crashing(text: str) -> None:
    for parse in (parse_challenge, parse_seal):
        try:
            digits = parse(text)
        except (RequestInvalid, MisheardDigits) as error:
            assert error.message and error.next_step
        else:
            assert digits.isdigit() and damm_digit(digits) == "0"


def test_wrong_number_of_digits_says_so() -> None:
    with pytest.raises(RequestInvalid, match="has 9 digits; it must have 10"):
        parse_challenge("123 456 789")
    with pytest.raises(RequestInvalid, match="digits only"):
        parse_seal("12345678x")


@given(st.text(max_size=80))
def test_names_are_letters_digits_and_dashes(text: str) -> None:
    try:
        assert parse_name(text, what="lock serial") == text
    except RequestInvalid:
        return
    assert 1 <= len(text) <= 64 and text.isascii()


# --- canonical bytes -------------------------------------------------------------------------


@given(
    st.tuples(
        st.text(max_size=8), st.binary(max_size=4), st.integers(0, 2**32), st.text(max_size=4)
    ),
    st.tuples(
        st.text(max_size=8), st.binary(max_size=4), st.integers(0, 2**32), st.text(max_size=4)
    ),
)
def test_different_requests_never_share_signed_bytes(a: Any, b: Any) -> None:
    first = request_bytes(a[0], a[1], a[2], a[3], b"cert", 7)
    second = request_bytes(b[0], b[1], b[2], b[3], b"cert", 7)
    assert (first == second) == (a == b)


def test_purposes_are_separate() -> None:
    assert request_bytes("S", b"", 1, "", b"c", 2) != result_bytes(1, "S", "", b"c", 2)
    assert result_bytes(1, "used", "", b"c", 2) != close_bytes(1, "used", "", None, b"c", 2)
    assert close_bytes(1, "S", "1", None, b"c", 2) != close_bytes(1, "S", "1", 0, b"c", 2)


# --- JSON forms ------------------------------------------------------------------------------


def _request() -> OnlineRequest:
    nonce = secrets.token_bytes(16)
    return build_online_request(
        TECHNICIAN, CERTIFICATE, "SL-0000-0001", nonce, 3, challenge_digits(nonce), 1_700_000_000
    )


def test_online_request_round_trips_through_json() -> None:
    request = _request()
    again = OnlineRequest.from_json(json.loads(json.dumps(request.to_json())))
    assert again == request
    TECHNICIAN.public_key().verify(again.signature, again.signed_bytes())


def test_reports_round_trip_through_json() -> None:
    result = build_result_report(TECHNICIAN, CERTIFICATE, 5, "refused", "expired", 1_700_000_000)
    assert ResultReport.from_json(5, json.loads(json.dumps(result.to_json()))) == result
    close = build_close_report(TECHNICIAN, CERTIFICATE, "SL-1", 5, "123456780", 1_700_000_000, 4)
    assert CloseReport.from_json(5, json.loads(json.dumps(close.to_json()))) == close
    unsigned = CloseReport(5, "SL-1", "123456780", None)
    assert CloseReport.from_json(5, unsigned.to_json()) == unsigned


@settings(max_examples=300)
@given(json_values)
def test_request_parsers_only_ever_raise_request_invalid(document: Any) -> None:
    for parse in (
        OnlineRequest.from_json,
        lambda d: ResultReport.from_json(1, d),
        lambda d: CloseReport.from_json(1, d),
    ):
        try:
            parse(document)
        except RequestInvalid as error:
            assert error.message


@settings(max_examples=200)
@given(st.sampled_from(sorted(_request().to_json())), json_values)
def test_a_damaged_field_is_refused_or_kept_well_typed(name: str, value: Any) -> None:
    document = _request().to_json() | {name: value}
    try:
        request = OnlineRequest.from_json(document)
    except RequestInvalid as error:
        assert repr(name) in error.message
    else:
        assert len(request.nonce) == 16 and len(request.signature) == 64


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        CertificateRefused("revoked", meaning="m", next_step="n"),
        NotAuthenticated("bad signature"),
        RateLimited("slow down", retry_after_s=42, next_step="wait"),
        RequestInvalid("what?"),
    ],
)
def test_errors_survive_the_wire(error: AuthorityError) -> None:
    again = error_from_json(error.http_status, json.loads(json.dumps(error.as_dict())))
    assert type(again) is type(error)
    assert again.as_dict() == error.as_dict()
    assert again.exit_code == error.exit_code


@given(st.integers(100, 599), json_values)
def test_any_error_body_becomes_a_safetool_error(status: int, document: Any) -> None:
    error = error_from_json(status, document)
    assert isinstance(error, SafetoolError) and error.message


# --- ledger filters and exports --------------------------------------------------------------


def test_ledger_filter_reads_times_and_states() -> None:
    wanted = parse_ledger_filter(
        {"state": "closed", "since": "2025-06-01", "until": "1750000000", "limit": "5"}
    )
    assert wanted.state == "closed" and wanted.limit == 5
    assert wanted.since == 1748736000 and wanted.until == 1750000000
    assert parse_time("2025-06-01T08:00+02:00", what="since") == 1748757600
    with pytest.raises(RequestInvalid, match="not one of"):
        parse_ledger_filter({"state": "lost"})
    with pytest.raises(RequestInvalid, match="no ledger filter"):
        parse_ledger_filter({"colour": "red"})


@given(
    st.dictionaries(
        st.sampled_from(["serial", "state", "kind", "since", "until", "limit", "x"]),
        st.text(max_size=12),
    )
)
def test_ledger_filter_takes_any_query_without_crashing(params: dict[str, str]) -> None:
    try:
        parse_ledger_filter(params)
    except RequestInvalid as error:
        assert error.message


def test_csv_export_defuses_spreadsheet_formulas() -> None:
    entry = LedgerEntry(
        id=1, kind="online", serial="SL-1", technician_id="T-1", certificate_serial=1,
        challenge="0000000000", nonce="00" * 16, counter=1, issued_at=0, not_before=0,
        not_after=900, issued_via="api", state="refused", used_at=None,
        result="=HYPERLINK(\"http://x\")", closed_at=None, seal=None, seal_failures=0,
    )  # fmt: skip
    text = to_csv([entry])
    assert "'=HYPERLINK" in text
    assert "1970-01-01T00:15:00Z" in text


@given(st.text(max_size=40))
def test_times_are_read_or_refused(text: str) -> None:
    try:
        assert isinstance(parse_time(text, what="since"), int)
    except RequestInvalid as error:
        assert "not a time" in error.message


@settings(max_examples=200)
@given(json_values, st.binary(max_size=200))
def test_answer_parsers_only_ever_raise_request_invalid(document: Any, token: bytes) -> None:
    from safetool.authority.wire import IssuedAuthorisation, PhoneResponse

    for candidate in (document, {"recovery_id": 1, "authorisation": token.hex()}):
        for parse in (IssuedAuthorisation.from_json, PhoneResponse.from_json):
            try:
                parse(candidate)
            except RequestInvalid as error:
                assert error.message
