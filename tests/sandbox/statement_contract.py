"""Account statements from the ledger, which every sandbox database must get right; run on
SQLite (test_account_statements.py) and PostgreSQL (test_account_statements_postgres.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx

from tests.sandbox.helpers import code, send, transfer

PATH = "/customers/{}/accounts/{}/account-statement"


async def today(api: httpx.AsyncClient) -> date:
    body = (await api.get("/sandbox/clock")).json()
    return date.fromisoformat(body["Data"]["Clock"]["Date"])


async def statement(
    api: httpx.AsyncClient,
    start: date | str,
    end: date | str,
    account: str = "acc-001-current",
    customer: str = "cust-001",
) -> httpx.Response:
    return await api.get(
        PATH.format(customer, account),
        params={"fromBookingDate": str(start), "toBookingDate": str(end)},
    )


def signed(item: dict) -> Decimal:
    amount = Decimal(item["Amount"]["Amount"])
    return -amount if item["CreditDebitIndicator"] == "Debit" else amount


def row_amount(row: dict) -> Decimal:
    amount = Decimal(row["Amount"]["Amount"])
    return -amount if row["CreditDebitIndicator"] == "Debit" else amount


class StatementContract:
    async def test_the_totals_add_up_and_the_rows_are_the_banks_transactions(self, api):
        end = await today(api) - timedelta(days=1)
        start = end - timedelta(days=29)
        response = await statement(api, start, end)
        assert response.status_code == 200, response.text
        data = response.json()["Data"]["AccountStatement"]
        rows = data["Transaction"]
        assert (data["StartDate"], data["EndDate"]) == (start.isoformat(), end.isoformat())
        credits = sum((row_amount(r) for r in rows if row_amount(r) > 0), Decimal(0))
        debits = -sum((row_amount(r) for r in rows if row_amount(r) < 0), Decimal(0))
        assert Decimal(data["TotalCredits"]["Amount"]) == credits
        assert Decimal(data["TotalDebits"]["Amount"]) == debits
        assert signed(data["ClosingBalance"]) == signed(data["OpeningBalance"]) + credits - debits
        assert signed(rows[-1]["Balance"]) == signed(data["ClosingBalance"])
        listed = (
            await api.get(
                "/customers/cust-001/accounts/acc-001-current/transactions",
                params={
                    "fromBookingDateTime": start.isoformat(),
                    "toBookingDateTime": end.isoformat(),
                    "limit": 500,
                },
            )
        ).json()["Data"]["Transaction"]
        assert [r["TransactionId"] for r in rows] == [t["TransactionId"] for t in reversed(listed)]
        assert [r["BookingDateTime"] for r in rows] == sorted(r["BookingDateTime"] for r in rows)

    async def test_a_statement_to_today_closes_on_the_current_balance(self, api):
        now = await today(api)
        paid = await send(
            api,
            "POST",
            "/customers/cust-001/domestic-payments",
            transfer("acc-001-current", "Sandbox.BeneficiaryId", "payee-001-01", "12.34"),
        )
        assert paid.status_code == 201, paid.text
        data = (await statement(api, now - timedelta(days=6), now)).json()["Data"][
            "AccountStatement"
        ]
        balance = (await api.get("/customers/cust-001/accounts/acc-001-current/balances")).json()
        assert signed(data["ClosingBalance"]) == signed(balance["Data"]["Balance"][0])
        assert data["Transaction"][-1]["Amount"]["Amount"] == "12.34"

    async def test_a_range_from_before_the_account_opened_starts_on_its_opening_day(self, api):
        now = await today(api)
        data = (await statement(api, now - timedelta(days=200), now - timedelta(days=60))).json()[
            "Data"
        ]["AccountStatement"]
        assert data["StartDate"] == data["OpeningDate"]
        assert signed(data["OpeningBalance"]) == 0
        assert data["Transaction"][0]["TransactionInformation"] == "OPENING BALANCE"

    async def test_the_bank_holds_nothing_before_the_account_opened_nor_after_today(self, api):
        now = await today(api)
        before = await statement(api, now - timedelta(days=300), now - timedelta(days=200))
        assert before.status_code == 422
        assert code(before) == "statement_before_account_opened"
        future = await statement(api, now + timedelta(days=1), now + timedelta(days=30))
        assert future.status_code == 422
        assert code(future) == "statement_in_future"
        running_on = (
            await statement(api, now - timedelta(days=3), now + timedelta(days=30))
        ).json()
        assert running_on["Data"]["AccountStatement"]["EndDate"] == now.isoformat()

    async def test_another_customers_account_is_not_found(self, api):
        now = await today(api)
        response = await statement(api, now - timedelta(days=5), now, account="acc-002-current")
        assert response.status_code == 404
        assert code(response) == "account_not_found"
        unknown = await statement(api, now, now, customer="cust-999")
        assert code(unknown) == "customer_not_found"

    async def test_bad_ranges_are_refused(self, api):
        now = await today(api)
        for start, end in (
            ("not-a-date", now),
            (now, now - timedelta(days=1)),
            (now - timedelta(days=400), now),
        ):
            response = await statement(api, start, end)
            assert response.status_code == 400, (start, end)
            assert code(response) == "invalid_request"
        missing = await api.get(PATH.format("cust-001", "acc-001-current"))
        assert code(missing) == "invalid_request"
