"""Budgets and their alerts as every sandbox database must keep them; SQLite and PostgreSQL.

One bank per module: the tests run in order on cust-003's groceries (5411, 5499) and
cust-001's eating out, so a month's alerts are raised by the test that crosses the mark.
"""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from sandbox.budgets import budget_alerts
from sandbox.db import audit_log
from tests.sandbox.helpers import assert_ledger_balances, balance, bank_db, code, send

GROCERIES = ["5411", "5422", "5441", "5451", "5462", "5499"]
BUDGETS = "/customers/{}/budgets"
ALERTS = "/customers/{}/budget-alerts"
CARD_PAYMENTS = "/sandbox/customers/{}/card-payments"


def budget(category: str, amount: str, codes: list[str] = GROCERIES) -> dict:
    return {
        "Data": {
            "Budget": {
                "Category": category,
                "MerchantCategoryCodes": codes,
                "Amount": {"Amount": amount, "Currency": "GBP"},
            }
        }
    }


def card_payment(card: str, amount: str, merchant: str = "Tesco", mcc: str = "5411") -> dict:
    return {
        "Data": {
            "CardPayment": {
                "CardId": card,
                "InstructedAmount": {"Amount": amount, "Currency": "GBP"},
                "MerchantName": merchant,
                "MerchantCategoryCode": mcc,
            }
        }
    }


async def listed(api, customer: str) -> dict[str, dict]:
    response = await api.get(BUDGETS.format(customer))
    assert response.status_code == 200, response.text
    return {b["Category"]: b for b in response.json()["Data"]["Budget"]}


async def new_alerts(api, customer: str) -> list[dict]:
    response = await api.get(ALERTS.format(customer), params={"status": "new"})
    assert response.status_code == 200, response.text
    return response.json()["Data"]["BudgetAlert"]


class BudgetContract:
    async def test_a_budget_is_created_once_per_key_and_audited(self, api, database_url):
        first = await send(
            api, "POST", BUDGETS.format("cust-003"), budget("groceries", "0.01"), "b1"
        )
        again = await send(
            api, "POST", BUDGETS.format("cust-003"), budget("groceries", "0.01"), "b1"
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.headers["Idempotent-Replayed"] == "true"
        made = first.json()["Data"]["Budget"]
        assert made["Amount"] == {"Amount": "0.01", "Currency": "GBP"}
        assert made["Period"]["FromDate"].endswith("-01")
        second = await send(api, "POST", BUDGETS.format("cust-003"), budget("groceries", "9.00"))
        assert (second.status_code, code(second)) == (409, "budget_exists")
        reused = await send(
            api, "POST", BUDGETS.format("cust-003"), budget("groceries", "2.00"), "b1"
        )
        assert (reused.status_code, code(reused)) == (409, "idempotency_key_reused")
        async with bank_db(database_url) as conn:
            rows = await conn.execute(
                select(audit_log).where(audit_log.c.resource_id == made["BudgetId"])
            )
            [audit] = rows.mappings().all()
        assert (audit["actor"], audit["action"], audit["before"]) == (
            "customer:cust-003",
            "budget.create",
            None,
        )
        assert json.loads(audit["after"])["codes"] == GROCERIES

    async def test_spent_is_this_month_of_the_codes_and_a_change_is_audited(
        self, api, database_url
    ):
        mine = (await listed(api, "cust-003"))["groceries"]
        response = await send(
            api,
            "PATCH",
            f"{BUDGETS.format('cust-003')}/{mine['BudgetId']}",
            {"Data": {"Budget": {"Amount": {"Amount": "500.00", "Currency": "GBP"}}}},
        )
        assert response.status_code == 200, response.text
        changed = response.json()["Data"]["Budget"]
        assert changed["Amount"]["Amount"] == "500.00"
        start, end = changed["Period"]["FromDate"], changed["Period"]["AsOfDate"]
        rows = await api.get(
            "/customers/cust-003/transactions",
            params={"fromBookingDateTime": start, "toBookingDateTime": end, "limit": 500},
        )
        expected = sum(
            (
                Decimal(t["Amount"]["Amount"])
                for t in rows.json()["Data"]["Transaction"]
                if t["CreditDebitIndicator"] == "Debit"
                and (t.get("MerchantDetails") or {}).get("MerchantCategoryCode") in GROCERIES
            ),
            Decimal("0"),
        )
        assert Decimal(changed["Spent"]["Amount"]) == expected
        async with bank_db(database_url) as conn:
            rows = await conn.execute(
                select(audit_log.c.action, audit_log.c.before, audit_log.c.after).where(
                    audit_log.c.resource_id == mine["BudgetId"],
                    audit_log.c.action == "budget.change",
                )
            )
            [audit] = rows.all()
        assert json.loads(audit.before)["amount_minor"] == int(
            Decimal(mine["Amount"]["Amount"]) * 100
        )
        assert json.loads(audit.after)["amount_minor"] == 50000

    async def test_a_card_payment_past_80_and_100_percent_alerts_once_each(self, api, database_url):
        mine = (await listed(api, "cust-003"))["groceries"]
        spent = Decimal(mine["Spent"]["Amount"])
        # A budget whose 80% mark is exactly what is spent after £85 more.
        target = ((spent + Decimal("85.00")) / Decimal("0.8")).quantize(
            Decimal("0.01"), "ROUND_DOWN"
        )
        await send(
            api,
            "PATCH",
            f"{BUDGETS.format('cust-003')}/{mine['BudgetId']}",
            {"Data": {"Budget": {"Amount": {"Amount": f"{target:.2f}", "Currency": "GBP"}}}},
        )
        assert await new_alerts(api, "cust-003") == []
        before = await balance(api, "cust-003", "acc-003-current")
        small = await send(
            api, "POST", CARD_PAYMENTS.format("cust-003"), card_payment("card-003-debit", "70.00")
        )
        assert small.status_code == 201, small.text
        assert await new_alerts(api, "cust-003") == [], "70% is not past 80%"
        key = "pay-85"
        crossing = card_payment("card-003-debit", "15.00")
        first = await send(api, "POST", CARD_PAYMENTS.format("cust-003"), crossing, key)
        again = await send(api, "POST", CARD_PAYMENTS.format("cust-003"), crossing, key)
        assert (first.status_code, again.status_code) == (201, 200)
        assert await balance(api, "cust-003", "acc-003-current") == before - Decimal("85.00")
        [alert] = await new_alerts(api, "cust-003")
        assert (alert["Category"], alert["Threshold"], alert["Status"]) == ("groceries", 80, "New")
        assert Decimal(alert["Spent"]["Amount"]) == spent + Decimal("85.00")
        assert alert["TransactionId"] == first.json()["Data"]["CardPayment"]["TransactionId"]
        await send(
            api, "POST", CARD_PAYMENTS.format("cust-003"), card_payment("card-003-debit", "1.00")
        )
        assert len(await new_alerts(api, "cust-003")) == 1, "80% alerts once a month"
        other = card_payment("card-003-debit", "40.00", "Pret A Manger", "5812")
        await send(api, "POST", CARD_PAYMENTS.format("cust-003"), other)
        assert len(await new_alerts(api, "cust-003")) == 1, "eating out is not groceries"
        rest = target - spent - Decimal("86.00")  # exactly 100% of the budget
        full = await send(
            api,
            "POST",
            CARD_PAYMENTS.format("cust-003"),
            card_payment("card-003-debit", f"{rest:.2f}"),
        )
        assert full.status_code == 201, full.text
        alerts = await new_alerts(api, "cust-003")
        assert [a["Threshold"] for a in alerts] == [100, 80]
        await assert_ledger_balances(database_url)
        async with bank_db(database_url) as conn:
            rows = await conn.execute(select(budget_alerts.c.threshold))
            assert sorted(r.threshold for r in rows) == [80, 100]
            audited = await conn.execute(
                select(audit_log.c.actor).where(audit_log.c.action == "budget_alert.create")
            )
            assert [r.actor for r in audited] == ["bank:budgets", "bank:budgets"]

    async def test_an_alert_is_acknowledged_once(self, api):
        alerts = await new_alerts(api, "cust-003")
        path = f"{ALERTS.format('cust-003')}/{alerts[0]['AlertId']}/acknowledge"
        first = await send(api, "POST", path, None, "ack-1")
        replay = await send(api, "POST", path, None, "ack-1")
        other = await send(api, "POST", path, None, "ack-2")
        assert (first.status_code, replay.status_code) == (200, 200)
        assert first.json()["Data"]["BudgetAlert"]["Status"] == "Acknowledged"
        assert (other.status_code, code(other)) == (409, "budget_alert_acknowledged")
        assert [a["AlertId"] for a in await new_alerts(api, "cust-003")] == [alerts[1]["AlertId"]]
        foreign = await send(
            api, "POST", f"{ALERTS.format('cust-001')}/{alerts[1]['AlertId']}/acknowledge"
        )
        assert (foreign.status_code, code(foreign)) == (404, "budget_alert_not_found")

    async def test_another_customers_budget_is_not_found(self, api):
        mine = (await listed(api, "cust-003"))["groceries"]
        path = f"{BUDGETS.format('cust-001')}/{mine['BudgetId']}"
        body = {"Data": {"Budget": {"Amount": {"Amount": "1.00", "Currency": "GBP"}}}}
        changed = await send(api, "PATCH", path, body)
        deleted = await send(api, "DELETE", path)
        assert (changed.status_code, code(changed)) == (404, "budget_not_found")
        assert (deleted.status_code, code(deleted)) == (404, "budget_not_found")
        assert "groceries" not in await listed(api, "cust-001")
        assert "groceries" in await listed(api, "cust-003")

    async def test_bad_budgets_and_card_payments_are_refused(self, api):
        cases = [
            (budget("eating_out", "0"), 400, "invalid_amount"),
            (budget("eating_out", "12.345"), 400, "invalid_amount"),
            (budget("eating_out", "10.00", ["54"]), 400, "invalid_request"),
            (budget("eating_out", "10.00", ["5999-5000"]), 400, "invalid_request"),
            (budget("Eating Out", "10.00"), 400, "invalid_request"),
        ]
        for body, status, error in cases:
            response = await send(api, "POST", BUDGETS.format("cust-001"), body)
            assert (response.status_code, code(response)) == (status, error), body
        euros = budget("eating_out", "10.00")
        euros["Data"]["Budget"]["Amount"]["Currency"] = "EUR"
        response = await send(api, "POST", BUDGETS.format("cust-001"), euros)
        assert (response.status_code, code(response)) == (422, "currency_unsupported")
        no_key = await api.post(BUDGETS.format("cust-001"), json=budget("eating_out", "10.00"))
        assert (no_key.status_code, code(no_key)) == (400, "idempotency_key_required")
        foreign = await send(
            api, "POST", CARD_PAYMENTS.format("cust-001"), card_payment("card-003-debit", "1.00")
        )
        assert (foreign.status_code, code(foreign)) == (404, "card_not_found")
        huge = await send(
            api,
            "POST",
            CARD_PAYMENTS.format("cust-003"),
            card_payment("card-003-debit", "999999.00"),
        )
        assert (huge.status_code, code(huge)) == (422, "insufficient_funds")

    async def test_a_deleted_budget_is_gone_and_audited(self, api, database_url):
        mine = (await listed(api, "cust-003"))["groceries"]
        path = f"{BUDGETS.format('cust-003')}/{mine['BudgetId']}"
        first = await send(api, "DELETE", path, None, "del-1")
        again = await send(api, "DELETE", path, None, "del-1")
        assert (first.status_code, again.status_code) == (200, 200)
        assert "groceries" not in await listed(api, "cust-003")
        assert await new_alerts(api, "cust-003") == [], "its alerts not told are closed with it"
        async with bank_db(database_url) as conn:
            rows = await conn.execute(
                select(audit_log.c.before, audit_log.c.after).where(
                    audit_log.c.resource_id == mine["BudgetId"],
                    audit_log.c.action == "budget.delete",
                )
            )
            [audit] = rows.all()
        assert audit.after is None and json.loads(audit.before)["category"] == "groceries"
