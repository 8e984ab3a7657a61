"""The side channel: what a person or a test rig does to the board physically.

JSON lines over a loopback TCP socket, one request and one answer per line::

    {"op": "enter_code", "code": "123456"}   ->   {"ok": true, "result": "opened"}

It never touches the service protocol, so nothing a tool sends can press a key or move a
battery. :class:`ControlClient` is the Python API the tests and ``hil/`` use.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from firmware import audit_faults
from firmware.emulator import Emulator
from firmware.flash import PowerCut
from firmware.lock import Refused
from protocols.diag_messages import BoardError

Handler = Callable[[Emulator, dict[str, Any]], Any]


def _op_press_key(emu: Emulator, args: dict[str, Any]) -> Any:
    result = emu.lock.press_key(str(args["key"]))
    return None if result is None else result.value


def _op_enter_code(emu: Emulator, args: dict[str, Any]) -> Any:
    result = emu.lock.enter_code(str(args["code"]))
    return None if result is None else result.value


def _op_set_battery(emu: Emulator, args: dict[str, Any]) -> Any:
    emu.lock.set_battery(args.get("rest_mv"), args.get("internal_resistance_mohm"))


def _op_set_temperature(emu: Emulator, args: dict[str, Any]) -> Any:
    emu.lock.hardware.temperature_dc = int(args["temperature_dc"])


def _op_advance_clock(emu: Emulator, args: dict[str, Any]) -> Any:
    """Time passes (both clocks); a negative amount sets only the real-time clock back, as a
    person could: lived time never goes back."""
    seconds = float(args["seconds"])
    if seconds >= 0:
        emu.clock.advance(seconds)
    else:
        emu.clock.shift_rtc(seconds)
    emu.lock.tick()


def _op_set_link(emu: Emulator, args: dict[str, Any]) -> Any:
    changes = {k: args[k] for k in ("baud", "latency_ms", "ber", "drop") if k in args}
    emu.set_link(**changes)


def _op_mute(emu: Emulator, args: dict[str, Any]) -> Any:
    emu.service.muted = bool(args.get("on", True))


def _op_babble(emu: Emulator, args: dict[str, Any]) -> Any:
    emu.write_raw(os.urandom(int(args.get("count", 1024))))


def _op_set_fault(emu: Emulator, args: dict[str, Any]) -> Any:
    """Give the board one of the faults diagnostics must find (docs/emulator.md)."""
    name = str(args["name"])
    hardware = emu.lock.hardware
    if name == "weak_battery":
        hardware.battery.rest_mv = int(args.get("rest_mv", 4900))
    elif name == "high_resistance":
        hardware.battery.internal_resistance_mohm = int(args.get("mohm", 1500))
    elif name == "jammed_motor":
        hardware.motor.jammed = True
    elif name == "slow_motor":
        hardware.motor.slow_factor = float(args.get("factor", 2.5))
    elif name == "bolt_sensor_misaligned":
        hardware.bolt_sensor_misaligned = True
    elif name == "stuck_key":
        hardware.stuck_keys.add(str(args["key"]))
    elif name == "dead_key":
        hardware.dead_keys.add(str(args["key"]))
    elif name == "clock_drift":
        emu.clock.set_drift(float(args.get("ppm", 200.0)), float(args.get("skew_s", -900.0)))
    elif name == "tamper_open":
        emu.lock.set_tamper(True)
    elif name == "error_burst":
        for _ in range(int(args.get("count", 25))):
            emu.lock.log_error(BoardError(int(args.get("code", BoardError.FLASH_RETRY))))
    elif name == "door_sensor_stuck_open":
        hardware.door_sensor_stuck_open = True
    elif name == "dead_output":
        hardware.dead_outputs.add(str(args.get("output", "buzzer")))
    elif name == "bad_page_size":
        emu.updater.reported_page_size = int(args.get("page_size", 0))
    elif name == "hot":
        hardware.temperature_dc = int(args.get("temperature_dc", 650))
    else:
        raise ValueError(f"no fault {name!r} (see docs/emulator.md)")


def _op_flash_image(emu: Emulator, args: dict[str, Any]) -> Any:
    """Write an image file straight into a slot, as a production programmer would; the
    bootloader activates it at the next power-on (on trial if ``trial``)."""
    slot = str(args["slot"]).upper()
    try:
        with open(str(args["path"]), "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise ValueError(f"cannot read {args['path']}: {error.strerror or error}") from None
    emu.bootloader.program(slot, data, trial=bool(args.get("trial", False)))
    return {"slot": slot, "bytes": len(data)}


def _op_power_cut(emu: Emulator, args: dict[str, Any]) -> Any:
    """Cut power now, or arm a cut at byte N of what the board receives next (``at_byte``) or
    during flash operation K from now (``at_flash_op``); power comes back at once.
    ``disarm`` drops an armed cut that has not happened."""
    at_byte, at_op = args.get("at_byte"), args.get("at_flash_op")
    if args.get("disarm"):
        emu.disarm_power_cut()
        return {"armed": False}
    if at_byte is None and at_op is None:
        emu.lose_power()
        return {"cut": True}
    emu.arm_power_cut(
        at_byte=None if at_byte is None else int(at_byte),
        at_flash_op=None if at_op is None else int(at_op),
    )
    return {"armed": True}


def _op_ble_disconnect(emu: Emulator, args: dict[str, Any]) -> Any:
    """The lock drops the BLE connection (out of range, radio reset); it advertises again."""
    if not emu.port.startswith("ble:"):
        raise ValueError("not a BLE board (start it with --ble)")
    return emu.disconnect_client()


def _op_fit_part(emu: Emulator, args: dict[str, Any]) -> Any:
    """A technician fits a new part: the faults that part had are gone (the motor: jammed,
    stalled, worn)."""
    part = str(args.get("part", ""))
    if part != "motor":
        raise ValueError(f"no part {part!r} to fit (motor)")
    motor = emu.lock.hardware.motor
    motor.jammed, motor.stalled, motor.slow_factor = False, False, 1.0


OPS: dict[str, Handler] = {
    "state": lambda emu, args: emu.snapshot(),
    "set_fault": _op_set_fault,
    "fit_part": _op_fit_part,
    "outputs": lambda emu, args: emu.lock.hardware.outputs,
    "press_key": _op_press_key,
    "enter_code": _op_enter_code,
    "open_door": lambda emu, args: emu.lock.open_door(),
    "close_door": lambda emu, args: emu.lock.close_door(),
    "set_tamper": lambda emu, args: emu.lock.set_tamper(bool(args["open"])),
    "set_battery": _op_set_battery,
    "set_temperature": _op_set_temperature,
    "advance_clock": _op_advance_clock,
    "set_link": _op_set_link,
    "mute": _op_mute,
    "babble": _op_babble,
    "power_cycle": lambda emu, args: emu.power_cycle(),
    "factory_reset": lambda emu, args: emu.factory_reset(),
    "flash_image": _op_flash_image,
    "power_cut": _op_power_cut,
    "counters": lambda emu, args: {
        "operations": emu.flash.operations,
        "data_operations": emu.flash.operations - emu.flash.audit_appends,
        "busy_s": emu.flash.busy_s,
        "power_cuts": emu.power_cuts,
        "bytes_in": emu.bytes_in,
        "bytes_at_wrong_rate": emu.bytes_at_wrong_rate,
        "audit_entries": emu.audit.count,
        "cut_armed": emu.flash.power_cut_armed or emu.byte_cut_armed,
    },
    "audit": lambda emu, args: emu.audit.entries(args.get("last")),
    "audit_fill": lambda emu, args: audit_faults.fill(
        emu.audit, emu.lock.trusted_rtc(), int(args["count"])
    ),
    "audit_tamper": lambda emu, args: audit_faults.tamper(
        emu.audit, str(args["mode"]), int(args["index"]), bool(args.get("rechain", False))
    ),
    "disconnect": lambda emu, args: emu.disconnect_client(),
    "ble_disconnect": _op_ble_disconnect,
}


def handle_line(emu: Emulator, line: bytes) -> dict[str, Any]:
    """Carry out one request line; every failure becomes an answer, never an exception."""
    try:
        request = json.loads(line)
        handler = OPS[request["op"]]
    except (ValueError, KeyError, TypeError):
        return {"ok": False, "error": f"not a known request: {line[:80]!r}; ops: {sorted(OPS)}"}
    try:
        result = handler(emu, request)
    except PowerCut:  # an armed cut struck the flash write this action caused
        emu.lose_power()
        return {"ok": True, "result": None, "power_cut": True}
    except Refused as refusal:
        return {"ok": False, "error": str(refusal)}
    except (KeyError, ValueError, TypeError) as exc:
        return {"ok": False, "error": f"bad arguments for {request['op']}: {exc}"}
    emu.flush()
    return {"ok": True, "result": result}


async def start_control_server(emu: Emulator, port: int = 0) -> tuple[str, int]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                writer.write(json.dumps(handle_line(emu, line)).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    host, bound = server.sockets[0].getsockname()[:2]
    emu._closers.append(server.close)
    return host, bound


class ControlError(Exception):
    """The board refused a side-channel request (e.g. opening a bolted door)."""


class ControlClient:
    """Async client of the side channel: ``await board.enter_code("123456")``."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host, int(port)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def call(self, op: str, **args: Any) -> Any:
        async with self._lock:
            if self._writer is None or self._writer.is_closing():
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            assert self._reader is not None
            self._writer.write(json.dumps({"op": op, **args}).encode() + b"\n")
            await self._writer.drain()
            line = await self._reader.readline()
        if not line:
            self._writer = None
            raise ConnectionError("the emulated board's side channel closed")
        answer: dict[str, Any] = json.loads(line)
        if not answer["ok"]:
            raise ControlError(answer["error"])
        return answer["result"]

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __getattr__(self, op: str) -> Callable[..., Awaitable[Any]]:
        if op not in OPS:
            raise AttributeError(op)
        return lambda **args: self.call(op, **args)
