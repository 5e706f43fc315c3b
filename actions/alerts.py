"""Alerts the customer asks for: subscribe, unsubscribe, list, and "why did you message me".

The bank keeps the subscriptions (it matches them as it books payments) and sends each
alert to Teller over the signed webhook (connectors/bank_events.py). A low-balance alert
needs the amount the balance must stay above, a large-payment alert the amount a payment
must be over; the others need none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from actions.formatting import money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from actions.validators import AMOUNT_REASONS, amount_problem
from bot.bank import ALERT_KINDS, WITH_AMOUNT, BankError
from bot.handlers import ActionContext, ActionResult, Reply, action

LONDON = ZoneInfo("Europe/London")
KIND_TEXTS = {f"alert_kind_{kind}": () for kind in ALERT_KINDS}
KIND_BUTTONS = tuple(
    (kind, f'/inform{{"alert_kind": "{kind}"}}') for kind in ALERT_KINDS
)  # titles are filled from the domain


def _kind_buttons(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    return tuple((ctx.text(f"alert_kind_{kind}"), payload) for kind, payload in KIND_BUTTONS)


def _kind(value: object) -> str | None:
    text = str(value or "").strip().lower().replace(" ", "_").replace("-", "_")
    return text if text in ALERT_KINDS else None


def _described(ctx: ActionContext, kind: str, amount: Decimal | None) -> str:
    if amount is None:
        return ctx.text(f"alert_kind_{kind}")
    return ctx.text(f"alert_kind_{kind}_amount", amount=money(amount))


@action(
    "validate_alert_kind",
    says={"utter_alert_kind_unknown": ["kinds"], **KIND_TEXTS},
    sets=["alert_kind_text"],
)
async def validate_alert_kind(ctx: ActionContext) -> ActionResult:
    kind = _kind(ctx.slots.get("alert_kind"))
    if kind is None:
        kinds = ", ".join(ctx.text(f"alert_kind_{k}") for k in ALERT_KINDS)
        reply = Reply("utter_alert_kind_unknown", {"kinds": kinds}, _kind_buttons(ctx))
        return ActionResult(ok=False, error="alert_kind_unknown", replies=[reply])
    return ActionResult(
        slots={"alert_kind": kind, "alert_kind_text": ctx.text(f"alert_kind_{kind}")}
    )


@action(
    "validate_alert_amount",
    says={"utter_alert_amount_invalid": ["reason"], **AMOUNT_REASONS},
)
async def validate_alert_amount(ctx: ActionContext) -> ActionResult:
    """Only low-balance and large-payment alerts take an amount: asked for when missing."""
    if str(ctx.slots.get("alert_kind")) not in WITH_AMOUNT:
        return ActionResult(slots={"amount": None})
    if ctx.slots.get("amount") in (None, ""):
        return ActionResult(ok=False, error="amount_missing")  # the step asks for it
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_alert_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    return ActionResult(slots={"amount": f"{amount:.2f}"})


@action(
    "save_alert",
    says={
        "utter_alert_saved": ["alert"],
        **KIND_TEXTS,
        **{f"alert_kind_{k}_amount": ["amount"] for k in WITH_AMOUNT},
        **BANK_UNAVAILABLE,
    },
)
async def save_alert(ctx: ActionContext) -> ActionResult:
    kind = str(ctx.slots["alert_kind"])
    raw = ctx.slots.get("amount")
    amount = Decimal(str(raw)) if kind in WITH_AMOUNT and raw else None
    try:
        saved = await ctx.bank.subscribe_alert(
            ctx.customer_id, kind, amount, ctx.idempotency_key or ""
        )
    except BankError as exc:
        return bank_unavailable("save_alert", exc)
    return ActionResult(
        replies=[Reply("utter_alert_saved", {"alert": _described(ctx, kind, saved.amount)})],
        audit={"kind": kind, "amount": None if amount is None else f"{amount:.2f}"},
    )


@action(
    "remove_alert",
    says={"utter_alert_removed": ["alert"], "utter_alert_not_subscribed": ["alert"], **KIND_TEXTS},
)
async def remove_alert(ctx: ActionContext) -> ActionResult:
    kind = str(ctx.slots["alert_kind"])
    try:
        removed = await ctx.bank.unsubscribe_alert(ctx.customer_id, kind, ctx.idempotency_key or "")
    except BankError as exc:
        return bank_unavailable("remove_alert", exc)
    key = "utter_alert_removed" if removed else "utter_alert_not_subscribed"
    return ActionResult(
        replies=[Reply(key, {"alert": ctx.text(f"alert_kind_{kind}")})],
        audit={"kind": kind, "removed": removed},
    )


@action(
    "list_alerts",
    says={
        "utter_alerts_list": ["alerts"],
        "utter_alerts_none": [],
        "alert_list_line": ["alert"],
        **KIND_TEXTS,
        **{f"alert_kind_{k}_amount": ["amount"] for k in WITH_AMOUNT},
        **BANK_UNAVAILABLE,
    },
)
async def list_alerts(ctx: ActionContext) -> ActionResult:
    try:
        found = await ctx.bank.list_alert_subscriptions(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("list_alerts", exc)
    if not found:
        return ActionResult(replies=[Reply("utter_alerts_none", buttons=_kind_buttons_on(ctx))])
    lines = "\n".join(
        ctx.text("alert_list_line", alert=_described(ctx, s.kind, s.amount)) for s in found
    )
    return ActionResult(replies=[Reply("utter_alerts_list", {"alerts": lines})])


def _kind_buttons_on(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    return tuple(
        (ctx.text(f"alert_kind_{kind}"), f'/subscribe_alert{{"alert_kind": "{kind}"}}')
        for kind in ALERT_KINDS
    )


@action(
    "explain_alert",
    says={"utter_alert_why": ["when", "alert"], "utter_alert_why_none": [], **KIND_TEXTS},
)
async def explain_alert(ctx: ActionContext) -> ActionResult:
    """Why Teller wrote first: the latest alert in this conversation, from its log."""
    alert = ctx.alert
    if not alert or str(alert.get("kind")) not in ALERT_KINDS:
        return ActionResult(replies=[Reply("utter_alert_why_none")])
    when = datetime.fromtimestamp(float(alert.get("at", 0)), UTC).astimezone(LONDON)
    kind = str(alert["kind"])
    return ActionResult(
        replies=[
            Reply(
                "utter_alert_why",
                {
                    "when": when.strftime("%-d %b at %H:%M"),
                    "alert": ctx.text(f"alert_kind_{kind}"),
                },
            )
        ]
    )
