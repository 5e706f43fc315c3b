"""Held-out phrasings of the profile jobs (never in nlu_data/): they must reach their intent,
and their neighbours keep theirs."""

from __future__ import annotations

from bot.nlu.model import NluModel
from tests.nlu.phrasings import assert_mostly_reach_their_jobs, assert_neighbours_keep_theirs

HELD_OUT = {
    "edit_personal_details": [
        "I'd like to update the email address on my account",
        "can you change my mobile to 07911 654321",
        "we've just moved, please update our address",
        "my phone number is different now",
        "new email: sam.jones@yahoo.co.uk",
        "I need to give you my new postcode",
        "could you amend my contact details",
        "change the phone number on file",
    ],
    "balance_letter": [
        "could you provide a letter confirming how much is in my savings",
        "I need written confirmation of my balance for a visa",
        "my letting agent wants proof of funds from the bank",
        "can I get an official balance confirmation",
        "letter from the bank showing my current balance please",
        "I need a bank letter stating my balance",
    ],
    "marketing_preferences": [
        "please stop sending me promotional emails",
        "I don't want marketing letters any more",
        "opt me out of texts about offers",
        "can I sign up to hear about your offers by email",
        "how do I unsubscribe from your marketing",
        "no more sales calls or texts please",
        "change how you send me offers",
    ],
}
NEIGHBOURS = {
    "check_balance": ["what's my balance", "how much money do I have"],
    "account_statement": ["send me my statement for October"],
    "freeze_card": ["freeze my card"],
}


def test_profile_phrasings_reach_their_jobs(model: NluModel) -> None:
    assert_mostly_reach_their_jobs(model, HELD_OUT)


def test_neighbouring_intents_keep_their_phrasings(model: NluModel) -> None:
    assert_neighbours_keep_theirs(model, NEIGHBOURS)
