"""The hotline desk (issue 17, first slice) through Starlette's test client: operators are
people (Argon2 passwords, lockout, sessions that expire, roles), every form carries a CSRF
token, every action is in the append-only record, and a phone-in response issued at the desk
is the one the lock computes. Attacks are tests: wrong passwords, forms without the token or
with another operator's, an operator asking for an administrator's page, injection strings,
an expired session."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hil.plugin import BoardFactory
from protocols.recovery import (
    challenge_digits,
    device_recovery_secret,
    phone_response,
    seal_code,
)
from safetool.authority.app import create_app
from safetool.authority.keys import load_master_secret
from safetool.authority.operators import (
    LOCKOUT_S,
    MAX_FAILED_LOGINS,
    SESSION_IDLE_S,
    OperatorDesk,
)
from safetool.authority.service import Authority, AuthorityPolicy
from safetool.client import LockClient
from safetool.client.secure import SessionRefused, open_session
from safetool.identity import TechnicianIdentity
from safetool.services.devpki import init_dev_pki
from tests.cli_harness import safetool_here
from tests.unit.test_messages import latin_words

SERIAL = "SL-0000-0001"
REFUSED_LOGIN = "Wrong account, password or one-time code"
PASSWORDS = {
    "li.na": "correct horse 1",
    "wang.wei": "battery staple 2",
    "admin": "admin pass 12345",
}


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    """Each test's own PKI: a revocation publishes a new list into it."""
    folder = tmp_path / "pki"
    init_dev_pki(folder)
    return folder


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authority(pki: Path, tmp_path: Path, clock: Clock) -> Iterator[Authority]:
    opened = Authority.open(pki, f"sqlite:///{tmp_path / 'ledger.sqlite'}", clock=clock)
    desk = OperatorDesk(opened.ledger.engine, clock)
    desk.add("li.na", "Li Na", "operator", PASSWORDS["li.na"])
    desk.add("wang.wei", "Wang Wei", "operator", PASSWORDS["wang.wei"])
    desk.add("admin", "Zhao Min", "administrator", PASSWORDS["admin"])
    yield opened
    opened.shutdown()


def browser(authority: Authority, language: str = "en") -> httpx.AsyncClient:
    """A browser at the desk (over HTTPS, so the cookie's Secure flag is as behind TLS)."""
    accept = "zh-CN,zh;q=0.9" if language == "zh_CN" else "en"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(create_app(authority)),
        base_url="https://desk.test",
        headers={"accept-language": accept},
    )


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def log_in(client: httpx.AsyncClient, username: str, password: str | None = None) -> str:
    """Log in; the CSRF token of the desk page it lands on."""
    form = csrf_of((await client.get("/desk/login")).text)
    answer = await client.post(
        "/desk/login",
        data={"csrf": form, "username": username, "password": password or PASSWORDS[username]},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/desk/"
    return csrf_of((await client.get("/desk/")).text)


async def supervisor_logged_in(authority: Authority, clock: Clock) -> tuple[httpx.AsyncClient, str]:
    """A supervisor (Chen Jie) added to the desk and logged in: the browser and its CSRF token."""
    OperatorDesk(authority.ledger.engine, clock).add(
        "chen.jie", "Chen Jie", "supervisor", "supervisor pass 1"
    )
    supervisor = browser(authority)
    return supervisor, await log_in(supervisor, "chen.jie", "supervisor pass 1")


def actions(authority: Authority, clock: Clock, username: str) -> list[str]:
    return [a[2] for a in OperatorDesk(authority.ledger.engine, clock).actions(username)]


async def test_the_desk_needs_a_login_and_its_cookie_is_httponly_strict_and_secure(
    authority: Authority,
) -> None:
    client = browser(authority)
    assert (await client.get("/")).headers["location"] == "/desk/"
    assert (await client.get("/desk/")).headers["location"] == "/desk/login"
    form = csrf_of((await client.get("/desk/login")).text)
    answer = await client.post(
        "/desk/login", data={"csrf": form, "username": "li.na", "password": PASSWORDS["li.na"]}
    )
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    page = await client.get("/desk/")
    assert page.status_code == 200 and "Li Na (operator)" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_a_phone_in_response_issued_at_the_desk_is_the_one_the_lock_computes(
    authority: Authority, pki: Path, clock: Clock
) -> None:
    client = browser(authority)
    token = await log_in(client, "li.na")
    challenge = challenge_digits(secrets.token_bytes(16))
    grouped = " ".join(challenge[i : i + 4] for i in range(0, len(challenge), 4))
    page = await client.post(
        "/desk/phone",
        data={
            "csrf": token, "serial": SERIAL, "challenge": grouped,
            "technician": "T-1001", "counter": "4",
        },
    )  # fmt: skip
    assert page.status_code == 200, page.text
    secret = device_recovery_secret(load_master_secret(pki).reveal(), SERIAL)
    expected = phone_response(secret, SERIAL, challenge, 4, "T-1001")
    digits = re.search(r'id="response">([^<]+)<', page.text)
    assert digits and digits.group(1).replace(" ", "") == expected
    assert "read this response back to T-1001 for lock SL-0000-0001" in page.text
    assert "Region" in page.text and "recover" in page.text  # the technician's card
    (entry,) = authority.ledger.entries()
    assert (entry.serial, entry.technician_id, entry.kind) == (SERIAL, "T-1001", "phone")
    assert "phone_response" in actions(authority, clock, "li.na")


async def test_a_misheard_challenge_digit_is_refused_in_the_operators_language(
    authority: Authority, clock: Clock
) -> None:
    client = browser(authority, "zh_CN")
    token = await log_in(client, "wang.wei")
    challenge = challenge_digits(secrets.token_bytes(16))
    misheard = challenge[:2] + str((int(challenge[2]) + 1) % 10) + challenge[3:]
    page = await client.post(
        "/desk/phone",
        data={
            "csrf": token, "serial": SERIAL, "challenge": misheard,
            "technician": "T-1001", "counter": "1",
        },
    )  # fmt: skip
    assert page.status_code == 422
    assert "未签发" in page.text and "电话恢复" in page.text
    shown = re.sub(r"<[^>]+>|SL-\d{4}-\d{4}|T-\d+|\d+", " ", page.text.split("<main>")[1])
    assert not latin_words(shown.replace("&#39;", "'")), shown
    assert authority.ledger.entries() == []
    assert actions(authority, clock, "wang.wei")[-1] == "phone_refused"


async def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    authority: Authority, clock: Clock
) -> None:
    client = browser(authority)
    for _ in range(MAX_FAILED_LOGINS):
        form = csrf_of((await client.get("/desk/login")).text)
        answer = await client.post(
            "/desk/login", data={"csrf": form, "username": "li.na", "password": "guess"}
        )
        assert answer.status_code == 401 and REFUSED_LOGIN in answer.text
    form = csrf_of((await client.get("/desk/login")).text)
    answer = await client.post(
        "/desk/login", data={"csrf": form, "username": "li.na", "password": PASSWORDS["li.na"]}
    )
    assert answer.status_code == 401 and "locked for 15 more minutes" in answer.text
    unknown = await client.post(
        "/desk/login",
        data={
            "csrf": csrf_of((await client.get("/desk/login")).text),
            "username": "nobody",
            "password": "x",
        },
    )
    assert REFUSED_LOGIN in unknown.text  # never says which names exist
    clock.now += LOCKOUT_S + 1
    await log_in(client, "li.na")
    assert actions(authority, clock, "li.na").count("login_failed") == MAX_FAILED_LOGINS


async def test_a_form_without_the_token_or_with_another_operators_does_nothing(
    authority: Authority,
) -> None:
    li, wang = browser(authority), browser(authority)
    await log_in(li, "li.na")
    wang_token = await log_in(wang, "wang.wei")
    fields = {"serial": SERIAL, "challenge": "1", "technician": "T-1001", "counter": "1"}
    for data in (fields, {**fields, "csrf": wang_token}, {**fields, "csrf": ""}):
        page = await li.post("/desk/phone", data=data)
        assert page.status_code == 403 and "security token" in page.text
    login = browser(authority)
    await login.get("/desk/login")
    answer = await login.post(
        "/desk/login", data={"csrf": "forged", "username": "li.na", "password": PASSWORDS["li.na"]}
    )
    assert answer.status_code == 403
    assert "safetool_desk=" not in answer.headers.get("set-cookie", "")  # no session opened
    assert authority.ledger.entries() == []


async def test_an_operator_cannot_open_an_administrators_page(
    authority: Authority, clock: Clock
) -> None:
    operator, admin = browser(authority), browser(authority)
    await log_in(operator, "li.na")
    page = await operator.get("/desk/operators")
    assert page.status_code == 403 and "administrator" in page.text
    assert actions(authority, clock, "li.na")[-1] == "refused"
    await log_in(admin, "admin")
    page = await admin.get("/desk/operators")
    assert page.status_code == 200 and "Wang Wei" in page.text and "Li Na" in page.text


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE authorisations; --",
        '" onmouseover="alert(1)',
        "SL-0000-0001' OR '1'='1",
    ],
)
async def test_injection_strings_are_escaped_and_never_executed(
    authority: Authority, attack: str
) -> None:
    client = browser(authority)
    token = await log_in(client, "li.na")
    page = await client.post(
        "/desk/phone",
        data={"csrf": token, "serial": attack, "challenge": attack, "technician": attack,
              "counter": attack},
    )  # fmt: skip
    assert page.status_code in (400, 404, 422), page.text
    assert attack not in page.text  # shown escaped, if at all
    assert "<script>alert" not in page.text
    with authority.ledger.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM authorisations")).scalar() == 0
    answer = await client.post(
        "/desk/login",
        data={"csrf": csrf_of((await client.get("/desk/login")).text), "username": attack,
              "password": attack},
    )  # fmt: skip
    assert answer.status_code == 401 and attack not in answer.text


async def test_a_session_left_idle_expires_and_a_logout_ends_it_everywhere(
    authority: Authority, clock: Clock
) -> None:
    client = browser(authority)
    token = await log_in(client, "li.na")
    clock.now += SESSION_IDLE_S + 1
    assert (await client.get("/desk/")).headers["location"] == "/desk/login"
    token = await log_in(client, "li.na")
    stolen = client.cookies.get("safetool_desk")
    assert (await client.post("/desk/logout", data={"csrf": token})).status_code == 303
    thief = browser(authority)
    thief.cookies.set("safetool_desk", stolen or "", domain="desk.test")
    assert (await thief.get("/desk/")).headers["location"] == "/desk/login"
    record = actions(authority, clock, "li.na")
    assert record[-4:] == ["logged_in", "session_expired", "logged_in", "logged_out"]


async def test_the_operator_record_is_append_only(authority: Authority, clock: Clock) -> None:
    await log_in(browser(authority), "li.na")
    with authority.ledger.engine.connect() as connection:
        for statement in (
            "UPDATE operator_actions SET action = 'x'",
            "DELETE FROM operator_actions",
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
    assert "logged_in" in actions(authority, clock, "li.na")


async def test_no_page_shows_the_keys_or_a_password_hash(authority: Authority, pki: Path) -> None:
    client = browser(authority)
    await log_in(client, "admin")
    secret = load_master_secret(pki).reveal().hex()
    for path in ("/desk/", "/desk/operators", "/desk/login"):
        page = (await client.get(path)).text
        assert secret not in page and "$argon2" not in page


# --- close seals and the ledger ----------------------------------------------------------------


async def _issued(client: httpx.AsyncClient, token: str, serial: str, counter: int) -> str:
    """A phone-in response issued at the desk; the challenge it answered."""
    challenge = challenge_digits(secrets.token_bytes(16))
    page = await client.post(
        "/desk/phone",
        data={"csrf": token, "serial": serial, "challenge": challenge,
              "technician": "T-1001", "counter": str(counter)},
    )  # fmt: skip
    assert page.status_code == 200, page.text
    return challenge


async def test_a_close_seal_read_over_the_phone_closes_the_recovery_and_a_wrong_one_does_not(
    authority: Authority, pki: Path, clock: Clock
) -> None:
    client = browser(authority)
    token = await log_in(client, "li.na")
    challenge = await _issued(client, token, SERIAL, 7)
    clock.now += 2 * 3600  # no seal for two hours: listed for a call-back
    token = await log_in(client, "li.na")  # (the desk was left idle: logged out meanwhile)
    page = await client.get("/desk/seals")
    assert "Waiting for a close seal (call back): 1" in page.text and SERIAL in page.text
    secret = device_recovery_secret(load_master_secret(pki).reveal(), SERIAL)
    seal = seal_code(secret, SERIAL, 7, challenge)
    wrong = seal[:-2] + str((int(seal[-2]) + 1) % 10) + seal[-1]
    page = await client.post(
        "/desk/seals", data={"csrf": token, "serial": SERIAL, "recovery": "7", "seal": wrong}
    )
    assert page.status_code in (403, 422) and "Not recorded." in page.text
    page = await client.post(
        "/desk/seals", data={"csrf": token, "serial": SERIAL, "recovery": "7", "seal": seal}
    )
    assert page.status_code == 200, page.text
    assert "is closed: the seal is right" in page.text
    assert "Waiting for a close seal (call back): 0" in page.text
    (entry,) = authority.ledger.entries()
    assert entry.state == "closed"
    assert actions(authority, clock, "li.na")[-2:] == ["seal_refused", "seal_verified"]


async def test_the_ledger_is_searched_counted_and_exported_by_supervisors_only(
    authority: Authority, clock: Clock
) -> None:
    desk = OperatorDesk(authority.ledger.engine, clock)
    desk.add("chen.jie", "Chen Jie", "supervisor", "supervisor pass 1")
    client = browser(authority, "zh_CN")
    token = await log_in(client, "li.na")
    for number, serial in enumerate((SERIAL, "SL-0000-0002", SERIAL), start=1):
        await _issued(client, token, serial, number)
    page = await client.get("/desk/ledger", params={"serial": SERIAL})
    assert page.status_code == 200 and "共 2 条恢复记录" in page.text
    assert "<svg" in page.text and "每日恢复次数" in page.text and "各地区恢复次数" in page.text
    assert page.text.count("<tr><td>") == 2
    bad = await client.get("/desk/ledger", params={"state": "<b>open</b>"})
    assert bad.status_code == 400 and "<b>open</b>" not in bad.text
    refused = await client.get("/desk/ledger.csv")
    assert refused.status_code == 403 and "主管" in refused.text
    supervisor = browser(authority)
    await log_in(supervisor, "chen.jie", "supervisor pass 1")
    export = await supervisor.get("/desk/ledger.csv", params={"serial": SERIAL})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    assert len(export.text.strip().splitlines()) == 3  # the header and two recoveries
    assert actions(authority, clock, "chen.jie")[-1] == "ledger_exported"
    assert actions(authority, clock, "li.na")[-1] == "refused"


# --- technicians: enrolled from their own request, suspended, revoked --------------------------


async def _enrolled_at_the_desk(
    authority: Authority, clock: Clock, tmp_path: Path
) -> tuple[httpx.AsyncClient, str, Path]:
    """T-2001 makes a key and a request with the CLI; a supervisor enrols it; the certificate
    goes into the technician's folder beside the key. (supervisor browser, CSRF token, folder)"""
    folder = tmp_path / "t-2001"
    code, _, err = await safetool_here(
        "technician", "request", "T-2001", "--name", "Zhang Wei", "--region", "Qingdao",
        "--folder", str(folder),
    )  # fmt: skip
    assert code == 0, err
    assert (folder / "technician.key").stat().st_mode & 0o077 == 0
    supervisor, token = await supervisor_logged_in(authority, clock)
    page = await supervisor.post(
        "/desk/technicians",
        data={
            "csrf": token, "request": (folder / "enrolment-request.json").read_text(),
            "q_diagnose": "1", "q_recover": "1", "validity_days": "365",
        },
    )  # fmt: skip
    assert page.status_code == 200, page.text
    assert "T-2001 is enrolled" in page.text
    cert = await supervisor.get("/desk/technicians/T-2001/certificate")
    (folder / "technician.cert").write_bytes(cert.content)
    pki = Path(authority.keys.pki)
    shutil.copyfile(pki / "trust.json", folder / "trust.json")
    shutil.copyfile(pki / "authority" / "revocations.bin", folder / "revocations.bin")
    return supervisor, token, folder


async def _phone(client: httpx.AsyncClient, token: str, technician: str) -> httpx.Response:
    return await client.post(
        "/desk/phone",
        data={"csrf": token, "serial": SERIAL, "technician": technician, "counter": "1",
              "challenge": challenge_digits(secrets.token_bytes(16))},
    )  # fmt: skip


async def test_a_technician_enrolled_from_their_own_request_is_served_without_a_restart(
    authority: Authority, clock: Clock, tmp_path: Path
) -> None:
    supervisor, token, folder = await _enrolled_at_the_desk(authority, clock, tmp_path)
    me = TechnicianIdentity.load(folder)  # their own key, the desk's certificate
    assert (me.certificate.name, me.certificate.region) == ("Zhang Wei", "Qingdao")
    assert me.certificate.qualifications.names() == ["diagnose", "recover"]
    operator = browser(authority)
    desk_token = await log_in(operator, "li.na")
    assert (await _phone(operator, desk_token, "T-2001")).status_code == 200
    assert (await operator.get("/desk/technicians")).status_code == 403  # supervisors only
    await supervisor.post("/desk/technicians/T-2001/suspend", data={"csrf": token})
    suspended = await _phone(operator, desk_token, "T-2001")
    assert suspended.status_code == 403 and "suspended" in suspended.text
    await supervisor.post("/desk/technicians/T-2001/reinstate", data={"csrf": token})
    assert (await _phone(operator, desk_token, "T-2001")).status_code == 200
    assert actions(authority, clock, "chen.jie")[-3:] == [
        "technician_enrolled", "technician_suspended", "technician_active"
    ]  # fmt: skip


async def test_a_forged_or_second_request_is_refused(
    authority: Authority, clock: Clock, tmp_path: Path
) -> None:
    supervisor, token, folder = await _enrolled_at_the_desk(authority, clock, tmp_path)
    document = json.loads((folder / "enrolment-request.json").read_text())
    again = await supervisor.post(
        "/desk/technicians",
        data={"csrf": token, "request": json.dumps(document), "validity_days": "30"},
    )
    assert again.status_code == 400 and "registered already" in again.text
    forged = {**document, "technician_id": "T-2002"}  # the proof no longer matches
    page = await supervisor.post(
        "/desk/technicians",
        data={"csrf": token, "request": json.dumps(forged), "validity_days": "30"},
    )
    assert page.status_code == 400 and "not signed with the key it names" in page.text
    taken = {**document, "technician_id": "T-1001"}
    page = await supervisor.post(
        "/desk/technicians", data={"csrf": token, "request": json.dumps(taken)}
    )
    assert page.status_code == 400


async def test_a_revoked_technician_is_refused_by_the_desk_and_by_a_lock_given_the_new_list(
    authority: Authority, clock: Clock, tmp_path: Path, board_factory: BoardFactory
) -> None:
    supervisor, token, folder = await _enrolled_at_the_desk(authority, clock, tmp_path)
    pki = Path(authority.keys.pki)
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        await open_session(client, TechnicianIdentity.load(folder))  # the lock takes them
    page = await supervisor.post("/desk/technicians/T-2001/revoke", data={"csrf": token})
    assert page.status_code == 200 and "revoked" in page.text
    published = (await supervisor.get("/v1/revocations")).json()
    serial = TechnicianIdentity.load(folder).certificate.serial_number
    assert serial in published["serials"]
    listing = (await supervisor.get("/desk/technicians")).text
    assert f"{len(published['serials'])} certificates revoked" in listing
    refused = await _phone(supervisor, token, "T-2001")
    assert refused.status_code == 403 and "revoked" in refused.text
    undo = await supervisor.post("/desk/technicians/T-2001/reinstate", data={"csrf": token})
    assert undo.status_code == 400 and "not undone" in undo.text
    colleague = tmp_path / "t-1001"  # another technician's tool carries the new list
    shutil.copytree(pki / "technicians" / "T-1001", colleague)
    (colleague / "revocations.bin").write_bytes(bytes.fromhex(published["revocations"]))
    async with await LockClient.connect(board.port) as client:
        await open_session(client, TechnicianIdentity.load(colleague))
        with pytest.raises(SessionRefused, match=r"REVOKED|revoked"):
            await open_session(client, TechnicianIdentity.load(folder))


async def test_an_account_with_a_second_factor_needs_its_one_time_code_once(
    authority: Authority, clock: Clock
) -> None:
    desk = OperatorDesk(authority.ledger.engine, clock)
    uri = desk.enable_totp("li.na")
    assert uri.startswith("otpauth://totp/") and "li.na" in uri
    code = pyotp.parse_uri(uri).at(clock.now)  # what the operator's authenticator shows
    client = browser(authority)
    for wrong in ("", "000000" if code != "000000" else "111111"):
        form = csrf_of((await client.get("/desk/login")).text)
        answer = await client.post(
            "/desk/login",
            data={"csrf": form, "username": "li.na", "password": PASSWORDS["li.na"], "code": wrong},
        )
        assert answer.status_code == 401 and "one-time code" in answer.text
    form = csrf_of((await client.get("/desk/login")).text)
    answer = await client.post(
        "/desk/login",
        data={"csrf": form, "username": "li.na", "password": PASSWORDS["li.na"], "code": code},
    )
    assert answer.status_code == 303
    replay = browser(authority)  # the same code again, from another browser: taken already
    form = csrf_of((await replay.get("/desk/login")).text)
    answer = await replay.post(
        "/desk/login",
        data={"csrf": form, "username": "li.na", "password": PASSWORDS["li.na"], "code": code},
    )
    assert answer.status_code == 401
    clock.now += 30
    await log_in_with_code(replay, "li.na", pyotp.parse_uri(uri).at(clock.now))


async def log_in_with_code(client: httpx.AsyncClient, username: str, code: str) -> None:
    form = csrf_of((await client.get("/desk/login")).text)
    answer = await client.post(
        "/desk/login",
        data={"csrf": form, "username": username, "password": PASSWORDS[username], "code": code},
    )
    assert answer.status_code == 303, answer.text


async def test_looking_up_first_shows_the_card_the_recent_recoveries_and_a_coming_refusal(
    authority: Authority, clock: Clock
) -> None:
    client = browser(authority)
    token = await log_in(client, "li.na")
    await _issued(client, token, SERIAL, 1)
    page = await client.post(
        "/desk/look-up",
        data={"csrf": token, "serial": SERIAL, "technician": "T-1001", "challenge": "12 34"},
    )
    assert page.status_code == 200
    lookup = page.text.split('id="lookup"')[1].split("</section>")[0]
    assert "Li Wei (T-1001)" in lookup and "Region" in lookup
    assert "The technician&#39;s recent recoveries" in lookup and "#1" in lookup
    assert "5 more may be issued this hour." in lookup  # the lock's 6, less one
    assert 'value="12 34"' in page.text  # what was typed stays
    unknown = await client.post(
        "/desk/look-up", data={"csrf": token, "serial": SERIAL, "technician": "T-9999"}
    )
    assert "An authorisation would be refused" in unknown.text and "T-9999" in unknown.text
    assert len(authority.ledger.entries()) == 1  # looking up issued nothing
    forged = await client.post("/desk/look-up", data={"serial": SERIAL, "technician": "T-1001"})
    assert forged.status_code == 403


# --- who may recover what: the lock register ---------------------------------------------------


async def test_a_registered_lock_is_recovered_only_by_technicians_of_its_region(
    authority: Authority, clock: Clock
) -> None:
    supervisor, token = await supervisor_logged_in(authority, clock)
    for serial, region in ((SERIAL, "Qingdao"), ("SL-0000-0002", "Shanghai")):
        page = await supervisor.post(
            "/desk/locks", data={"csrf": token, "serial": serial, "region": region,
                                 "contract": "Bank of Qingdao 2026"},
        )  # fmt: skip
        assert page.status_code == 200 and f"Lock {serial} is registered in {region}" in page.text
    operator = browser(authority, "zh_CN")
    desk_token = await log_in(operator, "li.na")
    assert (await operator.get("/desk/locks")).status_code == 403  # supervisors only
    refused = await _phone_for(operator, desk_token, SERIAL)  # T-1001 works in Shanghai
    assert refused.status_code == 403 and "登记在 Qingdao" in refused.text
    looked = await operator.post(
        "/desk/look-up", data={"csrf": desk_token, "serial": SERIAL, "technician": "T-1001"}
    )
    assert "签发授权将被拒绝" in looked.text and "Qingdao" in looked.text
    assert (await _phone_for(operator, desk_token, "SL-0000-0002")).status_code == 200
    assert (await _phone_for(operator, desk_token, "SL-0000-0009")).status_code == 200  # unlisted
    assert [e.serial for e in authority.ledger.entries()] == ["SL-0000-0002", "SL-0000-0009"]


async def test_a_technician_on_a_locks_service_contract_recovers_it_from_another_region(
    authority: Authority, clock: Clock
) -> None:
    supervisor, token = await supervisor_logged_in(authority, clock)
    contract = "Bank of Qingdao 2026"
    await supervisor.post(
        "/desk/locks",
        data={"csrf": token, "serial": SERIAL, "region": "Qingdao", "contract": contract},
    )
    operator = browser(authority)
    desk_token = await log_in(operator, "li.na")
    refused = await _phone_for(operator, desk_token, SERIAL)  # T-1001 works in Shanghai
    assert refused.status_code == 403 and f"is not on service contract {contract}" in refused.text
    # operators may not put technicians on contracts, nor may a form without its token
    assert (
        await operator.post(
            "/desk/locks/contracts",
            data={"csrf": desk_token, "contract": contract, "technician": "T-1001"},
        )
    ).status_code == 403
    assert (
        await supervisor.post(
            "/desk/locks/contracts", data={"contract": contract, "technician": "T-1001"}
        )
    ).status_code == 403
    assert authority.locks is not None and not authority.locks.serves("T-1001", contract)

    page = await supervisor.post(
        "/desk/locks/contracts", data={"csrf": token, "contract": contract, "technician": "T-1001"}
    )
    assert page.status_code == 200 and f"T-1001 is now on contract {contract}" in page.text
    again = await supervisor.post(
        "/desk/locks/contracts", data={"csrf": token, "contract": contract, "technician": "T-1001"}
    )
    assert again.status_code == 400 and "is on contract" in again.text
    assert (await _phone_for(operator, desk_token, SERIAL)).status_code == 200
    assert [e.serial for e in authority.ledger.entries()] == [SERIAL]

    removed = await supervisor.post(
        "/desk/locks/contracts/remove",
        data={"csrf": token, "contract": contract, "technician": "T-1001"},
    )
    assert removed.status_code == 200 and "no longer on contract" in removed.text
    assert (await _phone_for(operator, desk_token, "SL-0000-0001")).status_code == 403
    actions = [action for _, _, action, _ in OperatorDesk(authority.ledger.engine, clock).actions()]
    assert "contract_assigned" in actions and "contract_unassigned" in actions


async def test_a_centre_with_a_complete_register_issues_for_registered_locks_only(
    pki: Path, tmp_path: Path, clock: Clock
) -> None:
    strict = Authority.open(
        pki, f"sqlite:///{tmp_path / 'strict.sqlite'}", clock=clock,
        policy=AuthorityPolicy(registered_locks_only=True),
    )  # fmt: skip
    try:
        OperatorDesk(strict.ledger.engine, clock).add(
            "li.na", "Li Na", "operator", PASSWORDS["li.na"]
        )
        assert strict.locks is not None
        strict.locks.add("SL-0000-0002", "Shanghai", "", "test")
        client = browser(strict)
        token = await log_in(client, "li.na")
        refused = await _phone_for(client, token, SERIAL)
        assert refused.status_code == 403 and "not in the service centre" in refused.text
        assert (await _phone_for(client, token, "SL-0000-0002")).status_code == 200
    finally:
        strict.shutdown()


async def _phone_for(client: httpx.AsyncClient, token: str, serial: str) -> httpx.Response:
    return await client.post(
        "/desk/phone",
        data={"csrf": token, "serial": serial, "technician": "T-1001", "counter": "1",
              "challenge": challenge_digits(secrets.token_bytes(16))},
    )  # fmt: skip


async def test_sessions_left_to_expire_are_cleared_when_others_log_in(
    authority: Authority, clock: Clock
) -> None:
    await log_in(browser(authority), "li.na")  # and never comes back
    clock.now += SESSION_IDLE_S + 1
    await log_in(browser(authority), "wang.wei")
    with authority.ledger.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM operator_sessions")).scalar() == 1


async def test_operator_passwords_are_stored_with_argon2id_at_its_recommended_cost(
    authority: Authority, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk's real hasher (the other tests use a quick one): Argon2id with RFC 9106's
    second recommended profile, 64 MiB, three passes, four lanes; and a login checks it."""
    monkeypatch.undo()  # the quick hasher of tests/conftest.py
    OperatorDesk(authority.ledger.engine, clock).add(
        "chen.jie", "Chen Jie", "supervisor", "supervisor pass 1"
    )
    with authority.ledger.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT password_hash FROM operators WHERE username = 'chen.jie'")
        ).scalar()
    assert str(stored).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "supervisor pass 1" not in str(stored)
    await log_in(browser(authority), "chen.jie", "supervisor pass 1")
