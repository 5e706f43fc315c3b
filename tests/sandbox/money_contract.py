"""Money movement every sandbox database must get right; run on SQLite and on PostgreSQL.

One bank per module, so the tests run in order: payments now first, then the clock moves.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

import httpx

from tests.sandbox.helpers import assert_ledger_balances, balance, code, send, transfer

PAYMENTS = "/customers/{}/domestic-payments"
IBAN_PAYEE = {
    "Data": {
        "Beneficiary": {
            "Currency": "EUR",
            "CreditorAgent": {"SchemeName": "UK.OBIE.BICFI", "Identification": "COBADEFFXXX"},
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.IBAN",
                "Identification": "DE89370400440532013000",
                "Name": "Lukas Becker",
            },
        }
    }
}


async def limits(api: httpx.AsyncClient, customer: str) -> dict:
    return (await api.get(f"/customers/{customer}/payment-limits")).json()["Data"]["PaymentLimit"]


async def today(api: httpx.AsyncClient) -> date:
    body = (await api.get("/sandbox/clock")).json()
    return date.fromisoformat(body["Data"]["Clock"]["Date"])


async def quote(api, customer: str, currency: str = "EUR", send_gbp: str | None = "200.00"):
    data = {"Currency": currency, "SendAmount": {"Amount": send_gbp, "Currency": "GBP"}}
    response = await send(api, "POST", f"/customers/{customer}/fx-quotes", {"Data": data})
    assert response.status_code == 201, response.text
    return response.json()["Data"]["Quote"]


def abroad(source: str, payee: str, quote_id: str) -> dict:
    return {
        "Data": {
            "Initiation": {
                "DebtorAccount": {"SchemeName": "Sandbox.AccountId", "Identification": source},
                "CreditorAccount": {"SchemeName": "Sandbox.BeneficiaryId", "Identification": payee},
                "ExchangeRateInformation": {"ContractIdentification": quote_id},
                "RemittanceInformation": {"Reference": "Flat share"},
            }
        }
    }


class MoneyContract:
    async def test_own_account_transfer_stays_inside_the_bank(self, api, database_url):
        body = transfer("acc-002-savings", "Sandbox.AccountId", "acc-002-current", "500.00")
        savings = await balance(api, "cust-002", "acc-002-savings")
        current = await balance(api, "cust-002", "acc-002-current")
        first = await send(api, "POST", PAYMENTS.format("cust-002"), body, key="own-1")
        again = await send(api, "POST", PAYMENTS.format("cust-002"), body, key="own-1")
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        creditor = first.json()["Data"]["Initiation"]["CreditorAccount"]
        assert creditor == {
            "SchemeName": "Sandbox.AccountId",
            "Identification": "acc-002-current",
            "Name": "Current account",
        }
        assert await balance(api, "cust-002", "acc-002-savings") == savings - 500
        assert await balance(api, "cust-002", "acc-002-current") == current + 500
        assert (await limits(api, "cust-002"))["UsedToday"]["Amount"] == "0.00"
        other = transfer("acc-002-savings", "Sandbox.AccountId", "acc-002-current", "5.00")
        reused = await send(api, "POST", PAYMENTS.format("cust-002"), other, key="own-1")
        assert (reused.status_code, code(reused)) == (409, "idempotency_key_reused")
        fetched = await api.get(
            f"/customers/cust-002/domestic-payments/{first.json()['Data']['DomesticPaymentId']}"
        )
        assert fetched.json()["Data"]["Initiation"] == first.json()["Data"]["Initiation"]
        await assert_ledger_balances(database_url)

    async def test_a_card_repayment_now_reduces_what_is_owed(self, api, database_url):
        body = transfer("acc-001-current", "Sandbox.AccountId", "acc-001-card", "42.18")
        response = await send(api, "POST", PAYMENTS.format("cust-001"), body)
        assert response.status_code == 201
        assert await balance(api, "cust-001", "acc-001-card") == Decimal("-300.00")
        statements = await api.get("/customers/cust-001/accounts/acc-001-card/statements")
        latest = statements.json()["Data"]["Statement"][0]
        assert Decimal(latest["PaidSinceStatement"]["Amount"]) >= Decimal("42.18")
        assert latest["MinimumPaymentRemaining"]["Amount"] == "0.00"
        assert statements.json()["Data"]["CurrentBalance"]["Amount"]["Amount"] == "300.00"
        await assert_ledger_balances(database_url)

    async def test_transfer_refusals(self, api):
        cases = [
            ("acc-001-current", "acc-001-current", 422, "same_account"),
            ("acc-001-current", "acc-002-current", 404, "account_not_found"),
            ("acc-001-card", "acc-001-current", 422, "account_not_eligible"),
        ]
        before = await balance(api, "cust-001", "acc-001-current")
        for source, to, status, error in cases:
            body = transfer(source, "Sandbox.AccountId", to, "1.00")
            response = await send(api, "POST", PAYMENTS.format("cust-001"), body)
            assert (response.status_code, code(response)) == (status, error)
        unknown = transfer("acc-001-current", "Sandbox.Nowhere", "x", "1.00")
        response = await send(api, "POST", PAYMENTS.format("cust-001"), unknown)
        assert (response.status_code, code(response)) == (400, "invalid_request")
        assert await balance(api, "cust-001", "acc-001-current") == before

    async def test_a_bill_payment_counts_against_the_limit(self, api, database_url):
        body = transfer("acc-002-current", "Sandbox.BillId", "bill-002-2", "30.00")
        current = await balance(api, "cust-002", "acc-002-current")
        response = await send(api, "POST", PAYMENTS.format("cust-002"), body)
        assert response.status_code == 201
        paid = response.json()["Data"]["Initiation"]
        assert paid["CreditorAccount"]["Name"] == "British Gas"
        assert paid["RemittanceInformation"]["Reference"] == "850034129377"
        assert await balance(api, "cust-002", "acc-002-current") == current - 30
        used = await limits(api, "cust-002")
        assert (used["UsedToday"]["Amount"], used["RemainingToday"]["Amount"]) == (
            "30.00",
            "1970.00",
        )
        card_bill = transfer("acc-001-current", "Sandbox.BillId", "bill-001-1", "10.00")
        masked = await send(api, "POST", PAYMENTS.format("cust-001"), card_bill)
        reference = masked.json()["Data"]["Initiation"]["RemittanceInformation"]["Reference"]
        assert reference == "************9015"
        wrong = transfer("acc-001-current", "Sandbox.BillId", "bill-001-2", "10.00", "OTHER")
        refused = await send(api, "POST", PAYMENTS.format("cust-001"), wrong)
        assert (refused.status_code, code(refused)) == (400, "invalid_request")
        theirs = transfer("acc-001-current", "Sandbox.BillId", "bill-002-1", "10.00")
        missing = await send(api, "POST", PAYMENTS.format("cust-001"), theirs)
        assert (missing.status_code, code(missing)) == (404, "bill_not_found")
        await assert_ledger_balances(database_url)

    async def test_a_payment_abroad_takes_its_quote_once(self, api, database_url):
        offer = await quote(api, "cust-001")
        assert (offer["ExchangeRate"], offer["Fee"]["Amount"]) == ("1.1650", "1.00")
        assert offer["ReceiveAmount"] == {"Amount": "233.00", "Currency": "EUR"}
        before = await balance(api, "cust-001", "acc-001-current")
        body = abroad("acc-001-current", "payee-001-04", offer["QuoteId"])
        path = "/customers/cust-001/international-payments"
        first = await send(api, "POST", path, body, key="abroad-1")
        again = await send(api, "POST", path, body, key="abroad-1")
        assert (first.status_code, again.status_code) == (201, 200), first.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        paid = first.json()["Data"]
        assert paid["ReceiveAmount"] == {"Amount": "233.00", "Currency": "EUR"}
        assert paid["Charges"][0]["Amount"]["Amount"] == "1.00"
        assert await balance(api, "cust-001", "acc-001-current") == before - Decimal("201.00")
        fetched = await api.get(f"{path}/{paid['InternationalPaymentId']}")
        assert (
            fetched.json()["Data"]["ExchangeRateInformation"]["ContractIdentification"]
            == (offer["QuoteId"])
        )
        used = await send(api, "POST", path, body)
        assert (used.status_code, code(used)) == (409, "quote_expired")
        other_body = abroad("acc-001-savings", "payee-001-04", offer["QuoteId"])
        reused = await send(api, "POST", path, other_body, key="abroad-1")
        assert (reused.status_code, code(reused)) == (409, "idempotency_key_reused")
        await assert_ledger_balances(database_url)

    async def test_payments_abroad_are_refused_clearly(self, api, database_url):
        path = "/customers/{}/international-payments"
        euros, dollars = await quote(api, "cust-001"), await quote(api, "cust-001", "USD")
        theirs = await quote(api, "cust-002")
        cases = [
            (
                "cust-001",
                abroad("acc-001-current", "payee-001-04", theirs["QuoteId"]),
                404,
                "quote_not_found",
            ),
            (
                "cust-001",
                abroad("acc-001-current", "payee-001-01", euros["QuoteId"]),
                422,
                "payee_not_international",
            ),
            (
                "cust-001",
                abroad("acc-001-current", "payee-001-04", dollars["QuoteId"]),
                422,
                "currency_mismatch",
            ),
            (
                "cust-001",
                abroad("acc-002-current", "payee-001-04", euros["QuoteId"]),
                404,
                "account_not_found",
            ),
        ]
        for customer, body, status, error in cases:
            response = await send(api, "POST", path.format(customer), body)
            assert (response.status_code, code(response)) == (status, error)
        big = await quote(api, "cust-001", send_gbp="1900.00")
        over = await send(
            api,
            "POST",
            path.format("cust-001"),
            abroad("acc-001-savings", "payee-001-04", big["QuoteId"]),
            key="big",
        )
        assert (over.status_code, code(over)) == (422, "daily_limit_exceeded")
        replay = await send(
            api,
            "POST",
            path.format("cust-001"),
            abroad("acc-001-savings", "payee-001-04", big["QuoteId"]),
            key="big",
        )
        assert (
            replay.headers["Idempotent-Replayed"] == "true"
            and code(replay) == "daily_limit_exceeded"
        )
        created = await send(api, "POST", "/customers/cust-003/payees", IBAN_PAYEE)
        assert created.status_code == 201
        payee = created.json()["Data"]["Beneficiary"]["BeneficiaryId"]
        poor = await quote(api, "cust-003", send_gbp="400.00")
        broke = await send(
            api, "POST", path.format("cust-003"), abroad("acc-003-current", payee, poor["QuoteId"])
        )
        assert (broke.status_code, code(broke)) == (422, "insufficient_funds")
        assert await balance(api, "cust-003", "acc-003-current") == Decimal("184.27")
        await assert_ledger_balances(database_url)

    async def test_the_clock_runs_what_fell_due_exactly_once(self, api, database_url):
        start = await today(api)
        tomorrow = start + timedelta(days=1)
        waiting = await quote(api, "cust-001", send_gbp="10.00")
        scheduled = "/customers/{}/domestic-scheduled-payments"
        orders = "/customers/{}/domestic-standing-orders"

        def later(source, scheme, creditor, amount, on):
            body = transfer(source, scheme, creditor, amount, "LATER")
            body["Data"]["Initiation"]["RequestedExecutionDateTime"] = on.isoformat()
            return body

        def order(source, scheme, creditor, amount, frequency, first, **extra):
            initiation = {
                "Frequency": frequency,
                "Reference": "ORDER",
                "FirstPaymentDateTime": f"{first.isoformat()}T00:00:00+00:00",
                "FirstPaymentAmount": {"Amount": amount, "Currency": "GBP"},
                "DebtorAccount": {"SchemeName": "Sandbox.AccountId", "Identification": source},
                "CreditorAccount": {"SchemeName": scheme, "Identification": creditor},
            } | extra
            return {"Data": {"Initiation": initiation}}

        made = {}
        for name, path, body in (
            (
                "pay",
                scheduled.format("cust-002"),
                later(
                    "acc-002-current", "Sandbox.BeneficiaryId", "payee-002-01", "25.00", tomorrow
                ),
            ),
            (
                "broke",
                scheduled.format("cust-003"),
                later(
                    "acc-003-current", "Sandbox.BeneficiaryId", "payee-003-01", "400.00", tomorrow
                ),
            ),
            (
                "weekly",
                orders.format("cust-002"),
                order(
                    "acc-002-current",
                    "Sandbox.BeneficiaryId",
                    "payee-002-03",
                    "10.00",
                    f"IntrvlWkDay:01:0{tomorrow.isoweekday()}",
                    tomorrow,
                    NumberOfPayments=3,
                ),
            ),
            (
                "saving",
                orders.format("cust-002"),
                order(
                    "acc-002-current",
                    "Sandbox.AccountId",
                    "acc-002-savings",
                    "50.00",
                    f"IntrvlMnthDay:01:{tomorrow.day:02d}",
                    tomorrow,
                ),
            ),
        ):
            response = await send(api, "POST", path, body)
            assert response.status_code == 201, response.text
            item = next(iter(response.json()["Data"].values()))
            made[name] = item.get("ScheduledPaymentId") or item.get("StandingOrderId")
        before = {
            (c, a): await balance(api, c, a)
            for c, a in (
                ("cust-002", "acc-002-current"),
                ("cust-002", "acc-002-savings"),
                ("cust-003", "acc-003-current"),
            )
        }
        target = tomorrow + timedelta(days=20)
        moved = await api.post("/sandbox/clock", json={"date": target.isoformat()})
        assert moved.status_code == 200, moved.text
        assert moved.json()["Data"]["Clock"]["Date"] == target.isoformat()
        ran = moved.json()["Data"]["Execution"]
        assert [e["DueDate"] for e in ran] == sorted(e["DueDate"] for e in ran)
        by_source: dict[str, list[dict]] = {}
        for execution in ran:
            by_source.setdefault(execution["SourceId"], []).append(execution)
        assert [e["Status"] for e in by_source[made["pay"]]] == ["executed"]
        assert [e["Status"] for e in by_source[made["weekly"]]] == ["executed"] * 3
        assert [e["Status"] for e in by_source[made["saving"]]] == ["executed"]
        [refused] = by_source[made["broke"]]
        assert (refused["Status"], refused["Reason"], refused["TransactionId"]) == (
            "rejected",
            "insufficient_funds",
            None,
        )
        for (customer, account), was in before.items():
            out = sum(
                Decimal(e["Amount"]["Amount"])
                for e in ran
                if e["AccountId"] == account and e["Status"] == "executed"
            )
            into = Decimal("50.00") if account == "acc-002-savings" else 0
            assert await balance(api, customer, account) == was - out + into
        weekly = (await api.get(f"{orders.format('cust-002')}/{made['weekly']}")).json()["Data"][
            "StandingOrder"
        ]
        assert (
            weekly["StandingOrderStatusCode"],
            weekly["StatusReason"],
            weekly["PaymentsDue"],
        ) == ("Inactive", "completed", 3)
        assert weekly["NextPaymentDateTime"] is None
        failed = (await api.get(f"{scheduled.format('cust-003')}/{made['broke']}")).json()["Data"][
            "ScheduledPayment"
        ]
        assert (failed["Status"], failed["StatusReason"]) == (
            "InitiationFailed",
            "insufficient_funds",
        )
        # Moving again, to the same day or concurrently, never pays anything twice.
        again = await api.post("/sandbox/clock", json={"date": target.isoformat()})
        assert again.json()["Data"]["Execution"] == []
        racing = await asyncio.gather(
            *(api.post("/sandbox/clock", json={"advance_days": 0}) for _ in range(3))
        )
        assert all(r.json()["Data"]["Execution"] == [] for r in racing)
        history = (await api.get("/customers/cust-002/executions")).json()["Data"]["Execution"]
        assert len([e for e in history if e["SourceId"] == made["weekly"]]) == 3
        expired = await send(
            api,
            "POST",
            "/customers/cust-001/international-payments",
            abroad("acc-001-current", "payee-001-04", waiting["QuoteId"]),
        )
        assert (expired.status_code, code(expired)) == (409, "quote_expired")
        await assert_ledger_balances(database_url)

    async def test_a_month_of_seeded_schedules_runs_each_once(self, api, database_url):
        start = await today(api)
        current = await balance(api, "cust-001", "acc-001-current")
        racing = await asyncio.gather(
            *(api.post("/sandbox/clock", json={"advance_days": 31}) for _ in range(2))
        )
        assert (await today(api)) == start + timedelta(days=62)
        ran = [e for r in racing for e in r.json()["Data"]["Execution"]]
        keys = [(e["SourceId"], e["DueDate"]) for e in ran]
        assert len(keys) == len(set(keys))
        mine = [e for e in ran if e["AccountId"] == "acc-001-current"]
        assert {"so-001-1", "dd-001-1", "dd-001-2"} <= {e["SourceId"] for e in mine}
        spent = sum(Decimal(e["Amount"]["Amount"]) for e in mine if e["Status"] == "executed")
        assert await balance(api, "cust-001", "acc-001-current") == current - spent
        statements = (await api.get("/customers/cust-001/accounts/acc-001-card/statements")).json()
        assert len(statements["Data"]["Statement"]) >= 3
        await assert_ledger_balances(database_url)
