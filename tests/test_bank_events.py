"""The bank's event signature, its timestamp window, and quiet hours (bot/bank_events.py)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.bank_events import EventRefused, QuietHours, sign, verify

SECRET = "s" * 32
LONDON = ZoneInfo("Europe/London")
BODY = json.dumps(
    {"EventId": "evt-1", "CustomerId": "cust-001", "Kind": "salary", "CreationDateTime": "x",
     "Data": {"Amount": {"Amount": "1.00", "Currency": "GBP"}}}
).encode()  # fmt: skip


def test_a_signed_fresh_event_is_read_with_its_fields_flattened() -> None:
    event = verify(SECRET, "1000", sign(SECRET, "1000", BODY), BODY, 1010, 300)
    assert (event.event_id, event.customer_id, event.kind) == ("evt-1", "cust-001", "salary")
    assert event.data == {"Amount.Amount": "1.00", "Amount.Currency": "GBP"}


@pytest.mark.parametrize(
    ("stamp", "signature", "now", "reason"),
    [
        (None, None, 1000, "missing_signature"),
        ("1000", None, 1000, "missing_signature"),
        ("1000", sign("t" * 32, "1000", BODY), 1000, "bad_signature"),
        ("1000", sign(SECRET, "1001", BODY), 1000, "bad_signature"),  # timestamp changed
        ("1000", sign(SECRET, "1000", BODY), 1301, "stale_timestamp"),
        ("1000", sign(SECRET, "1000", BODY), 699, "stale_timestamp"),  # from the future
        ("soon", sign(SECRET, "soon", BODY), 1000, "bad_signature"),
    ],
)
def test_unsigned_forged_and_stale_events_are_refused(
    stamp: str | None, signature: str | None, now: float, reason: str
) -> None:
    with pytest.raises(EventRefused) as refused:
        verify(SECRET, stamp, signature, BODY, now, 300)
    assert refused.value.reason == reason


def test_a_signed_body_that_is_not_an_event_is_malformed() -> None:
    for body in (b"[]", b"{}", b"not json", BODY.replace(b"salary", b"lottery")):
        with pytest.raises(EventRefused) as refused:
            verify(SECRET, "1000", sign(SECRET, "1000", body), body, 1000, 300)
        assert refused.value.reason == "malformed"


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp()


def test_quiet_hours_overnight_hold_until_the_morning_in_london_time() -> None:
    quiet = QuietHours("22:00", "07:00", "Europe/London")
    assert quiet.until(_at("2026-12-03 21:59")) is None
    assert quiet.until(_at("2026-12-03 22:00")) == _at("2026-12-04 07:00")
    assert quiet.until(_at("2026-12-04 03:10")) == _at("2026-12-04 07:00")
    assert quiet.until(_at("2026-12-04 07:00")) is None
    # British Summer Time: 07:00 local is 06:00 UTC
    assert quiet.until(_at("2026-07-01 23:30")) == _at("2026-07-02 07:00")
    # The night the clocks go forward (29 March 2026)
    assert quiet.until(_at("2026-03-28 23:00")) == _at("2026-03-29 07:00")


def test_daytime_quiet_hours_and_none() -> None:
    assert QuietHours("12:00", "13:00", "Europe/London").until(_at("2026-12-03 12:30")) == _at(
        "2026-12-03 13:00"
    )
    assert QuietHours("00:00", "00:00", "Europe/London").until(_at("2026-12-03 12:30")) is None
