"""Adding a payee abroad: a name, an IBAN and a BIC checked with schwifty, and a currency.

schwifty knows each country's IBAN length and layout and the ISO 7064 check digits, and for
many banks the BIC that goes with the IBAN's bank code, so the customer is asked for a BIC
only when it cannot be derived. Every problem is said in words ("French IBANs have 27
characters; this one has 25") and nothing is saved until the customer has confirmed and
entered the one-time code bound to exactly these details.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import pycountry
import yaml
from schwifty import BIC, IBAN, registry
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from bot.bank import BankError, BankRejected, BankUnavailable
from bot.handlers import ActionContext, ActionResult, Reply, action

log = logging.getLogger("actions.abroad_payees")

CURRENCY_FILE = Path(__file__).parent / "data" / "iban_currencies.yml"
MAX_NAME = 70  # the bank's limit for a payee's name
_NOT_IBAN = re.compile(r"[\s\-.]")


@cache
def currency_by_country() -> dict[str, str]:
    raw = yaml.safe_load(CURRENCY_FILE.read_text(encoding="utf-8"))
    return {country: currency for currency, countries in raw.items() for country in countries}


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or country.name) if country else code


@action(
    "validate_payee_name_abroad",
    says={"utter_payee_name_invalid": ["max"]},
)
async def validate_payee_name_abroad(ctx: ActionContext) -> ActionResult:
    """The account holder's name as their bank has it: letters, at most the bank's limit."""
    name = " ".join(str(ctx.slots.get("payee_name") or "").split())
    if not any(c.isalpha() for c in name) or len(name) > MAX_NAME:
        reply = Reply("utter_payee_name_invalid", {"max": MAX_NAME})
        return ActionResult(ok=False, error="name_invalid", replies=[reply])
    return ActionResult(slots={"payee_name": name})


IBAN_REASONS = {
    "iban_reason_country": ["prefix"],
    "iban_reason_length": ["country", "expected", "got"],
    "iban_reason_checksum": [],
    "iban_reason_layout": ["country"],
}


def _iban_problem(ctx: ActionContext, text: str) -> str:
    """Why `text` is not an IBAN, in the customer's words."""
    try:
        IBAN(text)
    except InvalidCountryCode:
        return ctx.text("iban_reason_country", prefix=text[:2])
    except InvalidLength:
        country = text[:2]
        expected = registry.get_iban_spec(country).iban_length
        return ctx.text(
            "iban_reason_length", country=country_name(country), expected=expected, got=len(text)
        )
    except InvalidChecksumDigits:
        return ctx.text("iban_reason_checksum")
    except SchwiftyException:
        pass
    return ctx.text("iban_reason_layout", country=country_name(text[:2]))


@action(
    "validate_iban",
    says={
        "utter_iban_invalid": ["reason", "payee_name"],
        "utter_iban_is_uk": [],
        **IBAN_REASONS,
    },
    sets=["iban_text", "iban_ending", "iban_country", "bic"],
)
async def validate_iban(ctx: ActionContext) -> ActionResult:
    """Check the IBAN; derive its BIC and usual currency where they are known."""
    text = _NOT_IBAN.sub("", str(ctx.slots.get("iban") or "")).upper()
    try:
        iban = IBAN(text)
    except SchwiftyException:
        said = {"reason": _iban_problem(ctx, text), "payee_name": ctx.slots.get("payee_name")}
        reply = Reply("utter_iban_invalid", said)
        return ActionResult(ok=False, error="iban_invalid", replies=[reply])
    if iban.country_code == "GB":  # a UK account: sort code and account number, in pounds
        return ActionResult(ok=False, error="iban_is_uk", replies=[Reply("utter_iban_is_uk")])
    slots: dict[str, str] = {
        "iban": iban.compact,
        "iban_text": iban.formatted,
        "iban_ending": iban.compact[-4:],
        "iban_country": country_name(iban.country_code),
    }
    derived = iban.bic
    if derived is not None and not ctx.slots.get("bic"):
        slots["bic"] = str(derived.compact)
    usual = currency_by_country().get(iban.country_code)
    if usual and not ctx.slots.get("currency"):
        slots["currency"] = usual
    return ActionResult(slots=slots)


@action(
    "validate_bic",
    says={
        "utter_bic_invalid": ["bic"],
        "utter_bic_country_mismatch": ["bic", "bic_country", "iban_country"],
    },
)
async def validate_bic(ctx: ActionContext) -> ActionResult:
    """8 or 11 characters naming a bank, in the IBAN's country."""
    text = _NOT_IBAN.sub("", str(ctx.slots.get("bic") or "")).upper()
    try:
        bic = BIC(text)
    except SchwiftyException:
        reply = Reply("utter_bic_invalid", {"bic": text})
        return ActionResult(ok=False, error="bic_invalid", replies=[reply])
    iban_country = str(ctx.slots.get("iban") or "")[:2]
    if bic.country_code != iban_country:
        said = {
            "bic": text,
            "bic_country": country_name(bic.country_code),
            "iban_country": country_name(iban_country),
        }
        reply = Reply("utter_bic_country_mismatch", said)
        return ActionResult(ok=False, error="bic_country_mismatch", replies=[reply])
    return ActionResult(slots={"bic": str(bic.compact)})


@action(
    "validate_payee_currency",
    says={"utter_payee_currency_unsupported": ["currency", "codes"], **BANK_UNAVAILABLE},
)
async def validate_payee_currency(ctx: ActionContext) -> ActionResult:
    """A currency the bank pays out in; none known for the IBAN's country is asked for."""
    currency = str(ctx.slots.get("currency") or "").strip().upper()
    if not currency:
        return ActionResult(ok=False, error="currency_needed")  # the step asks
    try:
        codes = sorted(r.currency for r in await ctx.bank.exchange_rates())
    except BankError as exc:
        return bank_unavailable("validate_payee_currency", exc)
    if currency not in codes:
        said = {"currency": currency, "codes": ", ".join(codes)}
        reply = Reply("utter_payee_currency_unsupported", said)
        return ActionResult(ok=False, error="currency_unsupported", replies=[reply])
    return ActionResult(slots={"currency": currency})


SAID = ["payee_name", "iban_text", "bic", "currency"]
REFUSALS = {
    "payee_exists": "utter_payee_abroad_exists",
    "invalid_iban": "utter_payee_abroad_refused",
    "invalid_bic": "utter_payee_abroad_refused",
    "bic_country_mismatch": "utter_payee_abroad_refused",
    "currency_not_supported": "utter_payee_abroad_refused",
}


@action(
    "add_payee_abroad",
    says={
        "utter_payee_abroad_added": SAID,
        "utter_payee_abroad_exists": SAID,
        "utter_payee_abroad_refused": SAID,
        "utter_payee_abroad_unconfirmed": SAID,
        **{key: SAID for key in BANK_UNAVAILABLE},
    },
)
async def add_payee_abroad(ctx: ActionContext) -> ActionResult:
    """Save the confirmed payee abroad, once: the code's challenge is the key."""
    if not ctx.idempotency_key:
        raise ValueError("add_payee_abroad needs an idempotency key")
    said = {name: str(ctx.slots.get(name) or "") for name in SAID}
    audit = {
        "name": said["payee_name"],
        "iban_ending": str(ctx.slots.get("iban_ending")),
        "bic": said["bic"],
        "currency": said["currency"],
        "idempotency_key": ctx.idempotency_key,
    }
    try:
        payee = await ctx.bank.add_international_payee(
            ctx.customer_id,
            name=said["payee_name"],
            iban=str(ctx.slots["iban"]),
            bic=said["bic"],
            currency=said["currency"],
            reference=None,
            idempotency_key=ctx.idempotency_key,
        )
    except BankRejected as exc:
        audit |= {"bank_code": exc.code}
        key = REFUSALS.get(exc.code, "utter_payee_abroad_refused")
        return ActionResult(ok=False, error=exc.code, replies=[Reply(key, said)], audit=audit)
    except BankError as exc:
        unsent = isinstance(exc, BankUnavailable) and not exc.outcome_unknown
        key = "utter_bank_unavailable" if unsent else "utter_payee_abroad_unconfirmed"
        audit |= {"bank_error": type(exc).__name__}
        return ActionResult(
            ok=False, error="bank_unavailable", replies=[Reply(key, said)], audit=audit
        )
    audit |= {"payee_id": payee.id}
    return ActionResult(replies=[Reply("utter_payee_abroad_added", said)], audit=audit)
