"""What the emulated board's firmware versions do differently, so an install shows in behaviour
and not only in IDENTIFY's version string.

| version | behaviour |
| --- | --- |
| 2.2.x | motor current limit too low: the bolt stalls below 0 °C (an SL-100.toml known issue) |
| 2.3.0 and later | the cold-weather stall is fixed |
| 2.4.0 and later | answer FIRMWARE_HEALTH (the self-test the install's health check reads) |
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.firmware_image import ImageVersion

HEALTH_SINCE = ImageVersion(2, 4, 0, 0)
COLD_STALL_FROM = ImageVersion(2, 2, 0, 0)
COLD_STALL_FIXED = ImageVersion(2, 3, 0, 0)


@dataclass(frozen=True, slots=True)
class FirmwareFeatures:
    health_report: bool
    """FIRMWARE_HEALTH is served (older versions answer UNKNOWN_TYPE)."""
    cold_motor_stall: bool
    """The 2.2.x bug: the motor stalls below 0 °C."""


def features_for(version: str) -> FirmwareFeatures:
    try:
        parsed = ImageVersion.parse(version)
    except ValueError:
        parsed = ImageVersion(0, 0, 0, 0)
    release = parsed.release_key()
    return FirmwareFeatures(
        health_report=release >= HEALTH_SINCE.release_key(),
        cold_motor_stall=COLD_STALL_FROM.release_key() <= release < COLD_STALL_FIXED.release_key(),
    )
