"""The board's lock model on a manual clock: penalty policy, persistence, motor and battery."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from firmware import lock as lock_module
from firmware.clock import ManualClock
from firmware.codes import SALT_SIZE, KeypadUser, Role, find_user
from firmware.hardware import LOW_BATTERY_MV
from firmware.lock import FLOOR_COMMIT_S, CodeResult, Lock, Refused, _Persistent
from firmware.policy import LockPolicy
from firmware.storage import StateStore
from protocols.catalogue import Alerts, BoltState, EventKind, LockState
from protocols.diag_messages import BoardError

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
    assert master.digest == hashlib.sha256(master.salt + MASTER.encode()).digest()
    assert master.digest != again.digest  # the same code, another salt
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


# --- to the boundary (each pinned by a mutant that survived) -----------------------------------


def test_dual_control_takes_a_second_code_to_the_last_second_and_starts_afresh_after(
    tmp_path: Path,
) -> None:
    board = policy_board(tmp_path, dual_control=1)
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    assert board.events[-1] == (EventKind.SECOND_CODE_NEEDED, 60)
    board.clock.advance(60)  # SECOND_CODE_S, to the second
    assert board.lock.enter_code("246810") is CodeResult.OPENED
    board.clock.advance(30)
    board.lock.tick()
    # the pair is used up: the next opening needs two codes again
    assert board.lock.enter_code("246810") is CodeResult.WAITING
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED


def test_a_time_delay_opens_from_its_last_second_to_before_the_window_ends(
    tmp_path: Path,
) -> None:
    board = policy_board(tmp_path, time_delay_s=60, opening_window_s=30)
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    board.clock.advance(60)  # the delay's last second: the window is open
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED
    board.clock.advance(30)
    board.lock.tick()
    # the delay is used up: the next code starts a new one, and the window at its end is shut
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    board.clock.advance(90)  # delay and window: at the window's end, too late
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    assert board.events[-1] == (EventKind.TIME_DELAY_STARTED, 60)


def test_a_recovery_clears_every_lockout_and_the_count_of_them(board: Board) -> None:
    """After a recovery, the next lockout is the first in a row again, not one step nearer a
    hard lockout, and its end is announced."""
    for _ in range(2):  # two lockouts in a row (hard after three)
        for _ in range(5):
            board.lock.enter_code("000000")
        board.clock.advance(board.lock.saved.policy.lockout_s)
    board.lock.clear_lockouts()
    assert board.lock.lock_state == LockState.LOCKED and board.lock.lockout_seconds == 0
    for round_ in range(2):  # two more: the second in a row again, not the fourth
        if round_:
            board.clock.advance(board.lock.saved.policy.lockout_s)
        for _ in range(5):
            board.lock.enter_code("000000")
    assert not board.lock.saved.hard_lockout and board.lock.saved.lockouts_in_row == 2
    assert board.kinds()[-1] == EventKind.LOCKOUT_STARTED
    board.clock.advance(board.lock.saved.policy.lockout_s)
    board.lock.tick()
    assert board.kinds()[-1] == EventKind.LOCKOUT_ENDED


def test_a_recovery_during_a_lockout_ends_it_without_announcing_an_end(board: Board) -> None:
    for _ in range(5):
        board.lock.enter_code("000000")
    board.lock.clear_lockouts()
    board.lock.tick()
    assert EventKind.LOCKOUT_ENDED not in board.kinds()
    assert board.lock.lock_state == LockState.LOCKED


def test_the_error_log_counts_each_code_with_its_first_and_last_time(board: Board) -> None:
    board.lock.log_error(BoardError.MOTOR_STALL)
    board.clock.advance(100)
    board.lock.log_error(BoardError.MOTOR_STALL)
    board.lock.log_error(BoardError.KEY_STUCK)
    log = board.lock.saved.service["errors"]
    start = int(board.clock.rtc()) - 100
    assert log == {
        str(int(BoardError.MOTOR_STALL)): {"count": 2, "first": start, "last": start + 100},
        str(int(BoardError.KEY_STUCK)): {"count": 1, "first": start + 100, "last": start + 100},
    }


def test_the_door_opens_only_on_a_retracted_bolt_and_says_why_not(board: Board) -> None:
    with pytest.raises(Refused) as refused:
        board.lock.open_door()
    assert str(refused.value) == "the door cannot open: the bolt is extended"
    board.lock.enter_code(MASTER)
    board.clock.advance(2)
    board.lock.tick()
    board.lock.open_door()
    board.lock.close_door()
    assert board.events[-2:] == [(EventKind.DOOR_OPENED, 0), (EventKind.DOOR_CLOSED, 0)]


def test_a_shut_door_relocks_three_seconds_after_closing(board: Board) -> None:
    board.lock.enter_code(MASTER)
    board.clock.advance(2)
    board.lock.tick()
    board.lock.open_door()
    board.lock.close_door()
    board.clock.advance(2.9)
    board.lock.tick()
    assert board.lock.hardware.bolt == BoltState.RETRACTED
    board.clock.advance(0.1)
    board.lock.tick()
    assert board.lock.hardware.bolt != BoltState.RETRACTED  # the motor runs it out


def test_the_clock_skew_is_measured_against_the_signed_time(board: Board) -> None:
    assert board.lock.clock_skew_s() is None  # never given a signed time
    signed = int(board.clock.rtc()) - 120  # the clock is two minutes fast
    assert board.lock.take_signed_time(signed)
    board.clock.advance(30)
    assert board.lock.clock_skew_s() == pytest.approx(120)


def _saved(board: Board, **changes: Any) -> dict[str, Any]:
    """The board's saved state as JSON, with keys changed (``None``: left out)."""
    data = board.lock.saved.to_json()
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_a_state_saved_on_the_rtc_comes_back_in_a_full_lockout(board: Board) -> None:
    """The first boards kept a lockout's end on the real-time clock: its end on lived time is
    unknown, so the whole penalty runs again; a state without one has no lockout."""
    lockout_s = board.lock.saved.policy.lockout_s
    legacy = _saved(board, lived_s=None, lockout_until_lived=None, lockout_until=1_780_000_300)
    assert _Persistent.from_json(legacy).lockout_until_lived == lockout_s
    legacy["lived_s"] = 5000.0
    assert _Persistent.from_json(legacy).lockout_until_lived == 5000.0 + lockout_s
    none = _saved(board, lived_s=None, lockout_until_lived=None, lockout_until=0)
    restored = _Persistent.from_json(none)
    assert (restored.lockout_until_lived, restored.lived_s) == (0.0, 0.0)
    kept = _saved(board, lockout_until_lived=1234.0, lockout_until=1_780_000_300)
    assert _Persistent.from_json(kept).lockout_until_lived == 1234.0


def test_the_keypad_takes_twelve_digits_and_forgets_them_after_ten_quiet_seconds(
    board: Board,
) -> None:
    board.lock.saved.users.append(KeypadUser.create(5, Role.USER, "123456789012"))
    for key in "1234567890123":  # the thirteenth digit is not taken
        board.lock.press_key(key)
    assert board.lock.press_key("#") is CodeResult.OPENED
    board.clock.advance(30)
    board.lock.tick()
    for key in MASTER[:3]:
        board.lock.press_key(key)
    board.clock.advance(10)  # the keypad's timeout, to the second: the digits are kept
    for key in MASTER[3:]:
        board.lock.press_key(key)
    assert board.lock.press_key("#") is CodeResult.OPENED


def test_codes_from_the_side_channel_are_digits_up_to_twelve(board: Board) -> None:
    board.lock.saved.users.append(KeypadUser.create(5, Role.USER, "123456789012"))
    assert board.lock.enter_code("123456789012") is CodeResult.OPENED
    for bad in ("12a", "1234567890123", ""):
        with pytest.raises(Refused) as refused:
            board.lock.enter_code(bad)
        assert str(refused.value) == "a code is 1 to 12 digits"
    with pytest.raises(Refused) as refused:
        board.lock.press_key("A")
    assert str(refused.value) == "no key 'A' on the keypad (keys: 0123456789*#)"


def test_a_keypad_test_takes_keys_until_its_last_instant(board: Board) -> None:
    board.lock.keypad_test_until = board.clock.monotonic() + 5
    assert board.lock.press_key("7") is None
    assert board.events[-1] == (EventKind.KEY_PRESS, ord("7"))  # named: a test, not a code
    board.clock.advance(5)
    board.lock.press_key("7")
    assert board.events[-1] == (EventKind.KEY_PRESS, 0)  # a code's key again: never named


def test_a_good_code_ends_the_row_of_lockouts(board: Board) -> None:
    def lockout() -> None:
        for _ in range(5):
            board.lock.enter_code("000000")
        board.clock.advance(board.lock.saved.policy.lockout_s)
        board.lock.tick()

    lockout()
    lockout()
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED
    assert board.lock.saved.lockouts_in_row == 0
    lockout()
    lockout()
    assert not board.lock.saved.hard_lockout  # two in a row, not four


def test_every_duress_opening_counts_a_silent_alarm(board: Board) -> None:
    for _ in range(2):
        assert board.lock.enter_code(DURESS) is CodeResult.OPENED
        board.clock.advance(30)
        board.lock.tick()
    assert board.lock.saved.silent_alarms == 2


def test_the_saved_state_comes_back_field_for_field(board: Board) -> None:
    saved = dataclasses.replace(
        board.lock.saved,
        wrong_code_lived=[10.5, 20.25],
        lockout_until_lived=400.0,
        lived_s=123.5,
        counter_s=77.0,
        lockouts_in_row=2,
        hard_lockout=True,
        boot_count=9,
        bolt=BoltState.RETRACTED,
        silent_alarms=3,
        rtc_floor=1_780_000_123.0,
        service={"recovery_counter": 4},
    )
    assert _Persistent.from_json(json.loads(json.dumps(saved.to_json()))) == saved


def test_the_first_form_of_the_saved_state_comes_back_with_nothing_counted(board: Board) -> None:
    """Only the keys the first boards wrote: every later one starts from nothing."""
    first = {
        key: board.lock.saved.to_json()[key]
        for key in ("users", "policy", "lockouts_in_row", "hard_lockout", "boot_count", "bolt")
    }
    restored = _Persistent.from_json(first)
    assert (restored.wrong_code_lived, restored.lockout_until_lived, restored.lived_s) == (
        [], 0.0, 0.0
    )  # fmt: skip
    assert (restored.counter_s, restored.silent_alarms, restored.rtc_floor) == (0.0, 0, 0.0)
    assert restored.service == {}


def test_the_opening_window_counts_down_and_is_shut_at_its_end(tmp_path: Path) -> None:
    board = policy_board(tmp_path, time_delay_s=60, opening_window_s=30)
    board.lock.enter_code(MASTER)
    board.clock.advance(70)
    assert board.lock.lock_state == LockState.OPENING_WINDOW
    assert board.lock.countdown_seconds == 20
    board.clock.advance(20)  # the window's end, before the board's next tick
    assert board.lock.lock_state == LockState.LOCKED and board.lock.countdown_seconds == 0


def test_a_wrong_code_a_whole_window_old_no_longer_counts(board: Board) -> None:
    board.lock.enter_code("000000")
    board.clock.advance(300)  # window_s: the first is out of it now
    for _ in range(4):
        assert board.lock.enter_code("000000") is CodeResult.WRONG
    assert board.lock.lock_state == LockState.LOCKED
    board.lock.enter_code("000000")
    assert board.lock.lock_state == LockState.PENALTY_LOCKOUT


def test_only_a_newer_signed_time_is_taken(board: Board) -> None:
    assert board.lock.take_signed_time(1_780_000_500)
    assert not board.lock.take_signed_time(1_780_000_400)
    assert not board.lock.take_signed_time(1_780_000_500)
    assert board.lock.signed_time() == 1_780_000_500
    assert board.lock.take_signed_time(1_780_000_600)


def test_a_signed_time_gives_a_laptop_its_whole_nudge_again(board: Board) -> None:
    """SPEC.md 17.2: a laptop may move the clock forward ``CLOCK_NUDGE_S`` in all between two
    signed times (``firmware.audit_service`` keeps what it used as ``nudged_s``)."""
    board.lock.saved.service["nudged_s"] = 300.0
    assert board.lock.take_signed_time(1_780_000_500)
    assert "nudged_s" not in board.lock.saved.service
    assert board.lock.saved.service["signed_time"]["time_s"] == 1_780_000_500


def test_an_idle_board_writes_its_lived_time_about_once_a_minute(
    board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flash wears: idle ticks commit the lived time and clock floor every FLOOR_COMMIT_S (a
    power cut then loses at most that much lived time), not at every tick."""
    writes: list[float] = []
    commit = board.store.commit
    monkeypatch.setattr(board.store, "commit", lambda state: (writes.append(1), commit(state)))
    for _ in range(150):
        board.clock.advance(1)
        board.lock.tick()
    assert 2 <= len(writes) <= 6  # lived time and the floor, each about once a minute


@pytest.mark.parametrize(("factor", "logged"), [(1.0, False), (1.4, False), (2.0, True)])
def test_a_bolt_move_is_timed_and_a_slow_motor_logged(
    board: Board, factor: float, logged: bool
) -> None:
    """The bolt event carries the travel in milliseconds; a travel more than 1.4 times the
    motor's own is a worn gearbox, counted in the error log (MOTOR_SLOW)."""
    motor = board.lock.hardware.motor
    motor.travel_s, motor.slow_factor = 0.5, factor
    board.clock.advance(1000)  # the travel counts from the motor's start, not from boot
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED
    travel_ms = round(500 * factor)
    board.clock.advance(travel_ms / 1000)
    board.lock.tick()
    (moved,) = [value for kind, value in board.events if kind == EventKind.BOLT_RETRACTED]
    assert travel_ms - 1 <= moved <= travel_ms  # whole milliseconds, rounded down
    errors = board.lock.saved.service.get("errors", {})
    assert (str(int(BoardError.MOTOR_SLOW)) in errors) is logged


def _window_events(board: Board) -> list[tuple[EventKind, int]]:
    wanted = (EventKind.OPENING_WINDOW_STARTED, EventKind.OPENING_WINDOW_EXPIRED)
    return [(kind, value) for kind, value in board.events if kind in wanted]


def test_the_opening_window_is_announced_once_at_its_start_and_once_at_its_end(
    tmp_path: Path,
) -> None:
    board = policy_board(tmp_path, time_delay_s=60, opening_window_s=30)
    assert board.lock.enter_code(MASTER) is CodeResult.WAITING
    board.clock.advance(59.5)
    board.lock.tick()
    assert _window_events(board) == []
    board.clock.advance(0.5)  # the delay's last moment
    board.lock.tick()
    board.lock.tick()
    assert _window_events(board) == [(EventKind.OPENING_WINDOW_STARTED, 30)]
    board.clock.advance(30)  # the window's last moment
    board.lock.tick()
    board.lock.tick()
    assert _window_events(board) == [
        (EventKind.OPENING_WINDOW_STARTED, 30),
        (EventKind.OPENING_WINDOW_EXPIRED, 0),
    ]


def test_a_lockout_ends_once_with_its_event_and_stays_ended_after_a_restart(
    tmp_path: Path,
) -> None:
    board = Board(tmp_path)
    for _ in range(5):
        board.lock.enter_code("000000")
    board.clock.advance(300)
    board.lock.tick()
    board.lock.tick()
    ended = [(kind, value) for kind, value in board.events if kind == EventKind.LOCKOUT_ENDED]
    assert ended == [(EventKind.LOCKOUT_ENDED, 0)]
    assert board.lock.saved.lockout_until_lived == 0.0
    again = Board(tmp_path, board.clock)  # power back: the state is what flash holds
    again.lock.tick()
    assert EventKind.LOCKOUT_ENDED not in again.kinds()


def test_low_battery_is_below_its_threshold_and_clears_200_mv_above_it(board: Board) -> None:
    def warnings() -> list[int]:
        return [value for kind, value in board.events if kind == EventKind.LOW_BATTERY]

    board.lock.set_battery(rest_mv=LOW_BATTERY_MV, internal_resistance_mohm=0)  # no sag
    assert warnings() == []
    board.lock.set_battery(rest_mv=LOW_BATTERY_MV - 1)
    assert warnings() == [LOW_BATTERY_MV - 1]
    errors = board.lock.saved.service["errors"]
    assert errors[str(int(BoardError.LOW_VOLTAGE))]["count"] == 1
    board.lock.set_battery(rest_mv=LOW_BATTERY_MV + 199)  # not yet recovered
    board.lock.set_battery(rest_mv=LOW_BATTERY_MV - 2)
    assert warnings() == [LOW_BATTERY_MV - 1]
    board.lock.set_battery(rest_mv=LOW_BATTERY_MV + 200)  # recovered
    board.lock.set_battery(rest_mv=LOW_BATTERY_MV - 3)
    assert warnings() == [LOW_BATTERY_MV - 1, LOW_BATTERY_MV - 3]


def test_the_trusted_clock_never_shows_a_time_before_one_it_has_shown(board: Board) -> None:
    shown = board.lock.trusted_rtc()
    board.clock.shift_rtc(0.5)
    later = board.lock.trusted_rtc()
    assert later == shown + 0.5
    board.clock.shift_rtc(-0.25)  # set back: the time shown stands
    assert board.lock.trusted_rtc() == later


def test_a_clock_set_back_more_than_five_seconds_is_reported_as_a_jump(board: Board) -> None:
    jumps: list[tuple[float, float]] = []
    board.lock.on_clock_jump = lambda clock_s, floor_s: jumps.append((clock_s, floor_s))
    floor = board.lock.trusted_rtc()
    board.clock.shift_rtc(-2)
    board.lock.trusted_rtc()
    board.clock.shift_rtc(-3)  # five seconds back in all: not yet a jump
    board.lock.trusted_rtc()
    assert jumps == []
    board.clock.shift_rtc(-0.5)
    assert board.lock.trusted_rtc() == floor
    assert jumps == [(floor - 5.5, floor)]


def test_the_clock_floor_is_written_to_flash_once_a_minute_at_most(board: Board) -> None:
    def floor_in_flash() -> float:
        saved = board.store.load()
        assert saved is not None
        return float(saved["rtc_floor"])

    board.lock.trusted_rtc()  # the first time shown is written at once
    committed = floor_in_flash()
    assert committed == board.clock.rtc()
    board.clock.shift_rtc(FLOOR_COMMIT_S)
    board.lock.trusted_rtc()
    assert floor_in_flash() == committed  # a minute exactly: not yet
    board.clock.shift_rtc(0.5)
    board.lock.trusted_rtc()
    assert floor_in_flash() == board.clock.rtc()


def test_lived_time_counts_the_time_off_unless_its_counter_started_again(
    board: Board, tmp_path: Path
) -> None:
    board.lock.commit()
    lived = board.lock.lived_s()
    board.clock.advance(0.5)  # half a second without power
    board.clock.restart_monotonic()
    assert Board(tmp_path, board.clock).lock.lived_s() == lived + 0.5
    board.clock.restart_counter()  # the counter's battery changed while the power was off
    board.clock.restart_monotonic()
    assert Board(tmp_path, board.clock).lock.lived_s() == lived + 0.5


def test_a_bolt_caught_moving_by_a_power_cut_is_unknown_and_relocked_at_power_on(
    board: Board, tmp_path: Path
) -> None:
    """No hook for the trail is needed (a lock on its own, as here)."""
    assert board.lock.enter_code(MASTER) is CodeResult.OPENED  # the motor runs
    board.clock.restart_monotonic()
    again = Board(tmp_path, board.clock)
    assert again.lock.hardware.bolt == BoltState.UNKNOWN
    again.lock.tick()
    again.clock.advance(again.lock.hardware.motor.travel_s)
    again.lock.tick()
    assert again.lock.hardware.bolt == BoltState.EXTENDED


def test_a_lockout_running_at_a_power_cut_is_announced_ended_after_it(
    board: Board, tmp_path: Path
) -> None:
    for _ in range(5):
        board.lock.enter_code("000000")
    board.clock.restart_monotonic()
    again = Board(tmp_path, board.clock)
    again.clock.advance(300)
    again.lock.tick()
    assert again.kinds().count(EventKind.LOCKOUT_ENDED) == 1
