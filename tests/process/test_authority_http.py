"""The authority's HTTP API through a real uvicorn server on loopback and the tool's client."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from protocols.recovery import (
    challenge_digits,
    device_recovery_secret,
    phone_response,
    seal_code,
)
from safetool.authority.client import AuthorityClient
from safetool.authority.devpostgres import (
    PostgresUnavailable,
    ThrowawayPostgres,
    start_throwaway_postgres,
)
from safetool.authority.enrol import load_technician
from safetool.authority.errors import (
    AuthorityUnavailable,
    CertificateRefused,
    MisheardDigits,
    NotAuthenticated,
    RateLimited,
    SealRefused,
)
from safetool.authority.export import from_csv
from safetool.authority.keys import load_master_secret
from safetool.authority.ledger import RateLimits
from safetool.authority.server import running
from safetool.authority.service import Authority, AuthorityPolicy
from safetool.authority.wire import build_online_request, error_from_json
from safetool.messages import Message
from safetool.services.devpki import init_dev_pki
from tests.unit.test_messages import latin_words

SERIAL = "SL-0000-0001"
TOKEN = "operator-" + "x" * 24
LIMIT = 20


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


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    init_dev_pki(folder)
    return folder


def _authority(pki: Path, url: str) -> Authority:
    return Authority.open(
        pki, url, policy=AuthorityPolicy(limits=RateLimits(per_technician=LIMIT, per_lock=LIMIT))
    )


@pytest_asyncio.fixture
async def served(pki: Path) -> AsyncIterator[tuple[Authority, str]]:
    authority = _authority(pki, f"sqlite:///{pki / 'authority' / 'ledger.sqlite'}")
    async with running(authority, operator_token=TOKEN) as url:
        yield authority, url
    authority.shutdown()


def _challenge() -> tuple[bytes, str]:
    nonce = secrets.token_bytes(16)
    return nonce, challenge_digits(nonce)


# --- the technician's path -------------------------------------------------------------------


async def test_online_recovery_end_to_end(served: tuple[Authority, str], pki: Path) -> None:
    authority, url = served
    key, certificate = load_technician(pki, "T-1001")
    nonce, challenge = _challenge()
    async with AuthorityClient(url) as client:
        health = await client.health()
        assert health["ok"] and health["technicians"] == 3
        issued = await client.authorise(
            key,
            certificate,
            SERIAL,
            nonce,
            5,
            challenge,
            authority_key=authority.keys.public_key,
        )
        assert issued.authorisation.nonce == nonce
        entry = await client.report_result(key, certificate, issued.recovery_id, "used")
        assert entry["state"] == "used"
        secret = bytes.fromhex((pki / "boards" / SERIAL / "recovery.secret").read_text())
        seal = seal_code(secret, SERIAL, 5, challenge)
        with pytest.raises(SealRefused):
            await client.close(
                SERIAL, issued.recovery_id, "000000000", technician_key=key, certificate=certificate
            )
        closed = await client.close(
            SERIAL, issued.recovery_id, seal, technician_key=key, certificate=certificate
        )
        assert closed["state"] == "closed"
        crl = await client.revocations(authority_key=authority.keys.public_key)
        assert crl.serials == (1003,)


async def test_refusals_come_back_as_the_same_errors(
    served: tuple[Authority, str], pki: Path
) -> None:
    _, url = served
    nonce, challenge = _challenge()
    async with AuthorityClient(url) as client:
        key, certificate = load_technician(pki, "T-1003")
        with pytest.raises(CertificateRefused, match="revoked") as refused:
            await client.authorise(key, certificate, SERIAL, nonce, 1, challenge)
        assert refused.value.exit_code == 1 and refused.value.next_step
        # coded across the wire: the technician reads the authority's refusal in Chinese
        message, meaning, next_step = refused.value.coded
        assert isinstance(message, Message) and message.key == "authority.certificate.revoked"
        assert isinstance(next_step, Message) and isinstance(meaning, Message)
        chinese = refused.value.explain("zh_CN")
        assert "已被吊销" in chinese and not latin_words(chinese.replace("T-1003", ""))
        other_key, _ = load_technician(pki, "T-1001")
        with pytest.raises(NotAuthenticated):
            await client.authorise(other_key, certificate, SERIAL, nonce, 1, challenge)


@pytest.mark.parametrize(
    "codes",
    [
        {"message": {"code": "authority.certificate.revoked", "params": {}}},  # values missing
        {"message": {"code": "no.such.key", "params": {}}},
        {"message": {"code": "authority.rate.lock", "params": {"lock": {"code": 5}}}},
        {"message": "authority.nothing_issued"},
        [1, 2],
    ],
)
def test_a_coded_error_from_elsewhere_is_used_only_when_it_can_be_worded(codes: object) -> None:
    """A body from an older, newer or hostile authority: its plain text is shown instead."""
    error = error_from_json(
        403, {"error": "CertificateRefused", "message": "refused", "codes": codes}
    )
    assert isinstance(error, CertificateRefused)
    assert error.explain("zh_CN") == "refused" and error.message == "refused"


async def test_error_bodies_and_status_codes(served: tuple[Authority, str], pki: Path) -> None:
    _, url = served
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/v1/authorisations", content=b"not json")
        assert response.status_code == 400
        assert set(response.json()) >= {"error", "message", "next_step"}
        response = await http.post("/v1/authorisations", json={"serial": 5})
        assert response.status_code == 400 and "serial" in response.json()["message"]
        response = await http.post("/v1/authorisations", content=b"{" + b" " * 20000 + b"}")
        assert response.status_code == 400 and "larger" in response.json()["message"]
        response = await http.get("/v1/nothing-here")
        assert response.status_code == 404 and response.json()["error"] == "NotFound"
        # issue 19, finding 8: these were 500s before any signature was checked
        nested = b"[" * 5000 + b"]" * 5000
        for path in ("/v1/authorisations", "/v1/time"):
            response = await http.post(path, content=nested)
            assert response.status_code == 400, (path, response.text)
        for body in (b'{"serial": "SL-\\ud800"}', b'{"serial": "\\udfff-0001"}'):
            response = await http.post("/v1/time", content=body)
            assert response.status_code == 400 and "serial" in response.json()["message"]
        response = await http.post("/v1/time", json={"serial": SERIAL})
        assert response.status_code == 200 and response.json()["serial"] == SERIAL
        key, certificate = load_technician(pki, "T-1001")
        nonce, challenge = _challenge()
        stale = build_online_request(
            key, certificate, SERIAL, nonce, 1, challenge, time.time() - 3600
        )
        response = await http.post("/v1/authorisations", json=stale.to_json())
        assert response.status_code == 403 and response.json()["error"] == "StaleRequest"


# --- the operator's path ---------------------------------------------------------------------


async def test_operator_endpoints_need_the_token(served: tuple[Authority, str], pki: Path) -> None:
    authority, url = served
    _, challenge = _challenge()
    async with AuthorityClient(url) as anonymous:
        with pytest.raises(Exception, match="operator token"):
            await anonymous.phone_response(SERIAL, challenge, "T-1001")
    async with AuthorityClient(url, operator_token="wrong-" + TOKEN) as wrong:
        with pytest.raises(NotAuthenticated, match="operator token"):
            await wrong.phone_response(SERIAL, challenge, "T-1001")
        with pytest.raises(NotAuthenticated):
            await wrong.ledger()
    async with AuthorityClient(url, operator_token=TOKEN) as operator:
        with pytest.raises(MisheardDigits):
            misheard = challenge[:2] + str((int(challenge[2]) + 1) % 10) + challenge[3:]
            await operator.phone_response(SERIAL, misheard, "T-1001")
        answer = await operator.phone_response(SERIAL, challenge, "T-1001", counter=3)
        secret = device_recovery_secret(load_master_secret(pki).reveal(), SERIAL)
        assert answer.response == phone_response(secret, SERIAL, challenge, 3, "T-1001")
        seal = seal_code(secret, SERIAL, 3, challenge)
        closed = await operator.close(SERIAL, answer.recovery_id, seal)
        assert closed["state"] == "closed"
        entries = await operator.ledger(kind="phone")
        assert [e["id"] for e in entries] == [answer.recovery_id]
        rows = from_csv(await operator.ledger_csv())
        assert rows[0]["state"] == "closed" and rows[0]["issued_via"] == "operator-api"
    assert authority.ledger.get(answer.recovery_id).seal == seal


async def test_operator_endpoints_are_off_without_a_token(pki: Path) -> None:
    authority = _authority(pki, f"sqlite:///{pki / 'authority' / 'ledger.sqlite'}")
    try:
        async with running(authority) as url, AuthorityClient(url, operator_token=TOKEN) as client:
            with pytest.raises(NotAuthenticated, match="switched off"):
                await client.ledger()
            assert (await client.health())["operator_endpoints"] is False
    finally:
        authority.shutdown()


async def test_unreachable_authority_is_a_clear_error(pki: Path) -> None:
    async with AuthorityClient("http://127.0.0.1:9", timeout_s=2) as client:
        with pytest.raises(AuthorityUnavailable, match=r"(?i)cannot reach") as error:
            await client.health()
    assert error.value.exit_code == 2 and "phone" in error.value.next_step


# --- a flood ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def flood_database(request: pytest.FixtureRequest, pki: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{pki / 'authority' / 'ledger.sqlite'}"
    server: ThrowawayPostgres = request.getfixturevalue("postgres")
    return server.create_database(f"flood_{uuid.uuid4().hex[:12]}")


async def test_request_flood_holds_the_rate_limit_and_the_ledger(
    pki: Path, flood_database: str
) -> None:
    """200 concurrent requests from one technician: LIMIT issued, each once; no 5xx."""
    authority = _authority(pki, flood_database)
    key, certificate = load_technician(pki, "T-1001")
    requests = []
    for number in range(200):
        nonce, challenge = _challenge()
        serial = f"SL-{number:04d}"
        requests.append(
            build_online_request(key, certificate, serial, nonce, 1, challenge, time.time())
        )
    first, requests = requests[0], requests[1:]
    # the first request is answered, then repeated 20 times in the flood: one ledger entry
    requests += [first] * 20
    try:
        async with (
            running(authority, operator_token=TOKEN) as url,
            httpx.AsyncClient(
                base_url=url, limits=httpx.Limits(max_connections=250), timeout=60
            ) as http,
        ):
            answer = (await http.post("/v1/authorisations", json=first.to_json())).json()
            responses = await asyncio.gather(
                *(http.post("/v1/authorisations", json=r.to_json()) for r in requests)
            )
            ledger = (
                await http.get("/v1/ledger", headers={"Authorization": f"Bearer {TOKEN}"})
            ).json()
    finally:
        authority.shutdown()
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}, statuses
    ok = [r.json() for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(ok) == LIMIT - 1 + 20 and len(limited) == 200 - LIMIT
    assert all(int(r.headers["retry-after"]) > 0 for r in limited)
    assert all(r.json()["error"] == "RateLimited" for r in limited)
    issued_ids = {answer["recovery_id"]} | {a["recovery_id"] for a in ok}
    assert len(issued_ids) == LIMIT
    ledger_ids = [entry["id"] for entry in ledger["entries"]]
    assert sorted(ledger_ids) == sorted(issued_ids)  # each issued authorisation exactly once
    assert len({entry["serial"] for entry in ledger["entries"]}) == LIMIT
    repeats = [a for a in ok if a["recovery_id"] == answer["recovery_id"]]
    assert len(repeats) == 20 and all(a == answer for a in repeats)


async def test_client_reports_rate_limits_with_retry_after(
    served: tuple[Authority, str], pki: Path
) -> None:
    _, url = served
    key, certificate = load_technician(pki, "T-1001")
    async with AuthorityClient(url) as client:
        for _ in range(LIMIT):
            nonce, challenge = _challenge()
            await client.authorise(key, certificate, SERIAL, nonce, 1, challenge)
        nonce, challenge = _challenge()
        with pytest.raises(RateLimited, match=f"has had {LIMIT} authorisations") as limited:
            await client.authorise(key, certificate, SERIAL, nonce, 1, challenge)
    assert 3000 < limited.value.retry_after_s <= 3601 and limited.value.exit_code == 1


async def test_missing_operator_header_is_refused(served: tuple[Authority, str]) -> None:
    _, url = served
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/v1/ledger")
        assert response.status_code == 401 and response.json()["error"] == "NotAuthenticated"
        response = await http.post("/v1/recoveries/1/close", json={"serial": SERIAL, "seal": "1"})
        assert response.status_code == 401
