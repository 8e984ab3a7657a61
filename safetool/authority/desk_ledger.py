"""The desk's ledger pages: close seals read over the phone, the recoveries still waiting for
one, and the ledger itself — searched, counted per day and per region (a server-rendered SVG
chart), exported as CSV by supervisors."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from safetool.authority.desk_http import attachment
from safetool.authority.errors import AuthorityError
from safetool.authority.export import parse_ledger_filter, to_csv
from safetool.authority.ledger import LedgerEntry, LedgerFilter
from safetool.errors import SafetoolError

if TYPE_CHECKING:
    from safetool.authority.desk import Desk


SHOWN_ENTRIES = 200
FOLLOW_UP_AFTER_S = 3600
"""A recovery used (or issued) this long ago with no close seal is listed for a call-back."""
FILTER_FIELDS = ("serial", "technician", "state", "kind", "since", "until")


class LedgerPages:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def routes(self) -> list[Route]:
        return [
            Route("/desk/seals", self.seals, methods=["GET"]),
            Route("/desk/seals", self.close, methods=["POST"]),
            Route("/desk/ledger", self.ledger, methods=["GET"]),
            Route("/desk/ledger.csv", self.export, methods=["GET"]),
        ]

    # --- close seals -----------------------------------------------------------------------------

    def _waiting(self) -> list[LedgerEntry]:
        """Recoveries not closed, issued more than FOLLOW_UP_AFTER_S ago, oldest first."""
        now = int(self.desk.authority.clock())
        open_ones = [
            entry
            for state in ("used", "issued")
            for entry in self.desk.authority.ledger.entries(LedgerFilter(state=state))
        ]
        due = [e for e in open_ones if now - e.issued_at >= FOLLOW_UP_AFTER_S]
        return sorted(due, key=lambda e: e.issued_at)

    async def seals(self, request: Request) -> Response:
        session = await self.desk.opened(request)
        if isinstance(session, Response):
            return session
        waiting = await run_in_threadpool(self._waiting)
        return self.desk.page(
            request, "seals.html.j2", session, waiting=waiting, closed=None, error=None, form={}
        )

    async def close(self, request: Request) -> Response:
        posted = await self.desk.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted
        fields = {name: form.get(name, "").strip() for name in ("serial", "recovery", "seal")}
        authority, operators = self.desk.authority, self.desk.operators

        def work() -> LedgerEntry:
            number = fields["recovery"].replace(" ", "")
            counter = int(number) if number.isascii() and number.isdigit() else None
            entry = authority.close(fields["serial"], None, fields["seal"], counter=counter)
            operators.record(
                session.operator, "seal_verified", f"recovery={entry.id} serial={entry.serial}"
            )
            return entry

        status, closed, error = 200, None, None
        try:
            closed = await run_in_threadpool(work)
        except AuthorityError as refusal:
            status, error = refusal.http_status, refusal
            what = f"serial={fields['serial'][:64]} recovery={fields['recovery'][:16]}"
            await run_in_threadpool(operators.record, session.operator, "seal_refused", what)
        waiting = await run_in_threadpool(self._waiting)
        return self.desk.page(
            request, "seals.html.j2", session, status, waiting=waiting, closed=closed,
            error=error, form={} if closed else fields,
        )  # fmt: skip

    # --- the ledger ------------------------------------------------------------------------------

    def _wanted(self, request: Request) -> tuple[dict[str, str], LedgerFilter]:
        params = {k: v.strip() for k, v in request.query_params.items() if k in FILTER_FIELDS}
        return params, parse_ledger_filter({k: v for k, v in params.items() if v})

    async def ledger(self, request: Request) -> Response:
        session = await self.desk.opened(request)
        if isinstance(session, Response):
            return session
        try:
            params, wanted = self._wanted(request)
        except SafetoolError as refusal:
            return self.desk.page(
                request, "ledger.html.j2", session, 400, params={}, entries=[], error=refusal,
                days=[], regions=[], total=0, query="",
            )  # fmt: skip
        entries = await run_in_threadpool(self.desk.authority.ledger.entries, wanted)
        days = Counter(datetime.fromtimestamp(e.issued_at, UTC).date().isoformat() for e in entries)
        regions = Counter(self._region(e.technician_id) for e in entries)
        return self.desk.page(
            request, "ledger.html.j2", session, params=params,
            entries=entries[-SHOWN_ENTRIES:][::-1], total=len(entries), error=None,
            days=_bars(sorted(days.items())[-31:]), regions=_bars(regions.most_common(12)),
            query=request.url.query,
        )  # fmt: skip

    def _region(self, technician_id: str) -> str:
        try:
            return self.desk.authority.register.get(technician_id).region or "—"
        except SafetoolError:
            return "—"

    async def export(self, request: Request) -> Response:
        session = await self.desk.opened(request, "supervisor")
        if isinstance(session, Response):
            return session
        try:
            _, wanted = self._wanted(request)
        except SafetoolError as refusal:
            return self.desk.page(request, "refused.html.j2", session, 400, error=refusal)
        entries = await run_in_threadpool(self.desk.authority.ledger.entries, wanted)
        await run_in_threadpool(
            self.desk.operators.record,
            session.operator,
            "ledger_exported",
            f"{len(entries)} entries {request.url.query}"[:400],
        )
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self.desk.authority.clock()))
        return Response(
            to_csv(entries),
            media_type="text/csv; charset=utf-8",
            headers=attachment(f"ledger-{stamp}.csv"),
        )


def _bars(counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """Label, count and bar width (percent of the largest) for the SVG chart."""
    top = max((count for _, count in counts), default=0)
    return [
        {"label": label, "count": count, "width": round(100 * count / top, 1) if top else 0}
        for label, count in counts
    ]
