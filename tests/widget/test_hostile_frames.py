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
