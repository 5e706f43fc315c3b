"""What a parse returns; the dialogue and the REST contract read these shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True, slots=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    """An extracted entity. `value` is normalised and JSON-able:

    amount -> "50.00" (decimal string); currency -> ISO code "GBP";
    account -> "current" | "savings" | "credit_card" | "ending:4821";
    payee -> the name as written (or its synonym's canonical value);
    date -> "2026-11-17"; date_range -> {"start": "2026-11-01", "end": "2026-11-15"};
    (both read back, as questions about transactions mean them); date_ahead -> "2027-01-05"
    and period_ahead -> {"start", "end"}: the same words read forward, for money that leaves
    later ("on the 5th" is the next 5th); frequency -> "1w" | "2w" | "1m" | "12m" ... (every
    n weeks or months); plan_end -> "none" | "count:12" | "until:2027-06-30" | "for:6:m"
    (bot/nlu/entities/ahead.py);
    card -> "debit" | "virtual" | "disposable" | "physical" | "visa" | "mastercard" |
    "contactless" | "ending:1934";
    merchant -> canonical merchant name; bill_category -> "energy" | "water" | "council_tax" |
    "mobile" | "broadband" | "card_issuer" (a saved bill by what it is for);
    number -> int (e.g. "last 5 transactions");
    linked_chat -> "whatsapp" | "telegram" (from a button: the id of a linked chat).
    """

    entity: str
    value: Any
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "value": self.value, "text": self.text}


@dataclass(frozen=True, slots=True)
class Parse:
    text: str
    intent: IntentScore
    ranking: tuple[IntentScore, ...] = ()
    entities: tuple[Entity, ...] = ()

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.entity == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": {"name": self.intent.name, "confidence": round(self.intent.confidence, 4)},
            "entities": [e.to_dict() for e in self.entities],
        }
