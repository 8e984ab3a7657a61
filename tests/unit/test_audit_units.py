"""The audit trail's pieces without a board: entry codec (property tests), chain, capacity,
persistence (the head's signature: test_audit_verify.py)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware import audit_faults
from firmware.audit import REFUSALS_PER_MINUTE, SECTOR_ENTRIES, AuditTrail
from firmware.emulator import Emulator
from protocols.audit_messages import (
    GENESIS_HASH,
    MAX_DETAIL_BYTES,
    AuditHeadRequest,
    AuditHeadResponse,
    AuditReadRequest,
    AuditReadResponse,
    ClockSetRequest,
    WireEntry,
    canonical_detail,
    chain_hash,
    decode_entries,
    encode_entries,
    kind_name,
)
from protocols.catalogue import Flags
from protocols.codec import decode_message, encode_message
from protocols.errors import MalformedMessage
from protocols.messages import Message, Response
from safetool.services.audit_verify import check_chain

details = st.dictionaries(
    st.text(max_size=8), st.one_of(st.integers(-(2**31), 2**31), st.text(max_size=20)), max_size=4
)
entries = st.builds(
    lambda i, t, k, d, c: WireEntry(
        i, t, k, json.dumps(d, sort_keys=True, separators=(",", ":")).encode(), c
    ),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 255),
    details,
    st.binary(min_size=8, max_size=8),
)


@given(st.lists(entries, max_size=8))
def test_entries_round_trip(batch: list[WireEntry]) -> None:
    assert decode_entries(encode_entries(batch)) == batch


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_fail_cleanly(data: bytes) -> None:
    with contextlib.suppress(MalformedMessage):
        assert all(isinstance(e, WireEntry) for e in decode_entries(data))


@given(st.lists(entries, min_size=1, max_size=4), st.data())
def test_truncated_answers_are_malformed(batch: list[WireEntry], data: st.DataObject) -> None:
    encoded = encode_entries(batch)
    cut = data.draw(st.integers(1, len(encoded) - 1))
    try:
        decoded = decode_entries(encoded[:cut])
    except MalformedMessage:
        return
    # a cut exactly between two entries is a shorter valid answer, never a wrong one
    assert len(decoded) < len(batch) and decoded == batch[: len(decoded)]


@pytest.mark.parametrize(
    "message",
    [
        AuditHeadRequest(bytes(range(16))),
        AuditReadRequest(12, 4000),
        AuditReadResponse(40, 12, encode_entries([WireEntry(12, 5, 1, b"{}", bytes(8))])),
        AuditHeadResponse(3, 0, bytes(32), bytes([7]) * 32, 99, 1, bytes([1]) * 64),
        ClockSetRequest(1_800_000_000),
    ],
)
def test_messages_round_trip_through_the_codec(message: Message) -> None:
    flags = Flags.RESPONSE if isinstance(message, Response) else Flags.NONE
    frame = encode_message(message, 7, flags, 1)
    assert decode_message(frame).message == message


def test_chain_persists_and_survives_a_torn_line(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path)
    trail.append(100, "power_on", boot=1)
    trail.append(101, "session_opened", technician="T-1001")
    trail.append(102, "some_new_kind", value=3)
    with open(tmp_path / "audit.jsonl", "a") as handle:
        handle.write('{"i": 3, "t": 1')  # power cut mid-write
    again = AuditTrail(tmp_path)
    assert again.count == 3 and again.head_hash == trail.head_hash
    assert again.entries()[2]["kind"] == "some_new_kind"
    assert again.entries()[1]["technician"] == "T-1001"
    result = check_chain(
        [e.wire() for e in again.stored()], expected_index=0, previous_hash=GENESIS_HASH
    )
    assert result.findings == [] and result.last_hash == trail.head_hash


def test_the_first_form_of_the_trail_is_chained_on_load(tmp_path: Path) -> None:
    lines = [{"n": 1, "time": 5, "kind": "power_on", "boot": 1}, {"n": 2, "time": 6, "kind": "x"}]
    (tmp_path / "audit.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    trail = AuditTrail(tmp_path)
    assert [e["kind"] for e in trail.entries()] == ["power_on", "x"]
    assert AuditTrail(tmp_path).head_hash == trail.head_hash


def test_a_full_trail_erases_its_oldest_sector_and_still_verifies(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path, capacity=4 * SECTOR_ENTRIES)
    audit_faults.fill(trail, 1000, 4 * SECTOR_ENTRIES + 10)
    assert trail.first_index == SECTOR_ENTRIES and trail.count == 4 * SECTOR_ENTRIES + 10
    held = [e.wire() for e in AuditTrail(tmp_path, capacity=4 * SECTOR_ENTRIES).stored()]
    result = check_chain(held, expected_index=SECTOR_ENTRIES, previous_hash=trail.start_hash)
    assert result.findings == [] and result.last_hash == trail.head_hash


def test_default_capacity_holds_ten_thousand() -> None:
    trail = AuditTrail(None)
    audit_faults.fill(trail, 1000, 12_000)
    assert trail.count - trail.first_index >= 10_000


def test_spec_worked_example() -> None:
    """SPEC.md 17.3, bytes written from the spec's table, not by the codec."""
    entry = WireEntry(0, 1_780_000_000, 1, b'{"boot":1}')
    spec = bytes.fromhex("00000000 00a5186a 01 0a00 7b22626f6f74223a317d".replace(" ", ""))
    assert entry.canonical() == spec
    assert (
        chain_hash(GENESIS_HASH, spec).hex()
        == "6808f2b3b75630a5c797c5fe0176f8ae1b6804493008471e7e4a67edb31ef79e"
    )


def _trail_lines(tmp_path: Path, count: int) -> list[str]:
    trail = AuditTrail(tmp_path)
    for number in range(count):
        trail.append(100 + number, "power_on", boot=number)
    return (tmp_path / "audit.jsonl").read_text().splitlines()


def test_lines_that_do_not_parse_are_each_counted_and_what_follows_is_kept(
    tmp_path: Path,
) -> None:
    header, *entries = _trail_lines(tmp_path, 3)
    damaged = [header, "not json at all", entries[0], "[1, 2]", *entries[1:]]
    (tmp_path / "audit.jsonl").write_text("\n".join(damaged) + "\n")
    again = AuditTrail(tmp_path)
    assert again.repaired == 2 and again.count == 3
    assert [e["boot"] for e in again.entries()] == [0, 1, 2]
    assert (tmp_path / "audit.jsonl").read_text().splitlines() == [header, *entries]


def test_an_entry_that_breaks_the_chain_is_dropped_with_every_one_after_it(
    tmp_path: Path,
) -> None:
    header, *entries = _trail_lines(tmp_path, 4)
    altered = json.loads(entries[1])
    altered["d"] = altered["d"].replace('"boot":1', '"boot":7')
    assert altered["i"] == 1 and '"boot":7' in altered["d"]
    lines = [header, entries[0], json.dumps(altered), *entries[2:]]
    (tmp_path / "audit.jsonl").write_text("\n".join(lines) + "\n")
    again = AuditTrail(tmp_path)
    assert (again.repaired, again.count) == (3, 1)  # entries 2 and 3 no longer follow on
    last = json.loads(entries[3])
    last["d"] = last["d"].replace('"boot":3', '"boot":8')
    (tmp_path / "audit.jsonl").write_text("\n".join([header, *entries[:3], json.dumps(last)]))
    tail_altered = AuditTrail(tmp_path)  # the right index, another hash
    assert (tail_altered.repaired, tail_altered.count) == (1, 3)


def test_the_first_form_keeps_each_entrys_time_kind_and_detail(tmp_path: Path) -> None:
    lines = [
        {"n": 1, "time": 5, "kind": "power_on", "boot": 1},
        {"n": 2, "kind": "x"},
        {"n": 3, "time": 7},
    ]
    (tmp_path / "audit.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    trail = AuditTrail(tmp_path)
    first, second, third = trail.entries()
    assert (first["time"], first["kind"], first["boot"], first["n"]) == (5, "power_on", 1, 0)
    assert (second["time"], second["kind"], second["n"]) == (0, "x", 1)
    assert (third["time"], third["kind"]) == (7, "other")  # a line that named no kind
    # the old line number is not part of the entry: indices count from 0 in the chain
    assert trail.stored()[0].detail_json == b'{"boot":1}'
    assert b'"n"' not in trail.stored()[1].detail_json


def test_refusals_past_ten_a_minute_are_counted_and_written_when_the_minute_ends(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path)
    minute = 60 * 29_666_667  # a minute's start, in 2026
    for n in range(REFUSALS_PER_MINUTE):
        trail.append(minute + 10.5, "session_refused", reason=f"r{n}")
    trail.append(minute + 20, "session_refused", reason="late")
    trail.append(minute + 30, "privilege_refused", request="RECOVERY_SEAL")
    trail.append(minute + 59.9, "privilege_refused")  # neither a request nor a reason
    assert len(trail.entries()) == REFUSALS_PER_MINUTE
    trail.append(minute + 60, "session_refused", reason="next minute")
    *_, repeated, written = trail.entries()
    assert (repeated["kind"], repeated["time"], repeated["counts"]) == (
        "refusals_repeated",
        minute + 60,
        {"privilege_refused:": 1, "privilege_refused:RECOVERY_SEAL": 1, "session_refused:late": 1},
    )
    assert (written["kind"], written["reason"]) == ("session_refused", "next minute")


def test_the_trail_file_keeps_chinese_text_readable(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path)
    trail.append(1_780_000_000, "note", text="电机更换")
    assert "电机更换" in trail.path.read_text(encoding="utf-8")
    assert trail.entries()[0]["text"] == "电机更换"


def test_a_trail_holds_its_capacity_exactly_and_erases_a_sector_at_one_more(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path, capacity=2 * SECTOR_ENTRIES)
    audit_faults.fill(trail, 1000, 2 * SECTOR_ENTRIES)
    assert (trail.first_index, len(trail.stored())) == (0, 2 * SECTOR_ENTRIES)
    trail.append(2000, "power_on", boot=1)
    assert (trail.first_index, len(trail.stored())) == (SECTOR_ENTRIES, SECTOR_ENTRIES + 1)
    audit_faults.fill(trail, 3000, SECTOR_ENTRIES - 1)  # full again: nothing more goes
    assert (trail.first_index, len(trail.stored())) == (SECTOR_ENTRIES, 2 * SECTOR_ENTRIES)
    audit_faults.fill(trail, 4000, SECTOR_ENTRIES)  # a sector more at once: one sector goes
    assert (trail.first_index, len(trail.stored())) == (2 * SECTOR_ENTRIES, 2 * SECTOR_ENTRIES)


def test_several_entries_written_at_once_are_read_back_whole(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path)
    trail.append_many([(1000.0 + n, "power_on", {"boot": n}) for n in range(3)])
    assert [e["boot"] for e in AuditTrail(tmp_path).entries()] == [0, 1, 2]


def test_a_detail_up_to_its_limit_is_kept_and_one_byte_more_is_cut_on_a_whole_character(
    tmp_path: Path,
) -> None:
    trail = AuditTrail(tmp_path)
    room = MAX_DETAIL_BYTES - len(canonical_detail({"text": ""}))
    trail.append(1000, "power_on", text="x" * room)
    assert trail.entries()[-1]["text"] == "x" * room
    inside = next(  # a text whose cut falls inside a 电: the byte after it continues one
        text
        for text in ("电" * room, "x" + "电" * room, "xx" + "电" * room)
        if canonical_detail({"text": text})[MAX_DETAIL_BYTES - 64] & 0xC0 == 0x80
    )
    for text in ("x" * (room + 1), inside):
        trail.append(1000, "power_on", text=text)
        cut = canonical_detail({"text": text})[: MAX_DETAIL_BYTES - 64]
        assert trail.entries()[-1]["truncated"] == cut.decode("utf-8", errors="ignore")


def test_an_oversized_detail_of_an_unnamed_kind_keeps_its_kind_name(tmp_path: Path) -> None:
    """A kind the wire table lacks travels as OTHER with its name in the detail; cut short,
    the detail keeps only the name, so a tool reading the trail still knows what happened."""
    trail = AuditTrail(tmp_path)
    trail.append(1000, "vendor_event", text="x" * MAX_DETAIL_BYTES)
    stored = trail.stored()[-1]
    assert stored.detail_json == canonical_detail({"kind": "vendor_event"})
    (wire,) = decode_entries(encode_entries([stored.wire()]))
    assert kind_name(wire.kind, json.loads(wire.detail_json)) == "vendor_event"


def test_a_time_past_32_bits_is_written_as_the_last_second_they_hold(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path)
    for time_s in (2**32 - 1, 2**32, 2**40):
        trail.append(time_s, "power_on", boot=1)
        assert trail.entries()[-1]["time"] == 0xFFFFFFFF
    again = AuditTrail(tmp_path)  # each entry read back continues the chain
    assert (again.count, again.repaired) == (3, 0)


def test_a_new_trail_has_nothing_repaired_and_a_new_board_writes_no_repair(tmp_path: Path) -> None:
    assert AuditTrail(None).repaired == 0
    assert AuditTrail(tmp_path).repaired == 0
    board = Emulator(state_dir=tmp_path / "board")
    try:
        assert [entry["kind"] for entry in board.audit.entries()] == ["power_on"]
    finally:
        board.close()
