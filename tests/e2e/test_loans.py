"""Loans, fixed-term deposits and applications through REST against the sandbox bank: what
Teller says is what the bank holds, a deposit debits its account exactly once in the same
transaction that opens it, and refused input changes nothing.

These tests run on a private stack (its own bank database, read here with sqlite3 as an
auditor would), so the money they move never disturbs the shared stack's balances.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from bot.bank import BankRejected
from tests.e2e.conftest import CONFIG, Customer, text_of
from tests.support.stack import Stack, running_stack


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path]]:
    tmp = tmp_path_factory.mktemp("loans")
    with running_stack(tmp, CONFIG) as stack:
        yield stack, tmp / "bank.db"


@pytest.fixture
def rest(own: tuple[Stack, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=own[0].teller.base_url, timeout=30) as client:
        yield client


def sign_in(http: httpx.Client, customer_id: str) -> Customer:
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return Customer(http, customer_id, token)


def rows(db: Path, query: str, *args: Any) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute(query, args))


def balance(db: Path, account_id: str) -> int:
    [row] = rows(db, "SELECT balance_minor FROM accounts WHERE id = ?", account_id)
    return int(row["balance_minor"])


def posted(db: Path, account_id: str) -> int:
    """The account's balance as its postings add up (the ledger, not the cached figure)."""
    [row] = rows(
        db, "SELECT COALESCE(SUM(amount_minor), 0) AS s FROM postings WHERE account_id = ?",
        account_id,
    )  # fmt: skip
    return int(row["s"])


def test_a_deposit_opened_in_the_chat_is_one_bank_transaction_debited_once(
    own: tuple[Stack, Path], rest: httpx.Client
) -> None:
    _, db = own
    emma = sign_in(rest, "cust-001")
    before = balance(db, "acc-001-savings")
    book_before = balance(db, "int-term-deposits")
    reply = emma.say("open a 12 month fixed deposit")
    assert reply["state"]["awaiting"] == "source_account", text_of(reply)
    assert "4.40% AER" in text_of(reply) or "Your accounts" in text_of(reply)
    reply = emma.press(reply, "Savings account")
    assert reply["state"]["awaiting"] == "amount"
    assert "from £1,000.00 to £250,000.00" in text_of(reply)
    reply = emma.say("£2,000")
    said = text_of(reply)
    assert "12-month fixed-term deposit of £2,000.00 at 4.40% AER" in said
    assert "about £88.00 interest" in said
    reply = emma.press(reply, "Yes, open it")
    assert reply["state"]["awaiting"] == "otp"
    assert balance(db, "acc-001-savings") == before, "nothing moves before the code"
    code = emma.latest_code()
    reply = emma.say(code)
    said = text_of(reply)
    assert "Done: your 12-month fixed-term deposit of £2,000.00 at 4.40% AER is open" in said
    reference = re.search(r"Deposit reference: (FTD-[0-9A-F]+)", said)
    assert reference, said
    # The bank's rows: the deposit, one transaction of two legs, the account debited once.
    [deposit] = rows(db, "SELECT * FROM fixed_deposits WHERE id = ?", reference.group(1))
    assert deposit["customer_id"] == "cust-001"
    assert deposit["principal_minor"] == 200_000 and deposit["term_months"] == 12
    assert deposit["rate"] == "4.40" and deposit["interest_minor"] == 8_800
    assert deposit["source_account_id"] == "acc-001-savings"
    legs = rows(
        db, "SELECT account_id, amount_minor FROM postings WHERE transaction_id = ?",
        deposit["transaction_id"],
    )  # fmt: skip
    assert sorted((r["account_id"], r["amount_minor"]) for r in legs) == [
        ("acc-001-savings", -200_000),
        ("int-term-deposits", 200_000),
    ]
    assert balance(db, "acc-001-savings") == before - 200_000
    assert balance(db, "int-term-deposits") == book_before + 200_000
    assert posted(db, "acc-001-savings") == balance(db, "acc-001-savings")
    [audit] = rows(
        db, "SELECT * FROM audit_log WHERE action = 'fixed_deposit.open' AND resource_id = ?",
        reference.group(1),
    )  # fmt: skip
    assert audit["customer_id"] == "cust-001"
    assert f"£{(before - 200_000) / 100:,.2f}" in said, "the balance after is the bank's"
    # The same code again (a replayed turn) moves nothing more.
    emma.say(code)
    assert balance(db, "acc-001-savings") == before - 200_000
    assert len(rows(db, "SELECT id FROM fixed_deposits WHERE customer_id = 'cust-001'")) == 2
    listed = text_of(emma.say("show my fixed-term deposits"))
    assert reference.group(1) in listed and "FTD-SEED000001" in listed


def test_an_amount_outside_the_bounds_or_the_balance_changes_nothing(
    own: tuple[Stack, Path], rest: httpx.Client
) -> None:
    _, db = own
    james = sign_in(rest, "cust-002")
    before = balance(db, "acc-002-current")
    deposits = len(rows(db, "SELECT id FROM fixed_deposits"))
    reply = james.say("put £500 in a 6 month fixed deposit from my current account")
    said = text_of(reply)
    assert "A 6-month deposit can be from £1,000.00 to £250,000.00, so £500.00 won't work" in said
    assert reply["state"]["awaiting"] == "amount"
    reply = james.say("£300,000")
    assert "so £300,000.00 won't work" in text_of(reply)
    reply = james.say("£5,000")
    said = text_of(reply)
    assert "has £1,275.40 in it, so I can't put £5,000.00 into a deposit" in said
    assert reply["state"]["awaiting"] == "amount"
    reply = james.say("cancel")
    assert reply["state"]["flow"] is None
    assert balance(db, "acc-002-current") == before
    assert len(rows(db, "SELECT id FROM fixed_deposits")) == deposits


def test_an_unknown_term_is_answered_with_the_terms_there_are(
    own: tuple[Stack, Path], rest: httpx.Client
) -> None:
    james = sign_in(rest, "cust-002")
    reply = james.say("open a 9 month fixed term deposit")
    said = text_of(reply)
    assert 'I can\'t open a deposit for "9-month"' in said
    assert "3-month, 6-month, 12-month, 24-month" in said
    assert reply["state"]["awaiting"] == "deposit_term"
    reply = james.press(reply, "24 months")
    assert reply["state"]["awaiting"] == "source_account"


def test_a_wrong_code_opens_nothing(own: tuple[Stack, Path], rest: httpx.Client) -> None:
    _, db = own
    james = sign_in(rest, "cust-002")
    before = balance(db, "acc-002-savings")
    deposits = len(rows(db, "SELECT id FROM fixed_deposits WHERE customer_id = 'cust-002'"))
    reply = james.say("open a 3 month fixed deposit with £1,000 from my savings")
    assert "3-month fixed-term deposit of £1,000.00 at 4.10% AER" in text_of(reply)
    reply = james.press(reply, "Yes, open it")
    assert reply["state"]["awaiting"] == "otp"
    code = james.latest_code()
    wrong = "000000" if code != "000000" else "111111"
    reply = james.say(wrong)
    assert reply["state"]["awaiting"] == "otp"
    assert balance(db, "acc-002-savings") == before
    assert len(rows(db, "SELECT id FROM fixed_deposits WHERE customer_id = 'cust-002'")) == deposits


async def test_the_banks_deposit_api_refuses_bad_input_and_replays_a_key(
    own: tuple[Stack, Path],
) -> None:
    stack, db = own
    async with BankClient(stack.bank_url, stack.bank_api_key) as bank:
        for term, amount, code in (
            (9, Decimal("2000"), "term_unknown"),
            (12, Decimal("999.99"), "amount_out_of_bounds"),
            (12, Decimal("250000.01"), "amount_out_of_bounds"),
            (12, Decimal("200000"), "insufficient_funds"),
        ):
            with pytest.raises(BankRejected) as refused:
                await bank.open_fixed_deposit(
                    "cust-003",
                    term_months=term,
                    amount=amount,
                    source_account_id="acc-003-current",
                    idempotency_key=f"bad-{term}-{amount}",
                )
            assert refused.value.code == code
        assert rows(db, "SELECT id FROM fixed_deposits WHERE customer_id = 'cust-003'") == []
        with pytest.raises(BankRejected) as refused:
            await bank.open_fixed_deposit(
                "cust-003",
                term_months=12,
                amount=Decimal("1000"),
                source_account_id="acc-003-card",
                idempotency_key="from-a-card",
            )
        assert refused.value.code == "account_not_eligible"
        before = balance(db, "acc-002-savings")
        made = len(rows(db, "SELECT id FROM fixed_deposits WHERE customer_id = 'cust-002'"))
        sent = {
            "term_months": 6,
            "amount": Decimal("1000"),
            "source_account_id": "acc-002-savings",
            "idempotency_key": "once",
        }
        first = await bank.open_fixed_deposit("cust-002", **sent)
        again = await bank.open_fixed_deposit("cust-002", **sent)
        assert again.id == first.id
        assert balance(db, "acc-002-savings") == before - 100_000
        now = len(rows(db, "SELECT id FROM fixed_deposits WHERE customer_id = 'cust-002'"))
        assert now == made + 1


def test_loan_balance_next_payment_and_a_quote_are_the_banks(
    own: tuple[Stack, Path], rest: httpx.Client
) -> None:
    _, db = own
    [loan] = rows(db, "SELECT * FROM loans WHERE customer_id = 'cust-001'")
    emma = sign_in(rest, "cust-001")
    said = text_of(emma.say("how much do I still owe on my loan"))
    owed = f"£{loan['balance_minor'] / 100:,.2f}"
    assert f"You still owe {owed}" in said and "6.9% APR" in said
    assert f"{loan['payments_left']} payments" in said
    said = text_of(emma.say("when is my next loan payment"))
    assert f"£{loan['monthly_payment_minor'] / 100:,.2f}" in said
    due = loan["next_payment_on"]  # ISO text in SQLite
    year, _month, day_ = (int(p) for p in due.split("-"))
    assert f" {day_} " in said and str(year) in said
    reply = emma.say("how much would it cost to pay off my loan early")
    said = text_of(reply)
    [quote] = rows(db, "SELECT * FROM loan_quotes WHERE customer_id = 'cust-001'")
    assert f"you'd pay £{quote['total_minor'] / 100:,.2f}" in said
    assert f"early repayment charge of £{quote['charge_minor'] / 100:,.2f}" in said
    assert quote["charge_minor"] == round(loan["balance_minor"] / 100), "1%: 28 payments left"
    assert "holds for 10 minutes, until" in said and quote["id"] in said
    aisha = sign_in(rest, "cust-003")
    reply = aisha.say("how much do I owe on my loan")
    assert "You don't have a loan with us" in text_of(reply)
    assert rows(db, "SELECT id FROM loan_quotes WHERE customer_id = 'cust-003'") == []


def test_deposit_rates_are_public(own: tuple[Stack, Path], rest: httpx.Client) -> None:
    visitor = Customer(rest, None, None)
    said = text_of(visitor.say("what rates do you pay on a 12-month deposit"))
    assert "A 12-month fixed-term deposit pays 4.40% AER" in said
    assert "£10,000.00 would earn £440.00" in said
    said = text_of(visitor.say("what are your fixed term deposit rates"))
    assert "3-month: 4.10% AER" in said and "24-month: 4.00% AER" in said
    reply = visitor.say("open a fixed term deposit")
    assert "I need to know it's you" in text_of(reply)


def test_a_loan_application_is_decided_stored_and_its_status_answered(
    own: tuple[Stack, Path], rest: httpx.Client
) -> None:
    _, db = own
    emma = sign_in(rest, "cust-001")
    reply = emma.say("I want to apply for a loan")
    assert "from £1,000.00 to £25,000.00" in text_of(reply)
    reply = emma.say("£50,000")
    assert "so I can't apply for £50,000.00" in text_of(reply)
    assert reply["state"]["awaiting"] == "amount"
    reply = emma.say("£5,000")
    assert reply["state"]["awaiting"] == "loan_purpose"
    reply = emma.press(reply, "A car")
    assert reply["state"]["awaiting"] == "annual_income"
    reply = emma.say("lots")
    assert "I need your yearly income as an amount of money" in text_of(reply)
    reply = emma.say("about 40k a year")
    assert reply["state"]["awaiting"] == "employment_status"
    reply = emma.press(reply, "Employed")
    assert reply["state"]["awaiting"] == "housing_costs"
    reply = emma.say("£900 a month")
    said = text_of(reply)
    assert "apply for a £5,000.00 personal loan for a car" in said
    assert "£40,000.00 a year" in said and "£900.00 a month" in said
    assert rows(db, "SELECT id FROM product_applications WHERE customer_id = 'cust-001'") == []
    said = text_of(emma.press(reply, "Yes, apply"))
    assert "approved at 9.9% APR" in said
    found = re.search(r"Reference: (APP-[0-9A-F]+)", said)
    assert found, said
    [stored] = rows(db, "SELECT * FROM product_applications WHERE id = ?", found.group(1))
    assert stored["customer_id"] == "cust-001" and stored["product"] == "personal_loan"
    assert stored["amount_minor"] == 500_000 and stored["purpose"] == "car"
    assert stored["annual_income_minor"] == 4_000_000 and stored["housing_minor"] == 90_000
    assert stored["employment_status"] == "employed" and stored["status"] == "Approved"
    said = text_of(emma.say("where's my application"))
    assert found.group(1) in said and "approved" in said


def test_a_referred_card_application_blocks_a_second_until_decided(
    own: tuple[Stack, Path], rest: httpx.Client
) -> None:
    _, db = own
    james = sign_in(rest, "cust-002")
    james.say("I want to apply for a credit card")
    james.say("28k")
    reply = james.say("I'm a student")
    assert reply["state"]["awaiting"] == "housing_costs", text_of(reply)
    reply = james.say("nothing, I live with my parents")
    assert "£0.00 a month" in text_of(reply)
    said = text_of(james.press(reply, "Yes, apply"))
    assert "needs a colleague to look at it" in said
    [stored] = rows(db, "SELECT * FROM product_applications WHERE customer_id = 'cust-002'")
    assert stored["status"] == "UnderReview" and stored["reason"] == "employment_check"
    reply = james.say("apply for a credit card")
    assert "still with a colleague" in text_of(reply) and stored["id"] in text_of(reply)
    assert reply["state"]["flow"] is None
    assert len(rows(db, "SELECT id FROM product_applications WHERE customer_id = 'cust-002'")) == 1
    said = text_of(james.say("any news on my application"))
    assert stored["id"] in said and "with a colleague" in said


def test_deposit_rates_with_the_bank_down_are_told_plainly(tmp_path: Path) -> None:
    with (
        running_stack(tmp_path, CONFIG) as stack,
        httpx.Client(base_url=stack.teller.base_url, timeout=30) as http,
    ):
        emma = sign_in(http, "cust-001")
        stack.bank.stop()
        said = text_of(emma.say("open a 12 month fixed deposit")).lower()
        assert "can't reach the bank" in said and "nothing has changed" in said
        said = text_of(emma.say("how much do i still owe on my loan")).lower()
        assert "can't reach the bank" in said
