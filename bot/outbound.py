"""The port through which anything not answering a request reaches a customer.

A turn's own replies go back on the request that carried it. Everything else (an
agent's reply, a handoff notice, a message to a customer whose socket reconnected on
another worker) goes through `Outbound.deliver`, which picks the sender for the
conversation's channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.messages import BotMessage
from bot.store.ports import ConversationRecord


class ChannelSender(Protocol):
    async def send(self, conversation: ConversationRecord, messages: Sequence[BotMessage]) -> None:
        """Deliver to the conversation's customer (e.g. `channel_user_id` on WhatsApp)."""
        ...


class NoSender(LookupError):
    """No sender is configured for a conversation's channel."""


class Outbound:
    def __init__(self, senders: Mapping[str, ChannelSender]) -> None:
        self._senders = dict(senders)

    def register(self, channel: str, sender: ChannelSender) -> None:
        self._senders[channel] = sender

    async def deliver(
        self, conversation: ConversationRecord, messages: Sequence[BotMessage]
    ) -> None:
        try:
            sender = self._senders[conversation.channel]
        except KeyError:
            raise NoSender(conversation.channel) from None
        await sender.send(conversation, messages)
