"""Issue 10, finding 3: full card numbers are stored and shown.

A customer who types their card number (PAN) must never find it again anywhere Teller
keeps or shows what they said: not in the REST reply's `nlu`, not in the event log (the
customer's message, its entities, the slots it filled, what the bot said back), not in an
agent's transcript, not in the log file. Every grouping a person types is a card number:
spaces, dashes, dots, underscores, or none; and a card number is never an amount.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo.database import Database

from tests.channels.conftest import WhatsAppUser, link_code
from tests.e2e.conftest import Customer
from tests.support.process import ROOT
from tests.support.stack import Stack

# A test PAN that passes the Luhn check, in every grouping a customer might type it.
PAN = "4111111111111111"
GROUPINGS = {
    "spaces": "4111 1111 1111 1111",
    "none": PAN,
    "dashes": "4111-1111-1111-1111",
    "dots": "4111.1111.1111.1111",
    "underscores": "4111_1111_1111_1111",
}
# Any 12 of its first digits in a row, whatever separates them, is a leak.
LEAK = re.compile(r"4\D{0,3}1\D{0,3}1\D{0,3}1\D{0,3}1\D{0,3}1(?:\D{0,3}1){6}")
PASSWORD = "correct horse battery"


def leaks(anything: Any) -> list[str]:
    text = anything if isinstance(anything, str) else json.dumps(anything, ensure_ascii=False)
    return LEAK.findall(text)


def events_of(db: Database[dict[str, Any]], conversation_id: str) -> list[dict[str, Any]]:
    return list(db["events"].find({"conversation_id": conversation_id}, {"_id": False}))


def customer(http: httpx.Client, customer_id: str | None) -> Customer:
    token = None
    if customer_id:
        token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return Customer(http, customer_id, token)


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_a_card_number_is_masked_in_the_reply_and_the_log_and_is_no_amount(
    http: httpx.Client, db: Database[dict[str, Any]], grouping: str
) -> None:
    someone = customer(http, None)
    reply = someone.say(f"my card number is {GROUPINGS[grouping]}")
    assert leaks(reply) == [], reply["nlu"]
    assert all(e["entity"] != "amount" for e in reply["nlu"]["entities"]), reply["nlu"]
    stored = events_of(db, someone.conversation_id)
    said = next(e for e in stored if e["type"] == "user_message")
    assert said["data"]["text"].endswith("1111")  # the last four are kept, to recognise it
    assert leaks(stored) == [], said


@pytest.mark.parametrize("grouping", ["dots", "underscores", "none"])
def test_a_card_number_given_as_a_slot_is_never_stored(
    http: httpx.Client, db: Database[dict[str, Any]], grouping: str
) -> None:
    """Typed as the answer to "who to?", or carried in a button payload, a card number
    fills a slot (and may be echoed back): neither may hold it."""
    signed_in = customer(http, "cust-001")
    signed_in.say("I want to send money")
    typed = signed_in.say(GROUPINGS[grouping])
    pressed = signed_in.say("Pay", payload=f'/inform{{"payee": "{GROUPINGS[grouping]}"}}')
    assert leaks([typed, pressed]) == []
    stored = events_of(db, signed_in.conversation_id)
    assert any(e["type"] == "slot_set" and e["data"]["name"] == "payee" for e in stored)
    assert leaks(stored) == [], [e for e in stored if leaks(e)]


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Iterator[httpx.Client]:
    """An agent signed in to the console (dev mode: its secret is generated in var/)."""
    added = subprocess.run(
        [sys.executable, "-m", "bot", "agents", "add", "pan-agent", "--password-stdin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=stack.teller.env,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    with httpx.Client(base_url=stack.teller.base_url, timeout=30) as console:
        signed = console.post(
            "/agent/api/session", json={"name": "pan-agent", "password": PASSWORD}
        )
        assert signed.status_code == 200, signed.text
        console.headers["X-CSRF-Token"] = signed.json()["csrf_token"]  # as the page sends it
        yield console


def test_the_agent_never_sees_a_card_number(
    http: httpx.Client, db: Database[dict[str, Any]], agent: httpx.Client
) -> None:
    signed_in = customer(http, "cust-002")
    signed_in.say(f"someone used my card {GROUPINGS['dots']} without asking")
    signed_in.say(f"the number is {GROUPINGS['underscores']}")
    signed_in.say("talk to a person")
    conversation_id = signed_in.conversation_id
    transcript = agent.get(f"/agent/api/conversations/{conversation_id}").json()
    assert transcript["transcript"], transcript
    assert leaks(transcript) == [], transcript

    # Nor does an agent's own reply keep one: the customer would read it, and it is stored.
    assert agent.post(f"/agent/api/conversations/{conversation_id}/claim").status_code == 200
    replied = agent.post(
        f"/agent/api/conversations/{conversation_id}/reply",
        json={"text": f"Is it {GROUPINGS['dots']}?"},
    )
    assert replied.status_code == 200 and leaks(replied.json()) == []
    assert leaks(agent.get(f"/agent/api/conversations/{conversation_id}").json()) == []
    assert leaks(events_of(db, conversation_id)) == []


def test_a_card_number_sent_on_whatsapp_is_masked(
    whatsapp: WhatsAppUser, http: httpx.Client, db: Database[dict[str, Any]], stack: Stack
) -> None:
    whatsapp.say(f"link {link_code(http, 'cust-003')}")
    whatsapp.expect("now linked")
    body = whatsapp.say(f"my new card is {GROUPINGS['underscores']}, can you activate it?")
    sent = whatsapp.expect("")
    assert leaks([r.body for r in sent]) == []
    message_id = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    said = db["events"].find_one({"data.channel_message_id": message_id}, {"_id": False})
    assert said is not None and said["data"]["text"].endswith("1111, can you activate it?")
    assert leaks(events_of(db, said["conversation_id"])) == []
    assert leaks(stack.teller.log_path.read_text(errors="replace")) == []
