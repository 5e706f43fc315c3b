"""The money-movement part of the bank port over HTTP, against the real sandbox: each
method's request shape and its answer read back into the port's values."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from actions.bank_client import BankClient
from bot.bank import BankRejected, Creditor


def key() -> str:
    return uuid.uuid4().hex


async def test_a_payee_is_checked_added_paid_and_removed(bank: BankClient) -> None:
    close = await bank.check_payee(
        "cust-002", name="Jon Smith", sort_code="089999", account_number="52710403"
    )
    assert (close.result, close.actual_name) == ("CLOSE_MATCH", "Jonathan Smith")
    added = await bank.add_payee(
        "cust-002",
        name="Jonathan Smith",
        sort_code="089999",
        account_number="52710403",
        reference="Rent share",
        idempotency_key=key(),
    )
    assert (added.name, added.kind, added.last4, added.sort_code) == (
        "Jonathan Smith",
        "domestic",
        "0403",
        "089999",
    )
    assert added.id in {p.id for p in await bank.list_payees("cust-002")}
    paid = await bank.create_domestic_payment(
        "cust-002",
        "acc-002-current",
        Creditor.payee(added.id),
        Decimal("12.00"),
        "GBP",
        None,
        key(),
    )
    assert (paid.creditor_name, paid.amount) == ("Jonathan Smith", Decimal("12.00"))
    assert await bank.delete_payee("cust-002", added.id, key()) == []
    assert added.id not in {p.id for p in await bank.list_payees("cust-002")}


async def test_a_payee_whose_account_fails_its_modulus_check_is_refused(bank: BankClient) -> None:
    with pytest.raises(BankRejected) as refused:
        await bank.add_payee(
            "cust-002",
            name="Nobody",
            sort_code="089999",
            account_number="66374959",
            reference=None,
            idempotency_key=key(),
        )
    assert refused.value.code == "modulus_check_failed"


async def test_own_accounts_and_the_daily_limit(bank: BankClient) -> None:
    before = await bank.payment_limits("cust-001")
    moved = await bank.create_domestic_payment(
        "cust-001", "acc-001-current", Creditor.account("acc-001-savings"), Decimal("50.00"),
        "GBP", None, key(),
    )  # fmt: skip
    assert moved.creditor_name == "Savings account"
    after = await bank.payment_limits("cust-001")
    assert after.used == before.used  # own accounts do not count against the limit
    assert after.daily == Decimal("2000.00") and after.remaining == after.daily - after.used


async def test_a_credit_cards_latest_statement(bank: BankClient) -> None:
    statement = await bank.card_statement("cust-001", "acc-001-card")
    assert statement is not None
    assert statement.due_date == statement.statement_date + timedelta(days=25)
    assert statement.minimum_payment <= max(statement.statement_balance, Decimal("25.00"))
    assert statement.current_balance == Decimal("342.18")  # owed now, positive
    with pytest.raises(BankRejected) as refused:
        await bank.card_statement("cust-002", "acc-002-current")
    assert refused.value.code == "account_not_eligible"


async def test_billers_saved_bills_and_paying_one(bank: BankClient) -> None:
    billers = {b.id: b for b in await bank.list_billers()}
    assert billers["biller-thames-water"].category == "water"
    bills = await bank.list_bills("cust-001")
    assert [b.reference for b in bills if b.biller_id == "biller-barclaycard"] == [
        "************9015"
    ]
    added = await bank.add_bill(
        "cust-003",
        biller_id="biller-thames-water",
        reference="900412558399",
        nickname="Water",
        idempotency_key=key(),
    )
    assert (added.biller_name, added.nickname) == ("Thames Water", "Water")
    paid = await bank.create_domestic_payment(
        "cust-003", "acc-003-current", Creditor.bill(added.id), Decimal("5.00"), "GBP", None, key()
    )
    assert paid.creditor_name == "Thames Water"


async def test_schedules_standing_orders_direct_debits_and_whats_coming_up(
    bank: BankClient,
) -> None:
    in_a_week = date.today() + timedelta(days=7)
    later = await bank.schedule_payment(
        "cust-001",
        source_account_id="acc-001-current",
        creditor=Creditor.payee("payee-001-02"),
        amount=Decimal("15.00"),
        on=in_a_week,
        reference="Tickets",
        idempotency_key=key(),
    )
    assert (later.on, later.status, later.creditor_name) == (
        in_a_week,
        "InitiationPending",
        "Bob Martin",
    )
    amended = await bank.amend_scheduled_payment(
        "cust-001", later.id, amount=Decimal("20.00"), idempotency_key=key()
    )
    assert amended.amount == Decimal("20.00")
    assert (await bank.cancel_scheduled_payment("cust-001", later.id, key())).status == "Cancelled"
    order = await bank.create_standing_order(
        "cust-001",
        source_account_id="acc-001-current",
        creditor=Creditor.account("acc-001-savings"),
        amount=Decimal("100.00"),
        frequency=f"IntrvlMnthDay:01:{in_a_week.day:02d}",
        first_date=in_a_week,
        payments=6,
        reference="SAVE",
        idempotency_key=key(),
    )
    assert (order.next_date, order.payments, order.active) == (in_a_week, 6, True)
    assert order.id in {o.id for o in await bank.list_standing_orders("cust-001")}
    raised = await bank.amend_standing_order(
        "cust-001", order.id, amount=Decimal("120.00"), idempotency_key=key()
    )
    assert raised.next_amount == Decimal("120.00")
    assert not (await bank.cancel_standing_order("cust-001", order.id, key())).active
    debits = {d.id: d for d in await bank.list_direct_debits("cust-001")}
    assert debits["dd-001-4"].name == "PureGym" and debits["dd-001-4"].active
    assert not (await bank.cancel_direct_debit("cust-001", "dd-001-4", key())).active
    coming = await bank.upcoming_payments("cust-001", days=40)
    assert {"standing_order", "direct_debit"} <= {u.kind for u in coming}


async def test_a_quote_and_a_payment_abroad(bank: BankClient) -> None:
    quote = await bank.quote_fx("cust-001", "EUR", send=Decimal("100.00"), idempotency_key=key())
    assert (quote.currency, quote.rate, quote.fee) == ("EUR", Decimal("1.1650"), Decimal("1.00"))
    assert quote.total == Decimal("101.00") and quote.receive == Decimal("116.50")
    assert (quote.expires_at - quote.created_at).total_seconds() == 300  # held 5 minutes
    paid = await bank.create_international_payment(
        "cust-001",
        source_account_id="acc-001-current",
        payee_id="payee-001-04",
        quote_id=quote.id,
        reference="Flat share",
        idempotency_key=key(),
    )
    assert (paid.send, paid.fee, paid.receive, paid.currency) == (
        Decimal("100.00"),
        Decimal("1.00"),
        Decimal("116.50"),
        "EUR",
    )
    with pytest.raises(BankRejected) as used:
        await bank.create_international_payment(
            "cust-001",
            source_account_id="acc-001-current",
            payee_id="payee-001-04",
            quote_id=quote.id,
            reference=None,
            idempotency_key=key(),
        )
    assert used.value.code == "quote_expired"
