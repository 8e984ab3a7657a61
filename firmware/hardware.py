"""The physical parts of the board: battery, motor and bolt, door switch, tamper, thermometer."""

from __future__ import annotations

from dataclasses import dataclass

from protocols.catalogue import BoltState, DoorState

LOW_BATTERY_MV = 4800
"""Below this (at rest or under load) the board raises LOW_BATTERY; four AA cells read ~6000 mV."""


@dataclass(slots=True)
class Battery:
    rest_mv: int = 6000
    internal_resistance_mohm: int = 400

    def voltage_mv(self, load_ma: int) -> int:
        """Terminal voltage while ``load_ma`` flows: it sags by I·R."""
        return max(0, self.rest_mv - load_ma * self.internal_resistance_mohm // 1000)


@dataclass(slots=True)
class Motor:
    """Drives the bolt; while it runs it draws ``current_ma`` and the battery sags."""

    travel_s: float = 0.6
    current_ma: int = 800
    running_until: float | None = None
    target: BoltState = BoltState.EXTENDED

    def start(self, now: float, target: BoltState) -> None:
        self.running_until = now + self.travel_s
        self.target = target

    @property
    def running(self) -> bool:
        return self.running_until is not None

    def finished(self, now: float) -> bool:
        return self.running_until is not None and now >= self.running_until


@dataclass(slots=True)
class Hardware:
    battery: Battery
    motor: Motor
    bolt: BoltState = BoltState.EXTENDED
    door: DoorState = DoorState.CLOSED
    tamper_open: bool = False
    temperature_dc: int = 235

    @property
    def load_ma(self) -> int:
        return self.motor.current_ma if self.motor.running else 5

    @property
    def battery_mv(self) -> int:
        return self.battery.voltage_mv(self.load_ma)
