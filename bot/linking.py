"""Account linking: which bank customer a WhatsApp number or Telegram chat speaks for.

A messaging channel proves only that someone controls a phone number or a Telegram
account, never who they are at the bank, so a sender starts anonymous. A customer who is
signed in to the web app asks for a one-time link code and sends "link <code>" from the
chat they want to use; redeeming the code ties that chat to them until they send "unlink".

Codes exist in clear only in the response to the signed-in customer: what is stored is a
keyed hash, so neither the database nor a backup can redeem one. Each code is single use,
expires quickly, and a customer has at most one at a time. Wrong codes count against the
sending chat, which is blocked for a while after a few, so six digits cannot be guessed.
Every issue, link, refusal and unlink is written to `link_events` for audit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.ports import AlreadyExists, Counters, LinkStore

CODE_DIGITS = 6
CODE_TTL_SECONDS = 600
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 3600

# Audit event types in `link_events`.
LINK_CODE_ISSUED = "link_code_issued"  # {customer_id, expires_at}
ACCOUNT_LINKED = "account_linked"  # {channel, channel_user_id, customer_id, via}
ACCOUNT_UNLINKED = "account_unlinked"  # {channel, channel_user_id, customer_id}
LINK_REFUSED = "link_refused"  # {channel, channel_user_id, reason}


@dataclass(frozen=True, slots=True)
class LinkCode:
    code: str
    expires_at: float


class LinkOutcome(StrEnum):
    LINKED = "linked"
    WRONG_CODE = "wrong_code"  # unknown, expired or already used: never say which
    BLOCKED = "blocked"  # too many wrong codes from this chat lately
    ALREADY_LINKED = "already_linked"


class AccountLinks:
    """Link codes, channel links and their audit trail, over the `LinkStore` port."""

    def __init__(self, store: LinkStore, key: bytes, counters: Counters) -> None:
        self._store = store
        self._key = key
        self._counters = counters

    async def issue_code(self, customer_id: str) -> LinkCode:
        """A fresh code for `customer_id`; any earlier unredeemed code of theirs stops working."""
        expires_at = time.time() + CODE_TTL_SECONDS
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            if await self._store.replace_code(self._hash(code), customer_id, expires_at):
                break  # else another customer holds this code right now
        await self._record(LINK_CODE_ISSUED, customer_id=customer_id, expires_at=expires_at)
        return LinkCode(code, expires_at)

    async def customer_for(self, channel: str, channel_user_id: str) -> str | None:
        return await self._store.customer_for(channel, channel_user_id)

    async def link(self, channel: str, channel_user_id: str, code: str) -> LinkOutcome:
        """Redeem `code` for this chat. Callers hold the chat's lock, so links never race."""
        who = {"channel": channel, "channel_user_id": channel_user_id}
        blocked_key = f"link-blocked:{channel}:{channel_user_id}"
        if await self._counters.flagged(blocked_key):
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.BLOCKED.value)
            return LinkOutcome.BLOCKED
        if await self.customer_for(channel, channel_user_id) is not None:
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.ALREADY_LINKED.value)
            return LinkOutcome.ALREADY_LINKED
        customer_id = await self._store.take_code(self._hash(code), time.time())
        if customer_id is None:
            failures = await self._counters.incr(
                f"link-failures:{channel}:{channel_user_id}", FAILURE_WINDOW_SECONDS
            )
            if failures >= MAX_FAILURES:
                await self._counters.flag(blocked_key, FAILURE_WINDOW_SECONDS)
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.WRONG_CODE.value)
            return LinkOutcome.WRONG_CODE
        try:
            await self._store.add_link(channel, channel_user_id, customer_id, time.time())
        except AlreadyExists:
            return LinkOutcome.ALREADY_LINKED
        await self._record(ACCOUNT_LINKED, **who, customer_id=customer_id, via="link_code")
        return LinkOutcome.LINKED

    async def unlink(self, channel: str, channel_user_id: str) -> bool:
        """Remove this chat's link; False if it had none."""
        customer_id = await self._store.remove_link(channel, channel_user_id)
        if customer_id is None:
            return False
        who = {"channel": channel, "channel_user_id": channel_user_id}
        await self._record(ACCOUNT_UNLINKED, **who, customer_id=customer_id)
        return True

    def _hash(self, code: str) -> str:
        return hmac.new(self._key, f"link-code:{code}".encode(), hashlib.sha256).hexdigest()

    async def _record(self, event_type: str, **data: Any) -> None:
        await self._store.audit(event_type, data, time.time())
