"""Routes for finding branches and cash machines (see sandbox/places.py and sandbox/README.md).

`GET /places?latitude=&longitude=` gives the nearest (`limit`, default 3, at most 10) within
`within_km` (default 50), nearest first, each with its distance, its services, its opening
hours and whether it is open at the sandbox clock's moment; `kind` (atm, branch), `deposits`,
`accessible` and `open_now` filter. `GET /places/locations?query=` finds a town or postcode
in the gazetteer (404 `location_unknown` for one it does not hold). Neither is about a
customer: the finder is public information, as on a bank's website.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from sandbox import clock, places
from sandbox.errors import BankApiError
from sandbox.http import engine

router = APIRouter()
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hours(place: places.Place) -> list[dict[str, Any]]:
    if place.always_open:
        return [{"Day": day, "Opens": "00:00", "Closes": "24:00"} for day in DAY_NAMES]
    shaped = []
    for day, name in zip(places.DAYS, DAY_NAMES, strict=True):
        opening = place.hours[day]
        shaped.append(
            {"Day": name, "Closed": True}
            if opening is None
            else {
                "Day": name,
                "Opens": opening.opens.strftime("%H:%M"),
                "Closes": opening.closes.strftime("%H:%M"),
            }
        )
    return shaped


def place_shape(place: places.Place, metres: float, moment: datetime) -> dict[str, Any]:
    local = moment.replace(tzinfo=places.ZoneInfo("UTC")).astimezone(places.UK)
    return {
        "PlaceId": place.id,
        "Kind": place.kind,
        "Name": place.name,
        "Address": place.address,
        "Latitude": place.latitude,
        "Longitude": place.longitude,
        "DistanceMetres": round(metres),
        "OpenNow": place.open_at(moment),
        "AlwaysOpen": place.always_open,
        "Services": {"Deposits": place.deposits, "Accessible": place.accessible},
        "OpeningHours": _hours(place),
        "Today": DAY_NAMES[local.weekday()],
    }


@router.get("/places")
async def nearest_places(
    request: Request,
    latitude: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    longitude: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    kind: Literal["atm", "branch"] | None = None,
    deposits: bool = False,
    accessible: bool = False,
    open_now: bool = False,
    within_km: Annotated[float, Query(gt=0, le=500, allow_inf_nan=False)] = 50,
    limit: Annotated[int, Query(ge=1, le=10)] = 3,
) -> dict[str, Any]:
    async with engine(request).connect() as conn:
        moment = await clock.now(conn)
    found = places.nearest(
        latitude,
        longitude,
        moment,
        kind=kind,
        deposits=deposits,
        accessible=accessible,
        open_now=open_now,
        within_m=within_km * 1000,
        limit=limit,
    )
    return {
        "Data": {"Place": [place_shape(place, metres, moment) for place, metres in found]},
        "Meta": {"AsOf": moment.isoformat(timespec="seconds") + "Z"},
    }


@router.get("/places/locations")
async def find_location(query: Annotated[str, Query(min_length=1, max_length=100)]) -> dict:
    found = places.look_up(query)
    if found is None:
        raise BankApiError(404, "location_unknown", "no town or postcode district by that name")
    return {
        "Data": {
            "Location": {
                "Name": found.name,
                "Kind": found.kind,
                "Town": found.town,
                "Latitude": found.latitude,
                "Longitude": found.longitude,
            }
        }
    }
