"""The widget's WebSocket protocol without a browser: resume, replay, pushes, dedup, bad input."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.stack import Stack
from tests.widget.conftest import AgentSide, ws_url


class Tab:
    """One browser tab's socket, speaking the protocol as widget.js does."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.conversation_id: str | None = None
        self.last_seq = 0

    def send(self, frame: dict[str, Any]) -> None:
        self.socket.send(json.dumps(frame))

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.socket.recv(timeout=timeout))

    def until(self, kind: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Frames received before the first of type `kind`, and that frame."""
        before = []
        while (frame := self.recv())["type"] != kind:
            before.append(frame)
        return before, frame

    def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        self.send({"type": "message", "text": text, "client_id": client_id or _id()})
        _, reply = self.until("reply")
        self.conversation_id = reply["conversation_id"]
        self.last_seq = max([self.last_seq, *(f["seq"] for f in reply["frames"])])
        return reply


def _id() -> str:
    return uuid.uuid4().hex


@contextmanager
def tab(
    stack: Stack,
    token: str | None,
    conversation_id: str | None = None,
    last_seq: int = 0,
) -> Iterator[tuple[Tab, list[dict[str, Any]], dict[str, Any]]]:
    """A connected tab, the frames replayed on hello, and the ready frame."""
    with connect(ws_url(stack)) as socket:
        opened = Tab(socket)
        hello: dict[str, Any] = {"type": "hello", "token": token, "last_seq": last_seq}
        if conversation_id:
            hello["conversation_id"] = conversation_id
        opened.send(hello)
        replayed, ready = opened.until("ready")
        opened.conversation_id = ready["conversation_id"]
        opened.last_seq = ready["seq"]
        yield opened, replayed, ready


def texts(frames: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for f in frames if f["type"] == "message"]


def test_a_turn_reply_numbers_every_message_the_customer_sees(stack: Stack, token: str) -> None:
    with tab(stack, token) as (me, _, ready):
        assert ready == {"type": "ready", "conversation_id": None, "seq": 0}
        client_id = _id()
        reply = me.say("what's my balance?", client_id)
        frames = reply["frames"]
        assert [f["from"] for f in frames] == ["customer", "bot"]
        assert frames[0]["client_id"] == client_id and frames[0]["text"] == "what's my balance?"
        assert "£" in frames[1]["text"] and frames[1]["ts"] > 0
        seqs = [f["seq"] for f in frames]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert reply["client_id"] == client_id and "£" in reply["messages"][0]["text"]


def test_a_reconnect_replays_exactly_what_was_missed_in_order(
    stack: Stack, token: str, agent: AgentSide
) -> None:
    with tab(stack, token) as (first, _, _):
        first.say("what's my balance?")
        conversation, seen = first.conversation_id, first.last_seq
    # While the first tab is away, the customer asks for a person in another tab.
    with tab(stack, token, conversation, seen) as (other, replayed, _):
        assert replayed == []
        other.say("can I speak to a real person please")
    agent_frame = agent.say(conversation, "Hi, I'm Sam from the bank.")
    with tab(stack, token, conversation, seen) as (back, replayed, ready):
        kinds = [(f["type"], f.get("from") or f.get("status")) for f in replayed]
        assert kinds == [
            ("message", "customer"),
            ("status", "queued"),
            ("message", "bot"),
            ("message", "agent"),
        ]
        assert replayed[-1] == agent_frame
        seqs = [f["seq"] for f in replayed]
        assert seqs == sorted(set(seqs)) and seqs[0] > seen
        assert ready["seq"] == agent_frame["seq"]
        # Nothing shown twice: a push of the same event after the replay is not forwarded.
        agent.publish(conversation, agent_frame)
        back.send({"type": "ack", "seq": ready["seq"]})
        with pytest.raises(TimeoutError):
            back.recv(timeout=1.5)


def test_another_tab_sees_a_turn_live_through_the_bus(stack: Stack, token: str) -> None:
    with tab(stack, token) as (first, _, _):
        first.say("hello")
        with tab(stack, token, first.conversation_id, first.last_seq) as (second, _, _):
            reply = first.say("what's my balance?")
            pushed = [second.recv() for _ in reply["frames"]]
            assert pushed == reply["frames"]


def test_an_agent_message_pushed_live_fills_any_gap_from_the_store(
    stack: Stack, token: str, agent: AgentSide
) -> None:
    with tab(stack, token) as (me, _, _):
        me.say("what's my balance?")
        conversation = me.conversation_id
        assert conversation is not None
        # Two agent messages; only the second is published (the first publish was lost).
        missed = agent.say(conversation, "Let me look into that.", publish=False)
        # An event the customer never sees lies between them.
        agent.store(conversation, "slot_set", {"name": "note", "value": "x"})
        latest = agent.say(conversation, "All sorted.")
        assert [me.recv(), me.recv()] == [missed, latest]
        agent.publish(conversation, missed)  # a late duplicate is dropped
        with pytest.raises(TimeoutError):
            me.recv(timeout=1.5)


def test_a_resent_message_is_answered_once(stack: Stack, token: str, events: Any) -> None:
    client_id = _id()
    with tab(stack, token) as (me, _, _):
        me.say("what's my balance?", client_id)
        conversation, seen = me.conversation_id, me.last_seq
    # The customer's connection dropped before the reply arrived; the widget resends.
    with tab(stack, token, conversation, seen) as (again, _, _):
        again.send({"type": "message", "text": "what's my balance?", "client_id": client_id})
        assert again.recv() == {"type": "duplicate", "client_id": client_id}
    stored = list(events.find({"conversation_id": conversation, "type": "user_message"}))
    assert [e["data"]["channel_message_id"] for e in stored] == [client_id]


def test_someone_elses_conversation_is_not_resumed(stack: Stack, token: str) -> None:
    with tab(stack, token) as (mine, _, _):
        mine.say("what's my balance?")
        conversation = mine.conversation_id
    with connect(ws_url(stack)) as socket:
        stranger = Tab(socket)
        stranger.send({"type": "hello", "conversation_id": conversation, "last_seq": 0})
        assert stranger.recv()["error"]["code"] == "conversation_not_found"
        ready = stranger.recv()
        assert ready == {"type": "ready", "conversation_id": None, "seq": 0}
        reply = stranger.say("hello")
        assert reply["conversation_id"] != conversation


@pytest.mark.parametrize(
    "hello",
    [
        {"type": "hello", "last_seq": -1},
        {"type": "hello", "last_seq": "3"},
        {"type": "hello", "conversation_id": 42},
        {"type": "hello", "conversation_id": "c" * 65},
        {"type": "message", "text": "hi"},
    ],
)
def test_a_bad_hello_is_refused_and_closed(stack: Stack, hello: dict[str, Any]) -> None:
    with connect(ws_url(stack)) as socket:
        socket.send(json.dumps(hello))
        assert json.loads(socket.recv(timeout=10))["error"]["code"] == "bad_request"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message", "text": "hi", "client_id": "short"}, "bad_request"),
        ({"type": "message", "text": "hi", "client_id": "../../etc/passwd"}, "bad_request"),
        ({"type": "message", "text": "x" * 2001, "client_id": "a" * 32}, "message_too_long"),
        ({"type": "message", "text": "  ", "client_id": "b" * 32}, "empty_message"),
        ({"type": "ack", "seq": "7"}, "bad_request"),
        ({"type": "nonsense"}, "bad_request"),
    ],
)
def test_bad_frames_get_an_error_and_the_socket_stays_usable(
    stack: Stack, token: str, frame: dict[str, Any], code: str
) -> None:
    with tab(stack, token) as (me, _, _):
        me.send(frame)
        error = me.recv()
        assert error["type"] == "error" and error["error"]["code"] == code
        assert "retry" not in error
        if "client_id" in frame and code != "bad_request":
            assert error["client_id"] == frame["client_id"]
        assert "£" in me.say("what's my balance?")["messages"][0]["text"]


def test_a_ping_is_answered_even_while_a_turn_is_waiting(stack: Stack, token: str) -> None:
    with tab(stack, token) as (me, _, _):
        me.say("hello")
        # Another worker holds the conversation for a moment: the turn waits for it.
        lock = redis.Redis(host="127.0.0.1", port=6379)
        lock.set(f"teller:lock:{me.conversation_id}", "x", px=2000)
        me.send({"type": "message", "text": "what's my balance?", "client_id": _id()})
        me.send({"type": "ping"})
        assert me.recv() == {"type": "pong"}
        _, reply = me.until("reply")
        assert "£" in reply["messages"][0]["text"]


def test_a_socket_ends_when_its_token_expires_and_takes_no_turn_after(stack: Stack) -> None:
    """Issue 10, finding 6: the socket checked the token at hello only and went on taking
    turns, for hours, after the token had expired. At the token's expiry the server says so
    and closes with 4401; the widget then reconnects with a fresh token from its hook."""
    import time

    import jwt

    now = int(time.time())
    claims = {"sub": "cust-001", "aud": "teller", "iat": now, "exp": now + 3}
    short = jwt.encode(claims, stack.jwt_secret, algorithm="HS256")
    with tab(stack, short) as (me, _, _):
        me.say("what's my balance?")
        time.sleep(3.5)
        frame = me.recv(timeout=5)
        assert frame["type"] == "error" and frame["error"]["code"] == "expired_token"
        with pytest.raises(ConnectionClosed) as closed:  # no turn is taken on it any more
            me.send({"type": "message", "text": "send 25 to alice", "client_id": _id()})
            me.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
