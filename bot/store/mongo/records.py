"""MongoDB adapters for the records beside the conversations: agents, account links,
and what the messaging channels keep (chat conversations, button payloads, deliveries)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from bot.ports import AGENT_CHANGES, AgentRecord, AgentSession, AlreadyExists, ChatLink
from bot.store.mongo import unavailable_on_failure

Database = AsyncDatabase[dict[str, Any]]


class MongoAgentStore:
    """Collections `agents` (keyed by sign-in name; only argon2 hashes), `agent_sessions`
    (keyed by the SHA-256 of the session id; MongoDB drops each at its expiry) and
    `agent_events` (the audit trail: added, signed in and out, disabled, enabled, ...)."""

    def __init__(self, db: Database) -> None:
        self._agents = db["agents"]
        self._sessions = db["agent_sessions"]
        self._audit = db["agent_events"]

    async def open(self) -> None:
        with unavailable_on_failure():
            await self._sessions.create_index([("agent_id", ASCENDING)])
            await self._sessions.create_index([("expire_at", ASCENDING)], expireAfterSeconds=0)
            await self._audit.create_index([("agent_id", ASCENDING), ("ts", ASCENDING)])

    async def add(self, agent: AgentRecord) -> None:
        doc = {
            "_id": agent.id,
            "display_name": agent.display_name,
            "password_hash": agent.password_hash,
            "created_at": agent.created_at,
            "disabled": agent.disabled,
            "sessions_valid_after": agent.sessions_valid_after,
            "last_sign_in_at": agent.last_sign_in_at,
            "failed_sign_ins": agent.failed_sign_ins,
            "locked_at": agent.locked_at,
        }
        with unavailable_on_failure():
            try:
                await self._agents.insert_one(doc)
            except DuplicateKeyError:
                raise AlreadyExists(agent.id) from None

    async def get(self, agent_id: str) -> AgentRecord | None:
        with unavailable_on_failure():
            doc = await self._agents.find_one({"_id": agent_id})
        return None if doc is None else _agent(doc)

    async def agents(self) -> list[AgentRecord]:
        with unavailable_on_failure():
            return [_agent(doc) async for doc in self._agents.find({}).sort("_id", ASCENDING)]

    async def update(self, agent_id: str, changes: Mapping[str, Any]) -> bool:
        unknown = set(changes) - AGENT_CHANGES
        if unknown:
            raise ValueError(f"agents have no changeable fields {sorted(unknown)}")
        with unavailable_on_failure():
            result = await self._agents.update_one({"_id": agent_id}, {"$set": dict(changes)})
        return result.matched_count == 1

    async def count_failure(self, agent_id: str) -> int:
        with unavailable_on_failure():
            doc = await self._agents.find_one_and_update(
                {"_id": agent_id},
                {"$inc": {"failed_sign_ins": 1}},
                projection={"failed_sign_ins": True},
                return_document=ReturnDocument.AFTER,
            )
        return 0 if doc is None else int(doc["failed_sign_ins"])

    async def lock(self, agent_id: str, now: float) -> bool:
        with unavailable_on_failure():
            result = await self._agents.update_one(
                {"_id": agent_id, "locked_at": None}, {"$set": {"locked_at": now}}
            )
        return result.modified_count == 1

    async def add_session(self, session: AgentSession) -> None:
        doc = {
            "_id": session.key,
            "agent_id": session.agent_id,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
            "expire_at": datetime.fromtimestamp(session.expires_at, UTC),  # the TTL index's
        }
        with unavailable_on_failure():
            await self._sessions.insert_one(doc)

    async def session(self, key: str) -> AgentSession | None:
        with unavailable_on_failure():
            doc = await self._sessions.find_one({"_id": key, "expires_at": {"$gt": time.time()}})
        return None if doc is None else _session(doc)

    async def end_session(self, key: str) -> AgentSession | None:
        with unavailable_on_failure():
            doc = await self._sessions.find_one_and_delete({"_id": key})
        return None if doc is None else _session(doc)

    async def end_sessions(self, agent_id: str) -> int:
        with unavailable_on_failure():
            result = await self._sessions.delete_many({"agent_id": agent_id})
        return result.deleted_count

    async def audit(
        self, event_type: str, agent_id: str, data: Mapping[str, Any], now: float
    ) -> None:
        doc = {"type": event_type, "agent_id": agent_id, **dict(data), "ts": now}
        with unavailable_on_failure():
            await self._audit.insert_one(doc)


def _agent(doc: Mapping[str, Any]) -> AgentRecord:
    return AgentRecord(
        doc["_id"],
        doc.get("display_name", doc["_id"]),
        doc["password_hash"],
        doc.get("created_at", 0.0),
        disabled=bool(doc.get("disabled", False)),
        sessions_valid_after=doc.get("sessions_valid_after", 0.0),
        last_sign_in_at=doc.get("last_sign_in_at"),
        failed_sign_ins=int(doc.get("failed_sign_ins", 0)),
        locked_at=doc.get("locked_at"),
    )


def _session(doc: Mapping[str, Any]) -> AgentSession:
    return AgentSession(doc["_id"], doc["agent_id"], doc["created_at"], doc["expires_at"])


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
