"""Conversation behaviour a customer notices: digressions, corrections, fallback, handoff."""

from __future__ import annotations

import json

from websockets.sync.client import connect

from tests.e2e.conftest import Customer, text_of
from tests.support.stack import Stack


def test_a_balance_question_mid_transfer_is_answered_and_the_transfer_resumes(
    customer: Customer,
) -> None:
    reply = customer.say("send money to Alice Johnson")
    assert reply["state"]["awaiting"] == "amount"
    reply = customer.say("actually what's my balance first?")
    assert "£" in text_of(reply)
    reply = customer.press(reply, "yes")
    assert reply["state"] == {"flow": "transfer_money", "awaiting": "amount", "status": "bot"}
    reply = customer.say("30")
    assert "£30.00" in text_of(reply)
    customer.press(reply, "no")


def test_a_correction_updates_the_amount_before_confirming(customer: Customer) -> None:
    reply = customer.say("send 50 to Bob Martin")
    assert "£50.00" in text_of(reply)
    reply = customer.say("make it 60 instead")
    assert "£60.00" in text_of(reply) and "£50.00" not in text_of(reply)
    reply = customer.press(reply, "no")
    assert reply["state"]["flow"] is None


def test_cancel_stops_a_transfer_at_any_step(customer: Customer) -> None:
    customer.say("I want to make a transfer")
    reply = customer.say("cancel")
    assert reply["state"]["flow"] is None


def test_two_misunderstandings_lead_to_an_offer_of_a_person(customer: Customer) -> None:
    first = customer.say("flibber jabber wockity")
    assert first["nlu"]["intent"]["name"] == "nlu_fallback"
    assert first["messages"][0]["buttons"], "the first fallback offers likely intents"
    second = customer.say("zorp quux blarg")
    payloads = [b["payload"] for m in second["messages"] for b in m["buttons"]]
    assert "/human_handoff" in payloads
    queued = customer.press(second, "person")
    assert queued["state"]["status"] == "queued"


def test_asking_for_a_person_queues_the_conversation(customer: Customer) -> None:
    reply = customer.say("can I speak to a real person please")
    assert reply["state"]["status"] == "queued"


def test_the_websocket_channel_answers_like_rest(stack: Stack, customer: Customer) -> None:
    url = stack.teller.base_url.replace("http", "ws") + "/ws"
    with connect(url) as socket:
        socket.send(json.dumps({"type": "hello", "token": customer.token}))
        assert json.loads(socket.recv(timeout=10))["type"] == "ready"
        socket.send(json.dumps({"type": "message", "text": "what's my balance?"}))
        reply = json.loads(socket.recv(timeout=10))
        assert reply["type"] == "reply" and "£" in text_of(reply)
        socket.send("not json")
        assert json.loads(socket.recv(timeout=10))["type"] == "error"
        socket.send(json.dumps({"type": "message", "text": "thanks"}))
        assert json.loads(socket.recv(timeout=10))["conversation_id"] == reply["conversation_id"]


def test_a_bad_token_closes_the_websocket(stack: Stack) -> None:
    url = stack.teller.base_url.replace("http", "ws") + "/ws"
    with connect(url) as socket:
        socket.send(json.dumps({"type": "hello", "token": "forged"}))
        assert json.loads(socket.recv(timeout=10))["error"]["code"] == "invalid_token"
