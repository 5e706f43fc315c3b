"""The in-process twin of `AlertStore` (bot/store/mongo/alerts.py), for one dev worker."""

from __future__ import annotations

import time
from typing import Any

from bot.bank_events import BankEvent, Duplicate


class MemoryAlertStore:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def record(self, event: BankEvent, received_at: float) -> None:
        if event.event_id in self.docs:
            raise Duplicate(event.event_id)
        self.docs[event.event_id] = {
            **event.to_doc(),
            "status": "received",
            "received_at": received_at,
        }

    async def hold(self, event_id: str, until: float) -> None:
        self.docs[event_id] |= {"status": "held", "deliver_after": until}

    async def take_due(self, now: float) -> BankEvent | None:
        due = [d for d in self.docs.values() if d["status"] == "held" and d["deliver_after"] <= now]
        if not due:
            return None
        doc = min(due, key=lambda d: d["deliver_after"])
        doc |= {"status": "delivering", "taken_at": now}
        return BankEvent.from_doc(doc)

    async def finished(self, event_id: str, deliveries: list[dict[str, Any]], now: float) -> None:
        self.docs[event_id] |= {"status": "finished", "deliveries": deliveries, "finished_at": now}


class MemoryLiveChats:
    """`LiveChats` for one worker."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._open: dict[str, dict[str, float]] = {}

    async def beat(self, customer_id: str, conversation_id: str) -> None:
        self._open.setdefault(customer_id, {})[conversation_id] = time.time() + self._ttl

    async def leave(self, customer_id: str, conversation_id: str) -> None:
        self._open.get(customer_id, {}).pop(conversation_id, None)

    async def of(self, customer_id: str) -> list[str]:
        now = time.time()
        return [c for c, until in self._open.get(customer_id, {}).items() if until > now]
