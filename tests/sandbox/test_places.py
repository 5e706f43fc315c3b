"""The branch and cash machine finder over HTTP: nearest first by great-circle distance,
the filters, opening hours in UK time (British Summer Time too), the gazetteer, and bad input."""

from __future__ import annotations

import math
from datetime import datetime

import httpx
import pytest

from sandbox import places


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Written again here rather than imported, so the route is checked against a second sum."""
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * r * math.asin(math.sqrt(a))


LEEDS_LS1 = (53.7973, -1.5440)


async def nearest(api: httpx.AsyncClient, **params: object) -> list[dict]:
    response = await api.get("/places", params=params)
    assert response.status_code == 200, response.text
    return response.json()["Data"]["Place"]


async def test_nearest_three_are_the_three_closest_of_all_with_their_distances(
    api: httpx.AsyncClient,
) -> None:
    lat, lon = LEEDS_LS1
    found = await nearest(api, latitude=lat, longitude=lon)
    every = sorted(
        places.all_places(), key=lambda p: haversine_km(lat, lon, p.latitude, p.longitude)
    )
    assert [p["PlaceId"] for p in found] == [p.id for p in every[:3]]
    for shown in found:
        expected = haversine_km(lat, lon, shown["Latitude"], shown["Longitude"]) * 1000
        assert abs(shown["DistanceMetres"] - expected) <= 1
    assert [p["DistanceMetres"] for p in found] == sorted(p["DistanceMetres"] for p in found)
    assert {"Name", "Address", "OpenNow", "Services", "OpeningHours", "Kind"} <= set(found[0])


async def test_filters_keep_only_what_was_asked_for(api: httpx.AsyncClient) -> None:
    lat, lon = LEEDS_LS1
    atms = await nearest(api, latitude=lat, longitude=lon, kind="atm", limit=10)
    assert atms and all(p["Kind"] == "atm" for p in atms)
    deposits = await nearest(api, latitude=lat, longitude=lon, kind="atm", deposits="true")
    assert [p["PlaceId"] for p in deposits] == ["atm-lee-headrow"]
    accessible = await nearest(api, latitude=lat, longitude=lon, accessible="true", limit=10)
    assert accessible and all(p["Services"]["Accessible"] for p in accessible)
    assert "atm-lee-headrow" not in [p["PlaceId"] for p in accessible]
    open_now = await nearest(api, latitude=lat, longitude=lon, open_now="true", limit=10)
    assert all(p["OpenNow"] for p in open_now)
    assert {"atm-lee-station", "atm-lee-headingley"} <= {p["PlaceId"] for p in open_now}


async def test_open_now_is_the_sandbox_clocks_moment_in_uk_time(api: httpx.AsyncClient) -> None:
    response = await api.get(
        "/places", params={"latitude": 51.5080, "longitude": -0.1247, "limit": 10}
    )
    body = response.json()
    moment = datetime.fromisoformat(body["Meta"]["AsOf"].rstrip("Z"))
    clock = (await api.get("/sandbox/clock")).json()["Data"]["Clock"]
    assert body["Meta"]["AsOf"][:10] == clock["Date"]
    by_id = {p.id: p for p in places.all_places()}
    for shown in body["Data"]["Place"]:
        assert shown["OpenNow"] == by_id[shown["PlaceId"]].open_at(moment), shown["PlaceId"]


def test_opening_hours_are_read_in_uk_local_time() -> None:
    branch = next(p for p in places.all_places() if p.id == "br-lee-briggate")
    # Thursday 3 December 2026 (GMT): 09:00-17:00
    assert not branch.open_at(datetime(2026, 12, 3, 8, 59))
    assert branch.open_at(datetime(2026, 12, 3, 9, 0))
    assert not branch.open_at(datetime(2026, 12, 3, 17, 0))
    # Thursday 2 July 2026 (BST, UTC+1): 08:30 UTC is 09:30 in Leeds
    assert branch.open_at(datetime(2026, 7, 2, 8, 30))
    assert not branch.open_at(datetime(2026, 7, 2, 16, 30))
    # Saturday mornings only, closed on Sunday
    assert branch.open_at(datetime(2026, 12, 5, 12, 0))
    assert not branch.open_at(datetime(2026, 12, 5, 13, 30))
    assert not branch.open_at(datetime(2026, 12, 6, 12, 0))
    always = next(p for p in places.all_places() if p.id == "atm-lee-station")
    assert always.open_at(datetime(2026, 12, 6, 3, 0))


async def test_the_gazetteer_finds_towns_other_names_districts_and_postcodes(
    api: httpx.AsyncClient,
) -> None:
    async def where(query: str) -> dict:
        response = await api.get("/places/locations", params={"query": query})
        assert response.status_code == 200, (query, response.text)
        return response.json()["Data"]["Location"]

    assert (await where("leeds"))["Name"] == "Leeds"
    assert (await where("Newcastle-upon-Tyne"))["Name"] == "Newcastle"
    district = await where("m1")
    assert (district["Name"], district["Kind"]) == ("M1", "district")
    assert district["Town"] == "Manchester"
    assert (await where("LS1 6HD"))["Name"] == "LS1"
    assert (await where("ls16hd"))["Name"] == "LS1"
    response = await api.get("/places/locations", params={"query": "Narnia"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "location_unknown"


@pytest.mark.parametrize(
    "params",
    [
        {"latitude": 200, "longitude": 0},
        {"latitude": 0, "longitude": -181},
        {"latitude": "north", "longitude": 0},
        {"latitude": "nan", "longitude": 0},
        {"latitude": "inf", "longitude": 0},
        {"longitude": 0},
        {"latitude": 53.8, "longitude": -1.5, "kind": "post_office"},
        {"latitude": 53.8, "longitude": -1.5, "limit": 0},
        {"latitude": 53.8, "longitude": -1.5, "limit": 11},
    ],
)
async def test_a_point_that_is_not_one_is_refused(api: httpx.AsyncClient, params: dict) -> None:
    response = await api.get("/places", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"


async def test_far_from_every_branch_finds_none(api: httpx.AsyncClient) -> None:
    assert await nearest(api, latitude=40.4168, longitude=-3.7038) == []  # Madrid


async def test_the_finder_needs_the_api_key(sandbox_url: str) -> None:
    async with httpx.AsyncClient() as anonymous:
        response = await anonymous.get(
            f"{sandbox_url}/places", params={"latitude": 53.8, "longitude": -1.5}
        )
    assert response.status_code == 401
