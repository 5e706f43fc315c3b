"""Adding a payee and paying them through REST: the bank's books hold them once, and the
money moves once, from the right account."""

from __future__ import annotations

from decimal import Decimal

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of
from tests.e2e.test_banking import current_balance


async def test_a_new_payee_is_saved_once_and_paid_once(
    customer: Customer, bank: BankClient
) -> None:
    before = await current_balance(bank)
    reply = customer.say("pay Rebecca Taylor 15 pounds")
    assert "Add Rebecca Taylor as a new payee" in str(reply["messages"])
    reply = customer.press(reply, "new payee")
    assert reply["state"] == {"flow": "add_payee", "awaiting": "sort_code", "status": "bot"}
    customer.say("04-05-10")
    customer.say("64118308")
    reply = customer.say("no reference")
    assert "Their bank confirmed the name on the account is Rebecca Taylor" in text_of(reply)
    reply = customer.press(reply, "yes, add")
    assert reply["state"]["awaiting"] == "otp"
    assert "Rebecca Taylor" not in [p.name for p in await bank.list_payees("cust-001")]

    reply = customer.say(customer.latest_code())
    assert reply["state"]["flow"] == "transfer_money", "the transfer goes on with the new payee"
    added = [p for p in await bank.list_payees("cust-001") if p.name == "Rebecca Taylor"]
    assert len(added) == 1 and added[0].sort_code == "040510" and added[0].last4 == "8308"
    assert "send £15.00 to Rebecca Taylor" in text_of(reply)
    reply = customer.press(reply, "yes, send")
    customer.say(customer.latest_code())
    assert await current_balance(bank) == before - Decimal("15.00")

    # The same details again are refused by the bank: still one payee, nothing moved.
    reply = customer.say("add Rebecca Taylor as a payee 04-05-10 64118308")
    customer.say("none")
    reply = customer.say("yes")
    reply = customer.say(customer.latest_code())
    assert "already one of your payees" in text_of(reply)
    assert len([p for p in await bank.list_payees("cust-001") if p.name == "Rebecca Taylor"]) == 1
    assert await current_balance(bank) == before - Decimal("15.00")


async def test_an_impossible_account_number_is_refused_before_any_code(
    customer: Customer, http
) -> None:
    customer.say("add a payee")
    customer.say("Rebecca Taylor")
    customer.say("04-05-10")
    reply = customer.say("64118309")
    assert reply["state"]["awaiting"] == "account_number"
    assert "can't exist at sort code 04-05-10" in text_of(reply)
    outbox = http.get("/dev/outbox", params={"customer_id": "cust-001"}).json()
    assert not any("64118309" in m["text"] for m in outbox)
