"""The board's lock model on a manual clock: penalty policy, persistence, motor and battery."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware import lock as lock_module
from firmware.clock import ManualClock
from firmware.codes import SALT_SIZE, KeypadUser, Role, find_user
from firmware.hardware import LOW_BATTERY_MV
from firmware.lock import CodeResult, Lock, Refused
from firmware.policy import LockPolicy
from firmware.storage import StateStore
from protocols.catalogue import Alerts, BoltState, EventKind, LockState

MASTER, DURESS = "123456", "123457"


class Board:
    def __init__(self, directory: Path, clock: ManualClock | None = None) -> None:
        self.clock = clock or ManualClock()
        self.store = StateStore(directory)
        self.events: list[tuple[EventKind, int]] = []
        self.lock = Lock(
            self.clock, self.store, lambda kind, value: self.events.append((kind, value))
        )

    def kinds(self) -> list[EventKind]:
        return [kind for kind, _ in self.events if kind != EventKind.KEY_PRESS]


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return Board(tmp_path)


def test_five_wrong_codes_start_a_five_minute_lockout(board: Board) -> None:
    for attempt in range(1, 5):
        assert board.lock.enter_code("000000") is CodeResult.WRONG
        assert board.lock.wrong_code_count == attempt
        assert board.lock.lock_state == LockState.LOCKED
    assert board.lock.enter_code("000000") is CodeResult.WRONG
    assert board.lock.lock_state == LockState.PENALTY_LOCKOUT
    assert board.lock.lockout_seconds == 300
    assert board.lock.enter_code(MASTER) is CodeResult.BLOCKED  # even the right code
    board.clock.advance(299)
    assert board.lock.enter_code(MASTER) is CodeResult.BLOCKED
    board.clock.advance(1.5)
    board.lock.tick()
    assert board.lock.lock_state == LockState.LOCKED
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED
    assert EventKind.LOCKOUT_STARTED in board.kinds()
    assert EventKind.LOCKOUT_ENDED in board.kinds()


def test_wrong_codes_outside_the_window_do_not_add_up(board: Board) -> None:
    for _ in range(4):
        board.lock.enter_code("000000")
    board.clock.advance(301)
    assert board.lock.wrong_code_count == 0
    board.lock.enter_code("000000")
    assert board.lock.lock_state == LockState.LOCKED


def test_a_good_code_clears_the_counter(board: Board) -> None:
    for _ in range(4):
        board.lock.enter_code("000000")
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED
    assert board.lock.wrong_code_count == 0


def test_repeated_lockouts_escalate_to_a_hard_lockout(board: Board) -> None:
    for _lockout in range(3):
        for _ in range(5):
            board.lock.enter_code("000000")
        board.clock.advance(301)
        board.lock.tick()
    assert board.lock.lock_state == LockState.HARD_LOCKOUT
    board.clock.advance(10_000)
    assert board.lock.enter_code(MASTER) is CodeResult.BLOCKED
    assert EventKind.HARD_LOCKOUT in board.kinds()


def test_hard_lockout_survives_a_power_cycle(board: Board, tmp_path: Path) -> None:
    board.lock.saved.hard_lockout = True
    board.lock.commit()
    again = Board(tmp_path, board.clock)
    assert again.lock.lock_state == LockState.HARD_LOCKOUT


def test_the_attempt_is_committed_before_the_code_is_compared(
    board: Board, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class PowerCut(BaseException):
        pass

    def cut_power(*_args: object) -> None:
        raise PowerCut

    monkeypatch.setattr(lock_module, "find_user", cut_power)
    with pytest.raises(PowerCut):
        board.lock.enter_code("000000")
    monkeypatch.undo()
    after_power_returns = Board(tmp_path, board.clock)
    assert after_power_returns.lock.wrong_code_count == 1


def test_lockout_end_is_kept_on_lived_time_across_power_cycles(
    board: Board, tmp_path: Path
) -> None:
    for _ in range(5):
        board.lock.enter_code("000000")
    board.clock.advance(100)
    again = Board(tmp_path, board.clock)
    assert again.lock.lock_state == LockState.PENALTY_LOCKOUT
    assert again.lock.lockout_seconds == 200
    assert again.lock.saved.boot_count == 2


def test_opening_runs_the_motor_and_the_battery_sags(board: Board) -> None:
    rest = board.lock.hardware.battery_mv
    board.lock.enter_code(MASTER)
    assert board.lock.hardware.bolt == BoltState.MOVING
    under_load = board.lock.hardware.battery_mv
    assert rest - under_load == 800 * 400 // 1000 - 5 * 400 // 1000  # I·R at 800 mA, 0.4 ohm
    board.clock.advance(0.7)
    board.lock.tick()
    assert board.lock.hardware.bolt == BoltState.RETRACTED
    assert board.lock.lock_state == LockState.UNLOCKED
    assert board.lock.hardware.battery_mv == rest


def test_door_opens_only_with_the_bolt_retracted_and_relocks_after_closing(board: Board) -> None:
    with pytest.raises(Refused):
        board.lock.open_door()
    board.lock.enter_code(MASTER)
    board.clock.advance(0.7)
    board.lock.open_door()
    board.clock.advance(60)
    board.lock.tick()
    assert board.lock.hardware.bolt == BoltState.RETRACTED  # stays open while the door is
    board.lock.close_door()
    board.clock.advance(3.1)
    board.lock.tick()
    board.clock.advance(0.7)
    board.lock.tick()
    assert board.lock.lock_state == LockState.LOCKED
    assert board.kinds()[-3:] == [
        EventKind.DOOR_OPENED,
        EventKind.DOOR_CLOSED,
        EventKind.BOLT_EXTENDED,
    ]


def test_unopened_door_relocks_by_itself(board: Board) -> None:
    board.lock.enter_code(MASTER)
    board.clock.advance(0.7)
    board.lock.tick()
    board.clock.advance(10.1)
    board.lock.tick()
    board.clock.advance(0.7)
    board.lock.tick()
    assert board.lock.lock_state == LockState.LOCKED


def test_duress_opens_and_counts_a_silent_alarm_without_announcing_it(
    board: Board, tmp_path: Path
) -> None:
    assert board.lock.enter_code(DURESS) is CodeResult.OPENED
    assert board.lock.saved.silent_alarms == 1
    other = Board(tmp_path / "other")
    assert other.lock.enter_code(MASTER) is CodeResult.OPENED
    assert other.lock.saved.silent_alarms == 0
    assert board.events == other.events  # the link shows a duress opening as a normal one


def test_weak_battery_raises_low_battery_under_motor_load(board: Board) -> None:
    board.lock.set_battery(rest_mv=LOW_BATTERY_MV + 100, internal_resistance_mohm=1000)
    assert not board.lock.alerts & Alerts.LOW_BATTERY
    board.lock.enter_code(MASTER)
    assert board.lock.alerts & Alerts.LOW_BATTERY
    assert EventKind.LOW_BATTERY in board.kinds()


def test_keys_are_never_revealed_in_events(board: Board) -> None:
    board.lock.enter_code(MASTER)
    assert {value for kind, value in board.events if kind == EventKind.KEY_PRESS} == {0}


def test_keypad_rejects_unknown_keys(board: Board) -> None:
    with pytest.raises(Refused):
        board.lock.press_key("A")


def test_policy_stays_within_what_lock_standards_allow() -> None:
    with pytest.raises(ValueError):
        LockPolicy(lockout_s=30)
    with pytest.raises(ValueError):
        LockPolicy(wrong_codes=0)


def policy_board(tmp_path: Path, **policy: int) -> Board:
    board = Board(tmp_path)
    board.lock.saved.policy = LockPolicy(**policy)
    return board


def test_time_delay_then_opening_window(tmp_path: Path) -> None:
    board = policy_board(tmp_path, time_delay_s=600, opening_window_s=120)
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    assert board.lock.lock_state == LockState.TIME_DELAY
    assert board.lock.countdown_seconds == 600
    board.clock.advance(300)
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING  # too early: changes nothing
    assert board.lock.countdown_seconds == 300
    board.clock.advance(300)
    board.lock.tick()
    assert board.lock.lock_state == LockState.OPENING_WINDOW
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED
    assert EventKind.OPENING_WINDOW_STARTED in board.kinds()


def test_missed_opening_window_expires(tmp_path: Path) -> None:
    board = policy_board(tmp_path, time_delay_s=60, opening_window_s=30)
    board.lock.enter_code(MASTER)
    board.clock.advance(91)
    board.lock.tick()
    assert board.lock.lock_state == LockState.LOCKED
    assert EventKind.OPENING_WINDOW_EXPIRED in board.kinds()
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING  # a new delay starts


def test_dual_control_needs_two_different_users(tmp_path: Path) -> None:
    board = policy_board(tmp_path, dual_control=1)
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING  # the same user again
    assert board.lock.enter_code("246810") is CodeResult.OPENED
    assert EventKind.SECOND_CODE_NEEDED in board.kinds()


def test_dual_control_second_code_must_come_within_a_minute(tmp_path: Path) -> None:
    board = policy_board(tmp_path, dual_control=1)
    board.lock.enter_code(MASTER)
    board.clock.advance(61)
    assert board.lock.enter_code("246810") is CodeResult.WAITING


def test_lockout_end_survives_a_clock_that_restarts_at_boot(board: Board, tmp_path: Path) -> None:
    """The monotonic clock starts again at every boot and the real-time clock is set forward:
    neither shortens a lockout, which runs on the battery-backed lived time."""
    for _ in range(5):
        board.lock.enter_code("000000")
    board.clock.advance(100)
    board.clock.restart_monotonic()
    board.clock.shift_rtc(3600)
    again = Board(tmp_path, board.clock)
    assert again.lock.lock_state == LockState.PENALTY_LOCKOUT
    assert again.lock.lockout_seconds == 200
    assert again.lock.enter_code("000000") is CodeResult.BLOCKED


def test_setting_the_clock_forward_never_empties_the_penalty_window(board: Board) -> None:
    """The attack of issue 14: move the clock on after every wrong code. Four wrong codes with
    the clock moved an hour on after each still start the lockout at the fifth."""
    for _ in range(4):
        assert board.lock.enter_code("000000") is CodeResult.WRONG
        board.clock.shift_rtc(3600)
        board.clock.advance(1)
    assert board.lock.enter_code("000000") is CodeResult.WRONG
    assert board.lock.lock_state == LockState.PENALTY_LOCKOUT
    board.clock.shift_rtc(86400)
    assert board.lock.lockout_seconds >= 295


def test_codes_are_kept_salted_and_hashed_and_found_by_slot() -> None:
    master = KeypadUser.create(0, Role.MASTER, MASTER)
    again = KeypadUser.create(1, Role.USER, MASTER)
    assert len(master.salt) == SALT_SIZE and master.salt != again.salt
    assert master.digest != again.digest and MASTER.encode() not in master.digest
    stored = json.loads(json.dumps(master.to_json()))
    assert MASTER not in json.dumps(stored)
    assert KeypadUser.from_json(stored) == master
    users = [master, KeypadUser.create(9, Role.DURESS, DURESS)]
    assert find_user(users, MASTER) is master
    assert find_user(users, DURESS) is users[1]
    assert find_user(users, "12345") is None and find_user(users, "1234567") is None


def test_a_code_outside_ascii_is_no_ones_and_raises_nothing() -> None:
    """Full-width and Arabic-Indic digits pass ``isdigit``; on the board they are wrong codes,
    never an exception (and never the ASCII code they look like)."""
    users = [KeypadUser.create(0, Role.MASTER, MASTER)]
    assert "１２３４５６".isdigit() and find_user(users, "１２３４５６") is None
    assert find_user(users, "١٢٣٤٥٦") is None
    question_marks = [KeypadUser.create(0, Role.MASTER, "??????")]
    assert find_user(question_marks, "١٢٣٤٥٦") is question_marks[0]  # hashed as '?' each
