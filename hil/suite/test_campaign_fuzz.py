"""``--campaign fuzz``: mutated frames against a board (hil/fuzz.py), in batches; after every
batch the board must answer HELLO and a STATUS that matches its real state, keep its timers and
its persistent state, and at the end its audit trail must verify and hold no flood of refusals.
A second trial does the same inside a genuine secure session: every frame sealed under the
session's keys, so mutated bodies reach the privileged handlers; the session must stay up, the
bolt shut, the board's timers running, and its trail verify. A third races requests against a
slow one (the motor test) under its sequence number: the slow one must get its own answer.

``pytest hil/ --campaign fuzz --frames N --seed S`` (default 20,000 frames); the same seed gives
the same frames. docs/hil.md has the figures of a long run.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path

import pytest

from hil.campaign import trial_seed
from hil.fuzz import SEQ_WINDOW, frames, session_frames
from hil.lock_handle import Lock
from hil.measure import Recorder
from hil.results import CAMPAIGN_PROPERTY, SEED_PROPERTY
from hil.suite.helpers import open_by_customer, technician
from protocols.catalogue import BoltState, LockState
from protocols.diag_messages import MotorTestRequest, MotorTestResponse
from protocols.framing import encode_frame
from safetool.client.secure import open_session
from safetool.services.audit import download_audit
from safetool.services.diagnostics.readings import MOTOR_TEST_S

pytestmark = [
    pytest.mark.campaign("fuzz"),
    pytest.mark.needs("pki"),
    pytest.mark.needs("link_model"),
]
BATCHES = 10
KEPT = ("lock_state", "bolt", "door", "hard_lockout", "boot_count", "recovery_counter")
"""What no frame from a stranger may change (plaintext: no session, no privilege)."""


async def _until_quiet(lock: Lock) -> None:
    """Wait until the board has taken in every byte sent and this side has read every answer
    to them, so no answer to a fuzz frame can meet our HELLO's sequence number and no answer of
    ours falls off a line still full of them."""
    last = (-1, -1)
    for _ in range(600):
        now = ((await lock.board.counters())["bytes_in"], lock.client.bytes_received)
        if now == last:
            break
        last = now
        await asyncio.sleep(0.2)


async def test_fuzz_frames_leave_the_board_as_it_was(
    request: pytest.FixtureRequest, lock: Lock, pki: Path, hil_seed: int, tmp_path: Path,
    measure: Recorder,
) -> None:  # fmt: skip
    count: int = request.config.getoption("hil_frames") or 20_000
    seed = trial_seed(hil_seed, request.node.name)
    request.node.user_properties += [(CAMPAIGN_PROPERTY, "fuzz"), (SEED_PROPERTY, seed)]
    before = await lock.state()
    audit_before = before["audit_entries"]
    mutations: Counter[str] = Counter()
    sent_bytes = 0
    per_batch = max(1, count // BATCHES)
    started = time.monotonic()
    generator = frames(seed, count)
    for batch in range(BATCHES):
        chunk = []
        for fuzz in generator:
            mutations[fuzz.mutation] += 1
            chunk.append(fuzz.wire)
            if len(chunk) == per_batch:
                break
        data = b"".join(chunk)
        sent_bytes += len(data)
        for offset in range(0, len(data), 65536):
            await lock.client.transport.write(data[offset : offset + 65536])
        await _until_quiet(lock)
        # the board must still speak: a fresh link session, then a STATUS matching its state
        await lock.client.say_hello()
        status = await lock.client.status()
        state = await lock.state()
        assert status.lock_state.name == state["lock_state"], batch
        assert {key: state[key] for key in KEPT} == {key: before[key] for key in KEPT}, batch
        assert state["tick_failures"] == 0, batch
    elapsed = time.monotonic() - started
    session = await open_session(lock.client, technician(pki))
    report = await download_audit(lock.client, session, directory=tmp_path)
    assert report.verified and report.signed, report.findings
    state = await lock.state()
    written = state["audit_entries"] - audit_before
    measure("frames", count, "", low=count)
    measure("frames_per_s", count / elapsed, "1/s", check=False)
    measure("bytes_sent", sent_bytes, "B", check=False)
    measure("frames_rejected", state["link"].get("frames_rejected", 0), "", check=False)
    measure("seq_conflicts_dropped", state["link"]["conflicts"], "", check=False)
    # refusals are limited to 10 entries a minute (SPEC 17.1): the trail did not flood
    measure("audit_entries_written", written, "", high=20 * max(1.0, elapsed / 60) + 50)
    for mutation, number in sorted(mutations.items()):
        measure(f"mutation_{mutation}", number, "", check=False)


SESSION_KEPT = ("bolt", "door", "boot_count")
"""What no request of a qualified technician may change without a signed authorisation or a
signed image (a challenge may move the recovery counter, wrong answers the lock state)."""
NEVER_OPEN = {LockState.UNLOCKED.name, LockState.OPENING_WINDOW.name}


async def test_fuzz_inside_a_session_leaves_the_board_shut_and_running(
    request: pytest.FixtureRequest, lock: Lock, pki: Path, hil_seed: int, tmp_path: Path,
    measure: Recorder,
) -> None:  # fmt: skip
    count: int = (request.config.getoption("hil_frames") or 20_000) // 4
    seed = trial_seed(hil_seed, request.node.name)
    request.node.user_properties += [(CAMPAIGN_PROPERTY, "fuzz"), (SEED_PROPERTY, seed)]
    before = await lock.state()
    session = await open_session(lock.client, technician(pki))
    connection = lock.client.connection
    cipher = connection.cipher
    assert cipher is not None
    first_seq = (connection.next_seq + 0x8000) & 0xFFFF
    mutations: Counter[str] = Counter()
    per_batch = max(1, count // BATCHES)
    started = time.monotonic()
    generator = session_frames(seed, count, first_seq)
    for batch in range(BATCHES):
        data = bytearray()
        for number, fuzz in enumerate(generator, start=1):
            mutations[fuzz.mutation] += 1
            for header, body in fuzz.requests:  # sealed in the order they go out
                data += encode_frame(header + cipher.seal(header, body))
            if number == per_batch:
                break
        for offset in range(0, len(data), 65536):
            await lock.client.transport.write(bytes(data[offset : offset + 65536]))
        await _until_quiet(lock)
        # still the same session: an encrypted STATUS through it matches the board's state
        assert connection.cipher is cipher, batch
        status = await lock.client.status()
        state = await lock.state()
        assert status.lock_state.name == state["lock_state"], batch
        assert state["lock_state"] not in NEVER_OPEN, batch
        assert state["bolt"] == BoltState.EXTENDED.name, batch
        assert {key: state[key] for key in SESSION_KEPT} == {
            key: before[key] for key in SESSION_KEPT
        }, batch
        assert state["tick_failures"] == 0, batch
    elapsed = time.monotonic() - started
    assert (connection.next_seq - first_seq) & 0xFFFF >= SEQ_WINDOW  # never met the window
    report = await download_audit(lock.client, session, directory=tmp_path)
    assert report.verified and report.signed, report.findings
    measure("session_frames", count, "", low=count)
    measure("session_frames_per_s", count / elapsed, "1/s", check=False)
    measure("stale_answers_dropped_by_tool", connection.stale_responses, "", check=False)
    written = (await lock.state())["audit_entries"] - before["audit_entries"]
    measure("audit_entries_written", written, "", check=False)
    for mutation, number in sorted(mutations.items()):
        measure(f"session_mutation_{mutation}", number, "", check=False)


RACES = 12


@pytest.mark.needs("keys", "door")
async def test_requests_raced_against_a_slow_one_never_take_its_answer(
    request: pytest.FixtureRequest, lock: Lock, pki: Path, hil_seed: int, measure: Recorder
) -> None:
    """Findings 3 and 4 as a campaign: while the motor test runs, another request (a seeded
    session fuzz request) arrives under its sequence number. The board must drop it, answer
    the motor test with the motor test's answer, and keep its timers."""
    seed = trial_seed(hil_seed, request.node.name)
    request.node.user_properties += [(CAMPAIGN_PROPERTY, "fuzz"), (SEED_PROPERTY, seed)]
    rng = random.Random(seed)
    await open_by_customer(lock)
    await open_session(lock.client, technician(pki, "T-1002"))  # diagnose
    connection = lock.client.connection
    cipher = connection.cipher
    assert cipher is not None
    conflicts_before = (await lock.state())["link"]["conflicts"]
    racers = session_frames(seed, RACES, 0)
    for race, fuzz in enumerate(racers):
        seq = connection.next_seq
        motor = asyncio.create_task(
            lock.client.request(
                MotorTestRequest(), timeout_s=MOTOR_TEST_S + 3, processing_s=MOTOR_TEST_S
            )
        )
        await asyncio.sleep(rng.uniform(0.05, 0.5))  # the motor is running by now
        header, body = fuzz.requests[0]
        header = header[:3] + seq.to_bytes(2, "little")
        await lock.client.transport.write(encode_frame(header + cipher.seal(header, body)))
        answer = await motor
        assert isinstance(answer, MotorTestResponse), (race, answer)
    state = await lock.state()
    assert connection.cipher is cipher  # the same session throughout
    status = await lock.client.status()
    assert status.lock_state.name == state["lock_state"]
    assert state["tick_failures"] == 0
    conflicts = state["link"]["conflicts"] - conflicts_before
    measure("races", RACES, "", low=RACES)
    measure("racers_dropped_as_conflicts", conflicts, "", low=1)
