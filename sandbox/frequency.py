"""Standing order frequencies, as Open Banking codes, and the dates they fall on.

Supported: `IntrvlWkDay:0n:0d` (every n weeks, n 1-9, on weekday d, 1 = Monday ... 7 = Sunday)
and `IntrvlMnthDay:nn:dd` (every nn months, nn 01-06, 12 or 24, on day dd 01-31, or -01 for the
last day; a day past a short month's end falls on its last day). Other codes are refused.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sandbox.errors import BankApiError

_WEEKLY = re.compile(r"IntrvlWkDay:0([1-9]):0([1-7])")
_MONTHLY = re.compile(r"IntrvlMnthDay:(0[1-6]|12|24):(0[1-9]|[12][0-9]|3[01]|-01)")


def _day_in(year: int, month: int, day: int) -> date:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, last if day == -1 else min(day, last))


def add_months(day: date, months: int, on: int) -> date:
    """Day `on` (-1: the last) of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return _day_in(index // 12, index % 12 + 1, on)


@dataclass(frozen=True, slots=True)
class Frequency:
    weekly: bool
    interval: int  # weeks or months
    day: int  # weekday 1-7, or day of month 1-31 / -1

    @classmethod
    def parse(cls, code: str) -> Frequency:
        if weekly := _WEEKLY.fullmatch(code):
            return cls(True, int(weekly[1]), int(weekly[2]))
        if monthly := _MONTHLY.fullmatch(code):
            return cls(False, int(monthly[1]), int(monthly[2]))
        raise BankApiError(
            422,
            "invalid_frequency",
            "Frequency must be IntrvlWkDay:0n:0d (every n weeks on weekday d) or "
            "IntrvlMnthDay:nn:dd (every nn months on day dd, -01 for the last day)",
        )

    @classmethod
    def like(cls, other: Frequency, on: date) -> Frequency:
        """The same interval, moved to fall on `on` (when a standing order's date is changed)."""
        last = calendar.monthrange(on.year, on.month)[1]
        day = (
            on.isoweekday()
            if other.weekly
            else (-1 if other.day == -1 and on.day == last else on.day)
        )
        return cls(other.weekly, other.interval, day)

    def code(self) -> str:
        if self.weekly:
            return f"IntrvlWkDay:{self.interval:02d}:{self.day:02d}"
        day = "-01" if self.day == -1 else f"{self.day:02d}"
        return f"IntrvlMnthDay:{self.interval:02d}:{day}"

    def falls_on(self, day: date) -> bool:
        if self.weekly:
            return day.isoweekday() == self.day
        return _day_in(day.year, day.month, self.day) == day

    def following(self, day: date) -> date:
        """The payment date after one on `day`."""
        if self.weekly:
            return day + timedelta(weeks=self.interval)
        return add_months(day, self.interval, self.day)

    def per_month(self, amount: int) -> Fraction:
        """What the order pays in an average month (a weekly one: 52 payments over 12 months)."""
        if self.weekly:
            return Fraction(amount * 52, 12 * self.interval)
        return Fraction(amount, self.interval)
