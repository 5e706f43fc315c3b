"""MongoDB adapter of `AlertStore`: the bank's events as Teller received them.

Collection `bank_events`: one document per event, with a unique index on `event_id`, so a
replayed event is refused by the database itself, on any worker. Each document says what
became of the event: `received`, `held` (quiet hours, until `deliver_after`), `delivering`
(taken by one worker) or `finished` with its `deliveries` (channel, conversation, how).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bot.bank_events import BankEvent, Duplicate
from bot.store.mongo import unavailable_on_failure

Database = AsyncDatabase[dict[str, Any]]
TAKE_LEASE_SECONDS = 60.0  # a worker that died while delivering frees the event after this


class MongoAlertStore:
    def __init__(self, db: Database) -> None:
        self._events = db["bank_events"]

    async def open(self) -> None:
        with unavailable_on_failure():
            await self._events.create_index([("event_id", ASCENDING)], unique=True)
            await self._events.create_index([("status", ASCENDING), ("deliver_after", ASCENDING)])

    async def record(self, event: BankEvent, received_at: float) -> None:
        doc = {**event.to_doc(), "status": "received", "received_at": received_at}
        with unavailable_on_failure():
            try:
                await self._events.insert_one(doc)
            except DuplicateKeyError:
                raise Duplicate(event.event_id) from None

    async def hold(self, event_id: str, until: float) -> None:
        with unavailable_on_failure():
            await self._events.update_one(
                {"event_id": event_id}, {"$set": {"status": "held", "deliver_after": until}}
            )

    async def take_due(self, now: float) -> BankEvent | None:
        with unavailable_on_failure():
            doc = await self._events.find_one_and_update(
                {
                    "$or": [
                        {"status": "held", "deliver_after": {"$lte": now}},
                        {"status": "delivering", "taken_at": {"$lte": now - TAKE_LEASE_SECONDS}},
                    ]
                },
                {"$set": {"status": "delivering", "taken_at": now}},
                sort=[("deliver_after", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
        return None if doc is None else BankEvent.from_doc(doc)

    async def finished(self, event_id: str, deliveries: list[dict[str, Any]], now: float) -> None:
        with unavailable_on_failure():
            await self._events.update_one(
                {"event_id": event_id},
                {"$set": {"status": "finished", "deliveries": deliveries, "finished_at": now}},
            )
