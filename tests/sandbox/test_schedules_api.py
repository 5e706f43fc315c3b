"""Scheduled payments, standing orders, direct debits, upcoming payments, statements, limits,
the clock's own endpoint and an older bank's upgrade; and the rules under them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select, text

from sandbox import prepare
from sandbox.db import card_statements, direct_debits, international_payees, make_engine, metadata
from sandbox.frequency import Frequency
from sandbox.fx import fee_for, receive_for, send_for
from sandbox.statements import minimum_payment
from tests.sandbox.helpers import code, send, transfer

SP = "/customers/{}/domestic-scheduled-payments"
SO = "/customers/{}/domestic-standing-orders"
TODAY = datetime.now(UTC).date()  # the clock is not moved in this module


def later(on: date, amount: str = "20.00", creditor: str = "payee-001-02", **over) -> dict:
    body = transfer(
        "acc-001-current", over.pop("scheme", "Sandbox.BeneficiaryId"), creditor, amount
    )
    body["Data"]["Initiation"]["RequestedExecutionDateTime"] = on.isoformat()
    return body


def order(first: date, amount: str = "20.00", frequency: str | None = None, **extra) -> dict:
    initiation = {
        "Frequency": frequency or f"IntrvlMnthDay:01:{first.day:02d}",
        "Reference": "ORDER",
        "FirstPaymentDateTime": first.isoformat(),
        "FirstPaymentAmount": {"Amount": amount, "Currency": "GBP"},
        "DebtorAccount": {"SchemeName": "Sandbox.AccountId", "Identification": "acc-001-current"},
        "CreditorAccount": {
            "SchemeName": "Sandbox.BeneficiaryId",
            "Identification": "payee-001-01",
        },
    } | extra
    return {"Data": {"Initiation": initiation}}


def test_frequencies():
    monthly = Frequency.parse("IntrvlMnthDay:01:31")
    assert monthly.following(date(2026, 1, 31)) == date(2026, 2, 28)
    assert monthly.following(date(2026, 2, 28)) == date(2026, 3, 31)
    assert Frequency.parse("IntrvlMnthDay:01:-01").falls_on(date(2028, 2, 29))
    weekly = Frequency.parse("IntrvlWkDay:01:03")
    assert weekly.falls_on(date(2026, 3, 4)) and weekly.following(date(2026, 3, 4)) == date(
        2026, 3, 11
    )
    assert Frequency.parse("IntrvlWkDay:02:01").per_month(1_200) == 2_600
    assert Frequency.like(monthly, date(2026, 5, 20)).code() == "IntrvlMnthDay:01:20"


def test_minimum_payment_rule():
    assert minimum_payment(34_218) == 2_500
    assert minimum_payment(1_000) == 1_000
    assert minimum_payment(400_000) == 4_000
    assert minimum_payment(0) == 0 and minimum_payment(-500) == 0


def test_fx_amounts():
    assert fee_for(10_000) == 100 and fee_for(50_000) == 250 and fee_for(900_000) == 2_000
    assert receive_for(20_000, Decimal("1.1650"), "EUR") == 23_300
    assert receive_for(10_000, Decimal("192.40"), "JPY") == 19_240
    assert send_for(10_000, Decimal("1.1650"), "EUR") == 8_584
    assert receive_for(8_584, Decimal("1.1650"), "EUR") >= 10_000


async def test_a_scheduled_payment_is_set_up_amended_and_cancelled(api: httpx.AsyncClient):
    on = TODAY + timedelta(days=5)
    first = await send(api, "POST", SP.format("cust-001"), later(on), key="sp-1")
    again = await send(api, "POST", SP.format("cust-001"), later(on), key="sp-1")
    assert (first.status_code, again.status_code) == (201, 200), first.text
    made = first.json()["Data"]["ScheduledPayment"]
    assert (made["Status"], made["ScheduledPaymentDateTime"]) == (
        "InitiationPending",
        f"{on}T00:00:00+00:00",
    )
    path = f"{SP.format('cust-001')}/{made['ScheduledPaymentId']}"
    amend = {
        "Data": {
            "InstructedAmount": {"Amount": "25.00", "Currency": "GBP"},
            "RequestedExecutionDateTime": (on + timedelta(days=1)).isoformat(),
        }
    }
    changed = await send(api, "PATCH", path, amend)
    assert changed.json()["Data"]["ScheduledPayment"]["InstructedAmount"]["Amount"] == "25.00"
    listed = (await api.get(SP.format("cust-001"))).json()["Data"]["ScheduledPayment"]
    assert made["ScheduledPaymentId"] in [p["ScheduledPaymentId"] for p in listed]
    cancelled = await send(api, "DELETE", path)
    assert cancelled.json()["Data"]["ScheduledPayment"]["Status"] == "Cancelled"
    again = await send(api, "DELETE", path)
    assert (again.status_code, code(again)) == (409, "schedule_not_active")
    theirs = await api.get(f"{SP.format('cust-002')}/{made['ScheduledPaymentId']}")
    assert (theirs.status_code, code(theirs)) == (404, "scheduled_payment_not_found")
    reused = await send(api, "POST", SP.format("cust-001"), later(on, "21.00"), key="sp-1")
    assert (reused.status_code, code(reused)) == (409, "idempotency_key_reused")


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (later(TODAY), 422, "date_in_past"),
        (later(TODAY - timedelta(days=3)), 422, "date_in_past"),
        (later(TODAY + timedelta(days=2), "2000.01"), 422, "daily_limit_exceeded"),
        (later(TODAY + timedelta(days=2), creditor="payee-002-01"), 404, "payee_not_found"),
        (
            later(
                TODAY + timedelta(days=2), creditor="acc-001-current", scheme="Sandbox.AccountId"
            ),
            422,
            "same_account",
        ),
        (
            later(TODAY + timedelta(days=2), creditor="bill-002-1", scheme="Sandbox.BillId"),
            404,
            "bill_not_found",
        ),
        (later(TODAY + timedelta(days=2), "0"), 400, "invalid_amount"),
        ({"Data": {"Initiation": {"RequestedExecutionDateTime": "soon"}}}, 400, "invalid_request"),
    ],
)
async def test_bad_scheduled_payments_are_refused(api, body, status, error):
    response = await send(api, "POST", SP.format("cust-001"), body)
    assert (response.status_code, code(response)) == (status, error)


async def test_a_card_repayment_can_be_scheduled(api):
    body = later(TODAY + timedelta(days=3), "25.00", "acc-001-card", scheme="Sandbox.AccountId")
    response = await send(api, "POST", SP.format("cust-001"), body)
    assert response.status_code == 201
    assert response.json()["Data"]["ScheduledPayment"]["CreditorAccount"]["Name"] == "Credit card"


async def test_a_standing_order_is_set_up_amended_and_cancelled(api):
    first_day = TODAY + timedelta(days=3)
    body = order(first_day, NumberOfPayments=6)
    made = await send(api, "POST", SO.format("cust-001"), body, key="so-1")
    replay = await send(api, "POST", SO.format("cust-001"), body, key="so-1")
    assert (made.status_code, replay.status_code) == (201, 200), made.text
    item = made.json()["Data"]["StandingOrder"]
    assert (item["StandingOrderStatusCode"], item["NumberOfPayments"], item["PaymentsDue"]) == (
        "Active",
        6,
        0,
    )
    path = f"{SO.format('cust-001')}/{item['StandingOrderId']}"
    moved_to = first_day + timedelta(days=2)
    changed = await send(
        api,
        "PATCH",
        path,
        {
            "Data": {
                "NextPaymentDateTime": moved_to.isoformat(),
                "NextPaymentAmount": {"Amount": "30.00", "Currency": "GBP"},
            }
        },
    )
    after = changed.json()["Data"]["StandingOrder"]
    assert after["Frequency"] == f"IntrvlMnthDay:01:{moved_to.day:02d}"
    assert after["NextPaymentAmount"]["Amount"] == "30.00"
    nothing = await send(api, "PATCH", path, {"Data": {}})
    assert (nothing.status_code, code(nothing)) == (400, "invalid_request")
    past = await send(api, "PATCH", path, {"Data": {"NextPaymentDateTime": TODAY.isoformat()}})
    assert (past.status_code, code(past)) == (422, "date_in_past")
    cancelled = await send(api, "DELETE", path)
    body_ = cancelled.json()["Data"]["StandingOrder"]
    assert (body_["StandingOrderStatusCode"], body_["StatusReason"]) == ("Inactive", "cancelled")
    again = await send(
        api, "PATCH", path, {"Data": {"NextPaymentAmount": {"Amount": "1.00", "Currency": "GBP"}}}
    )
    assert (again.status_code, code(again)) == (409, "schedule_not_active")
    theirs = await send(api, "DELETE", f"{SO.format('cust-002')}/{item['StandingOrderId']}")
    assert (theirs.status_code, code(theirs)) == (404, "standing_order_not_found")


def _weekday_after(days: int) -> date:
    return TODAY + timedelta(days=days)


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (order(TODAY), 422, "date_in_past"),
        (order(TODAY + timedelta(days=3), frequency="EvryDay"), 422, "invalid_frequency"),
        (
            order(TODAY + timedelta(days=3), frequency="IntrvlMnthDay:01:00"),
            422,
            "invalid_frequency",
        ),
        (
            order(_weekday_after(3), frequency=f"IntrvlWkDay:01:0{_weekday_after(4).isoweekday()}"),
            422,
            "frequency_mismatch",
        ),
        (
            order(TODAY + timedelta(days=3), FinalPaymentDateTime=TODAY.isoformat()),
            422,
            "final_date_before_first",
        ),
        (
            order(
                TODAY + timedelta(days=3),
                FinalPaymentDateTime=(TODAY + timedelta(days=90)).isoformat(),
                NumberOfPayments=2,
            ),
            400,
            "invalid_request",
        ),
        (
            order(
                _weekday_after(3), "1200.00", f"IntrvlWkDay:01:0{_weekday_after(3).isoweekday()}"
            ),
            422,
            "final_date_required",
        ),
        (order(TODAY + timedelta(days=3), "2500.00"), 422, "daily_limit_exceeded"),
    ],
)
async def test_bad_standing_orders_are_refused(api, body, status, error):
    response = await send(api, "POST", SO.format("cust-001"), body)
    assert (response.status_code, code(response)) == (status, error)


async def test_a_big_weekly_order_is_fine_with_an_end(api):
    first = _weekday_after(3)
    body = order(first, "1200.00", f"IntrvlWkDay:01:0{first.isoweekday()}", NumberOfPayments=4)
    response = await send(api, "POST", SO.format("cust-001"), body)
    assert response.status_code == 201, response.text
    await send(
        api,
        "DELETE",
        f"{SO.format('cust-001')}/{response.json()['Data']['StandingOrder']['StandingOrderId']}",
    )


async def test_seeded_schedules_and_direct_debits(api):
    orders = (await api.get(SO.format("cust-001"))).json()["Data"]["StandingOrder"]
    rent = next(o for o in orders if o["StandingOrderId"] == "so-001-1")
    assert (
        rent["Frequency"],
        rent["FirstPaymentAmount"]["Amount"],
        rent["CreditorAccount"]["Name"],
    ) == ("IntrvlMnthDay:01:01", "1350.00", "Priya Patel")
    mandates = (await api.get("/customers/cust-001/direct-debits")).json()["Data"]["DirectDebit"]
    assert {m["Category"] for m in mandates} == {"energy", "council_tax", "mobile", "gym"}
    vodafone = next(m for m in mandates if m["Name"] == "Vodafone")
    assert (
        vodafone["PreviousPaymentAmount"] is None
        and vodafone["NextPaymentAmount"]["Amount"] == "18.00"
    )
    for m in mandates:
        assert date.fromisoformat(m["NextPaymentDateTime"][:10]) > TODAY


async def test_a_direct_debit_is_cancelled_once(api):
    path = "/customers/cust-002/direct-debits/dd-002-1"
    first = await send(api, "DELETE", path, key="dd-1")
    again = await send(api, "DELETE", path, key="dd-1")
    assert first.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["Data"]["DirectDebit"]["DirectDebitStatusCode"] == "Inactive"
    twice = await send(api, "DELETE", path)
    assert (twice.status_code, code(twice)) == (409, "schedule_not_active")
    theirs = await send(api, "DELETE", "/customers/cust-002/direct-debits/dd-001-1")
    assert (theirs.status_code, code(theirs)) == (404, "direct_debit_not_found")


async def test_upcoming_payments_list_what_the_clock_will_run(api):
    soon = (await api.get("/customers/cust-001/upcoming-payments", params={"days": 40})).json()[
        "Data"
    ]["UpcomingPayment"]
    kinds = {i["Kind"] for i in soon}
    assert {"scheduled_payment", "standing_order", "direct_debit", "card_repayment"} <= kinds
    assert [i["Date"] for i in soon] == sorted(i["Date"] for i in soon)
    gig = next(i for i in soon if i["Id"] == "sp-001-1")
    assert (gig["Date"], gig["Amount"]["Amount"], gig["Name"]) == (
        (TODAY + timedelta(days=12)).isoformat(),
        "60.00",
        "Bob Martin",
    )
    # Aisha's statement falls due in 5 days; the seeded history may already have repaid the
    # minimum (her monthly repayment), and then nothing is due.
    statements = await api.get("/customers/cust-003/accounts/acc-003-card/statements")
    left = statements.json()["Data"]["Statement"][0]["MinimumPaymentRemaining"]["Amount"]
    card = await api.get("/customers/cust-003/upcoming-payments", params={"days": 7})
    due = [i for i in card.json()["Data"]["UpcomingPayment"] if i["Kind"] == "card_repayment"]
    if left == "0.00":
        assert due == []
    else:
        assert [(i["Date"], i["Amount"]["Amount"]) for i in due] == [
            ((TODAY + timedelta(days=5)).isoformat(), left)
        ]
    bad = await api.get("/customers/cust-001/upcoming-payments", params={"days": 0})
    assert (bad.status_code, code(bad)) == (400, "invalid_request")


async def test_card_statements(api):
    body = (await api.get("/customers/cust-003/accounts/acc-003-card/statements")).json()["Data"]
    [statement] = body["Statement"]
    assert statement["StatementDate"] == (TODAY - timedelta(days=20)).isoformat()
    assert statement["PaymentDueDate"] == (TODAY + timedelta(days=5)).isoformat()
    assert statement["MinimumPayment"]["Amount"] == "25.00"
    assert body["CurrentBalance"]["Amount"] == {"Amount": "1126.90", "Currency": "GBP"}
    not_card = await api.get("/customers/cust-003/accounts/acc-003-current/statements")
    assert (not_card.status_code, code(not_card)) == (422, "account_not_eligible")
    theirs = await api.get("/customers/cust-003/accounts/acc-001-card/statements")
    assert (theirs.status_code, code(theirs)) == (404, "account_not_found")


async def test_payment_limits_and_the_clock_endpoint(api):
    limit = (await api.get("/customers/cust-003/payment-limits")).json()["Data"]["PaymentLimit"]
    assert limit["DailyLimit"]["Amount"] == "500.00" and limit["Date"] == TODAY.isoformat()
    assert (await api.get("/customers/cust-999/payment-limits")).status_code == 404
    clock = (await api.get("/sandbox/clock")).json()["Data"]["Clock"]
    assert clock["Date"] == TODAY.isoformat() and clock["OffsetSeconds"] == 0
    for body, status, error in (
        ({"date": (TODAY - timedelta(days=1)).isoformat()}, 422, "date_in_past"),
        ({}, 400, "invalid_request"),
        ({"advance_days": 1, "date": TODAY.isoformat()}, 400, "invalid_request"),
        ({"advance_days": -1}, 400, "invalid_request"),
    ):
        response = await api.post("/sandbox/clock", json=body)
        assert (response.status_code, code(response)) == (status, error)


async def test_an_older_bank_gains_the_new_columns_and_seed_rows(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await prepare(url)
    engine = make_engine(url)
    new_tables = [
        t
        for t in metadata.sorted_tables
        if t.name
        in {
            "international_payees",
            "operations",
            "audit_log",
            "sandbox_clock",
            "bills",
            "scheduled_payments",
            "standing_orders",
            "direct_debits",
            "executions",
            "card_billing",
            "card_statements",
            "international_payments",
            "fx_quotes",
        }
    ]
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: metadata.drop_all(sync, tables=new_tables))
        for column in (
            "customers.contact_preference",
            "payees.reference",
            "payees.deleted_at",
            "payments.creditor_scheme",
        ):
            table, name = column.split(".")
            await conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {name}"))
        await conn.execute(text("DELETE FROM accounts WHERE id = 'int-fee-income'"))
    await engine.dispose()
    await prepare(url)  # as on the next start
    engine = make_engine(url)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(direct_debits)) == 6
        assert await conn.scalar(select(func.count()).select_from(card_statements)) == 2
        assert await conn.scalar(select(func.count()).select_from(international_payees)) == 1
        columns = (await conn.execute(text("SELECT reference, deleted_at FROM payees"))).all()
        assert len(columns) == 8
        chosen = text("SELECT count(contact_preference) FROM customers")
        assert await conn.scalar(chosen) == 0  # the column is back, no one has chosen
        assert (
            await conn.scalar(
                text("SELECT balance_minor FROM accounts WHERE id = 'acc-001-current'")
            )
            == 245_000
        )
        assert (
            await conn.scalar(text("SELECT count(*) FROM accounts WHERE id = 'int-fee-income'"))
            == 1
        )
    await engine.dispose()
