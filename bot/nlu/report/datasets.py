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
