"""The tool's check of a downloaded trail, finding by finding: the signed head (every field the
board signs) and the hash chain (what broke, where, and what is reported once)."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocols.audit_messages import (
    CHECK_SIZE,
    GENESIS_HASH,
    AuditHeadResponse,
    WireEntry,
    chain_hash,
    head_payload,
)
from safetool.messages import Message, render
from safetool.services.audit_verify import Finding, check_chain, check_head

SERIAL = "SN-0042"
NONCE = bytes(range(16))
KEY = Ed25519PrivateKey.generate()
HEAD_FIELDS = {
    "count": 7,
    "first_index": 2,
    "start_hash": b"s" * 32,
    "head_hash": b"h" * 32,
    "time_s": 1_780_000_000,
}


def signed_head(
    *, serial: str = SERIAL, nonce: bytes = NONCE, **changed: object
) -> AuditHeadResponse:
    """A head signed over ``serial``, ``nonce`` and HEAD_FIELDS with ``changed`` put in."""
    fields = {**HEAD_FIELDS, **changed}
    signature = KEY.sign(head_payload(serial=serial, nonce=nonce, **fields))  # type: ignore[arg-type]
    return AuditHeadResponse(**HEAD_FIELDS, signed=1, signature=signature)  # type: ignore[arg-type]


def findings_of(head: AuditHeadResponse) -> list[tuple[str, int | None, str, bool]]:
    return [
        (f.problem, f.index, f.message.key, f.tampering)
        for f in check_head(head, serial=SERIAL, nonce=NONCE, device_key=KEY.public_key())
    ]


def test_a_head_signed_over_what_it_says_passes() -> None:
    assert findings_of(signed_head()) == []


def test_a_head_signed_by_another_device_key_is_a_bad_signature() -> None:
    other = Ed25519PrivateKey.generate().public_key()
    found = check_head(signed_head(), serial=SERIAL, nonce=NONCE, device_key=other)
    assert [(f.problem, f.tampering) for f in found] == [("bad_signature", True)]


@pytest.mark.parametrize(
    "changed",
    [
        {"serial": "SN-0043"},
        {"nonce": bytes(16)},
        {"count": 8},
        {"first_index": 3},
        {"start_hash": b"S" * 32},
        {"head_hash": b"H" * 32},
        {"time_s": 1_780_000_001},
    ],
    ids=lambda changed: next(iter(changed)),
)
def test_a_head_signed_over_anything_else_is_a_bad_signature(changed: dict[str, object]) -> None:
    """Each field the board signs is one the tool checks: a head whose signature covers another
    serial, nonce, count, first index, start, head or time is refused."""
    bad = [("bad_signature", None, "audit.finding.bad_signature", True)]
    assert findings_of(signed_head(**changed)) == bad  # type: ignore[arg-type]


def test_an_unsigned_head_is_a_note_and_a_missing_device_key_is_not() -> None:
    unsigned = AuditHeadResponse(**HEAD_FIELDS, signed=0, signature=bytes(64))  # type: ignore[arg-type]
    assert findings_of(unsigned) == [("unsigned", None, "audit.finding.unsigned", False)]
    # a signed head, but the session verified no device key to check it by: nothing vouches
    # for the head, so it counts against the trail
    found = check_head(signed_head(), serial=SERIAL, nonce=NONCE, device_key=None)
    assert [(f.problem, f.index, f.message.key, f.tampering) for f in found] == [
        ("unsigned", None, "audit.finding.no_device_key", True)
    ]


def test_a_finding_as_json_keeps_its_problem_index_code_and_words() -> None:
    message = Message("audit.finding.altered", {"index": 12})
    words = render(message)
    assert "12" in words
    assert Finding("altered", 12, message).as_dict() == {
        "problem": "altered",
        "index": 12,
        "message": words,
        "code": {"code": "audit.finding.altered", "params": {"index": 12}, "text": words},
        "tampering": True,
    }
    note = Finding("unsigned", None, Message("audit.finding.unsigned"), tampering=False)
    assert note.as_dict()["tampering"] is False and note.as_dict()["index"] is None


def chained(count: int, *, first: int = 0, previous: bytes = GENESIS_HASH) -> list[WireEntry]:
    """``count`` entries from index ``first``, each with the check bytes a board stores."""
    entries = []
    for index in range(first, first + count):
        entry = WireEntry(index, 1_780_000_000 + index, 1, b'{"n":%d}' % index)
        previous = chain_hash(previous, entry.canonical())
        entries.append(dataclasses.replace(entry, check=previous[:CHECK_SIZE]))
    return entries


def problems(entries: list[WireEntry], *, first: int = 0) -> list[tuple[str, int | None, str]]:
    result = check_chain(entries, expected_index=first, previous_hash=GENESIS_HASH)
    return [(f.problem, f.index, f.message.key) for f in result.findings]


def test_an_intact_chain_gives_every_hash_and_ends_on_the_last() -> None:
    entries = chained(5)
    result = check_chain(entries, expected_index=0, previous_hash=GENESIS_HASH)
    assert result.findings == []
    assert [h[:CHECK_SIZE] for h in result.hashes] == [e.check for e in entries]
    assert result.last_hash == result.hashes[-1] and len(result.last_hash) == 32


def test_an_empty_download_ends_where_it_began() -> None:
    result = check_chain([], expected_index=4, previous_hash=b"p" * 32)
    assert (result.last_hash, result.hashes, result.findings) == (b"p" * 32, [], [])


def test_a_chain_is_checked_from_the_hash_before_its_first_entry() -> None:
    later = chained(3, first=10, previous=b"p" * 32)
    assert check_chain(later, expected_index=10, previous_hash=b"p" * 32).findings == []
    wrong_start = check_chain(later, expected_index=10, previous_hash=GENESIS_HASH)
    assert [(f.problem, f.index) for f in wrong_start.findings] == [("altered", 10)]


def test_an_altered_entry_is_located_and_only_the_first_break_is_reported() -> None:
    entries = chained(6)
    entries[2] = dataclasses.replace(entries[2], detail_json=b'{"n":99}')
    entries[4] = dataclasses.replace(entries[4], time_s=1)
    message = check_chain(entries, expected_index=0, previous_hash=GENESIS_HASH).findings[0].message
    assert problems(entries) == [("altered", 2, "audit.finding.altered")]
    assert message.params == {"index": 2}


def test_an_entry_without_check_bytes_is_not_judged_by_them() -> None:
    """An entry sent without its stored hash prefix (none kept) cannot be located as altered;
    the head's signature still covers it."""
    entries = chained(3)
    entries[1] = dataclasses.replace(entries[1], detail_json=b'{"n":99}', check=b"")
    assert problems(entries) == [("altered", 2, "audit.finding.altered")]


def test_a_removed_entry_is_named_with_its_index() -> None:
    entries = chained(5)
    del entries[2]
    result = check_chain(entries, expected_index=0, previous_hash=GENESIS_HASH)
    assert [(f.problem, f.index, f.message.key, f.message.params) for f in result.findings] == [
        ("removed", 2, "audit.finding.missing", {"index": 2})
    ]
    assert len(result.hashes) == 4


def test_a_download_that_starts_late_names_every_index_skipped() -> None:
    assert problems(chained(2, first=3), first=1) == [
        ("removed", 1, "audit.finding.missing"),
        ("removed", 2, "audit.finding.missing"),
    ]


def test_swapped_entries_are_reordered_once_each() -> None:
    entries = chained(5)
    entries[1], entries[3] = entries[3], entries[1]
    result = check_chain(entries, expected_index=0, previous_hash=GENESIS_HASH)
    found = [(f.problem, f.index, f.message.params) for f in result.findings]
    # index 3 comes where 1 was due: 1 and 2 are still to come (reordered, after 3); then 2 is
    # behind 3 (already reported), then 1 behind 3 (reported once), then 4 is due and arrives
    assert found == [
        ("reordered", 1, {"index": 1, "after": 3}),
        ("reordered", 2, {"index": 2, "after": 3}),
    ]
    assert all(f.message.key == "audit.finding.reordered" for f in result.findings)


def test_an_entry_older_than_the_one_before_it_is_reordered_after_that_one() -> None:
    entries = chained(4)
    entries.append(entries[1])
    result = check_chain(entries, expected_index=0, previous_hash=GENESIS_HASH)
    assert [(f.problem, f.index, f.message.key, f.message.params) for f in result.findings] == [
        ("reordered", 1, "audit.finding.reordered", {"index": 1, "after": 3})
    ]
