"""Appends per second through MongoEventStore's group commit, at concurrency 1 and 64.

Starts SecantusDB (or uses $MONGODB_URI) and runs, for a few seconds per level, N
concurrent writers each appending turn-sized batches (3 events and a summary) to their
own conversations, as the turn engine does. Prints appends/s and append latency.

    .venv/bin/python bench/store.py [--seconds 5] [--concurrency 1 64]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.events import BOT_MESSAGE, SLOT_SET, USER_MESSAGE, Event
from bot.store.mongo import connect_mongo
from bot.store.mongo.events import MongoEventStore
from tests.support.mongo import mongo_server, unique_db_name


def turn(seq: int) -> list[Event]:
    return [
        Event(USER_MESSAGE, {"text": "send 50 to Alice", "intent": "transfer_money"}, seq=seq),
        Event(SLOT_SET, {"name": "amount", "value": "50.00"}, seq=seq + 1),
        Event(BOT_MESSAGE, {"text": "Who should I send it to?", "buttons": []}, seq=seq + 2),
    ]


async def writer(store: MongoEventStore, until: float, latencies: list[float]) -> None:
    conversation_id, seq = uuid.uuid4().hex, 1
    while time.perf_counter() < until:
        events = turn(seq)
        started = time.perf_counter()
        await store.append(
            conversation_id, events, {"status": "bot", "last_seq": seq + 2, "updated_at": started}
        )
        latencies.append(time.perf_counter() - started)
        seq += len(events)


async def measure(uri: str, concurrency: int, seconds: float) -> None:
    client = connect_mongo(uri)
    store = MongoEventStore(client.get_database(unique_db_name("bench")))
    await store.open()
    latencies: list[float] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(writer(store, until, latencies) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await store.close()
    await client.close()
    latencies.sort()
    p50, p99 = (latencies[int(len(latencies) * q)] * 1000 for q in (0.5, 0.99))
    print(
        f"concurrency {concurrency:>3}: {len(latencies) / elapsed:7.0f} appends/s "
        f"({3 * len(latencies) / elapsed:.0f} events/s), "
        f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, mongo_server(Path(tmp) / "mongo") as (uri, _):
        for concurrency in args.concurrency:
            await measure(uri, concurrency, args.seconds)


if __name__ == "__main__":
    asyncio.run(main())
