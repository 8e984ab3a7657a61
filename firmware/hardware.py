"""The physical parts of the board: battery, motor and bolt, door switch, tamper, thermometer."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    slow_factor: float = 1.0
    """Fault: a worn gearbox makes travel this many times slower."""
    jammed: bool = False
    """Fault: the bolt does not move; the motor stalls and draws stall current."""
    stall_current_ma: int = 1800
    stall_timeout_s: float = 1.5
    stalled: bool = False
    """The last run ended in a stall."""
    started_at: float = 0.0
    cold_limit_bug: bool = False
    """Firmware 2.2.x sets the current limit too low: below 0 °C the motor stalls (fixed in
    2.3.0; SL-100.toml lists it as a known issue)."""
    _cold_stall: bool = False

    def start(self, now: float, target: BoltState, temperature_dc: int = 235) -> None:
        self.started_at = now
        self._cold_stall = self.cold_limit_bug and temperature_dc < 0
        duration = self.stall_timeout_s if self.stalling else self.travel_s * self.slow_factor
        self.running_until = now + duration
        self.target = target
        self.stalled = False

    @property
    def stalling(self) -> bool:
        """This run cannot move the bolt (jammed, or the cold-weather firmware bug)."""
        return self.jammed or self._cold_stall

    @property
    def drawing_ma(self) -> int:
        return self.stall_current_ma if self.stalling else self.current_ma

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
    bolt_sensor_misaligned: bool = False
    """Fault: the position sensor reads the opposite of where the bolt is."""
    door_sensor_stuck_open: bool = False
    """Fault: the door sensor reads open whatever the door does."""
    dead_outputs: set[str] = field(default_factory=set)
    """Fault: outputs (buzzer, led_green, led_red) that no longer work."""
    stuck_keys: set[str] = field(default_factory=set)
    dead_keys: set[str] = field(default_factory=set)
    outputs: list[tuple[str, int]] = field(default_factory=list)
    """Buzzer and LED activations (name, ms), newest last: what a person at the lock saw."""

    @property
    def bolt_sensor(self) -> BoltState:
        if not self.bolt_sensor_misaligned:
            return self.bolt
        flipped = {BoltState.EXTENDED: BoltState.RETRACTED, BoltState.RETRACTED: BoltState.EXTENDED}
        return flipped.get(self.bolt, BoltState.UNKNOWN)

    @property
    def load_ma(self) -> int:
        return self.motor.drawing_ma if self.motor.running else 5

    @property
    def battery_mv(self) -> int:
        return self.battery.voltage_mv(self.load_ma)
