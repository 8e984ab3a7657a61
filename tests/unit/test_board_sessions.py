"""The board's side of the secure session, read field by field (what mutation testing found
unread in firmware/trust.py): why a session closed, what an unprovisioned board and a SESSION_INIT
before HELLO are told, what the trail keeps of a refused handshake, SESSION_AUTH only under the
session keys, the SESSION_OPENED event's value, a certificate that starts within the slow-clock
allowance at every privileged request, the out-of-date list's refusal and the answer to a list
kept in its first form."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware.emulator import Emulator
from firmware.trust import IDLE_TIMEOUT_S
from protocols.catalogue import ErrorCode, EventKind
from protocols.certificates import Certificate, CertificateError, raw_public
from protocols.messages import DETAIL_MAX_BYTES, ErrorResponse, error_detail
from protocols.recovery import RevocationList
from protocols.session import ToolHandshake
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
    RevocationsRequest,
    RevocationsResponse,
    SessionAuthRequest,
    SessionEndRequest,
    SessionEndResponse,
    SessionInitRequest,
    SessionInitResponse,
)
from safetool.identity import TechnicianIdentity
from tests.board_bench import SERIAL, Bench, board_of, open_session, stopped_clock
from tests.trust_helpers import load_key, pki_list

pytestmark = pytest.mark.in_memory


@pytest.fixture
def board(tmp_path: Path, pki: Path) -> Iterator[Emulator]:
    """A provisioned board in this process (no loop, no wire)."""
    emulated = board_of(tmp_path, pki)
    yield emulated
    emulated.close()


def _t1001(pki: Path) -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / "technicians" / "T-1001")


def _said_hello(board: Emulator) -> Bench:
    bench = Bench(board)
    bench.ask(bench.tool.hello())
    return bench


def _kinds(board: Emulator, kind: str) -> list[dict[str, object]]:
    return [entry for entry in board.audit.entries() if entry["kind"] == kind]


def test_a_new_session_init_closes_the_session_held_as_a_new_session(
    board: Emulator, pki: Path
) -> None:
    bench = _said_hello(board)
    open_session(bench, _t1001(pki))
    bench.tool.cipher = None  # the tool starts over, as after a lost answer
    open_session(bench, _t1001(pki))
    (closed,) = _kinds(board, "session_closed")
    assert closed["reason"] == "new_session"


def test_session_end_closes_the_session_as_ended_by_the_tool(board: Emulator, pki: Path) -> None:
    bench = _said_hello(board)
    open_session(bench, _t1001(pki))
    assert isinstance(bench.ask(SessionEndRequest()), SessionEndResponse)
    (closed,) = _kinds(board, "session_closed")
    assert (closed["reason"], closed["technician"]) == ("ended_by_tool", "T-1001")


def test_a_certificate_is_too_short_below_a_signature_and_4_bytes_else_read_by_field(
    pki: Path,
) -> None:
    for size, said in (
        (67, "certificate of 67 bytes is too short"),
        (68, "malformed certificate: the field magic is wrong or cut short"),
    ):
        with pytest.raises(CertificateError) as refused:
            Certificate.decode(b"SLC0" + bytes(size - 4))
        assert str(refused.value) == said
    valid = bytearray(_t1001(pki).certificate_bytes)
    with pytest.raises(CertificateError) as refused:
        Certificate.decode(bytes(valid[:-64] + b"\x00" + valid[-64:]))  # one byte slipped in
    assert str(refused.value) == "certificate has bytes after its last field"
    valid[4] = 9  # the kind
    with pytest.raises(CertificateError) as refused:
        Certificate.decode(bytes(valid))
    assert str(refused.value) == "malformed certificate: unknown kind 9"


def test_an_unprovisioned_board_says_which_key_it_lacks(tmp_path: Path, pki: Path) -> None:
    board = Emulator(state_dir=tmp_path / "board", provisioning=None)
    try:
        bench = _said_hello(board)
        identity = _t1001(pki)
        init = ToolHandshake(identity.certificate_bytes, identity.sign, bench.tool.hello_exchange)
        refused = bench.ask(init.start())
        assert refused == ErrorResponse(
            ErrorCode.NOT_ALLOWED, "this board has no device key (not provisioned)"
        )
        crl = pki_list(pki, int(time.time()), int(time.time()) + 3600).encode()
        assert bench.ask(RevocationsRequest(crl)) == ErrorResponse(
            ErrorCode.NOT_ALLOWED, "this board has no authority key (not provisioned)"
        )
    finally:
        board.close()


def test_a_session_init_before_any_hello_is_told_to_say_hello(board: Emulator, pki: Path) -> None:
    bench = Bench(board)
    identity = _t1001(pki)
    init = ToolHandshake(identity.certificate_bytes, identity.sign, b"").start()
    assert bench.ask(init) == ErrorResponse(
        ErrorCode.INVALID_STATE, "SESSION_INIT needs a HELLO on this link first"
    )


def test_a_refused_session_init_is_kept_with_its_reason_detail_and_what_was_offered(
    board: Emulator, pki: Path
) -> None:
    bench = _said_hello(board)
    damaged = SessionInitRequest(bytes(32), bytes(16), b"SLC1" + b"\x05" * 100)
    answer = bench.ask(damaged)
    assert isinstance(answer, ErrorResponse) and answer.code == ErrorCode.NOT_ALLOWED
    revoked = TechnicianIdentity.load(pki / "technicians" / "T-1003")
    init = ToolHandshake(revoked.certificate_bytes, revoked.sign, bench.tool.hello_exchange)
    assert isinstance(bench.ask(init.start()), ErrorResponse)
    unreadable, of_revoked = _kinds(board, "session_refused")
    assert unreadable["reason"] == "bad_certificate"
    assert unreadable["certificate"] == "unreadable"
    assert (
        unreadable["detail"] == "malformed certificate: the field public_key is wrong or cut short"
    )
    certificate = revoked.certificate
    assert of_revoked["reason"] == "revoked"
    assert of_revoked["certificate"] == f"{certificate.subject_id} #{certificate.serial_number}"


def test_session_auth_is_taken_only_under_the_session_keys(board: Emulator, pki: Path) -> None:
    bench = _said_hello(board)
    identity = _t1001(pki)
    handshake = ToolHandshake(identity.certificate_bytes, identity.sign, bench.tool.hello_exchange)
    reply = bench.ask(handshake.start())
    assert isinstance(reply, SessionInitResponse)
    auth, _cipher, _ = handshake.finish(
        reply,
        provisioning_key=identity.provisioning_key,
        expected_serial=SERIAL,
        now=time.time(),
    )
    assert isinstance(auth, SessionAuthRequest)
    refused = bench.ask(auth)  # in plaintext: anyone on the line could have sent it
    assert refused == ErrorResponse(
        ErrorCode.NOT_ALLOWED, "SESSION_AUTH needs SESSION_INIT first, under the session keys"
    )
    assert _kinds(board, "session_opened") == []


def test_session_opened_names_the_certificate_in_its_event(board: Emulator, pki: Path) -> None:
    bench = _said_hello(board)
    identity = _t1001(pki)
    open_session(bench, identity)
    opened = [e.value for e in bench.received if e.kind == EventKind.SESSION_OPENED]
    assert opened == [identity.certificate.serial_number & 0x7FFFFFFF]


def _after_the_pkis_list(pki: Path) -> int:
    """Now, or a second after the PKI's own list if that was issued this second: a list the
    board takes (only a newer one is)."""
    held = RevocationList.decode((pki / "authority" / "revocations.bin").read_bytes())
    return max(int(time.time()), held.issued_at + 1)


def _starting_in(pki: Path, seconds: int) -> TechnicianIdentity:
    """T-1001 with a certificate of its own whose validity starts ``seconds`` from now."""
    base = _t1001(pki)
    key = Ed25519PrivateKey.generate()
    certificate: Certificate = dataclasses.replace(
        base.certificate,
        public_key=raw_public(key.public_key()),
        not_before=int(time.time()) + seconds,
    ).signed_by(load_key(pki / "authority" / "authority.key"))
    return dataclasses.replace(
        base, key=key, certificate=certificate, certificate_bytes=certificate.encode()
    )


def test_a_certificate_starting_within_the_clock_allowance_serves_every_request(
    board: Emulator, pki: Path
) -> None:
    """SPEC.md 12.6: a certificate counts as started by the signed time plus the allowance, at
    SESSION_INIT and again at each privileged request."""
    bench = _said_hello(board)
    now = _after_the_pkis_list(pki)
    fresh = bench.ask(RevocationsRequest(pki_list(pki, now, now + 86_400).encode()))
    assert fresh == RevocationsResponse(now, now + 86_400, fresh.count)  # taken
    open_session(bench, _starting_in(pki, 120))  # issued on a clock two minutes ahead
    assert isinstance(bench.ask(ConfigGetRequest()), ConfigResponse)
    assert _kinds(board, "privileged_refused") == []


def test_an_out_of_date_list_refuses_naming_when_it_was_due_and_what_is_needed(
    board: Emulator, pki: Path
) -> None:
    bench = _said_hello(board)
    now = _after_the_pkis_list(pki)
    current = pki_list(pki, now, now + 60).encode()
    taken = bench.ask(RevocationsRequest(current))
    assert isinstance(taken, RevocationsResponse) and taken.next_update == now + 60
    open_session(bench, _t1001(pki))
    board.clock.advance(61)
    board.lock.tick()
    refused = bench.ask(ConfigGetRequest())
    assert refused == ErrorResponse(
        ErrorCode.NOT_ALLOWED,
        f"CONFIG_GET refused (list_out_of_date): the revocation list held was due to be "
        f"replaced at {now + 60}; a newer one is needed (REVOCATIONS)",
    )


def test_a_list_kept_before_lists_had_a_next_update_is_answered_as_due(
    board: Emulator, pki: Path
) -> None:
    bench = _said_hello(board)
    now = int(time.time())
    board.lock.saved.service["crl"] = {"issued_at": now + 10, "serials": [7, 8]}  # first form
    older = pki_list(pki, now, now + 3600).encode()
    answer = bench.ask(RevocationsRequest(older))  # not newer: the held one is answered
    assert answer == RevocationsResponse(now + 10, 0, 2)


def test_a_board_holding_no_list_serves_nothing_privileged_then_takes_the_first_list_once(
    board: Emulator, pki: Path
) -> None:
    bench = _said_hello(board)
    del board.lock.saved.service["crl"]
    open_session(bench, _t1001(pki))  # a session opens; nothing privileged is served yet
    assert bench.ask(ConfigGetRequest()) == ErrorResponse(
        ErrorCode.NOT_ALLOWED,
        "CONFIG_GET refused (list_out_of_date): the revocation list held was due to be "
        "replaced at 0; a newer one is needed (REVOCATIONS)",
    )
    now = _after_the_pkis_list(pki)
    offered = pki_list(pki, now, now + 3600, (7,)).encode()
    taken = bench.ask(RevocationsRequest(offered))
    assert isinstance(taken, RevocationsResponse)
    assert (taken.issued_at, taken.next_update) == (now, now + 3600) and taken.count >= 1
    assert bench.ask(RevocationsRequest(offered)) == taken  # the same list: kept once
    assert [e["issued_at"] for e in _kinds(board, "revocations_updated")][-1:] == [now]
    assert len([e for e in _kinds(board, "revocations_updated") if e["issued_at"] == now]) == 1


def test_an_error_detail_is_cut_to_200_bytes_never_inside_a_character() -> None:
    assert error_detail("é" * 150) == "é" * (DETAIL_MAX_BYTES // 2)
    assert error_detail("x" * 201) == "x" * DETAIL_MAX_BYTES
    assert error_detail("ab€") == "ab€"
    assert len(error_detail("a" + "€" * 100).encode()) == 199  # 1 + 66 × 3; the 67th would split


@pytest.fixture
def still_board(tmp_path: Path, pki: Path) -> Iterator[Emulator]:
    """The same board with its clock stopped: it moves when the test moves it."""
    emulated = board_of(tmp_path, pki, stopped_clock())
    yield emulated
    emulated.close()


def test_a_session_idle_for_its_whole_timeout_is_still_open_and_a_moment_later_closed(
    still_board: Emulator, pki: Path
) -> None:
    board = still_board
    open_session(_said_hello(board), _t1001(pki))
    board.clock.advance(IDLE_TIMEOUT_S)
    board.trust.expire_idle()
    assert board.trust.session is not None and _kinds(board, "session_closed") == []
    board.clock.advance(0.001)
    board.trust.expire_idle()
    (closed,) = _kinds(board, "session_closed")
    assert (board.trust.session, closed["reason"]) == (None, "idle_timeout")
