"""The event store contract, for MongoDB (SecantusDB or $MONGODB_URI) and its in-memory twin;
group commit, durability and failures for MongoDB alone."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from pymongo import monitoring

from bot.events import BOT_MESSAGE, SLOT_SET, USER_MESSAGE, Event
from bot.ports import ConversationRecord, EventStore, SeqConflict, StoreUnavailable
from bot.store.mongo import connect_mongo
from bot.store.mongo.events import MongoEventStore
from tests.store.conftest import open_mongo_store
from tests.support.mongo import start_secantus, unique_db_name


def new_id() -> str:
    return uuid.uuid4().hex


def turn(first_seq: int, text: str = "send 50 to Alice") -> list[Event]:
    return [
        Event(USER_MESSAGE, {"text": text, "intent": "transfer_money"}, seq=first_seq),
        Event(SLOT_SET, {"name": "amount", "value": "50.00"}, seq=first_seq + 1),
        Event(BOT_MESSAGE, {"text": "Who to?", "buttons": []}, seq=first_seq + 2),
    ]


def summary(last_seq: int, status: str = "bot") -> dict:
    return {"status": status, "last_seq": last_seq, "updated_at": time.time(), "status_since": 5.0}


class EventInserts(monitoring.CommandListener):
    """Counts `insert` commands sent to one database's events collection."""

    def __init__(self, db_name: str) -> None:
        self.db_name, self.count = db_name, 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert" and event.database_name == self.db_name:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_events_come_back_in_seq_order_with_their_content(store: EventStore) -> None:
    conversation = new_id()
    first, second = turn(1, "hello"), turn(4, "send 50 to Alice")
    await store.append(conversation, first, summary(3))
    await store.append(conversation, second, summary(6))

    stored = await store.events(conversation)
    assert stored == [*first, *second]
    assert [e.seq for e in await store.events(conversation, after_seq=4)] == [5, 6]
    assert await store.events(conversation, after_seq=6) == []


async def test_an_unknown_conversation_has_no_events_and_no_record(store: EventStore) -> None:
    assert await store.events("no-such-conversation") == []
    assert await store.get_conversation("no-such-conversation") is None


async def test_events_of_one_conversation_never_show_in_another(store: EventStore) -> None:
    mine, theirs = new_id(), new_id()
    await asyncio.gather(
        store.append(mine, turn(1, "mine"), summary(3)),
        store.append(theirs, turn(1, "theirs"), summary(3)),
    )
    assert {e.data.get("text") for e in await store.events(mine)} == {"mine", "Who to?", None}


async def test_append_sets_the_conversation_summary(store: EventStore) -> None:
    conversation = new_id()
    opened = {"customer_id": "cust-001", "channel": "rest", "created_at": 1000.0}
    await store.append(conversation, turn(1), summary(3) | opened)
    await store.append(conversation, turn(4), summary(6, status="queued"))

    record = await store.get_conversation(conversation)
    assert record == ConversationRecord(
        id=conversation,
        customer_id="cust-001",
        channel="rest",
        created_at=1000.0,
        status="queued",
        status_since=5.0,
        last_seq=6,
    )


async def test_conversations_are_listed_by_status_longest_waiting_first(store: EventStore) -> None:
    waiting = {new_id(): since for since in (30.0, 10.0, 20.0)}
    for conversation, since in waiting.items():
        await store.append(conversation, turn(1), {"status": "queued", "status_since": since})
    held = new_id()
    await store.append(held, turn(1), {"status": "agent", "agent_id": "ana", "status_since": 15.0})
    await store.append(new_id(), turn(1), {"status": "bot", "status_since": 1.0})

    listed = await store.conversations(("queued", "agent"), limit=10)
    mine = [r for r in listed if r.id in waiting or r.id == held]
    assert [r.status_since for r in mine] == [10.0, 15.0, 20.0, 30.0]
    assert next(r for r in mine if r.id == held).agent_id == "ana"
    assert len(await store.conversations(("queued",), limit=2)) == 2


async def test_last_seq_never_goes_back(store: EventStore) -> None:
    conversation = new_id()
    await store.append(conversation, turn(10), summary(12))
    await store.append(conversation, turn(1), summary(3))
    record = await store.get_conversation(conversation)
    assert record is not None and record.last_seq == 12


async def test_a_taken_seq_fails_only_its_own_caller_in_a_batch(store: EventStore) -> None:
    taken, others = new_id(), [new_id() for _ in range(30)]
    await store.append(taken, turn(1, "first writer"), summary(3))

    results = await asyncio.gather(
        *(store.append(other, turn(1), summary(3)) for other in others[:15]),
        store.append(taken, turn(3, "second writer"), summary(5, status="queued")),
        *(store.append(other, turn(1), summary(3)) for other in others[15:]),
        return_exceptions=True,
    )

    assert isinstance(results[15], SeqConflict)
    assert [r for i, r in enumerate(results) if i != 15] == [None] * 30
    # All or nothing: the loser's events after the clash (seq 4, 5) were not kept either.
    assert [e.data.get("text") for e in await store.events(taken)] == [
        "first writer",
        None,
        "Who to?",
    ]
    record = await store.get_conversation(taken)
    assert record is not None and (record.status, record.last_seq) == ("bot", 3)
    for other in others:
        assert [e.seq for e in await store.events(other)] == [1, 2, 3]


async def test_two_writers_racing_for_the_same_seqs_one_wins(store: EventStore) -> None:
    conversation = new_id()
    results = await asyncio.gather(
        store.append(conversation, turn(1, "worker A"), summary(3)),
        store.append(conversation, turn(1, "worker B"), summary(3)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NoneType", "SeqConflict"]
    winner = "worker A" if results[0] is None else "worker B"
    stored = await store.events(conversation)
    assert [e.seq for e in stored] == [1, 2, 3]
    assert stored[0].data["text"] == winner


async def test_concurrent_appends_are_all_stored_in_a_few_writes(mongo_uri: str) -> None:
    db_name = unique_db_name("store")
    inserts = EventInserts(db_name)
    monitoring.register(inserts)  # seen by clients created from now on
    async with open_mongo_store(mongo_uri, db_name) as store:
        conversations = [new_id() for _ in range(200)]
        await asyncio.gather(*(store.append(c, turn(1), summary(3)) for c in conversations))
        assert inserts.count < 20  # group commit: far fewer writes than appends
        for conversation in conversations[::20]:
            assert [e.seq for e in await store.events(conversation)] == [1, 2, 3]
        records = [await store.get_conversation(c) for c in conversations[:10]]
        assert all(r is not None and r.last_seq == 3 for r in records)


async def test_close_writes_what_is_queued_and_then_refuses(mongo_uri: str) -> None:
    db_name = unique_db_name("store")
    client = connect_mongo(mongo_uri)
    store = MongoEventStore(client.get_database(db_name))
    await store.open()
    conversations = [new_id() for _ in range(50)]
    pending = [asyncio.create_task(store.append(c, turn(1), summary(3))) for c in conversations]
    await asyncio.sleep(0)  # the appends are queued, not yet written
    await store.close()
    assert all(task.done() for task in pending)
    await asyncio.gather(*pending)
    with pytest.raises(StoreUnavailable):
        await store.append(new_id(), turn(1), summary(3))
    await client.close()

    async with open_mongo_store(mongo_uri, db_name) as reopened:
        for conversation in conversations:
            assert len(await reopened.events(conversation)) == 3


async def test_append_refuses_an_empty_list(store: EventStore) -> None:
    with pytest.raises(ValueError, match="at least one event"):
        await store.append(new_id(), [], summary(0))


async def test_append_before_open_is_refused(mongo_uri: str) -> None:
    client = connect_mongo(mongo_uri)
    store = MongoEventStore(client.get_database(unique_db_name("store")))
    with pytest.raises(StoreUnavailable):
        await store.append(new_id(), turn(1), summary(3))
    await client.close()


async def test_nothing_listening_is_store_unavailable_within_seconds() -> None:
    client = connect_mongo("mongodb://127.0.0.1:1/?directConnection=true")
    store = MongoEventStore(client.get_database("nowhere"))
    for operation in (store.ping, store.open, lambda: store.events("x")):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await operation()
        assert time.monotonic() - started < 5
    await store.close()
    await client.close()


async def test_server_gone_is_store_unavailable_and_acked_events_survive_a_restart(
    tmp_path: Path,
) -> None:
    data_dir, db_name, conversation = tmp_path / "data", unique_db_name("store"), new_id()
    acknowledged = turn(1)
    uri, stop = start_secantus(data_dir)
    try:
        async with open_mongo_store(uri, db_name) as store:
            await store.append(conversation, acknowledged, summary(3))
            stop()
            for operation in (
                lambda: store.append(conversation, turn(4), summary(6)),
                lambda: store.events(conversation),
                store.ping,
            ):
                started = time.monotonic()
                with pytest.raises(StoreUnavailable):
                    await operation()
                assert time.monotonic() - started < 8
    finally:
        stop()

    uri, stop = start_secantus(data_dir)  # the same data, served again
    try:
        async with open_mongo_store(uri, db_name) as reopened:
            assert await reopened.events(conversation) == acknowledged
    finally:
        stop()
