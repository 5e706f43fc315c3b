"""Held-out phrasings of the card-management jobs (never in nlu_data/): they must reach their
intent, and not take a BANKING77 FAQ's place. Measured with all of nlu_data/ in training:
see the README's cards section for the figure."""

from __future__ import annotations

from bot.nlu.model import NluModel
from tests.nlu.phrasings import assert_mostly_reach_their_jobs, assert_neighbours_keep_theirs

HELD_OUT = {
    "replace_card": [
        "can you send me a replacement for my broken card",
        "my card has snapped in half",
        "I need another card, the chip on this one is damaged",
        "could I order a new debit card please",
        "replacement debit card",
        "my card is falling apart can I get a new one",
        "pls send new card",
        "my card runs out at the end of the month, can I have the new one now",
    ],
    "card_controls": [
        "what's the most cash I can get out per day",
        "show me what my card's limits are",
        "what's the contactless limit on my credit card",
        "card limits please",
        "are gambling payments blocked on my card",
        "what limits are set on my debit card",
    ],
    "change_card_limit": [
        "I want to raise my daily cash limit",
        "can you bump my ATM withdrawal limit to 750",
        "reduce my card's online limit to £300",
        "please make my contactless limit lower",
        "increase the ATM limit on my debit card",
        "set my cash limit to 200 a day",
    ],
    "card_payment_switch": [
        "please disable contactless on my card",
        "I don't want my card used for gambling",
        "can you turn on overseas transactions",
        "switch on internet payments for my card",
        "stop contactless payments",
        "block betting transactions",
        "allow my card to be used online",
    ],
    "pin_blocked": [
        "i've locked my pin",
        "my PIN doesn't work any more after 3 wrong goes",
        "how do I unblock my pin",
    ],
}
# Close neighbours that must stay where they are.
NEIGHBOURS = {
    "freeze_card": ["freeze my card", "lock my card for now"],
    "card_arrival": ["my new card still hasn't arrived"],
    "change_pin": ["how do I change my PIN"],
    "payment_limit": ["how much can i still send today"],
}


def test_card_management_phrasings_reach_their_jobs(model: NluModel) -> None:
    assert_mostly_reach_their_jobs(model, HELD_OUT)


def test_neighbouring_intents_keep_their_phrasings(model: NluModel) -> None:
    assert_neighbours_keep_theirs(model, NEIGHBOURS)
