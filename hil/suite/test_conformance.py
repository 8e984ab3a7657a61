"""The board conformance suite: one test per numbered board requirement of protocols/SPEC.md
(``[B-<section>.<n>]``), named by its number. ``pytest hil/ -m conformance`` runs it against any
board the plugin reaches: the emulated board, or a lock maker's prototype on the rig.

It uses only the wire (a recorder under the tool's own client, hil/wire.py) and the bench's
actuators (keys, door, clock, power); never the emulator's internals. A requirement that needs
an actuator the rig lacks is skipped with the reason. tests/unit/test_spec_requirements.py keeps the
numbers here and in SPEC.md the same.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hil.images import build_test_image
from hil.lock_handle import Lock
from hil.suite.authority import authority_key
from hil.suite.conformance_support import (
    EventsSeen,
    free_seq,
    in_step,
    policy_fields,
    policy_put_back,
    read_trail,
    refused,
    refused_because,
    sealed,
    session_keys,
    someone,
    until,
)
from hil.suite.helpers import motor_travel, open_by_customer, technician
from hil.wire import Seen, WireLog, raw_frame, record
from protocols.audit_messages import AuditHeadRequest, ClockSetRequest
from protocols.catalogue import (
    MAX_PROTOCOL_VERSION,
    MIN_MAX_FRAME,
    MIN_PROTOCOL_VERSION,
    BoltState,
    DoorState,
    ErrorCode,
    EventKind,
    Flags,
    LockState,
    MsgType,
)
from protocols.codec import encode_message
from protocols.diag_messages import (
    KeypadTestRequest,
    MotorResult,
    MotorTestRequest,
    MotorTestResponse,
    Output,
    OutputTestRequest,
    SensorsRequest,
)
from protocols.firmware_image import Image, parse_image
from protocols.firmware_messages import (
    Compression,
    FirmwareActivateRequest,
    FirmwareBeginRequest,
    FirmwareBeginResponse,
    FirmwareConfirmRequest,
    FirmwareSlot,
    FirmwareStatusRequest,
    FirmwareStreamRequest,
    FirmwareWriteRequest,
    InstallResult,
    SlotState,
)
from protocols.framing import encode_frame
from protocols.messages import ErrorResponse, HelloRequest, LockEvent, PingResponse
from protocols.recovery import RevocationList
from protocols.session import ToolHandshake
from protocols.trust_messages import (
    ConfigGetRequest,
    ConfigResponse,
    ConfigSetRequest,
    RecoveryChallengeRequest,
    RevocationsRequest,
    SessionInitRequest,
)
from safetool.client import LockRefused
from safetool.client.secure import open_session
from safetool.errors import SafetoolError
from safetool.services.diagnostics.readings import MOTOR_TEST_S
from safetool.services.firmware_install import install, plan_install
from safetool.services.firmware_transfer import begin, send_image

pytestmark = [pytest.mark.conformance, pytest.mark.any_link]


def _ping(seq: int, size: int) -> bytes:
    return raw_frame(1, MsgType.PING, 0, seq, bytes([0x5A]) * size)


# --- 2. framing --------------------------------------------------------------------------------


async def test_B_2_4_1_a_damaged_frame_is_dropped_and_not_answered(lock: Lock) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    frame = bytearray(raw_frame(1, MsgType.PING, 0, seq, b"damaged"))
    frame[frame.index(b"damaged"[0])] ^= 0x20  # a letter changed: the CRC no longer matches
    await lock.client.transport.write(bytes(frame))
    await in_step(lock)
    assert log.answers_to(seq) == []


async def _recording(lock: Lock) -> tuple[int, WireLog, int]:
    """The board's frame limit, a recorder on the link, and a sequence number of our own."""
    assert lock.client.hello is not None
    return lock.client.hello.max_frame, await record(lock.client), free_seq(lock)


async def test_B_2_4_2_a_frame_of_exactly_max_frame_bytes_is_accepted(lock: Lock) -> None:
    limit, log, seq = await _recording(lock)
    await lock.client.transport.write(_ping(seq, limit - 9))  # header 5, CRC 4
    (answer,) = await until(lambda: log.answers_to(seq), 30.0)
    assert answer.decoded is not None
    assert answer.decoded.message == PingResponse(bytes([0x5A]) * (limit - 9))


async def test_B_2_4_3_after_a_run_too_long_for_any_frame_the_next_frame_is_received(
    lock: Lock,
) -> None:
    limit, log, seq = await _recording(lock)
    run = b"\x01" * (limit + limit // 254 + 16) + b"\x00"
    await lock.client.transport.write(run + _ping(seq, 4))
    (answer,) = await until(lambda: log.answers_to(seq), 30.0)
    assert answer.decoded is not None


async def test_B_2_4_4_a_frame_over_max_frame_is_dropped_even_when_its_crc_is_good(
    lock: Lock,
) -> None:
    limit, log, seq = await _recording(lock)
    await lock.client.transport.write(_ping(seq, limit - 9 + 1))  # one byte over
    await in_step(lock)  # answered in order: an answer to it would have come before these
    assert log.answers_to(seq) == []


# --- 5. HELLO ----------------------------------------------------------------------------------


async def test_B_5_1_1_hello_chooses_the_highest_common_version_and_a_usable_frame_limit(
    lock: Lock,
) -> None:
    answer = await lock.client.request(
        HelloRequest(MIN_PROTOCOL_VERSION, MAX_PROTOCOL_VERSION, 65535)
    )
    assert answer.min_version <= answer.version <= answer.max_version
    assert answer.version == min(answer.max_version, MAX_PROTOCOL_VERSION)
    assert answer.max_frame >= MIN_MAX_FRAME


# --- 7. resends --------------------------------------------------------------------------------


async def test_B_7_2_1_a_resend_of_an_answered_request_gets_the_same_answer(lock: Lock) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    frame = raw_frame(1, MsgType.PING, 0, seq, b"once")
    await lock.client.transport.write(frame)
    await until(lambda: log.answers_to(seq))
    await lock.client.transport.write(frame)  # the answer was "lost": the same request again
    answers = await until(lambda: log.answers_to(seq)[1:])
    first, again = log.answers_to(seq)[:2]
    assert first.decoded is not None and again.decoded is not None and answers
    assert first.decoded.message == again.decoded.message


@pytest.mark.needs("pki")
async def test_B_7_2_4_a_plaintext_copy_of_an_encrypted_request_never_gets_its_answer(
    lock: Lock, pki: Path
) -> None:
    cipher = await session_keys(lock, technician(pki))
    log = await record(lock.client)
    seq = free_seq(lock)
    await lock.client.transport.write(sealed(cipher, MsgType.CONFIG_GET, seq))
    (policy,) = await until(lambda: log.answers_to(seq))
    assert policy.flags & Flags.ENCRYPTED  # the policy, under the session keys
    await lock.client.transport.write(raw_frame(1, MsgType.CONFIG_GET, 0, seq, b""))
    (clear,) = await until(lambda: log.answers_to(seq)[1:])
    assert clear.decoded is not None, "answered sealed to a plaintext request"
    assert isinstance(clear.decoded.message, ErrorResponse)
    assert clear.decoded.message.code == ErrorCode.NOT_ALLOWED


RACERS: dict[str, tuple[int, bytes]] = {
    "B_7_2_2": (MsgType.PING, b"another request"),  # readable, another type and body
    "B_7_2_3": (MsgType.STATUS, bytes(32)),  # unreadable: STATUS has no body
}


async def _race_the_motor_test(lock: Lock, pki: Path, msg_type: int, body: bytes) -> None:
    """While the motor test runs, another request arrives sealed under its sequence number:
    the motor test must get its own answer."""
    await open_by_customer(lock)
    cipher = await session_keys(lock, technician(pki, "T-1002"))  # diagnose
    seq = lock.client.connection.next_seq
    motor = asyncio.create_task(
        lock.client.request(
            MotorTestRequest(), timeout_s=MOTOR_TEST_S + 3, processing_s=MOTOR_TEST_S
        )
    )
    await asyncio.sleep(0.2)  # the motor is running
    await lock.client.transport.write(sealed(cipher, msg_type, seq, body))
    answer = await motor
    assert isinstance(answer, MotorTestResponse), answer


@pytest.mark.needs("keys", "door", "pki")
async def test_B_7_2_2_another_request_under_a_busy_seq_is_dropped(lock: Lock, pki: Path) -> None:
    await _race_the_motor_test(lock, pki, *RACERS["B_7_2_2"])


@pytest.mark.needs("keys", "door", "pki")
async def test_B_7_2_3_an_unreadable_request_under_a_busy_seq_is_dropped_not_answered(
    lock: Lock, pki: Path
) -> None:
    await _race_the_motor_test(lock, pki, *RACERS["B_7_2_3"])


# --- 8. events and boots -----------------------------------------------------------------------


def _recorder(logs: list[WireLog], first: bytes = b"") -> Callable[[Any], WireLog]:
    """Wraps for :meth:`Lock.power_cycle`, one per attempt to reconnect; ``first`` goes out
    on the first attempt only (a retry comes after a HELLO of the first may have landed)."""

    def wrap(transport: Any) -> WireLog:
        log = WireLog(transport, first=b"" if logs else first)
        logs.append(log)
        return log

    return wrap


def _power_on_values(log: WireLog) -> list[tuple[int, int]]:
    return [
        (seen.seq, seen.decoded.message.value)
        for seen in log.events()
        if seen.decoded is not None
        and isinstance(seen.decoded.message, LockEvent)
        and seen.decoded.message.kind == EventKind.POWER_ON
    ]


@pytest.mark.needs("power_cycle")
async def test_B_8_1_1_power_on_is_the_first_event_of_a_boot_after_its_first_hello(
    lock: Lock,
) -> None:
    counts = []
    for _ in range(2):
        logs: list[WireLog] = []
        await lock.power_cycle(_recorder(logs))
        log = logs[-1]
        await lock.client.request(HelloRequest(1, 1, 65535))  # a second HELLO: no second one
        await in_step(lock)
        (first, *_) = log.events()
        assert first.decoded is not None
        assert isinstance(first.decoded.message, LockEvent)
        assert (first.seq, first.decoded.message.kind) == (0, EventKind.POWER_ON)
        ((_, count),) = _power_on_values(log)
        counts.append(count)
    assert counts[1] == counts[0] + 1  # the boot count


# --- 9. errors on the link ---------------------------------------------------------------------


async def _answer(lock: Lock, log: WireLog, frame: bytes, seq: int) -> Seen | None:
    await lock.client.transport.write(frame)
    await in_step(lock)
    answers = log.answers_to(seq)
    assert len(answers) <= 1, answers
    return answers[0] if answers else None


def _error_code(seen: Seen | None) -> ErrorCode | None:
    if seen is None or seen.decoded is None:
        return None
    message = seen.decoded.message
    return message.code if isinstance(message, ErrorResponse) else None


async def test_B_9_1_checks_in_the_table_order_and_decoding_before_privilege(
    lock: Lock,
) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    cases = [  # (frame, expected ERROR code)
        (raw_frame(1, 0x55, 0x08, seq, b""), ErrorCode.MALFORMED),  # unknown flag and type
        (raw_frame(1, 0x55, 0, seq + 1, b""), ErrorCode.UNKNOWN_TYPE),
        (raw_frame(9, MsgType.STATUS, 0, seq + 2, b""), ErrorCode.UNSUPPORTED_VERSION),
        (raw_frame(1, MsgType.CONFIG_SET, 0, seq + 3, b"\x01"), ErrorCode.MALFORMED),
        (raw_frame(1, MsgType.CONFIG_GET, 0, seq + 4, b""), ErrorCode.NOT_ALLOWED),
    ]
    for number, (frame, expected) in enumerate(cases):
        seen = await _answer(lock, log, frame, (seq + number) & 0xFFFF)
        assert _error_code(seen) == expected, (number, seen)


async def test_B_9_2_an_error_carries_the_bad_requests_seq_and_a_bad_response_is_not_answered(
    lock: Lock,
) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    seen = await _answer(lock, log, raw_frame(1, 0x55, 0, seq, b""), seq)
    assert seen is not None and seen.seq == seq and seen.flags & Flags.RESPONSE
    response_seq = (seq + 1) & 0xFFFF
    unreadable = raw_frame(1, 0x55, Flags.RESPONSE, response_seq, b"")  # a response it never reads
    assert await _answer(lock, log, unreadable, response_seq) is None


LEAKS = ("unpack", "buffer", "struct", "Error", "Traceback", ".py", "0x7f", "object at")
"""Words of an implementation's own error text (Python's here; a C board would have others)."""


@pytest.mark.needs("pki")
async def test_B_9_3_error_details_say_what_was_wrong_not_how_the_board_is_built(
    lock: Lock, pki: Path
) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    bodies = [
        (MsgType.STATUS, bytes(32)),
        (MsgType.HELLO, b"\x01"),
        (MsgType.PING, b""),  # well formed: answered, no error
        (MsgType.CONFIG_SET, b"\xff" * 3),
        (MsgType.AUDIT_READ, b"\x00"),
        (MsgType.FIRMWARE_BEGIN, b"\x01\x02"),
        (MsgType.RECOVERY_AUTHORISE, b"\x09" * 5),
    ]
    details = []
    for number, (msg_type, body) in enumerate(bodies):
        seen = await _answer(lock, log, raw_frame(1, msg_type, 0, seq + number, body), seq + number)
        if seen is not None and seen.decoded is not None:
            message = seen.decoded.message
            if isinstance(message, ErrorResponse):
                details.append(message.detail)
    assert len(details) >= 5
    # well-formed bodies carrying damaged documents: a certificate, a revocation list, a time
    # statement (their fields cut short), and what the trail keeps of each refusal
    for document in (
        SessionInitRequest(bytes(32), bytes(16), b"SLC1" + b"\x05" * 40),
        RevocationsRequest(b"SLR2" + b"\x05" * 40),
    ):
        with pytest.raises(LockRefused) as refusal:
            await lock.client.request(document)
        details.append(refusal.value.detail)
    await open_session(lock.client, technician(pki))
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(ClockSetRequest(int(time.time()), b"SLT1" + b"\x05" * 20))
    details.append(refusal.value.detail)
    trail = await read_trail(lock)
    kept = [json.dumps(e.detail()) for e in trail if e.kind_name.endswith("_refused")]
    assert len(kept) >= 2, [e.kind_name for e in trail]
    for detail in details + kept:
        assert not any(word in detail for word in LEAKS), detail


# --- 10. lock states ---------------------------------------------------------------------------


@pytest.mark.needs("keys", "power_cycle", "pki")
async def test_B_10_1_1_a_shut_safe_relocks_after_a_power_cut_with_its_bolt_open(
    lock: Lock, pki: Path
) -> None:
    await lock.actuators.enter_code(code="123456")
    await motor_travel()
    assert (await lock.client.status()).bolt == BoltState.RETRACTED
    await lock.power_cycle()  # the door was never opened: it is shut
    deadline = time.monotonic() + 10
    while (status := await lock.client.status()).bolt != BoltState.EXTENDED:
        assert time.monotonic() < deadline, status
        await asyncio.sleep(0.2)
    await open_session(lock.client, technician(pki))  # and it says so in its trail
    relocks = [e.detail() for e in await read_trail(lock) if e.kind_name == "relocked"]
    assert relocks and relocks[-1].get("cause") == "power_loss", relocks


# --- 11. the secure session --------------------------------------------------------------------


@pytest.mark.needs("pki", "keys")
async def test_B_11_4_1_no_session_keys_when_the_session_init_answer_did_not_go_out(
    lock: Lock, pki: Path
) -> None:
    await lock.client.request(HelloRequest(1, 1, 256))  # too small for the answer
    identity = technician(pki)
    handshake = ToolHandshake(
        identity.certificate_bytes, identity.sign, lock.client.connection.hello_exchange
    )
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(handshake.start())
    assert refusal.value.code == ErrorCode.FRAME_TOO_LARGE
    log = await record(lock.client)
    await lock.actuators.enter_code(code="000000")  # an event, under whatever keys it has
    await in_step(lock)
    events = [f for f in log.frames() if f.msg_type == MsgType.EVENT]
    assert events and all(f.decoded is not None for f in events), "sealed under keys"


@pytest.mark.needs("pki", "power_cycle")
async def test_B_11_4_2_session_init_before_any_hello_is_invalid_state(
    lock: Lock, pki: Path
) -> None:
    identity = technician(pki)
    init = ToolHandshake(identity.certificate_bytes, identity.sign, b"").start()
    seq = 0x4242
    logs: list[WireLog] = []
    await lock.power_cycle(_recorder(logs, first=encode_frame(encode_message(init, seq))))
    await in_step(lock)
    (answer,) = [seen for log in logs for seen in log.answers_to(seq)]
    assert answer.decoded is not None and isinstance(answer.decoded.message, ErrorResponse)
    assert answer.decoded.message.code == ErrorCode.INVALID_STATE


@pytest.mark.needs("pki", "clock")
async def test_B_11_7_1_a_privileged_request_after_the_idle_timeout_is_refused(
    lock: Lock, pki: Path
) -> None:
    session = await open_session(lock.client, technician(pki))
    assert isinstance(await lock.client.request(ConfigGetRequest()), ConfigResponse)
    await lock.actuators.advance_clock(seconds=session.idle_timeout_s + 1)
    with pytest.raises(SafetoolError):
        await lock.client.request(ConfigGetRequest())


@pytest.mark.needs("pki")
async def test_B_11_4_3_after_a_refused_session_auth_the_board_holds_no_keys(
    lock: Lock, pki: Path
) -> None:
    identity = technician(pki)
    impostor = Ed25519PrivateKey.generate()  # a stolen certificate without its key
    handshake = ToolHandshake(
        identity.certificate_bytes, impostor.sign, lock.client.connection.hello_exchange
    )
    reply = await lock.client.request(handshake.start())
    auth, cipher, _ = handshake.finish(
        reply,
        provisioning_key=identity.provisioning_key,
        expected_serial=(await lock.client.identify()).serial,
        now=time.time(),
    )
    log = await record(lock.client)
    lock.client.connection.cipher = cipher
    auth_seq = lock.client.connection.next_seq
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(auth)
    assert refusal.value.code == ErrorCode.NOT_ALLOWED
    (answer,) = log.answers_to(auth_seq)
    assert answer.flags & Flags.ENCRYPTED  # the refusal came sealed: the tool reads why
    status_seq = lock.client.connection.next_seq
    with pytest.raises(SafetoolError):
        await lock.client.status()  # sent sealed: the board has no keys any more
    (plain,) = log.answers_to(status_seq)
    assert plain.decoded is not None and isinstance(plain.decoded.message, ErrorResponse)
    assert plain.decoded.message.code == ErrorCode.NOT_ALLOWED
    lock.client.connection.end_session("the board refused the session")
    assert (await lock.client.status()).lock_state is not None  # plaintext works on


# --- 20. firmware install: answers by state (20.4) ------------------------------------------------


@pytest.fixture(scope="module")
def release(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> Image:
    """A small signed 2.4.0 for this board (the suite's PKI signs it)."""
    root = tmp_path_factory.mktemp("conformance-firmware")
    path = build_test_image(pki, root, "v240", os.urandom(16 * 1024), "2.4.0")
    return parse_image(path.read_bytes())


async def _begun(lock: Lock, pki: Path, digest: bytes) -> FirmwareBeginResponse:
    """A firmware session and FIRMWARE_BEGIN for a 64 KiB image the board has never seen."""
    await open_session(lock.client, technician(pki))
    answer = await lock.client.request(FirmwareBeginRequest(64 * 1024, digest))
    assert answer.held == 0
    return answer


@pytest.mark.needs("pki")
async def test_B_20_4_1_begin_with_an_image_no_slot_can_hold_is_out_of_range(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    for size in (0, 0xFFFFFFFF):
        assert await refused(lock, FirmwareBeginRequest(size, bytes(32))) == ErrorCode.OUT_OF_RANGE


@pytest.mark.needs("pki", "power_cycle")
async def test_B_20_4_2_stream_before_begin_is_invalid_state(lock: Lock, pki: Path) -> None:
    await lock.power_cycle()  # no FIRMWARE_BEGIN on this boot
    await open_session(lock.client, technician(pki))
    stream = FirmwareStreamRequest(0, Compression.NONE, 0, 4096)
    assert await refused(lock, stream) == ErrorCode.INVALID_STATE


@pytest.mark.needs("pki")
async def test_B_20_4_3_a_stream_cannot_start_beyond_what_the_slot_holds(
    lock: Lock, pki: Path
) -> None:
    answer = await _begun(lock, pki, os.urandom(32))
    beyond = FirmwareStreamRequest(answer.page_size, Compression.NONE, 0, 4096)
    assert await refused(lock, beyond) == ErrorCode.OUT_OF_RANGE


@pytest.mark.needs("pki")
async def test_B_20_4_4_write_without_an_open_stream_is_invalid_state(
    lock: Lock, pki: Path
) -> None:
    await _begun(lock, pki, os.urandom(32))  # no stream yet
    write = FirmwareWriteRequest(0, bytes(256))
    assert await refused(lock, write) == ErrorCode.INVALID_STATE


@pytest.mark.needs("pki")
async def test_B_20_4_5_activate_before_the_image_is_complete_is_invalid_state(
    lock: Lock, pki: Path
) -> None:
    digest = os.urandom(32)
    await _begun(lock, pki, digest)
    assert await refused(lock, FirmwareActivateRequest(digest)) == ErrorCode.INVALID_STATE


@pytest.mark.needs("pki")
async def test_B_20_4_6_activate_naming_another_image_boots_nothing_and_forgets_the_record(
    lock: Lock, pki: Path, release: Image
) -> None:
    """Issue 21 found this unguarded: a board that skipped the comparison would boot another
    validly signed image than the one the tool transferred."""
    await open_session(lock.client, technician(pki))
    assert lock.client.hello is not None
    boot_id = lock.client.hello.boot_id
    before = (await lock.client.identify()).firmware_version
    answer = await begin(lock.client, release.image_bytes)
    await send_image(lock.client, release.image_bytes, answer)
    other = hashlib.sha256(release.image_bytes + b"another image").digest()
    assert await refused(lock, FirmwareActivateRequest(other)) == ErrorCode.INVALID_STATE
    again = await begin(lock.client, release.image_bytes)
    # the record is forgotten; what the slot holds is found again by its hash (B-20.1.1)
    assert again.held == len(release.image_bytes)
    await lock.client.say_hello()
    assert lock.client.hello.boot_id == boot_id, "the board reset"
    assert (await lock.client.identify()).firmware_version == before


@pytest.mark.needs("pki")
async def test_B_20_4_7_confirm_with_the_factory_image_running_is_invalid_state(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))
    status = await lock.client.request(FirmwareStatusRequest())
    if status.active_slot != FirmwareSlot.NONE:
        pytest.skip("this board runs a slot's image: its factory state is not reachable")
    assert await refused(lock, FirmwareConfirmRequest()) == ErrorCode.INVALID_STATE


@pytest.mark.needs("pki")
async def test_B_20_4_8_confirm_with_nothing_on_trial_changes_nothing(
    lock: Lock, pki: Path, release: Image
) -> None:
    me = technician(pki)
    plan = await plan_install(lock.client, me, release, port=lock.port, source="conformance")
    await install(lock.client, me, release, plan)  # confirmed: nothing on trial now
    await open_session(lock.client, me)
    before = await lock.client.request(FirmwareStatusRequest())
    assert before.trial_pending == 0
    first = await lock.client.request(FirmwareConfirmRequest())
    second = await lock.client.request(FirmwareConfirmRequest())  # its answer was "lost"
    assert first == second
    after = await lock.client.request(FirmwareStatusRequest())
    assert (after.active_slot, after.security_floor, after.trial_pending) == (
        before.active_slot,
        before.security_floor,
        before.trial_pending,
    )


@pytest.mark.needs("pki")
async def test_B_19_1_1_firmware_status_names_both_slots_and_what_identify_reports(
    lock: Lock, pki: Path, release: Image
) -> None:
    me = technician(pki)
    for step in ("factory", "installed"):
        if step == "installed":
            plan = await plan_install(lock.client, me, release, port=lock.port, source="test")
            await install(lock.client, me, release, plan)
        await open_session(lock.client, me)
        status = await lock.client.request(FirmwareStatusRequest())
        assert [record["slot"] for record in status.slots] == [1, 2]
        assert status.running_version == (await lock.client.identify()).firmware_version
    active = status.slots[int(status.active_slot) - 1]
    assert (active["state"], active["version"], active["size"]) == (
        SlotState.VALID,
        str(release.version),
        len(release.image_bytes),
    )
    assert (status.last_result, status.trial_pending) == (InstallResult.CONFIRMED, 0)


@pytest.mark.needs("pki", "power_cycle")
async def test_B_19_1_2_a_trial_image_not_confirmed_before_a_reset_is_reverted(
    lock: Lock, pki: Path, release: Image
) -> None:
    me = technician(pki)
    before = (await lock.client.identify()).firmware_version
    await open_session(lock.client, me)
    answer = await begin(lock.client, release.image_bytes)
    await send_image(lock.client, release.image_bytes, answer)
    digest = hashlib.sha256(release.image_bytes).digest()
    assert lock.client.hello is not None
    boot_id = lock.client.hello.boot_id
    await lock.client.request(FirmwareActivateRequest(digest))  # the board resets into it
    await lock.reconnect_after_reset(boot_id)
    assert (await lock.client.identify()).firmware_version == str(release.version)
    await open_session(lock.client, me)
    assert (await lock.client.request(FirmwareStatusRequest())).trial_pending == 1
    await lock.power_cycle()  # nobody confirmed it
    assert (await lock.client.identify()).firmware_version == before
    await open_session(lock.client, me)
    status = await lock.client.request(FirmwareStatusRequest())
    assert (status.last_result, status.trial_pending) == (InstallResult.REVERTED, 0)


@pytest.mark.needs("pki")
async def test_B_20_1_1_begin_for_the_image_the_other_slot_holds_answers_it_held_whole(
    lock: Lock, pki: Path, release: Image, tmp_path: Path
) -> None:
    """Issue 18: switching back to the image the lock ran before its last install sends no
    image byte; the board proves it holds it (``held_sha256``) and boots it as any other."""
    me = technician(pki)
    path = build_test_image(pki, tmp_path, "v241", os.urandom(16 * 1024), "2.4.1")
    following = parse_image(path.read_bytes())
    for image in (release, following):
        plan = await plan_install(lock.client, me, image, port=lock.port, source="conformance")
        await install(lock.client, me, image, plan)
    await open_session(lock.client, me)
    answer = await begin(lock.client, release.image_bytes)  # 2.4.0 is in the other slot
    assert answer.held == len(release.image_bytes)
    assert answer.held_sha256 == hashlib.sha256(release.image_bytes).digest()
    plan = await plan_install(lock.client, me, release, port=lock.port, source="conformance")
    outcome = await install(lock.client, me, release, plan)
    assert outcome.as_dict()["stream_bytes"] == 0
    assert (await lock.client.identify()).firmware_version == str(release.version)


def _signature_broken(image: Image) -> bytes:
    """The image with its last byte (inside the signature TLV, the image's last) changed: the
    hash still matches, the signature no longer verifies."""
    data = bytearray(image.image_bytes)
    data[-1] ^= 0x01
    return bytes(data)


async def _transferred_and_activated(lock: Lock, image_bytes: bytes) -> LockRefused:
    """Send ``image_bytes`` whole, as a tool that checks nothing would, then activate it."""
    answer = await begin(lock.client, image_bytes)
    await send_image(lock.client, image_bytes, answer)
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(FirmwareActivateRequest(hashlib.sha256(image_bytes).digest()))
    return refusal.value


@pytest.mark.needs("pki")
@pytest.mark.parametrize("fault", ["bad_signature", "other_model", "below_floor"])
async def test_B_20_4_9_the_board_refuses_an_image_its_bootloader_refuses_whatever_the_tool_checked(
    lock: Lock, pki: Path, release: Image, tmp_path: Path, fault: str
) -> None:
    """Issue 21: the suite never reached the bootloader's own guards, since the tool's pre-check
    refused first. Here the image goes over the wire as a buggy or hostile tool would send it."""
    me = technician(pki)
    if fault == "bad_signature":
        image_bytes, result = _signature_broken(release), InstallResult.INVALID_IMAGE
    elif fault == "other_model":
        path = build_test_image(
            pki,
            tmp_path,
            "other",
            os.urandom(8192),
            "2.4.0",
            model="SL-999",
            slot_size_bytes=0x60000,
        )
        image_bytes, result = path.read_bytes(), InstallResult.WRONG_MODEL
    else:
        plan = await plan_install(lock.client, me, release, port=lock.port, source="conformance")
        await install(lock.client, me, release, plan)  # confirmed: the floor is now 1
        path = build_test_image(pki, tmp_path, "old", os.urandom(8192), "2.3.5", security_counter=0)
        image_bytes, result = path.read_bytes(), InstallResult.BELOW_FLOOR
    await open_session(lock.client, me)
    assert lock.client.hello is not None
    boot_id = lock.client.hello.boot_id
    before = await lock.client.request(FirmwareStatusRequest())
    refusal = await _transferred_and_activated(lock, image_bytes)
    assert refusal.code == ErrorCode.NOT_ALLOWED and result.name in refusal.detail
    after = await lock.client.request(FirmwareStatusRequest())
    assert after.last_result == result
    assert (after.active_slot, after.running_version, after.security_floor) == (
        before.active_slot,
        before.running_version,
        before.security_floor,
    )
    assert (await begin(lock.client, image_bytes)).held == 0  # the record is forgotten
    await lock.client.say_hello()
    assert lock.client.hello.boot_id == boot_id, "the board reset"


@pytest.mark.needs("pki")
async def test_B_20_4_10_a_stream_holding_more_than_the_image_is_malformed(
    lock: Lock, pki: Path, release: Image
) -> None:
    await open_session(lock.client, technician(pki))
    image = release.image_bytes
    answer = await begin(lock.client, image)
    await lock.client.request(FirmwareStreamRequest(0, Compression.NONE, 0, len(image) + 256))
    page = answer.page_size
    written = 0
    for offset in range(0, len(image) // page * page, page):
        reply = await lock.client.request(
            FirmwareWriteRequest(offset, image[offset : offset + page])
        )
        written = reply.written
    tail = image[written:] + bytes(256)  # the image's end, and more
    with pytest.raises(LockRefused) as refusal:
        await lock.client.request(FirmwareWriteRequest(written, tail))
    assert refusal.value.code == ErrorCode.MALFORMED
    write = FirmwareWriteRequest(written, bytes(16))
    assert await refused(lock, write) == ErrorCode.INVALID_STATE  # the stream ended
    assert (await begin(lock.client, image)).held == written  # the record stays


@pytest.mark.needs("power_cycle")
async def test_B_8_2_1_every_boot_has_a_new_boot_id(lock: Lock) -> None:
    seen = set()
    for _ in range(3):
        assert lock.client.hello is not None
        seen.add(lock.client.hello.boot_id)
        await lock.power_cycle()
    assert lock.client.hello is not None
    seen.add(lock.client.hello.boot_id)
    assert len(seen) == 4


PRIVILEGED = [ConfigGetRequest(), FirmwareStatusRequest(), RecoveryChallengeRequest()]


@pytest.mark.needs("pki")
async def test_B_11_8_1_privileged_requests_need_a_session_and_the_qualification(
    lock: Lock, pki: Path
) -> None:
    for request in PRIVILEGED:  # plaintext, no session
        assert await refused_because(lock, request) == "no_session"
    await open_session(lock.client, technician(pki, "T-1002"))  # diagnose only
    assert isinstance(await lock.client.request(ConfigGetRequest()), ConfigResponse)
    for request in PRIVILEGED[1:]:  # firmware, recover: not qualified
        assert await refused_because(lock, request) == "not_qualified"
    assert (await lock.client.status()).bolt == BoltState.EXTENDED


@pytest.mark.needs("pki")
async def test_B_11_8_2_a_certificate_that_expires_in_a_session_is_refused_at_its_next_request(
    lock: Lock, pki: Path
) -> None:
    probe = await open_session(lock.client, technician(pki, "T-1002"))
    base = max(probe.board_time_s, probe.revocations_issued_at or 0, int(time.time()))
    expires = base + 400  # valid at SESSION_INIT, even judged 300 s past the signed time (12.6)
    me = someone(pki, not_before=base - 86_400, not_after=expires)
    await open_session(lock.client, me)
    assert isinstance(await lock.client.request(ConfigGetRequest()), ConfigResponse)
    held = technician(pki).revocation_list
    revoked = RevocationList.decode(held).serials if held else ()
    later = RevocationList(expires + 1, expires + 365 * 86_400, revoked).signed_by(
        authority_key(pki)
    )  # current for long: a rig board keeps it
    await lock.client.request(RevocationsRequest(later.encode()))  # the signed time passes it
    assert await refused_because(lock, ConfigGetRequest()) == "expired"


# --- 13, 16, 17: configuration, diagnostics, the audit head ----------------------------------


@pytest.mark.needs("pki")
async def test_B_13_2_1_a_policy_with_a_value_out_of_range_changes_nothing(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki))  # T-1001 may configure
    before = await lock.client.request(ConfigGetRequest())
    wrong = ConfigSetRequest(**{**policy_fields(before), "lockout_s": 10})  # 90 … 3600
    assert await refused(lock, wrong) == ErrorCode.OUT_OF_RANGE
    assert await lock.client.request(ConfigGetRequest()) == before


@pytest.mark.needs("power_cycle")
async def test_B_13_2_2_a_policy_in_range_is_kept_announced_and_answered(
    lock: Lock, pki: Path
) -> None:
    me = technician(pki)
    async with policy_put_back(lock, me) as before:
        changes = {"wrong_codes": 3, "lockout_s": 600, "answer_valid_min": 30}
        wanted = {**policy_fields(before), **changes}
        events = EventsSeen(lock)
        async with events:
            answer = await lock.client.request(ConfigSetRequest(**wanted))
            await in_step(lock)
        assert policy_fields(answer) == wanted
        changed = [e.value for e in events.kinds(EventKind.CONFIG_CHANGED)]
        assert changed == [me.certificate.serial_number]
        await lock.power_cycle()
        await open_session(lock.client, me)
        assert policy_fields(await lock.client.request(ConfigGetRequest())) == wanted


@pytest.mark.needs("keys")
async def test_B_13_1_1_the_board_counts_wrong_codes_by_the_policy_it_holds(
    lock: Lock, pki: Path
) -> None:
    async with policy_put_back(lock, technician(pki)) as policy:
        await lock.client.request(ConfigSetRequest(**{**policy_fields(policy), "wrong_codes": 2}))
        await lock.actuators.enter_code(code="999999")
        assert (await lock.client.status()).lock_state == LockState.LOCKED
        await lock.actuators.enter_code(code="999999")
        assert (await lock.client.status()).lock_state == LockState.PENALTY_LOCKOUT


@pytest.mark.needs("pki")
async def test_B_16_2_1_a_motor_test_never_moves_an_extended_bolt(lock: Lock, pki: Path) -> None:
    await open_session(lock.client, technician(pki, "T-1002"))  # diagnose
    assert (await lock.client.status()).bolt == BoltState.EXTENDED
    answer = await lock.client.request(
        MotorTestRequest(), timeout_s=MOTOR_TEST_S + 3, processing_s=MOTOR_TEST_S
    )
    assert answer.result == MotorResult.REFUSED_LOCKED
    status = await lock.client.status()
    assert (status.bolt, status.lock_state) == (BoltState.EXTENDED, LockState.LOCKED)


@pytest.mark.needs("pki", "keys", "door")
async def test_B_16_1_1_the_sensors_read_the_door_and_bolt_as_they_are(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki, "T-1002"))
    shut = await lock.client.request(SensorsRequest())
    assert (shut.door, shut.bolt_sensor, shut.bolt_commanded) == (
        DoorState.CLOSED,
        BoltState.EXTENDED,
        BoltState.EXTENDED,
    )
    await open_by_customer(lock)
    opened = await lock.client.request(SensorsRequest())
    assert (opened.door, opened.bolt_sensor, opened.bolt_commanded) == (
        DoorState.OPEN,
        BoltState.RETRACTED,
        BoltState.RETRACTED,
    )
    assert opened.uptime_s >= shut.uptime_s
    assert abs(opened.rtc_s - time.time()) < 3600


@pytest.mark.needs("pki", "keys")
async def test_B_16_3_1_during_a_keypad_test_keys_are_named_and_never_taken_as_a_code(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki, "T-1002"))
    events = EventsSeen(lock)
    async with events:
        started = await lock.client.request(KeypadTestRequest(1, 60))
        assert started.active == 1
        await lock.actuators.enter_code(code="246810")  # the customer's code
        await in_step(lock)
        assert (await lock.client.status()).bolt == BoltState.EXTENDED
        during = [e.value for e in events.kinds(EventKind.KEY_PRESS)]
        stopped = await lock.client.request(KeypadTestRequest(0, 0))
        assert stopped.active == 0
        await lock.actuators.press_key(key="7")
        await in_step(lock)
    assert during == [ord(key) for key in "*246810#"]
    after = [e.value for e in events.kinds(EventKind.KEY_PRESS)][len(during) :]
    assert after == [0], "a key press named outside a keypad test"


@pytest.mark.needs("pki")
async def test_B_16_4_1_an_output_test_keeps_its_duration_within_50_to_5000_ms(
    lock: Lock, pki: Path
) -> None:
    await open_session(lock.client, technician(pki, "T-1002"))
    for asked, kept in ((1, 50), (700, 700), (60000, 5000)):
        answer = await lock.client.request(OutputTestRequest(Output.LED_GREEN, asked))
        assert (answer.output, answer.duration_ms) == (Output.LED_GREEN, kept)


@pytest.mark.needs("pki")
async def test_B_17_2_1_the_audit_head_is_signed_over_the_requests_nonce(
    lock: Lock, pki: Path
) -> None:
    session = await open_session(lock.client, technician(pki, "T-1002"))
    serial = (await lock.client.identify()).serial
    nonce = os.urandom(16)
    head = await lock.client.request(AuditHeadRequest(nonce))
    assert head.signed == 1
    signed = (
        b"safetool audit head v1\x00"
        + bytes([len(serial)])
        + serial.encode()
        + nonce
        + head.count.to_bytes(4, "little")
        + head.first_index.to_bytes(4, "little")
        + head.start_hash
        + head.head_hash
        + head.time_s.to_bytes(4, "little")
    )
    session.device.subject_key().verify(head.signature, signed)  # raises if not
    other = await lock.client.request(AuditHeadRequest(os.urandom(16)))
    assert other.signature != head.signature
