"""Profile changes (non-financial requests): a new postal address, email or mobile number, a
balance confirmation letter, and marketing by email, SMS and post on or off.

A change of contact details is how an account is taken over, so each one is checked as it is
typed (`email-validator` for an email's form, `phonenumbers` for a number, UK region by
default, and the UK postcode's shape for an address), confirmed, and approved with a one-time
code sent to the contact the bank holds *now* (the flow's step-up, before anything changes).
Once the bank has changed it (`ProfileBank`, audited there), a notice goes to the old email
or number through the notifier that sends codes, so a customer whose details were changed by
someone else hears of it where they still are.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, EmailSyntaxError, validate_email

from actions.cards_manage import mask_address
from actions.formatting import account_label, day, money
from actions.letters import Letter, balance_letter_pdf
from actions.lookup import find_account
from actions.replies import (
    ACCOUNT_NOT_FOUND,
    BANK_UNAVAILABLE,
    account_not_found,
    bank_unavailable,
    payload,
)
from bot.bank import (
    MARKETING_CHANNELS,
    BankError,
    BankRejected,
    Customer,
    MarketingPreferences,
    PostalAddress,
)
from bot.handlers import (
    ActionContext,
    ActionResult,
    NotDelivered,
    Notice,
    Recipient,
    Reply,
    action,
)

log = logging.getLogger(__name__)

DETAILS = ("email", "phone", "address")
# What the NLU's `contact_channel` says -> the detail it means here.
_DETAIL_OF = {"email": "email", "phone": "phone", "sms": "phone", "address": "address",
              "post": "address", "name": "name"}  # fmt: skip
_CHANNEL_OF = {"email": "email", "sms": "sms", "phone": "sms", "post": "post", "address": "post"}
POSTCODE = re.compile(
    r"\b(GIR\s?0AA|[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRV-Y\d]?)"
    r"\s?\d[ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_LEAD_IN = re.compile(
    r"^\s*(?:(?:my|the|our)\s+)?(?:new\s+)?(?:home\s+|postal\s+)?(?:address\s*)?"
    r"(?:is|will\s+be|it'?s|now)?\s*[:\-]?\s*",
    re.IGNORECASE,
)
# Ofcom's drama range (07700 900000-900999): never given to anyone, so phonenumbers calls it
# invalid; the sandbox's customers and the tests use it as the mobile numbers it stands for.
_DRAMA = re.compile(r"^\+447700900\d{3}$")


def _detail_texts() -> dict[str, list[str]]:
    texts: dict[str, list[str]] = {}
    for detail in DETAILS:
        texts |= {f"detail_name_{detail}": [], f"detail_question_{detail}": []}
        texts |= {f"notice_to_{detail}": [], f"detail_refused_{detail}": []}
    return texts


DETAIL_TEXTS = _detail_texts()


# -- reading what was typed ------------------------------------------------------------------


def read_email(said: str) -> tuple[str | None, str]:
    """(the address, normalised; or None with the reason key)."""
    text = said.strip().strip(".,;").removeprefix("mailto:")
    found = re.search(r"\S+@\S*", text)
    candidate = found.group(0).strip(".,;<>()\"'") if found else text
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailSyntaxError as exc:
        domain = "@" in candidate and "after the @" in str(exc)
        return None, "email_reason_domain" if domain else "email_reason_syntax"
    except EmailNotValidError:
        return None, "email_reason_domain"
    return checked.normalized, ""


def read_phone(said: str) -> tuple[str | None, str]:
    """(E.164, "") for a mobile number; (None, "invalid") or (national form, "landline")."""
    text = re.sub(r"[^\d+()\s.-]", " ", said).strip()
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None, "invalid"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _DRAMA.match(e164):
        return e164, ""
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    kind = phonenumbers.number_type(number)
    kinds = phonenumbers.PhoneNumberType
    if kind not in (kinds.MOBILE, kinds.FIXED_LINE_OR_MOBILE):
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return national, "landline"
    return e164, ""


def read_address(said: str) -> tuple[PostalAddress | None, str, str]:
    """(the address, "", postcode) or (None, reason key, postcode found if any)."""
    codes = list(POSTCODE.finditer(said))
    if not codes:
        return None, "utter_address_no_postcode", ""
    last = codes[-1]
    raw = re.sub(r"\s+", "", last.group(1)).upper()
    post_code = f"{raw[:-3]} {raw[-3:]}"
    rest = (said[: last.start()] + " " + said[last.end() :]).strip()
    rest = _LEAD_IN.sub("", rest, count=1)
    parts = [p.strip(" .") for p in re.split(r"[,\n;]+", rest) if p.strip(" .")]
    if len(parts) == 1:  # "12 High Street Leeds": the last word is the town
        words = parts[0].split()
        parts = [" ".join(words[:-1]), words[-1]] if len(words) >= 3 else []
    if len(parts) < 2 or not re.search(r"[A-Za-z]", parts[-1]):
        return None, "utter_address_incomplete", post_code
    town = parts[-1].title() if parts[-1].islower() or parts[-1].isupper() else parts[-1]
    lines = [p.title() if p.islower() else p for p in parts[:-1]][:3]
    if any(len(line) > 70 for line in lines) or len(town) > 60:
        return None, "utter_address_incomplete", post_code
    return PostalAddress(tuple(lines), town, post_code, "GB"), "", post_code


def address_text(address: PostalAddress) -> str:
    return f"{', '.join(address.lines)}, {address.town} {address.post_code}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else "•••"


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"number ending {digits[-4:]}" if len(digits) >= 4 else "•••"


# -- the flow ----------------------------------------------------------------------------------


@action(
    "validate_personal_detail",
    says={"utter_personal_detail_unknown": [], **DETAIL_TEXTS},
    sets=["detail_name", "detail_question", "notice_to"],
)
async def validate_personal_detail(ctx: ActionContext) -> ActionResult:
    detail = _DETAIL_OF.get(str(ctx.slots.get("personal_detail") or "").strip().lower())
    if detail is None:
        reply = Reply("utter_personal_detail_unknown")
        return ActionResult(ok=False, error="detail_unknown", replies=[reply])
    if detail == "name":
        return ActionResult(slots={"personal_detail": "name"})
    return ActionResult(
        slots={
            "personal_detail": detail,
            "detail_name": ctx.text(f"detail_name_{detail}"),
            "detail_question": ctx.text(f"detail_question_{detail}"),
            "notice_to": ctx.text(f"notice_to_{detail}"),
        }
    )


@action("check_personal_detail", says={"utter_name_change": []})
async def check_personal_detail(ctx: ActionContext) -> ActionResult:
    """A name is changed by a colleague who sees the document: the flow stops here."""
    if ctx.slots.get("personal_detail") == "name":
        return ActionResult(ok=False, error="name_change", replies=[Reply("utter_name_change")])
    return ActionResult()


async def _current(ctx: ActionContext, detail: str) -> tuple[str, str]:
    """(the value the bank holds now, comparable; and as the confirm shows it, masked)."""
    if detail == "address":
        held = await ctx.bank.postal_address(ctx.customer_id)
        if held is None:
            return "", ctx.text("detail_masked_none")
        return address_text(held).lower(), mask_address(held)
    customer = await ctx.bank.get_customer(ctx.customer_id)
    value = customer.email if detail == "email" else customer.phone
    if not value:
        return "", ctx.text("detail_masked_none")
    shown = mask_email(value) if detail == "email" else mask_phone(value)
    return (value.lower() if detail == "email" else value), shown


@action(
    "validate_new_detail",
    says={
        "utter_email_invalid": ["said", "reason"],
        "email_reason_syntax": [],
        "email_reason_domain": [],
        "utter_phone_invalid": ["said"],
        "utter_phone_not_mobile": ["number"],
        "utter_address_no_postcode": [],
        "utter_address_incomplete": ["post_code"],
        "utter_detail_unchanged": ["detail_name"],
        "detail_masked_none": [],
        **DETAIL_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=["new_detail_text", "current_detail_text", "new_address"],
)
async def validate_new_detail(ctx: ActionContext) -> ActionResult:
    detail = str(ctx.slots.get("personal_detail") or "")
    said = str(ctx.slots.get("new_detail") or "").strip()
    slots: dict[str, Any] = {}
    if detail == "email":
        value, reason = read_email(said)
        if value is None:
            reply = Reply("utter_email_invalid", {"said": said[:80], "reason": ctx.text(reason)})
            return ActionResult(ok=False, error="email_invalid", replies=[reply])
        comparable, shown = value.lower(), value
    elif detail == "phone":
        value, problem = read_phone(said)
        if problem == "landline":
            reply = Reply("utter_phone_not_mobile", {"number": value})
            return ActionResult(ok=False, error="phone_not_mobile", replies=[reply])
        if value is None:
            reply = Reply("utter_phone_invalid", {"said": said[:40]})
            return ActionResult(ok=False, error="phone_invalid", replies=[reply])
        national = phonenumbers.format_number(
            phonenumbers.parse(value),
            phonenumbers.PhoneNumberFormat.INTERNATIONAL
            if not value.startswith("+44")
            else phonenumbers.PhoneNumberFormat.NATIONAL,
        )
        comparable, shown = value, national
    else:
        address, problem, post_code = read_address(said)
        if address is None:
            reply = Reply(problem, {"post_code": post_code} if post_code else {})
            return ActionResult(ok=False, error="address_invalid", replies=[reply])
        value = address_text(address)
        comparable, shown = value.lower(), value
        slots["new_address"] = {"lines": list(address.lines), "town": address.town,
                                "post_code": address.post_code}  # fmt: skip
    try:
        held, held_shown = await _current(ctx, detail)
    except BankError as exc:
        return bank_unavailable("validate_new_detail", exc)
    if held and held == comparable:
        reply = Reply("utter_detail_unchanged", {"detail_name": ctx.text(f"detail_name_{detail}")})
        return ActionResult(ok=False, error="detail_unchanged", replies=[reply])
    return ActionResult(
        slots={
            "new_detail": value,
            "new_detail_text": shown,
            "current_detail_text": held_shown,
            **slots,
        }
    )


def _notice(ctx: ActionContext, customer: Customer, detail: str) -> Notice:
    said = {
        "first_name": customer.first_name or customer.name,
        "detail_name": ctx.text(f"detail_name_{detail}"),
        "day": day(ctx.now.date()),
    }
    return Notice(
        text=ctx.text("detail_notice_text", **said),
        subject=ctx.text("detail_notice_subject", **said),
    )


async def _tell_old_contact(
    ctx: ActionContext, before: Customer, detail: str, previous: str
) -> str | None:
    """The notice of a change, to where the customer was before it; where it went, or None."""
    if ctx.notifier is None:
        return None
    if detail == "email":  # the old email first; the number the bank holds if that fails
        recipient = Recipient(ctx.customer_id, before.phone, previous, "email")
    elif detail == "phone":
        recipient = Recipient(ctx.customer_id, previous, before.email, "sms")
    else:
        prefers = before.contact_preference
        recipient = Recipient(ctx.customer_id, before.phone, before.email, prefers)
    try:
        delivered = await ctx.notifier.send(recipient, _notice(ctx, before, detail))
    except NotDelivered as exc:
        log.warning("change notice for %s not delivered: %s", ctx.customer_id, exc)
        return None
    if "@" in delivered.address:
        return mask_email(delivered.address)
    return mask_phone(delivered.address)


_REFUSED = {"invalid_email": "email", "invalid_phone": "phone", "invalid_postcode": "address",
            "invalid_address": "address", "address_not_uk": "address"}  # fmt: skip


@action(
    "change_personal_detail",
    says={
        "utter_detail_changed": ["detail_name", "new_detail_text", "notice"],
        "detail_notice_sent": ["where"],
        "detail_notice_not_sent": [],
        "detail_codes_follow": ["detail_name"],
        "utter_detail_unchanged": ["detail_name"],
        "utter_detail_change_refused": ["detail_name", "reason"],
        "detail_refused_other": [],
        "detail_notice_subject": ["detail_name", "first_name", "day"],
        "detail_notice_text": ["detail_name", "first_name", "day"],
        **DETAIL_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def change_personal_detail(ctx: ActionContext) -> ActionResult:
    """The bank changes the record (after the code); then the old contact is told."""
    detail = str(ctx.slots["personal_detail"])
    value = str(ctx.slots["new_detail"])
    name = ctx.text(f"detail_name_{detail}")
    key = ctx.idempotency_key or ""
    try:
        before = await ctx.bank.get_customer(ctx.customer_id)
        if detail == "address":
            raw = ctx.slots.get("new_address") or {}
            address = PostalAddress(
                tuple(raw.get("lines") or ()), str(raw.get("town")), str(raw.get("post_code")), "GB"
            )
            await ctx.bank.change_postal_address(ctx.customer_id, address, key)
            previous = ""
        else:
            change = await ctx.bank.change_contact(
                ctx.customer_id, field=detail, value=value, idempotency_key=key
            )
            previous = change.previous
    except BankRejected as exc:
        if exc.code == "contact_unchanged":
            reply = Reply("utter_detail_unchanged", {"detail_name": name})
            return ActionResult(ok=False, error=exc.code, replies=[reply])
        refused = _REFUSED.get(exc.code)
        reason = ctx.text(f"detail_refused_{refused}" if refused else "detail_refused_other")
        reply = Reply("utter_detail_change_refused", {"detail_name": name, "reason": reason})
        return ActionResult(ok=False, error=exc.code, replies=[reply])
    except BankError as exc:
        return bank_unavailable("change_personal_detail", exc)
    where = await _tell_old_contact(ctx, before, detail, previous)
    notice = (
        ctx.text("detail_notice_sent", where=where) if where else ctx.text("detail_notice_not_sent")
    )
    if detail in ("email", "phone"):
        notice += ctx.text("detail_codes_follow", detail_name=name)
    said = {"detail_name": name, "new_detail_text": ctx.slots.get("new_detail_text") or value,
            "notice": notice}  # fmt: skip
    audit = {"detail": detail, "notice_sent": where is not None}
    return ActionResult(replies=[Reply("utter_detail_changed", said)], audit=audit)


# -- balance confirmation letter ------------------------------------------------------------

LETTER_LABELS = ("title", "greeting", "account", "account_number", "balance",
                 "date", "holder", "closing", "sign_off")  # fmt: skip


def _lasts(ctx: ActionContext, seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes == 1:
        return ctx.text("statement_lasts_minute")
    return ctx.text("statement_lasts_minutes", minutes=minutes)


@action(
    "balance_letter",
    says={
        "utter_balance_letter_ready": ["account", "balance", "day", "address", "lasts"],
        "utter_balance_letter_no_account": [],
        "utter_files_unavailable": [],
        "letter_no_address": [],
        "letter_body": ["name", "day", "balance"],
        "letter_made_on": ["day"],
        "statement_lasts_minute": [],
        "statement_lasts_minutes": ["minutes"],
        **{f"letter_{name}": [] for name in LETTER_LABELS},
        **BANK_UNAVAILABLE,
        **ACCOUNT_NOT_FOUND,
    },
)
async def balance_letter(ctx: ActionContext) -> ActionResult:
    """A PDF letter confirming one account's balance as the bank states it now."""
    if ctx.files is None:
        return ActionResult(ok=False, error="files_off", replies=[Reply("utter_files_unavailable")])
    reference = str(ctx.slots.get("account") or "").strip()
    try:
        accounts = await ctx.bank.list_accounts(ctx.customer_id)
        letterable = [a for a in accounts if a.kind in ("current", "savings")]
        account = (
            find_account(accounts, reference)
            if reference
            else next(
                (a for a in letterable if a.kind == "current"),
                letterable[0] if letterable else None,
            )
        )
        if account is None and reference:
            return account_not_found(reference, accounts, "balance_letter")
        if account is None or account not in letterable:  # a credit card owes, holds nothing
            reply = Reply("utter_balance_letter_no_account")
            return ActionResult(ok=False, error="no_account", replies=[reply])
        balances = await ctx.bank.get_balances(ctx.customer_id, account.id)
        customer = await ctx.bank.get_customer(ctx.customer_id)
        address = await ctx.bank.postal_address(ctx.customer_id)
    except BankError as exc:
        return bank_unavailable("balance_letter", exc)
    balance = next((b for b in balances if b.account_id == account.id), None)
    if balance is None:
        return bank_unavailable("balance_letter", BankError("no balance for the account"))
    today = ctx.now.date()
    amount = money(balance.amount, balance.currency)
    labels = {name: ctx.text(f"letter_{name}") for name in LETTER_LABELS}
    letter = Letter(
        customer=customer.name,
        address=(*address.lines, address.town, address.post_code) if address else (),
        account=account_label(account).replace("••", "ending "),
        last4=account.last4,
        balance=amount,
        day=day(today),
        body=ctx.text("letter_body", name=customer.name, day=day(today), balance=amount),
        made_on=ctx.text("letter_made_on", day=day(today)),
        made_at=datetime.fromtimestamp(ctx.now.timestamp(), UTC),
    )
    content = await asyncio.to_thread(balance_letter_pdf, letter, labels)
    name = f"balance-letter-{account.name.lower().replace(' ', '-')}-{account.last4}-{today}.pdf"
    attachment = await ctx.files.keep_file(ctx.customer_id, name, "application/pdf", content)
    seconds = (attachment.expires_at or ctx.now.timestamp()) - ctx.now.timestamp()
    said = {
        "account": account_label(account),
        "balance": amount,
        "day": day(today),
        "address": address_text(address) if address else ctx.text("letter_no_address"),
        "lasts": _lasts(ctx, seconds),
    }
    audit = {"account_id": account.id, "file": name, "bytes": len(content)}
    reply = Reply("utter_balance_letter_ready", said, attachment=attachment)
    return ActionResult(replies=[reply], audit=audit)


# -- marketing --------------------------------------------------------------------------------


def _lines(ctx: ActionContext, prefs: MarketingPreferences) -> str:
    return ", ".join(
        ctx.text(
            "marketing_line",
            channel=ctx.text(f"marketing_channel_{c}"),
            state=ctx.text("marketing_on" if prefs.get(c) else "marketing_off"),
        )
        for c in MARKETING_CHANNELS
    )


def _toggle_buttons(ctx: ActionContext, prefs: MarketingPreferences) -> tuple[tuple[str, str], ...]:
    buttons = []
    for c in MARKETING_CHANNELS:
        turn = "off" if prefs.get(c) else "on"
        title = ctx.text(f"marketing_button_{turn}", channel=ctx.text(f"marketing_channel_{c}"))
        buttons.append(
            (title, payload("marketing_preferences", contact_channel=c, marketing_switch=turn))
        )
    return tuple(buttons)


MARKETING_TEXTS = {
    "marketing_line": ["channel", "state"],
    "marketing_on": [],
    "marketing_off": [],
    "marketing_and": [],
    "marketing_button_on": ["channel"],
    "marketing_button_off": ["channel"],
    **{f"marketing_channel_{c}": [] for c in MARKETING_CHANNELS},
}


@action(
    "marketing_preferences",
    says={
        "utter_marketing_preferences": ["lines"],
        "utter_marketing_changed": ["channels", "state", "lines"],
        "utter_marketing_unchanged": ["channels", "state", "lines"],
        **MARKETING_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def marketing_preferences(ctx: ActionContext) -> ActionResult:
    """No on/off said: the choices as they stand, each a button. Off with no channel: all of
    them (stopping marketing is never made harder than one message). On with no channel:
    the choices, since a yes to marketing should name what it is a yes to."""
    switch = str(ctx.slots.get("marketing_switch") or ctx.slots.get("card_switch") or "")
    channel = _CHANNEL_OF.get(str(ctx.slots.get("contact_channel") or "").lower())
    try:
        prefs = await ctx.bank.marketing_preferences(ctx.customer_id)
        if switch not in ("on", "off") or (switch == "on" and channel is None):
            reply = Reply(
                "utter_marketing_preferences",
                {"lines": _lines(ctx, prefs)},
                buttons=_toggle_buttons(ctx, prefs),
            )
            return ActionResult(replies=[reply])
        channels = [channel] if channel else list(MARKETING_CHANNELS)
        wanted = switch == "on"
        said_channels = ctx.text("marketing_and").join(
            ctx.text(f"marketing_channel_{c}") for c in channels
        )
        state = ctx.text(f"marketing_{switch}")
        if all(prefs.get(c) == wanted for c in channels):
            said = {"channels": said_channels, "state": state, "lines": _lines(ctx, prefs)}
            return ActionResult(replies=[Reply("utter_marketing_unchanged", said)])
        prefs = await ctx.bank.set_marketing_preferences(
            ctx.customer_id, dict.fromkeys(channels, wanted), ctx.idempotency_key or ""
        )
    except BankError as exc:
        return bank_unavailable("marketing_preferences", exc)
    said = {"channels": said_channels, "state": state, "lines": _lines(ctx, prefs)}
    audit = {"channels": channels, "on": wanted}
    return ActionResult(replies=[Reply("utter_marketing_changed", said)], audit=audit)
