"""Checking a downloaded audit trail: the signed head, then the hash chain entry by entry.

Pure functions, no I/O. Each finding says what is wrong and at which index, so a technician can
tell the service centre "entry 1,204 was altered" rather than "verification failed".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from protocols.audit_messages import (
    CHECK_SIZE,
    AuditHeadResponse,
    WireEntry,
    chain_hash,
    head_payload,
)
from safetool.messages import Message, as_dict, render


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with the trail. ``index`` is the entry concerned (None: the whole)."""

    problem: str
    """``removed``, ``reordered``, ``altered``, ``head_mismatch``, ``bad_signature``,
    ``unsigned``, ``overwritten``, ``differs_from_copy``, ``rolled_back``."""
    index: int | None
    message: Message
    tampering: bool = True
    """False for findings that are not evidence of tampering (unsigned, overwritten)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "problem": self.problem,
            "index": self.index,
            "message": render(self.message),
            "code": as_dict(self.message),
            "tampering": self.tampering,
        }


@dataclass(slots=True)
class ChainResult:
    last_hash: bytes
    hashes: list[bytes] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def check_head(
    head: AuditHeadResponse, *, serial: str, nonce: bytes, device_key: Ed25519PublicKey | None
) -> list[Finding]:
    """The head's signature by the device key the session verified (over our fresh nonce)."""
    if not head.signed:
        return [
            Finding(
                "unsigned",
                None,
                Message("audit.finding.unsigned"),
                tampering=False,
            )
        ]
    if device_key is None:
        return [Finding("unsigned", None, Message("audit.finding.no_device_key"))]
    payload = head_payload(
        serial=serial,
        nonce=nonce,
        count=head.count,
        first_index=head.first_index,
        start_hash=head.start_hash,
        head_hash=head.head_hash,
        time_s=head.time_s,
    )
    try:
        device_key.verify(head.signature, payload)
    except InvalidSignature:
        return [
            Finding(
                "bad_signature",
                None,
                Message("audit.finding.bad_signature"),
            )
        ]
    return []


def check_chain(
    entries: list[WireEntry], *, expected_index: int, previous_hash: bytes
) -> ChainResult:
    """Walk ``entries`` from ``expected_index``: indices must run on by one, and each entry must
    hash (with the one before) to the check bytes the board stored for it.

    The first break of the chain is reported with its index; past it, entries can no longer be
    checked one by one (the board sends only a prefix of each stored hash), so later
    alterations are covered by the signed head, not located.
    """
    hashes: list[bytes] = []
    findings: list[Finding] = []
    expected = expected_index
    previous = previous_hash
    reported: set[int] = set()
    broken = False  # pragma: no mutate (None is as false)

    def report(problem: str, index: int, message: Message) -> None:
        nonlocal broken
        if index not in reported:
            reported.add(index)
            findings.append(Finding(problem, index, message))
        broken = True

    for position, entry in enumerate(entries):
        if entry.index < expected:
            report(
                "reordered",
                entry.index,
                Message("audit.finding.reordered", {"index": entry.index, "after": expected - 1}),
            )
        elif entry.index > expected:  # pragma: no mutate (>=: the range below is empty)
            later = {e.index for e in entries[position:]}
            for index in range(expected, entry.index):
                if index in later:
                    report(
                        "reordered",
                        index,
                        Message("audit.finding.reordered", {"index": index, "after": entry.index}),
                    )
                else:
                    report("removed", index, Message("audit.finding.missing", {"index": index}))
        computed = chain_hash(previous, entry.canonical())
        if entry.check and computed[:CHECK_SIZE] != entry.check and not broken:
            report(
                "altered",
                entry.index,
                Message("audit.finding.altered", {"index": entry.index}),
            )
        hashes.append(computed)
        previous = computed
        expected = max(expected, entry.index + 1)
    return ChainResult(previous, hashes, findings)
