"""Account linking: which bank customer a WhatsApp number or Telegram chat speaks for.

A messaging channel proves only that someone controls a phone number or a Telegram
account, never who they are at the bank, so a sender starts anonymous. A customer who is
signed in to the web app asks for a one-time link code and sends "link <code>" from the
chat they want to use; redeeming the code ties that chat to them until they send "unlink".

Codes exist in clear only in the response to the signed-in customer: what is stored is a
keyed hash, so neither the database nor a backup can redeem one. Each code is single use,
expires quickly, and a customer has at most one at a time. A guess is not aimed at one
customer: it links the guessing chat to whoever holds that code, so the odds are the
number of live codes over the number of possible ones. Codes are therefore 8 characters
from 31 that cannot be mistaken for one another (no 0/O, 1/I/L): about 7.7e11 codes.
Wrong codes count against the sending chat, which is paused after a few, and against all
chats together in a sliding window, which pauses linking everywhere: an attacker with
many chats still gets only `global_max_failures` guesses a window.
A link lapses `link_lifetime_days` after it was made (an expired link is removed, audited
and treated as no link); when a chat is linked, the customer's other linked chats are told,
so a link they did not make does not go unnoticed; the signed-in customer lists their
linked chats and revokes any of them (`chats_of`, `revoke`: the REST API and the chat).
Every issue, link, refusal, notice, expiry and unlink is written to `link_events` for audit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.config import LinkingSettings
from bot.handlers import LinkedChat
from bot.ports import AlreadyExists, ChatLink, Counters, LinkStore

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
_SEPARATORS = re.compile(r"[\s-]")
GLOBAL_FAILURES = "link-failures-everywhere"  # the Counters key of all chats' wrong codes

DAY_SECONDS = 24 * 3600

# Audit event types in `link_events`.
LINK_CODE_ISSUED = "link_code_issued"  # {customer_id, expires_at}
ACCOUNT_LINKED = "account_linked"  # {channel, channel_user_id, customer_id, via}
ACCOUNT_UNLINKED = "account_unlinked"  # {channel, channel_user_id, customer_id, via: chat|revoked}
LINK_EXPIRED = "link_expired"  # {channel, channel_user_id, customer_id, linked_at}
LINK_REFUSED = "link_refused"  # {channel, channel_user_id, reason}
# {channel, channel_user_id (the chat told), customer_id, new_channel, new_link}
LINK_NOTICE_SENT = "link_notice_sent"
LINK_NOTICE_FAILED = "link_notice_failed"

# Tells one linked chat (the first) that another (the second) now speaks for its customer.
Announce = Callable[[ChatLink, ChatLink], Awaitable[None]]


def new_code() -> str:
    """A random code, shown as "ABCD-2345"; always letters and digits both, so that
    "link whatsapp" never reads as a guess."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code) and any(c.isalpha() for c in code):
            return f"{code[:4]}-{code[4:]}"


def normalise_code(typed: str) -> str:
    """What the customer typed as a code, as it was issued: case and separators ignored."""
    return _SEPARATORS.sub("", typed).upper()


@dataclass(frozen=True, slots=True)
class LinkCode:
    code: str
    expires_at: float


class LinkOutcome(StrEnum):
    LINKED = "linked"
    WRONG_CODE = "wrong_code"  # unknown, expired or already used: never say which
    BLOCKED = "blocked"  # too many wrong codes from this chat lately
    PAUSED = "paused"  # too many wrong codes from all chats together lately
    ALREADY_LINKED = "already_linked"


class AccountLinks:
    """Link codes, channel links and their audit trail, over the `LinkStore` port."""

    def __init__(
        self,
        store: LinkStore,
        key: bytes,
        counters: Counters,
        settings: LinkingSettings | None = None,
    ) -> None:
        self._store = store
        self._key = key
        self._counters = counters
        self.settings = settings or LinkingSettings()

    async def issue_code(self, customer_id: str) -> LinkCode:
        """A fresh code for `customer_id`; any earlier unredeemed code of theirs stops working."""
        expires_at = time.time() + self.settings.code_ttl_seconds
        while True:
            code = new_code()
            if await self._store.replace_code(self._hash(code), customer_id, expires_at):
                break  # else another customer holds this code right now
        await self._record(LINK_CODE_ISSUED, customer_id=customer_id, expires_at=expires_at)
        return LinkCode(code, expires_at)

    async def customer_for(self, channel: str, channel_user_id: str) -> str | None:
        """Who the chat speaks for: None if it is not linked, or its link has lapsed."""
        link = await self._live(await self._store.link_for(channel, channel_user_id))
        return link.customer_id if link else None

    def expires_at(self, link: ChatLink) -> float:
        return link.linked_at + self.settings.link_lifetime_days * DAY_SECONDS

    async def chats_of(self, customer_id: str) -> list[ChatLink]:
        """The customer's linked chats that have not lapsed, oldest first."""
        found = [await self._live(link) for link in await self._store.links_of(customer_id)]
        return [link for link in found if link is not None]

    async def linked_chats(self, customer_id: str) -> list[LinkedChat]:
        """The customer's live links as they may see them (`bot.handlers.LinkedChats`)."""
        return [self._shown(link) for link in await self.chats_of(customer_id)]

    async def revoke(self, customer_id: str, link_id: str) -> LinkedChat | None:
        """The customer unlinks one of their chats from elsewhere (the web app, another
        chat); None if they have no such link, which is what another customer's is."""
        link = await self._store.remove_link_of(customer_id, link_id)
        if link is None:
            return None
        await self._record(ACCOUNT_UNLINKED, **_who(link), customer_id=customer_id, via="revoked")
        return self._shown(link)

    def _shown(self, link: ChatLink) -> LinkedChat:
        ending = link.channel_user_id[-4:]
        return LinkedChat(link.id, link.channel, ending, link.linked_at, self.expires_at(link))

    async def _live(self, link: ChatLink | None) -> ChatLink | None:
        """`link` unless it has lapsed; a lapsed link is removed and audited."""
        if link is None or time.time() < self.expires_at(link):
            return link
        if await self._store.remove_link_of(link.customer_id, link.id) is not None:
            await self._record(
                LINK_EXPIRED, **_who(link), customer_id=link.customer_id, linked_at=link.linked_at
            )
        return None

    async def link(
        self, channel: str, channel_user_id: str, code: str, announce: Announce | None = None
    ) -> LinkOutcome:
        """Redeem `code` for this chat. Callers hold the chat's lock, so links never race.
        Once linked, the customer's other linked chats are told through `announce`."""
        who = {"channel": channel, "channel_user_id": channel_user_id}
        limits = self.settings
        chat = f"{channel}:{channel_user_id}"
        if await self._counters.recent(GLOBAL_FAILURES, limits.global_window_seconds) >= (
            limits.global_max_failures
        ):
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.PAUSED.value)
            return LinkOutcome.PAUSED
        if await self._counters.flagged(f"link-blocked:{chat}"):
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.BLOCKED.value)
            return LinkOutcome.BLOCKED
        if await self.customer_for(channel, channel_user_id) is not None:
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.ALREADY_LINKED.value)
            return LinkOutcome.ALREADY_LINKED
        customer_id = await self._store.take_code(self._hash(code), time.time())
        if customer_id is None:
            await self._wrong_code(chat)
            await self._record(LINK_REFUSED, **who, reason=LinkOutcome.WRONG_CODE.value)
            return LinkOutcome.WRONG_CODE
        new = ChatLink(
            secrets.token_urlsafe(12), channel, channel_user_id, customer_id, time.time()
        )
        try:
            await self._store.add_link(new)
        except AlreadyExists:
            return LinkOutcome.ALREADY_LINKED
        await self._record(ACCOUNT_LINKED, **who, customer_id=customer_id, via="link_code")
        if announce is not None:
            for other in await self.chats_of(customer_id):
                if other.id != new.id:
                    await self._announce(announce, other, new)
        return LinkOutcome.LINKED

    async def _announce(self, announce: Announce, to: ChatLink, new: ChatLink) -> None:
        """Tell `to` that `new` now speaks for the same customer; a chat that cannot be
        reached is audited, and stops nothing."""
        about = {"customer_id": to.customer_id, "new_channel": new.channel, "new_link": new.id}
        try:
            await announce(to, new)
        except Exception:
            log.exception("could not tell %s chat %s about a new link", to.channel, to.id)
            await self._record(LINK_NOTICE_FAILED, **_who(to), **about)
            return
        await self._record(LINK_NOTICE_SENT, **_who(to), **about)

    async def _wrong_code(self, chat: str) -> None:
        """Count a wrong code against the chat, and against every chat together."""
        limits = self.settings
        failures = await self._counters.incr(f"link-failures:{chat}", limits.chat_pause_seconds)
        if failures >= limits.chat_max_failures:
            await self._counters.flag(f"link-blocked:{chat}", limits.chat_pause_seconds)
        everywhere = await self._counters.record(GLOBAL_FAILURES, limits.global_window_seconds)
        if everywhere == limits.global_max_failures:
            log.warning(
                "%d wrong link codes from all chats within %d s: linking is paused everywhere",
                everywhere,
                limits.global_window_seconds,
            )

    async def unlink(self, channel: str, channel_user_id: str) -> bool:
        """Remove this chat's link ("unlink" sent from it); False if it had none (or only
        a lapsed one, which is audited as expired)."""
        link = await self._live(await self._store.link_for(channel, channel_user_id))
        if link is None or await self._store.remove_link_of(link.customer_id, link.id) is None:
            return False
        await self._record(ACCOUNT_UNLINKED, **_who(link), customer_id=link.customer_id, via="chat")
        return True

    def _hash(self, code: str) -> str:
        plain = normalise_code(code)
        return hmac.new(self._key, f"link-code:{plain}".encode(), hashlib.sha256).hexdigest()

    async def _record(self, event_type: str, **data: Any) -> None:
        await self._store.audit(event_type, data, time.time())


def _who(link: ChatLink) -> dict[str, str]:
    return {"channel": link.channel, "channel_user_id": link.channel_user_id}
