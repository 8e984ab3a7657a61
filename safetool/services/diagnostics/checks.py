"""The checks: each judges readings against the model's limits and names the likely part.

Each check's docstring is its documented method (docs/diagnostics.md is built from the same
words). A check never raises for a bad reading: it returns a verdict, ``could_not_run`` with
the reason when the reading could not be taken.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from protocols.audit_messages import CLOCK_NUDGE_S
from protocols.catalogue import BoltState, DoorState
from protocols.diag_messages import BoardError, MotorResult, keys_from_mask
from safetool.messages import Message, Words, as_dict, render
from safetool.services.diagnostics.model_data import Limits, ModelData
from safetool.services.diagnostics.readings import Readings
from safetool.services.events import bolt_message, door_message


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    COULD_NOT_RUN = "could_not_run"


@dataclass(slots=True)
class CheckResult:
    """A check's verdict. The words are coded (``title``, ``value`` when a word, ``detail``,
    the part's name and next step from the model data) and worded per language by
    :meth:`worded`; ``as_dict`` keeps the English next to the codes for JSON."""

    name: str
    title: Message
    verdict: Verdict
    value: float | str | Message | None = None
    unit: str = ""
    detail: Message | None = None
    part_number: str | None = None
    part_name: Words | None = None
    next_step: Words | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def worded(self, language: str = "en") -> WordedResult:
        def word(text: Message | Words | None) -> str:
            return "" if text is None else render(text, language)

        value = self.value
        return WordedResult(
            title=word(self.title),
            value=render(value, language) if isinstance(value, Message) else value,
            detail=word(self.detail),
            part_name=word(self.part_name) or None,
            next_step=word(self.next_step) or None,
        )

    def as_dict(self) -> dict[str, Any]:
        english = self.worded("en")
        codes: dict[str, Any] = {
            name: as_dict(text)
            for name, text in (
                ("title", self.title),
                ("value", self.value),
                ("detail", self.detail),
            )
            if isinstance(text, Message)
        }
        for name, words in (("part_name", self.part_name), ("next_step", self.next_step)):
            if words is not None:
                codes[name] = dict(words.texts)
        return {
            "name": self.name,
            "title": english.title,
            "verdict": self.verdict.value,
            "value": english.value,
            "unit": self.unit,
            "detail": english.detail,
            "part_number": self.part_number,
            "part_name": english.part_name,
            "next_step": english.next_step,
            "extra": self.extra,
            "codes": codes,
        }


@dataclass(frozen=True, slots=True)
class WordedResult:
    """A check result's words in one language."""

    title: str
    value: float | str | None
    detail: str
    part_name: str | None
    next_step: str | None


Check = Callable[["CheckContext"], Awaitable[CheckResult]]


@dataclass(slots=True)
class CheckContext:
    readings: Readings
    model: ModelData

    def result(
        self,
        name: str,
        verdict: Verdict,
        *,
        value: float | str | Message | None = None,
        unit: str = "",
        detail: Message | None = None,
        part: str | None = None,
        **extra: Any,
    ) -> CheckResult:
        """A result; a part is named only for warn and fail, with its next step."""
        named = self.model.part(part) if part and verdict in (Verdict.WARN, Verdict.FAIL) else None
        return CheckResult(
            name,
            Message(f"diag.check.{name}"),
            verdict,
            value,
            unit,
            detail,
            named.number if named else None,
            named.name if named else None,
            named.next_step if named else None,
            extra,
        )


def judge(value: float, limits: Limits) -> Verdict:
    if (limits.fail_below is not None and value < limits.fail_below) or (
        limits.fail_above is not None and value > limits.fail_above
    ):
        return Verdict.FAIL
    if (limits.warn_below is not None and value < limits.warn_below) or (
        limits.warn_above is not None and value > limits.warn_above
    ):
        return Verdict.WARN
    return Verdict.PASS


def describe_limits(limits: Limits, unit: str) -> Message:
    """``limits: warn below 5200 mV, fail below 4800 mV``."""
    parts = [
        Message(f"diag.limit.{name}", {"value": f"{bound:g}", "unit": unit})
        for name, bound in (
            ("warn_below", limits.warn_below),
            ("fail_below", limits.fail_below),
            ("warn_above", limits.warn_above),
            ("fail_above", limits.fail_above),
        )
        if bound is not None
    ]
    return Message("diag.limits", {"limits": parts})


MOTOR_NEEDS_OPEN = Message("diag.motor_needs_open")


async def check_battery(ctx: CheckContext) -> CheckResult:
    """Battery voltage at rest, read by the board with only its own few mA flowing."""
    sensors = await ctx.readings.sensors()
    limits = ctx.model.limit("battery_mv")
    verdict = judge(sensors.battery_mv, limits)
    return ctx.result(
        "battery",
        verdict,
        value=sensors.battery_mv,
        unit="mV",
        detail=describe_limits(limits, "mV"),
        part="battery",
    )


async def check_battery_resistance(ctx: CheckContext) -> CheckResult:
    """Internal resistance: (voltage at rest - lowest voltage while the motor runs) / motor
    current. A worn or cold battery shows it long before its resting voltage drops."""
    motor = await ctx.readings.motor_test()
    if motor.result == MotorResult.REFUSED_LOCKED:
        needs = (
            Message("diag.motor_needs_bolt_freed")
            if await _bolt_stopped_part_way(ctx)
            else MOTOR_NEEDS_OPEN
        )
        return ctx.result("battery_resistance", Verdict.COULD_NOT_RUN, detail=needs)
    if motor.peak_current_ma <= 0:
        return ctx.result(
            "battery_resistance", Verdict.COULD_NOT_RUN, detail=Message("diag.no_current")
        )
    mohm = round((motor.rest_mv - motor.loaded_mv) * 1000 / motor.peak_current_ma)
    limits = ctx.model.limit("internal_resistance_mohm")
    return ctx.result(
        "battery_resistance",
        judge(mohm, limits),
        value=mohm,
        unit="mΩ",
        detail=Message(
            "diag.detail.battery_load",
            {
                "rest": motor.rest_mv,
                "loaded": motor.loaded_mv,
                "current": motor.peak_current_ma,
                "limits": describe_limits(limits, "mΩ"),
            },
        ),
        part="battery",
    )


async def check_motor(ctx: CheckContext) -> CheckResult:
    """Motor: drives the bolt out and back in, timing each way and measuring peak current.
    A stall (no travel within 1.5 s) is a jammed bolt or a dead motor."""
    motor = await ctx.readings.motor_test()
    if motor.result == MotorResult.REFUSED_LOCKED:
        if await _bolt_stopped_part_way(ctx):
            # not a closed lock: the bolt is neither out nor in (the usual call-out: it jammed
            # while the customer opened the safe), so the test cannot start, and that is a fault
            return ctx.result(
                "motor",
                Verdict.FAIL,
                value=Message("diag.value.part_way"),
                detail=Message("diag.detail.motor_part_way"),
                part="motor",
            )
        return ctx.result("motor", Verdict.COULD_NOT_RUN, detail=MOTOR_NEEDS_OPEN)
    if motor.result == MotorResult.STALLED:
        return ctx.result(
            "motor",
            Verdict.FAIL,
            value=Message("diag.value.stalled"),
            detail=Message("diag.detail.stalled", {"current": motor.peak_current_ma}),
            part="motor",
        )
    travel = max(motor.extend_ms, motor.retract_ms)
    verdict = max(
        judge(travel, ctx.model.limit("motor_travel_ms")),
        judge(motor.peak_current_ma, ctx.model.limit("motor_current_ma")),
        key=_severity,
    )
    return ctx.result(
        "motor",
        verdict,
        value=travel,
        unit="ms",
        detail=Message(
            "diag.detail.motor",
            {"out": motor.extend_ms, "in_ms": motor.retract_ms, "peak": motor.peak_current_ma},
        ),
        part="motor",
    )


async def check_bolt_sensor(ctx: CheckContext) -> CheckResult:
    """Bolt position sensor: where the sensor says the bolt is, against where the controller
    last drove it."""
    sensors = await ctx.readings.sensors()
    sensed, commanded = sensors.bolt_sensor, sensors.bolt_commanded
    if sensed == BoltState.UNKNOWN:
        # neither end switch: the bolt stopped part-way, or the sensor is faulty. A motor
        # stall in the error log says which: a jammed bolt (the motor's fault to fix first)
        jammed = await _stalls(ctx) > 0
        return ctx.result(
            "bolt_sensor",
            Verdict.FAIL,
            value=Message("diag.value.part_way"),
            detail=Message("diag.detail.bolt_jammed" if jammed else "diag.detail.bolt_neither"),
            part="motor" if jammed else "bolt_sensor",
        )
    verdict = Verdict.PASS if sensed == commanded else Verdict.FAIL
    return ctx.result(
        "bolt_sensor",
        verdict,
        value=bolt_message(sensed),
        detail=Message(
            "diag.detail.bolt_sensor",
            {"sensed": bolt_message(sensed), "commanded": bolt_message(commanded)},
        ),
        part="bolt_sensor",
    )


async def check_keypad_stuck(ctx: CheckContext) -> CheckResult:
    """Stuck keys: with nobody touching the keypad, no key may read as pressed."""
    sensors = await ctx.readings.sensors()
    stuck = keys_from_mask(sensors.keys_held)
    verdict = Verdict.FAIL if stuck else Verdict.PASS
    return ctx.result(
        "keypad_stuck",
        verdict,
        value=stuck or Message("list.none"),
        detail=Message("diag.detail.stuck", {"keys": stuck}) if stuck else None,
        part="keypad",
    )


async def check_keypad_keys(ctx: CheckContext) -> CheckResult:
    """Every key works: in a keypad test the technician presses each key once; a key the
    board never reports is dead. Needs a person at the lock."""
    pressed = await ctx.readings.keypad_test()
    if pressed is None:
        return ctx.result(
            "keypad_keys", Verdict.COULD_NOT_RUN, detail=Message("diag.needs_key_presser")
        )
    missing = "".join(k for k in "0123456789*#" if k not in pressed)
    verdict = Verdict.FAIL if missing else Verdict.PASS
    return ctx.result(
        "keypad_keys",
        verdict,
        value=missing or Message("diag.value.all_keys_work"),
        detail=Message("diag.detail.never_registered", {"keys": missing}) if missing else None,
        part="keypad",
    )


async def _confirmed_output(ctx: CheckContext, name: str, part: str) -> CheckResult:
    answer = await ctx.readings.confirm_output(name)
    if answer is None:
        return ctx.result(name, Verdict.COULD_NOT_RUN, detail=Message("diag.needs_confirmer"))
    return ctx.result(
        name,
        Verdict.PASS if answer else Verdict.FAIL,
        value=Message("diag.value.confirmed" if answer else "diag.value.not_seen"),
        part=part,
    )


async def check_buzzer(ctx: CheckContext) -> CheckResult:
    """Buzzer: the board sounds it for a second; the technician confirms hearing it."""
    return await _confirmed_output(ctx, "buzzer", "buzzer")


async def check_leds(ctx: CheckContext) -> CheckResult:
    """LEDs: the board lights green then red; the technician confirms seeing both."""
    return await _confirmed_output(ctx, "leds", "leds")


async def check_rtc(ctx: CheckContext) -> CheckResult:
    """Real-time clock: the board's clock against this laptop's (UTC), read together."""
    offset = await ctx.readings.rtc_offset_s()
    limits = ctx.model.limit("rtc_offset_s")
    verdict = judge(abs(offset), limits)
    side = "behind" if offset < 0 else "ahead"
    return ctx.result(
        "rtc",
        verdict,
        value=round(offset, 1),
        unit="s",
        detail=Message(
            "diag.detail.rtc_consequence",
            {
                "reading": Message(
                    f"diag.detail.rtc_{side}",
                    {"seconds": f"{abs(offset):.0f}", "limits": describe_limits(limits, "s")},
                ),
                "consequence": Message(_rtc_consequence(offset)),
            },
        ),
        part="rtc_cell",
    )


def _rtc_consequence(offset_s: float) -> str:
    """What a clock this far off means for the technician (SPEC.md 12.6): recovery never
    depends on it; past what a laptop may correct, certificates are judged on the lock's signed
    time and only the authority's signed time can put it right."""
    if abs(offset_s) > CLOCK_NUDGE_S:
        return "diag.rtc.far"
    if offset_s < -5:
        return "diag.rtc.near_behind"
    return "diag.rtc.near"


async def check_temperature(ctx: CheckContext) -> CheckResult:
    """Temperature inside the lock housing."""
    sensors = await ctx.readings.sensors()
    celsius = sensors.temperature_dc / 10
    limits = ctx.model.limit("temperature_c")
    return ctx.result(
        "temperature",
        judge(celsius, limits),
        value=celsius,
        unit="°C",
        detail=describe_limits(limits, "°C"),
        part="controller",
    )


async def check_tamper(ctx: CheckContext) -> CheckResult:
    """Tamper switch: closed when the housing is shut."""
    sensors = await ctx.readings.sensors()
    opened = bool(sensors.tamper_open)
    return ctx.result(
        "tamper",
        Verdict.FAIL if opened else Verdict.PASS,
        value=Message("door.open" if opened else "door.closed"),
        part="tamper_switch",
    )


async def check_door_sensor(ctx: CheckContext) -> CheckResult:
    """Door sensor: the door cannot be open while the bolt is out; if the sensor says so, the
    sensor is wrong."""
    sensors = await ctx.readings.sensors()
    door, bolt = sensors.door, sensors.bolt_commanded
    impossible = door == DoorState.OPEN and bolt == BoltState.EXTENDED
    verdict = Verdict.FAIL if impossible or door == DoorState.UNKNOWN else Verdict.PASS
    return ctx.result(
        "door_sensor",
        verdict,
        value=door_message(door),
        detail=Message("diag.detail.door_impossible") if impossible else None,
        part="door_sensor",
    )


_ERROR_PARTS = {
    BoardError.MOTOR_STALL: "motor",
    BoardError.MOTOR_SLOW: "motor",
    BoardError.BOLT_SENSOR_MISMATCH: "bolt_sensor",
    BoardError.LOW_VOLTAGE: "battery",
    BoardError.KEY_STUCK: "keypad",
    BoardError.RTC_INVALID: "rtc_cell",
}


SERIOUS_AT_ONCE = {BoardError.MOTOR_STALL, BoardError.BOLT_SENSOR_MISMATCH}
"""Errors worth a warning the first time: each is a safe that may not have opened."""


async def _stalls(ctx: CheckContext) -> int:
    """Motor stalls in the lock's error log."""
    records = await ctx.readings.error_log()
    return sum(r["count"] for r in records if r["code"] == BoardError.MOTOR_STALL)


async def _bolt_stopped_part_way(ctx: CheckContext) -> bool:
    return (await ctx.readings.sensors()).bolt_sensor == BoltState.UNKNOWN


async def check_error_log(ctx: CheckContext) -> CheckResult:
    """Error log: how often each error code occurred, first and last seen; judged on the most
    frequent code."""
    records = await ctx.readings.error_log()
    if not records:
        return ctx.result(
            "error_log", Verdict.PASS, value=0, detail=Message("diag.detail.log_empty")
        )
    limit = ctx.model.limit("error_count")

    def verdict_of(record: dict[str, int]) -> Verdict:
        counted = judge(record["count"], limit)
        if _board_error(record["code"]) in SERIOUS_AT_ONCE:
            return max(counted, Verdict.WARN, key=_severity)
        return counted

    worst = max(records, key=lambda r: (_severity(verdict_of(r)), r["count"]))
    verdict = verdict_of(worst)
    code = _board_error(worst["code"])
    part = _ERROR_PARTS.get(code, "controller") if isinstance(code, BoardError) else "controller"
    lines = [
        Message("diag.detail.error_times", {"error": _error_name(r["code"]), "count": r["count"]})
        for r in records
    ]
    return ctx.result(
        "error_log",
        verdict,
        value=sum(r["count"] for r in records),
        detail=Message("diag.detail.errors", {"errors": lines}),
        part=part,
        records=records,
    )


async def check_versions(ctx: CheckContext) -> CheckResult:
    """Firmware and bootloader versions against the model's known issues."""
    identity = await ctx.readings.identity()
    found = []
    verdict = Verdict.PASS
    bootloader_issue = False
    for issue in ctx.model.known_issues:
        version = (
            identity.firmware_version
            if issue.component == "firmware"
            else (identity.bootloader_version)
        )
        if version in issue.versions:
            found.append(
                Message(
                    f"diag.detail.known_issue_{issue.component}",
                    {"version": version, "advisory": issue.advisory},
                )
            )
            verdict = max(verdict, Verdict(issue.severity), key=_severity)
            bootloader_issue = bootloader_issue or issue.component == "bootloader"
    return ctx.result(
        "versions",
        verdict,
        value=f"{identity.firmware_version} / {identity.bootloader_version}",
        detail=Message("diag.detail.known_issues", {"issues": found}) if found else None,
        # a firmware issue is fixed by an install (its advisory says which); only a
        # bootloader's needs a part
        part="controller" if bootloader_issue else None,
    )


def _severity(verdict: Verdict) -> int:
    return [Verdict.PASS, Verdict.COULD_NOT_RUN, Verdict.WARN, Verdict.FAIL].index(verdict)


def _board_error(code: int) -> BoardError | int:
    try:
        return BoardError(code)
    except ValueError:
        return code


def _error_name(code: int) -> Message:
    known = _board_error(code)
    if isinstance(known, BoardError):
        return Message(f"board_error.{known.name.lower()}")
    return Message("board_error.unknown", {"code": code})


CHECKS: dict[str, Check] = {
    "battery": check_battery,
    "battery_resistance": check_battery_resistance,
    "motor": check_motor,
    "bolt_sensor": check_bolt_sensor,
    "keypad_stuck": check_keypad_stuck,
    "keypad_keys": check_keypad_keys,
    "buzzer": check_buzzer,
    "leds": check_leds,
    "rtc": check_rtc,
    "temperature": check_temperature,
    "tamper": check_tamper,
    "door_sensor": check_door_sensor,
    "error_log": check_error_log,
    "versions": check_versions,
}
