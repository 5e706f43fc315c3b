"""Payments in another currency to a saved IBAN payee, on a quote from the bank.

The flow picks the payee abroad, the account and the amount (in the payee's currency or in
pounds), then asks the bank for a quote whose figures the customer confirms and whose id the
one-time code is bound to. The payment is made on that quote only: once it has expired the
customer is told, nothing moves, and a fresh quote is offered (a new confirm and a new code).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from decimal import Decimal

from actions.formatting import SYMBOLS, money
from actions.lookup import match_payees
from actions.replies import BANK_UNAVAILABLE, bank_unavailable, payload
from actions.validators import AMOUNT_REASONS, amount_problem, either
from bot.bank import BankError, BankRejected, BankUnavailable, FxQuote, Payee
from bot.handlers import ActionContext, ActionResult, Reply, action

log = logging.getLogger("actions.abroad")

INTENT = "send_money_abroad"
ADD = "add_payee_abroad"  # the flow offered when the payee abroad is not saved yet
ADD_BUTTONS = {"add_payee_abroad_button": [], "add_named_payee_abroad_button": ["name"]}
REFERENCE = "Sent via Teller"
REFUSALS = {
    "insufficient_funds": "utter_abroad_insufficient_funds",
    "daily_limit_exceeded": "utter_abroad_limit",
}


def _ending(payee: Payee) -> str:
    return payee.last4 or "????"


def _payee_buttons(payees: list[Payee]) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, payload("inform", payee=p.name)) for p in payees)


def _add_button(ctx: ActionContext, name: str) -> tuple[str, str]:
    """Offers the add-a-payee-abroad flow, with the name the customer gave if any."""
    if name:
        button = ctx.text("add_named_payee_abroad_button", name=name)
        return button, payload(ADD, payee_name=name)
    return ctx.text("add_payee_abroad_button"), payload(ADD)


@action(
    "validate_payee_abroad",
    says={
        "utter_no_payees_abroad": [],
        "utter_payee_abroad_ambiguous": ["name", "options"],
        "utter_payee_abroad_not_found": ["name", "known"],
        "either": ["first", "last"],
        **ADD_BUTTONS,
        **BANK_UNAVAILABLE,
    },
    sets=["payee_id", "payee_currency", "payee_iban_ending"],
)
async def validate_payee_abroad(ctx: ActionContext) -> ActionResult:
    """One of the customer's IBAN payees; UK payees are not offered (they are paid in pounds)."""
    wanted = str(ctx.slots.get("payee") or "").strip()
    try:
        payees = await ctx.bank.list_payees(ctx.customer_id, kind="international")
    except BankError as exc:
        return bank_unavailable("validate_payee_abroad", exc)
    if not payees:
        reply = Reply("utter_no_payees_abroad", buttons=(_add_button(ctx, wanted),))
        return ActionResult(ok=False, error="no_payees", replies=[reply])
    matches = match_payees(payees, wanted)
    if len(matches) == 1:
        payee = matches[0]
        slots = {
            "payee": payee.name,
            "payee_id": payee.id,
            "payee_currency": payee.currency,
            "payee_iban_ending": _ending(payee),
        }
        return ActionResult(slots=slots)
    if matches:
        names = [p.name for p in matches]
        reply = Reply(
            "utter_payee_abroad_ambiguous",
            {"name": wanted, "options": either(ctx, names)},
            _payee_buttons(matches),
        )
        return ActionResult(ok=False, error="payee_ambiguous", replies=[reply])
    reply = Reply(
        "utter_payee_abroad_not_found",
        {"name": wanted, "known": _known(payees)},
        (*_payee_buttons(payees), _add_button(ctx, wanted)),
    )
    return ActionResult(ok=False, error="payee_not_found", replies=[reply])


@action(
    "offer_payees_abroad",
    says={
        "utter_no_payees_abroad": [],
        "utter_payees_abroad": ["known"],
        "utter_payee_is_uk": ["name"],
        "pay_in_pounds_button": ["name"],
        **ADD_BUTTONS,
        **BANK_UNAVAILABLE,
    },
)
async def offer_payees_abroad(ctx: ActionContext) -> ActionResult:
    """Before asking who: stop at once if there is nobody abroad to pay, or if the person
    named is a UK payee (paid in pounds, by a transfer); else show who there is as buttons.
    Which payee abroad was meant is the validator's to decide."""
    wanted = str(ctx.slots.get("payee") or "").strip()
    try:
        payees = await ctx.bank.list_payees(ctx.customer_id, kind="international")
        uk = await ctx.bank.list_payees(ctx.customer_id) if wanted else []
    except BankError as exc:
        return bank_unavailable("offer_payees_abroad", exc)
    matches_uk = match_payees(uk, wanted) if wanted and not match_payees(payees, wanted) else []
    if len(matches_uk) == 1:
        name = matches_uk[0].name
        button = (
            ctx.text("pay_in_pounds_button", name=name),
            payload("transfer_money", payee=name),
        )
        reply = Reply("utter_payee_is_uk", {"name": name}, (button,))
        return ActionResult(ok=False, error="payee_is_domestic", replies=[reply])
    if not payees:
        reply = Reply("utter_no_payees_abroad", buttons=(_add_button(ctx, wanted),))
        return ActionResult(ok=False, error="no_payees", replies=[reply])
    if wanted:
        return ActionResult()
    buttons = (*_payee_buttons(payees), _add_button(ctx, ""))
    reply = Reply("utter_payees_abroad", {"known": _known(payees)}, buttons)
    return ActionResult(replies=[reply])


def _known(payees: list[Payee]) -> str:
    """ "Lukas Becker (EUR, IBAN ending 3000)": how the customer tells payees abroad apart."""
    return ", ".join(f"{p.name} ({p.currency}, IBAN ending {_ending(p)})" for p in payees)


def _rate_text(quote: FxQuote) -> str:
    """ "£1 = €1.1650": rates keep their four decimals, unlike money."""
    symbol = SYMBOLS.get(quote.currency)
    return f"£1 = {symbol}{quote.rate}" if symbol else f"£1 = {quote.rate} {quote.currency}"


def _foreign(amount: Decimal, currency: str) -> str:
    """Money in the payee's currency; a currency without minor units (JPY) shows none."""
    if amount == amount.to_integral_value() and currency == "JPY":
        return f"{amount:,.0f} JPY"
    return money(amount, currency)


def _quote_key(ctx: ActionContext, currency: str, amount: Decimal, side: str) -> str:
    """A quote changes no balance, but the bank still wants a key for every write: this turn's
    request for this amount names it, so a retried call within the turn fetches the same one."""
    name = f"{ctx.conversation_id}:fx-quote:{side}:{amount}:{currency}:{ctx.now.isoformat()}"
    return hashlib.sha256(name.encode()).hexdigest()


QUOTE_SAID = ["currency", "payee", "payee_currency", "codes"]


@action(
    "quote_abroad",
    says={
        "utter_abroad_currency_unsupported": QUOTE_SAID,
        "utter_abroad_currency_mismatch": QUOTE_SAID,
        "utter_amount_invalid": ["reason"],
        "utter_abroad_quote_failed": [],
        **AMOUNT_REASONS,
        **BANK_UNAVAILABLE,
    },
    sets=[
        "quote_id",
        "quote_side",
        "quote_expires_at",
        "quote_send",
        "quote_receive",
        "send_text",
        "fee_text",
        "total_text",
        "receive_text",
        "rate_text",
        "held_until",
        "held_minutes",
    ],
)
async def quote_abroad(ctx: ActionContext) -> ActionResult:
    """Validate the amount and get the bank's quote for it.

    The amount is in pounds ("send £200 worth") or in the payee's currency ("200 euros"; no
    currency named means theirs). The quote is taken here, as the amount's validator, so a
    corrected amount always gets a quote of its own before it is confirmed.
    """
    payee_currency = str(ctx.slots.get("payee_currency") or "")
    currency = str(ctx.slots.get("currency") or payee_currency).strip().upper()
    try:
        codes = sorted(r.currency for r in await ctx.bank.exchange_rates())
    except BankError as exc:
        return bank_unavailable("quote_abroad", exc)
    said = {
        "currency": currency,
        "payee": str(ctx.slots.get("payee") or ""),
        "payee_currency": payee_currency,
        "codes": ", ".join(codes),
    }
    if currency != "GBP" and currency not in codes:
        reply = Reply("utter_abroad_currency_unsupported", said)
        return ActionResult(ok=False, error="currency_unsupported", replies=[reply])
    if currency not in ("GBP", payee_currency):
        reply = Reply("utter_abroad_currency_mismatch", said)
        return ActionResult(ok=False, error="currency_mismatch", replies=[reply])
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        reply = Reply("utter_amount_invalid", {"reason": ctx.text(reason)})
        return ActionResult(ok=False, error="amount_invalid", replies=[reply])
    side = "send" if currency == "GBP" else "receive"
    try:
        quote = await ctx.bank.quote_fx(
            ctx.customer_id,
            payee_currency,
            **{side: amount},
            idempotency_key=_quote_key(ctx, currency, amount, side),
        )
    except BankRejected as exc:
        log.warning("quote_abroad: refused (%s): %s", exc.code, exc)
        reply = Reply("utter_abroad_quote_failed")
        return ActionResult(ok=False, error=exc.code, replies=[reply])
    except BankError as exc:
        return bank_unavailable("quote_abroad", exc)
    # The bank says how long it holds the quote; it is timed here from when it arrived, so
    # a clock of Teller's that differs from the bank's never pays on a lapsed quote.
    hold = quote.expires_at - quote.created_at
    deadline = ctx.now + hold
    return ActionResult(
        slots={
            "amount": f"{amount:.2f}",
            "currency": currency,
            "quote_id": quote.id,
            "quote_side": side,
            "quote_expires_at": deadline.isoformat(),
            "quote_send": f"{quote.send:.2f}",
            "quote_receive": str(quote.receive),
            "send_text": money(quote.send),
            "fee_text": money(quote.fee),
            "total_text": money(quote.total),
            "receive_text": _foreign(quote.receive, quote.currency),
            "rate_text": _rate_text(quote),
            "held_until": f"{deadline:%H:%M} UTC",
            "held_minutes": max(1, round(hold.total_seconds() / 60)),
        }
    )


SAID = ["payee", "send_text", "receive_text", "total_text", "fee_text"]
REQUIRED_SLOTS = ("payee", "payee_id", "quote_id", "quote_expires_at", "source_account_id")


def _fresh_quote_button(ctx: ActionContext) -> tuple[str, str]:
    """Starts the job again with what the customer asked for: a new quote, confirm and code."""
    slots = ctx.slots
    entities = {
        "payee": str(slots["payee"]),
        "amount": str(slots.get("amount") or ""),
        "currency": str(slots.get("currency") or ""),
        "account": str(slots["source_account_id"]),
    }
    return ctx.text("fresh_quote_button"), payload(INTENT, **entities)


def _expired(ctx: ActionContext, said: dict[str, str], audit: dict[str, str]) -> ActionResult:
    reply = Reply("utter_abroad_quote_expired", said, (_fresh_quote_button(ctx),))
    return ActionResult(ok=False, error="quote_expired", replies=[reply], audit=audit)


def _quote_gone(ctx: ActionContext) -> bool:
    return ctx.now >= datetime.fromisoformat(str(ctx.slots["quote_expires_at"]))


@action(
    "check_quote_held",
    says={"utter_abroad_quote_expired": SAID, "fresh_quote_button": []},
)
async def check_quote_held(ctx: ActionContext) -> ActionResult:
    """After the confirm, before a code is sent: a quote that lapsed while the customer read
    it is not worth a code. The payment checks again, since the code takes time too."""
    if _quote_gone(ctx):
        said = {name: str(ctx.slots.get(name) or "") for name in SAID}
        return _expired(
            ctx, said, {"quote_id": str(ctx.slots["quote_id"]), "expired": "at_confirm"}
        )
    return ActionResult()


@action(
    "send_money_abroad",
    says={
        "utter_abroad_done": [*SAID, "reference", "new_balance"],
        "utter_abroad_quote_expired": SAID,
        "fresh_quote_button": [],
        "utter_abroad_insufficient_funds": SAID,
        "utter_abroad_limit": SAID,
        "utter_abroad_rejected": SAID,
        "utter_abroad_unconfirmed": SAID,
        "balance_unavailable": [],
        **{key: SAID for key in BANK_UNAVAILABLE},
    },
)
async def send_money_abroad(ctx: ActionContext) -> ActionResult:
    """Pay on the confirmed quote, once: never at an expired quote's rate."""
    missing = [name for name in REQUIRED_SLOTS if not ctx.slots.get(name)]
    if missing or not ctx.idempotency_key:
        raise ValueError(f"send_money_abroad needs slots {missing} and an idempotency key")
    said = {name: str(ctx.slots.get(name) or "") for name in SAID}
    quote_id = str(ctx.slots["quote_id"])
    audit = {
        "payee_id": str(ctx.slots["payee_id"]),
        "quote_id": quote_id,
        "send": str(ctx.slots.get("quote_send")),
        "receive": str(ctx.slots.get("quote_receive")),
        "currency": str(ctx.slots.get("payee_currency")),
        "source_account_id": str(ctx.slots["source_account_id"]),
        "idempotency_key": ctx.idempotency_key,
    }
    if _quote_gone(ctx):
        return _expired(ctx, said, audit | {"expired": "before_payment"})
    try:
        payment = await ctx.bank.create_international_payment(
            ctx.customer_id,
            source_account_id=str(ctx.slots["source_account_id"]),
            payee_id=str(ctx.slots["payee_id"]),
            quote_id=quote_id,
            reference=REFERENCE,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        audit |= {"bank_code": exc.code}
        if exc.code == "quote_expired":
            return _expired(ctx, said, audit)
        key = REFUSALS.get(exc.code, "utter_abroad_rejected")
        return ActionResult(ok=False, error=exc.code, replies=[Reply(key, said)], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        log.warning("send_money_abroad: bank error (%s): %s", "not sent" if unsent else "?", exc)
        key = "utter_bank_unavailable" if unsent else "utter_abroad_unconfirmed"
        audit |= {"bank_error": type(exc).__name__, "outcome_unknown": str(not unsent)}
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    balance = payment.new_balance
    reply = Reply(
        "utter_abroad_done",
        said
        | {
            "reference": payment.id,
            "new_balance": money(balance)
            if balance is not None
            else ctx.text("balance_unavailable"),
        },
    )
    audit |= {"payment_id": payment.id, "status": payment.status}
    return ActionResult(replies=[reply], audit=audit)
