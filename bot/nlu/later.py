"""A payment the message says repeats, or says is for a later day, is not one sent now.

The classifier reads "pay Alice £20 every week" and "pay Bob £40 on Friday" as sending money
(the words are the same); the entities say what it cannot: a frequency makes it a standing
order, a day after today (read forward) a scheduled payment. Sending money now is never
started from a message that names another time (the transfer's confirm says no date).
"""

from __future__ import annotations

from datetime import date

from bot.nlu.types import FALLBACK_INTENT, Entity, IntentScore

PAYMENTS = frozenset({"transfer_money", "schedule_payment", "set_up_standing_order"})
REPEATING = "set_up_standing_order"
LATER = "schedule_payment"
UNSURE = frozenset({FALLBACK_INTENT, "inform"})


def when_it_goes(
    intent: IntentScore,
    entities: tuple[Entity, ...],
    today: date,
    ranking: tuple[IntentScore, ...] = (),
) -> IntentScore:
    """The payment job the entities say, when the classifier picked paying someone; else
    `intent`. A message too mixed to pass the fallback threshold, or read as an answer
    ("pay Bob £40 every week from next Friday with no end date"), is a payment too when it
    names someone and its likeliest job is paying them. Then how often makes it a standing
    order, and a day after today a scheduled payment."""
    kinds = {e.entity for e in entities}
    payment = intent if intent.name in PAYMENTS else None
    # An answer ("every week", asked how often) names no one; a mixed message may not.
    wanted = {"payee"} if intent.name == "inform" else {"payee", "frequency"}
    if payment is None and intent.name in UNSURE and kinds & wanted:
        jobs = [score for score in ranking if score.name not in UNSURE]
        if jobs and jobs[0].name in PAYMENTS:
            payment = jobs[0]
        elif {"payee", "frequency"} <= kinds:  # who and how often is not an answer
            payment = IntentScore(REPEATING, intent.confidence)
    if payment is None:
        return intent
    if "frequency" in kinds:
        return IntentScore(REPEATING, payment.confidence)
    later = any(e.entity == "date_ahead" and str(e.value) > today.isoformat() for e in entities)
    if later and payment.name != REPEATING:  # "a standing order from Friday" stays one
        return IntentScore(LATER, payment.confidence)
    return intent  # nothing said about when: the classifier's own reading stands
