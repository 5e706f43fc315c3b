"""Replacing a card, changing its controls and unblocking its PIN through REST, checked against
the sandbox bank's own records; and no PIN-like number kept in the conversation log.

James (cust-002) and Aisha (cust-003): no other end-to-end test changes their cards.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from bot.bank import BankRejected
from tests.e2e.conftest import Customer, text_of


def signed_in(http: httpx.Client, customer_id: str) -> Customer:
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return Customer(http, customer_id, token)


def outbox_size(http: httpx.Client, customer_id: str) -> int:
    return len(http.get("/dev/outbox", params={"customer_id": customer_id}).json())


def stored_texts(events: Any, conversation_id: str) -> str:
    return "\n".join(str(e.get("data")) for e in events.find({"conversation_id": conversation_id}))


async def test_a_stolen_card_is_cancelled_and_replaced_once_then_tracked(
    http: httpx.Client, bank: BankClient, events: Any
) -> None:
    james = signed_in(http, "cust-002")
    before = await bank.list_cards("cust-002")
    reply = james.say("I need a replacement debit card")
    assert reply["state"]["awaiting"] == "card"
    reply = james.press(reply, "••7781")
    assert reply["state"]["awaiting"] == "replace_reason"
    reply = james.press(reply, "stolen")
    text = text_of(reply)
    assert "3 H••• V•••, Bristol BS1 •••" in text and "Harbour" not in text
    assert "cancelled straight away" in text
    reply = james.press(reply, "yes, order")
    assert reply["state"]["awaiting"] == "otp"
    assert len(await bank.list_cards("cust-002")) == len(before), "nothing before the code"

    reply = james.say(james.latest_code())
    assert reply["state"]["flow"] is None
    assert "is ordered" in text_of(reply) and "is cancelled" in text_of(reply)
    cards = await bank.list_cards("cust-002")
    assert {c.id: c.status for c in cards}["card-002-debit"] == "cancelled"
    new = [c for c in cards if c.id not in {b.id for b in before}]
    assert len(new) == 1, "one new card, ordered once"
    card = new[0]
    assert (card.kind, card.status, card.account_id) == (
        "debit",
        "pending_activation",
        "acc-002-current",
    )
    assert card.delivery is not None and card.delivery.status == "ordered"
    assert f"••{card.last4}" in text_of(reply)
    # Someone who saw a card stolen may see payments they didn't make: a person is offered.
    assert "Talk to a person" in str(reply["messages"])

    # The same code again is no second order.
    james.say(james.latest_code())
    assert len(await bank.list_cards("cust-002")) == len(before) + 1

    # The existing delivery answers track the new card.
    reply = james.say("where is my new card?")
    assert reply["nlu"]["intent"]["name"] in ("card_arrival", "card_delivery_estimate")
    assert f"••{card.last4}" in text_of(reply)

    # The stolen card cannot be unfrozen or changed any more.
    reply = james.say("unfreeze my card")
    assert "••7781" not in str(reply["messages"][0]["buttons"])
    stored = stored_texts(events, james.conversation_id or "")
    assert "Harbour" not in stored and "BS1 5TY" not in stored


async def test_loosening_a_control_takes_a_code_and_tightening_does_not(
    http: httpx.Client, bank: BankClient
) -> None:
    aisha = signed_in(http, "cust-003")
    reply = aisha.say("lower my contactless limit to £100")
    reply = aisha.press(reply, "••9014")
    assert "from £300.00 to £100.00" in text_of(reply)
    codes = outbox_size(http, "cust-003")
    reply = aisha.press(reply, "yes, change")
    assert reply["state"] == {"flow": None, "awaiting": None, "status": "bot"}
    assert outbox_size(http, "cust-003") == codes, "no code to tighten"
    controls = await bank.card_controls("cust-003", "card-003-debit")
    assert controls.limits["contactless"].daily == Decimal("100.00")

    reply = aisha.say("raise the online limit on my debit card to 6000 pounds")
    assert reply["state"]["awaiting"] == "amount"
    assert "from £50.00 to £5,000.00" in text_of(reply)
    controls = await bank.card_controls("cust-003", "card-003-debit")
    assert controls.limits["online"].daily == Decimal("2500.00"), "out of bounds: nothing changed"
    reply = aisha.say("£4000")
    reply = aisha.press(reply, "yes, change")
    assert reply["state"]["awaiting"] == "otp"
    assert (await bank.card_controls("cust-003", "card-003-debit")).limits[
        "online"
    ].daily == Decimal("2500.00")
    reply = aisha.say("000000" if aisha.latest_code() != "000000" else "111111")
    assert "isn't right" in text_of(reply)
    reply = aisha.say(aisha.latest_code())
    assert "is now £4,000.00" in text_of(reply)
    controls = await bank.card_controls("cust-003", "card-003-debit")
    assert controls.limits["online"].daily == Decimal("4000.00")

    reply = aisha.say("turn off payments abroad on my debit card")
    codes = outbox_size(http, "cust-003")
    reply = aisha.press(reply, "yes")
    assert outbox_size(http, "cust-003") == codes
    assert (await bank.card_controls("cust-003", "card-003-debit")).switches["abroad"] is False
    reply = aisha.say("switch payments abroad back on for my debit card")
    reply = aisha.press(reply, "yes")
    assert reply["state"]["awaiting"] == "otp"
    assert (await bank.card_controls("cust-003", "card-003-debit")).switches["abroad"] is False
    aisha.say(aisha.latest_code())
    assert (await bank.card_controls("cust-003", "card-003-debit")).switches["abroad"] is True


async def test_a_pin_is_never_kept_and_a_blocked_one_is_unblocked_after_a_code(
    http: httpx.Client, bank: BankClient, events: Any
) -> None:
    aisha = signed_in(http, "cust-003")
    reply = aisha.say("my pin is 4821 and it's blocked")
    assert "4821" not in str(reply)
    assert reply["state"]["flow"] == "pin_blocked"
    assert "Cards > View PIN" in text_of(reply)
    assert (await bank.card_controls("cust-003", "card-003-debit")).pin_blocked
    reply = aisha.press(reply, "yes, unblock")
    assert reply["state"]["awaiting"] == "otp"
    reply = aisha.say(aisha.latest_code())
    assert "works again" in text_of(reply)
    assert not (await bank.card_controls("cust-003", "card-003-debit")).pin_blocked
    assert "4821" not in stored_texts(events, aisha.conversation_id or "")


async def test_another_customers_card_is_not_found(bank: BankClient) -> None:
    with pytest.raises(BankRejected) as refused:
        await bank.card_controls("cust-002", "card-003-debit")
    assert refused.value.status == 404
    with pytest.raises(BankRejected):
        await bank.set_card_limit("cust-002", "card-003-debit", "atm", Decimal("20"), "k-other")
    controls = await bank.card_controls("cust-003", "card-003-debit")
    assert controls.limits["atm"].daily == Decimal("500.00")
