"""Dates and date ranges relative to `today`, as ISO strings.

Transaction questions look back, so a day and month without a year ("3 March") means
the latest such day not after today, and a bare month ("in October") the latest such
month; ranges never end after today.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from bot.nlu.entities.numbers import COUNT, words_to_int
from bot.nlu.entities.spans import Found

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
# Month names that are also common words only count next to a day number.
_BARE_MONTH = "|".join(
    m
    for m in sorted(_MONTHS, key=len, reverse=True)
    if m not in {"may", "mar", "jan", "jun", "jul", "aug", "sep", "oct", "nov", "dec", "feb", "apr"}
)
WEEKDAY = "|".join(_WEEKDAYS)
_DAY = r"(?P<{0}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<{0}>\d{{4}}))?"
_UNITS = {"day": 1, "week": 7, "fortnight": 14}
_HORIZON_MONTHS = 1200  # no one means a span longer than a century; date() cannot hold one

_F = re.IGNORECASE
_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_NUMERIC = re.compile(r"\b(?P<d>[0-3]?\d)/(?P<m>[01]?\d)(?:/(?P<y>\d{2}|\d{4}))?\b")
_DAY_MONTH = re.compile(
    rf"\b{_DAY.format('d')}(?:\s+of)?\s+(?P<m>{MONTH})\b{_YEAR.format('y')}", _F
)
_MONTH_DAY = re.compile(rf"\b(?P<m>{MONTH})\s+{_DAY.format('d')}\b{_YEAR.format('y')}", _F)
_RELATIVE_DAY = re.compile(
    r"\b(?:the\s+)?(?P<w>day before yesterday|yesterday|today|tonight|this morning|tomorrow)\b",
    _F,
)
_WEEKDAY_RE = re.compile(rf"\b(?:(?P<last>last|past|previous)\s+|on\s+)?(?P<w>{WEEKDAY})s?\b", _F)
_AGO = re.compile(rf"\b(?P<n>{COUNT})\s+(?P<u>days?|weeks?)\s+ago\b", _F)
_ON_THE = re.compile(r"\bon\s+the\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b", _F)

_DAYS_SPAN = re.compile(
    rf"\b(?:between\s+|from\s+)?(?:the\s+)?{_DAY.format('d1')}\s*(?:and|to|until|till|-|–)\s*"
    rf"(?:the\s+)?{_DAY.format('d2')}(?:\s+of)?\s+(?P<m>{MONTH})\b{_YEAR.format('y')}",
    _F,
)
_ROLLING = re.compile(
    rf"\b(?:in\s+|over\s+|for\s+)?(?:the\s+)?(?P<which>last|past|previous)\s+(?:(?P<n>{COUNT})\s+)?"
    r"(?P<u>days?|weeks?|fortnight|months?|years?)\b",
    _F,
)
_CALENDAR = re.compile(r"\b(?P<which>this|current)\s+(?P<u>week|month|year)\b", _F)
_WEEKEND = re.compile(r"\b(?:last|past|previous)\s+weekend\b", _F)
_IN_MONTH = re.compile(
    rf"\b(?:(?:in|during|for|of|from)\s+)(?P<m>{MONTH})\b{_YEAR.format('y')}|\b(?P<bm>{_BARE_MONTH})\b{_YEAR.format('by')}",
    _F,
)
_JOINED = re.compile(r"^\s*(?:and|to|until|till|through|-|–)\s*$", _F)
_OPENER = re.compile(r"(?:between|from)\s*$", _F)
_SINCE = re.compile(r"since\s*$", _F)


def _iso(day: date) -> str:
    return day.isoformat()


def _range(start: date, end: date, today: date) -> dict[str, str]:
    return {"start": _iso(start), "end": _iso(min(end, today) if start <= today else end)}


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _past_date(year: str | None, month: int, day: int, today: date) -> date | None:
    """The given day; without a year, the latest one not after today."""
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def _within_horizon(n: int, unit: str) -> bool:
    months = {"month": 1, "year": 12}.get(unit, _UNITS.get(unit, 1) / 28)
    return n * months <= _HORIZON_MONTHS


def _latest_month(month: int, year: str | None, today: date) -> tuple[date, date] | None:
    latest = today.year if month <= today.month else today.year - 1
    y = int(year) if year else latest
    return (date(y, month, 1), _month_end(y, month)) if y >= 1 else None


def find_ranges(text: str, today: date) -> list[Found]:
    found: list[Found] = []
    for m in _DAYS_SPAN.finditer(text):
        month = _MONTHS[m.group("m").lower()]
        # the latest such span that has begun: "1st to 31st December" on 3 December is this one
        start = _past_date(m.group("y"), month, int(m.group("d1")), today)
        if start is not None:
            end = _past_date(str(start.year), month, int(m.group("d2")), today)
            if end is not None and start <= end:
                found.append(Found("date_range", _range(start, end, today), m.start(), m.end()))
    for m in _ROLLING.finditer(text):
        n = words_to_int(m.group("n")) if m.group("n") else None
        unit = m.group("u").lower().rstrip("s")
        if not _within_horizon(n or 1, unit):
            continue
        if n is None and m.group("which").lower() == "last" and unit in {"week", "month", "year"}:
            start, end = _previous_calendar(unit, today)
        elif unit in {"month", "year"}:
            start = _shift_months(today, (n or 1) * (12 if unit == "year" else 1)) + timedelta(1)
            end = today
        else:
            start, end = today - timedelta((n or 1) * _UNITS[unit] - 1), today
        found.append(Found("date_range", _range(start, end, today), m.start(), m.end()))
    for m in _CALENDAR.finditer(text):
        unit = m.group("u").lower()
        start = {
            "week": today - timedelta(today.weekday()),
            "month": today.replace(day=1),
            "year": today.replace(month=1, day=1),
        }[unit]
        found.append(Found("date_range", _range(start, today, today), m.start(), m.end()))
    for m in _WEEKEND.finditer(text):
        saturday = today - timedelta(today.weekday() + 2)  # the latest weekend that is over
        found.append(
            Found(
                "date_range", _range(saturday, saturday + timedelta(1), today), m.start(), m.end()
            )
        )
    for m in _IN_MONTH.finditer(text):
        name = (m.group("m") or m.group("bm")).lower()
        month = _latest_month(_MONTHS[name], m.group("y") or m.group("by"), today)
        if month is not None:
            found.append(Found("date_range", _range(*month, today), m.start(), m.end()))
    return found


def _previous_calendar(unit: str, today: date) -> tuple[date, date]:
    if unit == "week":
        monday = today - timedelta(today.weekday() + 7)
        return monday, monday + timedelta(6)
    if unit == "month":
        end = today.replace(day=1) - timedelta(1)
        return end.replace(day=1), end
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


def find_dates(text: str, today: date) -> list[Found]:
    found: list[Found] = []
    for m in _ISO.finditer(text):
        day = _past_date(m.group("y"), int(m.group("m")), int(m.group("d")), today)
        found.extend(_found_date(day, m))
    for m in _NUMERIC.finditer(text):
        day = _past_date(m.group("y"), int(m.group("m")), int(m.group("d")), today)
        found.extend(_found_date(day, m))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(text):
            day = _past_date(m.group("y"), _MONTHS[m.group("m").lower()], int(m.group("d")), today)
            found.extend(_found_date(day, m))
    for m in _RELATIVE_DAY.finditer(text):
        # "tomorrow" only ever means a payment's day: the one date said forward
        back = {"day before yesterday": 2, "yesterday": 1, "tomorrow": -1}.get(
            m.group("w").lower(), 0
        )
        found.extend(_found_date(today - timedelta(back), m))
    for m in _WEEKDAY_RE.finditer(text):
        back = (today.weekday() - _WEEKDAYS[m.group("w").lower()]) % 7
        found.extend(_found_date(today - timedelta(back or (7 if m.group("last") else 0)), m))
    for m in _AGO.finditer(text):
        n, unit = words_to_int(m.group("n")), m.group("u").lower().rstrip("s")
        if _within_horizon(n, unit):
            found.extend(_found_date(today - timedelta(n * _UNITS[unit]), m))
    for m in _ON_THE.finditer(text):
        day = int(m.group("d"))
        month_start = (
            today.replace(day=1) if day <= today.day else _shift_months(today, 1).replace(day=1)
        )
        found.extend(
            _found_date(_past_date(str(month_start.year), month_start.month, day, today), m)
        )
    return found


def _found_date(day: date | None, m: re.Match[str]) -> list[Found]:
    return [] if day is None else [Found("date", _iso(day), m.start(), m.end())]


def _end_after(first: Found, second: Found, today: date) -> date | None:
    """The end of "from FIRST to SECOND", or None when SECOND is before FIRST. A second day
    read back into last year because it is still ahead ("from 1 December to 31 December" on
    3 December) is this year's: the range runs to today."""
    start, end = date.fromisoformat(first.value), date.fromisoformat(second.value)
    if start <= end:
        return end
    ahead = _past_date(str(end.year + 1), end.month, end.day, today)
    return ahead if ahead is not None and start <= ahead and ahead > today else None


def join_ranges(text: str, dates: list[Found], today: date) -> list[Found]:
    """Turn "between DATE and DATE" and "since DATE" into date ranges; keep other dates."""
    dates = sorted(dates, key=lambda f: f.start)
    out: list[Found] = []
    i = 0
    while i < len(dates):
        first = dates[i]
        second = dates[i + 1] if i + 1 < len(dates) else None
        opener = _OPENER.search(text[: first.start])
        end = _end_after(first, second, today) if second else None
        if second and end and _JOINED.match(text[first.end : second.start]):
            start = opener.start() if opener else first.start
            value = _range(date.fromisoformat(first.value), end, today)
            out.append(Found("date_range", value, start, second.end))
            i += 2
            continue
        since = _SINCE.search(text[: first.start])
        if since:
            value = {"start": first.value, "end": _iso(today)}
            out.append(Found("date_range", value, since.start(), first.end))
        else:
            out.append(first)
        i += 1
    return out
