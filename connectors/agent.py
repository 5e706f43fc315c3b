"""The agent console: `/agent` (the page), `/agent/api/*` (JSON) and `/agent/ws` (live feed).

Agents sign in with name and password; the session is a record on the server
(`bot/handoff/sessions.py`) whose id travels in a signed HttpOnly, SameSite=Strict cookie
(Secure outside dev mode), which the browser also sends on the WebSocket handshake. Every
endpoint checks the session against the store, and the socket checks it again on every
beat and whenever a worker says the agent's sessions ended, closing with 4401 once it has;
the desk checks that only the agent holding a conversation replies to it, hands it back
or closes it.

Not SameSite alone: every POST and DELETE must carry the session's anti-forgery token in
`X-CSRF-Token` (given at sign-in and by /me), a sign-in must not come from another origin,
and everything under /agent is sent with a strict Content-Security-Policy (our own script
and styles only, no framing) and X-Frame-Options: DENY (`ConsoleHeaders`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Depends, FastAPI, Header, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.events import Event
from bot.handoff.agents import Agent, Agents
from bot.handoff.desk import Desk
from bot.handoff.limits import SignInRefused
from bot.handoff.sessions import COOKIE, LiveSession, Sessions
from bot.ports import Bus, Presence, StoreUnavailable
from connectors.deps import Provided
from connectors.errors import ApiError, error_body, error_response

STATIC = Path(__file__).resolve().parent / "static" / "agent"
router = APIRouter()
SessionCookie = Annotated[str | None, Cookie(alias=COOKIE)]
CsrfHeader = Annotated[str | None, Header(alias="X-CSRF-Token")]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",  # the API and the console's socket, same origin only
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@dataclass(frozen=True, slots=True)
class Console:
    """Everything the agent console needs, built once per worker by the composition root."""

    agents: Agents
    sessions: Sessions | None  # None: TELLER_AGENT_SECRET unset in production, console off
    presence: Presence
    desk: Desk
    bus: Bus
    agents_topic: str  # where every open console listens
    sessions_topic: str  # where the workers hear that an agent's sessions ended
    beat_seconds: float  # how often an open console renews presence and checks its session
    secure_cookie: bool  # production: the session cookie only travels over HTTPS


CONSOLE: Provided[Console] = Provided("console")


async def _console(connection: HTTPConnection) -> Console:
    console = CONSOLE.of(connection)
    if console.sessions is None:
        raise ApiError(404, "console_off")
    return console


On = Annotated[Console, Depends(_console)]


async def _session(
    console: On,
    connection: HTTPConnection,
    session: SessionCookie = None,
    csrf: CsrfHeader = None,
) -> LiveSession:
    """The request's live session (401 without one); a POST or DELETE must also carry
    its anti-forgery token (403 without it)."""
    assert console.sessions is not None
    signed_in = await console.sessions.check(session)
    if signed_in is None:
        raise ApiError(401, "not_signed_in")
    if connection.scope.get("method") not in SAFE_METHODS and not signed_in.allows(csrf):
        raise ApiError(403, "cross_site_request")
    return signed_in


Session = Annotated[LiveSession, Depends(_session)]


async def _agent(session: Session) -> Agent:
    return session.agent


SignedIn = Annotated[Agent, Depends(_agent)]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=4000)


def _events(recorded: list[Event]) -> dict[str, Any]:
    return {"events": [e.to_entry() for e in recorded]}


@router.get("/agent", include_in_schema=False)
async def console_page(console: On) -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def _same_origin(connection: HTTPConnection) -> bool:
    """False when the browser says the request comes from a page of another origin."""
    origin = connection.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == connection.headers.get("host")


@router.post("/agent/api/session")
async def sign_in(body: SignIn, console: On, connection: HTTPConnection) -> Response:
    sessions = console.sessions
    assert sessions is not None
    if not _same_origin(connection):  # another site signing this browser in (login CSRF)
        return error_response(connection, 403, "cross_site_request")
    address = connection.client.host if connection.client else "unknown"
    try:
        agent = await console.agents.sign_in(body.name.strip().lower(), body.password, address)
    except SignInRefused as refused:
        return _refused(connection, refused)
    if agent is None:
        return error_response(connection, 401, "bad_credentials")
    opened = await sessions.open(agent, address)
    response = JSONResponse(
        {"agent": {"id": agent.id, "name": agent.name}, "csrf_token": opened.csrf}
    )
    response.set_cookie(
        COOKIE,
        opened.cookie,
        max_age=int(sessions.ttl_seconds),
        httponly=True,
        samesite="strict",
        secure=console.secure_cookie,
        path="/agent",
    )
    return response


def _refused(connection: HTTPConnection, refused: SignInRefused) -> Response:
    response = error_response(connection, refused.status, refused.code, **refused.variables)
    if refused.retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(refused.retry_after)))
    return response


@router.delete("/agent/api/session")
async def sign_out(
    console: On, connection: HTTPConnection, session: SessionCookie = None, csrf: CsrfHeader = None
) -> Response:
    """End the session on the server (every worker, the console's socket too) and drop
    the cookie; without a live session this only drops the cookie. A live one needs its
    anti-forgery token, or another site could sign the agent out."""
    assert console.sessions is not None
    live = await console.sessions.check(session)
    if live is not None and not live.allows(csrf):
        return error_response(connection, 403, "cross_site_request")
    await console.sessions.close(session)
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(COOKIE, path="/agent", httponly=True, samesite="strict")
    return response


@router.get("/agent/api/me")
async def me(session: Session) -> dict[str, Any]:
    """Who is signed in, and the session's anti-forgery token (for a reloaded page)."""
    agent = session.agent
    return {"agent": {"id": agent.id, "name": agent.name}, "csrf_token": session.csrf}


@router.get("/agent/api/queue")
async def queue(agent: SignedIn, console: On) -> dict[str, Any]:
    items = await console.desk.queue()
    return {
        "conversations": [item.to_dict() for item in items],
        "agents_online": await console.presence.online(),
    }


@router.get("/agent/api/canned")
async def canned(agent: SignedIn, console: On) -> dict[str, Any]:
    return {"canned": console.desk.canned}


@router.get("/agent/api/conversations/{conversation_id}")
async def conversation(conversation_id: str, agent: SignedIn, console: On) -> dict[str, Any]:
    return await console.desk.conversation(conversation_id)


@router.post("/agent/api/conversations/{conversation_id}/claim")
async def claim(conversation_id: str, agent: SignedIn, console: On) -> dict[str, Any]:
    return _events(await console.desk.claim(agent, conversation_id))


@router.post("/agent/api/conversations/{conversation_id}/reply")
async def reply(conversation_id: str, body: Text, agent: SignedIn, console: On) -> dict[str, Any]:
    return _events(await console.desk.reply(agent, conversation_id, body.text))


@router.post("/agent/api/conversations/{conversation_id}/note")
async def note(conversation_id: str, body: Text, agent: SignedIn, console: On) -> dict[str, Any]:
    return _events(await console.desk.note(agent, conversation_id, body.text))


@router.post("/agent/api/conversations/{conversation_id}/handback")
async def hand_back(conversation_id: str, agent: SignedIn, console: On) -> dict[str, Any]:
    return _events(await console.desk.hand_back(agent, conversation_id))


@router.post("/agent/api/conversations/{conversation_id}/close")
async def close(conversation_id: str, agent: SignedIn, console: On) -> dict[str, Any]:
    return _events(await console.desk.close_conversation(agent, conversation_id))


@router.websocket("/agent/ws")
async def live(socket: WebSocket, console: Annotated[Console, Depends(CONSOLE.get)]) -> None:
    """Every transcript event of conversations people are involved in, as it is stored.

    While the socket is open its agent counts as online (presence beats); the browser sends
    nothing but may send anything as a keep-alive. The session is checked again on every
    beat and as soon as any worker says this agent's sessions ended; once it has, the
    socket says so and closes with 4401.
    """
    sessions = console.sessions
    token = socket.cookies.get(COOKIE)
    signed_in = await sessions.check(token) if sessions is not None else None
    origin, host = socket.headers.get("origin"), socket.headers.get("host")
    await socket.accept()
    if signed_in is None or (origin is not None and origin.split("://", 1)[-1] != host):
        await _close_signed_out(socket, "not_signed_in")
        return
    assert sessions is not None
    agent = signed_in.agent
    receiver = asyncio.create_task(_until_closed(socket))
    try:
        await console.presence.beat(agent.id)
        topics = (console.agents_topic, console.sessions_topic)
        async with console.bus.subscribe(*topics) as subscription:
            await socket.send_json({"type": "ready", "agent": {"id": agent.id, "name": agent.name}})
            next_beat = time.monotonic() + console.beat_seconds
            while not receiver.done():
                message = await subscription.get(within=0.5)
                check = time.monotonic() >= next_beat
                if message is not None and message[0] == console.sessions_topic:
                    check = check or message[1].get("agent_id") == agent.id
                elif message is not None:
                    await socket.send_json(message[1])
                if check:
                    if await sessions.check(token) is None:
                        await _close_signed_out(socket, "session_ended")
                        return
                    await console.presence.beat(agent.id)
                    next_beat = time.monotonic() + console.beat_seconds
    except (WebSocketDisconnect, RuntimeError):
        pass  # the console went away mid-send
    except StoreUnavailable:
        with contextlib.suppress(Exception):  # Redis is away: the console reconnects later
            await socket.close(code=1011)
    finally:
        receiver.cancel()
        with contextlib.suppress(Exception):
            await console.presence.leave(agent.id)


async def _close_signed_out(socket: WebSocket, code: str) -> None:
    await socket.send_json({"type": "error", **error_body(socket, code)})
    await socket.close(code=4401)


async def _until_closed(socket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.receive_text()


class ConsoleHeaders:
    """Security headers on every HTTP answer under /agent (page, assets, API, refusals);
    other paths pass straight through, untouched."""

    HEADERS = (
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != "/agent" and not path.startswith("/agent/"):
            await self.app(scope, receive, send)
            return
        api = path.startswith("/agent/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if api:  # answers about sessions and customers are never kept
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                headers.extend(self.HEADERS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI) -> None:
    """Mount the console: its routes, static files and security headers."""
    app.include_router(router)
    app.mount("/agent/assets", StaticFiles(directory=STATIC), name="agent-assets")
    app.add_middleware(ConsoleHeaders)
