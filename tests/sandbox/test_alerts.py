"""Alert subscriptions and the events a booked payment raises (sandbox/alerts.py), on SQLite,
over real HTTP; the signed delivery to a webhook is read back by a small receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from bot.bank_events import verify
from sandbox.alerts import alert_events
from sandbox.db import audit_log
from tests.sandbox.helpers import balance, bank_db, code, send
from tests.support.sandbox import unused_port

SUBS = "/customers/{}/alert-subscriptions"
SECRET = "a-sandbox-webhook-secret-of-32-chars"


def card_payment(amount: str, country: str | None = None) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "CardId": "card-001-debit",
        "InstructedAmount": {"Amount": amount, "Currency": "GBP"},
        "MerchantName": "Boulangerie Paul",
        "MerchantCategoryCode": "5812",
    }
    if country:
        payment["MerchantCountry"] = country
    return {"Data": {"CardPayment": payment}}


def amount(value: str) -> dict[str, Any]:
    return {"Data": {"AlertSubscription": {"Amount": {"Amount": value, "Currency": "GBP"}}}}


NONE: dict[str, Any] = {"Data": {"AlertSubscription": {}}}


async def events_of(database_url: str, customer: str) -> list[dict[str, Any]]:
    async with bank_db(database_url) as conn:
        rows = await conn.execute(
            select(alert_events)
            .where(alert_events.c.customer_id == customer)
            .order_by(alert_events.c.created_at)
        )
        return [dict(r) for r in rows.mappings()]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", unused_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/bank", received
    server.shutdown()


async def test_subscriptions_are_validated_idempotent_and_audited(api, database_url) -> None:
    missing = await send(api, "PUT", SUBS.format("cust-001") + "/low_balance", NONE)
    assert (missing.status_code, code(missing)) == (400, "amount_required")
    zero = await send(api, "PUT", SUBS.format("cust-001") + "/low_balance", amount("0"))
    assert zero.status_code == 400
    unknown = await send(api, "PUT", SUBS.format("cust-001") + "/lottery", NONE)
    assert (unknown.status_code, code(unknown)) == (400, "unknown_alert_kind")
    stranger = await send(api, "PUT", SUBS.format("cust-999") + "/salary", NONE)
    assert stranger.status_code == 404

    first = await send(api, "PUT", SUBS.format("cust-001") + "/large_payment", amount("50"), "k1")
    again = await send(api, "PUT", SUBS.format("cust-001") + "/large_payment", amount("50"), "k1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    listed = (await api.get(SUBS.format("cust-001"))).json()["Data"]["AlertSubscription"]
    assert [(s["Kind"], s["Amount"]["Amount"]) for s in listed] == [("large_payment", "50.00")]
    assert (await api.get(SUBS.format("cust-002"))).json()["Data"]["AlertSubscription"] == []
    async with bank_db(database_url) as conn:
        rows = await conn.execute(
            select(audit_log).where(audit_log.c.action == "alert_subscription.put")
        )
        audits = rows.mappings().all()
    assert len(audits) == 1 and audits[0]["actor"] == "customer:cust-001"

    gone = await send(api, "DELETE", SUBS.format("cust-001") + "/large_payment")
    assert gone.status_code == 200
    twice = await send(api, "DELETE", SUBS.format("cust-001") + "/large_payment")
    assert (twice.status_code, code(twice)) == (404, "alert_subscription_not_found")


async def test_a_card_payment_raises_only_the_events_subscribed_to(api, database_url) -> None:
    before = len(await events_of(database_url, "cust-001"))
    paid = await send(
        api, "POST", "/sandbox/customers/cust-001/card-payments", card_payment("12.00", "FR")
    )
    assert paid.status_code == 201, paid.text
    assert len(await events_of(database_url, "cust-001")) == before  # no subscription yet

    await send(api, "PUT", SUBS.format("cust-001") + "/card_abroad", NONE)
    await send(api, "PUT", SUBS.format("cust-001") + "/large_payment", amount("100"))
    current = await balance(api, "cust-001", "acc-001-current")
    await send(api, "PUT", SUBS.format("cust-001") + "/low_balance", amount(f"{current - 5}"))
    await send(api, "POST", "/sandbox/customers/cust-001/card-payments", card_payment("3.00", "GB"))
    assert len(await events_of(database_url, "cust-001")) == before  # at home, small, still above
    await send(
        api, "POST", "/sandbox/customers/cust-001/card-payments", card_payment("150.00", "ES")
    )
    raised = (await events_of(database_url, "cust-001"))[before:]
    assert sorted(e["kind"] for e in raised) == ["card_abroad", "large_payment", "low_balance"]
    abroad = json.loads(next(e for e in raised if e["kind"] == "card_abroad")["data"])
    assert (abroad["Country"], abroad["CardEnding"], abroad["Amount"]["Amount"]) == (
        "ES",
        "4417",
        "150.00",
    )
    low = json.loads(next(e for e in raised if e["kind"] == "low_balance")["data"])
    assert Decimal(low["Balance"]["Amount"]) == current - 3 - 150
    # Below the mark already: the next payment does not raise it again.
    await send(api, "POST", "/sandbox/customers/cust-001/card-payments", card_payment("1.00", "GB"))
    assert [e["kind"] for e in (await events_of(database_url, "cust-001"))[before:]].count(
        "low_balance"
    ) == 1


async def test_passing_a_budget_raises_one_budget_event_for_the_highest_mark(
    api, database_url
) -> None:
    await send(api, "PUT", SUBS.format("cust-001") + "/budget", NONE)
    made = await send(
        api,
        "POST",
        "/customers/cust-001/budgets",
        {
            "Data": {
                "Budget": {
                    "Category": "eating_out",
                    "MerchantCategoryCodes": ["5812"],
                    "Amount": {"Amount": "1.00", "Currency": "GBP"},
                }
            }
        },
    )
    assert made.status_code == 201, made.text
    before = len(await events_of(database_url, "cust-001"))
    await send(api, "POST", "/sandbox/customers/cust-001/card-payments", card_payment("2.00", "GB"))
    raised = [
        e for e in (await events_of(database_url, "cust-001"))[before:] if e["kind"] == "budget"
    ]
    assert len(raised) == 1
    data = json.loads(raised[0]["data"])
    assert (data["Category"], data["Threshold"], data["Amount"]["Amount"]) == (
        "eating_out",
        "100",
        "1.00",
    )
    assert int(data["Percent"]) >= 100


async def test_events_are_sent_signed_to_the_configured_webhook(
    api, database_url, receiver
) -> None:
    url, received = receiver
    response = await api.put("/sandbox/event-webhook", json={"Url": url, "Secret": SECRET})
    assert response.status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = await events_of(database_url, "cust-001")
        if rows and all(r["sent_at"] is not None for r in rows):
            break
        await asyncio.sleep(0.1)
    rows = await events_of(database_url, "cust-001")
    assert rows and all(r["sent_at"] is not None for r in rows)
    assert len(received) == len(rows)
    for headers, body in received:
        lowered = {k.lower(): v for k, v in headers.items()}
        event = verify(
            SECRET, lowered["x-bank-timestamp"], lowered["x-bank-signature"], body, time.time(), 60
        )
        assert event.customer_id == "cust-001"
    assert {verify_id(b) for _, b in received} == {r["id"] for r in rows}


def verify_id(body: bytes) -> str:
    return json.loads(body)["EventId"]
