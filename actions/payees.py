"""Payees: list them, add one (checked with the bank's Confirmation of Payee), remove one.

Adding a payee changes where money may go, so its flow confirms and takes a one-time code
bound to the new payee's details; the sort code and account number are checked first (form,
then the bank's modulus check and Confirmation of Payee inside `validate_account_number`), so
a mistyped number is caught before the customer confirms, not after the code.
"""

from __future__ import annotations

import logging
import re

from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from bot.bank import BankError, BankRejected, BankUnavailable, Payee
from bot.handlers import ActionContext, ActionResult, Reply, action

log = logging.getLogger("actions.payees")

_SEPARATORS = re.compile(r"[\s\-–.]")
# Faster Payments references: at most 18 of letters, digits, space and - . / & (UK banks).
_REFERENCE = re.compile(r"[A-Za-z0-9 \-./&]{1,18}")
_NO_REFERENCE = re.compile(r"^(?:no(?:ne|pe)?|skip|nothing|n/?a|no reference|-)$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z][A-Za-z '’.&\-]{0,69}$")


def sort_code_text(sort_code: str) -> str:
    """'200415' -> '20-04-15'."""
    return "-".join(sort_code[i : i + 2] for i in range(0, 6, 2))


def _payee_line(ctx: ActionContext, payee: Payee) -> str:
    if payee.kind == "international":
        return ctx.text("payee_line_abroad", name=payee.name, last4=payee.last4)
    return ctx.text(
        "payee_line", name=payee.name, sort_code=sort_code_text(payee.sort_code), last4=payee.last4
    )


@action(
    "list_payees",
    says={
        "utter_payees": ["lines"],
        "utter_no_payees_yet": [],
        "payee_line": ["name", "sort_code", "last4"],
        "payee_line_abroad": ["name", "last4"],
        **BANK_UNAVAILABLE,
    },
)
async def list_payees(ctx: ActionContext) -> ActionResult:
    """Every payee, UK and abroad, with only what tells them apart (never a full number)."""
    try:
        payees = await ctx.bank.list_payees(ctx.customer_id, None)  # UK and abroad
    except BankError as exc:
        return bank_unavailable("list_payees", exc)
    if not payees:
        return ActionResult(replies=[Reply("utter_no_payees_yet")])
    lines = "\n".join(_payee_line(ctx, p) for p in payees)
    buttons = tuple((p.name, payload("transfer_money", payee=p.name)) for p in payees[:3])
    return ActionResult(replies=[Reply("utter_payees", {"lines": lines}, buttons)])


def _refuse(error: str, key: str, **said: str) -> ActionResult:
    return ActionResult(ok=False, error=error, replies=[Reply(key, said)])


@action("validate_new_payee_name", says={"utter_uk_payee_name_invalid": []})
async def validate_new_payee_name(ctx: ActionContext) -> ActionResult:
    """The name on the account, as the bank will check it: letters, not a number."""
    name = " ".join(str(ctx.slots.get("payee_name") or "").split())
    if not _NAME.match(name):
        return _refuse("payee_name_invalid", "utter_uk_payee_name_invalid")
    return ActionResult(slots={"payee_name": name})


@action(
    "validate_sort_code",
    says={"utter_sort_code_invalid": ["given"]},
    sets=["sort_code_text"],
)
async def validate_sort_code(ctx: ActionContext) -> ActionResult:
    given = str(ctx.slots.get("sort_code") or "")
    digits = _SEPARATORS.sub("", given)
    if not re.fullmatch(r"\d{6}", digits):
        return _refuse("sort_code_invalid", "utter_sort_code_invalid", given=given[:20])
    return ActionResult(slots={"sort_code": digits, "sort_code_text": sort_code_text(digits)})


PAYEE_CHECKS = {
    "MATCH": "cop_match",
    "CLOSE_MATCH": "cop_close_match",
    "NO_MATCH": "cop_no_match",
}


@action(
    "validate_account_number",
    says={
        "utter_account_number_invalid": ["given"],
        "utter_account_number_impossible": ["sort_code_text"],
        "utter_account_not_found_at_bank": ["sort_code_text"],
        "cop_match": ["name"],
        "cop_close_match": ["name", "actual"],
        "cop_no_match": ["name"],
        **BANK_UNAVAILABLE,
    },
    sets=["account_last4", "cop_result", "cop_note", "payee_name"],
)
async def validate_account_number(ctx: ActionContext) -> ActionResult:
    """Eight digits, then the bank: modulus check and Confirmation of Payee. A close match
    takes the name the bank holds (the customer sees it and may still say no); no match is
    said plainly, the way UK banks warn, and the customer decides at the confirm step."""
    given = str(ctx.slots.get("account_number") or "")
    digits = _SEPARATORS.sub("", given)
    if not re.fullmatch(r"\d{8}", digits):
        return _refuse("account_number_invalid", "utter_account_number_invalid", given=given[:20])
    name = str(ctx.slots.get("payee_name") or "")
    sort_code = str(ctx.slots.get("sort_code") or "")
    said = {"sort_code_text": sort_code_text(sort_code)}
    try:
        check = await ctx.bank.check_payee(
            ctx.customer_id, name=name, sort_code=sort_code, account_number=digits
        )
    except BankRejected as exc:
        key = "utter_account_number_impossible"
        if exc.code not in ("modulus_check_failed", "invalid_account_identification"):
            key = "utter_account_not_found_at_bank"
        return _refuse("account_number_rejected", key, **said)
    except BankError as exc:
        return bank_unavailable("validate_account_number", exc)
    if check.result not in PAYEE_CHECKS:  # ACCOUNT_NOT_FOUND
        return _refuse("account_not_found", "utter_account_not_found_at_bank", **said)
    actual = check.actual_name or name
    note = ctx.text(PAYEE_CHECKS[check.result], name=name, actual=actual)
    slots = {
        "account_number": digits,
        "account_last4": digits[-4:],
        "cop_result": check.result,
        "cop_note": note,
    }
    if check.result == "CLOSE_MATCH" and check.actual_name:
        slots["payee_name"] = check.actual_name
    return ActionResult(slots=slots)


@action(
    "validate_payee_reference",
    says={"utter_payee_reference_invalid": [], "reference_said": ["reference"]},
    sets=["reference_text"],
)
async def validate_payee_reference(ctx: ActionContext) -> ActionResult:
    """Optional: "none" or "skip" leaves it empty; else the Faster Payments rules."""
    given = " ".join(str(ctx.slots.get("payee_reference") or "").split())
    if not given or _NO_REFERENCE.match(given):
        return ActionResult(slots={"payee_reference": "", "reference_text": ""})
    if not _REFERENCE.fullmatch(given):
        return _refuse("reference_invalid", "utter_payee_reference_invalid")
    return ActionResult(
        slots={
            "payee_reference": given,
            "reference_text": ctx.text("reference_said", reference=given),
        }
    )


@action(
    "add_payee",
    says={
        "utter_payee_added": ["name"],
        "utter_payee_exists": ["name"],
        "utter_payee_refused": ["name"],
        "utter_payee_unconfirmed": ["name"],
        "send_to_new_payee": ["name"],
        **BANK_UNAVAILABLE,
    },
    sets=["payee", "payee_id"],
)
async def add_payee(ctx: ActionContext) -> ActionResult:
    name = str(ctx.slots.get("payee_name") or "")
    sort_code = str(ctx.slots.get("sort_code") or "")
    number = str(ctx.slots.get("account_number") or "")
    if not (name and sort_code and number and ctx.idempotency_key):
        raise ValueError("add_payee needs payee_name, sort_code, account_number and a key")
    reference = str(ctx.slots.get("payee_reference") or "") or None
    audit = {
        "sort_code": sort_code,
        "account_last4": number[-4:],
        "cop_result": ctx.slots.get("cop_result"),
        "idempotency_key": ctx.idempotency_key,
    }
    said = {"name": name}
    try:
        payee = await ctx.bank.add_payee(
            ctx.customer_id,
            name=name,
            sort_code=sort_code,
            account_number=number,
            reference=reference,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        key = "utter_payee_exists" if exc.code == "payee_exists" else "utter_payee_refused"
        audit["bank_code"] = exc.code
        return ActionResult(
            ok=False, error="bank_rejected", replies=[Reply(key, said)], audit=audit
        )
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        log.warning("add_payee: bank error (%s): %s", "not sent" if unsent else "unknown", exc)
        key = "utter_bank_unavailable" if unsent else "utter_payee_unconfirmed"
        audit["bank_error"] = type(exc).__name__
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    audit["payee_id"] = payee.id
    buttons = (
        (
            ctx.text("send_to_new_payee", name=payee.name),
            payload("transfer_money", payee=payee.name),
        ),
    )
    return ActionResult(
        replies=[Reply("utter_payee_added", {"name": payee.name}, buttons)],
        slots={"payee": payee.name, "payee_id": payee.id},
        audit=audit,
    )


@action(
    "remove_payee",
    says={
        "utter_payee_removed": ["payee", "cancelled"],
        "payee_removed_with_schedules": ["count"],
        "utter_payee_remove_failed": ["payee"],
        **BANK_UNAVAILABLE,
    },
)
async def remove_payee(ctx: ActionContext) -> ActionResult:
    payee_id = str(ctx.slots.get("payee_id") or "")
    if not payee_id or not ctx.idempotency_key:
        raise ValueError("remove_payee needs the payee_id slot and an idempotency key")
    said = {"payee": str(ctx.slots.get("payee") or "")}
    audit = {"payee_id": payee_id, "idempotency_key": ctx.idempotency_key}
    try:
        cancelled = await ctx.bank.delete_payee(ctx.customer_id, payee_id, ctx.idempotency_key)
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        reply = Reply("utter_payee_remove_failed", said)
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        return bank_unavailable("remove_payee", exc)
    note = ctx.text("payee_removed_with_schedules", count=len(cancelled)) if cancelled else ""
    audit["cancelled"] = cancelled
    return ActionResult(
        replies=[Reply("utter_payee_removed", said | {"cancelled": note})], audit=audit
    )


@action(
    "offer_payees",
    says={"utter_payees_to_remove": [], "utter_no_payees_yet": [], **BANK_UNAVAILABLE},
)
async def offer_payees(ctx: ActionContext) -> ActionResult:
    """Before asking which payee: stop if there are none, else show them as buttons (unless
    the message already named one, which the next step checks)."""
    if ctx.slots.get("payee"):
        return ActionResult()
    try:
        payees = await ctx.bank.list_payees(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("offer_payees", exc)
    if not payees:
        return ActionResult(ok=False, error="no_payees", replies=[Reply("utter_no_payees_yet")])
    buttons = tuple((p.name, payload("inform", payee=p.name)) for p in payees)
    return ActionResult(replies=[Reply("utter_payees_to_remove", {}, buttons)])
