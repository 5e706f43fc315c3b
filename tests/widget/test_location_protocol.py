"""The widget's location frame on a real socket, without a browser: a position is a turn
(the finder's answer to "where"), and a frame without two finite numbers is refused while
the socket goes on taking turns."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.stack import Stack
from tests.widget.test_resume_protocol import _id, tab


def test_a_location_frame_is_a_turn_that_answers_where(stack: Stack, token: str) -> None:
    with tab(stack, token) as (me, _, _):
        asked = me.say("nearest cash machine")
        assert asked["state"]["awaiting"] == "place_near"
        client_id = _id()
        me.send(
            {"type": "location", "latitude": 51.508, "longitude": -0.1247, "client_id": client_id}
        )
        _, reply = me.until("reply")
        assert reply["client_id"] == client_id
        text = "\n".join(m["text"] for m in reply["messages"])
        assert "The nearest cash machines to you:" in text
        [attachment] = [m["attachment"] for m in reply["messages"] if m.get("attachment")]
        assert attachment["kind"] == "places"
        assert attachment["places"][0]["name"] == "Charing Cross station cash machine"
        mine = [f for f in reply["frames"] if f.get("from") == "customer"]
        assert mine and mine[0]["text"] == "📍 51.50800, -0.12470"


@pytest.mark.parametrize(
    "frame",
    [
        {"latitude": "51.5", "longitude": -0.12},
        {"latitude": 51.5},
        {"latitude": True, "longitude": False},
        {"latitude": 1e300, "longitude": 0},
        {"latitude": None, "longitude": None},
    ],
)
def test_a_location_frame_without_two_numbers_is_refused(
    stack: Stack, token: str, frame: dict[str, Any]
) -> None:
    with tab(stack, token) as (me, _, _):
        client_id = _id()
        me.send({"type": "location", "client_id": client_id, **frame})
        error = me.recv()
        assert error["type"] == "error" and error["error"]["code"] == "bad_request"
        assert "latitude and longitude" in error["error"]["message"]
        assert me.say("ATM near York")["messages"][0]["text"].startswith("The nearest")


def test_a_location_off_the_map_is_answered_in_words(stack: Stack, token: str) -> None:
    with tab(stack, token) as (me, _, _):
        me.say("find a branch")
        me.send({"type": "location", "latitude": 200, "longitude": 5, "client_id": _id()})
        _, reply = me.until("reply")
        text = "\n".join(m["text"] for m in reply["messages"])
        assert "That location isn't a point on the map" in text
        assert reply["state"]["awaiting"] == "place_near"
