"""Bills: the customer's saved billers, and paying one ("pay my electricity bill").

A saved bill is found by the biller's name or nickname ("British Gas", "Gas") or by what it
is for (the `bill_category` entity: energy, water, council tax, mobile, broadband, card
issuers); several that fit are offered as buttons, and a biller the customer has not saved
is offered to be added. References are shown by their last four characters only.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from actions.paying import Order, Outcome, pay, required
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from bot.bank import BankError, Bill, Biller, Creditor
from bot.handlers import ActionContext, ActionResult, Reply, action

MATCH_THRESHOLD = 85  # "british gas" finds "British Gas"; "gas" alone is its category


def masked(reference: str) -> str:
    """Only the last four characters of a customer reference: "••9377"."""
    return f"••{reference[-4:]}"


def bill_label(ctx: ActionContext, bill: Bill) -> str:
    """ "British Gas (Gas) ••9377": the name, the customer's nickname, the reference's end."""
    key = (
        "bill_label_nicknamed"
        if bill.nickname and bill.nickname != bill.biller_name
        else "bill_label"
    )
    return ctx.text(
        key, biller=bill.biller_name, nickname=bill.nickname or "", reference=masked(bill.reference)
    )


LABELS = {
    "bill_label": ["biller", "reference"],
    "bill_label_nicknamed": ["biller", "nickname", "reference"],
}


def _named(name: str, candidates: Sequence[str]) -> bool:
    wanted = default_process(name)
    return bool(wanted) and any(
        fuzz.token_set_ratio(wanted, default_process(c)) >= MATCH_THRESHOLD for c in candidates if c
    )


def find_bills(bills: Sequence[Bill], name: str, category: str) -> list[Bill]:
    """By id (a button), name or nickname, else by category; [] when nothing fits."""
    exact = [b for b in bills if b.id == name]
    if exact:
        return exact
    if name:
        by_name = [b for b in bills if _named(name, (b.biller_name, b.nickname or ""))]
        if by_name:
            return by_name
    return [b for b in bills if category and b.category == category]


def find_billers(billers: Sequence[Biller], name: str, category: str) -> list[Biller]:
    """The bank's directory searched the same way."""
    exact = [b for b in billers if b.id == name]
    if exact:
        return exact
    if name:
        by_name = [b for b in billers if _named(name, (b.name,))]
        if by_name:
            return by_name
    return [b for b in billers if category and b.category == category]


def _bill_buttons(ctx: ActionContext, bills: Sequence[Bill]) -> tuple[tuple[str, str], ...]:
    return tuple((bill_label(ctx, b), payload("inform", bill=b.id)) for b in bills)


@action(
    "list_bills",
    says={
        "utter_bills": ["bills"],
        "bill_line": ["label"],
        "utter_no_bills": [],
        "add_bill_button": [],
        **LABELS,
        **BANK_UNAVAILABLE,
    },
)
async def list_bills(ctx: ActionContext) -> ActionResult:
    """The saved bills, each with its biller and the end of its reference."""
    try:
        bills = await ctx.bank.list_bills(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("list_bills", exc)
    add = ((ctx.text("add_bill_button"), payload("add_bill")),)
    if not bills:
        return ActionResult(replies=[Reply("utter_no_bills", {}, add)])
    lines = "\n".join(ctx.text("bill_line", label=bill_label(ctx, b)) for b in bills)
    return ActionResult(replies=[Reply("utter_bills", {"bills": lines}, add)])


@action(
    "validate_bill",
    says={
        "utter_which_bill": ["options"],
        "utter_bill_not_saved": ["name"],
        "utter_bill_category_not_saved": ["category"],
        "utter_no_bills": [],
        "add_bill_button": [],
        "add_named_bill_button": ["name"],
        "bill_category_energy": [],
        "bill_category_water": [],
        "bill_category_council_tax": [],
        "bill_category_mobile": [],
        "bill_category_broadband": [],
        "bill_category_card_issuer": [],
        **LABELS,
        **BANK_UNAVAILABLE,
    },
    sets=["bill", "bill_id", "bill_name", "bill_label"],
)
async def validate_bill(ctx: ActionContext) -> ActionResult:
    """Exactly one saved bill, or buttons to choose; a biller not saved is offered to add."""
    name = str(ctx.slots.get("bill") or ctx.slots.get("payee") or "").strip()
    category = str(ctx.slots.get("bill_category") or "")
    try:
        bills = await ctx.bank.list_bills(ctx.customer_id)
        billers = await ctx.bank.list_billers() if name else []
    except BankError as exc:
        return bank_unavailable("validate_bill", exc)
    add = (ctx.text("add_bill_button"), payload("add_bill"))
    if not bills:
        return ActionResult(
            ok=False, error="no_bills", replies=[Reply("utter_no_bills", {}, (add,))]
        )
    found = find_bills(bills, name, category) if name or category else list(bills)
    if len(found) == 1:
        bill = found[0]
        return ActionResult(
            slots={
                "bill": bill.id,
                "bill_id": bill.id,
                "bill_name": bill.biller_name,
                "bill_label": bill_label(ctx, bill),
            }
        )
    if found:
        options = ", ".join(bill_label(ctx, b) for b in found)
        reply = Reply("utter_which_bill", {"options": options}, _bill_buttons(ctx, found))
        return ActionResult(ok=False, error="bill_ambiguous", replies=[reply])
    buttons = _bill_buttons(ctx, bills)
    known = find_billers(billers, name, "") if name else []
    if known:  # in the bank's directory, not saved by this customer: offer to add it
        title = ctx.text("add_named_bill_button", name=known[0].name)
        buttons += ((title, payload("add_bill", merchant=known[0].name)),)
        reply = Reply("utter_bill_not_saved", {"name": known[0].name}, buttons)
    elif category and not name:
        what = ctx.text(f"bill_category_{category}")
        reply = Reply("utter_bill_category_not_saved", {"category": what}, (*buttons, add))
    else:
        reply = Reply("utter_bill_not_saved", {"name": name}, (*buttons, add))
    return ActionResult(ok=False, error="bill_not_found", replies=[reply])


PAY_BILL = Outcome(
    done="utter_bill_paid",
    scheduled="utter_bill_paid",
    insufficient_funds="utter_bill_insufficient_funds",
    daily_limit_exceeded="utter_bill_limit",
    rejected="utter_bill_rejected",
    unconfirmed="utter_bill_unconfirmed",
)
SAID = ["amount_text", "bill_name", "bill_label", "source_account_name"]


@action("pay_bill", says=PAY_BILL.says(SAID))
async def pay_bill(ctx: ActionContext) -> ActionResult:
    """The bank adds the bill's own customer reference to the payment."""
    required(ctx, "bill_id", "source_account_id", "amount")
    order = Order(
        source_account_id=str(ctx.slots["source_account_id"]),
        creditor=Creditor.bill(str(ctx.slots["bill_id"])),
        amount=Decimal(str(ctx.slots["amount"])),
    )
    return await pay(ctx, order, PAY_BILL, {name: ctx.slots.get(name, "") for name in SAID})
