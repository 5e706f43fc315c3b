"""Slot validators of the transfer flow: turn what the customer said into exact bank ids.

Each returns the normalised slots, or ok=False with a reply saying why and, where it helps,
buttons with the valid choices so the next answer cannot be wrong.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from actions.formatting import account_label, money
from actions.lookup import find_account, match_payees
from actions.replies import (
    ACCOUNT_NOT_FOUND,
    BANK_UNAVAILABLE,
    account_buttons,
    account_not_found,
    bank_unavailable,
    payload,
)
from bot.bank import BankError
from bot.handlers import ActionContext, ActionResult, Reply, action

SUPPORTED_CURRENCY = "GBP"
PAYABLE_KINDS = ("current", "savings")
MAX_AMOUNT = Decimal("1000000")
_AMOUNT_NOISE = re.compile(r"[£,\s]|gbp|pounds?|quid", re.IGNORECASE)


def _payee_buttons(names: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple((name, payload("inform", payee=name)) for name in names)


def either(ctx: ActionContext, names: list[str]) -> str:
    """ "Tom Baker or Tom Barker"; "A, B or C"."""
    if len(names) < 2:
        return "".join(names)
    return ctx.text("either", first=", ".join(names[:-1]), last=names[-1])


@action(
    "validate_payee",
    says={
        "utter_no_payees": [],
        "utter_payee_ambiguous": ["name", "options"],
        "utter_payee_not_found": ["name", "known"],
        "add_as_new_payee": ["name"],
        "either": ["first", "last"],
        **BANK_UNAVAILABLE,
    },
    sets=["payee_id"],
)
async def validate_payee(ctx: ActionContext) -> ActionResult:
    wanted = str(ctx.slots.get("payee") or "").strip()
    try:
        payees = await ctx.bank.list_payees(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("validate_payee", exc)
    if not payees:
        return ActionResult(ok=False, error="no_payees", replies=[Reply("utter_no_payees")])
    matches = match_payees(payees, wanted)
    if len(matches) == 1:
        return ActionResult(slots={"payee": matches[0].name, "payee_id": matches[0].id})
    if matches:
        names = [p.name for p in matches]
        reply = Reply(
            "utter_payee_ambiguous",
            {"name": wanted, "options": either(ctx, names)},
            _payee_buttons(names),
        )
        return ActionResult(ok=False, error="payee_ambiguous", replies=[reply])
    names = [p.name for p in payees]
    buttons = _payee_buttons(names)
    if ctx.slots.get("payee_operation") != "remove" and wanted:  # paying someone new
        new = (ctx.text("add_as_new_payee", name=wanted), payload("add_payee", payee=wanted))
        buttons = (*buttons, new)
    reply = Reply("utter_payee_not_found", {"name": wanted, "known": ", ".join(names)}, buttons)
    return ActionResult(ok=False, error="payee_not_found", replies=[reply])


AMOUNT_REASONS = {
    "amount_unreadable": [],
    "amount_not_positive": [],
    "amount_more_than_pence": [],
    "amount_too_large": [],
}


def amount_problem(raw: object) -> tuple[Decimal | None, str]:
    """(amount, "") when valid, else (None, the response key saying why)."""
    text = _AMOUNT_NOISE.sub("", str(raw if raw is not None else ""))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None, "amount_unreadable"
    if not amount.is_finite():
        return None, "amount_unreadable"
    if amount <= 0:
        return None, "amount_not_positive"
    if amount != amount.quantize(Decimal("0.01")):
        return None, "amount_more_than_pence"
    if amount >= MAX_AMOUNT:
        return None, "amount_too_large"
    return amount, ""


@action(
    "validate_amount",
    says={
        "utter_currency_unsupported": ["currency"],
        "utter_currency_uk_payee": ["payee", "currency"],
        "utter_amount_invalid": ["reason"],
        **AMOUNT_REASONS,
    },
    sets=["amount_text"],
)
async def validate_amount(ctx: ActionContext) -> ActionResult:
    currency = str(ctx.slots.get("currency") or SUPPORTED_CURRENCY).strip().upper()
    if currency != SUPPORTED_CURRENCY:
        payee = str(ctx.slots.get("payee") or "")
        reply = (
            Reply("utter_currency_uk_payee", {"payee": payee, "currency": currency})
            if payee
            else Reply("utter_currency_unsupported", {"currency": currency})
        )
        return ActionResult(ok=False, error="currency_unsupported", replies=[reply])
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    return ActionResult(
        slots={
            "amount": f"{amount:.2f}",
            "currency": currency,
            "amount_text": money(amount, currency),
        }
    )


@action(
    "validate_source_account",
    says={
        "utter_source_account_ineligible": ["account"],
        **ACCOUNT_NOT_FOUND,
        **BANK_UNAVAILABLE,
    },
    sets=["source_account_id", "source_account_name"],
)
async def validate_source_account(ctx: ActionContext) -> ActionResult:
    """No account named: the customer's primary current account."""
    reference = str(ctx.slots.get("source_account") or "").strip()
    try:
        accounts = await ctx.bank.list_accounts(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("validate_source_account", exc)
    payable = [a for a in accounts if a.kind in PAYABLE_KINDS]
    account = find_account(accounts, reference or "current")
    if account is None:
        return account_not_found(reference or "current", payable, "inform")
    if account.kind not in PAYABLE_KINDS:
        reply = Reply(
            "utter_source_account_ineligible",
            {"account": account_label(account)},
            account_buttons(payable, "inform"),
        )
        return ActionResult(ok=False, error="account_not_eligible", replies=[reply])
    return ActionResult(
        slots={"source_account_id": account.id, "source_account_name": account_label(account)}
    )
