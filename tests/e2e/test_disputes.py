"""Disputes and fraud as cases through REST against the sandbox bank: what Teller says is
the bank's case row, a debit older than the bank's window opens nothing, and a fraud report
freezes the card, opens a fraud case and queues the chat with the case on the handoff.

cust-002 (James) disputes; cust-003 (Aisha) reports fraud on her credit card (••2290), which
no other end-to-end test pays with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of
from tests.support.stack import Stack

REFERENCE = re.compile(r"\b(DSP|FRD)-[A-Z0-9]{8}\b")


def sign_in(http: httpx.Client, customer_id: str) -> Customer:
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return Customer(http, customer_id, token)


@pytest.fixture
def james(http: httpx.Client) -> Customer:
    return sign_in(http, "cust-002")


@pytest.fixture
def aisha(http: httpx.Client) -> Customer:
    return sign_in(http, "cust-003")


class Bank:
    """The bank's own API and its sandbox-only routes (its staff, its rules), by API key."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, body: Any, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.client.post(path, json=body, headers=headers)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.client.put(path, json=body)


@pytest.fixture
def sandbox(stack: Stack) -> Iterator[Bank]:
    headers = {"Authorization": f"Bearer {stack.bank_api_key}"}
    with httpx.Client(base_url=stack.bank_url, headers=headers, timeout=30) as client:
        yield Bank(client)


def buttons(reply: dict[str, Any]) -> list[dict[str, str]]:
    return [b for m in reply["messages"] for b in m["buttons"]]


def offered_transaction(button: dict[str, str]) -> str:
    assert button["payload"].startswith("/inform{"), button
    return json.loads(button["payload"][len("/inform") :])["transaction"]


def reference_in(reply: dict[str, Any]) -> str:
    found = REFERENCE.search(text_of(reply))
    assert found, text_of(reply)
    return found.group(0)


async def newest_debits(bank: BankClient, customer_id: str) -> list[Any]:
    found = await bank.list_transactions(customer_id, limit=200)
    incoming = {t.id for t in found if t.amount > 0}
    return [t for t in found if t.amount < 0 and t.id not in incoming]


async def test_a_dispute_picked_in_the_chat_is_the_banks_case(
    james: Customer, bank: BankClient, sandbox: Bank
) -> None:
    reply = james.say("I want to dispute a transaction")
    assert reply["nlu"]["intent"]["name"] == "dispute_transaction"
    assert reply["state"]["awaiting"] == "transaction"
    debits = await newest_debits(bank, "cust-002")
    offered = [offered_transaction(b) for b in buttons(reply)]
    assert offered == [t.id for t in debits[: len(offered)]], "the newest debits, newest first"
    table = next(m["attachment"] for m in reply["messages"] if m.get("attachment"))
    assert table["kind"] == "table" and len(table["rows"]) == len(offered)

    chosen = debits[0]
    paid = f"£{-chosen.amount:,.2f}"
    reason = james.say(buttons(reply)[0]["title"], buttons(reply)[0]["payload"])
    assert f"What went wrong with the {paid} payment" in text_of(reason)
    amount = james.press(reason, "Charged twice")
    assert f"How much of the {paid}" in text_of(amount)
    confirm = james.press(amount, "All of it")
    assert f"dispute {paid} of the {paid} payment" in text_of(confirm)
    assert [c for c in await bank.list_cases("cust-002") if c.transaction_id == chosen.id] == []
    done = james.press(confirm, "Yes, open the dispute")
    reference = reference_in(done)
    assert reference.startswith("DSP-")
    [case] = [c for c in await bank.list_cases("cust-002") if c.reference == reference]
    assert (case.kind, case.status, case.reason) == ("dispute", "open", "charged_twice")
    assert (case.transaction_id, case.amount) == (chosen.id, -chosen.amount)
    assert case.transaction_amount == -chosen.amount

    status = james.say("what's happening with my dispute")
    assert status["nlu"]["intent"]["name"] == "dispute_status"
    assert f"Dispute {reference}" in text_of(status) and "is open." in text_of(status)
    moved = sandbox.post(
        f"/sandbox/customers/cust-002/cases/{case.id}/status", {"Status": "investigating"}
    )
    assert moved.status_code == 200, moved.text
    later = text_of(james.say("any news on my dispute?"))
    assert f"Dispute {reference}" in later and "is being investigated" in later

    # the same payment again: the open case is named, and no second one is made
    again = james.say("dispute a payment")
    refused = james.say(buttons(again)[0]["title"], buttons(again)[0]["payload"])
    assert f"There's already a case open for that payment: {reference}" in text_of(refused)
    assert len([c for c in await bank.list_cases("cust-002") if c.transaction_id == chosen.id]) == 1


async def test_part_of_a_payment_is_disputed_and_never_more_than_it_took(
    james: Customer, bank: BankClient
) -> None:
    reply = james.say("dispute a payment")
    debits = await newest_debits(bank, "cust-002")
    offered = [offered_transaction(b) for b in buttons(reply)]
    chosen = next(t for t in debits[1:] if -t.amount > 2 and t.id in offered)
    pick = next(b for b in buttons(reply) if offered_transaction(b) == chosen.id)
    james.say(pick["title"], pick["payload"])
    james.say("wrong amount")
    too_much = text_of(james.say(f"£{-chosen.amount + 100:.2f}"))
    assert f"You can dispute at most the £{-chosen.amount:,.2f}" in too_much
    confirm = james.say("£1.50")
    assert f"dispute £1.50 of the £{-chosen.amount:,.2f} payment" in text_of(confirm)
    reference = reference_in(james.press(confirm, "Yes"))
    [case] = [c for c in await bank.list_cases("cust-002") if c.reference == reference]
    assert (str(case.amount), case.reason) == ("1.50", "wrong_amount")


async def test_a_payment_older_than_the_bank_allows_opens_no_case(
    james: Customer, bank: BankClient, sandbox: Bank
) -> None:
    """The bank's rule is its own: narrowed to 30 days here (and put back), so the seeded
    history has payments older than it."""
    assert sandbox.put("/sandbox/dispute-policy", {"MaxAgeDays": 30}).status_code == 200
    try:
        policy = await bank.dispute_policy()
        assert policy.max_age_days == 30
        old = next(
            t for t in await newest_debits(bank, "cust-002") if t.booked_at.date() < policy.earliest
        )
        before = await bank.list_cases("cust-002")
        listed = james.say("I want to dispute a payment")
        assert "I can dispute any from the last 30 days" in text_of(listed)
        assert old.id not in [offered_transaction(b) for b in buttons(listed)]
        # a stale button (from an old list) for a payment past the window
        reply = james.say("that one", f'/inform{{"transaction": "{old.id}"}}')
        said = text_of(reply)
        assert "is more than 30 days old, so it can no longer be disputed" in said
        assert "I haven't opened a case" in said
        assert reply["state"]["awaiting"] == "transaction"
        assert await bank.list_cases("cust-002") == before
        # and the bank itself refuses it, whatever a client sends
        refused = sandbox.post(
            "/customers/cust-002/cases",
            {
                "Data": {
                    "Case": {"Kind": "dispute", "Reason": "not_received", "TransactionId": old.id}
                }
            },
            f"old-{old.id}",
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (
            422,
            "dispute_window_passed",
        )
        assert await bank.list_cases("cust-002") == before
        assert "OK, I haven't opened a dispute." in text_of(james.say("cancel"))
    finally:
        assert sandbox.put("/sandbox/dispute-policy", {"MaxAgeDays": 120}).status_code == 200


async def test_fraud_freezes_the_card_opens_a_case_and_queues_it_for_a_person(
    aisha: Customer, bank: BankClient, events: Any
) -> None:
    reply = aisha.say("someone used my card")
    assert reply["nlu"]["intent"]["name"] == "compromised_card"
    confirm = aisha.press(reply, "Credit card ••2290")
    code = aisha.press(confirm, "Yes, freeze it")
    assert code["state"]["awaiting"] == "otp"
    assert [c for c in await bank.list_cases("cust-003") if c.kind == "fraud"] == []
    done = aisha.say(aisha.latest_code())
    said = text_of(done)
    assert "your credit card ••2290 is frozen" in said
    reference = reference_in(done)
    assert reference.startswith("FRD-") and f"I've opened fraud case {reference}" in said
    assert done["state"]["status"] == "queued"
    cards = {c.id: c.status for c in await bank.list_cards("cust-003")}
    assert cards["card-003-credit"] == "frozen"
    [case] = [c for c in await bank.list_cases("cust-003") if c.reference == reference]
    assert (case.kind, case.reason, case.card_id, case.status) == (
        "fraud",
        "card_compromised",
        "card-003-credit",
        "open",
    )
    [handoff] = list(events.find({"conversation_id": aisha.conversation_id, "type": "handoff"}))
    assert handoff["data"] == {
        "status": "queued",
        "reason": "fraud",
        "attached": {"case_reference": reference},
    }


def test_signed_out_nobody_sees_or_opens_a_case(visitor: Customer) -> None:
    reply = visitor.say("I want to dispute a transaction")
    assert "To dispute a payment, please sign in" in text_of(reply)
    assert reply["state"]["flow"] is None
    status = visitor.say("what's happening with my dispute")
    assert "DSP-" not in text_of(status) and status["state"]["flow"] is None


def test_the_policy_route_is_the_banks_clock(sandbox: Bank) -> None:
    body = sandbox.get("/dispute-policy").json()["Data"]["DisputePolicy"]
    clock = sandbox.get("/sandbox/clock").json()["Data"]["Clock"]
    assert body["AsOfDate"] == clock["Date"]
    assert (
        date.fromisoformat(body["AsOfDate"]) - date.fromisoformat(body["EarliestBookingDate"])
    ).days == body["MaxAgeDays"]
