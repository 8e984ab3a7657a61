"""What the lock checks again at every privileged request (SPEC.md 11.3, 11.8): that its
revocation list is not past its next update, and that the session's certificate is still valid
— the tool and the board in one loop, days passing on the board's clock in no time."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.plugin import BoardFactory
from protocols.certificates import raw_public
from protocols.trust_messages import ConfigGetRequest, ConfigResponse
from safetool.client import LockClient, LockRefused
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.messages import Message
from safetool.services.configure import read_policy
from safetool.services.devpki import init_dev_pki
from tests.trust_helpers import load_key, pki_list

pytestmark = pytest.mark.in_memory

DAY_S = 86_400


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    directory = tmp_path / "pki"
    init_dev_pki(directory)
    return directory


def _list(pki: Path, issued_at: int, next_update: int) -> bytes:
    return pki_list(pki, issued_at, next_update).encode()


def _next_step(error: LockRefused) -> str:
    step = error.coded[2]
    assert isinstance(step, Message)
    return step.key


def _carrying(identity: TechnicianIdentity, revocations: bytes) -> TechnicianIdentity:
    return dataclasses.replace(identity, revocation_list=revocations)


async def test_a_list_past_its_next_update_refuses_privileged_work_until_a_current_one_comes(
    pki: Path, board_factory: BoardFactory
) -> None:
    now = int(time.time())
    day_long = _list(pki, now, now + DAY_S)
    (pki / "authority" / "revocations.bin").write_bytes(day_long)  # what the lock is given
    board = await board_factory("--pki", str(pki))
    me = _carrying(TechnicianIdentity.load(pki / "technicians" / "T-1002"), day_long)
    async with await LockClient.connect(board.port) as client:
        assert (await read_policy(client, me))["wrong_codes"] == 5
        await board.board.advance_clock(seconds=DAY_S - 60)  # still current
        assert (await read_policy(client, me))["wrong_codes"] == 5
        await board.board.advance_clock(seconds=120)  # the lock's signed time passes it
        with pytest.raises(LockRefused) as refusal:
            await read_policy(client, me)
        assert "CONFIG_GET refused (list_out_of_date)" in refusal.value.detail
        assert _next_step(refusal.value) == "lock.refused.next_list_out_of_date"
        audit = await board.board.audit()
        assert (audit[-1]["kind"], audit[-1]["reason"]) == (
            "privileged_refused",
            "list_out_of_date",
        )

        fresh = _list(pki, now + 60, now + 60 + 7 * DAY_S)  # the tool brings a current list
        assert (await read_policy(client, _carrying(me, fresh)))["wrong_codes"] == 5


async def test_a_clock_set_far_forward_does_not_age_a_current_list(
    pki: Path, board_factory: BoardFactory
) -> None:
    """The list's age is judged by signed time: a lock whose clock runs a month fast (or was
    set so) still takes a list current by the authority's own time."""
    now = int(time.time())
    day_long = _list(pki, now, now + DAY_S)
    (pki / "authority" / "revocations.bin").write_bytes(day_long)
    board = await board_factory("--pki", str(pki))
    await board.board.set_fault(name="clock_drift", ppm=0, skew_s=30 * DAY_S)
    me = _carrying(TechnicianIdentity.load(pki / "technicians" / "T-1002"), day_long)
    async with await LockClient.connect(board.port) as client:
        assert (await read_policy(client, me))["wrong_codes"] == 5


async def test_a_certificate_that_expires_during_a_session_is_refused_at_its_next_request(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    base = TechnicianIdentity.load(pki / "technicians" / "T-1002")
    key = Ed25519PrivateKey.generate()
    now = int(time.time())
    certificate = dataclasses.replace(
        base.certificate,
        serial_number=7777,
        public_key=raw_public(key.public_key()),
        not_before=now - DAY_S,
        not_after=now + 900,
    ).signed_by(load_key(pki / "authority" / "authority.key"))
    me = dataclasses.replace(
        base, key=key, certificate=certificate, certificate_bytes=certificate.encode()
    )
    async with await LockClient.connect(board.port) as client:
        await open_session(client, me)
        assert isinstance(await client.request(ConfigGetRequest()), ConfigResponse)
        await board.board.advance_clock(seconds=500)  # within the idle timeout, still valid
        assert isinstance(await client.request(ConfigGetRequest()), ConfigResponse)
        await board.board.advance_clock(seconds=500)  # now past the certificate's end
        with pytest.raises(LockRefused) as refusal:
            await client.request(ConfigGetRequest())
        assert "CONFIG_GET refused (expired)" in refusal.value.detail
        assert _next_step(refusal.value) == "lock.refused.next_expired"
    audit = await board.board.audit()
    assert (audit[-1]["kind"], audit[-1]["reason"]) == ("privileged_refused", "expired")
