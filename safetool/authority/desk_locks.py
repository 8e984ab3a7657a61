"""The desk's lock register page (supervisors): the locks the centre looks after, with the
region whose technicians may recover each and its service contract, and the technicians on each
contract (who may recover its locks in any region)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from safetool.authority.errors import AuthorityError
from safetool.authority.locks import LockRegister, RegisteredLock
from safetool.authority.operators import DeskSession
from safetool.messages import Message

if TYPE_CHECKING:
    from safetool.authority.desk import Desk


class LockPages:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def routes(self) -> list[Route]:
        return [
            Route("/desk/locks", self.listing, methods=["GET"]),
            Route("/desk/locks", self.add, methods=["POST"]),
            Route("/desk/locks/contracts", self.assign, methods=["POST"]),
            Route("/desk/locks/contracts/remove", self.unassign, methods=["POST"]),
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

    async def assign(self, request: Request) -> Response:
        posted = await self.desk.posted(request, "supervisor")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        try:
            assigned = await run_in_threadpool(
                self._locks.assign,
                form.get("contract", ""),
                form.get("technician", ""),
                session.operator.username,
            )
        except AuthorityError as refusal:
            return await self._show(request, session, error=refusal, contract_form=form)
        await run_in_threadpool(
            self.desk.operators.record,
            session.operator,
            "contract_assigned",
            f"contract={assigned.contract} technician={assigned.technician_id}",
        )
        values = {"technician": assigned.technician_id, "contract": assigned.contract}
        return await self._show(request, session, done=Message("desk.contracts.assigned", values))

    async def unassign(self, request: Request) -> Response:
        posted = await self.desk.posted(request, "supervisor")
        if isinstance(posted, Response):
            return posted
        session, form = posted
        contract, technician = form.get("contract", ""), form.get("technician", "")
        if await run_in_threadpool(self._locks.unassign, contract, technician):
            await run_in_threadpool(
                self.desk.operators.record,
                session.operator,
                "contract_unassigned",
                f"contract={contract} technician={technician}",
            )
        values = {"technician": technician, "contract": contract}
        return await self._show(request, session, done=Message("desk.contracts.removed", values))

    async def _show(
        self,
        request: Request,
        session: DeskSession,
        *,
        added: RegisteredLock | None = None,
        done: Message | None = None,
        error: AuthorityError | None = None,
        form: dict[str, str] | None = None,
        contract_form: dict[str, str] | None = None,
    ) -> Response:
        locks = await run_in_threadpool(self._locks.listing)
        on_contracts = await run_in_threadpool(self._locks.contract_technicians)
        status = 200 if error is None else error.http_status
        return self.desk.page(
            request, "locks.html.j2", session, status, locks=locks, added=added, error=error,
            form=form or {}, on_contracts=on_contracts, done=done,
            contract_form=contract_form or {},
        )  # fmt: skip
