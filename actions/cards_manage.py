"""Managing a card: replacing it, its controls (daily limits, payment types) and a blocked PIN.

The flows (bot/domain/cards_manage.yml) preset `card_operation` to `replace`, `controls` or
`pin`, which decides which of the customer's cards may be picked. Changes are sent with the
flow's idempotency key (the approved code's challenge, or this run of the flow when the
change only tightens and no code is asked); the bank audits each one. A PIN is never asked
for, shown or kept: the bank's app shows it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from decimal import Decimal

from actions.cards import LABELS, STATE_TEXTS, card_label, match_cards
from actions.formatting import day, money
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.validators import AMOUNT_REASONS, amount_problem
from bot.bank import (
    BankError,
    BankRejected,
    BankUnavailable,
    Card,
    CardControls,
    PostalAddress,
)
from bot.handlers import ActionContext, ActionResult, Reply, action

log = logging.getLogger("actions.cards_manage")

OPERATIONS = ("replace", "controls", "pin")
LIMITS = ("atm", "online", "contactless")
SWITCHES = ("online", "contactless", "abroad", "gambling")
REASONS = ("lost", "stolen", "damaged", "expiring")
CANCELS_OLD = ("lost", "stolen")
# The customer's own words for each value, when typed as an answer rather than tagged.
_WORDS = {
    "card_control": {
        "atm": r"atm|cash|withdraw|machine",
        "online": r"online|internet|web",
        "contactless": r"contact\s*less|tap|apple|google",
        "abroad": r"abroad|overseas|foreign|international",
        "gambling": r"gambl|bet|casino|bookie",
    },
    "card_switch": {
        "on": r"\bon\b|enable|allow|unblock|yes|start",
        "off": r"\boff\b|disable|block|stop|no\b|prevent",
    },
    "replace_reason": {
        "stolen": r"stol|nick|pick|rob|mug|thef",
        "lost": r"lost|lose|misplac|find|missing",
        "damaged": r"damag|broke|snap|crack|bent|scratch|worn|chip|faulty|split|chew|melt|knack",
        "expiring": r"expir|renew|out of date|running out",
    },
}
NAMES = {
    **{f"card_limit_name_{name}": [] for name in LIMITS},
    **{f"card_switch_name_{name}": [] for name in SWITCHES},
    "card_switch_state_on": [],
    "card_switch_state_off": [],
}


def word_value(slot: str, raw: object) -> str | None:
    """The value of `slot` that `raw` names ("it snapped" -> damaged), if exactly clear."""
    text = str(raw or "").strip().lower()
    if text in _WORDS[slot]:
        return text
    found = [value for value, words in _WORDS[slot].items() if re.search(words, text)]
    return found[0] if found else None


def _operation(ctx: ActionContext) -> str:
    operation = str(ctx.slots.get("card_operation") or "")
    if operation not in OPERATIONS:
        raise ValueError(f"card management flows preset card_operation to one of {OPERATIONS}")
    return operation


async def _eligible(ctx: ActionContext, operation: str, cards: Sequence[Card]) -> list[Card]:
    working = [c for c in cards if c.status != "cancelled"]
    if operation == "controls":
        return working
    physical = [c for c in working if c.kind != "virtual"]
    if operation == "replace":
        return physical
    blocked = []
    for card in physical:
        if (await ctx.bank.card_controls(ctx.customer_id, card.id)).pin_blocked:
            blocked.append(card)
    return blocked


def _buttons(ctx: ActionContext, cards: Sequence[Card]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (card_label(ctx, c, "title"), payload("inform", account=f"ending:{c.last4}")) for c in cards
    )


def _chosen(ctx: ActionContext, card: Card) -> dict[str, str]:
    return {"card": card.id, "card_id": card.id, "card_label": card_label(ctx, card)}


def _state(ctx: ActionContext, card: Card) -> str:
    key = f"card_state_{card.status}"
    return ctx.text(key) if key in STATE_TEXTS else card.status


CHOSEN = ["card_id", "card_label"]


@action(
    "offer_managed_cards",
    says={
        **{f"utter_no_card_to_{operation}": ["states"] for operation in OPERATIONS},
        **{f"utter_cards_to_{operation}": [] for operation in OPERATIONS},
        "card_state_line": ["card", "state"],
        "card_none": [],
        **LABELS,
        **STATE_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=CHOSEN,
)
async def offer_managed_cards(ctx: ActionContext) -> ActionResult:
    """Stop when no card fits the operation, take the one meant or the only one, else list."""
    operation = _operation(ctx)
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
        eligible = await _eligible(ctx, operation, cards)
    except BankError as exc:
        return bank_unavailable("offer_managed_cards", exc)
    if not eligible:
        states = "; ".join(
            ctx.text("card_state_line", card=card_label(ctx, c), state=_state(ctx, c))
            for c in cards
        )
        reply = Reply(f"utter_no_card_to_{operation}", {"states": states or ctx.text("card_none")})
        return ActionResult(ok=False, error="no_eligible_card", replies=[reply])
    reference = str(ctx.slots.get("card") or "")
    matches = match_cards(eligible, reference) if reference else eligible
    if len(matches) == 1:
        return ActionResult(slots=_chosen(ctx, matches[0]))
    reply = Reply(f"utter_cards_to_{operation}", {}, _buttons(ctx, matches or eligible))
    return ActionResult(replies=[reply], slots={"card": None})


@action(
    "validate_managed_card",
    says={
        "utter_managed_card_not_eligible": ["card_label", "state"],
        "utter_card_not_matched": ["reference"],
        **LABELS,
        **STATE_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=CHOSEN,
)
async def validate_managed_card(ctx: ActionContext) -> ActionResult:
    operation = _operation(ctx)
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
        eligible = await _eligible(ctx, operation, cards)
    except BankError as exc:
        return bank_unavailable("validate_managed_card", exc)
    reference = str(ctx.slots.get("card") or "")
    matches = match_cards(eligible, reference)
    if len(matches) == 1:
        return ActionResult(slots=_chosen(ctx, matches[0]))
    named = match_cards(cards, reference) if reference else []
    if len(named) == 1 and named[0] not in eligible:
        reply = Reply(
            "utter_managed_card_not_eligible",
            {"card_label": card_label(ctx, named[0]), "state": _state(ctx, named[0])},
            _buttons(ctx, eligible),
        )
        return ActionResult(ok=False, error="card_not_eligible", replies=[reply])
    reply = Reply("utter_card_not_matched", {"reference": reference}, _buttons(ctx, eligible))
    return ActionResult(ok=False, error="card_not_matched", replies=[reply])


async def _controls(ctx: ActionContext) -> CardControls:
    return await ctx.bank.card_controls(ctx.customer_id, str(ctx.slots.get("card_id") or ""))


def _said(ctx: ActionContext) -> dict[str, str]:
    return {"card_label": str(ctx.slots.get("card_label") or ctx.text("card_unnamed"))}


def _change_failed(
    ctx: ActionContext, name: str, exc: BankError, audit: dict[str, object], **said: str
) -> ActionResult:
    """The bank was not reached, or did not answer: say which, never retry behind the back."""
    unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
    log.warning("%s: bank error (%s): %s", name, "not sent" if unsent else "?", exc)
    audit |= {"bank_error": type(exc).__name__, "outcome_unknown": not unsent}
    key = "utter_card_change_unavailable" if unsent else "utter_card_change_unknown"
    return ActionResult(
        ok=False,
        error="bank_unavailable",
        replies=[Reply(key, _said(ctx) | said)],
        audit=audit,
    )


CHANGE_FAILED = {
    "utter_card_change_unavailable": ["card_label"],
    "utter_card_change_unknown": ["card_label"],
    "card_unnamed": [],
}


# -- replace -------------------------------------------------------------------------------

REASON_TEXTS = {f"replace_reason_{reason}": [] for reason in REASONS}


@action(
    "validate_replace_reason",
    says={"utter_replace_reason_unknown": [], **REASON_TEXTS, "replace_keeps_working": []}
    | {"replace_cancels_now": ["card_label"]},
    sets=["replace_reason_text", "replace_consequence"],
)
async def validate_replace_reason(ctx: ActionContext) -> ActionResult:
    reason = word_value("replace_reason", ctx.slots.get("replace_reason"))
    if reason is None:
        return ActionResult(
            ok=False, error="reason_unknown", replies=[Reply("utter_replace_reason_unknown")]
        )
    consequence = (
        ctx.text("replace_cancels_now", card_label=_said(ctx)["card_label"])
        if reason in CANCELS_OLD
        else ctx.text("replace_keeps_working")
    )
    return ActionResult(
        slots={
            "replace_reason": reason,
            "replace_reason_text": ctx.text(f"replace_reason_{reason}"),
            "replace_consequence": consequence,
        }
    )


def mask_address(address: PostalAddress) -> str:
    """ "14 E••• G•••, Manchester M20 •••": enough to recognise, not enough to read off.
    A house number stays; every other word of the street keeps its first letter."""
    words = []
    for word in " ".join(address.lines).split():
        words.append(word if any(ch.isdigit() for ch in word) else f"{word[:1]}•••")
    outward = address.post_code.split()[0] if address.post_code.split() else ""
    return f"{' '.join(words)}, {address.town} {outward} •••".strip()


@action(
    "show_delivery_address",
    says={
        "utter_no_postal_address": [],
        "utter_replacement_on_the_way": ["card_label", "new_card", "expected"],
        "card_expected_soon": [],
        **LABELS,
        **BANK_UNAVAILABLE,
    },
    sets=["delivery_address"],
)
async def show_delivery_address(ctx: ActionContext) -> ActionResult:
    """The address the bank will post to, masked; a damaged or expiring card whose
    replacement is already in the post is not replaced twice."""
    card_id = str(ctx.slots.get("card_id") or "")
    try:
        cards = await ctx.bank.list_cards(ctx.customer_id)
        address = await ctx.bank.postal_address(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("show_delivery_address", exc)
    old = next((c for c in cards if c.id == card_id), None)
    if old is not None and ctx.slots.get("replace_reason") not in CANCELS_OLD:
        coming = [
            c
            for c in cards
            if c.id != old.id
            and c.account_id == old.account_id
            and c.kind == old.kind
            and c.status == "pending_activation"
        ]
        if coming:
            delivery = coming[0].delivery
            expected = (
                day(delivery.expected_on)
                if delivery and delivery.expected_on
                else ctx.text("card_expected_soon")
            )
            reply = Reply(
                "utter_replacement_on_the_way",
                {
                    "card_label": card_label(ctx, old),
                    "new_card": card_label(ctx, coming[0]),
                    "expected": expected,
                },
            )
            return ActionResult(ok=False, error="replacement_on_the_way", replies=[reply])
    if address is None:
        return ActionResult(
            ok=False, error="no_postal_address", replies=[Reply("utter_no_postal_address")]
        )
    return ActionResult(slots={"delivery_address": mask_address(address)})


REPLACE_REFUSALS = {
    "replacement_on_the_way": "utter_card_replace_on_the_way",
    "card_cancelled": "utter_card_replace_refused",
    "card_not_replaceable": "utter_card_replace_virtual",
    "no_postal_address": "utter_no_postal_address",
}


@action(
    "replace_card",
    says={
        "utter_card_replace_done": [
            "card_label",
            "new_card",
            "expected",
            "delivery_address",
            "old_card_note",
        ],
        "utter_card_replace_stolen_help": [],
        "replace_old_cancelled": ["card_label"],
        "replace_old_works": ["card_label"],
        "card_expected_soon": [],
        "utter_card_replace_on_the_way": ["card_label"],
        "utter_card_replace_refused": ["card_label"],
        "utter_card_replace_virtual": ["card_label"],
        "utter_no_postal_address": [],
        **CHANGE_FAILED,
        **LABELS,
    },
)
async def replace_card(ctx: ActionContext) -> ActionResult:
    card_id = str(ctx.slots.get("card_id") or "")
    reason = str(ctx.slots.get("replace_reason") or "")
    if not card_id or reason not in REASONS or not ctx.idempotency_key:
        raise ValueError("replace_card needs card_id, replace_reason and an idempotency key")
    audit: dict[str, object] = {
        "card_id": card_id,
        "operation": "replace",
        "reason": reason,
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        done = await ctx.bank.replace_card(ctx.customer_id, card_id, reason, ctx.idempotency_key)
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        key = REPLACE_REFUSALS.get(exc.code, "utter_card_replace_refused")
        return ActionResult(
            ok=False, error="bank_rejected", replies=[Reply(key, _said(ctx))], audit=audit
        )
    except BankError as exc:
        return _change_failed(ctx, "replace_card", exc, audit)
    delivery = done.card.delivery
    expected = (
        day(delivery.expected_on)
        if delivery and delivery.expected_on
        else ctx.text("card_expected_soon")
    )
    note_key = (
        "replace_old_cancelled" if done.old_card_status == "cancelled" else "replace_old_works"
    )
    replies = [
        Reply(
            "utter_card_replace_done",
            {
                **_said(ctx),
                "new_card": card_label(ctx, done.card),
                "expected": expected,
                "delivery_address": str(ctx.slots.get("delivery_address") or ""),
                "old_card_note": ctx.text(note_key, **_said(ctx)),
            },
        )
    ]
    if reason == "stolen":
        replies.append(Reply("utter_card_replace_stolen_help"))
    audit |= {
        "replacement_id": done.replacement_id,
        "new_card_id": done.card.id,
        "old_card_status": done.old_card_status,
        "replayed": done.replayed,
    }
    return ActionResult(replies=replies, audit=audit)


# -- controls ------------------------------------------------------------------------------


def _limit_line(ctx: ActionContext, controls: CardControls, name: str) -> str:
    limit = controls.limits[name]
    return ctx.text(
        "card_limit_line",
        limit=ctx.text(f"card_limit_name_{name}"),
        daily=money(limit.daily),
        minimum=money(limit.minimum),
        maximum=money(limit.maximum),
    )


def _switch_line(ctx: ActionContext, controls: CardControls, name: str) -> str:
    state = "on" if controls.switches.get(name) else "off"
    return ctx.text(
        "card_switch_line",
        switch=ctx.text(f"card_switch_name_{name}"),
        state=ctx.text(f"card_switch_state_{state}"),
    )


@action(
    "show_card_controls",
    says={
        "utter_card_controls": ["card_label", "limits", "switches"],
        "card_limit_line": ["limit", "daily", "minimum", "maximum"],
        "card_switch_line": ["switch", "state"],
        **NAMES,
        **BANK_UNAVAILABLE,
    },
)
async def show_card_controls(ctx: ActionContext) -> ActionResult:
    try:
        controls = await _controls(ctx)
    except BankError as exc:
        return bank_unavailable("show_card_controls", exc)
    limits = "\n".join(_limit_line(ctx, controls, name) for name in LIMITS)
    switches = "\n".join(_switch_line(ctx, controls, name) for name in SWITCHES)
    reply = Reply("utter_card_controls", _said(ctx) | {"limits": limits, "switches": switches})
    return ActionResult(replies=[reply])


def _choice_buttons(ctx: ActionContext, prefix: str, names: Sequence[str], slot: str):
    return tuple((ctx.text(f"{prefix}{name}"), payload("inform", **{slot: name})) for name in names)


@action(
    "validate_limit_type",
    says={"utter_limit_type_unknown": [], **NAMES, **BANK_UNAVAILABLE},
    sets=["limit_name", "limit_now_text", "limit_min_text", "limit_max_text"],
)
async def validate_limit_type(ctx: ActionContext) -> ActionResult:
    name = word_value("card_control", ctx.slots.get("card_control"))
    if name not in LIMITS:
        buttons = _choice_buttons(ctx, "card_limit_name_", LIMITS, "card_control")
        reply = Reply("utter_limit_type_unknown", {}, buttons)
        return ActionResult(ok=False, error="limit_unknown", replies=[reply])
    try:
        limit = (await _controls(ctx)).limits[name]
    except BankError as exc:
        return bank_unavailable("validate_limit_type", exc)
    return ActionResult(
        slots={
            "card_control": name,
            "limit_name": ctx.text(f"card_limit_name_{name}"),
            "limit_now_text": money(limit.daily),
            "limit_min_text": money(limit.minimum),
            "limit_max_text": money(limit.maximum),
        }
    )


@action(
    "validate_card_limit",
    says={
        "utter_amount_invalid": ["reason"],
        "utter_card_limit_out_of_bounds": [
            "amount_text",
            "limit_name",
            "limit_min_text",
            "limit_max_text",
        ],
        "utter_card_limit_whole_pounds": [],
        "utter_card_limit_unchanged": ["limit_name", "amount_text"],
        "utter_card_limit_currency": [],
        **AMOUNT_REASONS,
        **NAMES,
        **BANK_UNAVAILABLE,
    },
    sets=["amount_text", "card_change_tightens", "limit_name", "limit_now_text"],
)
async def validate_card_limit(ctx: ActionContext) -> ActionResult:
    """Within the bank's bounds, in whole pounds, and not what it is already; lowering a
    limit only narrows what the card may do, so it needs no code."""
    currency = str(ctx.slots.get("currency") or "GBP").strip().upper()
    if currency != "GBP":
        return ActionResult(
            ok=False, error="currency", replies=[Reply("utter_card_limit_currency")]
        )
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    name = str(ctx.slots.get("card_control") or "")
    try:
        limit = (await _controls(ctx)).limits[name]
    except BankError as exc:
        return bank_unavailable("validate_card_limit", exc)
    limit_name = ctx.text(f"card_limit_name_{name}")
    said = {"amount_text": money(amount), "limit_name": limit_name}
    if not limit.minimum <= amount <= limit.maximum:
        bounds = {"limit_min_text": money(limit.minimum), "limit_max_text": money(limit.maximum)}
        reply = Reply("utter_card_limit_out_of_bounds", said | bounds)
        return ActionResult(ok=False, error="limit_out_of_bounds", replies=[reply])
    if amount != amount.to_integral_value():
        return ActionResult(
            ok=False, error="not_whole_pounds", replies=[Reply("utter_card_limit_whole_pounds")]
        )
    if amount == limit.daily:
        reply = Reply("utter_card_limit_unchanged", said)
        return ActionResult(ok=False, error="limit_unchanged", replies=[reply])
    return ActionResult(
        slots={
            "amount": f"{amount:.2f}",
            "currency": "GBP",
            "amount_text": money(amount),
            "card_change_tightens": amount < limit.daily,
            "limit_name": limit_name,
            "limit_now_text": money(limit.daily),
        }
    )


def _changed_meanwhile(ctx: ActionContext, audit: dict[str, object]) -> ActionResult:
    audit["refused"] = "loosens_without_code"
    reply = Reply("utter_card_control_changed_meanwhile", _said(ctx))
    return ActionResult(ok=False, error="changed_meanwhile", replies=[reply], audit=audit)


@action(
    "set_card_limit",
    says={
        "utter_card_limit_done": ["limit_name", "card_label", "amount_text"],
        "utter_card_limit_refused": ["card_label"],
        "utter_card_control_changed_meanwhile": ["card_label"],
        **CHANGE_FAILED,
    },
)
async def set_card_limit(ctx: ActionContext) -> ActionResult:
    card_id = str(ctx.slots.get("card_id") or "")
    name = str(ctx.slots.get("card_control") or "")
    amount = Decimal(str(ctx.slots.get("amount") or "0"))
    if not card_id or name not in LIMITS or not ctx.idempotency_key:
        raise ValueError("set_card_limit needs card_id, card_control, amount and a key")
    audit: dict[str, object] = {
        "card_id": card_id,
        "operation": f"{name}_limit",
        "amount": f"{amount:.2f}",
        "idempotency_key": ctx.idempotency_key,
    }
    tightens = ctx.slots.get("card_change_tightens") is True
    audit["code_asked"] = not tightens
    try:
        if tightens and amount > (await _controls(ctx)).limits[name].daily:
            # No code was asked because this lowered the limit; it no longer does.
            return _changed_meanwhile(ctx, audit)
        change = await ctx.bank.set_card_limit(
            ctx.customer_id, card_id, name, amount, ctx.idempotency_key
        )
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        reply = Reply("utter_card_limit_refused", _said(ctx))
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        return _change_failed(ctx, "set_card_limit", exc, audit)
    audit |= {"change_id": change.change_id, "replayed": change.replayed}
    said = _said(ctx) | {
        "limit_name": str(ctx.slots.get("limit_name") or ""),
        "amount_text": money(amount),
    }
    return ActionResult(replies=[Reply("utter_card_limit_done", said)], audit=audit)


@action(
    "validate_switch_type",
    says={"utter_switch_type_unknown": [], "utter_switch_atm": [], **NAMES},
    sets=["switch_name"],
)
async def validate_switch_type(ctx: ActionContext) -> ActionResult:
    name = word_value("card_control", ctx.slots.get("card_control"))
    buttons = _choice_buttons(ctx, "card_switch_name_", SWITCHES, "card_control")
    if name == "atm":  # cash cannot be switched off alone: a lower limit, or a freeze
        reply = Reply("utter_switch_atm", {}, buttons)
        return ActionResult(ok=False, error="switch_atm", replies=[reply])
    if name not in SWITCHES:
        reply = Reply("utter_switch_type_unknown", {}, buttons)
        return ActionResult(ok=False, error="switch_unknown", replies=[reply])
    return ActionResult(
        slots={"card_control": name, "switch_name": ctx.text(f"card_switch_name_{name}")}
    )


@action(
    "validate_card_switch",
    says={"utter_card_switch_unknown": [], **NAMES},
    sets=["card_change_tightens", "switch_state_text"],
)
async def validate_card_switch(ctx: ActionContext) -> ActionResult:
    """On or off; off only narrows what the card may do, so it needs no code."""
    value = word_value("card_switch", ctx.slots.get("card_switch"))
    if value is None:
        buttons = _choice_buttons(ctx, "card_switch_state_", ("on", "off"), "card_switch")
        reply = Reply("utter_card_switch_unknown", {}, buttons)
        return ActionResult(ok=False, error="switch_unknown", replies=[reply])
    return ActionResult(
        slots={
            "card_switch": value,
            "card_change_tightens": value == "off",
            "switch_state_text": ctx.text(f"card_switch_state_{value}"),
        }
    )


@action(
    "check_card_switch",
    says={
        "utter_card_switch_already": ["switch_name", "card_label", "switch_state_text"],
        **BANK_UNAVAILABLE,
    },
)
async def check_card_switch(ctx: ActionContext) -> ActionResult:
    """Nothing to confirm when the payments are already as asked."""
    name = str(ctx.slots.get("card_control") or "")
    wanted = ctx.slots.get("card_switch") == "on"
    try:
        current = (await _controls(ctx)).switches.get(name)
    except BankError as exc:
        return bank_unavailable("check_card_switch", exc)
    if current is wanted:
        said = _said(ctx) | {
            "switch_name": str(ctx.slots.get("switch_name") or ""),
            "switch_state_text": str(ctx.slots.get("switch_state_text") or ""),
        }
        reply = Reply("utter_card_switch_already", said)
        return ActionResult(ok=False, error="switch_unchanged", replies=[reply])
    return ActionResult()


@action(
    "set_card_switch",
    says={
        "utter_card_switch_done": ["switch_name", "card_label", "switch_state_text"],
        "utter_card_switch_refused": ["card_label"],
        **CHANGE_FAILED,
    },
)
async def set_card_switch(ctx: ActionContext) -> ActionResult:
    card_id = str(ctx.slots.get("card_id") or "")
    name = str(ctx.slots.get("card_control") or "")
    value = ctx.slots.get("card_switch")
    if not card_id or name not in SWITCHES or value not in ("on", "off"):
        raise ValueError("set_card_switch needs card_id, card_control and card_switch")
    if not ctx.idempotency_key:
        raise ValueError("set_card_switch needs an idempotency key")
    enabled = value == "on"
    if enabled and ctx.slots.get("card_change_tightens") is True:
        raise ValueError("switching payments on is never a change without a code")
    audit: dict[str, object] = {
        "card_id": card_id,
        "operation": name,
        "enabled": enabled,
        "code_asked": enabled,
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        change = await ctx.bank.set_card_switch(
            ctx.customer_id, card_id, name, enabled, ctx.idempotency_key
        )
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        reply = Reply("utter_card_switch_refused", _said(ctx))
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        return _change_failed(ctx, "set_card_switch", exc, audit)
    audit |= {"change_id": change.change_id, "replayed": change.replayed}
    said = _said(ctx) | {
        "switch_name": str(ctx.slots.get("switch_name") or ""),
        "switch_state_text": str(ctx.slots.get("switch_state_text") or ""),
    }
    return ActionResult(replies=[Reply("utter_card_switch_done", said)], audit=audit)


# -- PIN -----------------------------------------------------------------------------------


@action(
    "check_pin_unblock",
    says={"utter_pin_unblock_staff_only": ["card_label"], **BANK_UNAVAILABLE},
)
async def check_pin_unblock(ctx: ActionContext) -> ActionResult:
    """Before any code: the bank does not let the chat unblock a PIN after a fraud freeze."""
    try:
        controls = await _controls(ctx)
    except BankError as exc:
        return bank_unavailable("check_pin_unblock", exc)
    if not controls.pin_unblock_allowed:
        reply = Reply("utter_pin_unblock_staff_only", _said(ctx))
        return ActionResult(ok=False, error="pin_unblock_not_allowed", replies=[reply])
    return ActionResult()


PIN_REFUSALS = {
    "pin_unblock_not_allowed": "utter_pin_unblock_staff_only",
    "pin_not_blocked": "utter_pin_not_blocked",
}


@action(
    "unblock_pin",
    says={
        "utter_pin_unblock_done": ["card_label"],
        "utter_pin_unblock_staff_only": ["card_label"],
        "utter_pin_not_blocked": ["card_label"],
        "utter_pin_unblock_refused": ["card_label"],
        **CHANGE_FAILED,
    },
)
async def unblock_pin(ctx: ActionContext) -> ActionResult:
    card_id = str(ctx.slots.get("card_id") or "")
    if not card_id or not ctx.idempotency_key:
        raise ValueError("unblock_pin needs the card_id slot and an idempotency key")
    audit: dict[str, object] = {
        "card_id": card_id,
        "operation": "pin_unblock",
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        change = await ctx.bank.unblock_pin(ctx.customer_id, card_id, ctx.idempotency_key)
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        key = PIN_REFUSALS.get(exc.code, "utter_pin_unblock_refused")
        return ActionResult(
            ok=False, error="bank_rejected", replies=[Reply(key, _said(ctx))], audit=audit
        )
    except BankError as exc:
        return _change_failed(ctx, "unblock_pin", exc, audit)
    audit |= {"change_id": change.change_id, "replayed": change.replayed}
    return ActionResult(replies=[Reply("utter_pin_unblock_done", _said(ctx))], audit=audit)
