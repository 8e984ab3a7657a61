"""The desk's lock register page (supervisors): the locks the centre looks after, with the
region whose technicians may recover each, and its service contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from safetool.authority.errors import AuthorityError
from safetool.authority.locks import LockRegister, RegisteredLock
from safetool.authority.operators import DeskSession

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
        session = await self.desk.opened(request, "supervisor")
        if isinstance(session, Response):
            return session
        return await self._show(request, session)

    async def add(self, request: Request) -> Response:
        posted = await self.desk.posted(request, "supervisor")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        try:
            added = await run_in_threadpool(
                self._locks.add,
                form.get("serial", ""),
                form.get("region", ""),
                form.get("contract", ""),
                session.operator.username,
            )
        except AuthorityError as refusal:
            return await self._show(request, session, error=refusal, form=form)
        await run_in_threadpool(
            self.desk.operators.record,
            session.operator,
            "lock_registered",
            f"serial={added.serial} region={added.region}",
        )
        return await self._show(request, session, added=added)

    async def _show(
        self,
        request: Request,
        session: DeskSession,
        *,
        added: RegisteredLock | None = None,
        error: AuthorityError | None = None,
        form: dict[str, str] | None = None,
    ) -> Response:
        locks = await run_in_threadpool(self._locks.listing)
        status = 200 if error is None else error.http_status
        return self.desk.page(
            request, "locks.html.j2", session, status, locks=locks, added=added, error=error,
            form=form or {},
        )  # fmt: skip
