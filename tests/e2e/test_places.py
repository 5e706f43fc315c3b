"""The branch and cash machine finder through REST against the sandbox bank: what Teller
says is the bank's nearest three, with the bank's distances and open-now, a map link on each
place's own coordinates; a location shared in the request body; bad input refused clearly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from tests.e2e.conftest import Customer, text_of

LEEDS_LS1 = (53.7973, -1.5440)


def places_of(reply: dict) -> list[dict]:
    shown = [m["attachment"] for m in reply["messages"] if m.get("attachment")]
    assert len(shown) == 1 and shown[0]["kind"] == "places", reply["messages"]
    return shown[0]["places"]


def miles(metres: int) -> str:
    far = metres / 1609.344
    if far < 0.1:
        return "under 0.1 miles"
    shown = f"{far:.1f}" if far < 10 else f"{far:.0f}"
    return "1 mile" if shown == "1.0" else f"{shown} miles"


async def test_atm_near_a_town_is_the_banks_nearest_three_with_distance_and_open_now(
    visitor: Customer, bank: BankClient
) -> None:
    reply = visitor.say("ATM near Leeds")
    assert reply["nlu"]["intent"]["name"] == "find_place"
    assert reply["state"]["flow"] is None
    leeds = await bank.find_location("Leeds")
    assert leeds is not None
    expected = await bank.nearby_places(leeds.latitude, leeds.longitude, kind="atm")
    assert len(expected) == 3
    shown = places_of(reply)
    text = text_of(reply)
    assert "The nearest cash machines to Leeds:" in text
    for place, wanted in zip(shown, expected, strict=True):
        assert place["name"] == wanted.name
        assert place["address"] == wanted.address
        assert place["distance"] == miles(wanted.distance_m)
        assert place["open_now"] == wanted.open_now
        assert f"mlat={wanted.latitude:.5f}&mlon={wanted.longitude:.5f}" in place["map_url"]
        assert place["map_url"].startswith("https://www.openstreetmap.org/")
        assert f"{wanted.name}, {wanted.address}: {miles(wanted.distance_m)}" in text
        said = (
            "open 24 hours" if wanted.always_open else "open now" if wanted.open_now else "closed"
        )
        assert said in place["details"][0]


async def test_a_location_in_the_request_answers_where(visitor: Customer) -> None:
    asked = visitor.say("find a branch near me")
    assert asked["state"]["awaiting"] == "place_near"
    [button] = asked["messages"][-1]["buttons"]
    assert button == {"title": "Share my location", "payload": "/share_location"}
    body = {
        "conversation_id": visitor.conversation_id,
        "location": {"latitude": LEEDS_LS1[0], "longitude": LEEDS_LS1[1]},
    }
    response = visitor.http.post("/api/v1/chat/message", json=body)
    assert response.status_code == 200, response.text
    reply = response.json()
    assert "The nearest branches to you:" in text_of(reply)
    assert places_of(reply)[0]["name"] == "Teller Bank Briggate"
    assert reply["state"]["flow"] is None


async def test_filters_are_the_banks_filters(customer: Customer, bank: BankClient) -> None:
    reply = customer.say("cash machine that takes deposits near LS1")
    lat, lon = LEEDS_LS1
    expected = await bank.nearby_places(lat, lon, kind="atm", deposits=True)
    assert [p["name"] for p in places_of(reply)] == [p.name for p in expected]
    assert "(taking deposits)" in text_of(reply)
    reply = customer.say("any branches open now in Manchester")
    manchester = await bank.find_location("Manchester")
    assert manchester is not None
    open_branches = await bank.nearby_places(
        manchester.latitude, manchester.longitude, kind="branch", open_now=True
    )
    if open_branches:
        assert [p["name"] for p in places_of(reply)] == [p.name for p in open_branches]
        assert all(p["open_now"] for p in places_of(reply))
    else:  # run outside the branch's hours: says so, no list
        assert "I couldn't find any branches (open now) within 30 miles of Manchester." in (
            text_of(reply)
        )


async def test_an_unknown_place_says_so_and_offers_to_share(visitor: Customer) -> None:
    reply = visitor.say("branch in Atlantis")
    text = text_of(reply)
    assert 'I don\'t know a place called "Atlantis"' in text
    assert reply["state"]["awaiting"] == "place_near"
    assert any(b["title"] == "Share my location" for m in reply["messages"] for b in m["buttons"])
    assert not any(m.get("attachment") for m in reply["messages"])


@pytest.mark.parametrize("latitude", [200, -90.5])
async def test_a_location_off_the_map_is_refused_and_nothing_searched(
    visitor: Customer, latitude: float
) -> None:
    visitor.say("nearest cash machine")
    body = {
        "conversation_id": visitor.conversation_id,
        "location": {"latitude": latitude, "longitude": 5},
    }
    reply = visitor.http.post("/api/v1/chat/message", json=body).json()
    assert "That location isn't a point on the map" in text_of(reply)
    assert "The nearest" not in text_of(reply)
    assert reply["state"]["awaiting"] == "place_near"


@pytest.mark.parametrize(
    "location",
    [
        {"latitude": "north", "longitude": 5},
        {"latitude": 53.8},
        {"latitude": 1e9, "longitude": 5},
        {"latitude": 53.8, "longitude": -1.5, "altitude": 3},
        "53.8,-1.5",
    ],
)
def test_a_location_that_is_not_two_numbers_is_a_bad_request(
    http: httpx.Client, location: object
) -> None:
    response = http.post("/api/v1/chat/message", json={"location": location})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


def test_a_shared_location_is_stored_as_the_point_and_the_audit_names_the_places(
    visitor: Customer, events: Any
) -> None:
    visitor.say("where's the nearest cashpoint")
    body = {
        "conversation_id": visitor.conversation_id,
        "location": {"latitude": 53.959, "longitude": -1.0815},
    }
    reply = visitor.http.post("/api/v1/chat/message", json=body).json()
    assert "The nearest cash machines to you:" in text_of(reply)
    stored = list(events.find({"conversation_id": visitor.conversation_id}).sort("seq", 1))
    said = [e["data"] for e in stored if e["type"] == "user_message"]
    assert said[-1]["text"] == "📍 53.95900, -1.08150"
    assert said[-1]["intent"] == "find_place"
    [ran] = [e["data"] for e in stored if e["type"] == "action_run"]
    assert (ran["action"], ran["ok"], ran["result"]["kind"]) == ("find_places", True, "atm")
    assert ran["result"]["found"][0] == "atm-yor-station"
