"""BankClient against the real sandbox over HTTP, and against banks that misbehave."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from actions.bank_client import BankClient
from bot.bank import Account, BankError, BankRejected, BankUnavailable, Creditor, Payee
from tests.actions.conftest import API_KEY, SERVICE_UNAVAILABLE, StubBank


async def test_customers_and_contact_details(bank: BankClient):
    listed = await bank.list_customers()
    assert [c.id for c in listed][:3] == ["cust-001", "cust-002", "cust-003"]
    emma = await bank.get_customer("cust-001")
    assert (emma.name, emma.first_name, emma.email) == (
        "Emma Clarke",
        "Emma",
        "emma.clarke@example.com",
    )
    assert emma.phone == "+447700900101"
    assert emma.contact_preference == ""  # no choice: Teller's configured order applies
    assert (await bank.get_customer("cust-002")).contact_preference == "email"
    assert (await bank.get_customer("cust-003")).contact_preference == "push"


async def test_accounts_balances_and_payees_are_typed(bank: BankClient):
    accounts = await bank.list_accounts("cust-001")
    opened = accounts[0].opened_on  # the seeded history's first day (sandbox/seed.py)
    assert opened is not None and (datetime.now(UTC).date() - opened).days == 90
    assert accounts[0] == Account(
        "acc-001-current", "current", "Current account", "4821", "GBP", opened_on=opened
    )
    assert [a.kind for a in accounts] == ["current", "savings", "credit_card"]
    balances = {b.account_id: b.amount for b in await bank.get_balances("cust-001")}
    assert balances == {
        "acc-001-current": Decimal("2450.00"),
        "acc-001-savings": Decimal("5200.00"),
        "acc-001-card": Decimal("-342.18"),
    }
    one = await bank.get_balances("cust-001", "acc-001-savings")
    assert [b.amount for b in one] == [Decimal("5200.00")]
    payees = await bank.list_payees("cust-001")
    assert Payee("payee-001-01", "Alice Johnson", last4="6819", sort_code="200415") in payees
    assert "Bob Martin" in {p.name for p in payees}
    assert {p.kind for p in payees} == {"domestic"}  # a payment to them is a domestic one
    abroad = await bank.list_payees("cust-001", "international")
    assert [(p.name, p.kind, p.currency) for p in abroad] == [
        ("Lukas Becker", "international", "EUR")
    ]


async def test_transactions_are_signed_dated_and_filterable(bank: BankClient):
    latest = await bank.list_transactions("cust-001", limit=20)
    assert len(latest) == 20
    assert all(t.booked_at.tzinfo is not None for t in latest)
    assert any(t.amount < 0 for t in latest)
    tesco = await bank.list_transactions("cust-001", merchant="tesco", limit=100)
    assert tesco and {t.merchant for t in tesco} == {"Tesco"}
    assert all(t.amount < 0 for t in tesco)
    end = datetime.now(UTC).date() - timedelta(days=1)
    week = await bank.list_transactions(
        "cust-001", "acc-001-current", start=end - timedelta(6), end=end
    )
    assert week and all(end - timedelta(6) <= t.booked_at.date() <= end for t in week)
    assert {t.account_id for t in week} == {"acc-001-current"}
    salary = await bank.list_transactions("cust-001", merchant="salary", limit=10)
    assert salary and all(t.amount > 0 and t.merchant is None for t in salary)


async def test_business_refusals_carry_the_bank_code(bank: BankClient):
    with pytest.raises(BankRejected) as unknown:
        await bank.get_customer("cust-999")
    assert (unknown.value.status, unknown.value.code) == (404, "customer_not_found")
    with pytest.raises(BankRejected) as other:
        await bank.get_balances("cust-002", "acc-001-current")
    assert other.value.code == "account_not_found"


async def test_ids_cannot_escape_the_customer_path(bank: BankClient):
    with pytest.raises(BankRejected) as escaped:
        await bank.get_balances("cust-002", "../../cust-001/balances")
    assert escaped.value.status == 404


async def test_wrong_api_key_is_a_bank_error_not_a_customer_refusal(bank_url: str):
    async with BankClient(bank_url, "not-the-key") as wrong:
        with pytest.raises(BankError) as failure:
            await wrong.list_accounts("cust-001")
    assert not isinstance(failure.value, BankRejected | BankUnavailable)


async def test_payment_is_idempotent_and_reports_the_new_balance(bank: BankClient):
    key = uuid.uuid4().hex
    args = (
        "cust-001",
        "acc-001-current",
        Creditor.payee("payee-001-02"),
        Decimal("25.50"),
        "GBP",
        "Lunch",
        key,
    )
    first = await bank.create_domestic_payment(*args)
    again = await bank.create_domestic_payment(*args)
    assert first == again
    assert first.status == "AcceptedSettlementCompleted"
    assert (first.amount, first.payee_id) == (Decimal("25.50"), "payee-001-02")
    [after] = await bank.get_balances("cust-001", "acc-001-current")
    assert first.new_balance == after.amount == Decimal("2424.50")


async def test_refused_payment_raises_with_the_code(bank: BankClient):
    with pytest.raises(BankRejected) as refused:
        await bank.create_domestic_payment(
            "cust-003",
            "acc-003-current",
            Creditor.payee("payee-003-01"),
            Decimal("400.00"),
            "GBP",
            "",
            "k-poor",
        )
    assert (refused.value.status, refused.value.code) == (422, "insufficient_funds")


async def test_amount_with_fractions_of_a_penny_is_never_sent(bank: BankClient):
    with pytest.raises(ValueError, match="two decimal"):
        await bank.create_domestic_payment(
            "cust-001",
            "acc-001-current",
            Creditor.payee("payee-001-01"),
            Decimal("1.005"),
            "GBP",
            "",
            "k-frac",
        )


async def test_bank_down_fails_fast_and_says_nothing_was_sent(down_bank: BankClient):
    started = time.monotonic()
    for call in (
        down_bank.list_accounts("cust-001"),
        down_bank.get_balances("cust-001"),
        down_bank.list_transactions("cust-001"),
        down_bank.create_domestic_payment(
            "cust-001",
            "acc-001-current",
            Creditor.payee("payee-001-01"),
            Decimal("1.00"),
            "GBP",
            "",
            "k-down",
        ),
    ):
        with pytest.raises(BankUnavailable) as failure:
            await call
        assert failure.value.outcome_unknown is False
    assert time.monotonic() - started < 2


async def test_timeout_is_unavailable_with_unknown_outcome_and_never_retried():
    stub = StubBank(reply=None)
    async with stub as url, BankClient(url, API_KEY, timeout=0.3) as client:
        with pytest.raises(BankUnavailable) as read:
            await client.get_balances("cust-001")
        with pytest.raises(BankUnavailable) as pay:
            await client.create_domestic_payment(
                "cust-001",
                "acc-001-current",
                Creditor.payee("payee-001-01"),
                Decimal("1.00"),
                "GBP",
                "",
                "k-t",
            )
    assert read.value.outcome_unknown and pay.value.outcome_unknown
    assert len(stub.requests) == 2  # one GET, one POST: a timed-out call is not repeated


async def test_server_errors_retry_reads_once_and_payments_never():
    stub = StubBank(reply=SERVICE_UNAVAILABLE)
    async with stub as url, BankClient(url, API_KEY) as client:
        with pytest.raises(BankUnavailable):
            await client.list_payees("cust-001")
        assert len(stub.requests) == 2
        with pytest.raises(BankUnavailable) as pay:
            await client.create_domestic_payment(
                "cust-001",
                "acc-001-current",
                Creditor.payee("payee-001-01"),
                Decimal("1.00"),
                "GBP",
                "",
                "k-5xx",
            )
    assert pay.value.outcome_unknown
    assert [r.split()[0] for r in stub.requests] == ["GET", "GET", "POST"]
