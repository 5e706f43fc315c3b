"""Moving money between two of the customer's own accounts ("move £50 to savings").

The destination and the source are found among the customer's current and savings
accounts (never the same one; a credit card is a card repayment, offered instead); when
one of them is not said and only one account fits, it is taken, otherwise the customer picks
from buttons. Once both accounts and the amount are known, each validator works out the
balances after the transfer, so a correction at the confirm step shows the right figures.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from actions.formatting import account_label, money
from actions.lookup import find_account
from actions.paying import Order, Outcome, pay, required
from actions.replies import (
    ACCOUNT_NOT_FOUND,
    BANK_UNAVAILABLE,
    account_buttons,
    account_not_found,
    bank_unavailable,
    payload,
)
from actions.validators import PAYABLE_KINDS, validate_amount
from bot.bank import Account, BankError, Creditor
from bot.handlers import ActionContext, ActionResult, Reply, action

ENDS = {"to": "to_account", "from": "from_account"}
AFTER = {
    "utter_own_transfer_too_much": ["account", "balance", "amount_text"],
}
PICK = {
    "utter_own_accounts": ["accounts"],
    "own_account_line": ["account", "balance"],
    "utter_own_transfer_same_account": ["account"],
    "utter_own_transfer_to_card": ["account"],
    "utter_own_transfer_source_ineligible": ["account"],
}


async def _accounts(ctx: ActionContext) -> tuple[list[Account], dict[str, Decimal]]:
    accounts = await ctx.bank.list_accounts(ctx.customer_id)
    balances = {b.account_id: b.amount for b in await ctx.bank.get_balances(ctx.customer_id)}
    return accounts, balances


def _after(
    ctx: ActionContext,
    new: dict[str, Any],
    accounts: list[Account],
    balances: dict[str, Decimal],
    *,
    refuse: bool = False,
) -> ActionResult:
    """`new` plus the balances after the transfer once both accounts and the amount are
    known. With `refuse` (the amount's own step), more than the source holds is refused
    before anything is confirmed; a source changed later is left to the bank to refuse."""
    known = {**ctx.slots, **new}
    source, target = known.get("from_account_id"), known.get("to_account_id")
    amount = known.get("amount")
    if not (source and target and amount):
        return ActionResult(slots=new)
    value = Decimal(str(amount))
    have = balances.get(str(source), Decimal(0))
    if refuse and value > have:
        account = next(a for a in accounts if a.id == source)
        said = {
            "account": account_label(account),
            "balance": money(have),
            "amount_text": money(value),
        }
        reply = Reply("utter_own_transfer_too_much", said)
        return ActionResult(ok=False, error="insufficient_funds", replies=[reply])
    after = {
        "from_balance_after": money(have - value),
        "to_balance_after": money(balances.get(str(target), Decimal(0)) + value),
    }
    return ActionResult(slots=new | after)


def _pick(
    ctx: ActionContext, end: str, choices: list[Account], balances: dict[str, Decimal]
) -> ActionResult:
    """Not said and more than one account fits: list them as buttons."""
    lines = "\n".join(
        ctx.text("own_account_line", account=account_label(a), balance=money(balances.get(a.id, 0)))
        for a in choices
    )
    reply = Reply(
        "utter_own_accounts", {"accounts": lines}, account_buttons(choices, "inform", ENDS[end])
    )
    return ActionResult(ok=False, error="account_not_chosen", replies=[reply])


async def _choose(ctx: ActionContext, end: str) -> ActionResult:
    """Resolve the `end` ("to" or "from") account of the transfer."""
    other_end = "from" if end == "to" else "to"
    said = str(ctx.slots.get(ENDS[end]) or "").strip()
    other = ctx.slots.get(f"{ENDS[other_end]}_id")
    try:
        accounts, balances = await _accounts(ctx)
    except BankError as exc:
        return bank_unavailable(f"own transfer {end}", exc)
    if other is None and (named := str(ctx.slots.get(ENDS[other_end]) or "").strip()):
        found = find_account(accounts, named)  # "from savings": not offered as the destination
        other = found.id if found else None
    payable = [a for a in accounts if a.kind in PAYABLE_KINDS]
    choices = [a for a in payable if a.id != other]
    if not said:
        if len(choices) == 1:
            account = choices[0]
        elif end == "from" and (current := [a for a in choices if a.kind == "current"]):
            account = current[0] if len(current) == 1 else None
        else:
            account = None
        if account is None:
            return _pick(ctx, end, choices, balances)
    else:
        account = find_account(accounts, said)
        if account is None:
            return account_not_found(said, choices, "inform")
    label = {"account": account_label(account)}
    if account.kind == "credit_card":
        key = (
            "utter_own_transfer_to_card" if end == "to" else "utter_own_transfer_source_ineligible"
        )
        buttons = ((ctx.text("own_transfer_card_button"), payload("pay_credit_card")),)
        reply = Reply(
            key, label, buttons if end == "to" else account_buttons(choices, "inform", ENDS[end])
        )
        return ActionResult(ok=False, error="account_not_eligible", replies=[reply])
    if account.id == other:
        reply = Reply(
            "utter_own_transfer_same_account", label, account_buttons(choices, "inform", ENDS[end])
        )
        return ActionResult(ok=False, error="same_account", replies=[reply])
    slots = {
        ENDS[end]: f"ending:{account.last4}",
        f"{ENDS[end]}_id": account.id,
        f"{ENDS[end]}_name": account_label(account),
    }
    return _after(ctx, slots, accounts, balances)


ACCOUNT_SAYS = {
    **PICK,
    **AFTER,
    **ACCOUNT_NOT_FOUND,
    **BANK_UNAVAILABLE,
    "own_transfer_card_button": [],
}
AFTER_SLOTS = ["from_balance_after", "to_balance_after"]


@action(
    "validate_to_account",
    says=ACCOUNT_SAYS,
    sets=["to_account_id", "to_account_name", *AFTER_SLOTS],
)
async def validate_to_account(ctx: ActionContext) -> ActionResult:
    return await _choose(ctx, "to")


@action(
    "validate_from_account",
    says=ACCOUNT_SAYS,
    sets=["from_account_id", "from_account_name", *AFTER_SLOTS],
)
async def validate_from_account(ctx: ActionContext) -> ActionResult:
    """Not said: the one other account, or the current account among several."""
    return await _choose(ctx, "from")


@action(
    "validate_own_transfer_amount",
    says={**validate_amount.says, **AFTER, **BANK_UNAVAILABLE},
    sets=["amount_text", *AFTER_SLOTS],
)
async def validate_own_transfer_amount(ctx: ActionContext) -> ActionResult:
    """A valid amount in pounds, and no more than the source account holds."""
    checked = await validate_amount(ctx)
    if not checked.ok:
        return checked
    try:
        accounts, balances = await _accounts(ctx)
    except BankError as exc:
        return bank_unavailable("validate_own_transfer_amount", exc)
    return _after(ctx, checked.slots, accounts, balances, refuse=True)


OWN_TRANSFER = Outcome(
    done="utter_own_transfer_done",
    scheduled="utter_own_transfer_done",
    insufficient_funds="utter_own_transfer_insufficient_funds",
    daily_limit_exceeded="utter_own_transfer_rejected",
    rejected="utter_own_transfer_rejected",
    unconfirmed="utter_own_transfer_unconfirmed",
)
SAID = ["amount_text", "from_account_name", "to_account_name"]


@action("transfer_between_accounts", says=OWN_TRANSFER.says(SAID))
async def transfer_between_accounts(ctx: ActionContext) -> ActionResult:
    required(ctx, "from_account_id", "to_account_id", "amount")
    order = Order(
        source_account_id=str(ctx.slots["from_account_id"]),
        creditor=Creditor.account(str(ctx.slots["to_account_id"])),
        amount=Decimal(str(ctx.slots["amount"])),
    )
    return await pay(ctx, order, OWN_TRANSFER, {name: ctx.slots.get(name, "") for name in SAID})
