"""Publish/subscribe between workers: how an agent on one worker reaches a customer on another.

`LocalBus` serves a single process; `RedisBus` spans workers through Redis pub/sub. Both
deliver JSON-able dicts, at most once, to subscribers present when a message is published:
anything a late subscriber must see is replayed from the event store, not from the bus.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.ports import StoreUnavailable

Message = tuple[str, dict[str, Any]]  # (topic, payload)


class Subscription(Protocol):
    async def get(self, within: float | None = None) -> Message | None:
        """The next message, or None if `within` seconds pass first (or after unsubscribing)."""
        ...


class Bus(Protocol):
    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        """Use as `async with bus.subscribe("conv:ID") as sub:`; unsubscribes on exit."""
        ...


class _QueueSubscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=1000)

    async def get(self, within: float | None = None) -> Message | None:
        try:
            return await asyncio.wait_for(self.queue.get(), within)
        except TimeoutError:
            return None


class LocalBus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[_QueueSubscription]] = defaultdict(set)

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        message = (topic, json.loads(json.dumps(payload)))  # same copy semantics as Redis
        for subscription in tuple(self._subscribers.get(topic, ())):
            if not subscription.queue.full():
                subscription.queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        subscription = _QueueSubscription()
        for topic in topics:
            self._subscribers[topic].add(subscription)
        try:
            yield subscription
        finally:
            for topic in topics:
                self._subscribers[topic].discard(subscription)
                if not self._subscribers[topic]:
                    del self._subscribers[topic]


class _RedisSubscription:
    def __init__(self, pubsub: Any, prefix_length: int) -> None:
        self._pubsub = pubsub
        self._cut = prefix_length
        self.closed = False

    async def get(self, within: float | None = None) -> Message | None:
        if self.closed:  # never spin: a closed subscription waits out `within`, then says so
            if within is None:
                raise RuntimeError("get() on a subscription that has been closed")
            await asyncio.sleep(within)
            return None
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while not self.closed:
            wait = 1.0 if deadline is None else max(0.0, deadline - loop.time())
            try:
                raw = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=wait)
            except RedisError as exc:
                raise StoreUnavailable("pub/sub connection lost") from exc
            if raw is not None:
                return raw["channel"].decode()[self._cut :], json.loads(raw["data"])
            if deadline is not None and loop.time() >= deadline:
                return None
        return None


class RedisBus:
    def __init__(self, redis: Redis, prefix: str = "teller:") -> None:
        self._redis = redis
        self._prefix = prefix + "bus:"

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        try:
            await self._redis.publish(self._prefix + topic, json.dumps(payload))
        except RedisError as exc:
            raise StoreUnavailable("cannot publish") from exc

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[Subscription]:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(*(self._prefix + t for t in topics))
        except RedisError as exc:
            await pubsub.aclose()
            raise StoreUnavailable("cannot subscribe") from exc
        subscription = _RedisSubscription(pubsub, len(self._prefix))
        try:
            yield subscription
        finally:
            subscription.closed = True
            await pubsub.aclose()
