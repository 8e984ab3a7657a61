"""The desk's technicians page (supervisors): enrol a technician from the request their own
tool made, give back the signed certificate, suspend, reinstate or revoke (which signs and
publishes a new revocation list at once)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from protocols.certificates import Qualification
from safetool.authority.desk_http import attachment
from safetool.authority.errors import AuthorityError, RequestInvalid
from safetool.authority.operators import DeskSession
from safetool.authority.schema import TechnicianStatus
from safetool.authority.technicians import DEFAULT_VALIDITY_DAYS, TechnicianBook
from safetool.authority.wire import EnrolmentRequest
from safetool.messages import Message

if TYPE_CHECKING:
    from safetool.authority.desk import Desk

QUALIFICATIONS = ("diagnose", "recover", "configure", "firmware")
STATUS_ACTIONS: dict[str, TechnicianStatus] = {
    "suspend": "suspended",
    "reinstate": "active",
    "revoke": "revoked",
}


class TechnicianPages:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def routes(self) -> list[Route]:
        return [
            Route("/desk/technicians", self.listing, methods=["GET"]),
            Route("/desk/technicians", self.enrol, methods=["POST"]),
            Route("/desk/technicians/{technician}/certificate", self.certificate, methods=["GET"]),
            Route("/desk/technicians/{technician}/{action}", self.change, methods=["POST"]),
        ]

    @property
    def _book(self) -> TechnicianBook:
        book = self.desk.authority.register.book
        assert book is not None, "the authority opens its register with the database"
        return book

    def _page(
        self,
        request: Request,
        session: DeskSession,
        status: int = 200,
        **values: object,
    ) -> Response:
        values.setdefault("error", None)
        values.setdefault("enrolled", None)
        files = sorted(self.desk.authority.register.by_id.values(), key=lambda c: c.subject_id)
        crl = self.desk.authority.keys.revocations.current()
        return self.desk.page(
            request, "technicians.html.j2", session, status, technicians=self._book.listing(),
            from_files=files, qualifications=QUALIFICATIONS, validity=DEFAULT_VALIDITY_DAYS,
            revoked=set(crl.serials), crl=crl, **values,
        )  # fmt: skip

    async def listing(self, request: Request) -> Response:
        session = await self.desk.opened(request, "supervisor")
        if isinstance(session, Response):
            return session
        return await run_in_threadpool(self._page, request, session)

    async def enrol(self, request: Request) -> Response:
        posted = await self.desk.posted(request, "supervisor")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        chosen = Qualification(0)
        for name in QUALIFICATIONS:
            if form.get(f"q_{name}"):
                chosen |= Qualification[name.upper()]
        days_text = form.get("validity_days", "").strip()
        days = int(days_text) if days_text.isdigit() and 0 < int(days_text) <= 3 * 365 else 0

        def work() -> object:
            try:
                document = json.loads(form.get("request", ""))
            except ValueError:
                raise RequestInvalid(Message("authority.enrolment.not_a_request")) from None
            asked = EnrolmentRequest.from_json(document)
            if not days:
                raise RequestInvalid(Message("desk.technicians.validity"))
            register = self.desk.authority.register
            certificate = self._book.enrol(
                asked, chosen, session.operator.username, validity_days=days,
                known=lambda technician: technician in register.by_id,
            )  # fmt: skip
            self.desk.operators.record(
                session.operator,
                "technician_enrolled",
                f"technician={certificate.subject_id} certificate={certificate.serial_number} "
                f"qualifications={','.join(chosen.names())}",
            )
            return certificate

        try:
            enrolled = await run_in_threadpool(work)
        except AuthorityError as refusal:
            return await self._refused(request, session, refusal)
        return await run_in_threadpool(lambda: self._page(request, session, enrolled=enrolled))

    async def _refused(
        self, request: Request, session: DeskSession, refusal: AuthorityError
    ) -> Response:
        return await run_in_threadpool(
            lambda: self._page(request, session, refusal.http_status, error=refusal)
        )

    async def certificate(self, request: Request) -> Response:
        session = await self.desk.opened(request, "supervisor")
        if isinstance(session, Response):
            return session
        found = await run_in_threadpool(self._book.get, request.path_params["technician"])
        if found is None:
            return Response(status_code=404)
        return Response(
            found.certificate.encode(),
            media_type="application/octet-stream",
            headers=attachment("technician.cert"),
        )

    async def change(self, request: Request) -> Response:
        posted = await self.desk.posted(request, "supervisor")
        if isinstance(posted, Response):
            return posted
        session, _ = posted
        technician = request.path_params["technician"]
        status = STATUS_ACTIONS.get(request.path_params["action"])
        try:
            if status is None:
                raise RequestInvalid(Message("authority.http.not_found"))
            await run_in_threadpool(self._book.set_status, technician, status)
        except AuthorityError as refusal:
            return await self._refused(request, session, refusal)
        await run_in_threadpool(
            self.desk.operators.record,
            session.operator,
            f"technician_{status}",
            f"technician={technician}",
        )
        return await run_in_threadpool(lambda: self._page(request, session))
