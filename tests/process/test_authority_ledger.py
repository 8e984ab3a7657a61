"""The issuing logic and its ledger, on SQLite and on a throwaway PostgreSQL server.

PostgreSQL comes from the system packages (``initdb``/``pg_ctl``); where it is missing the
PostgreSQL half is skipped with the reason (set SAFETOOL_REQUIRE_POSTGRES=1 to fail instead).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from protocols.certificates import Certificate, Qualification
from protocols.recovery import (
    challenge_digits,
    phone_response,
    seal_code,
    with_check_digit,
)
from safetool.authority.database import (
    NEWEST_REVISION,
    _alembic_config,
    create_ledger_engine,
    open_ledger_database,
    schema_revision,
)
from safetool.authority.devpostgres import (
    PostgresUnavailable,
    ThrowawayPostgres,
    start_throwaway_postgres,
)
from safetool.authority.enrol import enrol_technician, load_technician
from safetool.authority.errors import (
    AuthorityConfigError,
    CertificateRefused,
    Conflict,
    MisheardDigits,
    NotAuthenticated,
    RateLimited,
    RecoveryNotFound,
    RequestInvalid,
    SealRefused,
    StaleRequest,
)
from safetool.authority.export import from_csv, to_csv, to_json
from safetool.authority.keys import load_authority_keys
from safetool.authority.ledger import LedgerFilter, RateLimits
from safetool.authority.schema import AuthorisationRow, Base
from safetool.authority.service import Authority, AuthorityPolicy
from safetool.authority.wire import OnlineRequest, build_online_request, build_result_report
from safetool.messages import Message
from safetool.services.devpki import init_dev_pki

SERIAL = "SL-0000-0001"


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    try:
        server = start_throwaway_postgres()
    except PostgresUnavailable as error:
        if os.environ.get("SAFETOOL_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here: {error}")
        pytest.skip(f"PostgreSQL half skipped: {error}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    server: ThrowawayPostgres = request.getfixturevalue("postgres")
    return server.create_database(f"ledger_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    init_dev_pki(folder)
    return folder


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authority(pki: Path, database_url: str, clock: Clock) -> Iterator[Authority]:
    service = Authority.open(
        pki, database_url, policy=AuthorityPolicy(limits=RateLimits(5, 3)), clock=clock
    )
    yield service
    service.shutdown()


def online_request(
    pki: Path,
    technician: str = "T-1001",
    *,
    serial: str = SERIAL,
    counter: int = 1,
    now: float | None = None,
    nonce: bytes | None = None,
) -> OnlineRequest:
    key, certificate = load_technician(pki, technician)
    nonce = nonce or secrets.token_bytes(16)
    return build_online_request(
        key,
        certificate,
        serial,
        nonce,
        counter,
        challenge_digits(nonce),
        time.time() if now is None else now,
    )


def board_secret(pki: Path, serial: str = SERIAL) -> bytes:
    return bytes.fromhex((pki / "boards" / serial / "recovery.secret").read_text())


def count_rows(authority: Authority) -> int:
    with authority.ledger.engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(AuthorisationRow)).scalar_one()
        )


# --- online ----------------------------------------------------------------------------------


def test_online_authorisation_is_bound_signed_and_in_the_ledger(
    authority: Authority, pki: Path
) -> None:
    request = online_request(pki, counter=7)
    issued = authority.issue_online(request)
    token = issued.authorisation
    token.verify_signature(authority.keys.public_key)
    assert (token.serial, token.nonce, token.counter) == (SERIAL, request.nonce, 7)
    assert (token.technician_id, token.certificate_serial) == ("T-1001", 1001)
    assert token.recovery_id == issued.recovery_id
    assert token.issued_at == int(authority.clock())  # a signed time, not a validity window
    entry = authority.ledger.get(issued.recovery_id)
    assert entry.state == "issued" and entry.kind == "online"
    assert entry.nonce == request.nonce.hex() and entry.challenge == request.challenge


def test_identical_request_gets_the_same_entry_a_different_one_is_refused(
    authority: Authority, pki: Path
) -> None:
    request = online_request(pki)
    first = authority.issue_online(request)
    assert authority.issue_online(request) == first
    again = online_request(pki, nonce=request.nonce, counter=request.counter)
    assert authority.issue_online(again).authorisation.encode() == first.authorisation.encode()
    with pytest.raises(Conflict, match="already has live authorisation"):
        authority.issue_online(online_request(pki, nonce=request.nonce, counter=99))
    assert count_rows(authority) == 1


def test_an_expired_live_entry_makes_way_for_a_new_one(
    authority: Authority, pki: Path, clock: Clock
) -> None:
    request = online_request(pki, now=clock.now)
    first = authority.issue_online(request)
    clock.now += 16 * 60
    second = authority.issue_online(online_request(pki, nonce=request.nonce, now=clock.now))
    assert second.recovery_id != first.recovery_id
    assert authority.ledger.get(first.recovery_id).state == "expired"


@pytest.mark.parametrize(
    ("technician", "pattern"),
    [("T-1003", "has been revoked"), ("T-1002", "not qualified to recover")],
)
def test_refused_technicians_get_nothing_and_the_refusal_is_recorded(
    authority: Authority, pki: Path, technician: str, pattern: str
) -> None:
    with pytest.raises(CertificateRefused, match=pattern) as refused:
        authority.issue_online(online_request(pki, technician))
    assert refused.value.exit_code == 1 and refused.value.next_step
    assert count_rows(authority) == 0
    events = authority.ledger.events()
    assert [(e.event, e.technician_id) for e in events] == [("refused", technician)]


def test_expired_certificate_is_refused(authority: Authority, pki: Path) -> None:
    now = int(time.time())
    enrol_technician(pki, "T-2001", not_before=now - 400 * 86400, not_after=now - 86400)
    with pytest.raises(CertificateRefused, match="expired"):
        authority.issue_online(online_request(pki, "T-2001"))


def test_certificate_from_another_key_is_refused(authority: Authority, pki: Path) -> None:
    key, genuine = load_technician(pki, "T-1001")
    forged = Certificate(**{**_fields(genuine), "signature": b""}).signed_by(
        Ed25519PrivateKey.generate()
    )
    nonce = secrets.token_bytes(16)
    request = build_online_request(
        key, forged, SERIAL, nonce, 1, challenge_digits(nonce), time.time()
    )
    with pytest.raises(CertificateRefused, match="not issued by this service authority"):
        authority.issue_online(request)
    assert authority.ledger.events() == []  # unauthenticated: nothing written


def _fields(certificate: Certificate) -> dict[str, object]:
    return {name: getattr(certificate, name) for name in Certificate.__slots__}


def test_bad_request_signature_is_refused(authority: Authority, pki: Path) -> None:
    request = online_request(pki)
    other_key = Ed25519PrivateKey.generate()
    forged = OnlineRequest(
        **{
            **{name: getattr(request, name) for name in OnlineRequest.__slots__},
            "signature": other_key.sign(request.signed_bytes()),
        }
    )
    with pytest.raises(NotAuthenticated, match="signature does not verify"):
        authority.issue_online(forged)
    tampered = OnlineRequest(
        **{
            **{name: getattr(request, name) for name in OnlineRequest.__slots__},
            "counter": request.counter + 1,
        }
    )
    with pytest.raises(NotAuthenticated):
        authority.issue_online(tampered)
    assert count_rows(authority) == 0


@pytest.mark.parametrize("offset_s", [-301, 301])
def test_stale_or_future_timestamp_is_refused(
    authority: Authority, pki: Path, clock: Clock, offset_s: int
) -> None:
    with pytest.raises(StaleRequest, match="clock"):
        authority.issue_online(online_request(pki, now=clock.now + offset_s))
    authority.issue_online(online_request(pki, now=clock.now + offset_s * 0.9))


def test_challenge_digits_must_belong_to_the_nonce(authority: Authority, pki: Path) -> None:
    key, certificate = load_technician(pki, "T-1001")
    nonce = secrets.token_bytes(16)
    other = challenge_digits(secrets.token_bytes(16))
    request = build_online_request(key, certificate, SERIAL, nonce, 1, other, time.time())
    with pytest.raises(RequestInvalid, match="do not belong"):
        authority.issue_online(request)


def test_revocation_list_is_reread_when_it_changes(authority: Authority, pki: Path) -> None:
    from protocols.recovery import RevocationList

    authority.issue_online(online_request(pki))
    crl = RevocationList(int(time.time()) + 1, int(time.time()) + 86_400, (1001, 1003)).signed_by(
        authority.keys.signing_key
    )
    (pki / "authority" / "revocations.bin").write_bytes(crl.encode())
    with pytest.raises(CertificateRefused, match="revoked"):
        authority.issue_online(online_request(pki))


# --- phone -----------------------------------------------------------------------------------


def test_phone_response_verifies_on_the_board_side(
    authority: Authority, pki: Path, clock: Clock
) -> None:
    challenge = challenge_digits(secrets.token_bytes(16))
    grouped = f"{challenge[:3]} {challenge[3:6]} {challenge[6:9]} {challenge[9]}"
    with pytest.raises(RequestInvalid, match="counter is missing"):
        authority.issue_phone(SERIAL, grouped, "T-1001")
    answer = authority.issue_phone(SERIAL, grouped, "T-1001", counter=7)
    expected = phone_response(board_secret(pki), SERIAL, challenge, 7, "T-1001")
    assert answer.response == expected and len(answer.response) == 13
    assert answer.grouped.count(" ") == 4
    entry = authority.ledger.get(answer.recovery_id)
    assert (entry.kind, entry.challenge, entry.nonce) == ("phone", challenge, None)
    assert entry.not_after >= clock.now + 600 - 1
    # the same call again reads back the same digits, without a second ledger entry
    assert authority.issue_phone(SERIAL, challenge, "T-1001", counter=7) == answer
    assert count_rows(authority) == 1


def test_misheard_challenge_digit_is_caught_before_anything_is_issued(
    authority: Authority,
) -> None:
    challenge = challenge_digits(secrets.token_bytes(16))
    misheard = challenge[:4] + str((int(challenge[4]) + 1) % 10) + challenge[5:]
    with pytest.raises(MisheardDigits, match="misheard") as error:
        authority.issue_phone(SERIAL, misheard, "T-1001", counter=1)
    assert "read the challenge" in error.value.next_step
    assert count_rows(authority) == 0


@pytest.mark.parametrize(
    ("technician", "pattern"),
    [
        ("T-1003", "revoked"),
        ("T-1002", "not qualified to recover"),
        ("T-9999", "not registered"),
    ],
)
def test_phone_path_refuses_technicians(
    authority: Authority, technician: str, pattern: str
) -> None:
    with pytest.raises(CertificateRefused, match=pattern):
        authority.issue_phone(
            SERIAL, challenge_digits(secrets.token_bytes(16)), technician, counter=1
        )
    assert count_rows(authority) == 0


# --- results and close seals -----------------------------------------------------------------


def test_result_and_close_seal(authority: Authority, pki: Path) -> None:
    request = online_request(pki, counter=12)
    issued = authority.issue_online(request)
    key, certificate = load_technician(pki, "T-1001")
    report = build_result_report(key, certificate, issued.recovery_id, "used", "", time.time())
    assert authority.report_result(report).state == "used"
    seal = seal_code(board_secret(pki), SERIAL, 12, request.challenge)
    wrong = with_check_digit(str((int(seal[:8]) + 1) % 10**8).zfill(8))
    with pytest.raises(SealRefused, match="not the one lock"):
        authority.close(SERIAL, issued.recovery_id, wrong)
    entry = authority.ledger.get(issued.recovery_id)
    assert (entry.state, entry.seal_failures) == ("used", 1)
    closed = authority.close(SERIAL, issued.recovery_id, f"{seal[:4]} {seal[4:]}")
    assert (closed.state, closed.seal) == ("closed", seal) and closed.closed_at
    assert authority.close(SERIAL, issued.recovery_id, seal).state == "closed"  # idempotent
    events = [e.event for e in authority.ledger.events(issued.recovery_id)]
    assert events == ["issued", "used", "seal-refused", "closed"]


def test_close_of_a_phone_recovery_uses_its_counter(authority: Authority, pki: Path) -> None:
    """A phone response is bound to the lock's counter, so the ledger has it for the seal."""
    challenge = challenge_digits(secrets.token_bytes(16))
    answer = authority.issue_phone(SERIAL, challenge, "T-1001", counter=4)
    with pytest.raises(SealRefused):
        authority.close(
            SERIAL, answer.recovery_id, seal_code(board_secret(pki), SERIAL, 5, challenge)
        )
    seal = seal_code(board_secret(pki), SERIAL, 4, challenge)
    assert authority.close(SERIAL, answer.recovery_id, seal).state == "closed"


def test_the_hotline_closes_a_recovery_by_the_number_the_lock_shows(
    authority: Authority, pki: Path, clock: Clock
) -> None:
    """Issue 20.7: the lock's "recovery 2" and the ledger's "recovery 1" were two numbers for
    one event. The number the lock gives the challenge names the recovery everywhere."""
    refused = authority.issue_online(online_request(pki, counter=2))
    key, certificate = load_technician(pki, "T-1001")
    report = build_result_report(key, certificate, refused.recovery_id, "refused", "", time.time())
    authority.report_result(report)
    clock.now += 3600  # past the rate window and the live authorisation's end
    request = online_request(pki, counter=2, now=clock.now)
    used = authority.issue_online(request)
    assert used.recovery_id != refused.recovery_id
    seal = seal_code(board_secret(pki), SERIAL, 2, request.challenge)
    closed = authority.close(SERIAL, None, seal, counter=2)
    assert (closed.id, closed.counter, closed.state) == (used.recovery_id, 2, "closed")
    assert authority.close(SERIAL, None, seal, counter=2).id == closed.id  # idempotent
    with pytest.raises(RecoveryNotFound) as unknown:
        authority.close(SERIAL, None, seal, counter=3)
    message = unknown.value.coded[0]
    assert isinstance(message, Message) and message.key == "authority.ledger.no_recovery_numbered"
    with pytest.raises(RequestInvalid):
        authority.close(SERIAL, None, seal)  # neither an id nor the lock's number


def test_seal_attempts_are_limited_and_serial_must_match(authority: Authority, pki: Path) -> None:
    issued = authority.issue_online(online_request(pki, counter=2))
    with pytest.raises(Exception, match="no recovery"):
        authority.close("SL-9999-0000", issued.recovery_id, with_check_digit("12345678"))
    for _ in range(3):
        with pytest.raises(SealRefused):
            authority.close(SERIAL, issued.recovery_id, with_check_digit("12345678"))
    with pytest.raises(Conflict, match="wrong seals"):
        authority.close(SERIAL, issued.recovery_id, with_check_digit("12345678"))
    with pytest.raises(MisheardDigits):
        authority.close(SERIAL, issued.recovery_id, "123456789")


# --- rate limits -----------------------------------------------------------------------------


def test_rate_limit_per_technician(authority: Authority, pki: Path, clock: Clock) -> None:
    for number in range(5):
        authority.issue_online(online_request(pki, serial=f"SL-{number}", now=clock.now))
    with pytest.raises(RateLimited, match=r"(?i)technician T-1001") as limited:
        authority.issue_online(online_request(pki, serial="SL-9", now=clock.now))
    assert 0 < limited.value.retry_after_s <= 3601
    assert count_rows(authority) == 5
    clock.now += 3601
    authority.issue_online(online_request(pki, serial="SL-9", now=clock.now))


def test_the_per_lock_quota_counts_what_the_lock_could_have_asked_for(
    authority: Authority, pki: Path
) -> None:
    """Issue 17: six requests with made-up nonces used up a lock's hourly quota, and the
    hotline then got 429 for that lock. A lock shows one challenge at a time: its quota (3
    here) counts the authorisations it took, and one per technician still waiting."""
    for technician in ("T-2002", "T-2003", "T-2004"):
        enrol_technician(pki, technician)
    service = Authority.open(pki, str(authority.ledger.engine.url.render_as_string(False)),
                             policy=authority.policy)  # fmt: skip
    try:
        for _ in range(4):  # one technician, four made-up nonces for the same lock
            service.issue_online(online_request(pki))
        assert count_rows(service) == 4
        service.issue_phone(SERIAL, challenge_digits(secrets.token_bytes(16)), "T-2002", counter=1)
        service.issue_online(online_request(pki, "T-2003"))  # phone and online alike: 3 asking
        with pytest.raises(RateLimited, match=rf"(?i)lock {SERIAL}"):
            service.issue_phone(
                SERIAL, challenge_digits(secrets.token_bytes(16)), "T-2004", counter=1
            )
    finally:
        service.shutdown()


def test_concurrent_workers_agree_on_the_limit(authority: Authority, pki: Path) -> None:
    """40 threads, each its own request: exactly the limit is issued, each once."""
    requests = [online_request(pki, serial=f"SL-{n:03d}") for n in range(40)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def ask(request: OnlineRequest) -> None:
        try:
            authority.issue_online(request)
            outcome = "issued"
        except RateLimited:
            outcome = "limited"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=ask, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["issued"] * 5 + ["limited"] * 35
    assert count_rows(authority) == 5


# --- the ledger itself -----------------------------------------------------------------------


def test_exports_hold_every_entry(authority: Authority, pki: Path) -> None:
    online = authority.issue_online(online_request(pki))
    phone = authority.issue_phone(
        SERIAL, challenge_digits(secrets.token_bytes(16)), "T-1001", counter=1
    )
    entries = authority.ledger.entries()
    rows = from_csv(to_csv(entries))
    assert [int(r["id"]) for r in rows] == [online.recovery_id, phone.recovery_id]
    assert rows[1]["kind"] == "phone" and rows[1]["nonce"] == ""
    document = json.loads(to_json(entries))
    assert document["count"] == 2
    assert document["entries"][0]["issued_at_utc"].endswith("Z")
    only_phone = authority.ledger.entries(LedgerFilter(kind="phone"))
    assert [e.id for e in only_phone] == [phone.recovery_id]


def test_migrated_schema_matches_the_models(authority: Authority) -> None:
    engine = authority.ledger.engine
    assert schema_revision(engine) == NEWEST_REVISION
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_the_newest_revision_named_in_the_code_is_alembics_head() -> None:
    """A ledger at NEWEST_REVISION opens without alembic, so a new migration must move it."""
    assert ScriptDirectory.from_config(_alembic_config()).get_heads() == [NEWEST_REVISION]


def test_a_ledger_at_an_older_schema_is_brought_to_the_newest(database_url: str) -> None:
    engine = create_ledger_engine(database_url)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    assert schema_revision(engine) == "0005"
    engine.dispose()
    engine = open_ledger_database(database_url)
    assert schema_revision(engine) == NEWEST_REVISION
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_a_current_ledger_opens_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    open_ledger_database(url).dispose()  # a new ledger: alembic creates the schema
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from safetool.authority.database import open_ledger_database; "
            f"open_ledger_database({url!r}).dispose(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert opened.stdout.strip() == "[]"


def test_in_memory_and_unknown_databases_are_refused() -> None:
    with pytest.raises(AuthorityConfigError, match="must be a file"):
        create_ledger_engine("sqlite://")
    with pytest.raises(AuthorityConfigError, match="not supported"):
        create_ledger_engine("mysql://u@h/db")


def test_keys_are_checked_when_loaded(pki: Path) -> None:
    keys = load_authority_keys(pki)
    assert "PRIVATE" not in repr(keys) and "hidden" in repr(keys.master_secret)
    (pki / "authority" / "recovery-master.key").chmod(0o644)
    with pytest.raises(AuthorityConfigError, match="readable by others"):
        load_authority_keys(pki)
    (pki / "authority" / "recovery-master.key").chmod(0o600)
    trust = json.loads((pki / "trust.json").read_text())
    trust["authority_public_key"] = "00" * 32
    (pki / "trust.json").write_text(json.dumps(trust))
    with pytest.raises(AuthorityConfigError, match="does not match"):
        load_authority_keys(pki)


def test_register_leaves_out_foreign_certificates(pki: Path) -> None:
    from safetool.authority.register import load_register

    stranger = Ed25519PrivateKey.generate()
    _, genuine = load_technician(pki, "T-1001")
    foreign = Certificate(**{**_fields(genuine), "subject_id": "T-6666"}).signed_by(stranger)
    folder = pki / "technicians" / "T-6666"
    folder.mkdir()
    (folder / "technician.cert").write_bytes(foreign.encode())
    keys = load_authority_keys(pki)
    register = load_register(pki, keys.public_key)
    assert sorted(register.by_id) == ["T-1001", "T-1002", "T-1003"]
    assert [path.parent.name for path, _ in register.rejected] == ["T-6666"]
    assert register.get("T-1001").qualifications & Qualification.RECOVER
