"""``safetool firmware install`` against the emulated board through the real serial stack:
upgrade, downgrade and the same version by one action; refusals before any image byte is sent;
resume after a disconnect, a reset and a killed tool; trial boot, revert and confirmation;
several boards at once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firmware.process import EmulatedBoard
from hil.images import build_test_image
from hil.inloop import EmulatorInLoop
from hil.plugin import BoardFactory
from protocols.catalogue import ErrorCode, MsgType
from protocols.firmware_image import Image
from protocols.firmware_messages import (
    Compression,
    FirmwareActivateRequest,
    FirmwareHealthRequest,
    FirmwareStreamRequest,
    FirmwareWriteRequest,
)
from protocols.framing import FrameSplitter
from safetool.client import LockClient
from safetool.client.errors import LockRefused
from safetool.client.secure import open_session
from safetool.identity import TechnicianIdentity
from safetool.messages import Message
from safetool.services.firmware_image import FirmwareImageError, read_image
from safetool.services.firmware_install import (
    InstallFailed,
    InstallOutcome,
    InstallProgress,
    InstallRefused,
    install,
    plan_install,
)
from safetool.services.firmware_status import firmware_status
from safetool.services.firmware_transfer import begin, send_image
from tests.cli_harness import safetool_here
from tests.trust_helpers import hard_lockout

BUILTIN = "2.3.1"
TECHNICIAN = "technicians/T-1001"

pytestmark = pytest.mark.in_memory


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from safetool.services.devpki import init_dev_pki

    directory = tmp_path_factory.mktemp("install") / "pki"
    init_dev_pki(directory, boards=("SL-0000-0001", "SL-0000-0002"))
    return directory


@pytest.fixture(scope="module")
def images(pki: Path) -> dict[str, Path]:
    """Incompressible 48 KiB payloads (so a paced transfer takes long enough to interrupt)."""
    payload = os.urandom(48 * 1024)
    root = pki.parent
    return {
        "v240": build_test_image(pki, root, "v240", payload, "2.4.0"),
        "v220": build_test_image(pki, root, "v220", payload, "2.2.0"),
        "v250_sec3": build_test_image(pki, root, "v250", payload, "2.5.0", security_counter=3),
        "other_model": build_test_image(
            pki, root, "other", payload, "2.4.0", model="SL-200", slot_size_bytes=0x60000
        ),
    }


def identity(pki: Path) -> TechnicianIdentity:
    return TechnicianIdentity.load(pki / TECHNICIAN)


async def install_image(
    port: str,
    pki: Path,
    image_path: Path,
    *,
    retries: int = 0,
    progress: Callable[[InstallProgress], None] | None = None,
    tracer: Callable[[str, bytes], None] | None = None,
) -> InstallOutcome:
    image = read_image(image_path)
    client = await LockClient.connect(port, tracer=tracer)
    try:
        plan = await plan_install(client, identity(pki), image, port=port, source="test")
        return await install(client, identity(pki), image, plan, progress=progress, retries=retries)
    finally:
        await client.close()


async def running(port: str, pki: Path) -> tuple[str, Any]:
    async with await LockClient.connect(port) as client:
        version = (await client.identify()).firmware_version
        status = await firmware_status(client, identity(pki))
    return version, status


class FrameTypes:
    """A tracer counting the message types the tool sends (headers are never encrypted)."""

    def __init__(self) -> None:
        self.sent: dict[int, int] = {}
        self._splitter = FrameSplitter(65535)

    def __call__(self, direction: str, data: bytes) -> None:
        if direction != "tx":
            return
        for frame in self._splitter.feed(data):
            if isinstance(frame, bytes):
                self.sent[frame[1]] = self.sent.get(frame[1], 0) + 1

    def count(self, *types: MsgType) -> int:
        return sum(self.sent.get(int(t), 0) for t in types)


TRANSFER_TYPES = (MsgType.FIRMWARE_BEGIN, MsgType.FIRMWARE_STREAM, MsgType.FIRMWARE_WRITE)


# --- one action for every direction ------------------------------------------------------------


async def test_upgrade_downgrade_and_same_version_are_one_action_seen_in_behaviour(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        await open_session(client, identity(pki))
        with pytest.raises(LockRefused) as refused:  # 2.3.1 predates the self-test message
            await client.request(FirmwareHealthRequest())
        assert refused.value.code == ErrorCode.UNKNOWN_TYPE

    phases: list[str] = []
    up = await install_image(
        board.port, pki, images["v240"], progress=lambda p: phases.append(p.phase)
    )
    assert up.change == f"{BUILTIN} → 2.4.0 (newer)" and up.slot == "A"
    assert up.health is not None and str(up.health).startswith("self-test passed")
    assert phases[0] == "transfer" and phases[-1] == "done"
    assert {"activate", "reboot", "health", "confirm"} <= set(phases)
    version, status = await running(board.port, pki)
    assert version == "2.4.0" and status.active_slot == "A" and not status.trial_pending
    assert status.last_result == "confirmed" and status.security_floor == 1

    down = await install_image(board.port, pki, images["v220"])
    assert down.change == "2.4.0 → 2.2.0 (older)" and down.slot == "B"
    assert "no self-test" in str(down.health)  # the health check adapts to what 2.2.0 can do
    version, status = await running(board.port, pki)
    assert version == "2.2.0" and status.active_slot == "B"
    assert status.slot("A").version == "2.4.0"  # the previous image stays in the other slot

    same = await install_image(board.port, pki, images["v220"])
    assert same.change == "2.2.0 → 2.2.0 (same version)" and same.slot == "A"
    version, _ = await running(board.port, pki)
    assert version == "2.2.0"


async def test_switching_back_to_the_image_the_other_slot_holds_sends_no_image_byte(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    """Issue 18: going back to last week's version is the fastest install there is. The slot
    the install goes to still holds it; the lock proves so by its SHA-256 (FIRMWARE_BEGIN's
    ``held``), and the install is activation, trial boot, health check and confirmation."""
    board = await board_factory("--pki", str(pki))
    await install_image(board.port, pki, images["v240"])  # into A
    await install_image(board.port, pki, images["v220"])  # into B; A keeps 2.4.0
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v240"]), "--port", board.port,
        "--technician", str(pki / TECHNICIAN), "--yes", "--json",
    )  # fmt: skip
    assert code == 0, err
    said = [json.loads(line) for line in out.splitlines()]
    (plan,) = [line for line in said if line.get("event") == "plan"]
    assert plan["switch_back"] and plan["target_slot"] == "A", plan
    (result,) = [line for line in said if line.get("event") == "result"]
    assert (result["version"], result["slot"], result["stream_bytes"]) == ("2.4.0", "A", 0)
    version, status = await running(board.port, pki)
    assert (version, status.active_slot, status.last_result) == ("2.4.0", "A", "confirmed")
    frames = FrameTypes()
    again = await install_image(board.port, pki, images["v220"], tracer=frames)  # B holds it
    assert again.slot == "B" and again.as_dict()["stream_bytes"] == 0
    assert frames.count(MsgType.FIRMWARE_STREAM, MsgType.FIRMWARE_WRITE) == 0
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v240"]), "--port", board.port,
        "--technician", str(pki / TECHNICIAN), "--yes", "--lang", "zh-CN",
    )  # fmt: skip
    assert code == 0, err
    assert "槽位 A 中仍保存着 2.4.0" in out, out


async def test_the_cold_weather_bug_of_2_2_comes_and_goes_with_the_firmware(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))

    async def opens_in_the_cold() -> str:
        await board.board.set_temperature(temperature_dc=-150)
        assert await board.board.enter_code(code="123456") in ("opened", "accepted")
        await asyncio.sleep(1.8)  # travel 0.6 s; a stall gives up after 1.5 s
        state = await board.board.state()
        await board.board.power_cycle()  # a fresh motor for the next run
        return str(state["bolt"])

    await install_image(board.port, pki, images["v220"])
    assert await opens_in_the_cold() == "UNKNOWN"  # stalled: the known issue of 2.2.x
    await install_image(board.port, pki, images["v240"])
    assert await opens_in_the_cold() == "RETRACTED"


# --- refusals before any byte of the image -----------------------------------------------------


async def test_below_the_floor_is_refused_before_any_image_byte_and_says_what_would_allow_it(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await install_image(board.port, pki, images["v250_sec3"])
    ops_before = (await board.board.counters())["data_operations"]
    trace = FrameTypes()
    with pytest.raises(FirmwareImageError) as refused:
        await install_image(board.port, pki, images["v220"], tracer=trace)
    text = refused.value.explain()
    assert "security counter is 1" in text and "security floor is 3" in text
    assert "security counter is 3 or more" in text
    assert trace.count(*TRANSFER_TYPES) == 0  # no byte of the image went out
    assert trace.count(MsgType.FIRMWARE_STATUS) == 1
    assert (await board.board.counters())["data_operations"] == ops_before


@pytest.mark.parametrize("case", ["other_model", "bad_signature", "corrupt", "empty"])
async def test_bad_images_are_refused_by_the_cli_with_no_traceback(
    case: str, pki: Path, images: dict[str, Path], board_factory: BoardFactory, tmp_path: Path
) -> None:
    board = await board_factory("--pki", str(pki))
    path = images["other_model"]
    if case == "bad_signature":
        data = bytearray(images["v240"].read_bytes())
        image = read_image(images["v240"])
        data[image.total_size - 1] ^= 0x01
        path = tmp_path / "bad.img"
        path.write_bytes(bytes(data))
    elif case == "corrupt":
        path = tmp_path / "cut.img"
        path.write_bytes(images["v240"].read_bytes()[:3000])
    elif case == "empty":
        path = tmp_path / "empty.img"
        path.write_bytes(b"")
    ops_before = (await board.board.counters())["data_operations"]
    code, out, err = await safetool_here(
        "firmware", "install", str(path), "--port", board.port,
        "--technician", str(pki / TECHNICIAN), "--yes",
    )  # fmt: skip
    assert code == 1, (out, err)
    assert "Traceback" not in err and "image refused" in err
    expected = {
        "other_model": "it is for model SL-200, not the SL-100",
        "bad_signature": "signature does not verify",
        "corrupt": "cut short",
        "empty": "empty",
    }[case]
    assert expected in err
    assert (await board.board.counters())["data_operations"] == ops_before


async def test_a_lock_in_hard_lockout_or_with_a_flat_battery_is_refused(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await board.board.set_battery(rest_mv=4900)
    with pytest.raises(InstallRefused, match=r"battery at 4\.9"):
        await install_image(board.port, pki, images["v240"])
    await board.board.set_battery(rest_mv=6000)
    await hard_lockout(board)
    state = await board.board.state()
    assert state["lock_state"] == "HARD_LOCKOUT"
    with pytest.raises(InstallRefused, match="hard lockout") as refused:
        await install_image(board.port, pki, images["v240"])
    assert "safetool recover" in refused.value.explain()


# --- interrupted and resumed -------------------------------------------------------------------


async def _when_transfer_reaches(board: EmulatedBoard, fraction: float, size: int) -> None:
    while (await board.board.counters())["bytes_in"] < fraction * size:
        await asyncio.sleep(0.01)


async def test_a_cable_pulled_mid_transfer_resumes_from_what_the_lock_verified(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki), "--tcp", "0", "--baud", "460800")
    size = images["v240"].stat().st_size
    task = asyncio.create_task(install_image(board.port, pki, images["v240"], retries=3))
    await _when_transfer_reaches(board, 0.6, size)
    assert await board.board.disconnect() is True
    outcome = await task
    assert outcome.attempts == 2
    assert outcome.resumed_from and outcome.resumed_from[0] >= 16 * 1024
    assert outcome.resumed_from[0] % 4096 == 0
    version, status = await running(board.port, pki)
    assert version == "2.4.0" and status.last_result == "confirmed"


async def test_a_board_reset_mid_transfer_leaves_the_old_image_and_a_second_run_resumes(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki), "--baud", "460800")
    size = images["v240"].stat().st_size
    await board.board.power_cut(at_byte=int(size * 0.7))
    with pytest.raises(InstallFailed, match="interrupted") as failed:
        await install_image(board.port, pki, images["v240"], retries=0)
    assert "continues where it stopped" in failed.value.explain()
    version, status = await running(board.port, pki)
    assert version == BUILTIN and status.active_slot is None  # still the old image
    trace = FrameTypes()
    outcome = await install_image(board.port, pki, images["v240"], tracer=trace)
    assert outcome.resumed_from and outcome.resumed_from[0] >= size // 3
    assert outcome.bytes_sent < size * 0.6  # only the rest went over the wire
    assert (await running(board.port, pki))[0] == "2.4.0"


async def test_a_port_that_comes_back_as_another_lock_gets_nothing_of_the_install(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    planned = await board_factory("--pki", str(pki), "--baud", "460800")
    other = await board_factory("--pki", str(pki), "--serial", "SL-0000-0002")
    assert isinstance(planned, EmulatorInLoop) and isinstance(other, EmulatorInLoop)
    size = images["v240"].stat().st_size
    trace = FrameTypes()
    task = asyncio.create_task(
        install_image(planned.port, pki, images["v240"], retries=3, tracer=trace)
    )
    await _when_transfer_reaches(planned, 0.4, size)
    assert trace.count(*TRANSFER_TYPES) > 0
    planned.move_cable_to(other)
    trace.sent.clear()
    with pytest.raises(InstallFailed) as failed:
        await task
    found = {"port": planned.port, "found": "SL-0000-0002", "serial": "SL-0000-0001"}
    assert failed.value.coded[0] == Message("install.failed.another_lock", found)
    assert "SL-0000-0002" in failed.value.explain() and "SL-0000-0001" in failed.value.explain()
    assert trace.count(*TRANSFER_TYPES, MsgType.FIRMWARE_ACTIVATE) == 0  # nothing of it to other
    assert (await running(other.port, pki))[0] == BUILTIN


def _cli_install(port: str, pki: Path, image: Path) -> list[str]:
    return [
        sys.executable, "-m", "safetool.cli.main", "firmware", "install", str(image),
        "--port", port, "--technician", str(pki / TECHNICIAN), "--yes", "--json",
    ]  # fmt: skip


@pytest.mark.board_process  # the tool runs as a process, killed mid-transfer
async def test_a_killed_tool_resumes_on_the_next_run(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki), "--baud", "460800")
    size = images["v240"].stat().st_size
    tool = await asyncio.create_subprocess_exec(
        *_cli_install(board.port, pki, images["v240"]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await _when_transfer_reaches(board, 0.6, size)
    tool.kill()
    await tool.wait()
    version, _ = await running(board.port, pki)
    assert version == BUILTIN
    second = await asyncio.create_subprocess_exec(
        *_cli_install(board.port, pki, images["v240"]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    result = lines[-1]
    assert result["event"] == "result" and result["ok"] is True
    assert result["resumed_from"] and result["resumed_from"][0] >= size // 3
    assert any(line["event"] == "progress" and line["phase"] == "transfer" for line in lines)


async def test_a_tool_stopped_after_the_trial_boot_confirms_on_the_next_run(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await _activate_without_confirming(board.port, pki, read_image(images["v240"]))
    version, status = await running(board.port, pki)
    assert version == "2.4.0" and status.trial_pending
    async with await LockClient.connect(board.port) as client:
        plan = await plan_install(
            client, identity(pki), read_image(images["v240"]), port=board.port, source="t"
        )
        assert plan.finish_only
        outcome = await install(client, identity(pki), read_image(images["v240"]), plan)
    assert outcome.transfers == [] and outcome.slot == "A"
    _, status = await running(board.port, pki)
    assert not status.trial_pending and status.last_result == "confirmed"


# --- trial boot and revert ---------------------------------------------------------------------


async def _activate_without_confirming(port: str, pki: Path, image: Image) -> None:
    """Everything an install does up to the trial boot, then stop (a tool that died)."""

    async with await LockClient.connect(port) as client:
        await open_session(client, identity(pki))
        opening = await begin(client, image.image_bytes)
        await send_image(client, image.image_bytes, opening)
        await client.request(FirmwareActivateRequest(hashlib.sha256(image.image_bytes).digest()))
    for _ in range(100):  # the board resets into the trial image
        await asyncio.sleep(0.05)
        try:
            version, _ = await running(port, pki)
        except Exception:
            continue
        if version == image.version.__str__():
            return
    raise AssertionError("the board never booted the trial image")


async def test_a_trial_image_not_confirmed_is_reverted_at_the_next_reset(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki))
    await _activate_without_confirming(board.port, pki, read_image(images["v240"]))
    await board.board.power_cycle()
    version, status = await running(board.port, pki)
    assert version == BUILTIN and status.last_result == "reverted"
    assert status.security_floor == 0  # an unconfirmed image never raises the floor
    audit = await board.board.audit(last=20)
    steps = [e.get("step") for e in audit if e["kind"] == "firmware_installed"]
    assert steps[-2:] == ["activated", "reverted"]


async def test_a_trial_image_not_confirmed_in_time_is_reverted_by_the_board_itself(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki), "--trial-timeout-s", "30")
    await _activate_without_confirming(board.port, pki, read_image(images["v240"]))
    await board.board.advance_clock(seconds=31)
    await asyncio.sleep(0.3)
    version, status = await running(board.port, pki)
    assert version == BUILTIN and status.last_result == "reverted"


# --- several boards at once --------------------------------------------------------------------


async def test_three_boards_at_once_with_progress_per_device_and_a_summary(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    boards = [await board_factory("--pki", str(pki), "--baud", "921600") for _ in range(3)]
    ports: list[str] = []
    for board in boards:
        ports += ["--port", board.port]
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v240"]), *ports,
        "--technician", str(pki / TECHNICIAN), "--yes", "--json",
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    plans = [line for line in lines if line["event"] == "plan"]
    results = [line for line in lines if line["event"] == "result"]
    assert len(plans) == 3 and len(results) == 3 and all(r["ok"] for r in results)
    progress_ports = {line["port"] for line in lines if line["event"] == "progress"}
    assert progress_ports == {board.port for board in boards}
    for board in boards:
        assert (await running(board.port, pki))[0] == "2.4.0"


async def test_install_speaks_chinese_plan_progress_and_result(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    board = await board_factory("--pki", str(pki), "--baud", "921600")
    code, out, err = await safetool_here(
        "firmware", "install", str(images["v240"]), "--port", board.port,
        "--technician", str(pki / TECHNICIAN), "--yes", "--lang", "zh-CN",
    )  # fmt: skip
    assert code == 0, err
    assert "（升级）" in out and "将安装到槽位 A" in out and "安全下限将升到 1" in out
    assert "已将" in out and "安装到槽位 A 并确认（自检通过" in out
    for line in out.splitlines():
        kept = re.sub(r"/dev/\S+|memory://\S+|SL-[\w-]+|\b\d+\.\d+\.\d+\b", "", line)
        assert not re.search(r"[A-Za-z]{2,}", kept.replace("mV", "")), line


async def test_a_garbage_stream_gets_a_clear_error_and_the_old_image_keeps_running(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory
) -> None:
    image = read_image(images["v240"]).image_bytes
    board = await board_factory("--pki", str(pki))
    async with await LockClient.connect(board.port) as client:
        await open_session(client, identity(pki))
        opening = await begin(client, image)
        await client.request(
            FirmwareStreamRequest(0, Compression.LZMA2, 32 * 1024, len(image) // 2)
        )
        garbage = b"\x7f" + os.urandom(3999)  # no LZMA2 chunk starts with 0x03-0x7f
        with pytest.raises(LockRefused) as refused:
            await client.request(FirmwareWriteRequest(0, garbage))
        assert refused.value.code == ErrorCode.MALFORMED
        assert "corrupt" in refused.value.detail
        with pytest.raises(LockRefused) as refused:  # the stream ended; nothing half-taken
            await client.request(FirmwareWriteRequest(4000, os.urandom(100)))
        assert refused.value.code == ErrorCode.INVALID_STATE
        assert opening.held == 0
    version, status = await running(board.port, pki)
    assert version == BUILTIN and status.active_slot is None


@pytest.mark.parametrize("page_size", [0, 1, 3000, 1 << 20])
async def test_a_page_size_outside_the_spec_is_refused_before_any_byte(
    pki: Path, images: dict[str, Path], board_factory: BoardFactory, page_size: int
) -> None:
    """Issue 19, finding 6: 0 was a ZeroDivisionError, 1 a 22-minute wait per attempt."""
    board = await board_factory("--pki", str(pki), "--baud", "921600")
    await board.board.set_fault(name="bad_page_size", page_size=page_size)
    started = time.monotonic()
    code, _, err = await safetool_here(
        "firmware", "install", str(images["v240"]), "--port", board.port,
        "--technician", str(pki / TECHNICIAN), "--yes",
    )  # fmt: skip
    assert code == 1 and f"page_size = {page_size}" in err, err
    assert "internal error" not in err and "Traceback" not in err
    assert time.monotonic() - started < 30
    version, status = await running(board.port, pki)
    assert version == BUILTIN and [slot.state for slot in status.slots] == ["empty", "empty"]
