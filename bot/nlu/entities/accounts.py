"""Account references: "savings", "main account" (via synonyms), "account ending 4821"."""

from __future__ import annotations

import re

from bot.nlu.entities.spans import Found

ACCOUNT_VALUES = ("current", "savings", "credit_card")
BASE_ACCOUNTS = {
    "current account": "current", "current acc": "current", "current": "current",
    "savings account": "savings", "saving account": "savings", "savings": "savings",
    "credit card": "credit_card", "creditcard": "credit_card", "credit card account": "credit_card",
}  # fmt: skip
# "current" alone names the account except in "current balance", which asks about now.
_NOT_AFTER = {"current": r"(?!\s+(?:balance|rate|address|limit))"}
_ENDING = re.compile(
    r"(?:\b(?:(?:my|the)\s+)?(?:account|acc|a/c)\s+(?:number\s+)?)?"
    r"\b(?:ending|ends|finishing|finishes)(?:\s+(?:in|with|on))?\s+(?P<d>\d{4})\b"
    r"|(?:••|\*\*|xx|x{4}\s?)(?P<masked>\d{4})\b",
    re.IGNORECASE,
)


# "from my savings", "into the ISA": which way an own-account transfer goes.
_FROM = re.compile(r"(?:\bfrom|\bout\s+of)\s+(?:my\s+|the\s+|our\s+)?$", re.IGNORECASE)
# "put £50 in my ISA" is a way in; "how much is in my savings" is not.
_TO = re.compile(
    r"(?:\bto|\binto|\bonto|(?<!\bis\s)(?<!'s\s)(?<!\bhave\s)(?<!\bgot\s)\bin)"
    r"\s+(?:my\s+|the\s+|our\s+)?$",
    re.IGNORECASE,
)


def directions(text: str, accounts: list[Found]) -> list[Found]:
    """`from_account` / `to_account` beside each account named after "from" or "to", so a
    transfer between two of the customer's accounts knows which is which; the `account`
    entity stays as it was for every other flow."""
    found = []
    for account in accounts:
        before = text[: account.start]
        for entity, pattern in (("from_account", _FROM), ("to_account", _TO)):
            if pattern.search(before):
                found.append(Found(entity, account.value, account.start, account.end))
    return found


class AccountFinder:
    def __init__(self, synonyms: dict[str, str]) -> None:
        phrases = dict(BASE_ACCOUNTS)
        phrases.update({k: v for k, v in synonyms.items() if v in ACCOUNT_VALUES})
        self._phrases = phrases
        alternatives = "|".join(
            re.escape(p) + _NOT_AFTER.get(p, "") for p in sorted(phrases, key=len, reverse=True)
        )
        self._phrase = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def find(self, text: str) -> list[Found]:
        found = [
            Found("account", f"ending:{m.group('d') or m.group('masked')}", m.start(), m.end())
            for m in _ENDING.finditer(text)
        ]
        found.extend(
            Found("account", self._phrases[m.group(0).lower()], m.start(), m.end())
            for m in self._phrase.finditer(text)
        )
        return found
