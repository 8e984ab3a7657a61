"""Side-channel operations on the audit trail: fill it fast (benchmarks) and tamper with the
stored entries (the tests that prove the tool notices). Never reachable from the service port."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from firmware.audit import AuditTrail, StoredEntry
from protocols.audit_messages import canonical_detail, chain_hash


def fill(trail: AuditTrail, time_s: float, count: int) -> dict[str, int]:
    """Append ``count`` entries shaped like keypad codes (one write, for speed)."""
    items: list[tuple[float, str, dict[str, Any]]] = [
        (time_s, "code_entered", {"result": "wrong" if n % 7 else "opened", "slot": n % 10})
        for n in range(count)
    ]
    trail.append_many(items)
    return {"count": trail.count, "first_index": trail.first_index}


def tamper(trail: AuditTrail, mode: str, index: int, rechain: bool = False) -> dict[str, Any]:
    """Change the stored trail as someone with the flash chip in hand might.

    ``alter`` rewrites entry ``index``'s detail; ``remove`` deletes it; ``swap`` exchanges it
    with the next one. Without ``rechain`` the stored hashes stay as they were; with it every
    later hash (and, for ``remove``, index) is recomputed, as a careful forger would.
    """
    entries = trail._entries
    position = index - trail.first_index
    if not 0 <= position < len(entries) - (1 if mode == "swap" else 0):
        raise ValueError(f"the trail holds no entry {index}")
    if mode == "alter":
        entries[position] = replace(
            entries[position], detail_json=canonical_detail({"tampered": True})
        )
    elif mode == "remove":
        del entries[position]
    elif mode == "swap":
        first, second = entries[position], entries[position + 1]
        if rechain:  # contents swap, indices stay in order
            entries[position] = replace(second, index=first.index)
            entries[position + 1] = replace(first, index=second.index)
        else:  # the records themselves swap places
            entries[position], entries[position + 1] = second, first
    else:
        raise ValueError(f"no tamper mode {mode!r}: alter, remove or swap")
    if rechain:
        _rechain(trail, position)
    trail.rewrite()
    return {"count": trail.count}


def _rechain(trail: AuditTrail, position: int) -> None:
    entries = trail._entries
    previous = entries[position - 1].hash if position > 0 else trail.start_hash
    for n in range(position, len(entries)):
        entry = replace(entries[n], index=trail.first_index + n)
        entries[n] = replace(entry, hash=chain_hash(previous, _canonical(entry)))
        previous = entries[n].hash


def _canonical(entry: StoredEntry) -> bytes:
    return entry.wire().canonical()
