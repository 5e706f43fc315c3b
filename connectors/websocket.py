"""WebSocket chat at `/ws` for the widget and the demo page.

The first frame authenticates (`{"type": "hello", "token"?, "conversation_id"?}`) so the token
never travels in a URL; then every `{"type": "message", "text", "payload"?}` frame gets one
`{"type": "reply", ...}` frame in the REST reply shape. Errors arrive as
`{"type": "error", "error": {"code", "message"}}` and do not close the socket, except a bad
token (close code 4401).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.auth.identity import Identity
from bot.auth.tokens import TokenError
from bot.conversations import ConversationNotFound
from bot.messages import InboundMessage
from bot.services import Services
from bot.store.ports import LockTimeout, StoreUnavailable
from connectors.chat import check_text, identify, outcome_json
from connectors.errors import ApiError

router = APIRouter()
MAX_FRAME_BYTES = 16_384


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"code": code, "message": message}}


async def _hello(socket: WebSocket, services: Services) -> tuple[Identity, str | None] | None:
    frame = await _read_frame(socket)
    if frame is None or frame.get("type") != "hello":
        await socket.send_json(_error("bad_request", 'Start with {"type": "hello"}.'))
        await socket.close(code=4400)
        return None
    token = frame.get("token")
    try:
        identity = identify(services.tokens, f"Bearer {token}" if token else None)
    except TokenError as exc:
        await socket.send_json(_error(exc.code, "Sign in again: the access token is not valid."))
        await socket.close(code=4401)
        return None
    conversation_id = frame.get("conversation_id")
    return identity, conversation_id if isinstance(conversation_id, str) else None


async def _read_frame(socket: WebSocket) -> dict[str, Any] | None:
    raw = await socket.receive_text()
    if len(raw) > MAX_FRAME_BYTES:
        return None
    try:
        frame = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return frame if isinstance(frame, dict) else None


@router.websocket("/ws")
async def chat_socket(socket: WebSocket) -> None:
    services: Services = socket.app.state.services
    await socket.accept()
    try:
        hello = await _hello(socket, services)
        if hello is None:
            return
        identity, conversation_id = hello
        await socket.send_json({"type": "ready", "conversation_id": conversation_id})
        while True:
            frame = await _read_frame(socket)
            if frame is None or frame.get("type") != "message":
                await socket.send_json(_error("bad_request", "Frames must be JSON messages."))
                continue
            text, payload = frame.get("text") or "", frame.get("payload")
            if not isinstance(text, str) or not (payload is None or isinstance(payload, str)):
                await socket.send_json(_error("bad_request", "text and payload must be strings."))
                continue
            try:
                check_text(text, payload, services.settings.server.max_message_chars)
                outcome = await services.engine.handle(
                    identity,
                    InboundMessage("web", text, payload, conversation_id=conversation_id),
                )
            except ApiError as exc:
                await socket.send_json(_error(exc.code, exc.message))
                continue
            except ConversationNotFound:
                await socket.send_json(_error("conversation_not_found", "No such conversation."))
                continue
            except (StoreUnavailable, LockTimeout):
                await socket.send_json(
                    _error("unavailable", "We couldn't take that message. Please send it again.")
                )
                continue
            conversation_id = outcome.conversation_id
            await socket.send_json({"type": "reply", **outcome_json(outcome)})
    except WebSocketDisconnect:
        return
