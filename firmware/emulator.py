"""The emulated board as a running thing: a lock model behind a pty or a TCP port.

The service port carries only the wire protocol. Everything a person or a test rig does to the
board physically (keys, door, battery, faults, power) goes through :mod:`firmware.control`,
never through the service protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
import termios
import traceback
import tty
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.audit import AuditTrail
from firmware.audit_service import BoardAudit
from firmware.audit_tap import audit_tap, note_clean_shutdown, note_power
from firmware.bootloader import Bootloader
from firmware.clock import CLOCK_GRAIN_S, SystemClock
from firmware.delayline import DelayLine
from firmware.diagnostics import BoardDiagnostics
from firmware.features import features_for
from firmware.flash import Flash, PowerCut
from firmware.linkmodel import LinkDirection, LinkSettings
from firmware.lock import Identity, Lock
from firmware.policy import LockPolicy
from firmware.provisioning import Provisioning
from firmware.service import BoardService
from firmware.storage import StateStore
from firmware.trust import BoardTrust
from firmware.updater import DEFAULT_TRIAL_TIMEOUT_S, BoardUpdater
from protocols.board import DEFAULT_BOARD_MAX_FRAME
from protocols.catalogue import DoorState

TICK_S = 0.02
MAX_UNREAD_BYTES = 64 * 1024
"""The most a TCP board holds for a tool that has stopped reading; more falls off."""


UART_BAUD = 115200
"""The board's UART rate when the link model sets none (`--baud` sets both)."""


def garbled(data: bytes) -> bytes:
    """What a UART reading at the wrong rate makes of ``data``: other bytes, and never the
    0x00 that ends a frame, so the tool sees noise and no answer."""
    return bytes((byte ^ 0xA5) or 0xFF for byte in data)


class Emulator:
    def __init__(
        self,
        *,
        identity: Identity | None = None,
        state_dir: Path | None = None,
        link: LinkSettings | None = None,
        seed: int | None = None,
        policy: LockPolicy | None = None,
        max_frame: int = DEFAULT_BOARD_MAX_FRAME,
        provisioning: Provisioning | None = None,
        trial_timeout_s: float = DEFAULT_TRIAL_TIMEOUT_S,
        clock: SystemClock | None = None,
    ) -> None:
        self.identity = identity or Identity()
        self.clock = clock or SystemClock()
        self.store = StateStore(state_dir)
        self.link = link or LinkSettings()
        self.seed = seed
        self.rng = random.Random(seed)
        self.policy = policy
        self.max_frame = max_frame
        self.provisioning = provisioning
        self.state_dir = state_dir
        self.audit = AuditTrail(state_dir)
        self.flash = Flash(state_dir)
        self.store.power_cut_hook = self.flash.count_operation  # the lock's state is flash too
        self.trial_timeout_s = trial_timeout_s
        self._reset_requested = False
        self._bytes_in = 0
        self._cut_at_byte: int | None = None
        self.power_cuts = 0
        self.builtin_firmware_version = self.identity.firmware_version
        self.inbound = LinkDirection(self.link, self.rng)
        self.outbound = LinkDirection(self.link, self.rng)
        self.bytes_lost_unread = 0
        self.bytes_at_wrong_rate = 0
        """Bytes the tool sent at another line rate than the board's (pty only)."""
        self._sink: Callable[[bytes], None] | None = None
        self._to_board = DelayLine(self._into_board, self.clock.elapsed)
        self._to_tool = DelayLine(self._onto_wire, self.clock.elapsed)
        self._closers: list[Callable[[], None]] = []
        self.tick_failures = 0
        """Ticks that failed (each reported on stderr); the board's timers went on."""
        self._tick_task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.TimerHandle | None = None
        self.reset_listeners: list[Callable[[bool], None]] = []
        """Told after each reset or power cut whether the firmware asked for it (the BLE radio
        drops its connection then)."""
        self._wakeup_at_s = 0.0
        self._disconnect: Callable[[], None] | None = None
        self.port = ""
        self.service: BoardService
        self.lock: Lock
        self.power_on()

    # --- power -------------------------------------------------------------------------------

    def power_on(self) -> None:
        """Boot from what the store holds, as a real board does after power returns."""
        while True:
            try:
                self._boot()
                return
            except PowerCut:  # power failed again while booting; it comes back
                self.power_cuts += 1

    def _boot(self) -> None:
        self.clock.boot()
        self.audit.power_cut_hook = self.flash.count_audit_append  # audit writes are flash too
        key = None if self.provisioning is None else self.provisioning.firmware_key
        self.bootloader = Bootloader(
            self.flash, key, self.identity.model, self.builtin_firmware_version
        )
        self.identity.firmware_version = self.bootloader.boot()
        self._reset_requested = False
        self.features = features_for(self.identity.firmware_version)
        self.service = BoardService(self.identity, self.clock, max_frame=self.max_frame)
        emit = audit_tap(self.audit, lambda: self.lock.trusted_rtc(), self.service.emit_event)
        door = self.lock.hardware.door if hasattr(self, "lock") else DoorState.CLOSED
        self.lock = Lock(self.clock, self.store, emit, policy=self.policy, door=door)
        note_power(self.lock, self.audit)
        self.trust = BoardTrust(
            self.lock,
            self.provisioning,
            self.service.connection,
            self.audit,
            self.identity.serial,
        )
        self.audit.append(self.lock.trusted_rtc(), "power_on", boot=self.lock.saved.boot_count)
        if self.audit.repaired:  # a power cut tore the line being written: say so
            self.audit.append(
                self.lock.trusted_rtc(), "audit_repaired", dropped=self.audit.repaired
            )
            self.audit.repaired = 0
        self._last_jump_floor = -1.0

        def clock_jumped(clock_s: float, floor_s: float) -> None:
            if floor_s != self._last_jump_floor:  # one entry per jump, not per reading
                self._last_jump_floor = floor_s
                self.audit.append(
                    floor_s, "clock_jump_back", clock=int(clock_s), seconds=int(floor_s - clock_s)
                )

        self.lock.on_clock_jump = clock_jumped

        def silent_alarm(slot: int) -> None:
            self.audit.append(self.lock.trusted_rtc(), "silent_alarm", slot=slot, cause="duress")

        self.lock.on_silent_alarm = silent_alarm

        def relocked_after_power_loss() -> None:
            self.audit.append(self.lock.trusted_rtc(), "relocked", cause="power_loss")

        self.lock.on_power_loss_relock = relocked_after_power_loss
        self.diagnostics = BoardDiagnostics(self.lock, self.audit)
        self.diagnostics.register(self.trust)
        self.trust.on_session_end.append(self.diagnostics.end_keypad_test)
        self.audit_service = BoardAudit.of_emulator(self)
        self.audit_service.register(self.trust)
        self.bootloader.register(self.trust)
        self.lock.hardware.motor.cold_limit_bug = self.features.cold_motor_stall
        self.updater = BoardUpdater(
            self.flash,
            self.bootloader,
            self.clock,
            self.audit,
            self.lock.trusted_rtc,
            self.request_reset,
            health_report=self.features.health_report,
            self_test=self.diagnostics.self_test,
            trial_timeout_s=self.trial_timeout_s,
        )
        self.updater.register(self.trust)
        if self.bootloader.reverted:
            self.audit.append(
                self.lock.trusted_rtc(),
                "firmware_installed",
                step="reverted",
                running=self.identity.firmware_version,
            )
        self.service.attach(self.lock, self.trust)

    def power_cycle(self) -> None:
        """Cut power and restore it: bytes in flight are lost, RAM state is gone."""
        requested = self._reset_requested
        self._to_board.clear()
        self._to_tool.clear()
        if self.state_dir is not None:  # RAM is gone: the trail is what its file holds
            self.audit = AuditTrail(self.state_dir)
        self.power_on()
        for listener in self.reset_listeners:
            listener(requested)

    def factory_reset(self) -> None:
        """What a lock maker's production line does to a board it re-provisions (a rig's
        ``factory_reset`` command): its persistent state, audit trail and both firmware slots
        erased and its clock set to the true time; it then boots as it first left the line. Its
        provisioning (device key, certificate, recovery secret, trusted keys) stays."""
        if self.state_dir is not None:
            for path in self.state_dir.iterdir():
                if path.is_file():
                    path.unlink()
        self.store = StateStore(self.state_dir)
        self.audit = AuditTrail(self.state_dir)
        self.flash = Flash(self.state_dir)
        self.store.power_cut_hook = self.flash.count_operation
        if isinstance(self.clock, SystemClock):
            self.clock.rtc_skew_s = -self.clock.offset_s
        self.lock.hardware.door = DoorState.CLOSED
        self.power_cycle()

    def request_reset(self) -> None:
        """The firmware resets the board once its last answer is on the wire."""
        self._reset_requested = True

    def arm_power_cut(self, *, at_byte: int | None = None, at_flash_op: int | None = None) -> None:
        """Fault: cut power when the board has received ``at_byte`` more bytes, or during the
        ``at_flash_op``-th flash operation from now."""
        if at_byte is not None:
            if at_byte < 0:
                raise ValueError("at_byte must be 0 or more")
            self._cut_at_byte = self._bytes_in + at_byte
        if at_flash_op is not None:
            self.flash.arm_power_cut(at_flash_op)

    @property
    def bytes_in(self) -> int:
        """Bytes the board has received from the tool since it was started."""
        return self._bytes_in

    @property
    def byte_cut_armed(self) -> bool:
        return self._cut_at_byte is not None

    def disarm_power_cut(self) -> None:
        self._cut_at_byte = None
        self.flash.disarm_power_cut()

    def lose_power(self) -> None:
        """The armed power cut happened: the board goes off and comes back."""
        self.power_cuts += 1
        self.power_cycle()

    # --- the wire ------------------------------------------------------------------------------

    def on_wire_data(self, data: bytes) -> None:
        """Bytes from the tool: through the link model, then into the board."""
        self._to_board.put(self.inbound.schedule(data, self.clock.elapsed()))

    def _into_board(self, data: bytes) -> None:
        cut_here = self._cut_at_byte is not None and (
            self._bytes_in + len(data) >= self._cut_at_byte
        )
        if self._cut_at_byte is not None and cut_here:
            data = data[: self._cut_at_byte - self._bytes_in]
            self._cut_at_byte = None
        self._bytes_in += len(data)
        cuts = self.power_cuts
        self._powered(lambda: self.service.receive_data(data))
        if cut_here:
            if self.power_cuts == cuts:  # not already cut by a flash operation
                self.lose_power()
            return
        self.flush()
        self._wake_when_ready()

    def _wake_when_ready(self) -> None:
        """Answer a slow request the moment its work ends (not up to a tick later)."""
        ready_s = self.service.next_ready_s()
        if ready_s is None or (self._wakeup is not None and self._wakeup_at_s <= ready_s):
            return
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._wakeup_at_s = ready_s
        delay_s = max(CLOCK_GRAIN_S, ready_s - self.clock.monotonic())
        self._wakeup = asyncio.get_running_loop().call_later(delay_s, self._woken)

    def _woken(self) -> None:
        self._wakeup = None

        def answer_ready() -> None:
            self.service.poll_pending()
            self.flush()

        self._powered(answer_ready)
        self._wake_when_ready()

    def _powered(self, work: Callable[[], None]) -> None:
        """Run board work; a power cut during a flash operation turns the board off and on."""
        try:
            work()
        except PowerCut:
            self.lose_power()

    def flush(self) -> None:
        """Send whatever the board has queued (answers, events) through the link model."""
        data = self.service.data_to_send()
        if data:
            self.write_raw(data)

    def write_raw(self, data: bytes) -> None:
        self._to_tool.put(self.outbound.schedule(data, self.clock.elapsed()))

    def _onto_wire(self, data: bytes) -> None:
        if self._sink is None:
            self.bytes_lost_unread += len(data)
        else:
            self._sink(data)

    def set_link(self, **changes: Any) -> LinkSettings:
        settings = LinkSettings(**{**_as_dict(self.link), **changes})
        self.link = settings
        self.inbound.settings = settings
        self.outbound.settings = settings
        return settings

    # --- endpoints -----------------------------------------------------------------------------

    async def start_pty(self, *, strict_baud: bool = False) -> str:
        """Serve on a new pseudo-terminal; return the path a serial client opens. With
        ``strict_baud``, the line rate the tool sets must be the board's."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as on a UART
        os.set_blocking(master, False)
        self.port = os.ttyname(slave)
        loop = asyncio.get_running_loop()
        untouched = termios.tcgetattr(slave)[4]

        def wrong_rate() -> bool:
            """The tool opened the pty at another line rate than the board's UART: as on a
            real wire, neither side can read the other (a speed nobody set is not judged)."""
            if not strict_baud:
                return False
            speed = termios.tcgetattr(slave)[4]
            board = getattr(termios, f"B{self.link.baud or UART_BAUD}", None)
            return speed != untouched and board is not None and speed != board

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if data and wrong_rate():
                self.bytes_at_wrong_rate += len(data)  # framing errors: nothing a frame
            elif data:
                self.on_wire_data(data)

        def write(data: bytes) -> None:
            if wrong_rate():
                data = garbled(data)
            try:
                written = os.write(master, data)
            except (BlockingIOError, OSError):
                written = 0
            self.bytes_lost_unread += len(data) - written  # nobody reading: bytes fall off

        loop.add_reader(master, readable)
        self._sink = write

        def close() -> None:
            loop.remove_reader(master)
            os.close(master)
            os.close(slave)

        self._closers.append(close)
        self._start_ticking()
        return self.port

    async def start_tcp(self, port: int, host: str = "127.0.0.1") -> str:
        """Serve on TCP (``socket://host:port``); a new connection replaces the previous one."""
        current: list[asyncio.StreamWriter] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for old in current:
                old.close()
            current[:] = [writer]

            def send(data: bytes) -> None:
                # A tool that stops reading: bytes fall off past 64 KiB, as on a UART, never
                # an ever-growing buffer (issue 19: 43 MiB for 6,000 unread PINGs).
                if writer.transport.get_write_buffer_size() + len(data) > MAX_UNREAD_BYTES:
                    self.bytes_lost_unread += len(data)
                    return
                writer.write(data)

            self._sink = send
            try:
                while data := await reader.read(65536):
                    self.on_wire_data(data)
            except (ConnectionError, OSError):
                pass
            finally:
                if current == [writer]:
                    current.clear()
                    self._sink = None
                writer.close()

        server = await asyncio.start_server(handle, host, port)
        bound = server.sockets[0].getsockname()[1]
        self.port = f"socket://{host}:{bound}"

        def disconnect() -> None:
            for writer in current:
                writer.close()

        self._disconnect = disconnect
        self._closers.append(server.close)
        self._start_ticking()
        return self.port

    def start_memory(self) -> MemoryEnd:
        """Serve a tool running in this same event loop (``memory://``, :mod:`hil.inloop`):
        bytes pass by call, through the same link model as on a pty or TCP."""
        end = MemoryEnd(self)
        self._disconnect = end.pull
        self._start_ticking()
        return end

    def disconnect_client(self) -> bool:
        """Pull the cable (TCP or memory: a pty has no cable to pull). Says whether it could."""
        if self._disconnect is None:
            return False
        self._to_board.clear()  # bytes on a pulled cable go nowhere
        self._to_tool.clear()
        self._disconnect()
        return True

    def _start_ticking(self) -> None:
        if self._tick_task is None:
            self._tick_task = asyncio.create_task(self._tick_forever())

    async def _tick_forever(self) -> None:
        """The board's timers. Whatever one tick meets, the next one runs: a failure is
        reported on stderr (and counted), never left to end the task silently."""
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self._powered(self._tick)
            except Exception:
                self.tick_failures += 1
                traceback.print_exc(file=sys.stderr)

    def _tick(self) -> None:
        self.lock.tick()
        self.trust.expire_idle()
        self.updater.tick()
        self.service.poll_pending()
        self.flush()
        if self._reset_requested and self._to_tool.idle:
            self.power_cycle()

    def close(self, *, clean: bool = True) -> None:
        """Stop serving; ``clean=False`` is the plug pulled (nothing noted as a shutdown)."""
        if clean:
            note_clean_shutdown(self.lock)
        if self._tick_task is not None:
            self._tick_task.cancel()
        if self._wakeup is not None:
            self._wakeup.cancel()
        self._to_board.close()
        self._to_tool.close()
        for closer in reversed(self._closers):
            with contextlib.suppress(OSError):
                closer()
        self._closers.clear()

    # --- what the side channel reads -----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        lock = self.lock
        lock.tick()
        connection = self.service.connection
        return {
            "serial": self.identity.serial,
            "lock_state": lock.lock_state.name,
            "bolt": lock.hardware.bolt.name,
            "door": lock.hardware.door.name,
            "battery_mv": lock.hardware.battery_mv,
            "temperature_dc": lock.hardware.temperature_dc,
            "tamper_open": lock.hardware.tamper_open,
            "wrong_code_count": lock.wrong_code_count,
            "lockout_seconds": lock.lockout_seconds,
            "hard_lockout": lock.saved.hard_lockout,
            "lockouts_in_row": lock.saved.lockouts_in_row,
            "boot_count": lock.saved.boot_count,
            "silent_alarms": lock.saved.silent_alarms,
            "provisioned": self.provisioning is not None,
            "session": None
            if self.trust.session is None
            else {
                "technician": self.trust.session.technician.subject_id,
                "established": self.trust.session.established,
            },
            "recovery_counter": lock.saved.service.get("recovery_counter", 0),
            "challenge_open": lock.saved.service.get("challenge") is not None,
            "boot_id": connection.boot_id,
            "tick_failures": self.tick_failures,
            "audit_entries": self.audit.count,
            "link": {
                **_as_dict(self.link),
                **connection.stats.as_dict(),
                "duplicates": connection.duplicates,
                "conflicts": connection.conflicts,
                "link_sessions": connection.link_sessions,
                "frames_dropped_in": self.inbound.frames_dropped,
                "frames_dropped_out": self.outbound.frames_dropped,
                "bits_flipped": self.inbound.bits_flipped + self.outbound.bits_flipped,
                "bytes_lost_unread": self.bytes_lost_unread,
                "muted": self.service.muted,
            },
        }


class MemoryEnd:
    """The board's end of a memory link: one tool at a time, as on a cable."""

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu
        self._to_tool: Callable[[bytes], None] | None = None
        self._lost: Callable[[], None] | None = None

    @property
    def line_rate_bytes_per_s(self) -> float | None:
        return None if self._emu.link.baud is None else self._emu.link.baud / 10

    def attach(self, to_tool: Callable[[bytes], None], lost: Callable[[], None]) -> None:
        self.pull()  # a new tool replaces the previous one, as a new TCP connection does
        self._to_tool, self._lost = to_tool, lost
        self._emu._sink = to_tool

    def detach(self, to_tool: Callable[[bytes], None]) -> None:
        if self._to_tool == to_tool:
            self._to_tool = self._lost = None
            self._emu._sink = None

    def receive(self, data: bytes) -> None:
        if self._to_tool is not None:
            self._emu.on_wire_data(data)

    def pull(self) -> None:
        """The cable comes out: the tool's end learns its link is lost."""
        lost = self._lost
        self._to_tool = self._lost = None
        self._emu._sink = None
        if lost is not None:
            lost()


def _as_dict(settings: LinkSettings) -> dict[str, Any]:
    return {
        "baud": settings.baud,
        "latency_ms": settings.latency_ms,
        "ber": settings.ber,
        "drop": settings.drop,
    }
