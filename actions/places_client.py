"""The bank's branch and cash machine finder over HTTP: mixed into `BankClient`."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from bot.bank import BankRejected, DayHours, KnownLocation, NearbyPlace


def _place(data: dict[str, Any]) -> NearbyPlace:
    return NearbyPlace(
        id=data["PlaceId"],
        kind=data["Kind"],
        name=data["Name"],
        address=data["Address"],
        latitude=float(data["Latitude"]),
        longitude=float(data["Longitude"]),
        distance_m=int(data["DistanceMetres"]),
        open_now=bool(data["OpenNow"]),
        always_open=bool(data.get("AlwaysOpen", False)),
        deposits=bool(data["Services"]["Deposits"]),
        accessible=bool(data["Services"]["Accessible"]),
        today=data["Today"],
        hours=tuple(
            DayHours(h["Day"], h.get("Opens"), h.get("Closes")) for h in data["OpeningHours"]
        ),
    )


class _Transport(Protocol):
    _http: httpx.AsyncClient

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


class PlacesCalls:
    """Where the bank's branches and cash machines are, and the places it measures from."""

    async def find_location(self: _Transport, query: str) -> KnownLocation | None:
        try:
            body = await self._get("/places/locations", {"query": query})
        except BankRejected as exc:
            if exc.code == "location_unknown":
                return None
            raise
        found = body["Data"]["Location"]
        return KnownLocation(
            name=found["Name"],
            kind=found["Kind"],
            town=found["Town"],
            latitude=float(found["Latitude"]),
            longitude=float(found["Longitude"]),
        )

    async def nearby_places(
        self: _Transport,
        latitude: float,
        longitude: float,
        *,
        kind: str | None = None,
        deposits: bool = False,
        accessible: bool = False,
        open_now: bool = False,
        limit: int = 3,
    ) -> list[NearbyPlace]:
        params = {
            "latitude": f"{latitude:.6f}",
            "longitude": f"{longitude:.6f}",
            "kind": kind,
            "deposits": "true" if deposits else None,
            "accessible": "true" if accessible else None,
            "open_now": "true" if open_now else None,
            "limit": limit,
        }
        body = await self._get("/places", params)
        return [_place(p) for p in body["Data"]["Place"]]
