"""Two Teller processes on one MongoDB and Redis: a customer on one, an agent on the other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.e2e.conftest import Customer, text_of
from tests.handoff.conftest import AgentConsole, Workers, next_events


def test_customer_on_one_worker_and_agent_on_the_other_talk_in_real_time(
    customer: Customer, ana: AgentConsole, workers: Workers
) -> None:
    assert customer.http.base_url != ana.http.base_url
    customer.say("can I speak to a real person please")
    cid = customer.conversation_id
    with ana.live() as socket:
        assert ana.post(cid, "claim").status_code == 200
        next_events(socket, cid)  # the claim and the "Ana has joined" notice
        for n in range(5):
            customer.say(f"message {n}")
            [event] = next_events(socket, cid, timeout=5)
            assert (event["type"], event["data"]["text"]) == ("user_message", f"message {n}")


def test_turns_and_agent_replies_racing_on_two_workers_never_interleave(
    customer: Customer, ana: AgentConsole, mongo: Any
) -> None:
    customer.say("can I speak to a real person please")
    cid = customer.conversation_id
    assert ana.post(cid, "claim").status_code == 200

    def customer_side() -> None:
        for n in range(8):
            customer.say(f"customer {n}")

    def agent_side() -> None:
        for n in range(8):
            assert ana.post(cid, "reply", f"agent {n}").status_code == 200

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(customer_side), pool.submit(agent_side)]:
            done.result()
    events = list(mongo["events"].find({"conversation_id": cid}).sort("seq", 1))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    texts = [e["data"].get("text") for e in events]
    for n in range(8):
        assert f"customer {n}" in texts and f"agent {n}" in texts
    # Worker A cached this conversation at the customer's first turn; worker B changed it
    # since. After the hand back on B, A must see status "bot" and answer again.
    assert ana.post(cid, "handback").status_code == 200
    reply = customer.say("what's my balance?")
    assert reply["state"]["status"] == "bot" and "£" in text_of(reply)


def test_a_conversation_can_move_between_workers_mid_flow(
    workers: Workers, customer: Customer
) -> None:
    reply = customer.say("send money to Alice Johnson")
    assert reply["state"]["awaiting"] == "amount"
    with httpx.Client(base_url=workers.b.base_url, timeout=30) as other:
        moved = Customer(other, "cust-001", customer.token, customer.conversation_id)
        reply = moved.say("25")
        assert "£25.00" in text_of(reply)
    reply = customer.press(reply, "no")
    assert reply["state"]["flow"] is None
