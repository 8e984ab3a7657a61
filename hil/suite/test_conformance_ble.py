"""The board conformance suite, the BLE binding (SPEC.md 21): one test per numbered requirement,
as in test_conformance.py, run over Bluetooth Low Energy only (``--transport ble``: the emulated
board over Bumble, or a prototype in radio range). The radio is read through bleak, as the tool
reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bleak import BleakScanner

from hil.lock_handle import Lock, connect
from hil.suite.conformance_support import free_seq, in_step, sealed, session_keys, until
from hil.suite.helpers import technician
from hil.wire import WireLog, raw_frame, record
from protocols.ble import COMPANY_ID, SERVICE_UUID
from protocols.catalogue import ErrorCode, Flags, MsgType
from protocols.messages import ErrorResponse, PingResponse
from safetool.transport.ble_scan import scanner_backend

pytestmark = [pytest.mark.conformance, pytest.mark.needs("transport:ble")]

SCAN_S = 3.0


async def test_B_21_1_frames_longer_than_a_piece_and_pieces_holding_several_frames(
    lock: Lock,
) -> None:
    log = await record(lock.client)
    seq = free_seq(lock)
    long = bytes(range(256)) * 6  # 1,536 bytes: more than one piece at any MTU
    burst = b"".join(raw_frame(1, MsgType.PING, 0, seq + n, bytes([n]) * 8) for n in range(1, 6))
    await lock.client.transport.write(raw_frame(1, MsgType.PING, 0, seq, long) + burst)
    await until(lambda: log.answers_to((seq + 5) & 0xFFFF))
    await in_step(lock)
    echoed = []
    for n in range(6):
        (answer,) = log.answers_to((seq + n) & 0xFFFF)
        assert answer.decoded is not None and isinstance(answer.decoded.message, PingResponse)
        echoed.append(answer.decoded.message.data)
    assert echoed == [long] + [bytes([n]) * 8 for n in range(1, 6)]


@pytest.mark.needs("pki")
async def test_B_21_2_a_new_connection_is_a_new_link_session_without_the_old_keys(
    lock: Lock, pki: Path
) -> None:
    seq = 0x5151
    status = sealed(await session_keys(lock, technician(pki)), MsgType.STATUS, seq)
    await lock.client.close()  # the radio link goes
    logs: list[WireLog] = []

    def wrap(transport: object) -> WireLog:
        log = WireLog(transport, first=b"" if logs else status)  # type: ignore[arg-type]
        logs.append(log)
        return log

    lock.client = await connect(lock.port, wrap=wrap)  # the sealed frame before HELLO
    await in_step(lock)
    (answer,) = [seen for log in logs for seen in log.answers_to(seq)]
    assert not answer.flags & Flags.ENCRYPTED and answer.decoded is not None
    assert isinstance(answer.decoded.message, ErrorResponse)
    assert answer.decoded.message.code == ErrorCode.NOT_ALLOWED


def _expected_manufacturer_data(serial: str, model: str) -> bytes:
    """SPEC.md 21, written out here from the table rather than taken from the codec."""
    match = re.fullmatch(r"SL-(\d{4})-(\d{4})", serial)
    number = int(match.group(1) + match.group(2)) if match else 0xFFFFFFFF
    return b"\x01" + number.to_bytes(4, "big") + model.encode()[:8]


async def test_B_21_3_after_a_disconnect_the_board_advertises_its_name_service_and_identity(
    lock: Lock,
) -> None:
    identity = await lock.client.identify()
    await lock.client.close()  # a disconnect: the board advertises again
    backend = scanner_backend()  # the emulated radio's, or the platform's own
    if backend is None:
        seen = await BleakScanner.discover(timeout=SCAN_S, return_adv=True)
    else:
        seen = await BleakScanner.discover(timeout=SCAN_S, return_adv=True, backend=backend)
    name = identity.serial if identity.serial.startswith("SL-") else f"SL-{identity.serial}"
    adverts = [advert for _, advert in seen.values() if advert.local_name == name]
    assert adverts, f"nothing advertised as {name}"
    advert = adverts[0]
    assert SERVICE_UUID in [uuid.lower() for uuid in advert.service_uuids]
    data = advert.manufacturer_data[COMPANY_ID]
    assert data == _expected_manufacturer_data(identity.serial, identity.model)
    lock.client = await connect(lock.port)
