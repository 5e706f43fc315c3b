"""Dates read forward, for money that leaves later, and how often and until when it repeats.

`dates.py` reads dates back, as transaction questions do ("3 March" is the latest 3 March).
A payment being planned reads them forward: "on the 5th" is the next 5th, "Friday" the next
Friday, "this month" ends at the end of this month. These finders give the forward reading
as entities of their own, beside the backward one, so each flow picks the reading it means
(`from_entity: date_ahead`):

    date_ahead   -> "2027-01-05"          the day meant (an explicit year is kept as said)
    period_ahead -> {"start", "end"}      from today (or the period's start) to its end
    frequency    -> "1w" | "2w" | "1m" | "3m" | "12m" | "1d" ...   every n weeks/months/days
    plan_end     -> "none" | "count:12" | "until:2027-06-30" | "for:6:m"   (for n weeks,
                    months or years from the first payment: the flow knows when that is)
"""

from __future__ import annotations

import calendar
import re
from datetime import MAXYEAR, MINYEAR, date, timedelta

from bot.nlu.entities.dates import _MONTHS, _WEEKDAYS, MONTH, WEEKDAY
from bot.nlu.entities.numbers import words_to_int
from bot.nlu.entities.spans import Found

_F = re.IGNORECASE
_NUM = (
    r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|sixteen|eighteen|twenty|twenty[\s-]four|thirty|thirty[\s-]six"
    r"|forty[\s-]eight|fifty[\s-]two)"
)
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "fifteenth": 15,
    "twentieth": 20, "last": -1,
}  # fmt: skip
_ORDINAL = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_DAY = rf"(?:(?P<{{0}}>[0-3]?\d)(?:st|nd|rd|th)?|(?P<{{0}}w>{_ORDINAL}))"
_YEAR = r"(?:,?\s+(?P<{0}>\d{{4}}))?"

_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
_NUMERIC = re.compile(r"\b(?P<d>[0-3]?\d)/(?P<m>[01]?\d)(?:/(?P<y>\d{2}|\d{4}))?\b")
_DAY_MONTH = re.compile(
    rf"\b(?:the\s+)?{_DAY.format('d')}(?:\s+of)?\s+(?P<m>{MONTH})\b{_YEAR.format('y')}", _F
)
_MONTH_DAY = re.compile(
    rf"\b(?P<m>{MONTH})\s+(?:the\s+)?{_DAY.format('d')}\b{_YEAR.format('y')}", _F
)
_RELATIVE = re.compile(r"\b(?P<w>the\s+day\s+after\s+tomorrow|tomorrow|today|tonight)\b", _F)
_NEXT_WEEK_DAY = re.compile(
    rf"\b(?P<w>{WEEKDAY})s?\s+(?:(?:starting|from|beginning|of)\s+)?(?:next|the\s+following)\s+week\b"
    rf"|\b(?:next|the\s+following)\s+week(?:\s+on)?\s+(?P<w2>{WEEKDAY})\b",
    _F,
)
_WEEKDAY_RE = re.compile(rf"\b(?:(?:this|next|coming|on|every|each)\s+)?(?P<w>{WEEKDAY})s?\b", _F)
_BACK = re.compile(r"\b(?:last|past|previous|since|ago)\s+$", _F)  # "last Tuesday" looks back
_IN = re.compile(
    rf"\b(?:in\s+(?P<n>{_NUM})\s+(?P<u>days?|weeks?|fortnights?|months?)(?:'?s)?(?:\s+time)?"
    r"|(?P<week>a\s+week\s+(?:today|from\s+today|from\s+now)))\b",
    _F,
)
_OF_THE_MONTH = (
    r"(?P<of>\s+of\s+(?:(?:the|this)\s+month|each\s+month|every\s+month|next\s+month"
    r"|the\s+next\s+month|the\s+following\s+month)|\s+next\s+month)"
)
_OF_MONTH = re.compile(
    rf"\b(?:on\s+(?:the\s+)?|the\s+)(?P<d>[0-3]?\d)(?:st|nd|rd|th)(?:\s+day)?{_OF_THE_MONTH}?"
    rf"|\b(?:on\s+)?the\s+(?P<dw>{_ORDINAL})(?:\s+day)?{_OF_THE_MONTH.replace('P<of>', 'P<of2>')}"
    r"|\b(?P<last>(?:the\s+)?(?:end|last\s+day)\s+of\s+(?:the\s+|this\s+)?(?P<nx>next\s+)?month)\b",
    _F,
)
_NEXT_PERIOD_START = re.compile(
    r"\b(?:(?:starting|from|beginning)\s+)?(?:next|the\s+following)\s+(?P<u>week|month)\b", _F
)

_THIS = re.compile(
    r"\b(?:this|the\s+current|the\s+rest\s+of\s+(?:the|this))\s+(?P<u>week|month|year)\b", _F
)
_NEXT = re.compile(r"\b(?:next|the\s+following)\s+(?P<u>week|month|year)\b", _F)
_COMING = re.compile(
    rf"\b(?:the\s+)?(?:next|coming)\s+(?P<n>{_NUM})\s+(?P<u>days?|weeks?|fortnights?|months?)\b", _F
)
_IN_MONTH = re.compile(rf"\b(?:in|during|for|of|over)\s+(?P<m>{MONTH})\b{_YEAR.format('y')}", _F)
_UNTIL = re.compile(r"\b(?:until|till|til|untill|up\s+to|before|by)\s+$", _F)

_FREQUENCIES = [
    (re.compile(r"\b(?:daily|every\s+day|each\s+day|a\s+day|per\s+day)\b", _F), "1d"),
    (
        re.compile(
            r"\b(?:fortnightly|bi-?weekly|every\s+(?:two|2|other|second)\s+weeks?|every\s+fortnight"
            r"|(?<!in\s)a\s+fortnight|once\s+a\s+fortnight|each\s+fortnight|per\s+fortnight)\b",
            _F,
        ),
        "2w",
    ),
    (
        re.compile(rf"\b(?:every\s+other|every\s+second|alternate)\s+(?:{WEEKDAY})s?\b", _F),
        "2w",
    ),
    (re.compile(rf"\b(?:every|each)\s+(?:{WEEKDAY})\b|\bon\s+(?:{WEEKDAY})s\b", _F), "1w"),
    (
        re.compile(
            r"\b(?:weekly|every\s+week|each\s+week|once\s+a\s+week|per\s+week|(?<!in\s)a\s+week(?!\s+(?:today|from))"
            r"|a\s+wk|p/?w)\b",
            _F,
        ),
        "1w",
    ),
    (re.compile(rf"\bevery\s+(?P<n>{_NUM})\s+weeks\b", _F), "{n}w"),
    (
        re.compile(
            r"\b(?:quarterly|every\s+quarter|each\s+quarter|every\s+(?:three|3)\s+months)\b", _F
        ),
        "3m",
    ),
    (
        re.compile(
            r"\b(?:twice\s+a\s+year|half[\s-]yearly|every\s+(?:six|6)\s+months|biannually)\b", _F
        ),
        "6m",
    ),
    (
        re.compile(r"\b(?:bi-?monthly|every\s+(?:other|second|two|2)\s+months?)\b", _F),
        "2m",
    ),
    (re.compile(rf"\bevery\s+(?P<n>{_NUM})\s+months\b", _F), "{n}m"),
    (
        re.compile(
            r"\b(?:monthly|every\s+month|each\s+month|once\s+a\s+month|per\s+month|(?<!in\s)a\s+month"
            r"|a\s+mnth|pcm|p/m|per\s+calendar\s+month|of\s+(?:every|each)\s+month)\b",
            _F,
        ),
        "1m",
    ),
    (
        re.compile(
            r"\b(?:yearly|annually|every\s+year|each\s+year|once\s+a\s+year|per\s+year|(?<!in\s)a\s+year"
            r"|per\s+annum|p/?a)\b",
            _F,
        ),
        "12m",
    ),
]

_NO_END = re.compile(
    r"\b(?:(?:with\s+)?no\s+end(?:\s+date)?|(?:with\s+)?no\s+(?:final|last)\s+(?:date|payment)"
    r"|(?:un)?til+\s+(?:i|we)\s+(?:cancel|stop|say)(?:\s+it)?|until\s+further\s+notice"
    r"|indefinitely|forever|for\s+ever|open[\s-]ended|ongoing|no\s+end\s+to\s+it|never\s+end"
    r"|keep\s+(?:it\s+)?going|don'?t\s+end\s+it|no\s+limit)\b",
    _F,
)
_COUNT_END = re.compile(
    rf"\b(?:(?:after|for|stop\s+after|end\s+after|just|only|a\s+total\s+of|in\s+all|to"
    rf"|make\s+it|it'?s)\s+)?"
    rf"(?P<n>{_NUM})\s+(?:payments?|times|instalments?|installments?)"
    rf"(?:\s+(?:in\s+all|in\s+total|only|then\s+stop))?\b",
    _F,
)
_COUNT_LEAD = r"(?:after|for|stop|end|just|only|a total|in all|to|make it|it'?s)\b"
_FOR_END = re.compile(
    rf"\bfor\s+(?:the\s+next\s+)?(?P<n>{_NUM})\s+(?P<u>weeks?|months?|years?)\b", _F
)
_UNTIL_END = re.compile(
    r"\b(?:until|till|til|untill|up\s+to\s+and\s+including|through|thru|ending(?:\s+on)?"
    r"|ends?\s+on|end\s+it\s+on|finish(?:ing|es)?(?:\s+on)?|stop(?:ping)?\s+(?:on|in|at)"
    r"|last\s+(?:one|payment)\s+(?:on|in)|final\s+payment\s+(?:on|in))\s+",
    _F,
)
_MONTH_ONLY = re.compile(rf"^(?:(?:the\s+)?end\s+of\s+)?(?P<m>{MONTH})\b{_YEAR.format('y')}", _F)
_END_OF = re.compile(
    r"^(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<nx>next\s+)?(?P<u>month|year)\b", _F
)


def _count(text: str) -> int:
    text = text.strip().lower()
    if text in ("a", "an"):
        return 1
    return words_to_int(text)


def _day_number(m: re.Match[str], group: str) -> int:
    if m.group(group):
        return int(m.group(group))
    return _ORDINALS[m.group(group + "w").lower()]


def _on_day(year: int, month: int, day: int) -> date | None:
    if not MINYEAR <= year <= MAXYEAR:  # "1 May 0000": no calendar has it
        return None
    last = calendar.monthrange(year, month)[1]
    if day == -1:
        return date(year, month, last)
    return date(year, month, day) if 1 <= day <= last else None


def _next_month_start(day: date, months: int = 1) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _forward(year: str | None, month: int, day: int, today: date) -> date | None:
    """The given day; without a year, the next one on or after today."""
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        return _on_day(full, month, day) if 1 <= month <= 12 else None
    if not 1 <= month <= 12:
        return None
    for y in range(today.year, today.year + 5):  # 29 February waits for a leap year
        found = _on_day(y, month, day)
        if found is not None and found >= today:
            return found
    return None


def _month_year(year: str | None, month: int, today: date) -> int | None:
    """The year of a month named ahead: as said (None when no calendar has it, "0000"), or
    this year's month unless it has passed."""
    if year is None:
        return today.year if month >= today.month else today.year + 1
    return int(year) if MINYEAR <= int(year) <= MAXYEAR else None


def _day_of_month_ahead(day: int, today: date, months: int = 0) -> date | None:
    """The next `day` of a month after today (-1: the last day), or in the month `months`
    ahead ("the 5th" said on the 5th is next month's, like a weekday)."""
    start = _next_month_start(today, months) if months else today.replace(day=1)
    for ahead in range(0, 3):
        month = _next_month_start(start, ahead)
        found = _on_day(month.year, month.month, day)
        if found is None and day > 28:  # "the 31st" in a short month: its last day
            found = _month_end(month)
        if found is not None and (months or found > today):
            return found
    return None


def _next_weekday(name: str, today: date) -> date:
    """The next such day after today ("Friday" said on a Friday is next week's)."""
    return today + timedelta((_WEEKDAYS[name.lower()] - today.weekday() - 1) % 7 + 1)


def find_dates_ahead(text: str, today: date) -> list[Found]:
    found: list[Found] = []

    def add(day: date | None, m: re.Match[str]) -> None:
        if day is not None and not _BACK.search(text[: m.start()]):
            found.append(Found("date_ahead", day.isoformat(), m.start(), m.end()))

    for m in _ISO.finditer(text):
        add(_forward(m.group("y"), int(m.group("m")), int(m.group("d")), today), m)
    for m in _NUMERIC.finditer(text):
        add(_forward(m.group("y"), int(m.group("m")), int(m.group("d")), today), m)
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for m in pattern.finditer(text):
            month = _MONTHS[m.group("m").lower()]
            add(_forward(m.group("y"), month, _day_number(m, "d"), today), m)
    for m in _RELATIVE.finditer(text):
        word = m.group("w").lower()
        ahead = 2 if word.endswith("after tomorrow") else 1 if word == "tomorrow" else 0
        add(today + timedelta(ahead), m)
    for m in _NEXT_WEEK_DAY.finditer(text):
        monday = today - timedelta(today.weekday()) + timedelta(7)
        add(monday + timedelta(_WEEKDAYS[(m.group("w") or m.group("w2")).lower()]), m)
    for m in _WEEKDAY_RE.finditer(text):
        add(_next_weekday(m.group("w"), today), m)
    for m in _IN.finditer(text):
        if m.group("week"):
            add(today + timedelta(7), m)
            continue
        n, unit = _count(m.group("n")), m.group("u").lower().rstrip("s")
        if unit == "month":
            index = today.year * 12 + today.month - 1 + n
            y, mo = index // 12, index % 12 + 1
            add(_on_day(y, mo, min(today.day, calendar.monthrange(y, mo)[1])), m)
        elif n <= 520:
            add(today + timedelta(n * {"day": 1, "week": 7, "fortnight": 14}[unit]), m)
    for m in _OF_MONTH.finditer(text):
        if m.group("last"):
            add(_month_end(_next_month_start(today) if m.group("nx") else today), m)
            continue
        nxt = "next" in (m.group("of") or m.group("of2") or "").lower()
        add(_day_of_month_ahead(_day_number(m, "d"), today, 1 if nxt else 0), m)
    for m in _NEXT_PERIOD_START.finditer(text):
        if m.group("u").lower() == "week":
            add(today - timedelta(today.weekday()) + timedelta(7), m)
        else:
            add(_next_month_start(today), m)
    return _longest(found)


def find_periods_ahead(text: str, today: date) -> list[Found]:
    found: list[Found] = []

    def add(start: date, end: date, m: re.Match[str], at: int | None = None) -> None:
        start = max(start, today)
        if end >= start:
            value = {"start": start.isoformat(), "end": end.isoformat()}
            found.append(Found("period_ahead", value, m.start() if at is None else at, m.end()))

    for m in _THIS.finditer(text):
        unit = m.group("u").lower()
        if unit == "week":
            add(today, today + timedelta(6 - today.weekday()), m)
        elif unit == "month":
            add(today, _month_end(today), m)
        else:
            add(today, date(today.year, 12, 31), m)
    for m in _NEXT.finditer(text):
        unit = m.group("u").lower()
        if unit == "week":
            monday = today - timedelta(today.weekday()) + timedelta(7)
            add(monday, monday + timedelta(6), m)
        elif unit == "month":
            first = _next_month_start(today)
            add(first, _month_end(first), m)
        else:
            add(date(today.year + 1, 1, 1), date(today.year + 1, 12, 31), m)
    for m in _COMING.finditer(text):
        n, unit = _count(m.group("n")), m.group("u").lower().rstrip("s")
        days = n * {"day": 1, "week": 7, "fortnight": 14, "month": 30}[unit]
        if days <= 3660:
            add(today, today + timedelta(days), m)
    for m in _IN_MONTH.finditer(text):
        month = _MONTHS[m.group("m").lower()]
        year = _month_year(m.group("y"), month, today)
        if year is not None:
            first = date(year, month, 1)
            add(first, _month_end(first), m)
    for day in find_dates_ahead(text, today):  # "until Friday", "before the 15th"
        until = _UNTIL.search(text[: day.start])
        if until is not None:
            end = date.fromisoformat(day.value)
            found.append(
                Found(
                    "period_ahead",
                    {"start": today.isoformat(), "end": end.isoformat()},
                    until.start(),
                    day.end,
                )
            )
    return _longest(found)


def find_frequencies(text: str) -> list[Found]:
    found: list[Found] = []
    for pattern, code in _FREQUENCIES:
        for m in pattern.finditer(text):
            value = code
            if "{n}" in code:
                value = code.replace("{n}", str(_count(m.group("n"))))
            found.append(Found("frequency", value, m.start(), m.end()))
    return _longest(found)


def find_plan_ends(text: str, today: date, repeating: bool = False) -> list[Found]:
    """`repeating`: the message says how often, so "5 payments" alone is how many."""
    found = [Found("plan_end", "none", m.start(), m.end()) for m in _NO_END.finditer(text)]
    for m in _COUNT_END.finditer(text):
        words = m.group(0).lower()
        if (
            not repeating
            and not re.match(_COUNT_LEAD, words)
            and not (
                "times" in words or "in all" in words or "in total" in words or "then stop" in words
            )
        ):
            continue  # "12 payments" alone is a count of transactions to list, not an end
        found.append(Found("plan_end", f"count:{_count(m.group('n'))}", m.start(), m.end()))
    for m in _FOR_END.finditer(text):
        unit = m.group("u").lower()[0]
        found.append(Found("plan_end", f"for:{_count(m.group('n'))}:{unit}", m.start(), m.end()))
    for m in _UNTIL_END.finditer(text):
        rest = text[m.end() :]
        end = _end_after(rest, today)
        if end is not None:
            day, length = end
            found.append(Found("plan_end", f"until:{day.isoformat()}", m.start(), m.end() + length))
    return _longest(found)


def _end_after(rest: str, today: date) -> tuple[date, int] | None:
    """The date that starts `rest` ("30 June", "June", "the end of the year"), forward."""
    dates = [d for d in find_dates_ahead(rest, today) if d.start == 0]
    if dates:
        return date.fromisoformat(dates[0].value), dates[0].end
    if m := _END_OF.match(rest):
        if m.group("u").lower() == "year":
            return date(today.year + (1 if m.group("nx") else 0), 12, 31), m.end()
        return _month_end(_next_month_start(today) if m.group("nx") else today), m.end()
    if m := _MONTH_ONLY.match(rest):
        month = _MONTHS[m.group("m").lower()]
        year = _month_year(m.group("y"), month, today)
        return None if year is None else (_month_end(date(year, month, 1)), m.end())
    return None


def _longest(found: list[Found]) -> list[Found]:
    """Of overlapping candidates of one finder, the longest (then the earliest)."""
    kept: list[Found] = []
    for f in sorted(found, key=lambda f: (f.start - f.end, f.start)):
        if not any(k.overlaps(f.start, f.end) for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)
