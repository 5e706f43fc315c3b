"""Rich messages and the greeting on the widget's socket, without a browser: the ready frame
of a new conversation greets (signed in or not) when the client asks, nothing is stored for
it, and a turn's frames carry each message's attachment typed by its kind."""

from __future__ import annotations

import json
from typing import Any

from pymongo.collection import Collection
from websockets.sync.client import connect

from bot.config import PROJECT_ROOT
from bot.dialogue.domain import load_domain
from connectors.shapes import MessageShape
from tests.support.stack import Stack
from tests.widget.conftest import ws_url

DOMAIN = load_domain(PROJECT_ROOT / "bot" / "domain")


def hello(stack: Stack, frame: dict[str, Any], *then: dict[str, Any]) -> list[dict[str, Any]]:
    """Say hello (and send `then`), returning every frame up to the ready one and the replies."""
    got: list[dict[str, Any]] = []
    with connect(ws_url(stack)) as socket:
        socket.send(json.dumps({"type": "hello", **frame}))
        while (frame := json.loads(socket.recv(timeout=10)))["type"] != "ready":
            got.append(frame)
        got.append(frame)
        for message in then:
            socket.send(json.dumps(message))
            while (frame := json.loads(socket.recv(timeout=20)))["type"] != "reply":
                pass
            got.append(frame)
    return got


def expected(key: str) -> dict[str, Any]:
    message = DOMAIN.render(key, {}, 0)
    return {"text": message.text, "buttons": [b.to_dict() for b in message.buttons]}


def test_a_new_conversation_is_greeted_as_signed_in_or_not_and_nothing_is_stored(
    stack: Stack, token: str, events: Collection[dict[str, Any]]
) -> None:
    stored = events.count_documents({})
    [ready] = hello(stack, {"token": token, "greet": True})
    assert ready["conversation_id"] is None
    assert ready["greeting"] == expected("widget_greeting_signed_in")
    assert 3 <= len(ready["greeting"]["buttons"]) <= 4
    [anonymous] = hello(stack, {"greet": True})
    assert anonymous["greeting"] == expected("widget_greeting_signed_out")
    assert anonymous["greeting"] != ready["greeting"]
    assert events.count_documents({}) == stored
    [plain] = hello(stack, {"token": token})  # a client that does not ask is not greeted
    assert "greeting" not in plain


def test_a_chip_starts_the_conversation_and_a_resumed_one_is_not_greeted_again(
    stack: Stack, token: str
) -> None:
    [ready] = hello(stack, {"token": token, "greet": True})
    chip = ready["greeting"]["buttons"][0]
    _, reply = hello(
        stack,
        {"token": token, "greet": True},
        {
            "type": "message",
            "text": chip["title"],
            "payload": chip["payload"],
            "client_id": "chip-0001",
        },
    )
    assert reply["nlu"]["intent"]["name"] == "check_balance"
    [customer, answer] = [f for f in reply["frames"] if f["type"] == "message"]
    assert customer["text"] == chip["title"]
    assert answer["attachment"]["kind"] == "table"
    assert answer["attachment"]["caption"] == "Your balances"
    MessageShape.model_validate({k: answer[k] for k in ("text", "buttons", "attachment")})
    assert reply["messages"][0]["attachment"] == answer["attachment"]  # the REST part too
    frames = hello(
        stack,
        {"token": token, "greet": True, "conversation_id": reply["conversation_id"]},
    )
    ready_again = frames[-1]
    assert ready_again["conversation_id"] == reply["conversation_id"]
    assert "greeting" not in ready_again
    replayed = [f for f in frames if f["type"] == "message" and f["from"] == "bot"]
    assert replayed[-1]["attachment"] == answer["attachment"]  # a replay keeps its form
