"""Handoff triggers and the status machine bot -> queued -> agent -> bot | closed, through REST."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Customer, text_of
from tests.handoff.conftest import AgentConsole, Workers, next_events, wait_until_nobody_online


def test_with_nobody_online_the_bot_takes_a_message_and_says_how_follow_up_works(
    customer: Customer, ana: AgentConsole, mongo: Any
) -> None:
    wait_until_nobody_online(ana)
    reply = customer.say("can I speak to a real person please")
    assert reply["state"]["status"] == "queued"
    assert "None of my colleagues are online right now" in text_of(reply)
    assert "8am to 8pm, Monday to Saturday" in text_of(reply)
    reply = customer.say("my card was declined in Paris twice today")
    assert reply["state"]["status"] == "queued"
    assert "by the end of the next working day" in text_of(reply)
    queued = [c for c in ana.queue()["conversations"] if c["status"] == "queued"]
    assert customer.conversation_id in [c["conversation_id"] for c in queued]
    transcript = ana.conversation(customer.conversation_id)["transcript"]
    said = [e["data"]["text"] for e in transcript if e["type"] == "user_message"]
    assert said[-1] == "my card was declined in Paris twice today"
    doc = mongo["conversations"].find_one({"_id": customer.conversation_id})
    assert doc["status"] == "queued" and doc["agent_id"] is None


def test_with_an_agent_online_the_customer_is_told_the_expected_wait(
    customer: Customer, ana: AgentConsole
) -> None:
    with ana.live() as socket:
        reply = customer.say("I want to talk to a human")
        assert reply["state"]["status"] == "queued"
        assert "usually within 5 minutes during opening hours" in text_of(reply)
        events = next_events(socket, customer.conversation_id)
        assert {"type": "handoff", "status": "queued"}.items() <= {
            "type": events[-2]["type"],
            **events[-2]["data"],
        }.items()


def test_the_customer_can_cancel_while_queued(customer: Customer) -> None:
    customer.say("can I speak to a real person please")
    reply = customer.say("cancel")
    assert reply["state"]["status"] == "bot"
    assert "£" in text_of(customer.say("what's my balance?"))


def test_a_claimed_conversation_keeps_the_bot_silent_and_the_agent_hears_everything(
    customer: Customer, ana: AgentConsole, mongo: Any
) -> None:
    customer.say("can I speak to a real person please")
    with ana.live() as socket:
        claimed = ana.post(customer.conversation_id, "claim")
        assert claimed.status_code == 200, claimed.text
        reply = customer.say("hello, is anyone there?")
        assert reply["messages"] == [] and reply["state"]["status"] == "agent"
        events = next_events(socket, customer.conversation_id)  # the claim
        while not any(e["type"] == "user_message" for e in events):
            events = next_events(socket, customer.conversation_id)
        assert events[0]["data"]["text"] == "hello, is anyone there?"
    doc = mongo["conversations"].find_one({"_id": customer.conversation_id})
    assert doc["status"] == "agent" and doc["agent_id"] == "ana"
    stored = mongo["events"].find_one(
        {"conversation_id": customer.conversation_id, "type": "user_message"},
        sort=[("seq", -1)],
    )
    assert stored["data"]["text"] == "hello, is anyone there?"


def test_hand_back_lets_the_bot_carry_on_with_the_context_it_had(
    customer: Customer, ana: AgentConsole
) -> None:
    reply = customer.say("what's my balance?")  # the bot knows who this is
    customer.say("I'd like to speak to a person")
    assert ana.post(customer.conversation_id, "claim").status_code == 200
    assert ana.post(
        customer.conversation_id, "reply", "Hi, Ana here. Sorted it for you."
    ).is_success
    handed = ana.post(customer.conversation_id, "handback")
    assert handed.status_code == 200
    assert handed.json()["events"][0]["data"]["status"] == "bot"
    reply = customer.say("thanks. what's my balance now?")
    assert reply["state"]["status"] == "bot"
    assert "£" in text_of(reply)
    assert ana.post(customer.conversation_id, "reply", "too late").status_code == 403


def test_close_ends_it_and_the_customer_coming_back_gets_the_bot(
    customer: Customer, ana: AgentConsole
) -> None:
    customer.say("I'd like to speak to a person")
    assert ana.post(customer.conversation_id, "claim").status_code == 200
    closed = ana.post(customer.conversation_id, "close")
    assert closed.status_code == 200
    conversation = ana.conversation(customer.conversation_id)
    assert conversation["status"] == "closed"
    assert customer.conversation_id not in [
        c["conversation_id"] for c in ana.queue()["conversations"]
    ]
    reply = customer.say("hi again")
    assert reply["state"]["status"] == "bot" and reply["messages"]


def test_two_failed_actions_in_a_row_offer_a_person(workers: Workers, customer: Customer) -> None:
    workers.stack.bank.stop()
    try:
        first = customer.say("what's my balance?")
        assert "/human_handoff" not in str(first["messages"])
        second = customer.say("what's my balance?")
        payloads = [b["payload"] for m in second["messages"] for b in m["buttons"]]
        assert "/human_handoff" in payloads
        assert "didn't work again" in text_of(second)
    finally:
        workers.stack.bank.start()
    queued = customer.press(second, "person")
    assert queued["state"]["status"] == "queued"


def test_a_claim_of_a_conversation_nobody_queued_is_refused(
    customer: Customer, ana: AgentConsole
) -> None:
    customer.say("hello")
    response = ana.post(customer.conversation_id, "claim")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_claimed"
    assert ana.post("no-such-conversation", "claim").status_code == 404
