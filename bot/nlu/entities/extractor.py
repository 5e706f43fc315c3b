"""Entity extraction: every finder proposes spans, the longest non-overlapping ones win.

Longest-first is what keeps "account ending 4821" from also being an amount of 4821,
"3 March" from being an amount of 3 and "last 30 days" from being a count of 30.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.nlu.entities.accounts import AccountFinder, directions
from bot.nlu.entities.ahead import (
    find_dates_ahead,
    find_frequencies,
    find_periods_ahead,
    find_plan_ends,
)
from bot.nlu.entities.alert_kinds import find_alert_kinds
from bot.nlu.entities.card_terms import find_card_terms
from bot.nlu.entities.cards import find_cards
from bot.nlu.entities.dates import find_dates, find_ranges, join_ranges
from bot.nlu.entities.deposit_terms import find_deposit_terms
from bot.nlu.entities.money import MoneyFinder, currency_words
from bot.nlu.entities.names import NameFinder
from bot.nlu.entities.numbers import COUNT, MAX_COUNT, words_to_int
from bot.nlu.entities.phrases import PhraseFinder
from bot.nlu.entities.places import find_place_terms
from bot.nlu.entities.profile_terms import find_profile_terms
from bot.nlu.entities.spans import Found
from bot.nlu.entities.uk_accounts import find_uk_accounts
from bot.nlu.text import tokenize
from bot.nlu.training_data import TrainingData
from bot.nlu.types import Entity

OUT_OF_SCOPE = "out_of_scope"
# Ties between equally long spans go to the earlier entity type in this list.
_PRIORITY = (
    "card", "sort_code", "account_number", "account", "linked_chat", "plan_end", "frequency",
    "date_range", "date", "deposit_term", "number", "amount", "merchant", "category",
    "bill_category", "payee", "card_control", "card_switch", "replace_reason", "file_format",
    "chart_by",
    "contact_value", "contact_channel", "marketing_switch",
)  # fmt: skip
_ITEMS = (
    r"(?:transactions?|payments?|purchases?|transfers?|entries|items|ones|debits|credits|spends?)"
)
# The chat apps a customer links to their account: which one they mean ("unlink my telegram").
_CHAT_APP = re.compile(r"\b(?:(?P<whatsapp>whats\s?app)|(?P<telegram>telegram))\b", re.IGNORECASE)
# A statement's format ("as a spreadsheet") and a chart's grouping ("by week").
_FILE_FORMAT = re.compile(
    r"\b(?:(?P<csv>csv|spreadsheets?|excel|xlsx?)|(?P<pdf>pdf))\b", re.IGNORECASE
)
_CHART_BY = re.compile(
    r"\b(?:(?:by|per|each|every)\s+(?P<week>weeks?)|(?P<weekly>week\s+by\s+week|weekly(?=\s+"
    r"(?:chart|graph|spending|breakdown|bar)))|(?:by|per)\s+(?P<category>categor(?:y|ies)))\b",
    re.IGNORECASE,
)
_COUNT_RE = re.compile(
    rf"\b(?:last|latest|recent|past|previous|top|first)\s+(?P<a>{COUNT})\b"
    rf"|\b(?P<b>{COUNT})\s+(?:(?:most\s+)?(?:recent|latest|last)\s+)?{_ITEMS}\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """What the extractor learns from training data; JSON-able for the saved model."""

    synonyms: dict[str, str]
    merchants: dict[str, str]  # lower-cased phrase -> canonical merchant name
    categories: dict[str, str]  # lower-cased phrase -> spending category ("groceries")
    payee_words: list[str]  # words seen inside payee annotations
    common_words: list[str]  # words seen outside any annotation
    # lower-cased phrase -> biller category ("electricity" -> "energy"): which saved bill
    bill_categories: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_training(cls, data: TrainingData) -> Lexicon:
        merchants = {m.lower(): m for m in data.lookups.get("merchant", [])}
        categories = {c.lower(): c for c in data.lookups.get("category", [])}
        bill_categories = {c.lower(): c for c in data.lookups.get("bill_category", [])}
        payee_words: set[str] = set()
        common: set[str] = set()
        for example in data.examples:
            for span in example.entities:
                if span.entity == "merchant":
                    merchants.setdefault(span.text.lower(), span.value or span.text)
                elif span.entity == "category":
                    categories.setdefault(span.text.lower(), span.value or span.text)
                elif span.entity == "payee":
                    payee_words.update(t.lower for t in tokenize(span.text))
            if example.intent == OUT_OF_SCOPE:  # talk about anything, names and places too
                continue
            outside = list(example.text)
            for span in example.entities:
                outside[span.start : span.end] = " " * (span.end - span.start)
            common.update(t.lower for t in tokenize("".join(outside)))
        for table in (merchants, categories, bill_categories):
            canonical = set(table.values())
            table.update({k: v for k, v in data.synonyms.items() if v in canonical})
        return cls(
            data.synonyms,
            merchants,
            categories,
            sorted(payee_words),
            sorted(common),
            bill_categories,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "synonyms": self.synonyms,
            "merchants": self.merchants,
            "categories": self.categories,
            "payee_words": self.payee_words,
            "common_words": self.common_words,
            "bill_categories": self.bill_categories,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Lexicon:
        return cls(
            raw["synonyms"],
            raw["merchants"],
            raw["categories"],
            raw["payee_words"],
            raw["common_words"],
            raw.get("bill_categories", {}),  # a model saved before bills knew none
        )


class EntityExtractor:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._money = MoneyFinder(currency_words(lexicon.synonyms))
        self._accounts = AccountFinder(lexicon.synonyms)
        self._names = NameFinder(lexicon.merchants, lexicon.payee_words, lexicon.common_words)
        self._categories = PhraseFinder("category", lexicon.categories)
        self._bill_categories = PhraseFinder("bill_category", lexicon.bill_categories)

    def extract(self, text: str, today: date) -> tuple[Entity, ...]:
        candidates = [
            *find_cards(text),
            *find_card_terms(text),
            *find_profile_terms(text),
            *find_uk_accounts(text),
            *self._accounts.find(text),
            *find_ranges(text, today),
            *find_deposit_terms(text),  # "12 month" is a term, not £12
            *join_ranges(text, find_dates(text, today), today),
            *self._counts(text),
            *(frequencies := find_frequencies(text)),
            *find_plan_ends(text, today, repeating=bool(frequencies)),
            *self._money.amounts(text),
            *self._names.known_merchants(text),
            *self._categories.find(text),
            *self._bill_categories.find(text),
            *(
                Found("linked_chat", m.lastgroup, m.start(), m.end())
                for m in _CHAT_APP.finditer(text)
            ),
            *(
                Found("file_format", m.lastgroup, m.start(), m.end())
                for m in _FILE_FORMAT.finditer(text)
            ),
            *(
                Found(
                    "chart_by",
                    "category" if m.lastgroup == "category" else "week",
                    m.start(),
                    m.end(),
                )
                for m in _CHART_BY.finditer(text)
            ),
        ]
        taken = _longest_first([c for c in candidates if c.entity != "currency"])
        currencies = [c for c in candidates if c.entity == "currency"]
        taken += _attach_currencies(currencies + self._money.currencies(text), taken)
        ahead = _ahead(text, today, taken)
        free = [
            t
            for t in tokenize(text)
            if not any(f.overlaps(t.start, t.end) for f in (*taken, *ahead))
        ]
        merchants = self._names.unknown_merchants(text, free)
        free = [t for t in free if not any(f.overlaps(t.start, t.end) for f in merchants)]
        taken += merchants + self._names.payees(text, free)
        taken += directions(text, [f for f in taken if f.entity == "account"])
        taken += ahead
        # The branch finder's words sit beside everything else ("ATM" is also a card's
        # control): only its own flow reads them, and they take nothing from the others.
        taken += find_place_terms(text)
        taken += find_alert_kinds(text)  # beside the others: only alert flows read it
        return tuple(
            self._entity(text, f) for f in sorted(taken, key=lambda f: (f.start, f.entity))
        )

    def _entity(self, text: str, found: Found) -> Entity:
        value = found.value
        if found.entity == "payee":
            value = self.lexicon.synonyms.get(value.lower(), value)
        return Entity(found.entity, value, text[found.start : found.end], found.start, found.end)

    @staticmethod
    def _counts(text: str) -> list[Found]:
        """Counts ("last 20 transactions") as big as four digits allow; "hundred" twelve times
        is not a count anyone means, and 10**24 is more than the event store can hold."""
        found = (
            Found("number", words_to_int(m.group("a") or m.group("b")), m.start(), m.end())
            for m in _COUNT_RE.finditer(text)
        )
        return [f for f in found if f.value <= MAX_COUNT]


def _longest_first(candidates: list[Found]) -> list[Found]:
    order = sorted(candidates, key=lambda f: (f.start - f.end, _PRIORITY.index(f.entity), f.start))
    kept: list[Found] = []
    for found in order:
        if not any(k.overlaps(found.start, found.end) for k in kept):
            kept.append(found)
    return kept


# The forward readings sit beside the backward ones ("Friday" is a `date` and a `date_ahead`)
# and inside a frequency ("every Friday"), never inside anything else ("until 30 June" is an
# end, not a first date; "£15" is not a day).
_AHEAD_BESIDE = frozenset({"date", "date_range", "frequency"})


def _ahead(text: str, today: date, taken: list[Found]) -> list[Found]:
    """The forward readings that fit beside what is taken; a shop's name inside a longer
    one is not a shop ("Next" in "starting next week") and leaves `taken`."""
    found = [*find_dates_ahead(text, today), *find_periods_ahead(text, today)]
    for shop in [f for f in taken if f.entity == "merchant"]:
        if any(
            a.start <= shop.start and shop.end <= a.end and a.end - a.start > shop.end - shop.start
            for a in found
        ):
            taken.remove(shop)
    others = [f for f in taken if f.entity not in _AHEAD_BESIDE]
    return [f for f in found if not any(o.overlaps(f.start, f.end) for o in others)]


def _attach_currencies(currencies: list[Found], taken: list[Found]) -> list[Found]:
    """Currencies beside an amount ("£" in "£50") or alone ("in euros"); each span once."""
    kept: dict[tuple[int, int], Found] = {}
    for found in currencies:
        if not any(k.overlaps(found.start, found.end) for k in taken):
            kept.setdefault((found.start, found.end), found)
    return list(kept.values())
