"""A chat-app message whose turn is stored is never stored again, whatever the delivery
dedup says (issue 10, finding 7: the safety net for a claim that ran out mid-turn)."""

from __future__ import annotations

import pytest

from bot import events as ev
from bot.auth.identity import Identity
from bot.config import load_settings
from bot.messages import InboundMessage
from bot.turn import RepeatedMessage
from compose import open_offline


async def test_a_redelivered_message_is_refused_by_its_conversation() -> None:
    async with open_offline(load_settings()) as teller:
        said = InboundMessage(
            "whatsapp", "hello", channel_message_id="wamid.1", channel_user_id="44"
        )
        first = await teller.engine.handle(Identity.anonymous(), said)
        again = InboundMessage(
            "whatsapp",
            "hello",
            conversation_id=first.conversation_id,
            channel_message_id="wamid.1",
            channel_user_id="44",
        )
        with pytest.raises(RepeatedMessage):
            await teller.engine.handle(Identity.anonymous(), again)
        other = InboundMessage(
            "whatsapp",
            "hi again",
            conversation_id=first.conversation_id,
            channel_message_id="wamid.2",
            channel_user_id="44",
        )
        await teller.engine.handle(Identity.anonymous(), other)
        stored = await teller.stores.events.events(first.conversation_id)
        said_ids = [e.data["channel_message_id"] for e in stored if e.type == ev.USER_MESSAGE]
        assert said_ids == ["wamid.1", "wamid.2"]
