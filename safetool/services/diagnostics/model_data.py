"""Per-model limits, parts and known issues: one TOML file per model, checked on load."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from safetool.errors import SafetoolError
from safetool.messages import LANGUAGES, Message, Words

LIMIT_KEYS = ("warn_below", "fail_below", "warn_above", "fail_above")


class ModelDataError(SafetoolError):
    pass


@dataclass(frozen=True, slots=True)
class Limits:
    warn_below: float | None = None
    fail_below: float | None = None
    warn_above: float | None = None
    fail_above: float | None = None


@dataclass(frozen=True, slots=True)
class Part:
    key: str
    number: str
    name: Words
    next_step: Words


@dataclass(frozen=True, slots=True)
class KnownIssue:
    component: str
    versions: tuple[str, ...]
    severity: str
    advisory: Words


@dataclass(frozen=True, slots=True)
class ModelData:
    model: str
    limits: dict[str, Limits]
    parts: dict[str, Part]
    known_issues: tuple[KnownIssue, ...]

    def limit(self, name: str) -> Limits:
        return self.limits[name]

    def part(self, key: str) -> Part:
        return self.parts[key]


REQUIRED_LIMITS = (
    "battery_mv",
    "internal_resistance_mohm",
    "motor_travel_ms",
    "motor_current_ma",
    "rtc_offset_s",
    "temperature_c",
    "error_count",
)
REQUIRED_PARTS = (
    "battery",
    "motor",
    "bolt_sensor",
    "keypad",
    "buzzer",
    "leds",
    "rtc_cell",
    "tamper_switch",
    "door_sensor",
    "controller",
)


def _fail(source: str, problem: str) -> ModelDataError:
    return ModelDataError(
        Message("model_data.invalid", {"source": source, "problem": problem}),
        meaning=Message("model_data.invalid.meaning"),
        next_step=Message("model_data.invalid.next"),
    )


def _words(value: Any, source: str, where: str) -> Words:
    """A text a person reads, given in every language (``name.en``, ``name.zh_CN``)."""
    if not isinstance(value, dict) or not all(
        isinstance(value.get(language), str) and value[language].strip() for language in LANGUAGES
    ):
        raise _fail(source, f"{where} needs a text in each of {', '.join(LANGUAGES)}")
    return Words({language: value[language] for language in LANGUAGES})


def parse_model_data(data: dict[str, Any], source: str) -> ModelData:
    """Check every field; raise :class:`ModelDataError` naming the first problem."""
    if not isinstance(data.get("model"), str):
        raise _fail(source, "'model' must be a string")
    limits: dict[str, Limits] = {}
    for name, table in dict(data.get("limits", {})).items():
        if not isinstance(table, dict) or set(table) - set(LIMIT_KEYS) or not table:
            raise _fail(source, f"limits.{name} must hold only {', '.join(LIMIT_KEYS)}")
        if not all(isinstance(v, int | float) for v in table.values()):
            raise _fail(source, f"limits.{name} values must be numbers")
        limit = Limits(**table)
        if (
            limit.fail_below is not None
            and limit.warn_below is not None
            and limit.fail_below > limit.warn_below
        ):
            raise _fail(source, f"limits.{name}: fail_below is above warn_below")
        if (
            limit.fail_above is not None
            and limit.warn_above is not None
            and limit.fail_above < limit.warn_above
        ):
            raise _fail(source, f"limits.{name}: fail_above is below warn_above")
        limits[name] = limit
    parts: dict[str, Part] = {}
    for key, table in dict(data.get("parts", {})).items():
        if not isinstance(table, dict) or not (
            isinstance(table.get("number"), str) and table["number"]
        ):
            raise _fail(source, f"parts.{key} needs number, name and next_step")
        parts[key] = Part(
            key,
            table["number"],
            _words(table.get("name"), source, f"parts.{key}.name"),
            _words(table.get("next_step"), source, f"parts.{key}.next_step"),
        )
    issues = []
    for index, table in enumerate(data.get("known_issues", [])):
        try:
            issue = KnownIssue(
                str(table["component"]),
                tuple(map(str, table["versions"])),
                str(table["severity"]),
                _words(table["advisory"], source, f"known_issues[{index}].advisory"),
            )
        except (KeyError, TypeError):
            raise _fail(
                source, f"known_issues[{index}] needs component, versions, severity, advisory"
            ) from None
        if issue.component not in ("firmware", "bootloader") or issue.severity not in (
            "warn",
            "fail",
        ):
            raise _fail(
                source, f"known_issues[{index}]: component firmware|bootloader, severity warn|fail"
            )
        issues.append(issue)
    missing = [n for n in REQUIRED_LIMITS if n not in limits]
    missing += [f"parts.{p}" for p in REQUIRED_PARTS if p not in parts]
    if missing:
        raise _fail(source, f"missing {', '.join(missing)}")
    return ModelData(data["model"], limits, parts, tuple(issues))


def load_model_data(model: str, directory: Path | None = None) -> ModelData:
    """The data for ``model``: from ``directory`` if given, else shipped with safetool."""
    name = f"{model}.toml"
    try:
        if directory is not None:
            text = (directory / name).read_text(encoding="utf-8")
        else:
            text = (
                resources.files("safetool.data")
                .joinpath("models", name)
                .read_text(encoding="utf-8")
            )
    except (FileNotFoundError, OSError):
        raise ModelDataError(
            Message("model_data.missing", {"model": model}),
            meaning=Message("model_data.missing.meaning"),
            next_step=Message("model_data.missing.next"),
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _fail(name, str(error)) from None
    return parse_model_data(data, name)
