"""Downloading a lock's audit trail, incrementally, and proving it is the lock's own.

1. AUDIT_HEAD with a fresh nonce: the count, the oldest entry held, the chain's start and head
   hashes, signed by the device key whose certificate the secure session verified.
2. AUDIT_READ pages from the first entry this laptop does not have yet (from the oldest the lock
   holds, the first time), each page as large as the frames the lock accepts.
3. The new entries must chain from this laptop's last verified hash to the signed head. If they
   do not, everything the lock holds is read again and compared with the local copy and with
   the chain, to say where it changed. Only a verified download is added to the local copy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from protocols.audit_messages import (
    GENESIS_HASH,
    NONCE_SIZE,
    AuditHeadRequest,
    AuditHeadResponse,
    AuditReadRequest,
    WireEntry,
    decode_entries,
)
from protocols.errors import MalformedMessage
from protocols.session import CIPHER_OVERHEAD
from safetool.client import LockClient
from safetool.client.secure import SessionInfo
from safetool.errors import SafetoolError
from safetool.messages import Message
from safetool.messages.catalogue import TEXTS
from safetool.services.audit_store import AuditCopy
from safetool.services.audit_verify import ChainResult, Finding, check_chain, check_head

Progress = Callable[[int, int], None]
"""Called with (entries read so far, entries to read)."""
READ_FIXED_BYTES = 8


AuditEntry: TypeAlias = WireEntry
"""One entry of a lock's audit trail (index, time, kind, detail), as the services hand it on."""


class AuditReadFailed(SafetoolError):
    """The lock's answers could not be read as an audit trail."""


@dataclass(slots=True)
class AuditReport:
    serial: str
    count: int
    first_index: int
    signed: bool
    head_time_s: int
    new_entries: int
    entries: list[WireEntry]
    """Everything this laptop holds for the lock after the download (verified), or, when
    verification failed, what the lock sent this time."""
    findings: list[Finding] = field(default_factory=list)
    bytes_read: int = 0
    seconds: float = 0.0

    @property
    def verified(self) -> bool:
        return not any(f.tampering for f in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "count": self.count,
            "first_index": self.first_index,
            "signed": self.signed,
            "head_time_s": self.head_time_s,
            "new_entries": self.new_entries,
            "verified": self.verified,
            "findings": [f.as_dict() for f in self.findings],
        }


def entry_dict(entry: WireEntry) -> dict[str, Any]:
    return {
        "index": entry.index,
        "time_s": entry.time_s,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(entry.time_s)),
        "kind": entry.kind_name,
        "detail": {k: v for k, v in entry.detail().items() if k != "kind"},
    }


async def read_head(client: LockClient, session: SessionInfo) -> tuple[AuditHeadResponse, bytes]:
    nonce = os.urandom(NONCE_SIZE)
    head = await client.request(AuditHeadRequest(nonce))
    return head, nonce


async def read_entries(
    client: LockClient, start: int, end: int, progress: Progress | None = None
) -> tuple[list[WireEntry], int]:
    """Entries ``start``..``end - 1`` (as the lock holds them), page by page; and bytes read."""
    max_bytes = min(0xFFFF, client.connection.max_body - CIPHER_OVERHEAD)
    rate = client.connection.line_rate_bytes_per_s
    line_s = 0.0 if not rate else (max_bytes + CIPHER_OVERHEAD + 16) * 1.1 / rate
    entries: list[WireEntry] = []
    read = 0
    position = start
    while position < end:
        answer = await client.request(AuditReadRequest(position, max_bytes), processing_s=line_s)
        try:
            page = decode_entries(answer.entries)
        except MalformedMessage as error:
            raise AuditReadFailed(
                Message("audit.malformed", {"index": position, "detail": str(error)}),
                meaning=Message("audit.malformed.meaning"),
                next_step=Message("audit.malformed.next"),
            ) from None
        read += len(answer.entries) + READ_FIXED_BYTES
        if not page:
            break
        entries.extend(page)
        position = answer.first_index + len(page)
        if progress is not None:
            progress(len(entries), end - start)
    return entries, read


async def download_audit(
    client: LockClient,
    session: SessionInfo,
    *,
    directory: Path | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> AuditReport:
    """Fetch what is new, verify it, keep it. ``full`` reads and checks everything again."""
    started = time.perf_counter()
    head, nonce = await read_head(client, session)
    findings = check_head(
        head, serial=session.serial, nonce=nonce, device_key=session.device.subject_key()
    )
    with AuditCopy(session.serial, directory) as copy:
        last = None if full else copy.last()
        start, previous = head.first_index, head.start_hash
        if last is not None and last.entry.index + 1 >= head.first_index:
            start, previous = last.entry.index + 1, last.hash
        elif last is not None:
            findings.append(
                Finding(
                    "overwritten",
                    last.entry.index + 1,
                    Message(
                        "audit.finding.overwritten",
                        {"first": last.entry.index + 1, "last": head.first_index - 1},
                    ),
                    tampering=False,
                )
            )
        if start == 0 and head.start_hash != GENESIS_HASH:
            findings.append(Finding("altered", 0, Message("audit.finding.start_hash")))
        entries, read = await read_entries(client, start, head.count, progress)
        chain = check_chain(entries, expected_index=start, previous_hash=previous)
        problems = chain.findings or _head_mismatch(chain, head, start)
        if last is not None and (problems or head.count < start):
            # The lock's history may have changed under what this laptop already holds.
            everything, more = await read_entries(client, head.first_index, head.count)
            read += more
            compared = _compare(copy, everything, head)
            if compared and _a_trail_of_its_own(copy, everything, head, compared + findings):
                # Consistent from its first entry, signed by this lock, and different from
                # the first entry this laptop kept: not an edit, another trail (a new or
                # replaced controller, or a factory reset). Keep the old copy aside.
                when = copy.meta("downloaded_at")
                kept = copy.set_aside()
                findings.append(_new_trail(when, kept))
                last, start, previous = None, head.first_index, head.start_hash
                chain = check_chain(everything, expected_index=start, previous_hash=previous)
                compared, problems = [], []
            if not compared and head.count < start:
                compared = [
                    Finding(
                        "rolled_back",
                        head.count,
                        Message(
                            "audit.finding.rolled_back", {"count": head.count, "verified": start}
                        ),
                    )
                ]
            problems = compared or problems
            entries = everything
        findings += problems
        report = AuditReport(
            serial=session.serial,
            count=head.count,
            first_index=head.first_index,
            signed=bool(head.signed),
            head_time_s=head.time_s,
            new_entries=len(entries),
            entries=entries,
            findings=findings,
            bytes_read=read,
        )
        if report.verified:
            copy.add(
                entries,
                chain.hashes,
                {
                    "count": str(head.count),
                    "head_hash": head.head_hash.hex(),
                    "signed": str(head.signed),
                    "downloaded_at": str(int(time.time())),
                },
            )
            report.entries = [stored.entry for stored in copy.entries()]
    report.seconds = time.perf_counter() - started
    return report


FIRST_BOOT_ENTRIES = 4
"""At most this many entries two trails of one serial can share by chance: what every board
writes at production and its first boot (the revocation list it was given, power on), which can
match to the second when two boards start together. Past these, a shared history that then
differs is a rewrite, not a restart."""


def _a_trail_of_its_own(
    copy: AuditCopy, board: list[WireEntry], head: AuditHeadResponse, findings: list[Finding]
) -> bool:
    """The lock's whole trail checks out on its own, from the chain's start to its signed
    head, is shorter than this laptop's copy, and parts from it within the first boot."""
    kept = copy.entries()
    if not kept or head.first_index != 0 or head.start_hash != GENESIS_HASH:
        return False
    if any(f.tampering for f in findings if f.problem not in ("differs_from_copy", "removed")):
        return False  # the head's signature or the lock's own chain is wrong: not this case
    own = check_chain(board, expected_index=0, previous_hash=GENESIS_HASH)
    if own.findings or own.last_hash != head.head_hash:
        return False
    if len(board) >= len(kept):
        return False  # a trail that restarted is shorter than the one it replaced
    differs = next(
        (
            stored.entry.index
            for stored in kept
            if (on_lock := next((e for e in board if e.index == stored.entry.index), None)) is None
            or on_lock.canonical() != stored.entry.canonical()
        ),
        None,
    )
    return differs is not None and differs < FIRST_BOOT_ENTRIES


def _new_trail(when: str | None, kept: Path) -> Finding:
    stamp = _when_kept(when)
    return Finding(
        "new_trail",
        None,
        Message("audit.finding.new_trail", {"when": stamp, "kept": kept.name}),
        tampering=False,
    )


def _when_kept(when: str | None) -> Message | str:
    """When this laptop downloaded the copy it holds (its ``downloaded_at``), in UTC."""
    if when is None:
        return Message("audit.earlier")
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(when)))


def _head_mismatch(chain: ChainResult, head: AuditHeadResponse, start: int) -> list[Finding]:
    if chain.last_hash == head.head_hash:
        return []
    return [
        Finding(
            "head_mismatch",
            start,
            Message("audit.finding.head_mismatch", {"index": start}),
        )
    ]


def _compare(copy: AuditCopy, board: list[WireEntry], head: AuditHeadResponse) -> list[Finding]:
    """Where the lock's trail now differs from what this laptop verified before."""
    by_index = {entry.index: entry for entry in board}
    when = copy.meta("downloaded_at")
    stamp = _when_kept(when)
    for stored in copy.entries(head.first_index):
        index = stored.entry.index
        now = by_index.get(index)
        if now is None:
            return [
                Finding(
                    "removed",
                    index,
                    Message("audit.finding.removed", {"index": index, "when": stamp}),
                )
            ]
        if now.canonical() != stored.entry.canonical():
            return [
                Finding(
                    "differs_from_copy",
                    index,
                    Message("audit.finding.rewritten", {"index": index, "when": stamp}),
                )
            ]
    return []


def audit_kind_message(name: str) -> Message:
    """An audit entry kind (the lock's own name, ``recovery_opened``) in words."""
    key = f"audit.kind.{name}"
    return Message(key) if key in TEXTS else Message("audit.kind.unknown", {"kind": name})


def detail_message(entry: WireEntry) -> list[Message]:
    """An entry's detail (the fields the lock wrote, SPEC.md 12.10) in words: each field's
    name and its value, codes worded (``wrong``, ``penalty``, ``new_link``); numbers, ids and
    any text the lock wrote in its own words are shown as they are."""
    return detail_words(entry.detail())


def detail_words(detail: dict[str, Any]) -> list[Message]:
    """An entry's detail fields, as kept in a download or a visit, in words (see
    :func:`detail_message`)."""
    return [
        Message(
            "audit.detail.item",
            {"label": _known(f"audit.field.{key}") or key, "value": _worded(key, value)},
        )
        for key, value in sorted(detail.items())
        if key != "kind"
    ]


def _known(key: str, params: dict[str, Any] | None = None) -> Message | None:
    return Message(key, params or {}) if key in TEXTS else None


def _worded(key: str, value: Any) -> Any:
    if isinstance(value, bool):
        return Message("audit.value.yes" if value else "audit.value.no")
    if isinstance(value, list):
        return [_worded(key, item) for item in value]
    if isinstance(value, dict):  # config_changed: the settings and their new values
        return [
            Message("audit.detail.item", {"label": _known(f"policy.{k}") or k, "value": v})
            for k, v in sorted(value.items())
        ]
    if isinstance(value, str):
        code = value.lower()
        return (
            _known(f"audit.value.{code}")
            or (_known(f"refusal.{code}") if key == "reason" else None)
            or (_known(f"bolt.{code}") if key == "bolt" else None)
            or value
        )
    return value
