"""Events the bank sends Teller over a signed webhook, and when they may be told.

`verify` checks an event before anything of it is stored: `X-Bank-Signature` must be
`sha256=` and the hex HMAC-SHA256 of `{X-Bank-Timestamp}.{raw body}` under the shared
secret (TELLER_BANK_EVENTS_SECRET), compared in constant time, and the timestamp within
`timestamp_window_seconds` of now, so a captured event cannot be replayed later. Within
the window a replay is caught by the event id: `AlertStore.record` inserts under a unique
index on it, and a second delivery of the same id stores nothing (`Duplicate`).

`QuietHours` says until when an alert waits (local time, Europe/London by default).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.bank_alerts import ALERT_KINDS

SECRET_VARIABLE = "TELLER_BANK_EVENTS_SECRET"
MAX_ID_CHARS = 64


class EventRefused(Exception):
    """Not a genuine, fresh event: `reason` is missing_signature, bad_signature,
    stale_timestamp or malformed. Nothing of it is stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BankEvent:
    event_id: str
    customer_id: str
    kind: str
    created_at: str
    data: dict[str, str] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "customer_id": self.customer_id,
            "kind": self.kind,
            "created_at": self.created_at,
            "data": dict(self.data),
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> BankEvent:
        return cls(doc["event_id"], doc["customer_id"], doc["kind"], doc["created_at"], doc["data"])


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    window_seconds: float,
) -> BankEvent:
    """The event, or EventRefused; the signature is checked before the body is parsed."""
    if not timestamp or not signature:
        raise EventRefused("missing_signature")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.encode()):
        raise EventRefused("bad_signature")
    try:
        stamped = int(timestamp)
    except ValueError:
        raise EventRefused("bad_signature") from None
    if abs(now - stamped) > window_seconds:
        raise EventRefused("stale_timestamp")
    try:
        raw = json.loads(body)
        event = BankEvent(
            event_id=_short(raw["EventId"]),
            customer_id=_short(raw["CustomerId"]),
            kind=raw["Kind"],
            created_at=_short(raw["CreationDateTime"]),
            data={str(k): "" if v is None else str(v) for k, v in _flat(raw.get("Data") or {})},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise EventRefused("malformed") from None
    if event.kind not in ALERT_KINDS:
        raise EventRefused("malformed")
    return event


def _short(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS:
        raise ValueError("not a short string")
    return value


def _flat(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """{"Amount": {"Amount": "1.00"}} as [("Amount.Amount", "1.00")]: events carry strings."""
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            items.extend(_flat(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    if len(items) > 40:
        raise ValueError("too many fields")
    return items


class Duplicate(Exception):
    """This event id was received before: nothing is stored twice."""


class AlertStore(Protocol):
    """Received bank events (`bank_events`, unique on the event id) and what became of them."""

    async def record(self, event: BankEvent, received_at: float) -> None:
        """Store a new event as `received`; raises Duplicate for an id seen before."""
        ...

    async def hold(self, event_id: str, until: float) -> None: ...

    async def take_due(self, now: float) -> BankEvent | None:
        """A held event whose quiet hours are over, taken by this worker alone, or None."""
        ...

    async def finished(self, event_id: str, deliveries: list[dict[str, Any]], now: float) -> None:
        """Delivered (or nowhere to deliver): `deliveries` says where, and how."""
        ...


class QuietHours:
    def __init__(self, start: str, end: str, timezone: str) -> None:
        self._start = time.fromisoformat(start)
        self._end = time.fromisoformat(end)
        self._zone = ZoneInfo(timezone)

    def until(self, now: float) -> float | None:
        """When the quiet hours `now` is in end (epoch seconds); None when it is in none."""
        if self._start == self._end:
            return None
        local = datetime.fromtimestamp(now, self._zone)
        clock = local.time()
        if self._start < self._end:
            inside = self._start <= clock < self._end
        else:  # overnight: 22:00-07:00
            inside = clock >= self._start or clock < self._end
        if not inside:
            return None
        end = local.replace(hour=self._end.hour, minute=self._end.minute, second=0, microsecond=0)
        if end <= local:
            end = (end + timedelta(days=1)).replace(tzinfo=self._zone)
        return end.timestamp()
