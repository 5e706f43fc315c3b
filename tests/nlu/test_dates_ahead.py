"""Dates read forward, how often and until when: the finders of bot/nlu/entities/ahead.py on
a fixed today, and the rule that a repeating or later payment is not a transfer now."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.entities.ahead import (
    find_dates_ahead,
    find_frequencies,
    find_periods_ahead,
    find_plan_ends,
)
from bot.nlu.later import when_it_goes
from bot.nlu.types import Entity, IntentScore

TODAY = date(2026, 12, 3)  # a Thursday


def one(found):
    assert len(found) == 1, found
    return found[0].value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on the 5th", "2026-12-05"),
        ("on the 3rd", "2027-01-03"),  # today's 3rd has gone: the next one
        ("on the 1st", "2027-01-01"),
        ("the 1st of next month", "2027-01-01"),
        ("the 15th of next month", "2027-01-15"),
        ("the 31st", "2026-12-31"),
        ("the last day of the month", "2026-12-31"),
        ("Friday", "2026-12-04"),
        ("on friday", "2026-12-04"),
        ("next Friday", "2026-12-04"),
        ("thursday", "2026-12-10"),  # said on a Thursday: next week's
        ("every Friday starting next week", "2026-12-11"),
        ("friday next week", "2026-12-11"),
        ("starting next week", "2026-12-07"),
        ("starting next month", "2027-01-01"),
        ("on 15 January", "2027-01-15"),
        ("on 1 December", "2027-12-01"),  # without a year: the next one, not the past one
        ("January 15th", "2027-01-15"),
        ("15 January 2027", "2027-01-15"),
        ("2026-11-01", "2026-11-01"),  # a year said is kept, even in the past
        ("29 feb", "2028-02-29"),
        ("tomorrow", "2026-12-04"),
        ("the day after tomorrow", "2026-12-05"),
        ("today", "2026-12-03"),
        ("in 2 weeks", "2026-12-17"),
        ("in three days", "2026-12-06"),
        ("a week today", "2026-12-10"),
        ("in a month", "2027-01-03"),
    ],
)
def test_dates_read_forward(text: str, expected: str) -> None:
    assert one(find_dates_ahead(text, TODAY)) == expected


@pytest.mark.parametrize("text", ["last Tuesday", "since 2 November", "may I pay", "the first"])
def test_what_looks_back_or_is_no_date_is_not_read_forward(text: str) -> None:
    assert find_dates_ahead(text, TODAY) == []


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("what's coming up this month", "2026-12-03", "2026-12-31"),  # to its last day
        ("this week", "2026-12-03", "2026-12-06"),
        ("next week", "2026-12-07", "2026-12-13"),
        ("next month", "2027-01-01", "2027-01-31"),
        ("the next 2 weeks", "2026-12-03", "2026-12-17"),
        ("in january", "2027-01-01", "2027-01-31"),
        ("in december", "2026-12-03", "2026-12-31"),
        ("until friday", "2026-12-03", "2026-12-04"),
        ("before the 15th", "2026-12-03", "2026-12-15"),
    ],
)
def test_periods_read_forward(text: str, start: str, end: str) -> None:
    assert one(find_periods_ahead(text, TODAY)) == {"start": start, "end": end}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£50 a month", "1m"),
        ("monthly", "1m"),
        ("on the 1st of every month", "1m"),
        ("every friday", "1w"),
        ("£20 a week", "1w"),
        ("weekly", "1w"),
        ("fortnightly", "2w"),
        ("every other week", "2w"),
        ("every 4 weeks", "4w"),
        ("quarterly", "3m"),
        ("every other month", "2m"),
        ("yearly", "12m"),
        ("annually", "12m"),
        ("every day", "1d"),
    ],
)
def test_frequencies(text: str, expected: str) -> None:
    assert one(find_frequencies(text)) == expected


def test_in_a_week_is_a_day_not_a_frequency() -> None:
    assert find_frequencies("pay him in a week") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("until 30 June", "until:2027-06-30"),
        ("until june", "until:2027-06-30"),
        ("ending 1st March 2027", "until:2027-03-01"),
        ("until the end of next year", "until:2027-12-31"),
        ("for 6 months", "for:6:m"),
        ("for a year", "for:1:y"),
        ("for ten weeks", "for:10:w"),
        ("after 12 payments", "count:12"),
        ("10 times", "count:10"),
        ("no end date", "none"),
        ("until I cancel it", "none"),
        ("until further notice", "none"),
    ],
)
def test_plan_ends(text: str, expected: str) -> None:
    assert one(find_plan_ends(text, TODAY)) == expected


def test_n_payments_is_an_end_only_beside_how_often() -> None:
    assert find_plan_ends("show my last 12 payments", TODAY) == []
    assert one(find_plan_ends("every week, 5 payments", TODAY, repeating=True)) == "count:5"
    assert one(find_plan_ends("change it to 3 payments", TODAY)) == "count:3"


def _e(entity: str, value: str) -> Entity:
    return Entity(entity, value, value, 0, len(value))


@pytest.mark.parametrize(
    ("intent", "entities", "expected"),
    [
        ("transfer_money", [_e("frequency", "1w")], "set_up_standing_order"),
        ("schedule_payment", [_e("frequency", "1m")], "set_up_standing_order"),
        ("transfer_money", [_e("date_ahead", "2026-12-04")], "schedule_payment"),
        ("transfer_money", [_e("date_ahead", "2026-12-03")], "transfer_money"),  # today: now
        ("transfer_money", [], "transfer_money"),
        ("spending_summary", [_e("frequency", "1m")], "spending_summary"),
        ("inform", [_e("payee", "Bob"), _e("frequency", "1w")], "set_up_standing_order"),
        ("inform", [_e("frequency", "1w")], "inform"),  # "every week", answering how often
    ],
)
def test_a_repeating_or_later_payment_is_not_a_transfer_now(intent, entities, expected) -> None:
    got = when_it_goes(IntentScore(intent, 0.8), tuple(entities), TODAY)
    assert got == IntentScore(expected, 0.8)


def test_a_mixed_message_that_repeats_is_a_standing_order_not_a_fallback() -> None:
    ranking = (IntentScore("schedule_payment", 0.34), IntentScore("transaction_history", 0.2))
    fallback = IntentScore("nlu_fallback", 0.34)
    repeats = (_e("frequency", "1w"),)
    assert when_it_goes(fallback, repeats, TODAY, ranking).name == "set_up_standing_order"
    assert when_it_goes(fallback, (), TODAY, ranking) == fallback
    other = (IntentScore("check_balance", 0.3),)
    assert when_it_goes(fallback, repeats, TODAY, other) == fallback


def test_a_mixed_message_naming_someone_and_a_later_day_is_a_scheduled_payment() -> None:
    ranking = (IntentScore("transfer_money", 0.3), IntentScore("set_up_standing_order", 0.25))
    fallback = IntentScore("nlu_fallback", 0.3)
    later = (_e("payee", "Bob"), _e("date_ahead", "2026-12-04"))
    assert when_it_goes(fallback, later, TODAY, ranking).name == "schedule_payment"
    # Someone named but no day: too unsure to start moving money.
    assert when_it_goes(fallback, later[:1], TODAY, ranking) == fallback
