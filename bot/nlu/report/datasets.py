"""The vendored data sets (datasets/): BANKING77 as Teller examples, CLINC150's JSON files.

BANKING77 (PolyAI, CC-BY-4.0): the category names are mostly snake_case already; two
are not ("Refund_not_showing_up", "reverted_card_payment?"). `intent_name` is the one
mapping used everywhere, so the imported training file, the benchmark and the domain
agree on names: lower-case, anything outside [a-z0-9_] dropped. CLINC150 (Larson et
al., CC-BY-3.0) is read as published. Each folder's README.md gives the rules of use.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from bot.config import PROJECT_ROOT
from bot.nlu.training_data import Example

DATASETS = PROJECT_ROOT / "datasets"
_NOT_NAME = re.compile(r"[^a-z0-9_]+")


def intent_name(category: str) -> str:
    """'Refund_not_showing_up' -> 'refund_not_showing_up'; 'reverted_card_payment?' -> ..."""
    name = _NOT_NAME.sub("", category.strip().lower())
    if not name:
        raise ValueError(f"BANKING77 category {category!r} has no usable name")
    return name


def clean_text(text: str) -> str:
    """One line, no square brackets (they would read as entity annotations)."""
    text = " ".join(text.split())
    return text.replace("[", "(").replace("]", ")")


def read_csv(path: str | Path) -> list[Example]:
    """Examples from a BANKING77 `text,category` CSV, intents under their Teller names."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or set(rows[0]) != {"text", "category"}:
        raise ValueError(f"{path}: expected a BANKING77 CSV with columns text,category")
    return [
        Example(intent_name(row["category"]), clean_text(row["text"]), (), f"{path}:{i + 2}")
        for i, row in enumerate(rows)
        if row["text"].strip()
    ]


def read_clinc150(name: str = "data_full.json") -> Any:
    """A CLINC150 file as published: `data_full.json` (split -> [text, intent] lists) or
    `domains.json` (domain -> intents)."""
    return json.loads((DATASETS / "clinc150" / name).read_text(encoding="utf-8"))


# CLINC150 banking and credit-card intents whose every query asks for one of Teller's jobs
# or answers. Their `train` split is training data (nlu_data/clinc150_banking.yml), `val`
# is for tuning, `test` is evaluation only (bench/nlu.py --clinc). Left out because they
# mean more than one of ours, or none: freeze_account (a whole account), report_fraud,
# damaged_card, new_card (mostly applying for a credit card), bill_due, bill_balance and
# min_payment (other companies' bills), expiration_date, international_fees, routing,
# interest_rate, order_checks, account_blocked and the credit-score and rewards ones.
CLINC_BANKING = {
    "balance": "check_balance",
    "transfer": "transfer_money",
    "transactions": "transaction_history",
    "spending_history": "spending_summary",
    "pin_change": "change_pin",
    "report_lost_card": "lost_or_stolen_card",
    "card_declined": "declined_card_payment",
    "replacement_card_duration": "card_delivery_estimate",
    "pay_bill": "pay_bill",
}
# CLINC150's `transfer` is both of Teller's transfer jobs. It is money between the
# customer's own accounts when the money goes *to* one of them (savings, checking, "the other
# account"), or "between" accounts; "from my savings to Bob" is a payment to someone else.
_OWN_ACCOUNT = r"(?:savings?|checking|current account|money market|mortgage|mortage)\b"
_OWN_ACCOUNTS = re.compile(
    rf"\bbetween\b.*\b(?:ac+ounts?\b|{_OWN_ACCOUNT})"
    r"|\b(?:one|this|an?) account to (?:another|the other|that|my other|my second|an?other)"
    r"|\b(?:other|second) account\b|\baccount [ab]\b"
    rf"|\b(?:to|into|in)\s+(?:my\s+|the\s+|our\s+)?(?:(?!from\b)[\w-]+\s+){{0,4}}?{_OWN_ACCOUNT}",
    re.IGNORECASE,
)


def clinc_intent(intent: str, text: str) -> str | None:
    """The Teller intent a CLINC150 query of `intent` means, or None when it is not mapped."""
    teller = CLINC_BANKING.get(intent)
    if teller == "transfer_money" and _OWN_ACCOUNTS.search(text):
        return "transfer_between_accounts"
    return teller
