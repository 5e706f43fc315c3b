"""The profile words and values the rules find (bot/nlu/entities/profile_terms.py), and what
they leave to the other finders: no model needed."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.entities.extractor import EntityExtractor, Lexicon

TODAY = date(2026, 11, 18)
EXTRACTOR = EntityExtractor(Lexicon({}, {}, {}, [], [], {}))


def found(text: str) -> dict[str, str]:
    return {e.entity: e.value for e in EXTRACTOR.extract(text, TODAY)}


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("change my email to jane.doe@gmail.com.",
         {"contact_channel": "email", "contact_value": "jane.doe@gmail.com"}),
        ("my new number is 07911 123456",
         {"contact_channel": "phone", "contact_value": "07911 123456"}),
        ("+44 7911 123456", {"contact_value": "+44 7911 123456"}),
        ("update my address to 5 Park Lane, London W1K 1AA",
         {"contact_channel": "address", "contact_value": "5 Park Lane, London W1K 1AA"}),
        ("22 Station Road, Bristol bs14dj", {"contact_value": "22 Station Road, Bristol bs14dj"}),
        ("my new email is bob@", {"contact_channel": "email", "contact_value": "bob@"}),
        ("unsubscribe me from texts", {"marketing_switch": "off", "contact_channel": "sms"}),
        ("I'm happy to get offers by post", {"marketing_switch": "on", "contact_channel": "post"}),
        ("stop sending me marketing emails", {"card_switch": "off", "contact_channel": "email"}),
        ("I need to change my surname", {"contact_channel": "name"}),
    ],
)  # fmt: skip
def test_profile_terms(text: str, entities: dict[str, str]) -> None:
    assert found(text) == entities


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("add payee 20-00-00 12345678", {"sort_code": "200000", "account_number": "12345678"}),
        ("send £20 to Bob ref SW1A 1AA", {"currency": "GBP", "amount": "20.00"}),
        ("what's my account number", {}),
    ],
)
def test_other_details_are_left_to_their_finders(text: str, entities: dict[str, str]) -> None:
    got = found(text)
    assert "contact_value" not in got and "contact_channel" not in got
    assert entities.items() <= got.items()
