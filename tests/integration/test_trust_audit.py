"""What the lock's trust code answers and writes in its audit trail, entry by entry (SPEC.md
11.3, 11.4, 11.8, 12.10): sessions opened and refused, lists taken and refused, privileged
requests refused with their reason — the tool and the board in one loop."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.plugin import BoardFactory
from protocols.catalogue import ErrorCode, EventKind, RecoveryMethod, RecoveryResult
from protocols.recovery import RevocationList, with_check_digit
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
    RecoveryAuthoriseRequest,
    RecoveryChallengeRequest,
    RecoverySealRequest,
    RevocationsRequest,
    SessionAuthRequest,
)
from safetool.client import LockClient, LockRefused
from safetool.client.secure import SessionRefused, open_session
from safetool.identity import TechnicianIdentity
from safetool.services.configure import change_policy
from safetool.services.devpki import init_dev_pki
from tests.trust_helpers import pki_list

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("trust-audit") / "pki"
    init_dev_pki(directory)
    return directory


def _me(pki: Path, name: str = "T-1001") -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / "technicians" / name)


def _list(pki: Path, issued_at: int, serials: tuple[int, ...] = ()) -> RevocationList:
    return pki_list(pki, issued_at, issued_at + 86_400, serials)


def _without(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry's own fields, without its place in the chain."""
    return {k: v for k, v in entry.items() if k not in ("n", "index", "time", "hash")}


async def test_an_opened_session_is_recorded_with_who_which_certificate_and_what_it_may_do(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    me = _me(pki)
    async with await LockClient.connect(board.port) as client:
        session = await open_session(client, me)
    entry = (await board.board.audit())[-1]
    assert _without(entry) == {
        "kind": "session_opened",
        "technician": "T-1001",
        "certificate": me.certificate.serial_number,
        "qualifications": me.certificate.qualifications.names(),
    }
    assert abs(entry["time"] - session.board_time_s) <= 2


async def test_a_session_auth_signed_by_another_key_is_refused_and_recorded(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    impostor = dataclasses.replace(_me(pki), key=Ed25519PrivateKey.generate())
    async with await LockClient.connect(board.port) as client:
        with pytest.raises(SessionRefused) as refused:
            await open_session(client, impostor)
        assert "session refused:" in refused.value.message
        # nothing is granted: the board ended the handshake's keys with it
        with pytest.raises(LockRefused) as no_session:
            await client.request(ConfigGetRequest())
        assert no_session.value.detail.startswith("CONFIG_GET refused (no_session)")
    trail = await board.board.audit()
    refusal = next(e for e in reversed(trail) if e["kind"] == "session_refused")
    assert _without(refusal) == {
        "kind": "session_refused",
        "reason": "bad_signature",
        "technician": "T-1001",
    }
    assert _without(trail[-1]) == {
        "kind": "privileged_refused",
        "request": "CONFIG_GET",
        "reason": "no_session",
    }


async def test_session_auth_without_session_init_is_refused(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        with pytest.raises(LockRefused) as refused:
            await client.request(SessionAuthRequest(bytes(64)))
    assert refused.value.code == ErrorCode.NOT_ALLOWED
    assert refused.value.detail == "SESSION_AUTH needs SESSION_INIT first, under the session keys"


async def test_lists_taken_refused_and_answered_as_the_list_held(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    held = RevocationList.decode((pki / "authority" / "revocations.bin").read_bytes())
    newer = _list(pki, int(time.time()) + 10, (4242, 4343))
    async with await LockClient.connect(board.port) as client:
        taken = await client.request(RevocationsRequest(newer.encode()))
        assert (taken.issued_at, taken.next_update, taken.count) == (
            newer.issued_at,
            newer.next_update,
            len(newer.serials),
        )
        older = await client.request(RevocationsRequest(_list(pki, held.issued_at + 1).encode()))
        assert (older.issued_at, older.next_update, older.count) == (
            taken.issued_at,
            taken.next_update,
            taken.count,
        )  # the one held, unchanged
        forged = dataclasses.replace(newer, issued_at=newer.issued_at + 1)  # signature now wrong
        with pytest.raises(LockRefused) as refused:
            await client.request(RevocationsRequest(forged.encode()))
        assert refused.value.code == ErrorCode.NOT_ALLOWED
        assert refused.value.detail == (
            "revocation list refused: revocation list signature is not valid"
        )
    trail = await board.board.audit()
    updated = [_without(e) for e in trail if e["kind"] == "revocations_updated"]
    assert updated[-1] == {
        "kind": "revocations_updated",
        "issued_at": newer.issued_at,
        "next_update": newer.next_update,
        "count": len(newer.serials),
    }
    assert _without(trail[-1]) == {
        "kind": "revocations_refused",
        "detail": "revocation list signature is not valid",
    }


async def test_a_list_that_revokes_the_session_refuses_its_next_privileged_request(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    me = _me(pki, "T-1002")
    async with await LockClient.connect(board.port) as client:
        await open_session(client, me)
        assert isinstance(await client.request(ConfigGetRequest()), ConfigResponse)
        revoking = _list(pki, int(time.time()) + 20, (me.certificate.serial_number,))
        await client.request(RevocationsRequest(revoking.encode()))
        with pytest.raises(LockRefused) as refused:
            await client.request(ConfigGetRequest())
    assert refused.value.detail == (
        f"CONFIG_GET refused (revoked): certificate {me.certificate.serial_number} has been revoked"
    )
    assert _without((await board.board.audit())[-1]) == {
        "kind": "privileged_refused",
        "request": "CONFIG_GET",
        "reason": "revoked",
        "technician": "T-1002",
    }


async def test_a_policy_change_is_answered_recorded_and_announced_with_only_what_changed(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    me = _me(pki)
    seen: list[tuple[EventKind, int]] = []
    async with await LockClient.connect(board.port) as client:

        async def watch() -> None:
            async for received in client.events():
                if received.event.kind == EventKind.CONFIG_CHANGED:
                    seen.append((received.event.kind, received.event.value))
                    return

        watcher = asyncio.create_task(watch())
        result = await change_policy(client, me, {"time_delay_s": 120, "wrong_codes": 4})
        await asyncio.wait_for(watcher, 5)
    assert result["after"] == {**result["before"], "time_delay_s": 120, "wrong_codes": 4}
    assert seen == [(EventKind.CONFIG_CHANGED, me.certificate.serial_number)]
    assert _without((await board.board.audit())[-1]) == {
        "kind": "config_changed",
        "technician": "T-1001",
        "changes": {"wrong_codes": [5, 4], "time_delay_s": [0, 120]},
    }


async def test_a_policy_out_of_range_is_refused_with_the_reason_and_recorded(
    pki: Path, board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        with pytest.raises(LockRefused) as refused:
            await change_policy(client, _me(pki), {"lockout_s": 30})
    assert refused.value.code == ErrorCode.OUT_OF_RANGE
    entry = _without((await board.board.audit())[-1])
    assert entry == {"kind": "config_refused", "technician": "T-1001", "detail": entry["detail"]}
    assert refused.value.detail == entry["detail"] and "lockout_s" in entry["detail"]


async def test_recovery_requests_reach_the_boards_recovery_only_with_the_recover_qualification(
    pki: Path, board_factory: BoardFactory
) -> None:
    """The dispatch of the three recovery requests (SPEC.md 11.8, 12.8): answered by the
    board's recovery service for a ``recover`` session — a challenge for this board, a wrong
    answer counted against it, no seal before a recovery — and refused to a diagnose-only one.
    (The whole recovery, and its attacks, are scenarios of the HIL suite.)"""
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        await open_session(client, _me(pki, "T-1002"))  # diagnose only
        for request in (RecoveryChallengeRequest(), RecoverySealRequest()):
            with pytest.raises(LockRefused) as refused:
                await client.request(request)
            assert "refused (not_qualified)" in refused.value.detail
        await open_session(client, _me(pki))
        challenge = await client.request(RecoveryChallengeRequest())
        assert challenge.serial == board.ready["serial"] and challenge.counter >= 1
        assert challenge.attempts_left == 3
        wrong = await client.request(
            RecoveryAuthoriseRequest(RecoveryMethod.PHONE, with_check_digit("1" * 12), b"")
        )
        assert (wrong.result, wrong.counter, wrong.attempts_left) == (
            RecoveryResult.REFUSED,
            challenge.counter,
            2,
        )
        with pytest.raises(LockRefused) as no_seal:
            await client.request(RecoverySealRequest())
        assert no_seal.value.code == ErrorCode.INVALID_STATE
    kinds = [e["kind"] for e in await board.board.audit()]
    assert kinds.index("recovery_challenge") < kinds.index("recovery_refused")
