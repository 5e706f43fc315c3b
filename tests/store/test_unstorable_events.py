"""Group commit shares one `insert_many` between concurrent turns: an event the store cannot
encode must fail its own append only (MongoDB; the in-memory twin stores Python values)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from bot.events import USER_MESSAGE, Event
from bot.ports import UnstorableEvent
from bot.store.mongo.events import MongoEventStore
from tests.store.test_event_store import summary, turn


@pytest.mark.parametrize(
    ("data", "document"),
    [
        ({"entities": [{"entity": "payee", "value": {"a\x00b": 1}}]}, {}),  # NUL in a key
        ({"entities": [{"entity": "number", "value": 10**30}]}, {}),  # over 8 bytes
        ({"text": "half a pair \ud800"}, {}),  # a lone surrogate is not UTF-8
        ({"text": "fine"}, {"channel_user_id": "\ud800"}),  # the conversation document
    ],
    ids=["nul-key", "huge-int", "surrogate", "document"],
)
async def test_an_unencodable_append_fails_alone_and_its_batch_is_stored(
    mongo_store: MongoEventStore, data: dict[str, Any], document: dict[str, Any]
) -> None:
    """Issue 10, finding 1: a value BSON refuses failed the whole group-commit batch, so
    every turn that happened to share the `insert_many` failed with it."""
    others = [uuid.uuid4().hex for _ in range(20)]
    bad = uuid.uuid4().hex
    results = await asyncio.gather(
        *(mongo_store.append(other, turn(1), summary(3)) for other in others[:10]),
        mongo_store.append(bad, [Event(USER_MESSAGE, data, seq=1)], summary(1) | document),
        *(mongo_store.append(other, turn(1), summary(3)) for other in others[10:]),
        return_exceptions=True,
    )
    assert isinstance(results[10], UnstorableEvent), results[10]
    assert [r for i, r in enumerate(results) if i != 10] == [None] * 20
    for other in others:
        assert [e.seq for e in await mongo_store.events(other)] == [1, 2, 3]
        record = await mongo_store.get_conversation(other)
        assert record is not None and record.last_seq == 3
    assert await mongo_store.events(bad) == []
    assert await mongo_store.get_conversation(bad) is None
    # The flusher is still writing.
    await mongo_store.append(bad, turn(1), summary(3))
    assert len(await mongo_store.events(bad)) == 3
