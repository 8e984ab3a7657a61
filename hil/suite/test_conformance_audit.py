"""The board conformance suite, the audit trail and the clock (SPEC.md 12.10, 17): one test per
numbered requirement, as in test_conformance.py. The trail is read over the wire (AUDIT_HEAD,
AUDIT_READ) and checked here, hash by hash; the authority's time statements are signed by the
test with the suite's PKI."""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from hil.lock_handle import Lock
from hil.suite.authority import authority_key
from hil.suite.conformance_support import (
    TRAIL_PAGE_BYTES,
    free_seq,
    in_step,
    policy_fields,
    policy_put_back,
    read_trail,
    refused,
    someone,
    until,
)
from hil.suite.helpers import technician
from hil.wire import raw_frame, record
from protocols.audit_messages import (
    AuditHeadRequest,
    AuditHeadResponse,
    AuditReadRequest,
    ClockSetRequest,
    WireEntry,
    decode_entries,
)
from protocols.catalogue import ErrorCode, MsgType
from protocols.recovery import TimeStatement
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigSetRequest,
    RecoveryChallengeRequest,
)
from safetool.client import LockRefused
from safetool.client.secure import SessionRefused, open_session

pytestmark = [pytest.mark.conformance, pytest.mark.any_link, pytest.mark.needs("pki")]


async def _head(lock: Lock) -> AuditHeadResponse:
    return await lock.client.request(AuditHeadRequest(os.urandom(16)))


def _kinds(entries: list[WireEntry]) -> list[str]:
    return [entry.kind_name for entry in entries]


async def test_B_12_10_1_each_act_is_in_the_trail_before_its_answer(lock: Lock, pki: Path) -> None:
    me = technician(pki)
    await open_session(lock.client, me)
    start = (await _head(lock)).count
    lock.client.connection.end_session("the test starts again in plaintext")
    assert await refused(lock, ConfigGetRequest()) == ErrorCode.NOT_ALLOWED
    now = int(time.time())
    with pytest.raises(SessionRefused):
        await open_session(lock.client, someone(pki, not_after=now - 86400))
    async with policy_put_back(lock, me) as policy:
        await lock.client.request(ConfigSetRequest(**{**policy_fields(policy), "wrong_codes": 4}))
        await lock.client.request(RecoveryChallengeRequest())
        kinds = _kinds(await read_trail(lock, start))
    wanted = [
        "privileged_refused",
        "session_refused",
        "session_opened",
        "config_changed",
        "recovery_challenge",
    ]
    assert [kind for kind in kinds if kind in wanted] == wanted, kinds


async def test_B_17_1_1_the_trail_is_a_hash_chain_its_signed_head_closes(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    head = await _head(lock)
    entries = await read_trail(lock, head.first_index)
    assert [e.index for e in entries] == list(range(head.first_index, head.count))
    running = head.start_hash
    for entry in entries:
        running = hashlib.sha256(running + entry.canonical()).digest()
        assert running[: len(entry.check)] == entry.check, entry.index
    assert running == head.head_hash


async def test_B_17_1_2_refusals_beyond_ten_a_minute_are_counted_in_one_entry(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    start = (await _head(lock)).count
    log = await record(lock.client)
    seq = free_seq(lock)
    for number in range(15):  # plaintext inside the session: refused, each one
        await lock.client.transport.write(
            raw_frame(1, MsgType.CONFIG_GET, 0, (seq + number) & 0xFFFF, b"")
        )
    await until(lambda: log.answers_to((seq + 14) & 0xFFFF))
    await in_step(lock)
    await _head(lock)  # asking for the head writes what was counted
    entries = await read_trail(lock, start)
    written = Counter(e.time_s // 60 for e in entries if e.kind_name == "privileged_refused")
    assert max(written.values()) <= 10, written
    counted = sum(
        sum(e.detail()["counts"].values()) for e in entries if e.kind_name == "refusals_repeated"
    )
    assert sum(written.values()) + counted == 15


async def test_B_17_2_2_audit_read_fills_max_bytes_with_whole_entries_and_at_least_one(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    head = await _head(lock)
    assert head.count >= 3
    for max_bytes in (1, 64, 200):
        page = await lock.client.request(AuditReadRequest(head.first_index, max_bytes))
        found = decode_entries(page.entries)
        assert found, "no entry: a reader could never move on"
        if len(found) > 1:
            assert 8 + len(page.entries) <= max_bytes
    past = await lock.client.request(AuditReadRequest(head.count + 5, TRAIL_PAGE_BYTES))
    assert past.entries == b"" and past.count >= head.count


async def _clock_set(lock: Lock, time_s: int, statement: bytes = b"") -> ErrorCode | int:
    """The error code of a refused set, else how far the trusted time moved."""
    try:
        answer = await lock.client.request(ClockSetRequest(time_s, statement))
    except LockRefused as refusal:
        return ErrorCode(refusal.code)
    return answer.after_s - answer.before_s


async def test_B_17_2_3_a_laptop_moves_the_clock_only_a_little_and_only_forward(
    lock: Lock, pki: Path
) -> None:
    session = await open_session(lock.client, technician(pki))
    board_now = session.board_time_s
    assert await _clock_set(lock, board_now - 60) == ErrorCode.OUT_OF_RANGE
    assert await _clock_set(lock, board_now + 400) == ErrorCode.OUT_OF_RANGE
    moved = await _clock_set(lock, board_now + 200)
    assert isinstance(moved, int) and 190 <= moved <= 200
    assert await _clock_set(lock, board_now + 200 + 150) == ErrorCode.OUT_OF_RANGE  # 350 in all


async def test_B_17_2_4_a_time_statement_sets_the_clock_either_way_once(
    lock: Lock, pki: Path
) -> None:
    session = await open_session(lock.client, technician(pki))
    serial, board_now = session.serial, session.board_time_s
    key = authority_key(pki)
    fast = await _clock_set(lock, board_now + 200)  # a laptop ran it fast
    assert isinstance(fast, int) and 190 <= fast <= 200, fast  # seconds pass on a slow link
    right = TimeStatement(serial, board_now + 5).signed_by(key)
    moved = await _clock_set(lock, right.time_s, right.encode())
    assert isinstance(moved, int) and -200 <= moved <= -190, moved  # back, by the statement
    assert await _clock_set(lock, right.time_s, right.encode()) == ErrorCode.NOT_ALLOWED  # again
    elsewhere = TimeStatement("SL-9999-9999", board_now + 60).signed_by(key).encode()
    assert await _clock_set(lock, board_now + 60, elsewhere) == ErrorCode.NOT_ALLOWED
    stale = TimeStatement(serial, board_now - 86400).signed_by(key).encode()
    assert await _clock_set(lock, board_now - 86400, stale) == ErrorCode.NOT_ALLOWED
    ahead = TimeStatement(serial, board_now + 400).signed_by(key)  # past a laptop's 300 s
    moved = await _clock_set(lock, ahead.time_s, ahead.encode())
    assert isinstance(moved, int) and 380 <= moved <= 400, moved
