"""Held-out phrasings of the branch and cash machine finder (never in nlu_data/): they must
reach find_place, with where, which kind and the filters read from them; and the FAQ about
using cash machines (atm_support) keeps its own questions."""

from __future__ import annotations

from bot.nlu.model import NluModel
from tests.nlu.conftest import TODAY

HELD_OUT = [
    "where's the closest cash machine to me",
    "is there an atm nearby",
    "find the nearest cashpoint",
    "i need to find a cash machine",
    "where can i find an ATM in Leeds",
    "cash machine near Manchester please",
    "any atms in york",
    "where is the nearest branch",
    "find my nearest branch please",
    "is there a branch near M1",
    "do you have any branches in Bristol",
    "where's your nearest branch to Cardiff",
    "find a branch that's open now",
    "nearest cash machine that accepts deposits",
    "atm with wheelchair access near me",
    "show me cash points near LS1 6HD",
    "wheres the nearst cashpoint",
    "closest hole in the wall pls",
    "looking for a branch in glasgow",
    "branch nearby that is open",
]
FAQ = [
    "are there fees for withdrawing at a cash machine",
    "will my card work at any ATM",
    "what ATMs accept my card",
    "do you charge for using an atm",
]


def test_finder_phrasings_reach_find_place(model: NluModel) -> None:
    wrong = [
        (text, got)
        for text in HELD_OUT
        if (got := model.parse(text, TODAY).intent.name) != "find_place"
    ]
    assert len(wrong) <= len(HELD_OUT) // 10, wrong  # at least 90% right


def test_the_atm_faq_keeps_its_questions(model: NluModel) -> None:
    wrong = [(t, got) for t in FAQ if (got := model.parse(t, TODAY).intent.name) != "atm_support"]
    assert len(wrong) <= 1, wrong


def test_where_which_kind_and_filters_are_read(model: NluModel) -> None:
    def entities(text: str) -> dict[str, str]:
        return {e.entity: e.value for e in model.parse(text, TODAY).entities}

    found = entities("ATM near Leeds")  # "ATM" is a card control too, beside the place words
    assert (found["place_kind"], found["place_near"]) == ("atm", "Leeds")
    found = entities("is there a branch in M1 1AE that's open now")
    assert found["place_kind"] == "branch"
    assert (found["place_near"], found["place_open_now"]) == ("M1 1AE", "yes")
    found = entities("wheelchair accessible cash machine near me that takes deposits")
    assert "place_near" not in found
    assert (found["place_accessible"], found["place_deposits"]) == ("yes", "yes")
    assert "place_near" not in entities("how much money is in my account")
    assert "place_kind" not in entities("send £20 to Bob")
