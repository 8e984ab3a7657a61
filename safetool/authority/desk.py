"""The hotline desk: server-rendered pages (Starlette, Jinja2, plain forms) for operators at the
24-hour service centre, in Chinese and English from the shared message catalogue.

Every page needs a logged-in operator (a session cookie: HttpOnly, SameSite=Strict, Secure
behind TLS); every form carries the session's CSRF token (the login form a double-submit one);
every action goes into the append-only operator record. The signing key and the recovery master
secret stay in the server process: no page shows them.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from safetool.authority.desk_http import SECURITY_HEADERS
from safetool.authority.desk_ledger import LedgerPages
from safetool.authority.desk_locks import LockPages
from safetool.authority.desk_technicians import TechnicianPages
from safetool.authority.digits import CHALLENGE_LENGTH, SEAL_LENGTH
from safetool.authority.errors import AuthorityError
from safetool.authority.ledger import LedgerFilter
from safetool.authority.operators import DeskSession, LoginRefused, NotPermitted, OperatorDesk
from safetool.authority.schema import Role
from safetool.authority.service import Authority
from safetool.authority.wire import PhoneResponse
from safetool.errors import SafetoolError
from safetool.messages import LANGUAGES, Message, language_code, local_time, render

SCRIPT = (Path(__file__).parent / "desk_static" / "desk.js").read_bytes()
SESSION_COOKIE = "safetool_desk"
LOGIN_CSRF_COOKIE = "safetool_desk_login"
LANGUAGE_COOKIE = "safetool_desk_lang"
MAX_FORM_BYTES = 16 * 1024

_PAGES = Environment(
    loader=PackageLoader("safetool.authority", "desk_templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_language(request: Request) -> str:
    """The desk's language: the operator's choice (a cookie), else the browser's."""
    chosen = language_code(request.cookies.get(LANGUAGE_COOKIE))
    if chosen in LANGUAGES:
        return chosen
    accepted = request.headers.get("accept-language", "").lower()
    return "zh_CN" if accepted.startswith("zh") else "en"


def _phone_fields(form: dict[str, str]) -> dict[str, str]:
    names = ("serial", "challenge", "technician", "counter")
    return {name: form.get(name, "").strip()[:64] for name in names}


def plain(text: str) -> str:
    """A catalogue sentence for a page: the backticks that mark typed words in a terminal go."""
    return text.replace("`", "")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


class Desk:
    """The desk's routes, bound to one authority and its operator accounts."""

    def __init__(self, authority: Authority, operators: OperatorDesk) -> None:
        self.authority = authority
        self.operators = operators

    def routes(self) -> list[Route]:
        return [
            Route("/desk/", self.home, methods=["GET"]),
            Route("/desk/login", self.login_page, methods=["GET"]),
            Route("/desk/login", self.login, methods=["POST"]),
            Route("/desk/logout", self.logout, methods=["POST"]),
            Route("/desk/phone", self.phone, methods=["POST"]),
            Route("/desk/look-up", self.look_up, methods=["POST"]),
            Route("/desk/static/desk.js", self.script, methods=["GET"]),
            Route("/desk/operators", self.operator_list, methods=["GET"]),
            Route("/desk/language/{code}", self.choose_language, methods=["GET"]),
            *LedgerPages(self).routes(),
            *TechnicianPages(self).routes(),
            *LockPages(self).routes(),
        ]

    # --- rendering -------------------------------------------------------------------------------

    def page(
        self,
        request: Request,
        template: str,
        session: DeskSession | None,
        status: int = 200,
        **values: Any,
    ) -> HTMLResponse:
        language = page_language(request)

        def say(key: str, **params: Any) -> str:
            return plain(render(Message(key, params), language))

        def moment(seconds: int) -> str:
            return local_time(datetime.fromtimestamp(seconds, UTC), language)

        def explain(error: SafetoolError) -> list[str]:
            message, meaning, next_step = (plain(render(part, language)) for part in error.coded)
            return [part for part in (message, meaning, next_step) if part]

        html = _PAGES.get_template(template).render(
            say=say,
            explain=explain,
            moment=moment,
            digits={"challenge": CHALLENGE_LENGTH, "seal": SEAL_LENGTH},
            language=language,
            languages=LANGUAGES,
            session=session,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    async def read_form(self, request: Request) -> dict[str, str]:
        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return {}
        form = await request.form(max_files=0, max_fields=20)
        return {key: value for key, value in form.items() if isinstance(value, str)}

    async def session_of(self, request: Request) -> DeskSession | None:
        token = request.cookies.get(SESSION_COOKIE)
        return await run_in_threadpool(self.operators.session, token)

    def to_login(self) -> Response:
        return RedirectResponse("/desk/login", status_code=303, headers=SECURITY_HEADERS)

    async def opened(self, request: Request, needed: Role = "operator") -> DeskSession | Response:
        """The session a page is opened in, or the response instead: the login page when there
        is none, the refusal (recorded) when its role is short of ``needed``."""
        session = await self.session_of(request)
        if session is None:
            return self.to_login()
        try:
            session.require(needed)
        except AuthorityError as refusal:
            await run_in_threadpool(
                self.operators.record, session.operator, "refused", request.url.path
            )
            return self.page(request, "refused.html.j2", session, 403, error=refusal)
        return session

    async def posted(
        self, request: Request, needed: Role = "operator"
    ) -> tuple[DeskSession, dict[str, str]] | Response:
        """A form's session and fields, as :meth:`opened`, and its CSRF token checked."""
        session = await self.opened(request, needed)
        if not isinstance(session, DeskSession):
            return session
        form = await self.read_form(request)
        try:
            session.check_csrf(form.get("csrf"))
        except AuthorityError as refusal:
            return self.page(request, "refused.html.j2", session, 403, error=refusal)
        return session, form

    async def script(self, _request: Request) -> Response:
        """The one script: digits checked as they are typed (served from here: the CSP allows
        nothing from elsewhere)."""
        return Response(
            SCRIPT,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    # --- login and logout ------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        return self._login_form(request)

    def _login_form(
        self, request: Request, error: SafetoolError | None = None, status: int = 200
    ) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.page(request, "login.html.j2", None, status, csrf=token, error=error)
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/desk",
        )
        return response

    async def login(self, request: Request) -> Response:
        form = await self.read_form(request)
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        given = form.get("csrf", "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            refusal = NotPermitted(Message("desk.csrf"), next_step=Message("desk.csrf.next"))
            return self._login_form(request, refusal, 403)
        try:
            token, _ = await run_in_threadpool(
                self.operators.log_in,
                form.get("username", ""),
                form.get("password", ""),
                form.get("code", ""),
            )
        except LoginRefused as refusal:
            return self._login_form(request, refusal, 401)
        response = RedirectResponse("/desk/", status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/desk",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/desk")
        return response

    async def logout(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, _ = posted
        token = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(self.operators.log_out, token, session.operator)
        response = self.to_login()
        response.delete_cookie(SESSION_COOKIE, path="/desk")
        return response

    async def choose_language(self, request: Request) -> Response:
        code = language_code(request.path_params["code"]) or "en"
        response = RedirectResponse("/desk/", status_code=303, headers=SECURITY_HEADERS)
        if code in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, code, samesite="strict", secure=_secure(request), path="/desk"
            )
        return response

    # --- the phone-in desk -----------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        session = await self.opened(request)
        if isinstance(session, Response):
            return session
        return self.page(
            request, "phone.html.j2", session, form={}, issued=None, error=None, looked_up=None
        )

    async def look_up(self, request: Request) -> Response:
        """Before anything is issued: the technician's card, their recent recoveries and the
        lock's, how many more each may have this hour, and any reason a response would be
        refused; the form keeps what was typed."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted
        fields = _phone_fields(form)
        looked_up = await run_in_threadpool(self._look_up, fields)
        return self.page(
            request, "phone.html.j2", session, form=fields, issued=None, error=None,
            looked_up=looked_up,
        )  # fmt: skip

    def _look_up(self, form: dict[str, str]) -> dict[str, Any]:
        ledger, limits = self.authority.ledger, self.authority.ledger.limits
        since = int(self.authority.clock()) - limits.window_s
        found: dict[str, Any] = {"card": None, "refusal": None}
        if form["technician"]:
            try:
                self.authority.check_technician_now(form["technician"], form["serial"] or None)
            except SafetoolError as refusal:
                found["refusal"] = refusal
            found["card"] = self._card(form["technician"])
            mine = ledger.entries(LedgerFilter(technician_id=form["technician"]))
            found["technician_recent"] = mine[-5:][::-1]
            found["technician_left"] = limits.per_technician - sum(
                1 for e in mine if e.issued_at >= since
            )
        if form["serial"]:
            lock = ledger.entries(LedgerFilter(serial=form["serial"]))
            found["lock_recent"] = lock[-5:][::-1]
            found["lock_left"] = limits.per_lock - sum(1 for e in lock if e.issued_at >= since)
        return found

    async def phone(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        session, form = posted
        fields = _phone_fields(form)
        try:
            issued = await run_in_threadpool(self._issue, session, fields)
        except AuthorityError as refusal:
            what = f"serial={fields['serial'][:64]} technician={fields['technician'][:64]}"
            await run_in_threadpool(self.operators.record, session.operator, "phone_refused", what)
            return self.page(
                request, "phone.html.j2", session, refusal.http_status, form=fields,
                issued=None, error=refusal, looked_up=None,
            )  # fmt: skip
        return self.page(
            request, "phone.html.j2", session, form={}, issued=issued, error=None,
            card=self._card(issued.technician_id), looked_up=None,
        )  # fmt: skip

    def _issue(self, session: DeskSession, fields: dict[str, str]) -> PhoneResponse:
        """The response, its ledger entry made first (by the authority), then the record."""
        counter_text = fields["counter"].replace(" ", "")
        counter = int(counter_text) if counter_text.isdigit() else None
        answer = self.authority.issue_phone(
            fields["serial"], fields["challenge"], fields["technician"],
            counter=counter, via="desk",
        )  # fmt: skip
        self.operators.record(
            session.operator,
            "phone_response",
            f"recovery={answer.recovery_id} serial={answer.serial} "
            f"technician={answer.technician_id}",
        )
        return answer

    def _card(self, technician_id: str) -> dict[str, Any] | None:
        """The technician's identity card: who, where, what they may do, until when."""
        try:
            certificate = self.authority.register.get(technician_id)
        except SafetoolError:
            return None
        return {
            "id": certificate.subject_id,
            "name": certificate.name,
            "region": certificate.region,
            "qualifications": ", ".join(certificate.qualifications.names()),
            "not_after": certificate.not_after,
        }

    # --- accounts (administrators) ---------------------------------------------------------------

    async def operator_list(self, request: Request) -> Response:
        session = await self.opened(request, "administrator")
        if isinstance(session, Response):
            return session
        accounts = await run_in_threadpool(self.operators.operators)
        return self.page(request, "operators.html.j2", session, accounts=accounts)
