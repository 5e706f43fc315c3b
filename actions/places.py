"""Branches and cash machines near the customer: where, from a typed town or postcode or a
shared location, and the nearest three with their distance, whether they are open now, the
address and a map link.

A typed place is looked up in the bank's gazetteer (`PlacesBank.find_location`); a shared
location arrives as `geo:<lat>,<lon>` (`bot.messages.shared_location`) and is checked to be
a point on Earth. Nothing here is about the customer's accounts: anyone may ask.
"""

from __future__ import annotations

import re
from typing import Any

from actions.replies import BANK_UNAVAILABLE, bank_unavailable
from bot.bank import BankError, NearbyPlace
from bot.handlers import ActionContext, ActionResult, Place, Places, Reply, action

_GEO = re.compile(r"^geo:(?P<lat>[-+]?\d{1,7}(?:\.\d+)?),(?P<lon>[-+]?\d{1,7}(?:\.\d+)?)$")
# Words around a place's name in a typed answer ("near Leeds please", "in M1").
_AROUND = re.compile(
    r"^(?:(?:i'?m|i am|we'?re|we are)\s+)?(?:(?:in|near(?:\s+to)?|around|at|by|close\s+to|"
    r"round|somewhere\s+in|the\s+one\s+in|one\s+in)\s+)?(?P<place>.*?)"
    r"(?:\s+(?:please|pls|thanks|thank\s+you|area|city\s+centre|city\s+center|town\s+centre|"
    r"centre|center))*$",
    re.IGNORECASE,
)
_HERE = re.compile(
    r"^(?:near\s+|around\s+|close\s+to\s+)?(?:me|here|my\s+location|where\s+i\s+am|"
    r"my\s+current\s+location|current\s+location|nearby|near\s+by|close\s+by|around)$",
    re.IGNORECASE,
)
MAX_SAID = 60  # how much of an unknown place is repeated back
LIMIT = 3
WITHIN_MILES = 30  # the bank searches 50 km around the point


def miles(metres: int) -> float:
    return metres / 1609.344


def distance_text(ctx: ActionContext, metres: int) -> str:
    far = miles(metres)
    if far < 0.1:
        return ctx.text("place_distance_near")
    if far < 10:
        shown = f"{far:.1f}"
        return ctx.text("place_distance_one" if shown == "1.0" else "place_distance", miles=shown)
    return ctx.text("place_distance", miles=f"{far:.0f}")


def map_url(latitude: float, longitude: float) -> str:
    """OpenStreetMap with a marker on the place."""
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def _today(place: NearbyPlace) -> Any:
    return next((h for h in place.hours if h.day == place.today), None)


def _open_text(ctx: ActionContext, place: NearbyPlace) -> str:
    if place.always_open:
        return ctx.text("place_open_always")
    today = _today(place)
    if place.open_now:
        if today is not None and today.closes:
            return ctx.text("place_open_until", closes=today.closes)
        return ctx.text("place_open")
    if today is None or not today.opens:
        return ctx.text("place_closed_today", day=place.today)
    return ctx.text("place_closed_hours", day=place.today, opens=today.opens, closes=today.closes)


def _details(ctx: ActionContext, place: NearbyPlace) -> tuple[str, ...]:
    details = [_open_text(ctx, place)]
    if place.deposits:
        details.append(ctx.text("place_takes_deposits"))
    if place.accessible:
        details.append(ctx.text("place_step_free"))
    return tuple(details)


_WHAT = {"atm": "place_what_atm", "branch": "place_what_branch"}


def _what(ctx: ActionContext, kind: str | None) -> str:
    return ctx.text(
        {"atm": "place_what_atm", "branch": "place_what_branch"}.get(kind or "", "place_what_any")
    )


def _kind(value: Any) -> str | None:
    said = str(value or "").strip().lower()
    return said if said in ("atm", "branch") else None


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() in ("yes", "true", "1")


def _filters(ctx: ActionContext, slots: Any) -> str:
    parts = [
        ctx.text(key)
        for slot, key in (
            ("place_deposits", "place_filter_deposits"),
            ("place_open_now", "place_filter_open_now"),
            ("place_accessible", "place_filter_accessible"),
        )
        if _yes(slots.get(slot))
    ]
    return ctx.text("place_filters", filters=", ".join(parts)) if parts else ""


def _share_button(ctx: ActionContext) -> tuple[tuple[str, str], ...]:
    return ((ctx.text("place_share_button"), "/share_location"),)


PLACE_TEXTS = {
    "place_distance": ["miles"],
    "place_distance_one": [],
    "place_distance_near": [],
    "place_open_always": [],
    "place_open_until": ["closes"],
    "place_open": [],
    "place_closed_today": ["day"],
    "place_closed_hours": ["day", "opens", "closes"],
    "place_takes_deposits": [],
    "place_step_free": [],
    "place_what_atm": [],
    "place_what_branch": [],
    "place_what_any": [],
    "place_filter_deposits": [],
    "place_filter_open_now": [],
    "place_filter_accessible": [],
    "place_filters": ["filters"],
    "place_share_button": [],
}


@action(
    "validate_place_near",
    says={
        "utter_place_location_invalid": [],
        "utter_place_unknown": ["said"],
        "utter_place_need_location": [],
        "place_your_location": [],
        **PLACE_TEXTS,
        **BANK_UNAVAILABLE,
    },
    sets=["place_latitude", "place_longitude", "place_where"],
)
async def validate_place_near(ctx: ActionContext) -> ActionResult:
    """A shared location (`geo:lat,lon`, a point on Earth) or a town or postcode the bank
    knows; anything else is answered with what was not understood and a way to share."""
    said = " ".join(str(ctx.slots.get("place_near") or "").split())
    geo = _GEO.match(said.lower())
    if said.lower().startswith("geo:"):
        lat = float(geo.group("lat")) if geo else None
        lon = float(geo.group("lon")) if geo else None
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            reply = Reply("utter_place_location_invalid", buttons=_share_button(ctx))
            return ActionResult(ok=False, error="location_invalid", replies=[reply])
        return ActionResult(
            slots={
                "place_latitude": lat,
                "place_longitude": lon,
                "place_where": ctx.text("place_your_location"),
            }
        )
    if _HERE.match(said.strip(" .?!")):
        reply = Reply("utter_place_need_location")
        return ActionResult(ok=False, error="location_needed", replies=[reply])
    match = _AROUND.match(said.strip(" .?!,"))
    wanted = (match.group("place") if match else said).strip(" .?!,")
    try:
        found = None
        words = wanted.split()
        # "Birmingham New Street": the longest start of it the bank knows
        for end in range(min(len(words), 4), 0, -1):
            if len(" ".join(words[:end])) > 100:
                continue
            found = await ctx.bank.find_location(" ".join(words[:end]))
            if found is not None:
                break
    except BankError as exc:
        return bank_unavailable("validate_place_near", exc)
    if found is None:
        shown = said if len(said) <= MAX_SAID else said[: MAX_SAID - 1] + "…"
        reply = Reply("utter_place_unknown", {"said": shown}, buttons=_share_button(ctx))
        return ActionResult(ok=False, error="location_unknown", replies=[reply])
    return ActionResult(
        slots={
            "place_latitude": found.latitude,
            "place_longitude": found.longitude,
            "place_where": found.name,
        }
    )


@action(
    "find_places",
    says={
        "utter_places_found": ["what", "where", "filters", "lines"],
        "utter_places_none": ["what", "where", "filters", "miles"],
        "place_line": ["name", "address", "distance", "open"],
        **PLACE_TEXTS,
        **BANK_UNAVAILABLE,
    },
)
async def find_places(ctx: ActionContext) -> ActionResult:
    slots = ctx.slots
    kind = _kind(slots.get("place_kind"))
    latitude, longitude = float(slots["place_latitude"]), float(slots["place_longitude"])
    try:
        found = await ctx.bank.nearby_places(
            latitude,
            longitude,
            kind=kind,
            deposits=_yes(slots.get("place_deposits")),
            accessible=_yes(slots.get("place_accessible")),
            open_now=_yes(slots.get("place_open_now")),
            limit=LIMIT,
        )
    except BankError as exc:
        return bank_unavailable("find_places", exc)
    said = {
        "what": _what(ctx, kind),
        "where": str(slots.get("place_where") or ""),
        "filters": _filters(ctx, slots),
    }
    audit = {"kind": kind or "any", "found": [p.id for p in found]}
    if not found:
        return ActionResult(
            replies=[Reply("utter_places_none", {**said, "miles": WITHIN_MILES})], audit=audit
        )
    lines, shown = [], []
    for place in found:
        distance = distance_text(ctx, place.distance_m)
        lines.append(
            ctx.text(
                "place_line",
                name=place.name,
                address=place.address,
                distance=distance,
                open=_open_text(ctx, place),
            )
        )
        shown.append(
            Place(
                name=place.name,
                address=place.address,
                distance=distance,
                map_url=map_url(place.latitude, place.longitude),
                open_now=place.open_now,
                details=_details(ctx, place),
            )
        )
    reply = Reply(
        "utter_places_found", {**said, "lines": "\n".join(lines)}, attachment=Places(tuple(shown))
    )
    return ActionResult(replies=[reply], audit=audit)
