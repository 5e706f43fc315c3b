"""MongoDB adapters for the records beside the conversations: agents, account links,
and what the messaging channels keep (chat conversations, button payloads, deliveries)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bot.ports import AgentRecord, AlreadyExists, ChatLink
from bot.store.mongo import unavailable_on_failure

Database = AsyncDatabase[dict[str, Any]]


class MongoAgentStore:
    """Collection `agents`, keyed by sign-in name; only argon2 hashes are stored."""

    def __init__(self, db: Database) -> None:
        self._agents = db["agents"]

    async def add(self, agent: AgentRecord) -> None:
        doc = {
            "_id": agent.id,
            "display_name": agent.display_name,
            "password_hash": agent.password_hash,
            "created_at": agent.created_at,
        }
        with unavailable_on_failure():
            try:
                await self._agents.insert_one(doc)
            except DuplicateKeyError:
                raise AlreadyExists(agent.id) from None

    async def get(self, agent_id: str) -> AgentRecord | None:
        with unavailable_on_failure():
            doc = await self._agents.find_one({"_id": agent_id})
        if doc is None:
            return None
        return AgentRecord(
            doc["_id"],
            doc.get("display_name", doc["_id"]),
            doc["password_hash"],
            doc.get("created_at", 0.0),
        )


class MongoLinkStore:
    """`link_codes` (keyed hashes), `channel_links` (unique per chat) and `link_events`."""

    def __init__(self, db: Database) -> None:
        self._codes = db["link_codes"]
        self._links = db["channel_links"]
        self._audit = db["link_events"]

    async def open(self) -> None:
        with unavailable_on_failure():
            await self._links.create_index(
                [("channel", ASCENDING), ("channel_user_id", ASCENDING)], unique=True
            )
            await self._links.create_index([("customer_id", ASCENDING)])
            await self._codes.create_index([("customer_id", ASCENDING)])

    async def replace_code(self, code_hash: str, customer_id: str, expires_at: float) -> bool:
        with unavailable_on_failure():
            await self._codes.delete_many(
                {"$or": [{"customer_id": customer_id}, {"expires_at": {"$lte": time.time()}}]}
            )
            try:
                await self._codes.insert_one(
                    {"_id": code_hash, "customer_id": customer_id, "expires_at": expires_at}
                )
            except DuplicateKeyError:
                return False
        return True

    async def take_code(self, code_hash: str, now: float) -> str | None:
        with unavailable_on_failure():
            doc = await self._codes.find_one_and_delete(
                {"_id": code_hash, "expires_at": {"$gt": now}}
            )
        return doc["customer_id"] if doc else None

    async def link_for(self, channel: str, channel_user_id: str) -> ChatLink | None:
        with unavailable_on_failure():
            doc = await self._links.find_one(
                {"channel": channel, "channel_user_id": channel_user_id}
            )
        return _link(doc) if doc else None

    async def links_of(self, customer_id: str) -> list[ChatLink]:
        with unavailable_on_failure():
            docs = await self._links.find({"customer_id": customer_id}).to_list(None)
        return sorted(map(_link, docs), key=lambda link: link.linked_at)

    async def add_link(self, link: ChatLink) -> None:
        doc = {
            "_id": link.id,
            "channel": link.channel,
            "channel_user_id": link.channel_user_id,
            "customer_id": link.customer_id,
            "linked_at": link.linked_at,
        }
        with unavailable_on_failure():
            try:
                await self._links.insert_one(doc)
            except DuplicateKeyError:
                raise AlreadyExists(f"{link.channel}:{link.channel_user_id}") from None

    async def remove_link_of(self, customer_id: str, link_id: str) -> ChatLink | None:
        with unavailable_on_failure():
            removed = await self._links.find_one_and_delete(
                {"_id": {"$in": _ids(link_id)}, "customer_id": customer_id}
            )
        return _link(removed) if removed else None

    async def audit(self, event_type: str, data: Mapping[str, Any], now: float) -> None:
        with unavailable_on_failure():
            await self._audit.insert_one({"type": event_type, "data": dict(data), "ts": now})


def _link(doc: Mapping[str, Any]) -> ChatLink:
    return ChatLink(
        str(doc["_id"]),
        doc["channel"],
        doc["channel_user_id"],
        doc["customer_id"],
        doc.get("linked_at", 0.0),
    )


def _ids(link_id: str) -> list[Any]:
    """The `_id`s a link id may be stored as: links made before ids were ours have
    MongoDB's ObjectId."""
    return [link_id, ObjectId(link_id)] if ObjectId.is_valid(link_id) else [link_id]


class MongoChatStore:
    """`channel_conversations`, `button_payloads` and `deliveries` (keyed by message id)."""

    def __init__(self, db: Database) -> None:
        self._conversations = db["channel_conversations"]
        self._payloads = db["button_payloads"]
        self._deliveries = db["deliveries"]

    async def chat_conversation(self, key: str) -> str | None:
        with unavailable_on_failure():
            doc = await self._conversations.find_one({"_id": key})
        return doc["conversation_id"] if doc else None

    async def start_chat_conversation(self, key: str, conversation_id: str, now: float) -> None:
        with unavailable_on_failure():
            await self._conversations.replace_one(
                {"_id": key}, {"conversation_id": conversation_id, "started_at": now}, upsert=True
            )

    async def put_payload(self, button_id: str, payload: str, now: float) -> None:
        with unavailable_on_failure():
            await self._payloads.update_one(
                {"_id": button_id}, {"$set": {"payload": payload, "used_at": now}}, upsert=True
            )

    async def payload(self, button_id: str) -> str | None:
        with unavailable_on_failure():
            doc = await self._payloads.find_one({"_id": button_id})
        return doc["payload"] if doc else None

    async def sent(
        self, message_id: str, channel: str, conversation_id: str | None, recipient: str, now: float
    ) -> None:
        with unavailable_on_failure():
            await self._deliveries.update_one(
                {"_id": message_id},
                {
                    "$set": {
                        "channel": channel,
                        "conversation_id": conversation_id,
                        "recipient": recipient,
                        "sent_at": now,
                    },
                    "$setOnInsert": {"statuses": []},
                },
                upsert=True,
            )

    async def delivery_status(
        self, message_id: str, channel: str, entry: Mapping[str, Any], now: float
    ) -> None:
        with unavailable_on_failure():
            await self._deliveries.update_one(
                {"_id": message_id},
                {
                    "$addToSet": {"statuses": dict(entry)},
                    "$set": {"channel": channel, "updated_at": now},
                },
                upsert=True,
            )
