"""Adding a bill: a biller from the bank's directory and the customer's reference with it.

The reference is checked as the bank checks it (its pattern, then its check digit) before
anything is confirmed, and a failure says what that biller's references look like. Card
issuers' references are card numbers, which chat never keeps, so those are added in the app.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from actions.bills import find_billers
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from bot.bank import BankError, BankRejected, BankUnavailable, Biller
from bot.handlers import ActionContext, ActionResult, Reply, action

_SPACES = re.compile(r"[\s-]+")


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10): double every second digit from the right."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def mod11_ok(digits: str) -> bool:
    """The last digit is (11 - weighted sum mod 11) mod 11, weights from len down to 2."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * w for d, w in zip(body, range(len(body) + 1, 1, -1), strict=True))
    expected = (11 - total % 11) % 11
    return expected != 10 and expected == check


CHECKS: dict[str, Callable[[str], bool]] = {"luhn": luhn_ok, "mod11": mod11_ok}


def reference_ok(biller: Biller, reference: str) -> bool:
    """The bank's own rule: the whole reference matches, and its check digit adds up."""
    if not biller.pattern or re.fullmatch(biller.pattern, reference) is None:
        return not biller.pattern
    check = CHECKS.get(biller.check_digit or "")
    return check is None or check(reference)


def _biller_buttons(billers: list[Biller]) -> tuple[tuple[str, str], ...]:
    return tuple((b.name, payload("inform", merchant=b.name)) for b in billers)


async def _directory(ctx: ActionContext) -> list[Biller]:
    return await ctx.bank.list_billers()


@action(
    "validate_biller",
    says={
        "utter_billers": [],
        "utter_biller_not_found": ["name"],
        "utter_biller_card_issuer": ["name"],
        **BANK_UNAVAILABLE,
    },
    sets=["biller", "biller_id", "biller_name", "reference_rule", "reference_example"],
)
async def validate_biller(ctx: ActionContext) -> ActionResult:
    """One biller of the directory by name or category, else the choices as buttons."""
    name = str(ctx.slots.get("biller") or ctx.slots.get("payee") or "").strip()
    category = str(ctx.slots.get("bill_category") or "")
    try:
        billers = await _directory(ctx)
    except BankError as exc:
        return bank_unavailable("validate_biller", exc)
    addable = [b for b in billers if b.category != "card_issuer"]
    found = find_billers(billers, name, category) if name or category else []
    if len(found) == 1 and found[0].category == "card_issuer":
        reply = Reply("utter_biller_card_issuer", {"name": found[0].name}, _biller_buttons(addable))
        return ActionResult(ok=False, error="card_issuer", replies=[reply])
    if len(found) == 1:
        b = found[0]
        return ActionResult(
            slots={
                "biller": b.name,
                "biller_id": b.id,
                "biller_name": b.name,
                "reference_rule": b.reference_rule,
                "reference_example": b.reference_example,
            }
        )
    if name and not found:
        reply = Reply("utter_biller_not_found", {"name": name}, _biller_buttons(addable))
    else:
        choices = [b for b in found if b.category != "card_issuer"] or addable
        reply = Reply("utter_billers", {}, _biller_buttons(choices))
    return ActionResult(ok=False, error="biller_not_chosen", replies=[reply])


@action(
    "validate_bill_reference",
    says={"utter_bill_reference_invalid": ["biller_name", "reference_rule", "reference_example"]},
    sets=["bill_reference"],
)
async def validate_bill_reference(ctx: ActionContext) -> ActionResult:
    """Spaces and hyphens dropped and upper-cased, as the bank reads it, then checked."""
    reference = _SPACES.sub("", str(ctx.slots.get("bill_reference") or "")).upper()
    try:
        billers = await _directory(ctx)
    except BankError as exc:
        return bank_unavailable("validate_bill_reference", exc)
    biller = next((b for b in billers if b.id == ctx.slots.get("biller_id")), None)
    if biller is None or not reference_ok(biller, reference):
        said = {
            k: ctx.slots.get(k, "") for k in ("biller_name", "reference_rule", "reference_example")
        }
        reply = Reply("utter_bill_reference_invalid", said)
        return ActionResult(ok=False, error="invalid_reference", replies=[reply])
    return ActionResult(slots={"bill_reference": reference})


SAID = ["biller_name", "bill_reference"]
REFUSALS = {
    "bill_exists": "utter_bill_exists",
    "invalid_reference": "utter_bill_reference_refused",
}


@action(
    "add_bill",
    says={
        "utter_bill_added": SAID,
        "utter_bill_exists": SAID,
        "utter_bill_reference_refused": SAID,
        "utter_bill_not_added": SAID,
        "utter_bill_add_unconfirmed": SAID,
        **BANK_UNAVAILABLE,
    },
)
async def add_bill(ctx: ActionContext) -> ActionResult:
    """Save the biller with the approved reference; the same key again saves nothing new."""
    if not (ctx.slots.get("biller_id") and ctx.slots.get("bill_reference") and ctx.idempotency_key):
        raise ValueError("add_bill needs biller_id, bill_reference and an idempotency key")
    said = {name: ctx.slots.get(name, "") for name in SAID}
    audit = {
        "biller_id": ctx.slots["biller_id"],
        "reference_end": str(ctx.slots["bill_reference"])[-4:],
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        bill = await ctx.bank.add_bill(
            ctx.customer_id,
            biller_id=str(ctx.slots["biller_id"]),
            reference=str(ctx.slots["bill_reference"]),
            nickname=None,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        key = REFUSALS.get(exc.code, "utter_bill_not_added")
        return ActionResult(
            ok=False,
            error=exc.code,
            replies=[Reply(key, said)],
            audit=audit | {"bank_code": exc.code},
        )
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        key = "utter_bank_unavailable" if unsent else "utter_bill_add_unconfirmed"
        return ActionResult(
            ok=False,
            error="bank_unavailable",
            replies=[Reply(key, said)],
            audit=audit | {"bank_error": type(exc).__name__, "outcome_unknown": not unsent},
        )
    return ActionResult(
        replies=[Reply("utter_bill_added", said)], audit=audit | {"bill_id": bill.id}
    )
