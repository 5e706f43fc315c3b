"""Loans, deposits and applications as every sandbox database must keep them; SQLite and
PostgreSQL. One bank per module: the tests run in order."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from sandbox.db import audit_log, postings
from sandbox.loans import applications, decide, fixed_deposits
from tests.sandbox.helpers import assert_ledger_balances, balance, bank_db, code, new_key, send

DEPOSITS = "/customers/{}/fixed-deposits"
APPLY = "/customers/{}/applications"


def deposit(term: int, amount: str, source: str) -> dict:
    return {
        "Data": {
            "FixedDeposit": {
                "TermMonths": term,
                "Amount": {"Amount": amount, "Currency": "GBP"},
                "SourceAccountId": source,
            }
        }
    }


def application(product: str, income: str, employment: str, housing: str, amount=None) -> dict:
    given = {
        "Product": product,
        "AnnualIncome": {"Amount": income, "Currency": "GBP"},
        "EmploymentStatus": employment,
        "MonthlyHousingCosts": {"Amount": housing, "Currency": "GBP"},
    }
    if amount:
        given["Amount"] = {"Amount": amount, "Currency": "GBP"}
        given["Purpose"] = "car"
    return {"Data": {"Application": given}}


class LoansContract:
    async def test_seeded_loans_rates_and_deposits(self, api) -> None:
        [loan] = (await api.get("/customers/cust-001/loans")).json()["Data"]["Loan"]
        assert loan["OutstandingBalance"]["Amount"] == "6412.38"
        assert loan["PaymentsRemaining"] == 28 and loan["Rate"] == "6.9"
        assert (await api.get("/customers/cust-002/loans")).json()["Data"]["Loan"]
        assert (await api.get("/customers/cust-003/loans")).json()["Data"]["Loan"] == []
        rates = (await api.get("/deposit-products")).json()["Data"]["DepositProduct"]
        assert [r["TermMonths"] for r in rates] == [3, 6, 12, 24]
        [seeded] = (await api.get(DEPOSITS.format("cust-001"))).json()["Data"]["FixedDeposit"]
        assert seeded["AtMaturity"] == "PayToAccount" and seeded["Balance"]["Amount"] == "5000.00"

    async def test_a_quote_holds_ten_minutes_and_is_audited(self, api, database_url) -> None:
        response = await send(api, "POST", "/customers/cust-001/loans/loan-001/settlement-quotes")
        assert response.status_code == 201, response.text
        quote = response.json()["Data"]["SettlementQuote"]
        made = datetime.fromisoformat(quote["CreationDateTime"])
        assert datetime.fromisoformat(quote["ExpirationDateTime"]) - made == timedelta(minutes=10)
        assert quote["EarlyRepaymentCharge"]["Amount"] == "64.12"
        total = sum(
            float(quote[k]["Amount"])
            for k in ("OutstandingBalance", "AccruedInterest", "EarlyRepaymentCharge")
        )
        assert abs(total - float(quote["SettlementAmount"]["Amount"])) < 0.005
        other = await send(api, "POST", "/customers/cust-003/loans/loan-001/settlement-quotes")
        assert other.status_code == 404 and code(other) == "loan_not_found"
        async with bank_db(database_url) as conn:
            found = await conn.execute(
                select(audit_log).where(audit_log.c.resource_id == quote["QuoteId"])
            )
            assert len(found.all()) == 1

    async def test_a_deposit_is_one_transaction_and_replays_by_key(self, api, database_url) -> None:
        before = await balance(api, "cust-002", "acc-002-savings")
        key = new_key()
        first = await send(
            api, "POST", DEPOSITS.format("cust-002"), deposit(12, "2500.00", "acc-002-savings"), key
        )
        assert first.status_code == 201, first.text
        made = first.json()["Data"]["FixedDeposit"]
        assert made["InterestAtMaturity"]["Amount"] == "110.00"
        again = await send(
            api, "POST", DEPOSITS.format("cust-002"), deposit(12, "2500.00", "acc-002-savings"), key
        )
        assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["Data"]["FixedDeposit"]["DepositId"] == made["DepositId"]
        assert await balance(api, "cust-002", "acc-002-savings") == before - 2500
        async with bank_db(database_url) as conn:
            legs = (
                await conn.execute(
                    select(postings.c.account_id, postings.c.amount_minor).where(
                        postings.c.transaction_id == made["TransactionId"]
                    )
                )
            ).all()
            assert sorted(legs) == [("acc-002-savings", -250_000), ("int-term-deposits", 250_000)]
        await assert_ledger_balances(database_url)

    async def test_bad_deposits_change_nothing(self, api, database_url) -> None:
        before = await balance(api, "cust-003", "acc-003-current")
        cases = [
            (deposit(9, "1000.00", "acc-003-current"), 422, "term_unknown"),
            (deposit(12, "999.99", "acc-003-current"), 422, "amount_out_of_bounds"),
            (deposit(12, "250000.01", "acc-003-current"), 422, "amount_out_of_bounds"),
            (deposit(12, "1000.00", "acc-003-current"), 422, "insufficient_funds"),
            (deposit(12, "1000.00", "acc-003-card"), 422, "account_not_eligible"),
            (deposit(12, "1000.00", "acc-001-current"), 404, "account_not_found"),
        ]
        for body, status, error in cases:
            response = await send(api, "POST", DEPOSITS.format("cust-003"), body)
            assert (response.status_code, code(response)) == (status, error), response.text
        no_key = await api.post(DEPOSITS.format("cust-003"), json=deposit(12, "1000", "x"))
        assert code(no_key) == "idempotency_key_required"
        assert await balance(api, "cust-003", "acc-003-current") == before
        async with bank_db(database_url) as conn:
            mine = await conn.execute(
                select(fixed_deposits).where(fixed_deposits.c.customer_id == "cust-003")
            )
            assert mine.all() == []

    async def test_applications_are_decided_stored_and_one_reviewed_at_a_time(
        self, api, database_url
    ) -> None:
        loan = await send(
            api,
            "POST",
            APPLY.format("cust-001"),
            application("personal_loan", "40000", "employed", "900", "5000"),
        )
        assert loan.status_code == 201, loan.text
        assert loan.json()["Data"]["Application"]["Status"] == "Approved"
        too_big = await send(
            api,
            "POST",
            APPLY.format("cust-001"),
            application("personal_loan", "90000", "employed", "0", "30000"),
        )
        assert code(too_big) == "amount_out_of_bounds"
        card = await send(
            api,
            "POST",
            APPLY.format("cust-002"),
            application("credit_card", "28000", "student", "0"),
        )
        assert card.json()["Data"]["Application"]["Status"] == "UnderReview"
        second = await send(
            api,
            "POST",
            APPLY.format("cust-002"),
            application("credit_card", "28000", "employed", "0"),
        )
        assert second.status_code == 409 and code(second) == "application_in_progress"
        listed = (await api.get(APPLY.format("cust-002"))).json()["Data"]["Application"]
        assert [a["Status"] for a in listed] == ["UnderReview"]
        async with bank_db(database_url) as conn:
            rows = await conn.execute(select(applications))
            assert len(rows.all()) == 2


def test_the_lending_rule() -> None:
    assert decide("credit_card", None, 700_000, "employed", 0).reason == "income_too_low"
    assert decide("credit_card", None, 3_000_000, "employed", 130_000).status == "Declined"
    assert decide("personal_loan", 2_000_000, 3_000_000, "employed", 0).status == "Declined"
    assert decide("personal_loan", 500_000, 3_000_000, "unemployed", 0).status == "UnderReview"
    assert decide("personal_loan", 1_000_000, 3_000_000, "employed", 0).reason == (
        "affordability_check"
    )
    approved = decide("personal_loan", 500_000, 3_000_000, "employed", 50_000)
    assert (approved.status, approved.rate) == ("Approved", "9.9")
    card = decide("credit_card", None, 9_900_000, "retired", 100_000)
    assert (card.status, card.credit_limit_minor) == ("Approved", 500_000)
