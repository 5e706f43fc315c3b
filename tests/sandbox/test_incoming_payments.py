"""Money arriving from another bank (the sandbox-only incoming-payments route): the account
gains exactly the amount once however often the request is retried, the ledger still
balances, and nobody can pay into another customer's account or an account that is not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.sandbox.helpers import assert_ledger_balances, balance, code, new_key, send

PATH = "/sandbox/customers/{}/incoming-payments"


def incoming(account: str, amount: str, currency: str = "GBP") -> dict[str, Any]:
    return {
        "Data": {
            "IncomingPayment": {
                "AccountId": account,
                "InstructedAmount": {"Amount": amount, "Currency": currency},
                "DebtorName": "Acme Payroll",
                "Reference": "Salary",
            }
        }
    }


async def test_money_in_is_booked_once_and_named(api: httpx.AsyncClient, database_url: str) -> None:
    before = await balance(api, "cust-001", "acc-001-current")
    key = new_key()
    body = incoming("acc-001-current", "1250.40")
    first = await send(api, "POST", PATH.format("cust-001"), body, key)
    again = await send(api, "POST", PATH.format("cust-001"), body, key)  # a retry
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()
    assert await balance(api, "cust-001", "acc-001-current") == before + Decimal("1250.40")
    booked = (await api.get("/customers/cust-001/accounts/acc-001-current/transactions")).json()
    descriptions = [t["TransactionInformation"] for t in booked["Data"]["Transaction"]]
    assert descriptions.count("ACME PAYROLL SALARY") == 1
    await assert_ledger_balances(database_url)


async def test_money_cannot_go_into_someone_elses_account(api: httpx.AsyncClient) -> None:
    before = await balance(api, "cust-002", "acc-002-current")
    response = await send(api, "POST", PATH.format("cust-001"), incoming("acc-002-current", "5"))
    assert (response.status_code, code(response)) == (404, "account_not_found")
    assert await balance(api, "cust-002", "acc-002-current") == before


async def test_bad_amounts_and_currencies_are_refused(api: httpx.AsyncClient) -> None:
    for body in (incoming("acc-001-current", "-5"), incoming("acc-001-current", "5", "EUR")):
        response = await send(api, "POST", PATH.format("cust-001"), body)
        assert response.status_code in (400, 422), response.text
