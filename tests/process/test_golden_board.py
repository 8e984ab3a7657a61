"""The emulated board process answers the golden request vectors with the golden bytes.

Raw pyserial on the pty, no safetool code in between: if the tool and the board shared a codec
bug, the codec tests would pass and this one would not.
"""

from __future__ import annotations

import asyncio

import pytest
import serial

from firmware.process import EmulatorProcess
from protocols.golden import vector, wire_bytes

EXCHANGES = [
    ("identify_request", "identify_response"),
    ("ping_request", "ping_response"),
    ("unknown_type_request", "error_unknown_type"),
    ("unknown_flag_request", "error_unknown_flags"),
    ("unsupported_version_request", "error_unsupported_version"),
]


def exchange(port: str, request: bytes) -> bytes:
    with serial.Serial(port, timeout=3) as line:
        line.write(request)
        return line.read_until(b"\x00")


@pytest.mark.parametrize(("request_name", "answer_name"), EXCHANGES)
async def test_board_answers_golden_requests_with_golden_bytes(
    board: EmulatorProcess, request_name: str, answer_name: str
) -> None:
    answer = await asyncio.to_thread(exchange, board.port, wire_bytes(vector(request_name)))
    assert answer.hex() == wire_bytes(vector(answer_name)).hex()


async def test_board_says_nothing_to_corrupt_frames(board: EmulatorProcess) -> None:
    def send_corrupt_then_identify() -> bytes:
        with serial.Serial(board.port, timeout=3) as line:
            line.write(wire_bytes(vector("crc_flipped")))
            line.write(wire_bytes(vector("identify_request")))
            return line.read_until(b"\x00")

    answer = await asyncio.to_thread(send_corrupt_then_identify)
    assert answer == wire_bytes(vector("identify_response"))
