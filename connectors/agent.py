"""The agent console: `/agent` (the page), `/agent/api/*` (JSON) and `/agent/ws` (live feed).

Agents sign in with name and password; the session is a signed, expiring token in an
HttpOnly, SameSite=Strict cookie (Secure outside dev mode), which the browser also sends
on the WebSocket handshake. Every endpoint checks the session; the desk checks that only
the agent holding a conversation replies to it, hands it back or closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from bot.events import Event
from bot.handoff.agents import Agent
from bot.handoff.desk import DeskError
from bot.handoff.feed import transcript_entry
from bot.handoff.sessions import COOKIE, Sessions
from bot.handoff.wiring import Handoff
from bot.store.ports import StoreUnavailable
from connectors.errors import ApiError, error_response

STATIC = Path(__file__).resolve().parent / "static" / "agent"
router = APIRouter()
SessionCookie = Annotated[str | None, Cookie(alias=COOKIE)]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=4000)


def _handoff(request: Request | WebSocket) -> Handoff:
    return request.app.state.services.handoff


def _sessions(request: Request | WebSocket) -> Sessions:
    sessions = _handoff(request).sessions
    if sessions is None:
        raise ApiError(404, "console_off", "The agent console is not enabled.")
    return sessions


def _agent(request: Request, token: str | None) -> Agent:
    agent = _sessions(request).verify(token)
    if agent is None:
        raise ApiError(401, "not_signed_in", "Sign in to the agent console.")
    return agent


def _events(recorded: list[Event]) -> dict[str, Any]:
    return {"events": [transcript_entry(e) for e in recorded]}


@router.get("/agent", include_in_schema=False)
async def console_page(request: Request) -> FileResponse:
    _sessions(request)
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.post("/agent/api/session")
async def sign_in(body: SignIn, request: Request) -> Response:
    handoff, sessions = _handoff(request), _sessions(request)
    agent = await handoff.agents.sign_in(body.name.strip().lower(), body.password)
    if agent is None:
        return error_response(401, "bad_credentials", "That name and password don't match.")
    response = JSONResponse({"agent": {"id": agent.id, "name": agent.name}})
    response.set_cookie(
        COOKIE,
        sessions.issue(agent),
        max_age=int(sessions.ttl_seconds),
        httponly=True,
        samesite="strict",
        secure=handoff.secure_cookie,
        path="/agent",
    )
    return response


@router.delete("/agent/api/session")
async def sign_out() -> Response:
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(COOKIE, path="/agent", httponly=True, samesite="strict")
    return response


@router.get("/agent/api/me")
async def me(request: Request, session: SessionCookie = None) -> dict[str, Any]:
    agent = _agent(request, session)
    return {"agent": {"id": agent.id, "name": agent.name}}


@router.get("/agent/api/queue")
async def queue(request: Request, session: SessionCookie = None) -> dict[str, Any]:
    _agent(request, session)
    handoff = _handoff(request)
    items = await handoff.desk.queue()
    return {
        "conversations": [item.to_dict() for item in items],
        "agents_online": await handoff.presence.online(),
    }


@router.get("/agent/api/canned")
async def canned(request: Request, session: SessionCookie = None) -> dict[str, Any]:
    _agent(request, session)
    return {"canned": _handoff(request).desk.canned}


@router.get("/agent/api/conversations/{conversation_id}")
async def conversation(
    conversation_id: str, request: Request, session: SessionCookie = None
) -> dict[str, Any]:
    _agent(request, session)
    return await _handoff(request).desk.conversation(conversation_id)


@router.post("/agent/api/conversations/{conversation_id}/claim")
async def claim(
    conversation_id: str, request: Request, session: SessionCookie = None
) -> dict[str, Any]:
    agent = _agent(request, session)
    return _events(await _handoff(request).desk.claim(agent, conversation_id))


@router.post("/agent/api/conversations/{conversation_id}/reply")
async def reply(
    conversation_id: str, body: Text, request: Request, session: SessionCookie = None
) -> dict[str, Any]:
    agent = _agent(request, session)
    return _events(await _handoff(request).desk.reply(agent, conversation_id, body.text))


@router.post("/agent/api/conversations/{conversation_id}/note")
async def note(
    conversation_id: str, body: Text, request: Request, session: SessionCookie = None
) -> dict[str, Any]:
    agent = _agent(request, session)
    return _events(await _handoff(request).desk.note(agent, conversation_id, body.text))


@router.post("/agent/api/conversations/{conversation_id}/handback")
async def hand_back(
    conversation_id: str, request: Request, session: SessionCookie = None
) -> dict[str, Any]:
    agent = _agent(request, session)
    return _events(await _handoff(request).desk.hand_back(agent, conversation_id))


@router.post("/agent/api/conversations/{conversation_id}/close")
async def close(
    conversation_id: str, request: Request, session: SessionCookie = None
) -> dict[str, Any]:
    agent = _agent(request, session)
    return _events(await _handoff(request).desk.close_conversation(agent, conversation_id))


@router.websocket("/agent/ws")
async def live(socket: WebSocket) -> None:
    """Every transcript event of conversations people are involved in, as it is stored.

    While the socket is open its agent counts as online (presence beats); the browser sends
    nothing but may send anything as a keep-alive.
    """
    handoff = _handoff(socket)
    sessions = handoff.sessions
    agent = sessions.verify(socket.cookies.get(COOKIE)) if sessions is not None else None
    origin, host = socket.headers.get("origin"), socket.headers.get("host")
    await socket.accept()
    if agent is None or (origin is not None and origin.split("://", 1)[-1] != host):
        await socket.send_json({"type": "error", "error": {"code": "not_signed_in"}})
        await socket.close(code=4401)
        return
    receiver = asyncio.create_task(_until_closed(socket))
    try:
        await handoff.presence.beat(agent.id)
        async with handoff.bus.subscribe(handoff.agents_topic) as subscription:
            await socket.send_json({"type": "ready", "agent": {"id": agent.id, "name": agent.name}})
            next_beat = time.monotonic() + handoff.beat_seconds
            while not receiver.done():
                message = await subscription.get(within=0.5)
                if message is not None:
                    await socket.send_json(message[1])
                if time.monotonic() >= next_beat:
                    await handoff.presence.beat(agent.id)
                    next_beat = time.monotonic() + handoff.beat_seconds
    except (WebSocketDisconnect, RuntimeError):
        pass  # the console went away mid-send
    except StoreUnavailable:
        with contextlib.suppress(Exception):  # Redis is away: the console reconnects later
            await socket.close(code=1011)
    finally:
        receiver.cancel()
        with contextlib.suppress(Exception):
            await handoff.presence.leave(agent.id)


async def _until_closed(socket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            await socket.receive_text()


def install(app: FastAPI) -> None:
    """Mount the console: routes, its static files, and the desk's error shape."""

    async def desk_error(_: Request, exc: DeskError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    app.include_router(router)
    app.mount("/agent/assets", StaticFiles(directory=STATIC), name="agent-assets")
    app.add_exception_handler(DeskError, desk_error)
