"""Atomic claim across workers, internal notes, and what reaches the customer's channel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot import events as ev
from bot.events import Event
from connectors.frames import customer_frame
from tests.e2e.conftest import Customer
from tests.handoff.conftest import AgentConsole, Workers, customer_feed


def test_two_agents_claiming_together_on_two_workers_exactly_one_wins(
    customer: Customer, ana: AgentConsole, ben: AgentConsole, mongo: Any
) -> None:
    for _ in range(5):
        customer.conversation_id = None
        customer.say("can I speak to a real person please")
        cid = customer.conversation_id
        with ThreadPoolExecutor(2) as pool:
            pending = [pool.submit(agent.post, cid, "claim") for agent in (ana, ben)]
            answers = [p.result() for p in pending]
        assert sorted(a.status_code for a in answers) == [200, 409]
        winner = "ana" if answers[0].status_code == 200 else "ben"
        claims = list(
            mongo["events"].find(
                {"conversation_id": cid, "type": "handoff", "data.status": "agent"}
            )
        )
        assert [c["data"]["agent_id"] for c in claims] == [winner]
        assert mongo["conversations"].find_one({"_id": cid})["agent_id"] == winner


def test_notes_are_kept_for_agents_and_never_reach_the_customer(
    customer: Customer, ana: AgentConsole, ben: AgentConsole, workers: Workers
) -> None:
    customer.say("can I speak to a real person please")
    cid = customer.conversation_id
    with customer_feed(workers, cid) as feed:
        assert ana.post(cid, "claim").status_code == 200
        assert ben.post(cid, "note", "Customer called yesterday about the same payment").is_success
        assert ana.post(cid, "reply", "Hi, I'm Ana. Let me look into it.").is_success
        frames = feed.frames(wait=1.5)
    texts = [f.get("text") for f in frames]
    assert "Customer called yesterday about the same payment" not in texts
    published = [e["type"] for p in feed.published for e in p["events"]]
    assert ev.AGENT_NOTE not in published  # a note never even reaches the customer's topic
    last = [f for f in frames if f["type"] == "message"][-1]
    assert (last["from"], last["text"]) == ("agent", "Hi, I'm Ana. Let me look into it.")
    assert {"type": "status", "status": "agent"}.items() <= frames[0].items()
    assert any(f.get("from") == "system" and "Ana from our team" in f["text"] for f in frames)
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    transcript = ana.conversation(cid)["transcript"]
    notes = [e for e in transcript if e["type"] == "agent_note"]
    assert notes[0]["data"]["text"] == "Customer called yesterday about the same payment"


def test_only_customer_facing_events_become_customer_frames() -> None:
    note = Event(ev.AGENT_NOTE, {"agent_id": "ana", "text": "internal"}, seq=3)
    slot = Event(ev.SLOT_SET, {"name": "amount", "value": "50.00"}, seq=4)
    assert customer_frame(note) is None and customer_frame(slot) is None
    reply = customer_frame(Event(ev.AGENT_MESSAGE, {"agent_id": "ana", "text": "hi"}, seq=5))
    assert reply is not None and reply["from"] == "agent" and reply["seq"] == 5


def test_the_transcript_shows_a_masked_profile_and_masks_card_numbers(
    customer: Customer, ana: AgentConsole
) -> None:
    customer.say("can I speak to a real person please")
    ana.post(customer.conversation_id, "claim")
    ana.post(customer.conversation_id, "reply", "Is your card 4111 1111 1111 1111?")
    conversation = ana.conversation(customer.conversation_id)
    profile = conversation["customer"]
    assert profile["customer_id"] == "cust-001" and profile["name"]
    assert profile["phone"].startswith("•••• ••• ") and "•••@" in profile["email"]
    assert profile["accounts"] and all("••" in a for a in profile["accounts"])
    replies = [e for e in conversation["transcript"] if e["type"] == "agent_message"]
    assert "4111 1111 1111 1111" not in replies[-1]["data"]["text"]


def test_canned_responses_are_offered(ana: AgentConsole) -> None:
    canned = ana.http.get("/agent/api/canned").json()["canned"]
    assert canned and all(item["title"] and item["text"] for item in canned)
