"""The standing-order actions against a real sandbox bank: how an order reads back, its end
in every form, what a change costs (a code only when more money leaves), and what's coming
up "this month" running to the month's last day."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest

from actions import schedules, standing_orders
from actions.bank_client import BankClient
from actions.formatting import day
from tests.actions.conftest import _domain, context

TODAY = datetime.now(UTC).date()


def _next(weekday: int) -> date:
    return TODAY + timedelta((weekday - TODAY.weekday() - 1) % 7 + 1)


async def test_an_order_reads_back_with_its_day_and_its_last_payment(bank: BankClient) -> None:
    friday = _next(4)
    ctx = context(bank, frequency="1w", first_date=friday.isoformat(), order_end="count")
    result = await standing_orders.validate_order_payments(
        context(bank, **{**ctx.slots, "payments": "3"})
    )
    assert result.ok, result
    assert result.slots["frequency_text"] == "every Friday"
    assert result.slots["frequency_code"] == "IntrvlWkDay:01:05"
    last = friday + timedelta(weeks=2)
    assert result.slots["end_text"] == f"3 payments, the last on {day(last)}"
    assert result.slots["end_code"] == "count:3"


@pytest.mark.parametrize(
    ("frequency", "text", "code"),
    [
        ("1m", "on the 31st of every month", "IntrvlMnthDay:01:31"),
        ("3m", "every three months on the 31st", "IntrvlMnthDay:03:31"),
        ("12m", "every year on 31 January", "IntrvlMnthDay:12:31"),
        ("2w", "every two weeks on Sunday", "IntrvlWkDay:02:07"),
    ],
)
async def test_how_often_reads_in_words_and_as_the_bank_s_code(
    bank: BankClient, frequency: str, text: str, code: str
) -> None:
    first = date(2027, 1, 31)  # a Sunday
    ctx = context(bank, frequency=frequency, first_date=first.isoformat())
    result = await standing_orders.validate_order_frequency(ctx)
    assert (result.slots["frequency_text"], result.slots["frequency_code"]) == (text, code)


@pytest.mark.parametrize(
    ("said", "error"),
    [
        ("1d", "frequency_unsupported"),
        ("10w", "frequency_unsupported"),
        ("whenever", "frequency_unreadable"),
    ],
)
async def test_frequencies_the_bank_has_no_code_for_are_refused(
    bank: BankClient, said: str, error: str
) -> None:
    result = await standing_orders.validate_order_frequency(context(bank, frequency=said))
    assert (result.ok, result.error) == (False, error)
    assert [title for title, _ in result.replies[0].buttons] == [
        "Every week",
        "Every two weeks",
        "Every month",
        "Every year",
    ]


async def test_an_end_in_every_form(bank: BankClient) -> None:
    first = _next(0)
    base = {"frequency": "1m", "first_date": first.isoformat()}

    async def end(said: str):
        return await standing_orders.validate_order_end(context(bank, **base, order_end=said))

    six = await end("for:6:m")  # six monthly payments from the first
    assert six.slots["order_end"] == "until" and "(6 payments, the last on" in six.slots["end_text"]
    assert (await end("none")).slots["end_text"] == "with no end date"
    assert (await end("count:12")).slots["end_code"] == "count:12"
    assert (await end("12")).slots["end_code"] == "count:12"
    assert (await end("twelve payments")).slots["end_code"] == "count:12"
    assert (await end("count")).slots["order_end"] == "count"  # the number is asked next
    before = await end((first - timedelta(days=1)).isoformat())
    assert (before.ok, before.error) == (False, "end_before_first")
    too_many = await end("count:1000")
    assert (too_many.ok, too_many.error) == (False, "count_invalid")
    unreadable = await end("whenever you like")
    assert (unreadable.ok, unreadable.error) == (False, "end_unreadable")


async def test_only_a_higher_amount_needs_a_code(bank: BankClient) -> None:
    picked = {
        "schedule_kind": "standing_order",
        "schedule_id": "so-001-1",
        "current_amount": "1350.00",
        "current_date": (TODAY + timedelta(days=20)).isoformat(),
    }
    up = await standing_orders.validate_change(context(bank, **picked, amount="1400"))
    assert up.slots["needs_code"] == "yes" and up.slots["amend_amount"] == "1400.00"
    assert up.slots["change_text"] == "from £1,350.00 to £1,400.00"
    down = await standing_orders.validate_change(context(bank, **picked, amount="1000"))
    assert down.ok and down.slots["needs_code"] is None
    moved = await standing_orders.validate_change(
        context(bank, **picked, new_date=(TODAY + timedelta(days=3)).isoformat())
    )
    assert moved.ok and moved.slots["needs_code"] is None and moved.slots["amend_amount"] == "-"
    same = await standing_orders.validate_change(context(bank, **picked, amount="1350"))
    assert (same.ok, same.error) == (False, "same_amount")
    past = await standing_orders.validate_change(
        context(bank, **picked, new_date=TODAY.isoformat())
    )
    assert (past.ok, past.error) == (False, "date_not_after_today")
    over = await standing_orders.validate_change(context(bank, **picked, amount="2500"))
    assert (over.ok, over.error) == (False, "daily_limit_exceeded")


async def test_coming_up_this_month_runs_to_the_month_s_last_day(bank: BankClient) -> None:
    last = TODAY.replace(day=calendar.monthrange(TODAY.year, TODAY.month)[1])
    span = {"start": TODAY.isoformat(), "end": last.isoformat()}
    result = await schedules.upcoming_payments(context(bank, period_ahead=span))
    assert result.ok
    assert f"until {day(last)}" in _said(result)


async def test_coming_up_next_month_starts_on_its_first(bank: BankClient) -> None:
    first = (TODAY.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    span = {"start": first.isoformat(), "end": last.isoformat()}
    result = await schedules.upcoming_payments(context(bank, period_ahead=span))
    text = _said(result)
    assert f"from {day(first)} to {day(last)}" in text
    assert "£1,350.00" in text  # the rent goes on the 1st


def _said(result) -> str:
    return "\n".join(_domain().text(r.key, r.vars) for r in result.replies)
