"""The desk's lock register page (supervisors): the locks the centre looks after, with the
region whose technicians may recover each, and its service contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from safetool.authority.errors import AuthorityError
from safetool.authority.locks import LockRegister

if TYPE_CHECKING:
    from safetool.authority.desk import Desk


class LockPages:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def routes(self) -> list[Route]:
        return [
            Route("/desk/locks", self.listing, methods=["GET"]),
            Route("/desk/locks", self.add, methods=["POST"]),
        ]

    @property
    def _locks(self) -> LockRegister:
        locks = self.desk.authority.locks
        assert locks is not None, "the authority opens its lock register with the database"
        return locks

    async def listing(self, request: Request) -> Response:
        return await self._show(request, None)

    async def add(self, request: Request) -> Response:
        return await self._show(request, await self.desk.read_form(request))

    async def _show(self, request: Request, form: dict[str, str] | None) -> Response:
        session = await self.desk.session_of(request)
        if session is None:
            return self.desk.to_login()
        status, error, added = 200, None, None
        try:
            session.require("supervisor")
            if form is not None:
                session.check_csrf(form.get("csrf"))
                added = await run_in_threadpool(
                    self._locks.add,
                    form.get("serial", ""),
                    form.get("region", ""),
                    form.get("contract", ""),
                    session.operator.username,
                )
                await run_in_threadpool(
                    self.desk.operators.record,
                    session.operator,
                    "lock_registered",
                    f"serial={added.serial} region={added.region}",
                )
        except AuthorityError as refusal:
            if refusal.http_status == 403 and not session.operator.may("supervisor"):
                return self.desk.page(request, "refused.html.j2", session, 403, error=refusal)
            status, error = refusal.http_status, refusal
        locks = await run_in_threadpool(self._locks.listing)
        return self.desk.page(
            request, "locks.html.j2", session, status, locks=locks, added=added, error=error,
            form=form if error is not None and form is not None else {},
        )  # fmt: skip
