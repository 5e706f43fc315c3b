"""Transfer behaviour every sandbox database must show; run on SQLite and on PostgreSQL.

Subclasses named Test* collect these tests; the `database_url` fixture picks the database.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx

from tests.sandbox.helpers import assert_ledger_balances


def payment(source: str, payee: str, amount: str, currency: str = "GBP") -> dict[str, Any]:
    return {
        "Data": {
            "Initiation": {
                "InstructedAmount": {"Amount": amount, "Currency": currency},
                "DebtorAccount": {"SchemeName": "Sandbox.AccountId", "Identification": source},
                "CreditorAccount": {"SchemeName": "Sandbox.BeneficiaryId", "Identification": payee},
                "RemittanceInformation": {"Reference": "Test"},
            }
        }
    }


async def pay(api: httpx.AsyncClient, customer: str, body: dict[str, Any], key: str | None = None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return await api.post(f"/customers/{customer}/domestic-payments", json=body, headers=headers)


async def balance(api: httpx.AsyncClient, customer: str, account: str) -> Decimal:
    response = await api.get(f"/customers/{customer}/accounts/{account}/balances")
    item = response.json()["Data"]["Balance"][0]
    amount = Decimal(item["Amount"]["Amount"])
    return -amount if item["CreditDebitIndicator"] == "Debit" else amount


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


class TransferContract:
    async def test_payment_debits_once_and_reports_new_balance(self, api: httpx.AsyncClient):
        before = await balance(api, "cust-001", "acc-001-current")
        response = await pay(api, "cust-001", payment("acc-001-current", "payee-001-01", "50.00"))
        assert response.status_code == 201
        data = response.json()["Data"]
        assert data["Status"] == "AcceptedSettlementCompleted"
        assert data["Initiation"]["CreditorAccount"]["Name"] == "Alice Johnson"
        assert Decimal(data["Balance"]["Amount"]["Amount"]) == before - Decimal("50.00")
        assert await balance(api, "cust-001", "acc-001-current") == before - Decimal("50.00")
        fetched = await api.get(
            f"/customers/cust-001/domestic-payments/{data['DomesticPaymentId']}"
        )
        assert fetched.json()["Data"]["DomesticPaymentId"] == data["DomesticPaymentId"]

    async def test_same_key_returns_first_payment_and_never_debits_twice(self, api):
        before = await balance(api, "cust-001", "acc-001-current")
        body = payment("acc-001-current", "payee-001-02", "12.34")
        first = await pay(api, "cust-001", body, key="replay-key-1")
        again = await pay(api, "cust-001", body, key="replay-key-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["Data"] == first.json()["Data"]
        assert await balance(api, "cust-001", "acc-001-current") == before - Decimal("12.34")

    async def test_same_key_with_different_body_is_refused(self, api):
        first = await pay(
            api, "cust-001", payment("acc-001-current", "payee-001-02", "5.00"), "k-2"
        )
        before = await balance(api, "cust-001", "acc-001-current")
        other = await pay(
            api, "cust-001", payment("acc-001-current", "payee-001-02", "6.00"), "k-2"
        )
        assert first.status_code == 201
        assert other.status_code == 409
        assert error_code(other) == "idempotency_key_reused"
        assert await balance(api, "cust-001", "acc-001-current") == before

    async def test_concurrent_double_submit_debits_once(self, api):
        before = await balance(api, "cust-001", "acc-001-current")
        body = payment("acc-001-current", "payee-001-01", "7.00")
        responses = await asyncio.gather(
            *(pay(api, "cust-001", body, "race-key") for _ in range(6))
        )
        assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
        assert len({r.json()["Data"]["DomesticPaymentId"] for r in responses}) == 1
        assert await balance(api, "cust-001", "acc-001-current") == before - Decimal("7.00")

    async def test_concurrent_payments_cannot_overdraw(self, api):
        before = await balance(api, "cust-003", "acc-003-current")  # 184.27 after seeding
        body = payment("acc-003-current", "payee-003-01", "100.00")
        responses = await asyncio.gather(*(pay(api, "cust-003", body) for _ in range(3)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [201, 422, 422]
        refused = [r for r in responses if r.status_code == 422]
        assert {error_code(r) for r in refused} == {"insufficient_funds"}
        assert await balance(api, "cust-003", "acc-003-current") == before - Decimal("100.00")

    async def test_insufficient_funds_is_refused_and_replays_the_same(self, api):
        before = await balance(api, "cust-003", "acc-003-current")
        body = payment("acc-003-current", "payee-003-02", f"{before + 1:.2f}")
        refused = await pay(api, "cust-003", body, key="broke-1")
        again = await pay(api, "cust-003", body, key="broke-1")
        assert refused.status_code == again.status_code == 422
        assert error_code(refused) == error_code(again) == "insufficient_funds"
        assert await balance(api, "cust-003", "acc-003-current") == before

    async def test_daily_limit_counts_every_payment_of_the_day(self, api):
        first = await pay(api, "cust-002", payment("acc-002-savings", "payee-002-03", "1500.00"))
        over = await pay(api, "cust-002", payment("acc-002-savings", "payee-002-03", "600.00"))
        assert first.status_code == 201
        assert over.status_code == 422
        assert error_code(over) == "daily_limit_exceeded"
        within = await pay(api, "cust-002", payment("acc-002-current", "payee-002-03", "500.00"))
        assert within.status_code == 201

    async def test_ledger_balances_after_payments(self, api, database_url: str):
        await assert_ledger_balances(database_url)
