"""A payment the message says repeats, or says is for a later day, is not one sent now.

The classifier reads "pay Alice £20 every week" and "pay Bob £40 on Friday" as sending money
(the words are the same); the entities say what it cannot: a frequency makes it a standing
order, a day after today (read forward) a scheduled payment. Sending money now is never
started from a message that names another time (the transfer's confirm says no date).
"""

from __future__ import annotations

from datetime import date

from bot.nlu.types import FALLBACK_INTENT, Entity, IntentScore

PAY_NOW = frozenset({"transfer_money", "schedule_payment"})
REPEATING = "set_up_standing_order"
LATER = "schedule_payment"
ANSWER = "inform"


def when_it_goes(
    intent: IntentScore,
    entities: tuple[Entity, ...],
    today: date,
    ranking: tuple[IntentScore, ...] = (),
) -> IntentScore:
    """The job the entities say when the classifier picked paying someone; else `intent`.
    A message too mixed to pass the fallback threshold ("pay Bob £40 every week from next
    Friday with no end date") whose likeliest reading is paying someone, and which says how
    often, is a standing order too: how often is not something a transfer has; so is one
    read as an answer that names both someone and how often."""
    repeats = any(e.entity == "frequency" for e in entities)
    if intent.name == ANSWER and repeats and any(e.entity == "payee" for e in entities):
        return IntentScore(REPEATING, intent.confidence)  # who and how often: not an answer
    if intent.name == FALLBACK_INTENT and ranking and repeats:
        top = ranking[0]
        if top.name in PAY_NOW or top.name == REPEATING:
            return IntentScore(REPEATING, top.confidence)
    if intent.name not in PAY_NOW:
        return intent
    if repeats:
        return IntentScore(REPEATING, intent.confidence)
    if intent.name == "transfer_money" and any(
        e.entity == "date_ahead" and str(e.value) > today.isoformat() for e in entities
    ):
        return IntentScore(LATER, intent.confidence)
    return intent
