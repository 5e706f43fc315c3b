"""Card actions: where is my card, what state is it in, and freezing, unfreezing or
activating one.

Freezing, unfreezing and activating change a card's state, so their flows confirm and take a
one-time code bound to (card id, operation) first; the idempotency key comes from that approved
code, so a replayed turn can never act twice and the bank's audit trail shows one request.
The operation a flow performs is its preset `card_operation` slot, which decides which of
the customer's cards are eligible.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date, timedelta

from actions.formatting import day
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.rich import card_says, table, table_says
from bot.bank import BankError, BankRejected, BankUnavailable, Card, CardChange
from bot.handlers import ActionContext, ActionResult, Attachment, Reply, SummaryCard, action

log = logging.getLogger("actions.cards")

KINDS = ("debit", "credit", "virtual")
ELIGIBLE = {
    "freeze": ("active", "pending_activation"),
    "activate": ("pending_activation",),
    "unfreeze": ("frozen",),
}
# The bank's refusals that need a person rather than another try.
STAFF_ONLY = {"card_frozen_for_fraud": "staff_only"}
STATES = ("active", "frozen", "cancelled", "pending_activation")
# Freezes after which the card is gone for good: a replacement is offered (cards_manage.py).
REPLACE_AFTER_FREEZE = {"lost": "lost", "stolen": "stolen", "swallowed": "lost"}
EXPIRING_DAYS = 60  # a card expiring within this many days is flagged
# How a card is named: mid-sentence ("your debit card ••4417") and on its own (a button).
LABELS = {
    f"card_{form}_{kind}": ["last4"] for form in ("label", "title") for kind in (*KINDS, "other")
}
STATE_TEXTS = {f"card_state_{state}": [] for state in STATES}
# What the NLU's `account` values say about a card: "credit card", "current account".
_ACCOUNT_KINDS = {"credit_card": {"credit"}, "current": {"debit", "virtual"}}
_KIND_WORDS = re.compile(r"\b(debit|credit|virtual)\b", re.IGNORECASE)
_LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def card_label(ctx: ActionContext, card: Card, form: str = "label") -> str:
    """ "debit card ••4417": how a card is named to the customer (never more than the last 4);
    `form="title"` for a card named on its own, "Debit card ••4417"."""
    kind = card.kind if card.kind in KINDS else "other"
    return ctx.text(f"card_{form}_{kind}", last4=card.last4)


def _state(ctx: ActionContext, card: Card) -> str:
    return ctx.text(f"card_state_{card.status}") if card.status in STATES else card.status


def _expiry(card: Card) -> str:
    return f"{card.expires:%m/%y}"


def _card_buttons(ctx: ActionContext, cards: Sequence[Card]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (card_label(ctx, c, "title"), payload("inform", account=f"ending:{c.last4}")) for c in cards
    )


def match_cards(cards: Sequence[Card], reference: str) -> list[Card]:
    """The cards `reference` could mean: an id, "ending:4417", a last 4, or a kind."""
    text = reference.strip().lower()
    by_id = [c for c in cards if c.id.lower() == text]
    if by_id:
        return by_id
    groups = _LAST4.findall(text)
    if groups:  # a card number's last group is its last 4
        return [c for c in cards if c.last4 == groups[-1]]
    kinds = _ACCOUNT_KINDS.get(text) or {m.lower() for m in _KIND_WORDS.findall(text)}
    return [c for c in cards if c.kind in kinds] if kinds else list(cards)


def _operation(ctx: ActionContext) -> str:
    operation = str(ctx.slots.get("card_operation") or "")
    if operation not in ELIGIBLE:
        raise ValueError(f"card flows must preset card_operation to one of {sorted(ELIGIBLE)}")
    return operation


def _chosen(ctx: ActionContext, card: Card) -> dict[str, str]:
    return {"card": card.id, "card_id": card.id, "card_label": card_label(ctx, card)}


CHOSEN = ["card_id", "card_label"]


@action(
    "offer_cards",
    says={
        **{f"utter_no_card_to_{operation}": ["states"] for operation in ELIGIBLE},
        **{f"utter_cards_to_{operation}": ["note"] for operation in ELIGIBLE},
        "card_state_line": ["card", "state"],
        "card_already_frozen": ["card"],
        "card_none": [],
        **LABELS,
        **STATE_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=CHOSEN,
)
async def offer_cards(ctx: ActionContext) -> ActionResult:
    """Before asking which card: stop if none is eligible, pick the one meant, or list them.

    A card is picked without asking when what the customer said names exactly one, or when
    only one is eligible; but "I lost my card" from someone with a card already frozen may
    well mean that one, so then the list is shown and says so.
    """
    operation = _operation(ctx)
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("offer_cards", exc)
    eligible = [c for c in cards if c.status in ELIGIBLE[operation]]
    if not eligible:
        states = "; ".join(
            ctx.text("card_state_line", card=card_label(ctx, c), state=_state(ctx, c))
            for c in cards
        )
        reply = Reply(f"utter_no_card_to_{operation}", {"states": states or ctx.text("card_none")})
        return ActionResult(ok=False, error="no_eligible_card", replies=[reply])
    reference = str(ctx.slots.get("card") or "")
    matches = match_cards(eligible, reference) if reference else eligible
    frozen = [c for c in cards if c.status == "frozen"] if operation == "freeze" else []
    if len(matches) == 1 and (reference or not frozen):
        return ActionResult(slots=_chosen(ctx, matches[0]))
    note = "".join(ctx.text("card_already_frozen", card=card_label(ctx, c)) for c in frozen)
    buttons = _card_buttons(ctx, matches or eligible)
    reply = Reply(f"utter_cards_to_{operation}", {"note": note}, buttons)
    return ActionResult(replies=[reply], slots={"card": None})


@action(
    "validate_card",
    says={
        "utter_card_not_eligible": ["card_label", "state"],
        "utter_card_not_matched": ["reference"],
        **LABELS,
        **STATE_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=CHOSEN,
)
async def validate_card(ctx: ActionContext) -> ActionResult:
    """Exactly one eligible card must match what the customer said, else ask with buttons."""
    operation = _operation(ctx)
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("validate_card", exc)
    eligible = [c for c in cards if c.status in ELIGIBLE[operation]]
    reference = str(ctx.slots.get("card") or "")
    matches = match_cards(eligible, reference)
    if len(matches) == 1:
        return ActionResult(slots=_chosen(ctx, matches[0]))
    named = match_cards(cards, reference) if reference else []
    if len(named) == 1 and named[0] not in eligible:  # a real card, in the wrong state
        reply = Reply(
            "utter_card_not_eligible",
            {"card_label": card_label(ctx, named[0]), "state": _state(ctx, named[0])},
            _card_buttons(ctx, eligible),
        )
        return ActionResult(ok=False, error="card_not_eligible", replies=[reply])
    buttons = _card_buttons(ctx, eligible)
    reply = Reply("utter_card_not_matched", {"reference": reference}, buttons)
    return ActionResult(ok=False, error="card_not_matched", replies=[reply])


async def _change(ctx: ActionContext, operation: str) -> ActionResult:
    card_id = str(ctx.slots.get("card_id") or "")
    if not card_id or not ctx.idempotency_key:
        # A flow bug, not a customer problem: never change a card without an approved code.
        raise ValueError(f"{operation}_card needs the card_id slot and an idempotency key")
    said = {"card_label": str(ctx.slots.get("card_label") or ctx.text("card_unnamed"))}
    audit: dict[str, object] = {
        "card_id": card_id,
        "operation": operation,
        "idempotency_key": ctx.idempotency_key,
    }
    change: CardChange
    try:
        if operation == "freeze":
            reason = str(ctx.slots.get("freeze_reason") or "other")
            if reason == "lost" and ctx.slots.get("replace_reason") == "stolen":
                reason = "stolen"  # "my card was stolen": only staff may unfreeze it
            audit["reason"] = reason
            change = await ctx.bank.freeze_card(
                ctx.customer_id, card_id, reason, ctx.idempotency_key
            )
        elif operation == "unfreeze":
            change = await ctx.bank.unfreeze_card(ctx.customer_id, card_id, ctx.idempotency_key)
        else:
            change = await ctx.bank.activate_card(ctx.customer_id, card_id, ctx.idempotency_key)
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        outcome = STAFF_ONLY.get(exc.code, "refused")
        reply = Reply(f"utter_card_{operation}_{outcome}", said)
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        log.warning("%s_card: bank error (%s): %s", operation, "not sent" if unsent else "?", exc)
        audit |= {"bank_error": type(exc).__name__, "outcome_unknown": not unsent}
        key = f"utter_card_{operation}_unavailable" if unsent else f"utter_card_{operation}_unknown"
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    audit |= {
        "action_id": change.action_id,
        "from_status": change.from_status,
        "to_status": change.to_status,
        "replayed": change.replayed,
    }
    buttons: tuple[tuple[str, str], ...] = ()
    replace_reason = REPLACE_AFTER_FREEZE.get(str(audit.get("reason")))
    if operation == "freeze" and replace_reason and change.card.kind != "virtual":
        # A card that is gone for good: the replacement can be ordered here, for this card.
        order = payload(
            "replace_card", account=f"ending:{change.card.last4}", replace_reason=replace_reason
        )
        buttons = ((ctx.text("card_button_replace"), order),)
    reply = Reply(f"utter_card_{operation}_done", said, buttons)
    return ActionResult(replies=[reply], audit=audit)


def _change_says(operation: str, *extra: str) -> dict[str, list[str]]:
    outcomes = ("done", "refused", "unavailable", "unknown", *extra)
    return {
        **{f"utter_card_{operation}_{outcome}": ["card_label"] for outcome in outcomes},
        "card_unnamed": [],
    }


@action("freeze_card", says=_change_says("freeze") | {"card_button_replace": []})
async def freeze_card(ctx: ActionContext) -> ActionResult:
    return await _change(ctx, "freeze")


@action("unfreeze_card", says=_change_says("unfreeze", *set(STAFF_ONLY.values())))
async def unfreeze_card(ctx: ActionContext) -> ActionResult:
    return await _change(ctx, "unfreeze")


@action("activate_card", says=_change_says("activate"))
async def activate_card(ctx: ActionContext) -> ActionResult:
    return await _change(ctx, "activate")


def _late(card: Card, today: date) -> bool:
    delivery = card.delivery
    return bool(
        delivery
        and delivery.status != "delivered"
        and delivery.expected_on
        and delivery.expected_on < today
    )


DELIVERY_TEXTS = {
    "card_delivered_line": ["card", "day"],
    "card_posted_line": ["card", "day", "expected"],
    "card_ordered_line": ["card", "day", "expected"],
    "card_ordered_recently_line": ["card", "expected"],
    "card_expected_by": ["day"],
    "card_late": ["line"],
}


def _delivery_line(ctx: ActionContext, card: Card, today: date) -> str:
    delivery = card.delivery
    assert delivery is not None
    label = card_label(ctx, card, "title")
    expected = ctx.text("card_expected_by", day=day(delivery.expected_on))
    if not delivery.expected_on:
        expected = ""
    if delivery.status == "delivered" and delivery.delivered_at:
        return ctx.text("card_delivered_line", card=label, day=day(delivery.delivered_at.date()))
    if delivery.status == "dispatched" and delivery.dispatched_at:
        when = day(delivery.dispatched_at.date())
        line = ctx.text("card_posted_line", card=label, day=when, expected=expected)
    elif delivery.ordered_at:
        when = day(delivery.ordered_at.date())
        line = ctx.text("card_ordered_line", card=label, day=when, expected=expected)
    else:
        line = ctx.text("card_ordered_recently_line", card=label, expected=expected)
    return ctx.text("card_late", line=line) if _late(card, today) else line


@action(
    "card_delivery",
    says={
        "utter_no_cards_on_the_way": [],
        "utter_cards_late": ["lines"],
        "utter_cards_on_the_way": ["lines"],
        **DELIVERY_TEXTS,
        **LABELS,
        **BANK_UNAVAILABLE,
    },
)
async def card_delivery(ctx: ActionContext) -> ActionResult:
    """Cards on their way, or delivered but not yet activated."""
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("card_delivery", exc)
    today = ctx.now.date()
    coming = [
        c
        for c in cards
        if c.delivery is not None
        and (c.delivery.status != "delivered" or c.status == "pending_activation")
    ]
    if not coming:
        return ActionResult(replies=[Reply("utter_no_cards_on_the_way")])
    lines = "\n".join(_delivery_line(ctx, c, today) for c in coming)
    late = any(_late(c, today) for c in coming)
    reply = Reply("utter_cards_late" if late else "utter_cards_on_the_way", {"lines": lines})
    return ActionResult(replies=[reply])


def _status_said(ctx: ActionContext, card: Card, today: date) -> tuple[str, dict[str, str]]:
    """The status line's key (flagged when the card expires soon) and what it says."""
    # A card works to the end of its expiry month: it stops on the 1st of the next one.
    expires_end = (card.expires.replace(day=28) + timedelta(days=4)).replace(day=1)
    state = ctx.text("card_state_expired") if expires_end <= today else _state(ctx, card)
    soon = today < expires_end <= today + timedelta(days=EXPIRING_DAYS)
    key = "card_status_line_soon" if soon and card.status != "cancelled" else "card_status_line"
    label = card_label(ctx, card, "title")
    return key, {"card": label, "scheme": card.scheme, "state": state, "expires": _expiry(card)}


def _status_line(ctx: ActionContext, card: Card, today: date) -> str:
    key, said = _status_said(ctx, card, today)
    return ctx.text(key, **said)


CARD_COLUMNS = ("card", "scheme", "state", "expires")
CARD_RICH = {
    **card_says("card_status", ["card"], ["scheme", "state", "expires"]),
    **card_says("card_status_soon", ["card"], ["scheme", "state", "expires"]),
    **table_says("cards", CARD_COLUMNS),
}


def _cards_attachment(ctx: ActionContext, cards: Sequence[Card], today: date) -> Attachment:
    """One card: a card of its state and expiry; several: a table, a row per card."""
    said = [_status_said(ctx, c, today) for c in cards]
    if len(said) == 1:
        key, values = said[0]
        name = "card_status_soon" if key.endswith("_soon") else "card_status"
        text = ctx.text(f"card_{name}_lines", **values)
        return SummaryCard(
            title=ctx.text(f"card_{name}_title", card=values["card"]),
            lines=tuple(line.strip() for line in text.splitlines() if line.strip()),
        )
    return table(ctx, "cards", CARD_COLUMNS, [values for _, values in said])


@action(
    "card_status",
    says={
        "utter_no_cards": [],
        "utter_card_status": ["lines"],
        "card_status_line": ["card", "scheme", "state", "expires"],
        "card_status_line_soon": ["card", "scheme", "state", "expires"],
        "card_state_expired": [],
        **CARD_RICH,
        **STATE_TEXTS,
        **LABELS,
        **BANK_UNAVAILABLE,
    },
)
async def card_status(ctx: ActionContext) -> ActionResult:
    """Every card with its state and expiry, so "why doesn't my card work" has an answer."""
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("card_status", exc)
    if not cards:
        return ActionResult(replies=[Reply("utter_no_cards")])
    today = ctx.now.date()
    lines = "\n".join(_status_line(ctx, c, today) for c in cards)
    attachment = _cards_attachment(ctx, cards, today)
    return ActionResult(
        replies=[Reply("utter_card_status", {"lines": lines}, attachment=attachment)]
    )
