"""The `ChannelSender` for customers on the web widget ("web") and the REST API ("rest").

Their clients listen on the bus topic `conv:{id}`, and `TurnEngine.record` has already
published every message it stored there, numbered by seq (the widget contract); sending
again here would only make each client drop a duplicate. So delivery to these channels is
done by the time `Outbound.deliver` is called, and this sender has nothing left to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages import BotMessage
from bot.store.ports import ConversationRecord

BUS_CHANNELS = ("web", "rest")


class BusDelivered:
    async def send(self, conversation: ConversationRecord, messages: Sequence[BotMessage]) -> None:
        return None
