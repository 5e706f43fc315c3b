"""Routes for alert subscriptions and the events they raise (see sandbox/alerts.py).

`GET /customers/{cid}/alert-subscriptions` lists a customer's alerts; `PUT
.../alert-subscriptions/{kind}` (with an amount for `low_balance` and `large_payment`) adds
or changes one and `DELETE .../alert-subscriptions/{kind}` removes it, each with an
Idempotency-Key and audited like every write. Sandbox-only: `PUT /sandbox/event-webhook`
says where events go and the secret they are signed with; `POST
/sandbox/customers/{cid}/alert-events` raises an event of a kind as the bank's own systems
would (a card used abroad, a salary), written only when the customer subscribes to it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from sandbox import alerts, clock, shapes
from sandbox.bodies import Amount as Money
from sandbox.bodies import Strict
from sandbox.http import done, engine, require_customer
from sandbox.money import parse_amount
from sandbox.operations import Request as Operation
from sandbox.operations import Step, require_key, run

router = APIRouter()


def subscription_shape(row: dict[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"Kind": row["kind"]}
    if row["amount_minor"] is not None:
        shaped["Amount"] = shapes.money(row["amount_minor"], "GBP")
    shaped["CreationDateTime"] = shapes.timestamp(row["created_at"])
    return shaped


@router.get("/customers/{customer_id}/alert-subscriptions")
async def list_subscriptions(customer_id: str, request: Request) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        await require_customer(conn, customer_id)
        rows = await alerts.subscriptions(conn, customer_id)
    return shapes.envelope("AlertSubscription", [subscription_shape(r) for r in rows])


class SubscriptionIn(Strict):
    Amount: Money | None = None


class SubscriptionData(Strict):
    AlertSubscription: SubscriptionIn


class SubscriptionBody(Strict):
    Data: SubscriptionData


@router.put("/customers/{customer_id}/alert-subscriptions/{kind}")
async def subscribe(
    customer_id: str,
    kind: str,
    body: SubscriptionBody,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    alerts.check_kind(kind)
    given = body.Data.AlertSubscription
    amount = parse_amount(given.Amount.Amount) if given.Amount else None

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        before, after = await alerts.subscribe(step.conn, step.customer_id, kind, amount, step.now)
        await step.audit("alert_subscription.put", "alert_subscription", after["id"], before, after)
        return done({"AlertSubscription": subscription_shape(after)})

    operation = Operation(
        customer_id,
        require_key(idempotency_key),
        "alert_subscription.put",
        {"kind": kind, **given.model_dump()},
    )
    return (await run(engine(request), operation, change)).response()


@router.delete("/customers/{customer_id}/alert-subscriptions/{kind}")
async def unsubscribe(
    customer_id: str,
    kind: str,
    request: Request,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    alerts.check_kind(kind)

    async def change(step: Step) -> tuple[int, dict[str, Any]]:
        before = await alerts.unsubscribe(step.conn, step.customer_id, kind)
        await step.audit(
            "alert_subscription.delete", "alert_subscription", before["id"], before, None
        )
        return done({"AlertSubscription": subscription_shape(before)})

    operation = Operation(
        customer_id, require_key(idempotency_key), "alert_subscription.delete", {"kind": kind}
    )
    return (await run(engine(request), operation, change)).response()


class WebhookIn(Strict):
    Url: str = Field(min_length=8, max_length=500, pattern=r"^https?://")
    Secret: str = Field(min_length=16, max_length=200)


@router.put("/sandbox/event-webhook")
async def event_webhook(body: WebhookIn, request: Request) -> dict[str, Any]:
    request.app.state.events.configure(body.Url, body.Secret)
    return {"Data": {"Url": body.Url}}


class EventIn(Strict):
    Kind: str = Field(min_length=2, max_length=20)
    Data: dict[str, str] = Field(default_factory=dict, max_length=20)


@router.post("/sandbox/customers/{customer_id}/alert-events")
async def raise_event(customer_id: str, body: EventIn, request: Request) -> dict[str, Any]:
    alerts.check_kind(body.Kind)
    async with engine(request).begin() as conn:
        await require_customer(conn, customer_id)
        now = await clock.now(conn)
        event_id = await alerts.raise_event(conn, customer_id, body.Kind, dict(body.Data), now)
    request.app.state.events.poke()
    return {"Data": {"EventId": event_id, "Subscribed": event_id is not None}}
