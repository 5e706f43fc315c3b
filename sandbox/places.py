"""Branches and cash machines, and the gazetteer of places the finder knows.

Reference data, the same for every customer and changed only by the bank: read once from the
data files (`sandbox/data/places.yml`, `sandbox/data/gazetteer.yml`), never written through
the API. Distances are great-circle (haversine) on a sphere of the Earth's mean radius;
"open now" is read in UK local time (Europe/London, so British Summer Time is right) at the
sandbox clock's moment, so a test that moves the clock sees the branch close.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

DATA = Path(__file__).parent / "data"
UK = ZoneInfo("Europe/London")
EARTH_RADIUS_M = 6_371_008.8
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("atm", "branch")
_HOURS = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
# A UK postcode, whole ("M1 1AE") or only its district ("M1"): the district is what is kept.
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(?:\s*\d[A-Z]{2})?$")


@dataclass(frozen=True, slots=True)
class Opening:
    opens: time
    closes: time


@dataclass(frozen=True, slots=True)
class Place:
    id: str
    kind: str  # atm | branch
    name: str
    address: str
    latitude: float
    longitude: float
    deposits: bool
    accessible: bool
    always_open: bool
    hours: dict[str, Opening | None]  # weekday -> its opening, None when closed

    def open_at(self, moment: datetime) -> bool:
        """`moment` naive UTC, as the sandbox clock gives it."""
        if self.always_open:
            return True
        local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(UK)
        opening = self.hours.get(DAYS[local.weekday()])
        return opening is not None and opening.opens <= local.time() < opening.closes


@dataclass(frozen=True, slots=True)
class Location:
    name: str  # as the gazetteer spells it: "Leeds", "M1"
    kind: str  # town | district
    latitude: float
    longitude: float
    town: str  # the district's town; a town's own name


def _opening(raw: str) -> Opening | None:
    if raw == "closed":
        return None
    match = _HOURS.match(raw)
    if match is None:
        raise ValueError(f"opening hours {raw!r} are not HH:MM-HH:MM or closed")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return Opening(time(h1, m1), time(h2, m2))


def _place(raw: dict[str, Any]) -> Place:
    hours = raw.get("hours") or {}
    if raw["kind"] not in KINDS:
        raise ValueError(f"{raw['id']}: kind must be one of {KINDS}")
    return Place(
        id=str(raw["id"]),
        kind=str(raw["kind"]),
        name=str(raw["name"]),
        address=str(raw["address"]),
        latitude=float(raw["latitude"]),
        longitude=float(raw["longitude"]),
        deposits=bool(raw.get("deposits", False)),
        accessible=bool(raw.get("accessible", False)),
        always_open=bool(raw.get("always_open", False)),
        hours={day: _opening(str(hours.get(day, "closed"))) for day in DAYS},
    )


@cache
def all_places() -> tuple[Place, ...]:
    raw = yaml.safe_load((DATA / "places.yml").read_text(encoding="utf-8"))
    return tuple(_place(p) for p in raw["places"])


def _key(name: str) -> str:
    """Case, spaces and punctuation do not matter: "Newcastle-upon-Tyne" is "newcastleupontyne"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@cache
def gazetteer() -> dict[str, Location]:
    raw = yaml.safe_load((DATA / "gazetteer.yml").read_text(encoding="utf-8"))
    found: dict[str, Location] = {}
    for town in raw["towns"]:
        where = Location(town["name"], "town", town["latitude"], town["longitude"], town["name"])
        for name in (town["name"], *town.get("aliases", ())):
            found[_key(name)] = where
    for district in raw["districts"]:
        code = str(district["district"]).upper()
        found[_key(code)] = Location(
            code, "district", district["latitude"], district["longitude"], district["town"]
        )
    return found


def look_up(query: str) -> Location | None:
    """A town, one of its other names, a postcode district or a whole postcode in one."""
    said = " ".join(query.upper().split())
    postcode = _POSTCODE.match(said)
    if postcode is not None:
        return gazetteer().get(_key(postcode.group(1)))
    return gazetteer().get(_key(query))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearest(
    latitude: float,
    longitude: float,
    moment: datetime,
    *,
    kind: str | None = None,
    deposits: bool = False,
    accessible: bool = False,
    open_now: bool = False,
    within_m: float = 50_000,
    limit: int = 3,
) -> list[tuple[Place, float]]:
    """The nearest places that pass the filters, each with its distance, nearest first."""
    found = []
    for place in all_places():
        if kind is not None and place.kind != kind:
            continue
        if (deposits and not place.deposits) or (accessible and not place.accessible):
            continue
        if open_now and not place.open_at(moment):
            continue
        metres = distance_m(latitude, longitude, place.latitude, place.longitude)
        if metres <= within_m:
            found.append((place, metres))
    found.sort(key=lambda pair: (pair[1], pair[0].id))
    return found[:limit]
