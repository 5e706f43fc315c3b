"""Payments abroad through REST against the real sandbox bank: what leaves the account is the
bank's quote, in pounds, exactly once; refusals and bad input move nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of


def pounds(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


async def current_balance(bank: BankClient) -> Decimal:
    [balance] = await bank.get_balances("cust-001", "acc-001-current")
    return balance.amount


async def test_a_payment_abroad_leaves_the_quoted_pounds_once(
    customer: Customer, bank: BankClient, events
) -> None:
    # The bank's own figures for €50 to arrive, asked for independently of Teller.
    quote = await bank.quote_fx(
        "cust-001", "EUR", receive=Decimal("50"), idempotency_key=str(uuid.uuid4())
    )
    before = await current_balance(bank)

    reply = customer.say("send 50 euros to Lukas Becker")
    assert reply["state"]["flow"] == "send_money_abroad"
    shown = text_of(reply)
    for figure in (pounds(quote.send), pounds(quote.fee), pounds(quote.total), "€50.00"):
        assert figure in shown, f"{figure} missing from the quote: {shown}"
    assert "IBAN ending 3000" in shown

    reply = customer.press(reply, "yes")
    assert reply["state"]["awaiting"] == "otp"
    assert await current_balance(bank) == before, "nothing moves before the code"

    code = customer.latest_code()
    reply = customer.say(code)
    assert reply["state"]["flow"] is None
    after = await current_balance(bank)
    assert after == before - quote.total, "the quote's pounds, fee included, left once"
    assert pounds(after) in text_of(reply), "the reply gives the new balance"

    customer.say(code)  # the same code again is not a second approval
    assert await current_balance(bank) == after

    stored = list(events.find({"conversation_id": customer.conversation_id}))
    runs = [
        e["data"]
        for e in stored
        if e["type"] == "action_run" and e["data"]["action"] == "send_money_abroad"
    ]
    assert len(runs) == 1 and runs[0]["ok"] is True
    assert runs[0]["result"]["receive"] == "50.00" and runs[0]["result"]["idempotency_key"]
    assert code not in str(stored), "one-time codes are never stored in clear"


async def test_a_payment_over_the_daily_limit_is_refused_and_moves_nothing(
    customer: Customer, bank: BankClient
) -> None:
    before = await current_balance(bank)
    reply = customer.press(customer.say("send 3000 euros to Lukas"), "yes")
    assert reply["state"]["awaiting"] == "otp"
    reply = customer.say(customer.latest_code())
    assert "over today's payment limit" in text_of(reply)
    assert "nothing has been sent" in text_of(reply)
    assert reply["state"]["flow"] is None
    assert await current_balance(bank) == before


async def test_an_unsupported_currency_is_refused_with_the_ones_there_are(
    customer: Customer, bank: BankClient
) -> None:
    before = await current_balance(bank)
    reply = customer.say("send 100 roubles to Lukas")
    assert reply["state"] == {"flow": "send_money_abroad", "awaiting": "amount", "status": "bot"}
    supported = [rate.currency for rate in await bank.exchange_rates()]
    assert "RUB" in text_of(reply) and all(code in text_of(reply) for code in supported)
    reply = customer.say("cancel")
    assert reply["state"]["flow"] is None
    assert await current_balance(bank) == before


async def test_a_new_payee_abroad_is_saved_once_then_paid(http, bank: BankClient) -> None:
    """cust-003 has no payee abroad yet (and other tests' codes go to cust-001)."""
    token = http.post("/dev/token", json={"customer_id": "cust-003"}).json()["token"]
    customer = Customer(http, "cust-003", token)
    reply = customer.say("send 20 euros to Sophie Laurent")
    assert reply["state"]["flow"] is None
    assert "You don't have any payees abroad saved yet" in text_of(reply)
    reply = customer.press(reply, "Add Sophie Laurent as a payee abroad")
    assert reply["state"] == {"flow": "add_payee_abroad", "awaiting": "iban", "status": "bot"}

    reply = customer.say("BE68 5390 0754 7034")  # a Belgian IBAN: schwifty knows no BIC for it
    assert reply["state"]["awaiting"] == "bic"
    reply = customer.say("GEBABEBBXXX")
    assert "Paid in: EUR" in text_of(reply)
    reply = customer.press(reply, "Yes, add them")
    assert reply["state"]["awaiting"] == "otp"
    assert await bank.list_payees("cust-003", kind="international") == [], "not before the code"

    reply = customer.say(customer.latest_code())
    assert reply["state"]["flow"] is None
    [saved] = await bank.list_payees("cust-003", kind="international")
    assert (saved.name, saved.bic, saved.currency, saved.last4) == (
        "Sophie Laurent",
        "GEBABEBBXXX",
        "EUR",
        "7034",
    )

    [before] = await bank.get_balances("cust-003", "acc-003-current")
    reply = customer.press(customer.say("send 20 euros to Sophie Laurent"), "yes")
    reply = customer.say(customer.latest_code())
    assert "has been sent to Sophie Laurent" in text_of(reply)
    quote = await bank.quote_fx(
        "cust-003", "EUR", receive=Decimal("20"), idempotency_key=str(uuid.uuid4())
    )
    [after] = await bank.get_balances("cust-003", "acc-003-current")
    assert after.amount == before.amount - quote.total


async def test_an_invalid_iban_or_bic_is_explained_and_saves_nothing(
    http, bank: BankClient
) -> None:
    token = http.post("/dev/token", json={"customer_id": "cust-002"}).json()["token"]
    customer = Customer(http, "cust-002", token)
    reply = customer.press(customer.say("international transfer"), "Add a payee abroad")
    assert reply["state"]["awaiting"] == "payee_name"
    customer.say("Luca Rossi")
    reply = customer.say("IT60 X054 2811 1010 0000 0123 457")  # last digit mistyped
    assert "check digits don't match" in text_of(reply)
    assert reply["state"]["awaiting"] == "iban"
    reply = customer.say("AT61 1904 3002 3457 3201")
    assert reply["state"]["awaiting"] == "bic"
    reply = customer.say("BKAU AT")
    assert "isn't a valid BIC" in text_of(reply) and reply["state"]["awaiting"] == "bic"
    reply = customer.say("cancel")
    assert reply["state"]["flow"] is None
    assert await bank.list_payees("cust-002", kind="international") == []
