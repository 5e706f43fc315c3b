"""A signed-in customer checks balances and history and sends money, through REST."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


async def current_balance(bank: BankClient) -> Decimal:
    accounts = {a.id: a for a in await bank.list_accounts("cust-001")}
    balances = await bank.get_balances("cust-001")
    return next(b.amount for b in balances if accounts[b.account_id].kind == "current")


async def test_balance_matches_the_bank(customer: Customer, bank: BankClient) -> None:
    reply = customer.say("how much money have I got?")
    assert reply["nlu"]["intent"]["name"] == "check_balance"
    assert money(await current_balance(bank)) in text_of(reply)
    assert reply["state"] == {"flow": None, "awaiting": None, "status": "bot"}


async def test_recent_transactions_come_from_the_ledger(
    customer: Customer, bank: BankClient
) -> None:
    reply = customer.say("show me my last 3 transactions")
    assert reply["nlu"]["intent"]["name"] == "transaction_history"
    recent = await bank.list_transactions("cust-001", limit=3)
    assert recent, "the sandbox seeds history"
    shown = text_of(reply)
    for transaction in recent:
        assert (transaction.merchant or transaction.description) in shown
        assert money(abs(transaction.amount)) in shown


async def test_transfer_moves_money_once_after_the_right_code(
    customer: Customer, bank: BankClient, events
) -> None:
    before = await current_balance(bank)
    reply = customer.say("I'd like to send £25 to Alice Johnson")
    assert reply["state"]["flow"] == "transfer_money"
    assert "Alice Johnson" in text_of(reply) and "£25.00" in text_of(reply)
    reply = customer.press(reply, "yes")
    assert reply["state"]["awaiting"] == "otp"
    assert await current_balance(bank) == before, "nothing moves before the code"

    code = customer.latest_code()
    reply = customer.say(code)
    assert reply["state"]["flow"] is None
    after = await current_balance(bank)
    assert after == before - Decimal("25.00")
    assert money(after) in text_of(reply), "the reply gives the new balance"

    # The same code again is not a second approval.
    customer.say(code)
    assert await current_balance(bank) == after

    stored = list(events.find({"conversation_id": customer.conversation_id}).sort("seq", 1))
    assert [e["seq"] for e in stored] == list(range(1, len(stored) + 1))
    assert code not in str(stored), "one-time codes are never stored in clear"
    runs = [
        e for e in stored if e["type"] == "action_run" and e["data"]["action"] == "transfer_money"
    ]
    assert len(runs) == 1 and runs[0]["data"]["ok"] is True


async def test_three_wrong_codes_move_nothing(customer: Customer, bank: BankClient) -> None:
    before = await current_balance(bank)
    reply = customer.press(customer.say("pay Bob Martin 40 pounds"), "yes")
    assert reply["state"]["awaiting"] == "otp"
    real = customer.latest_code()
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    for attempt in range(3):
        reply = customer.say(wrong)
        if attempt < 2:
            assert reply["state"]["awaiting"] == "otp"
    assert reply["state"]["flow"] is None, "the transfer is cancelled after three wrong codes"
    customer.say(real)
    assert await current_balance(bank) == before


async def test_an_expired_code_moves_nothing(customer: Customer, bank: BankClient) -> None:
    before = await current_balance(bank)
    reply = customer.press(customer.say("transfer 15 to Bob Martin"), "yes")
    code = customer.latest_code()
    await asyncio.sleep(4.5)  # the e2e config lets codes live 4 s
    reply = customer.say(code)
    assert "expired" in text_of(reply).lower()
    assert await current_balance(bank) == before


async def test_a_restart_mid_flow_loses_nothing(customer: Customer, stack) -> None:
    reply = customer.say("send some money to Bob Martin")
    assert reply["state"]["awaiting"] == "amount"
    stack.teller.restart()
    reply = customer.say("£12.50")
    assert reply["state"]["flow"] == "transfer_money"
    assert "Bob Martin" in text_of(reply) and "£12.50" in text_of(reply)
    reply = customer.say("cancel")
    assert reply["state"]["flow"] is None
