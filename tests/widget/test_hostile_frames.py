"""Attacks on the widget's socket from the security review (issue 10), replayed on a real
Teller: each leaves the socket answering and taking turns."""

from __future__ import annotations

from tests.support.stack import Stack
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
