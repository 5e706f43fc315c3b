"""What the customer writes -> the normalised entity values the dialogue and actions use."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import PROJECT_ROOT
from bot.nlu.model import NluModel
from bot.nlu.report.evaluate import evaluate
from bot.nlu.training_data import load_training_data
from tests.nlu.conftest import TODAY  # Wednesday 2026-11-18

FORWARD = ("date_ahead", "period_ahead")


def values(model: NluModel, text: str) -> dict[str, Any]:
    return {e.entity: e.value for e in model.parse(text, TODAY).entities}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("send 50 to alice", {"amount": "50.00", "payee": "alice"}),
        ("send £50.25 to Alice", {"amount": "50.25", "currency": "GBP", "payee": "Alice"}),
        ("50 quid", {"amount": "50.00", "currency": "GBP"}),
        ("1.2k", {"amount": "1200.00"}),
        ("fifty", {"amount": "50.00"}),
        ("two hundred and fifty pounds", {"amount": "250.00", "currency": "GBP"}),
        ("a tenner", {"amount": "10.00"}),
        ("€1.200,50", {"amount": "1200.50", "currency": "EUR"}),
        ("£1,200.50", {"amount": "1200.50", "currency": "GBP"}),
        ("20 dollars", {"amount": "20.00", "currency": "USD"}),
        ("$15", {"amount": "15.00", "currency": "USD"}),
        ("300 GBP", {"amount": "300.00", "currency": "GBP"}),
        ("50p", {"amount": "0.50", "currency": "GBP"}),
        ("12.345", {"amount": "12.345"}),  # kept, so the validator can refuse 3 decimals
        ("how much is that in euros", {"currency": "EUR"}),
    ],
)
def test_amounts_and_currencies(model: NluModel, text: str, expected: dict[str, Any]) -> None:
    assert values(model, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("balance of my current account", {"account": "current"}),
        ("how much is in savings", {"account": "savings"}),
        ("my credit card", {"account": "credit_card"}),
        # synonym from nlu_data; "from" also says which way money goes
        ("from my main account", {"account": "current", "from_account": "current"}),
        (
            "move £50 from savings to current",
            {
                "amount": "50.00",
                "currency": "GBP",
                "account": "current",  # the last of two
                "from_account": "savings",
                "to_account": "current",
            },
        ),
        (
            "put 100 quid in my ISA",
            {"amount": "100.00", "currency": "GBP", "account": "savings", "to_account": "savings"},
        ),
        ("pay off my credit card", {"account": "credit_card"}),
        ("balance of the account ending 4821", {"account": "ending:4821"}),
        ("what's my current balance", {}),  # "current balance" is about now, not an account
    ],
)
def test_accounts(model: NluModel, text: str, expected: dict[str, Any]) -> None:
    assert values(model, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("please freeze my debit card", {"card": "debit"}),
        ("card ending in 1234 was stolen", {"card": "ending:1234", "replace_reason": "stolen"}),
        ("my visa card ending 1934 is blocked", {"card": "ending:1934"}),
        ("my virtual card doesn't work", {"card": "virtual"}),
        ("I lost my Mastercard card", {"card": "mastercard", "replace_reason": "lost"}),
        ("how much is on my credit card", {"account": "credit_card"}),  # an account, not a card
        ("my card doesn't work", {}),  # no kind and no digits: nothing to fill a slot with
    ],
)
def test_cards(model: NluModel, text: str, expected: dict[str, Any]) -> None:
    assert values(model, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what did i spend yesterday", {"date": "2026-11-17"}),
        ("payments last Tuesday", {"date": "2026-11-17"}),
        ("payments on Friday", {"date": "2026-11-13"}),
        ("spending on 3 March", {"date": "2026-03-03"}),
        ("spending on March 3rd 2025", {"date": "2025-03-03"}),
        ("on 2026-03-01", {"date": "2026-03-01"}),
        ("on 25/12/2025", {"date": "2025-12-25"}),
        ("3 days ago", {"date": "2026-11-15"}),
        ("on 20 December", {"date": "2025-12-20"}),  # without a year: the latest one not ahead
        ("last week", {"date_range": {"start": "2026-11-09", "end": "2026-11-15"}}),
        ("this week", {"date_range": {"start": "2026-11-16", "end": "2026-11-18"}}),
        ("this month", {"date_range": {"start": "2026-11-01", "end": "2026-11-18"}}),
        ("last month", {"date_range": {"start": "2026-10-01", "end": "2026-10-31"}}),
        ("in October", {"date_range": {"start": "2026-10-01", "end": "2026-10-31"}}),
        ("in December", {"date_range": {"start": "2025-12-01", "end": "2025-12-31"}}),
        ("last 30 days", {"date_range": {"start": "2026-10-20", "end": "2026-11-18"}}),
        ("the past two weeks", {"date_range": {"start": "2026-11-05", "end": "2026-11-18"}}),
        ("last weekend", {"date_range": {"start": "2026-11-14", "end": "2026-11-15"}}),
        ("between 1 and 15 March", {"date_range": {"start": "2026-03-01", "end": "2026-03-15"}}),
        ("from 1 March to 15 March", {"date_range": {"start": "2026-03-01", "end": "2026-03-15"}}),
        ("since 2 November", {"date_range": {"start": "2026-11-02", "end": "2026-11-18"}}),
        # the whole of this month asked for: the range runs to today, not from last year
        (
            "from 1 November to 30 November",
            {"date_range": {"start": "2026-11-01", "end": "2026-11-18"}},
        ),
        (
            "from 20 October to 5 December",
            {"date_range": {"start": "2026-10-20", "end": "2026-11-18"}},
        ),
        ("may I see my spending", {}),
    ],
)
def test_dates_relative_to_today(model: NluModel, text: str, expected: dict[str, Any]) -> None:
    """The backward reading; the forward one beside it is in test_dates_ahead.py."""
    read_back = {k: v for k, v in values(model, text).items() if k not in FORWARD}
    assert read_back == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show my last 5 transactions", {"number": 5}),
        ("last five payments", {"number": 5}),
        ("10 most recent transactions", {"number": 10}),
        ("what did i spend at tesco", {"merchant": "Tesco"}),
        ("amazon.co.uk purchases", {"merchant": "Amazon"}),  # synonym -> canonical name
        ("spent at Joe's Diner", {"merchant": "Joe's Diner"}),
        ("pay Bob Martin 20 quid", {"payee": "Bob Martin", "amount": "20.00", "currency": "GBP"}),
        ("Alice Johnson", {"payee": "Alice Johnson"}),
        ("to bob", {"payee": "bob"}),
        ("transfer £75 from savings to Priya", {
            "amount": "75.00", "currency": "GBP", "account": "savings",
            "from_account": "savings", "payee": "Priya"}),
    ],
)  # fmt: skip
def test_counts_merchants_and_payees(model: NluModel, text: str, expected: dict[str, Any]) -> None:
    assert values(model, text) == expected


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("pay from the account ending 4821", "amount"),  # card digits are not money
        ("spending on 3 March", "amount"),  # nor is a day of the month
        ("show my last 5 transactions", "amount"),
        ("3 days ago", "amount"),
        ("between 1 and 15 March", "amount"),
        ("i want to talk to an agent", "payee"),
        ("i don't want to continue", "payee"),
        ("what's my balance", "payee"),
        ("one of them", "amount"),
    ],
)
def test_no_false_entities(model: NluModel, text: str, absent: str) -> None:
    assert absent not in values(model, text)


def test_entity_offsets_point_at_their_text(model: NluModel) -> None:
    text = "send £50 to Bob Martin from my savings on 3 March"
    for entity in model.parse(text, TODAY).entities:
        assert text[entity.start : entity.end] == entity.text


def test_held_out_entity_set_meets_the_targets(model: NluModel) -> None:
    """tests/nlu/data/entities.yml: 320 utterances written for evaluation, never trained on."""
    examples = load_training_data(PROJECT_ROOT / "tests/nlu/data/entities.yml").examples
    result = evaluate(model, examples, TODAY)
    assert len(examples) >= 300
    assert result.entities["amount"].f1 >= 0.95
    assert result.entities["currency"].f1 >= 0.95
    assert result.entities["card"].f1 >= 0.90
    assert result.entity_f1 is not None and result.entity_f1 >= 0.90
