"""Setting up a standing order, and changing a standing order or a scheduled payment.

A standing order is a payee, an amount, how often (every n weeks or months, on the weekday
or day of the month of its first payment: the Open Banking frequency codes), a first date
after today, and an end: a last date, a number of payments, or none (the bank refuses an
open-ended one above its limit, and Teller offers to give it an end). Changing one is the
amount from the next payment on, or the next date (the ones after follow the new day); a
scheduled payment's amount or date. A code is asked for a new order and for an amount that
goes up; a lower amount or another date only narrows what leaves the account.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from actions.formatting import account_label, day, money
from actions.lookup import find_account
from actions.replies import (
    ACCOUNT_NOT_FOUND,
    BANK_UNAVAILABLE,
    account_buttons,
    bank_unavailable,
    payload,
)
from actions.validators import AMOUNT_REASONS, PAYABLE_KINDS, amount_problem, validate_payee
from bot.bank import BankError, BankRejected, BankUnavailable, Creditor
from bot.handlers import (
    ActionContext,
    ActionResult,
    Reply,
    action,
    find_dates_ahead,
    find_plan_ends,
    words_to_int,
)

MAX_FIRST_AHEAD_DAYS = 365
MAX_PAYMENTS = 999  # the bank's NumberOfPayments
WEEKS = range(1, 10)  # the bank's IntrvlWkDay:0n: every 1-9 weeks
MONTHS = (1, 2, 3, 4, 5, 6, 12, 24)  # IntrvlMnthDay:nn:
_FREQUENCY = re.compile(r"^(?P<n>\d{1,3})(?P<u>[dwm])$")
_NUMBER_WORDS = {
    1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
    9: "nine", 12: "twelve", 24: "twenty-four",
}  # fmt: skip
_SKIP = re.compile(r"^\s*(?:none|no|nope|skip|no reference|-|nothing|n/a|na)\s*[.!]?\s*$", re.I)
_CHANGE_WORDS = {
    "amount": re.compile(r"\b(?:amount|much|money|sum|pay more|pay less|increase|decrease|"
                         r"raise|lower|reduce|£|\d)", re.I),
    "date": re.compile(r"\b(?:date|day|when|move|earlier|later|postpone|bring forward|"
                       r"reschedule)", re.I),
}  # fmt: skip


def _today(ctx: ActionContext) -> date:
    return ctx.now.date()


def _iso(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def _refuse(error: str, key: str, said: dict[str, str] | None = None, buttons=()) -> ActionResult:
    return ActionResult(ok=False, error=error, replies=[Reply(key, said or {}, tuple(buttons))])


# How often -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Every:
    weekly: bool
    interval: int

    @classmethod
    def parse(cls, value: object) -> Every | None:
        m = _FREQUENCY.match(str(value or "").strip().lower())
        if m is None or m["u"] == "d":
            return None
        return cls(m["u"] == "w", int(m["n"]))

    @property
    def value(self) -> str:
        return f"{self.interval}{'w' if self.weekly else 'm'}"

    @property
    def supported(self) -> bool:
        return self.interval in (WEEKS if self.weekly else MONTHS)

    def code(self, first: date) -> str:
        """The Open Banking frequency, falling on the first payment's weekday or day."""
        if self.weekly:
            return f"IntrvlWkDay:{self.interval:02d}:{first.isoweekday():02d}"
        return f"IntrvlMnthDay:{self.interval:02d}:{first.day:02d}"  # 29-31: a short month's last

    def after(self, paid: date, day_of_month: int) -> date:
        if self.weekly:
            return paid + timedelta(weeks=self.interval)
        index = paid.year * 12 + paid.month - 1 + self.interval
        year, month = index // 12, index % 12 + 1
        return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def payment_dates(every: Every, first: date, until: date, most: int) -> list[date]:
    """The dates it pays, from the first, up to `until` and at most `most` of them."""
    on, dates = first, []
    while on <= until and len(dates) < most:
        dates.append(on)
        on = every.after(on, first.day)
    return dates


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def frequency_text(ctx: ActionContext, every: Every, first: date | None) -> str:
    """ "every week", "every Friday", "on the 15th of every month", "every 3 months on the
    1st" - the day once the first date says it."""
    n = _NUMBER_WORDS.get(every.interval, str(every.interval))
    if first is None:
        key = "every_week" if every.weekly else "every_month"
        if every.interval > 1:
            key += "s"
        if every.value == "12m":
            key = "every_year"
        return ctx.text(key, n=n)
    if every.weekly:
        weekday = calendar.day_name[first.weekday()]
        key = "every_weekday" if every.interval == 1 else "every_weeks_on"
        return ctx.text(key, n=n, weekday=weekday)
    if every.value == "12m":
        return ctx.text("every_year_on", on=f"{first.day} {first:%B}")
    on = ctx.text("nth", nth=_ordinal(first.day))
    key = "every_month_on" if every.interval == 1 else "every_months_on"
    return ctx.text(key, n=n, on=on)


FREQUENCY_SAYS = {
    "every_week": ["n"],
    "every_weeks": ["n"],
    "every_month": ["n"],
    "every_months": ["n"],
    "every_year": ["n"],
    "every_weekday": ["n", "weekday"],
    "every_weeks_on": ["n", "weekday"],
    "every_year_on": ["on"],
    "every_month_on": ["n", "on"],
    "every_months_on": ["n", "on"],
    "nth": ["nth"],
}
END_SAYS = {
    "end_none": [],
    "end_count": ["count", "last"],
    "end_until": ["until", "count", "last"],
    "end_until_none": ["until"],
}
DERIVED = ["frequency_text", "frequency_code", "first_date_text", "end_text", "end_code"]


def _derived(ctx: ActionContext, slots: dict[str, Any]) -> dict[str, Any]:
    """What the confirm and the code are made of, from the order's slots as they now are:
    every validator returns it, so a correction of any one detail redoes them all."""
    out: dict[str, Any] = {}
    every = Every.parse(slots.get("frequency"))
    first = _iso(slots.get("first_date"))
    if every is not None:
        out["frequency_text"] = frequency_text(ctx, every, first)
    if first is not None:
        out["first_date_text"] = day(first)
    if every is None or first is None:
        return out
    code = every.code(first)
    out["frequency_code"] = code
    end = slots.get("order_end")
    final = _iso(slots.get("final_date"))
    count = slots.get("payments")
    if end == "none":
        out |= {"end_text": ctx.text("end_none"), "end_code": "none"}
    elif end == "count" and count:
        dates = payment_dates(every, first, date.max - timedelta(days=800), int(count))
        out["end_text"] = ctx.text("end_count", count=str(count), last=day(dates[-1]))
        out["end_code"] = f"count:{count}"
    elif end == "until" and final is not None:
        dates = payment_dates(every, first, final, MAX_PAYMENTS + 1)
        if dates:
            said = {"until": day(final), "count": str(len(dates)), "last": day(dates[-1])}
            out["end_text"] = ctx.text("end_until", **said)
        else:
            out["end_text"] = ctx.text("end_until_none", until=day(final))
        out["end_code"] = f"until:{final.isoformat()}"
    return out


def _ok(ctx: ActionContext, slots: dict[str, Any], changes: dict[str, Any]) -> ActionResult:
    merged = {**slots, **changes}
    return ActionResult(slots={**changes, **_derived(ctx, merged)})


# Setting one up ----------------------------------------------------------------------------

_OWN = re.compile(r"\b(?:my\s+)?(?:savings?|saver|isa|current|main)(?:\s+account)?\b", re.I)


@action(
    "validate_order_payee",
    says={**validate_payee.says, **ACCOUNT_NOT_FOUND},
    sets=["payee", "payee_id"],
)
async def validate_order_payee(ctx: ActionContext) -> ActionResult:
    """A saved payee, or one of the customer's own accounts ("a monthly transfer to my
    savings"): then the order pays that account (its id as `account:<id>`)."""
    wanted = str(ctx.slots.get("payee") or "").strip()
    own = str(ctx.slots.get("to_account") or "").strip()
    if not own and _OWN.fullmatch(wanted):
        own = wanted
    if own:
        try:
            accounts = await ctx.bank.list_accounts(ctx.customer_id)
        except BankError as exc:
            return bank_unavailable("validate_order_payee", exc)
        payable = [a for a in accounts if a.kind in PAYABLE_KINDS]
        account = find_account(payable, own)
        if account is None:
            known = ", ".join(account_label(a) for a in payable)
            buttons = account_buttons(payable, "inform", "to_account")
            reply = Reply("utter_account_not_found", {"account": own, "known": known}, buttons)
            return ActionResult(ok=False, error="account_not_found", replies=[reply])
        return ActionResult(
            slots={"payee": account_label(account), "payee_id": f"{OWN_ACCOUNT}{account.id}"}
        )
    if not wanted:
        return ActionResult(ok=False, error="payee_missing")  # ask who
    return await validate_payee.run(ctx)


OWN_ACCOUNT = "account:"


@action(
    "validate_order_amount",
    says={
        "utter_currency_unsupported": ["currency"],
        "utter_amount_invalid": ["reason"],
        "utter_order_over_limit": ["amount", "daily"],
        **AMOUNT_REASONS,
        **FREQUENCY_SAYS,
        **END_SAYS,
        **BANK_UNAVAILABLE,
    },
    sets=["amount_text", *DERIVED],
)
async def validate_order_amount(ctx: ActionContext) -> ActionResult:
    """A valid amount in pounds that the bank could ever pay: no more than the daily limit
    on its own (the bank refuses such an order when it is set up)."""
    currency = str(ctx.slots.get("currency") or "GBP").strip().upper()
    if currency != "GBP":
        return _refuse("currency_unsupported", "utter_currency_unsupported", {"currency": currency})
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        return _refuse("amount_invalid", "utter_amount_invalid", {"reason": ctx.text(reason)})
    try:
        limit = await ctx.bank.payment_limits(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("validate_order_amount", exc)
    if amount > limit.daily:
        said = {"amount": money(amount), "daily": money(limit.daily)}
        return _refuse("daily_limit_exceeded", "utter_order_over_limit", said)
    changes = {"amount": f"{amount:.2f}", "currency": "GBP", "amount_text": money(amount)}
    return _ok(ctx, ctx.slots, changes)


def _frequency_buttons(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    return tuple(
        (ctx.text(key), payload("inform", frequency=value))
        for key, value in (
            ("frequency_weekly", "1w"),
            ("frequency_fortnightly", "2w"),
            ("frequency_monthly", "1m"),
            ("frequency_yearly", "12m"),
        )
    )


_FREQUENCY_WORDS = (
    (re.compile(r"fortnight|two weeks|2 weeks|other week|bi-?weekly", re.I), "2w"),
    (re.compile(r"week", re.I), "1w"),
    (re.compile(r"quarter|three months|3 months", re.I), "3m"),
    (re.compile(r"year|annual", re.I), "12m"),
    (re.compile(r"month", re.I), "1m"),
    (re.compile(r"dai|day", re.I), "1d"),
)
FREQUENCY_BUTTONS = {
    "frequency_weekly": [],
    "frequency_fortnightly": [],
    "frequency_monthly": [],
    "frequency_yearly": [],
}


@action(
    "validate_order_frequency",
    says={
        "utter_frequency_unreadable": [],
        "utter_frequency_unsupported": ["frequency"],
        **FREQUENCY_BUTTONS,
        **FREQUENCY_SAYS,
        **END_SAYS,
    },
    sets=["frequency_text", *DERIVED],
)
async def validate_order_frequency(ctx: ActionContext) -> ActionResult:
    """Every n weeks (1-9) or every 1-6, 12 or 24 months, as the bank's codes allow; daily
    and other gaps are refused with the ones it does, as buttons."""
    raw = str(ctx.slots.get("frequency") or "").strip().lower()
    value = raw if _FREQUENCY.match(raw) else None
    if value is None:
        value = next((v for pattern, v in _FREQUENCY_WORDS if pattern.search(raw)), None)
    m = _FREQUENCY.match(value or "")
    if m is None:
        reply = Reply("utter_frequency_unreadable", {}, _frequency_buttons(ctx))
        return ActionResult(ok=False, error="frequency_unreadable", replies=[reply])
    every = Every.parse(value)
    if every is None or not every.supported:
        said = {"frequency": _frequency_said(int(m["n"]), m["u"])}
        reply = Reply("utter_frequency_unsupported", said, _frequency_buttons(ctx))
        return ActionResult(ok=False, error="frequency_unsupported", replies=[reply])
    return _ok(ctx, ctx.slots, {"frequency": every.value})


def _frequency_said(n: int, unit: str) -> str:
    word = {"d": "day", "w": "week", "m": "month"}[unit]
    return f"every {word}" if n == 1 else f"every {n} {word}s"


@action(
    "validate_order_first_date",
    says={
        "utter_first_date_unreadable": [],
        "utter_first_date_not_after_today": [],
        "utter_first_date_too_far": [],
        "utter_first_date_after_end": ["final"],
        **FREQUENCY_SAYS,
        **END_SAYS,
    },
    sets=[*DERIVED],
)
async def validate_order_first_date(ctx: ActionContext) -> ActionResult:
    """After today (today's payments have run) and within a year; before the end, if one
    was said first."""
    first = _iso(ctx.slots.get("first_date")) or _read_date(ctx, ctx.slots.get("first_date"))
    if first is None:
        return _refuse("date_unreadable", "utter_first_date_unreadable")
    today = _today(ctx)
    if first <= today:
        return _refuse("date_not_after_today", "utter_first_date_not_after_today")
    if (first - today).days > MAX_FIRST_AHEAD_DAYS:
        return _refuse("date_too_far", "utter_first_date_too_far")
    final = _iso(ctx.slots.get("final_date"))
    if ctx.slots.get("order_end") == "until" and final is not None and final < first:
        return _refuse("first_after_end", "utter_first_date_after_end", {"final": day(final)})
    return _ok(ctx, ctx.slots, {"first_date": first.isoformat()})


def _read_date(ctx: ActionContext, said: object) -> date | None:
    """A date typed where the NLU found none in the flow's sense ("the 5th")."""
    found = find_dates_ahead(str(said or ""), _today(ctx))
    return date.fromisoformat(found[0].value) if found else None


def _end_buttons(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    return (
        (ctx.text("end_button_date"), payload("inform", plan_end="until")),
        (ctx.text("end_button_count"), payload("inform", plan_end="count")),
        (ctx.text("end_button_none"), payload("inform", plan_end="none")),
    )


END_BUTTONS = {"end_button_date": [], "end_button_count": [], "end_button_none": []}


def _final_from(ctx: ActionContext, first: date | None, n: int, unit: str) -> date | None:
    """ "For 6 months" from the first payment: the day before the same day 6 months on."""
    if first is None:
        return None
    if unit == "w":
        return first + timedelta(weeks=n) - timedelta(days=1)
    months = n * (12 if unit == "y" else 1)
    index = first.year * 12 + first.month - 1 + months
    year, month = index // 12, index % 12 + 1
    on = date(year, month, min(first.day, calendar.monthrange(year, month)[1]))
    return on - timedelta(days=1)


def _parse_end(ctx: ActionContext, raw: str) -> dict[str, Any] | None:
    """The end as slots: {order_end: none | count | until, final_date, payments}; None if
    it says none of them."""
    first = _iso(ctx.slots.get("first_date"))
    text = raw.strip().lower()
    if text in ("none", "until", "count"):
        return {"order_end": text, "final_date": None, "payments": None}
    if text.startswith("count:"):
        return {"order_end": "count", "payments": text[6:], "final_date": None}
    if text.startswith("until:"):
        return {"order_end": "until", "final_date": text[6:], "payments": None}
    if text.startswith("for:"):
        _, n, unit = text.split(":")
        final = _final_from(ctx, first, int(n), unit)
        if final is None:
            return None
        return {"order_end": "until", "final_date": final.isoformat(), "payments": None}
    if _iso(text) is not None:
        return {"order_end": "until", "final_date": text, "payments": None}
    if re.fullmatch(r"(?:no|never|no end|not|nope|none)[.!]?", text):
        return {"order_end": "none", "final_date": None, "payments": None}
    found = find_plan_ends(raw, _today(ctx)) or find_plan_ends(f"until {raw}", _today(ctx))
    if found:
        return _parse_end(ctx, str(found[0].value))
    count = _count(text)
    if count is not None:
        return {"order_end": "count", "payments": str(count), "final_date": None}
    return None


def _count(text: str) -> int | None:
    if whole := re.fullmatch(r"\s*(\d{1,4})(?:\.0+)?\s*", text):
        return int(whole[1])
    words = re.sub(r"\b(?:payments?|times|in all|in total|please|just|only)\b", " ", text)
    words = " ".join(words.split())
    try:
        return words_to_int(words) if words else None
    except (ValueError, KeyError):
        return None


ORDER_END_SAYS = {
    "utter_end_unreadable": [],
    "utter_end_before_first": ["final", "first"],
    "utter_end_count_invalid": ["most"],
    **END_BUTTONS,
    **FREQUENCY_SAYS,
    **END_SAYS,
}


def _check_end(ctx: ActionContext, end: dict[str, Any]) -> ActionResult | None:
    first = _iso(ctx.slots.get("first_date"))
    if end.get("final_date"):
        final = _iso(end["final_date"])
        if final is None:
            reply = Reply("utter_end_unreadable", {}, _end_buttons(ctx))
            return ActionResult(ok=False, error="end_unreadable", replies=[reply])
        if first is not None and final < first:
            said = {"final": day(final), "first": day(first)}
            return _refuse("end_before_first", "utter_end_before_first", said)
    if end.get("payments") is not None:
        count = _count(str(end["payments"]))
        if count is None or not 1 <= count <= MAX_PAYMENTS:
            return _refuse("count_invalid", "utter_end_count_invalid", {"most": str(MAX_PAYMENTS)})
        end["payments"] = str(count)
    return None


@action("validate_order_end", says=ORDER_END_SAYS, sets=["final_date", "payments", *DERIVED])
async def validate_order_end(ctx: ActionContext) -> ActionResult:
    """A last date, a number of payments, or no end; "until" or "count" alone (a button)
    leaves the date or the number to the next steps."""
    end = _parse_end(ctx, str(ctx.slots.get("order_end") or ""))
    if end is None:
        reply = Reply("utter_end_unreadable", {}, _end_buttons(ctx))
        return ActionResult(ok=False, error="end_unreadable", replies=[reply])
    refused = _check_end(ctx, end)
    if refused is not None:
        return refused
    return _ok(ctx, ctx.slots, end)


@action("validate_order_final_date", says=ORDER_END_SAYS, sets=["order_end", *DERIVED])
async def validate_order_final_date(ctx: ActionContext) -> ActionResult:
    """Only asked when the order ends on a date and none was given yet."""
    if ctx.slots.get("order_end") != "until":
        return ActionResult(slots=_derived(ctx, ctx.slots))
    said = ctx.slots.get("final_date")
    if not said:
        return ActionResult(ok=False, error="final_date_missing")  # ask for it
    final = _iso(said)
    if final is None:
        end = _parse_end(ctx, str(said))
        final = _iso(end.get("final_date")) if end else None
    if final is None:
        return _refuse("end_unreadable", "utter_final_date_unreadable")
    end = {"final_date": final.isoformat()}
    refused = _check_end(ctx, end)
    if refused is not None:
        return refused
    return _ok(ctx, ctx.slots, end)


@action(
    "validate_order_payments",
    says={**ORDER_END_SAYS, "utter_final_date_unreadable": []},
    sets=["order_end", *DERIVED],
)
async def validate_order_payments(ctx: ActionContext) -> ActionResult:
    """Only asked when the order ends after a number of payments and none was given yet."""
    if ctx.slots.get("order_end") != "count":
        return ActionResult(slots=_derived(ctx, ctx.slots))
    said = ctx.slots.get("payments")
    if not said:
        return ActionResult(ok=False, error="payments_missing")  # ask for it
    end = {"payments": str(said)}
    refused = _check_end(ctx, end)
    if refused is not None:
        return refused
    return _ok(ctx, ctx.slots, end)


MAX_REFERENCE = 18  # Faster Payments


@action(
    "validate_order_reference",
    says={
        "utter_order_reference_invalid": ["most"],
        "no_reference": [],
        "reference_quoted": ["reference"],
        **BANK_UNAVAILABLE,
    },
    sets=["order_reference", "reference_text"],
)
async def validate_order_reference(ctx: ActionContext) -> ActionResult:
    """What the payee sees: up to 18 letters, digits, spaces and . - / & ; "skip" keeps the
    payee's saved reference."""
    said = " ".join(str(ctx.slots.get("reference") or "").split())
    if _SKIP.match(said) or not said:
        try:
            payees = await ctx.bank.list_payees(ctx.customer_id)
        except BankError as exc:
            return bank_unavailable("validate_order_reference", exc)
        saved = next((p.reference for p in payees if p.id == ctx.slots.get("payee_id")), None)
        text = ctx.text("reference_quoted", reference=saved) if saved else ctx.text("no_reference")
        return ActionResult(slots={"order_reference": "", "reference_text": text, "reference": "-"})
    if len(said) > MAX_REFERENCE or not re.fullmatch(r"[A-Za-z0-9 .\-/&]+", said):
        return _refuse("reference_invalid", "utter_order_reference_invalid", {"most": "18"})
    return ActionResult(
        slots={
            "reference": said,
            "order_reference": said,
            "reference_text": ctx.text("reference_quoted", reference=said),
        }
    )


def _end_of(slots: dict[str, Any]) -> tuple[date | None, int | None]:
    code = str(slots.get("end_code") or "none")
    if code.startswith("until:"):
        return date.fromisoformat(code[6:]), None
    if code.startswith("count:"):
        return None, int(code[6:])
    return None, None


def _creditor(payee_id: str) -> Creditor:
    if payee_id.startswith(OWN_ACCOUNT):
        return Creditor.account(payee_id.removeprefix(OWN_ACCOUNT))
    return Creditor.payee(payee_id)


SETUP_SAID = ["payee", "amount_text", "frequency_text", "first_date_text", "end_text"]


def _retry_buttons(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    """Start again with everything but the end: the customer only says when it stops."""
    slots = ctx.slots
    entities = {
        "payee": str(slots.get("payee") or ""),
        "amount": str(slots.get("amount") or ""),
        "frequency": str(slots.get("frequency") or ""),
        "date_ahead": str(slots.get("first_date") or ""),
        "reference": str(slots.get("reference") or "-"),
    }
    return ((ctx.text("give_it_an_end"), payload("set_up_standing_order", **entities)),)


@action(
    "create_standing_order",
    says={
        "utter_standing_order_set_up": SETUP_SAID,
        "utter_standing_order_needs_end": ["amount_text", "frequency_text"],
        "give_it_an_end": [],
        "utter_standing_order_refused": SETUP_SAID,
        "utter_standing_order_unconfirmed": SETUP_SAID,
        **{key: SETUP_SAID for key in BANK_UNAVAILABLE},
    },
)
async def create_standing_order(ctx: ActionContext) -> ActionResult:
    """Ask the bank for the confirmed order, with the code's idempotency key."""
    needed = ("payee_id", "amount", "first_date", "frequency_code", "source_account_id")
    missing = [name for name in needed if not ctx.slots.get(name)]
    if missing or not ctx.idempotency_key:
        raise ValueError(f"create_standing_order needs slots {missing} and an idempotency key")
    said = {name: str(ctx.slots.get(name) or "") for name in SETUP_SAID}
    final, count = _end_of(ctx.slots)
    audit: dict[str, object] = {
        "payee_id": ctx.slots["payee_id"],
        "amount": str(ctx.slots["amount"]),
        "frequency": ctx.slots["frequency_code"],
        "first_date": ctx.slots["first_date"],
        "end": ctx.slots.get("end_code"),
        "source_account_id": ctx.slots["source_account_id"],
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        order = await ctx.bank.create_standing_order(
            ctx.customer_id,
            source_account_id=str(ctx.slots["source_account_id"]),
            creditor=_creditor(str(ctx.slots["payee_id"])),
            amount=Decimal(str(ctx.slots["amount"])),
            frequency=str(ctx.slots["frequency_code"]),
            first_date=date.fromisoformat(str(ctx.slots["first_date"])),
            final_date=final,
            payments=count,
            reference=str(ctx.slots.get("order_reference") or "") or None,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        if exc.code == "final_date_required":
            reply = Reply("utter_standing_order_needs_end", said, _retry_buttons(ctx))
        else:
            reply = Reply("utter_standing_order_refused", said)
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        key = "utter_bank_unavailable" if unsent else "utter_standing_order_unconfirmed"
        audit["bank_error"] = type(exc).__name__
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    audit["standing_order_id"] = order.id
    return ActionResult(replies=[Reply("utter_standing_order_set_up", said)], audit=audit)


# Changing one ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Changeable:
    """A live standing order or scheduled payment: what it is called, how it reads, and
    what it pays next."""

    id: str
    name: str
    text: str
    amount: Decimal
    on: date
    final: date | None


async def _changeable(ctx: ActionContext, kind: str) -> list[Changeable]:
    bank, who = ctx.bank, ctx.customer_id
    if kind == "standing_order":
        return [
            Changeable(
                o.id,
                o.creditor_name,
                ctx.text(
                    "plan_standing_order_next",
                    amount=money(o.next_amount or o.amount, o.currency),
                    name=o.creditor_name,
                    on=day(o.next_date),
                ),
                o.next_amount or o.amount,
                o.next_date,
                o.final_date,
            )
            for o in await bank.list_standing_orders(who)
            if o.active and o.next_date
        ]
    if kind == "scheduled_payment":
        return [
            Changeable(
                p.id,
                p.creditor_name,
                ctx.text(
                    "plan_scheduled_payment",
                    amount=money(p.amount, p.currency),
                    name=p.creditor_name,
                    on=day(p.on),
                ),
                p.amount,
                p.on,
                None,
            )
            for p in await bank.list_scheduled_payments(who)
            if p.status == "InitiationPending"
        ]
    raise ValueError(f"unknown schedule kind {kind!r}")


def _pick_buttons(items: list[Changeable]) -> tuple[tuple[str, str], ...]:
    return tuple((c.text, payload("inform", schedule=c.id)) for c in items)


def _picked(item: Changeable) -> dict[str, Any]:
    return {
        "schedule": item.id,
        "schedule_id": item.id,
        "schedule_text": item.text,
        "schedule_name": item.name,
        "current_amount": f"{item.amount:.2f}",
        "current_date": item.on.isoformat(),
        "current_final": item.final.isoformat() if item.final else None,
    }


PICKED = [
    "schedule", "schedule_id", "schedule_text", "schedule_name", "current_amount",
    "current_date", "current_final",
]  # fmt: skip
CHANGE_PICK_SAYS = {
    "utter_nothing_to_change": ["kind"],
    "utter_which_to_change": [],
    "utter_change_not_found": ["given"],
    "plan_standing_order_next": ["amount", "name", "on"],
    "plan_scheduled_payment": ["amount", "name", "on"],
    "kind_standing_order": [],
    "kind_scheduled_payment": [],
    **BANK_UNAVAILABLE,
}


def _matching(items: list[Changeable], given: str) -> list[Changeable]:
    wanted = " ".join(given.lower().split())
    if not wanted:
        return []
    by_id = [c for c in items if c.id.lower() == wanted]
    if by_id:
        return by_id
    return [
        c
        for c in items
        if c.name.lower() in wanted
        or wanted in c.name.lower()
        or any(part in wanted.split() for part in c.name.lower().split())
    ]


@action("offer_changeable", says=CHANGE_PICK_SAYS, sets=PICKED)
async def offer_changeable(ctx: ActionContext) -> ActionResult:
    """Stop if there is nothing to change; the only one, or the one named with the payee
    ("my standing order to Priya"), is taken (the confirm reads it back); else buttons."""
    kind = str(ctx.slots.get("schedule_kind"))
    if ctx.slots.get("schedule_id"):
        return ActionResult()
    try:
        items = await _changeable(ctx, kind)
    except BankError as exc:
        return bank_unavailable("offer_changeable", exc)
    if not items:
        reply = Reply("utter_nothing_to_change", {"kind": ctx.text(f"kind_{kind}")})
        return ActionResult(ok=False, error="nothing_to_change", replies=[reply])
    named = _matching(items, str(ctx.slots.get("payee") or ""))
    if len(items) == 1 or len(named) == 1:
        return ActionResult(slots=_picked(named[0] if len(named) == 1 else items[0]))
    return ActionResult(replies=[Reply("utter_which_to_change", {}, _pick_buttons(items))])


@action("validate_changeable", says=CHANGE_PICK_SAYS, sets=PICKED)
async def validate_changeable(ctx: ActionContext) -> ActionResult:
    """A button's id, or a name typed ("priya", "the one to Bob")."""
    given = " ".join(str(ctx.slots.get("schedule") or "").split())
    try:
        items = await _changeable(ctx, str(ctx.slots.get("schedule_kind")))
    except BankError as exc:
        return bank_unavailable("validate_changeable", exc)
    matches = _matching(items, given)
    if len(matches) != 1:
        reply = Reply("utter_change_not_found", {"given": given[:40]}, _pick_buttons(items))
        return ActionResult(ok=False, error="schedule_not_found", replies=[reply])
    return ActionResult(slots=_picked(matches[0]))


CHANGE_SAYS = {
    "utter_change_unclear": [],
    "change_button_amount": [],
    "change_button_date": [],
    "utter_change_same_amount": ["amount"],
    "utter_change_same_date": ["on"],
    "utter_change_date_not_after_today": [],
    "utter_change_date_too_far": [],
    "utter_change_date_after_final": ["final"],
    "utter_change_date_unreadable": [],
    "utter_currency_unsupported": ["currency"],
    "utter_amount_invalid": ["reason"],
    "utter_order_over_limit": ["amount", "daily"],
    "change_amount_text": ["old", "new"],
    "change_date_text": ["old", "new"],
    "change_both_text": ["old", "new", "old_date", "new_date"],
    **AMOUNT_REASONS,
    **BANK_UNAVAILABLE,
}
CHANGE_SETS = [
    "change", "amount", "amount_text", "new_date", "new_date_text", "change_text",
    "amend_amount", "amend_date", "needs_code",
]  # fmt: skip


def _change_buttons(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    return (
        (ctx.text("change_button_amount"), payload("inform", change="amount")),
        (ctx.text("change_button_date"), payload("inform", change="date")),
    )


def _what_changes(ctx: ActionContext) -> str | None:
    said = str(ctx.slots.get("change") or "").strip().lower()
    if said in ("amount", "date", "both"):
        return said
    if said:
        hits = [kind for kind, pattern in _CHANGE_WORDS.items() if pattern.search(said)]
        return hits[0] if len(hits) == 1 else None
    has_amount, has_date = bool(ctx.slots.get("amount")), bool(ctx.slots.get("new_date"))
    if has_amount and has_date:
        return "both"
    return "amount" if has_amount else "date" if has_date else None


async def _check_change(ctx: ActionContext, stage: str) -> ActionResult:
    """Everything about the change as it stands. `stage` is the step asking: "change" (what
    to change), "amount" or "date"; each asks for its own value when it is the one missing."""
    change = _what_changes(ctx)
    if change is None:
        if stage == "change" and not ctx.slots.get("change"):
            return ActionResult(ok=False, error="change_missing")  # ask what to change
        reply = Reply("utter_change_unclear", {}, _change_buttons(ctx))
        return ActionResult(ok=False, error="change_unclear", replies=[reply])
    out: dict[str, Any] = {"change": change, "needs_code": None}
    current = Decimal(str(ctx.slots.get("current_amount") or "0"))
    current_on = _iso(ctx.slots.get("current_date"))
    amount = new_on = None
    if change in ("amount", "both"):
        if not ctx.slots.get("amount"):
            if stage == "amount":
                return ActionResult(ok=False, error="amount_missing")  # ask for it
        else:
            checked = await _check_new_amount(ctx, current)
            if not checked.ok:
                return checked
            amount = Decimal(checked.slots["amount"])
            out |= checked.slots
    if change in ("date", "both"):
        if not ctx.slots.get("new_date"):
            if stage == "date":
                return ActionResult(ok=False, error="date_missing")  # ask for it
        else:
            checked = _check_new_date(ctx, current_on)
            if not checked.ok:
                return checked
            new_on = date.fromisoformat(checked.slots["new_date"])
            out |= checked.slots
    if change == "amount":
        out |= {"new_date": None, "new_date_text": None}
    if change == "date":
        out |= {"amount": None, "amount_text": None}
    out["amend_amount"] = f"{amount:.2f}" if amount is not None else "-"
    out["amend_date"] = new_on.isoformat() if new_on is not None else "-"
    if amount is not None and amount > current:
        out["needs_code"] = "yes"  # more money leaves: a code, bound to the new amount
    out["change_text"] = _change_text(ctx, current, current_on, amount, new_on)
    return ActionResult(slots=out)


def _change_text(
    ctx: ActionContext,
    current: Decimal,
    current_on: date | None,
    amount: Decimal | None,
    new_on: date | None,
) -> str:
    old_on = day(current_on) if current_on else ""
    if amount is not None and new_on is not None:
        said = {"old": money(current), "new": money(amount), "old_date": old_on}
        return ctx.text("change_both_text", **said, new_date=day(new_on))
    if amount is not None:
        return ctx.text("change_amount_text", old=money(current), new=money(amount))
    if new_on is not None:
        return ctx.text("change_date_text", old=old_on, new=day(new_on))
    return ""


async def _check_new_amount(ctx: ActionContext, current: Decimal) -> ActionResult:
    currency = str(ctx.slots.get("currency") or "GBP").strip().upper()
    if currency != "GBP":
        return _refuse("currency_unsupported", "utter_currency_unsupported", {"currency": currency})
    amount, reason = amount_problem(ctx.slots.get("amount"))
    if amount is None:
        return _refuse("amount_invalid", "utter_amount_invalid", {"reason": ctx.text(reason)})
    if amount == current:
        return _refuse("same_amount", "utter_change_same_amount", {"amount": money(amount)})
    if amount > current:
        try:
            limit = await ctx.bank.payment_limits(ctx.customer_id)
        except BankError as exc:
            return bank_unavailable("validate_change", exc)
        if amount > limit.daily:
            said = {"amount": money(amount), "daily": money(limit.daily)}
            return _refuse("daily_limit_exceeded", "utter_order_over_limit", said)
    return ActionResult(slots={"amount": f"{amount:.2f}", "amount_text": money(amount)})


def _check_new_date(ctx: ActionContext, current_on: date | None) -> ActionResult:
    said = ctx.slots.get("new_date")
    on = _iso(said) or _read_date(ctx, said)
    if on is None:
        return _refuse("date_unreadable", "utter_change_date_unreadable")
    today = _today(ctx)
    if on <= today:
        return _refuse("date_not_after_today", "utter_change_date_not_after_today")
    if (on - today).days > MAX_FIRST_AHEAD_DAYS:
        return _refuse("date_too_far", "utter_change_date_too_far")
    if on == current_on:
        return _refuse("same_date", "utter_change_same_date", {"on": day(on)})
    final = _iso(ctx.slots.get("current_final"))
    if final is not None and on > final:
        return _refuse("date_after_final", "utter_change_date_after_final", {"final": day(final)})
    return ActionResult(slots={"new_date": on.isoformat(), "new_date_text": day(on)})


@action("validate_change", says=CHANGE_SAYS, sets=CHANGE_SETS)
async def validate_change(ctx: ActionContext) -> ActionResult:
    return await _check_change(ctx, "change")


@action("validate_new_amount", says=CHANGE_SAYS, sets=CHANGE_SETS)
async def validate_new_amount(ctx: ActionContext) -> ActionResult:
    return await _check_change(ctx, "amount")


@action("validate_new_date", says=CHANGE_SAYS, sets=CHANGE_SETS)
async def validate_new_date(ctx: ActionContext) -> ActionResult:
    return await _check_change(ctx, "date")


AMEND_SAID = ["schedule_text", "change_text"]


@action(
    "amend_schedule",
    says={
        "utter_standing_order_changed": AMEND_SAID,
        "utter_scheduled_payment_changed": AMEND_SAID,
        "utter_change_refused": AMEND_SAID,
        "utter_change_unconfirmed": AMEND_SAID,
        **{key: AMEND_SAID for key in BANK_UNAVAILABLE},
    },
)
async def amend_schedule(ctx: ActionContext) -> ActionResult:
    """Change the confirmed item at the bank. An amount that goes up was approved with a
    code bound to it (the flow's step_up `when: needs_code`); this checks that again."""
    kind = str(ctx.slots.get("schedule_kind") or "")
    item = str(ctx.slots.get("schedule_id") or "")
    if not item or not ctx.idempotency_key:
        raise ValueError("amend_schedule needs schedule_id and an idempotency key")
    raw_amount = str(ctx.slots.get("amend_amount") or "-")
    raw_date = str(ctx.slots.get("amend_date") or "-")
    amount = None if raw_amount == "-" else Decimal(raw_amount)
    on = None if raw_date == "-" else date.fromisoformat(raw_date)
    current = Decimal(str(ctx.slots.get("current_amount") or "0"))
    if amount is not None and amount > current and not ctx.slots.get("needs_code"):
        raise ValueError("a higher amount needs the code step")
    said = {name: str(ctx.slots.get(name) or "") for name in AMEND_SAID}
    audit: dict[str, object] = {
        "kind": kind,
        "id": item,
        "amount": raw_amount,
        "on": raw_date,
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        if kind == "standing_order":
            await ctx.bank.amend_standing_order(
                ctx.customer_id,
                item,
                amount=amount,
                next_date=on,
                idempotency_key=ctx.idempotency_key,
            )
        else:
            await ctx.bank.amend_scheduled_payment(
                ctx.customer_id, item, amount=amount, on=on, idempotency_key=ctx.idempotency_key
            )
    except BankRejected as exc:
        audit["bank_code"] = exc.code
        reply = Reply("utter_change_refused", said)
        return ActionResult(ok=False, error="bank_rejected", replies=[reply], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        key = "utter_bank_unavailable" if unsent else "utter_change_unconfirmed"
        audit["bank_error"] = type(exc).__name__
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    return ActionResult(replies=[Reply(f"utter_{kind}_changed", said)], audit=audit)
