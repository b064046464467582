"""The two HTTP routes beside the app (streamlit_app.py mounts them) that touch the sign-in cookie, which no page
script can read or set: Streamlit's scripts talk over a websocket, and the cookie is HttpOnly.

- POST /auth/session, body: the one-time code of a sign-in that just happened in this browser
  (helpdesk.accounts.sign_in_sessions.open_session): sets the cookie with the session's token.
- POST /auth/sign-out: ends the cookie's session and deletes the cookie.

Both refuse a request from another site (its Origin is not this host): no page elsewhere can
sign a visitor in as someone else, or out."""
from __future__ import annotations

from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from helpdesk.accounts.sign_in_sessions import end_session, redeem_code
from helpdesk.core.db import session_scope

SESSION_COOKIE = "ccr_session"
START_PATH = "/auth/session"
SIGN_OUT_PATH = "/auth/sign-out"
CODE_MAX = 200


def _engine():
    from helpdesk.ui.engine import get_engine  # the app's one engine (created on first use)

    return get_engine()


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    host = request.headers.get("host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _redeem(code: str):
    with session_scope(_engine()) as session:
        return redeem_code(session=session, code=code)


def _end(token: str) -> None:
    with session_scope(_engine()) as session:
        end_session(session=session, token=token)


def _plain(status: int, text: str = "") -> Response:
    return Response(text, status_code=status, media_type="text/plain",
                    headers={"Cache-Control": "no-store"})


async def start_session(request: Request) -> Response:
    if not _same_origin(request):
        return _plain(403, "Sign in on the helpdesk's own page.")
    code = (await request.body())[:CODE_MAX + 1].decode("utf-8", "replace")
    cookie = await run_in_threadpool(_redeem, code) if len(code) <= CODE_MAX else None
    if cookie is None:
        return _plain(400, "That sign-in has expired: sign in again.")
    response = _plain(204)
    response.set_cookie(SESSION_COOKIE, cookie.token, max_age=cookie.max_age, path="/", httponly=True,
                        samesite="lax", secure=_https(request))
    return response


async def sign_out(request: Request) -> Response:
    if not _same_origin(request):
        return _plain(403, "Sign out on the helpdesk's own page.")
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await run_in_threadpool(_end, token)
    response = _plain(204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_https(request))
    return response


ROUTES = [Route(START_PATH, start_session, methods=["POST"]), Route(SIGN_OUT_PATH, sign_out, methods=["POST"])]
