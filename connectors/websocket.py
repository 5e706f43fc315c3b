"""WebSocket chat at `/ws` for the widget: every message once, in order, across reconnects.

Client to server:
- `{"type": "hello", "token"?, "conversation_id"?, "last_seq"?, "greet"?}` first, so the
  token never travels in a URL; with a conversation id the server replays every event after
  `last_seq` the customer may see, then says `{"type": "ready", "conversation_id", "seq"}`.
  With `"greet": true` and no conversation yet, `ready` also carries `greeting: {"text",
  "buttons"}`: the opening line (signed in or not) and suggestion chips, from the domain,
  stored nowhere (a chip is sent back as the customer's first message).
- `{"type": "message", "text", "payload"?, "client_id"?}`: one turn. A `client_id` seen
  before (a resend after an ambiguous disconnect) is answered `{"type": "duplicate"}` and
  not processed again.
- `{"type": "location", "latitude", "longitude", "client_id"?}`: the customer shared where
  they are (the widget's "Share my location", after the browser asked them): one turn, as
  the message `bot.messages.shared_location` makes of it. Coordinates must be finite
  numbers (else `bad_request`); whether they are a place on Earth the dialogue says.
- `{"type": "ack", "seq"}`: the client has shown everything up to `seq`.
- `{"type": "ping"}`, answered `{"type": "pong"}`: how a client notices a dead connection.

Server to client: numbered transcript frames (`connectors.frames.customer_frame`; a bot
message's rich form in `attachment`, tagged by `kind`: see `connectors/shapes.py`), from the
replay, from other tabs and agents through the bus topic `conv:{id}`, or inside the turn's
`{"type": "reply", ...REST reply..., "client_id", "frames"}`. Errors are
`{"type": "error", "error": {"code", "message"}, "client_id"?, "retry"?}`; `retry: true`
means the message was not taken and may be sent again under a new client id. A turn that
fails for any other reason is answered `turn_failed` and the socket goes on taking turns.
Only a bad hello closes the socket (4400, or 4401 for a bad token), and the server itself
closes it on a frame over `server.max_frame_bytes` (1009), refused as it arrives, and at
the expiry of the token it said hello with (an `expired_token` error, then 4401: the
widget reconnects with a fresh token from its hook and resumes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from bot.auth.identity import Identity
from bot.auth.tokens import TokenError, TokenVerifier
from bot.config import Settings
from bot.conversations import customer_topic
from bot.events import Event
from bot.handlers import declared
from bot.messages import InboundMessage, shared_location
from bot.ports import (
    Bus,
    ConversationNotFound,
    EventStore,
    LiveChats,
    LockTimeout,
    OnceGuard,
    SeqConflict,
    StoreUnavailable,
)
from bot.turn import TurnEngine, TurnOutcome
from connectors.chat import check_text, identify, is_unicode, outcome_json
from connectors.deps import DOMAIN, BusDep, Engine, Live, Once, SettingsDep, Store, Tokens
from connectors.errors import REFUSED_INPUT, ApiError, refused_input, wording
from connectors.files import customer_frames
from connectors.frames import customer_frame, pushed_events

log = logging.getLogger(__name__)
router = APIRouter()
MAX_SEQ = 2**63 - 1  # seqs are 8-byte ints in the store
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
CLIENT_ID_TTL_SECONDS = 86_400
SERVER_ERROR = 1011  # close code: the client reconnects and resumes
MAX_QUEUED_TURNS = 20
LIVE_BEAT_SECONDS = 20.0  # an open widget says so this often (it is forgotten after 60 s)
# The widget's opening, in the ready frame of a socket with no conversation yet.
SAYS = declared(
    {
        "widget_greeting_signed_in": [],
        "widget_greeting_signed_out": [],
        "error_bad_location": [],
    }
)


@dataclass(frozen=True, slots=True)
class Hello:
    identity: Identity
    conversation_id: str | None
    last_seq: int
    greet: bool = False  # the client shows a greeting: send it in `ready` if there is none yet


@dataclass(frozen=True, slots=True)
class Socket:
    """One customer's socket and what its turns need from the engine."""

    socket: WebSocket
    engine: TurnEngine
    tokens: TokenVerifier
    settings: Settings
    store: EventStore
    bus: Bus
    once: OnceGuard
    live: LiveChats | None = None  # where an alert finds the customer's open widget

    def error(self, code: str, key: str | None = None, **extra: Any) -> dict[str, Any]:
        """An error frame; its message is the domain's wording of `key` (`error_<code>`)."""
        variables = extra.pop("variables", {})
        message = wording(self.socket, key or f"error_{code}", variables)
        return {"type": "error", "error": {"code": code, "message": message}, **extra}


class Outlet:
    """One socket's side of a conversation: sends each visible event once, in seq order.

    `sent_seq` is how far the client's transcript is complete. A batch that starts beyond
    it (an agent message published while this socket was busy, or a turn taken in another
    tab) first fills the gap from the event store, so nothing is skipped or reordered.

    While this socket's own turn runs, pushes are held: the write publishes the turn's
    events before the turn returns, and they belong in the reply, which comes first.
    """

    def __init__(
        self,
        socket: WebSocket,
        store: EventStore,
        sent_seq: int,
        frame: Callable[[Event], dict[str, Any] | None] = customer_frame,
    ) -> None:
        self._socket = socket
        self._frame = frame  # an event as this socket's customer sees it
        self._store = store
        self.sent_seq = sent_seq
        self._sending = asyncio.Lock()
        self._held: list[tuple[str, Sequence[Event]]] | None = None

    def hold(self) -> None:
        """Keep pushes back until `release`: a turn of this socket is running."""
        self._held = []

    async def release(self) -> None:
        """Send what was held back, beyond what the reply already carried."""
        held, self._held = self._held or [], None
        for conversation_id, events in held:
            await self.pushed(conversation_id, events)

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._sending:
            await self._socket.send_json(frame)

    async def catch_up(self, conversation_id: str) -> None:
        async with self._sending:
            await self._fill(conversation_id, None)

    async def pushed(self, conversation_id: str, events: Sequence[Event]) -> None:
        """Events from the bus: each sent unless already sent; a gap before one is filled
        from the store first."""
        async with self._sending:
            if self._held is not None:
                self._held.append((conversation_id, events))
                return
            for event in events:
                if event.seq <= self.sent_seq:
                    continue
                if event.seq > self.sent_seq + 1:
                    await self._fill(conversation_id, event.seq)
                if event.seq > self.sent_seq:
                    frame = self._frame(event)
                    if frame is not None:
                        await self._socket.send_json(frame)
                    self.sent_seq = event.seq

    async def turn(self, reply: dict[str, Any], events: Sequence[Event]) -> None:
        """The turn's reply frame, carrying the frames of its events not yet sent."""
        async with self._sending:
            if events and events[0].seq > self.sent_seq + 1:
                await self._fill(reply["conversation_id"], events[0].seq - 1)
            fresh = [e for e in events if e.seq > self.sent_seq]
            reply["frames"] = [f for f in map(self._frame, fresh) if f is not None]
            await self._socket.send_json(reply)
            if fresh:
                self.sent_seq = fresh[-1].seq

    async def _fill(self, conversation_id: str, through: int | None) -> None:
        """Send what the store holds after `sent_seq` (up to `through`, if given)."""
        for event in await self._store.events(conversation_id, self.sent_seq):
            if through is not None and event.seq > through:
                break
            frame = self._frame(event)
            if frame is not None:
                await self._socket.send_json(frame)
            self.sent_seq = event.seq


class ChatSession:
    """The turns of one socket, and the pushes it follows once its conversation is known.

    Two kinds of task serve a socket: one worker takes the turns in order (so pings and acks
    are read while a turn runs), and once the conversation is known a follower holds its
    bus subscription and forwards pushes. `close()` ends both.
    """

    def __init__(self, wired: Socket, hello: Hello) -> None:
        self._wired = wired
        self._socket = wired.socket
        self._identity = hello.identity
        self.conversation_id = hello.conversation_id
        self.outlet = Outlet(
            wired.socket, wired.store, hello.last_seq, customer_frames(wired.socket, hello.identity)
        )
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._worker = asyncio.create_task(self._take_turns())
        self._follower: asyncio.Task[None] | None = None

    async def close(self) -> None:
        """A turn under way finishes; queued ones are dropped (never taken: the client
        sends them again); then the subscription goes."""
        while not self._inbox.empty():
            self._inbox.get_nowait()
        self._inbox.put_nowait(None)
        with suppress(Exception):
            await self._worker
        if self._follower is not None:
            self._follower.cancel()
            with suppress(asyncio.CancelledError):
                await self._follower

    async def enqueue(self, frame: dict[str, Any]) -> None:
        if self._inbox.qsize() >= MAX_QUEUED_TURNS:
            client_id = frame.get("client_id")
            await self.outlet.send(self._wired.error("busy", client_id=client_id, retry=True))
            return
        self._inbox.put_nowait(frame)

    async def _take_turns(self) -> None:
        """Take turns until closed. A turn's own failure is answered in `message`; only the
        client leaving (or the store, for the push feed) stops the worker: anything else is
        logged and the next turn taken, so one bad message cannot silence the socket."""
        while (frame := await self._inbox.get()) is not None:
            try:
                await self.message(frame)
            except StoreUnavailable:
                with suppress(Exception):
                    await self._socket.close(code=SERVER_ERROR)
                return
            except Exception as exc:
                if _client_left(self._socket, exc):
                    return  # what it sent next it will send again
                log.exception("answering a turn on /ws failed")

    async def follow(self) -> None:
        """Start forwarding pushes; returns once the store's backlog has been sent."""
        assert self.conversation_id is not None and self._follower is None
        caught_up = asyncio.get_running_loop().create_future()
        self._follower = asyncio.create_task(self._forward(self.conversation_id, caught_up))
        await caught_up

    async def _forward(self, conversation_id: str, caught_up: asyncio.Future[None]) -> None:
        """Subscribe, then send what the store has beyond `sent_seq` (in that order, so
        nothing published in between is missed), then forward pushes until cancelled."""
        try:
            async with self._wired.bus.subscribe(customer_topic(conversation_id)) as feed:
                await self.outlet.catch_up(conversation_id)
                caught_up.set_result(None)
                await self._beat(conversation_id)
                while True:
                    message = await feed.get(within=LIVE_BEAT_SECONDS)
                    if message is not None:
                        await self.outlet.pushed(conversation_id, pushed_events(message[1]))
                    await self._beat(conversation_id)
        except StoreUnavailable:
            log.warning("lost the push feed of %s; closing so the client resumes", conversation_id)
            with suppress(Exception):
                await self._socket.close(code=SERVER_ERROR)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client left; the read loop ends too
        finally:
            if not caught_up.done():
                caught_up.set_result(None)
            customer_id = self._identity.customer_id
            if self._wired.live is not None and customer_id:
                with suppress(Exception):
                    await self._wired.live.leave(customer_id, conversation_id)

    async def _beat(self, conversation_id: str) -> None:
        """A signed-in customer's open widget can be reached by an alert while it is open."""
        customer_id = self._identity.customer_id
        if self._wired.live is not None and customer_id:
            try:
                await self._wired.live.beat(customer_id, conversation_id)
            except StoreUnavailable:
                log.warning("could not record the open widget of %s", conversation_id)

    async def message(self, frame: dict[str, Any]) -> None:
        wired = self._wired
        fields = _message_fields(frame)
        if isinstance(fields, str):
            await self.outlet.send(wired.error("bad_request", fields))
            return
        text, payload, client_id = fields
        tag = {"client_id": client_id}
        try:
            outcome = await self._turn(text, payload, client_id)
        except ApiError as exc:
            await self._answer(wired.error(exc.code, exc.key, variables=exc.variables, **tag))
            return
        except ConversationNotFound:
            await self._answer(wired.error("conversation_not_found", **tag))
            return
        except tuple(REFUSED_INPUT) as exc:
            await self._answer(wired.error(refused_input(exc), **tag))
            return
        except (StoreUnavailable, LockTimeout, SeqConflict):
            await self._answer(wired.error("unavailable", retry=True, **tag))
            return
        except Exception:  # a bug or an input nobody foresaw: this turn fails, not the socket
            log.exception("a turn on /ws failed")
            await self._answer(wired.error("turn_failed", **tag))
            return
        if outcome is None:
            await self.outlet.send({"type": "duplicate", **tag})
            return
        try:  # other tabs and workers get the turn from the bus: the write published it
            await self.outlet.turn(
                {"type": "reply", **outcome_json(outcome), **tag}, outcome.events
            )
        finally:
            await self.outlet.release()
        if self.conversation_id is None:
            self.conversation_id = outcome.conversation_id
            await self.follow()

    async def _turn(
        self, text: str, payload: str | None, client_id: str | None
    ) -> TurnOutcome | None:
        """Run the turn (holding pushes back while it runs); None if `client_id` was taken."""
        wired = self._wired
        check_text(text, payload, wired.settings.server)
        if client_id is not None and not await wired.once.first_time(
            f"web:{self._identity.customer_id}:{client_id}", CLIENT_ID_TTL_SECONDS
        ):
            return None
        self.outlet.hold()
        return await wired.engine.handle(
            self._identity,
            InboundMessage(
                "web",
                text,
                payload,
                conversation_id=self.conversation_id,
                channel_message_id=client_id,
            ),
        )

    async def _answer(self, frame: dict[str, Any]) -> None:
        """A turn that was refused: say why, then let held pushes through."""
        try:
            await self.outlet.send(frame)
        finally:
            await self.outlet.release()


def _client_left(socket: WebSocket, exc: Exception) -> bool:
    """Whether `exc` only says the client has gone (a send on a closed socket)."""
    if isinstance(exc, WebSocketDisconnect):
        return True
    closed = WebSocketState.DISCONNECTED
    return isinstance(exc, RuntimeError) and closed in (
        socket.client_state,
        socket.application_state,
    )


def _message_fields(frame: dict[str, Any]) -> tuple[str, str | None, str | None] | str:
    """(text, payload, client_id) of a message frame, or the error key saying what is wrong."""
    text, payload, client_id = frame.get("text") or "", frame.get("payload"), frame.get("client_id")
    if frame.get("type") == "location":
        latitude, longitude = frame.get("latitude"), frame.get("longitude")
        if not all(isinstance(c, int | float) for c in (latitude, longitude)):
            return "error_bad_location"
        try:
            text, payload = shared_location(latitude, longitude)
        except ValueError:
            return "error_bad_location"
    if not isinstance(text, str) or not (payload is None or isinstance(payload, str)):
        return "error_bad_message"
    if client_id is not None and not (
        isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)
    ):
        return "error_bad_client_id"
    return text, payload, client_id


async def _hello(wired: Socket) -> Hello | None:
    """Check the first frame; on a bad one, say why and close."""
    socket = wired.socket
    frame = await _read_frame(socket, wired.settings.server.max_frame_bytes)
    last_seq = frame.get("last_seq", 0) if frame else 0
    conversation_id = frame.get("conversation_id") if frame else None
    if (
        frame is None
        or frame.get("type") != "hello"
        or not (isinstance(last_seq, int) and 0 <= last_seq <= MAX_SEQ)
        or not (
            conversation_id is None
            or (
                isinstance(conversation_id, str)
                and 0 < len(conversation_id) <= 64
                and is_unicode(conversation_id)
            )
        )
    ):
        await socket.send_json(wired.error("bad_request", "error_bad_hello"))
        await socket.close(code=4400)
        return None
    token = frame.get("token")
    greet = frame.get("greet") is True
    try:
        if not (token is None or isinstance(token, str)):
            raise TokenError("invalid_token", "the token is not a string")
        identity = identify(wired.tokens, f"Bearer {token}" if token else None)
    except TokenError as exc:
        await socket.send_json(wired.error(exc.code, "error_sign_in_again"))
        await socket.close(code=4401)
        return None
    if conversation_id is not None:
        record = await wired.store.get_conversation(conversation_id)
        if record is None or record.customer_id != identity.customer_id:
            # Unknown or someone else's (indistinguishable): the client starts afresh.
            await socket.send_json(wired.error("conversation_not_found"))
            return Hello(identity, None, 0, greet)
    return Hello(identity, conversation_id, last_seq if conversation_id else 0, greet)


async def _read_frame(socket: WebSocket, max_chars: int) -> dict[str, Any] | None:
    """The next frame as a JSON object; None for anything else (not JSON, too long, nested
    deeper than the parser recurses, a number of too many digits). The server refuses
    frames of more than `server.max_frame_bytes` before they get here (close 1009)."""
    raw = await socket.receive_text()
    if len(raw) > max_chars:
        return None
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return frame if isinstance(frame, dict) else None


def greeting(socket: WebSocket, identity: Identity) -> dict[str, Any]:
    """What the widget opens with before the customer writes: a hello that knows whether
    they are signed in, and suggestion chips. Not an event: nothing is stored until the
    customer writes (a chip is sent as their message, its payload for the dialogue)."""
    key = "widget_greeting_signed_in" if identity.customer_id else "widget_greeting_signed_out"
    message = DOMAIN.of(socket).render(key, {}, 0)
    return {"text": message.text, "buttons": [b.to_dict() for b in message.buttons]}


def _until_expiry(identity: Identity) -> float | None:
    """Seconds the socket may live on the token it said hello with (None: anonymous)."""
    return None if identity.expires_at is None else max(0.0, identity.expires_at - time.time())


async def _read_frames(wired: Socket, session: ChatSession) -> None:
    """The socket's reading loop: turns queue, pings are answered at once."""
    while True:
        frame = await _read_frame(wired.socket, wired.settings.server.max_frame_bytes) or {}
        if frame.get("type") in ("message", "location"):
            await session.enqueue(frame)
        elif frame.get("type") == "ping":
            await session.outlet.send({"type": "pong"})
        elif frame.get("type") == "ack" and isinstance(frame.get("seq"), int):
            continue  # what to replay comes with the next hello; an ack needs no answer
        else:
            await session.outlet.send(wired.error("bad_request", "error_bad_frame"))


@router.websocket("/ws")
async def chat_socket(
    socket: WebSocket,
    engine: Engine,
    tokens: Tokens,
    settings: SettingsDep,
    store: Store,
    bus: BusDep,
    once: Once,
    live: Live,
) -> None:
    wired = Socket(socket, engine, tokens, settings, store, bus, once, live)
    await socket.accept()
    try:
        hello = await _hello(wired)
        if hello is None:
            return
        session = ChatSession(wired, hello)
        try:
            if session.conversation_id is not None:
                await session.follow()
            ready: dict[str, Any] = {
                "type": "ready",
                "conversation_id": session.conversation_id,
                "seq": session.outlet.sent_seq,
            }
            if hello.greet and session.conversation_id is None:
                ready["greeting"] = greeting(socket, hello.identity)
            await session.outlet.send(ready)
            try:
                async with asyncio.timeout(_until_expiry(hello.identity)):
                    await _read_frames(wired, session)
            except TimeoutError:  # the token has expired: the widget reconnects with a new one
                await session.outlet.send(wired.error("expired_token", "error_sign_in_again"))
                await socket.close(code=4401)
        finally:
            await session.close()
    except WebSocketDisconnect:
        return
    except StoreUnavailable:
        with suppress(Exception):
            await socket.close(code=SERVER_ERROR)
