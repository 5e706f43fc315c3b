"""Money amounts and currencies: "£50", "50 quid", "1.2k", "fifty", "€1.200,50", "20 dollars"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.nlu.entities.numbers import WORD_NUMBER, words_to_int
from bot.nlu.entities.spans import Found

# Built-in currency words; synonyms in the training data whose value is an ISO code add more.
BASE_CURRENCIES = {
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP", "sterling": "GBP",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
}  # fmt: skip
_PENCE = r"p|pence|penny"
_MULTIPLIERS = {"k": 1000, "grand": 1000, "m": 1_000_000, "mil": 1_000_000}
_ISO = re.compile(r"^[A-Z]{3}$")


def currency_words(synonyms: dict[str, str]) -> dict[str, str]:
    words = dict(BASE_CURRENCIES)
    words.update({k: v for k, v in synonyms.items() if _ISO.match(v)})
    return words


def _alternatives(words: dict[str, str] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class MoneyFinder:
    """Finds amounts (value "50.00") with the currency they were written in, if any."""

    def __init__(self, currencies: dict[str, str]) -> None:
        self._currencies = currencies
        cur = _alternatives(currencies)
        digits = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?"
        mult = _alternatives(list(_MULTIPLIERS))
        self._digit_amount = re.compile(
            rf"(?<![\w.,])(?:(?P<pre>{cur})\s?)?(?P<num>{digits})(?![.,]?\d)"
            rf"(?:\s?(?P<mult>{mult})\b)?"
            rf"(?:\s?(?P<post>{cur}|{_PENCE})(?![a-z]))?(?!\w)",
            re.IGNORECASE,
        )
        self._word_amount = re.compile(
            rf"\b(?P<num>{WORD_NUMBER})\b(?:\s?(?P<mult>grand)\b)?(?:\s?(?P<post>{cur}|{_PENCE})(?![a-z]))?",
            re.IGNORECASE,
        )
        self._currency_only = re.compile(rf"(?<![\w])(?:{cur})(?![a-z])", re.IGNORECASE)

    def amounts(self, text: str) -> list[Found]:
        found: list[Found] = []
        for match in self._digit_amount.finditer(text):
            found.extend(self._digit_match(match))
        for match in self._word_amount.finditer(text):
            found.extend(self._word_match(match))
        return found

    def currencies(self, text: str) -> list[Found]:
        return [
            Found("currency", self._currencies[m.group(0).lower()], m.start(), m.end())
            for m in self._currency_only.finditer(text)
        ]

    def _digit_match(self, match: re.Match[str]) -> list[Found]:
        pre, post = match.group("pre"), match.group("post")
        if pre and pre.isalpha() and post and post.isalpha():
            return []  # "gbp 50 eur": contradictory, leave it to the dialogue to ask
        code = self._code(pre) or self._code(post)
        value = parse_decimal(match.group("num"), european=code == "EUR")
        if value is None:
            return []
        if match.group("mult"):
            value *= _MULTIPLIERS[match.group("mult").lower()]
        elif post and post.lower() in {"p", "pence", "penny"}:
            value, code = value / 100, "GBP"
        return self._emit(match, value, code, "pre" if pre else "post")

    def _word_match(self, match: re.Match[str]) -> list[Found]:
        words = match.group("num")
        post = match.group("post")
        value = Decimal(words_to_int(words))
        if value <= 1 and not post:
            return []  # "one of them", "a payment": not an amount without a currency
        if match.group("mult"):
            value *= 1000
        code = self._code(post)
        if post and post.lower() in {"p", "pence", "penny"}:
            value, code = value / 100, "GBP"
        return self._emit(match, value, code, "post")

    @staticmethod
    def _emit(match: re.Match[str], value: Decimal, code: str | None, group: str) -> list[Found]:
        """The amount spans the number (and "k"); the currency word or symbol is its own span."""
        end = match.end("mult") if match.group("mult") else match.end("num")
        amount = Found("amount", format_amount(value), match.start("num"), end)
        if code is None or not match.group(group):
            return [amount]
        return [amount, Found("currency", code, match.start(group), match.end(group))]

    def _code(self, word: str | None) -> str | None:
        return self._currencies.get(word.lower()) if word else None


def parse_decimal(raw: str, european: bool = False) -> Decimal | None:
    """Read "1,200.50", "1.200,50", "12,5" or "1200" with the separator the writer meant.

    The last separator is decimal when digits other than exactly three follow it, or when
    both kinds appear; a lone "." followed by three digits is a thousands mark only in euros.
    """
    has_dot, has_comma = "." in raw, "," in raw
    if has_dot and has_comma:
        decimal_sep = "." if raw.rfind(".") > raw.rfind(",") else ","
    elif has_comma or has_dot:
        sep = "," if has_comma else "."
        groups = raw.split(sep)
        thousands = len(groups) > 2 or (len(groups[-1]) == 3 and (sep == "," or european))
        decimal_sep = None if thousands else sep
    else:
        decimal_sep = None
    thousands_sep = {".": ",", ",": "."}.get(decimal_sep or "", "")
    cleaned = (
        raw.replace(thousands_sep, "") if thousands_sep else raw.replace(",", "").replace(".", "")
    )
    if decimal_sep:
        cleaned = cleaned.replace(decimal_sep, ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def format_amount(value: Decimal) -> str:
    """ "50.00" for up to 2 decimals; more are kept so the amount validator can refuse them."""
    if value == value.quantize(Decimal("0.01")):
        return str(value.quantize(Decimal("0.01")))
    return str(value.normalize())
