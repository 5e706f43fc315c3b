"""How anything that answers no request reaches a customer: `Outbound.deliver`.

A turn's own replies go back on the request that carried it. An agent's reply or a
hand-over notice goes through here, to the sender registered for the conversation's
channel. Channels whose clients follow the bus (the widget) are registered with a sender
that has nothing left to do: the unit of work has already published the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.messages import BotMessage
from bot.ports import ChannelSender, ConversationRecord


class NoSender(LookupError):
    """No sender is configured for a conversation's channel."""


class Outbound:
    def __init__(self, senders: Mapping[str, ChannelSender]) -> None:
        self._senders = dict(senders)

    async def deliver(
        self, conversation: ConversationRecord, messages: Sequence[BotMessage]
    ) -> None:
        try:
            sender = self._senders[conversation.channel]
        except KeyError:
            raise NoSender(conversation.channel) from None
        await sender.send(conversation, messages)
