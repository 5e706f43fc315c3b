"""Finding what the customer meant among their own payees and accounts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from bot.bank import Account, Payee

MATCH_THRESHOLD = 80  # below this a name is not a match ("al" is nobody)
TIE_MARGIN = 5  # candidates this close to the best are equally likely: ask, never guess
_ENDING = re.compile(r"(?:ending|ends in|ending in)?[: ]*(\d{4})")


def _score(query: str, name: str) -> float:
    """Whole-name similarity, or for a one-word query the best first/last name similarity."""
    score = fuzz.token_sort_ratio(query, name)
    if " " not in query:
        score = max(score, *(fuzz.ratio(query, part) for part in name.split()))
    return score


def match_payees(payees: Sequence[Payee], query: str) -> list[Payee]:
    """[] no match; one payee: a match; several: ambiguous (best first)."""
    wanted = default_process(query)
    if not wanted:
        return []
    exact = [p for p in payees if default_process(p.name) == wanted]
    if exact:
        return exact
    scored = sorted(
        ((_score(wanted, default_process(p.name)), p) for p in payees),
        key=lambda pair: pair[0],
        reverse=True,
    )
    if not scored or scored[0][0] < MATCH_THRESHOLD:
        return []
    best = scored[0][0]
    return [payee for score, payee in scored if score >= best - TIE_MARGIN]


def _kind(reference: str) -> str | None:
    text = reference.replace("_", " ")
    if "credit" in text or text in ("card", "my card"):
        return "credit_card"
    if "saving" in text or re.search(r"\b(?:isa|saver|pot)\b", text):
        return "savings"
    if "current" in text or "checking" in text or "main" in text:
        return "current"
    return None


def find_account(accounts: Sequence[Account], reference: str) -> Account | None:
    """Accepts the NLU's values ("current", "savings", "credit_card", "ending:4821"),
    a bare last-4, an account id, or loose text such as "my savings account"."""
    text = reference.strip().lower()
    ending = _ENDING.fullmatch(text)
    for account in accounts:
        if account.id.lower() == text or (ending and account.last4 == ending.group(1)):
            return account
    kind = _kind(text)
    return next((a for a in accounts if a.kind == kind), None)
