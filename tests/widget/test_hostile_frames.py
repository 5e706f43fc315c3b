"""Attacks on the widget's socket from the security review (issue 10), replayed on a real
Teller: each leaves the socket answering and taking turns."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.stack import Stack
from tests.widget.conftest import ws_url
from tests.widget.test_resume_protocol import _id, tab

# A button payload whose entity is an object with a NUL in a key: BSON cannot store it.
UNSTORABLE_PAYLOAD = '/inform{"payee": {"a\\u0000b": 1}}'


def test_a_failed_turn_is_answered_and_the_socket_takes_the_next_turn(
    stack: Stack, token: str
) -> None:
    """Issue 10, finding 1: a payload that failed its turn killed the socket's turn worker,
    so pings were still answered but no message ever again."""
    with tab(stack, token) as (me, _, _):
        client_id = _id()
        me.send(
            {"type": "message", "text": "", "payload": UNSTORABLE_PAYLOAD, "client_id": client_id}
        )
        error = me.recv()
        assert error["type"] == "error" and error["client_id"] == client_id
        assert error["error"]["message"]
        assert "£" in me.say("what's my balance?")["messages"][0]["text"]


@pytest.mark.parametrize("token", ["   ", "\t", " \n "])
def test_a_blank_token_in_hello_is_refused_with_4401(stack: Stack, token: str) -> None:
    """Issue 10, finding 9: a whitespace-only token crashed the hello (the refusal was
    built with the wrong arguments) instead of closing with 4401."""
    with connect(ws_url(stack)) as socket:
        socket.send(json.dumps({"type": "hello", "token": token}))
        error = json.loads(socket.recv(timeout=10))
        assert error["type"] == "error" and error["error"]["code"] in {
            "invalid_token",
            "missing_token",
        }
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_a_16_kb_deeply_nested_payload_is_refused_and_the_socket_goes_on(
    stack: Stack, token: str
) -> None:
    """Issue 10, finding 8: a payload nested 2,000 deep (16 KB, inside the frame limit)
    raised RecursionError in the socket's turn worker, which died: no turn was answered
    again. The payload is over its own limit before anything parses it."""
    payload = "/inform" + '{"a": ' * 2000 + '"x"' + "}" * 2000
    with tab(stack, token) as (me, _, _):
        client_id = _id()
        me.send({"type": "message", "text": "", "payload": payload, "client_id": client_id})
        error = me.recv()
        assert error["error"]["code"] == "payload_too_long" and error["client_id"] == client_id
        assert "£" in me.say("what's my balance?")["messages"][0]["text"]


@pytest.mark.parametrize(
    "raw",
    ["[" * 8000 + "]" * 8000, '{"type": "ping", "n": ' + "1" * 5000 + "}"],
    ids=["nested-8000-deep", "5000-digit-int"],
)
def test_a_frame_json_cannot_read_safely_is_a_bad_frame(stack: Stack, token: str, raw: str) -> None:
    """Issue 10, finding 8: RecursionError and ValueError escaped the frame reader, which
    only expected JSONDecodeError, and the socket was dropped."""
    with tab(stack, token) as (me, _, _):
        me.socket.send(raw)
        assert me.recv()["error"]["code"] == "bad_request"
        assert "£" in me.say("what's my balance?")["messages"][0]["text"]


def test_a_frame_over_the_limit_closes_the_socket_unread(stack: Stack, token: str) -> None:
    """Issue 10, finding 8: frames of up to uvicorn's 16 MiB were read whole before the
    application's size check; the server's WebSocket limit refuses them as they arrive."""
    with tab(stack, token) as (me, _, _):
        me.socket.send(json.dumps({"type": "message", "text": "x" * 100_000}))
        with pytest.raises(ConnectionClosed) as closed:
            me.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_a_last_seq_beyond_any_count_is_a_bad_hello(stack: Stack, token: str) -> None:
    """A last_seq over 8 bytes was accepted; reading the replay after it failed in BSON and
    the socket silently stopped following its conversation."""
    with tab(stack, token) as (me, _, _):
        me.say("hello")
        conversation = me.conversation_id
    with connect(ws_url(stack)) as socket:
        hello = {"type": "hello", "token": token, "conversation_id": conversation}
        socket.send(json.dumps({**hello, "last_seq": 2**63}))
        assert json.loads(socket.recv(timeout=10))["error"]["code"] == "bad_request"
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
