"""The customer report's verification: the visit's facts signed by the technician's key.

The report carries the facts it states (lock, visit, parts, firmware, recoveries and seals,
verdicts, sign-off), the technician's certificate and an Ed25519 signature over them. The
service centre, which holds the register of the certificates it issued, checks a report file
with ``safetool authority verify-report FILE`` (:mod:`safetool.authority.report_check`): that it
was signed by a technician it certified, and what it says. The technician's key opens no lock.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from safetool.errors import SafetoolError
from safetool.messages import Message

if TYPE_CHECKING:
    from safetool.identity import TechnicianIdentity

PURPOSE = b"safetool customer report v1\x00"
"""Signed first: a signature over a report can be nothing else's signature."""
SIGNATURE_SIZE = 64


class ReportSignatureError(SafetoolError):
    """A report whose signature block cannot be read."""


def report_facts(visit: dict[str, Any]) -> dict[str, Any]:
    """What the report states and the signature covers, from the visit's document."""
    satisfaction = visit.get("satisfaction") or {}
    return {
        "visit_id": visit.get("visit_id"),
        "serial": (visit.get("lock") or {}).get("serial"),
        "model": (visit.get("lock") or {}).get("model"),
        "site": visit.get("customer_site"),
        "technician": visit.get("technician"),
        "started_at": visit.get("started_at"),
        "ended_at": visit.get("ended_at"),
        "findings": list(visit.get("findings") or []),
        "work_done": list(visit.get("work_done") or []),
        "checks": [
            {"name": c.get("name"), "verdict": c.get("verdict")} for c in visit.get("checks") or []
        ],
        "parts": [
            {"part_number": p.get("part_number"), "quantity": p.get("quantity")}
            for p in visit.get("parts") or []
        ],
        "firmware": dict(visit.get("firmware") or {}),
        "recoveries": [
            {"counter": r.get("counter"), "method": r.get("method"), "seal": r.get("seal")}
            for r in visit.get("recoveries") or []
        ],
        "signed_off_by": visit.get("signed_off_by"),
        "rating": satisfaction.get("rating"),
    }


def canonical(facts: dict[str, Any]) -> bytes:
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class SignedReport:
    facts: dict[str, Any]
    certificate: bytes
    signature: bytes

    @property
    def signed_bytes(self) -> bytes:
        return PURPOSE + canonical(self.facts)

    @property
    def code(self) -> str:
        """The signature as the report prints it: base32, in groups of four."""
        text = base64.b32encode(self.signature).decode().rstrip("=")
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "safetool.report-signature/1",
            "facts": self.facts,
            "certificate": self.certificate.hex(),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, document: object) -> SignedReport:
        if not isinstance(document, dict) or document.get("format") != (
            "safetool.report-signature/1"
        ):
            raise _unreadable("format")
        facts = document.get("facts")
        try:
            certificate = bytes.fromhex(str(document.get("certificate")))
            signature = bytes.fromhex(str(document.get("signature")))
        except ValueError:
            raise _unreadable("hex") from None
        if not isinstance(facts, dict) or len(signature) != SIGNATURE_SIZE:
            raise _unreadable("fields")
        return cls(facts, certificate, signature)


def _unreadable(why: str) -> ReportSignatureError:
    return ReportSignatureError(
        Message("report_signature.unreadable", {"why": why}),
        meaning=Message("report_signature.unreadable.meaning"),
        next_step=Message("report_signature.unreadable.next"),
    )


def sign_report(visit: dict[str, Any], identity: TechnicianIdentity) -> SignedReport:
    facts = report_facts(visit)
    signature = identity.sign(PURPOSE + canonical(facts))
    return SignedReport(facts, identity.certificate_bytes, signature)


SCRIPT_ID = "safetool-report-signature"
"""The report's ``<script type="application/json">`` element that holds the signature block."""


def embedded_json(signed: SignedReport) -> str:
    """The signature block as JSON safe inside a ``<script>`` element."""
    text = json.dumps(signed.to_json(), ensure_ascii=True, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def read_embedded(html: str) -> SignedReport:
    """The signature block of a report file's HTML."""
    start_tag = f'<script type="application/json" id="{SCRIPT_ID}">'
    start = html.find(start_tag)
    end = html.find("</script>", start + len(start_tag)) if start >= 0 else -1
    if start < 0 or end < 0:
        raise ReportSignatureError(
            Message("report_signature.missing"),
            meaning=Message("report_signature.missing.meaning"),
            next_step=Message("report_signature.missing.next"),
        )
    try:
        document = json.loads(html[start + len(start_tag) : end])
    except ValueError:
        raise _unreadable("json") from None
    return SignedReport.from_json(document)
