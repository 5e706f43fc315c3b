"""The conversation log in MongoDB, written by group commit.

Each turn appends a few small events; when a conversation opens or its status changes, it
also updates the conversation's document (an update costs the server several times an
insert, so turns that change nothing a queue reads do not write one). Written one turn at
a time, the server's per-write cost caps throughput well below what we need, so
`append()` only queues its work and waits: a single flusher task takes everything queued
since its last write and stores it with one unordered `insert_many` for the events and one
`bulk_write` for the documents, then tells each caller how its own part went. A caller
returns only once its events are acknowledged (journaled, by a majority).

Each caller's documents are BSON-encoded in its own `append`, before they join a batch: a
value BSON refuses (a NUL in a key, an int over 8 bytes) fails that caller alone with
`UnstorableEvent`, where inside the shared `insert_many` it would fail every turn of the
batch. The encoded events go to the server as they are.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import bson
from bson import ObjectId
from bson.errors import BSONError
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, UpdateOne, WriteConcern
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from bot.events import Event
from bot.observe import metrics
from bot.ports import ConversationRecord, SeqConflict, StoreUnavailable, UnstorableEvent
from bot.store.mongo import as_unavailable, is_unavailable, unavailable_on_failure

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
DURABLE = WriteConcern(w="majority", j=True)
# What bson.encode raises for a value it cannot write.
_UNENCODABLE = (BSONError, OverflowError, UnicodeError, TypeError, ValueError)


@dataclass(slots=True)
class _Append:
    """One caller's share of a batch: its event documents (encoded, with their ids and seqs
    beside them), the conversation document's fields and the future it awaits."""

    conversation_id: str
    docs: list[RawBSONDocument]
    ids: list[ObjectId]
    seqs: list[int]
    document: dict[str, Any]
    done: asyncio.Future[None]

    def settle(self, error: BaseException | None = None) -> None:
        if self.done.done():  # the caller was cancelled; its write went ahead regardless
            return
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)


class MongoEventStore:
    """`EventStore` over collections `conversations` and `events` (unique conversation+seq).

    The worker's client and database are shared; `open()` starts the flusher and
    `close()` drains it, the client itself is closed by whoever opened it.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]], max_batch_events: int = 2000) -> None:
        durable = db.with_options(write_concern=DURABLE)
        self._db = durable
        self._conversations: AsyncCollection[dict[str, Any]] = durable["conversations"]
        self._events: AsyncCollection[dict[str, Any]] = durable["events"]
        self._max_batch_events = max_batch_events
        self._queue: asyncio.Queue[_Append | None] = asyncio.Queue()
        self._flusher: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Create the indexes (a no-op when they exist) and start the flusher."""
        with unavailable_on_failure():
            await self._events.create_index(
                [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True
            )
            await self._conversations.create_index([("customer_id", ASCENDING)])
            await self._conversations.create_index(
                [("status", ASCENDING), ("status_since", ASCENDING)]
            )
        self._flusher = asyncio.create_task(self._flush_forever(), name="event-store-flusher")

    async def close(self) -> None:
        """Write everything already queued and stop the flusher."""
        if self._flusher is not None:
            flusher, self._flusher = self._flusher, None
            self._queue.put_nowait(None)
            await flusher

    async def ping(self) -> None:
        with unavailable_on_failure():
            await self._db.command("ping")

    async def get_conversation(self, conversation_id: str) -> ConversationRecord | None:
        with unavailable_on_failure():
            doc = await self._conversations.find_one({"_id": conversation_id})
        return None if doc is None else _record(doc)

    async def conversations(self, statuses: Sequence[str], limit: int) -> list[ConversationRecord]:
        cursor = (
            self._conversations.find({"status": {"$in": list(statuses)}})
            .sort("status_since", ASCENDING)
            .limit(limit)
        )
        with unavailable_on_failure():
            return [_record(doc) async for doc in cursor]

    async def events(self, conversation_id: str, after_seq: int = 0) -> list[Event]:
        # No index hint: SecantusDB answers a hinted find with a collection scan.
        cursor = self._events.find(
            {"conversation_id": conversation_id, "seq": {"$gt": after_seq}}, {"_id": False}
        ).sort("seq", ASCENDING)
        with unavailable_on_failure():
            return [Event.from_doc(doc) async for doc in cursor]

    async def append(
        self, conversation_id: str, events: Sequence[Event], document: Mapping[str, Any]
    ) -> None:
        if self._flusher is None:
            raise StoreUnavailable("the event store is not open")
        if not events:
            raise ValueError("append needs at least one event")
        ids = [ObjectId() for _ in events]
        docs = _encoded(
            conversation_id,
            [{"_id": i, **e.to_doc(conversation_id)} for i, e in zip(ids, events, strict=True)],
            document,
        )
        work = _Append(
            conversation_id,
            docs,
            ids,
            [event.seq for event in events],
            dict(document),
            asyncio.get_running_loop().create_future(),
        )
        self._queue.put_nowait(work)
        await work.done

    async def _flush_forever(self) -> None:
        """Write whatever queued up during the previous write, as one batch, until closed."""
        closing = False
        while not closing:
            first = await self._queue.get()
            if first is None:
                return
            batch, size = [first], len(first.docs)
            while size < self._max_batch_events and not self._queue.empty():
                work = self._queue.get_nowait()
                if work is None:  # close(): write what came before it, then stop
                    closing = True
                    break
                batch.append(work)
                size += len(work.docs)
            started = time.perf_counter()
            await self._commit(batch)
            metrics.FLUSH_SECONDS.observe(time.perf_counter() - started)
            metrics.FLUSH_EVENTS.observe(size)

    async def _commit(self, batch: list[_Append]) -> None:
        """Store one batch and settle every caller's future; never raises."""
        try:
            conflicts = await self._insert_events(batch)
            stored = [work for work in batch if id(work) not in conflicts]
            await self._update_documents(stored)
        except Exception as exc:
            metrics.FLUSH_FAILURES.inc()
            if is_unavailable(exc):
                exc = as_unavailable(exc)
            else:  # a bug: surface it to every caller rather than leave them waiting
                log.exception("event store batch failed")
            for work in batch:
                work.settle(exc)
            return
        for work in batch:
            work.settle(conflicts.get(id(work)))

    async def _insert_events(self, batch: list[_Append]) -> dict[int, SeqConflict]:
        """Insert every event; return the conflicts of callers that lost a seq, by id(caller).

        A caller's append is all or nothing: when one of its events hits the unique index,
        the rest of its events that went in with this batch are deleted again.
        """
        docs = [doc for work in batch for doc in work.docs]
        try:
            await self._events.insert_many(docs, ordered=False)
            return {}
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if exc.details.get("writeConcernErrors") or any(
                error["code"] != DUPLICATE_KEY for error in errors
            ):
                raise
            rejected = {error["index"] for error in errors}
        owners = [(work, i) for work in batch for i in range(len(work.docs))]
        conflicts: dict[int, SeqConflict] = {}
        for index in sorted(rejected):
            work, i = owners[index]
            conflicts[id(work)] = SeqConflict(
                f"conversation {work.conversation_id} already has an event with seq {work.seqs[i]}"
            )
        undo = [
            work.ids[i]
            for index, (work, i) in enumerate(owners)
            if id(work) in conflicts and index not in rejected
        ]
        if undo:
            await self._events.delete_many({"_id": {"$in": undo}})
        return conflicts

    async def _update_documents(self, stored: list[_Append]) -> None:
        """One upsert per conversation: later appends' fields win and last_seq only grows."""
        fields: dict[str, dict[str, Any]] = {}
        last_seq: dict[str, int] = {}
        for work in stored:
            if not work.document:  # most turns change nothing a queue or an auditor reads
                continue
            key = work.conversation_id
            fields.setdefault(key, {}).update(work.document)
            last_seq[key] = max(last_seq.get(key, 0), *work.seqs)
        if not fields:
            return
        updates = []
        for key, values in fields.items():
            values.pop("last_seq", None)
            change: dict[str, Any] = {"$max": {"last_seq": last_seq[key]}}
            if values:
                change["$set"] = values
            updates.append(UpdateOne({"_id": key}, change, upsert=True))
        await self._conversations.bulk_write(updates, ordered=False)


def _encoded(
    conversation_id: str, docs: Sequence[dict[str, Any]], document: Mapping[str, Any]
) -> list[RawBSONDocument]:
    """The event documents as BSON, and the conversation's fields checked to encode too;
    UnstorableEvent (naming no value: it may be what a customer typed) if one does not."""
    try:
        encoded = [RawBSONDocument(bson.encode(doc)) for doc in docs]
        if document:
            bson.encode(document)
    except _UNENCODABLE as exc:
        log.warning("an append to %s cannot be stored: %s", conversation_id, type(exc).__name__)
        raise UnstorableEvent(f"an event of {conversation_id} cannot be stored") from None
    return encoded


def _record(doc: Mapping[str, Any]) -> ConversationRecord:
    return ConversationRecord(
        id=doc["_id"],
        customer_id=doc.get("customer_id"),
        channel=doc.get("channel", ""),
        created_at=doc.get("created_at", 0.0),
        status=doc.get("status", "bot"),
        agent_id=doc.get("agent_id"),
        status_since=doc.get("status_since", 0.0),
        last_seq=doc.get("last_seq", 0),
        channel_user_id=doc.get("channel_user_id"),
    )
