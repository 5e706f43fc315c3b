"""Two-stage fallback (clarify, then offer a person) and the hand-off statuses."""

from bot import events as ev
from bot.messages import Button
from tests.dialogue.chat import Chat

UNSURE = (("check_balance", 0.31), ("nlu_fallback", 0.3), ("greet", 0.2), ("help", 0.1))


async def test_first_fallback_clarifies_with_the_likeliest_intents_as_buttons(
    chat: Chat,
) -> None:
    [message] = await chat.send("balnce pls", "nlu_fallback", ranking=UNSURE)
    assert message.text == "Sorry, I didn't quite get that. Did you mean one of these?"
    # greet has no description, so it is not offered; at most three options.
    assert message.buttons == (
        Button("Check your balance", "/check_balance"),
        Button("See what I can help with", "/help"),
    )
    assert chat.of_type(ev.FALLBACK)[-1].data == {"stage": 1}


async def test_clarify_offers_at_most_the_configured_number_of_options(chat: Chat) -> None:
    ranking = (
        ("transfer_money", 0.3),
        ("check_balance", 0.2),
        ("transaction_history", 0.2),
        ("human_handoff", 0.1),
    )
    [message] = await chat.send("??", "nlu_fallback", ranking=ranking)
    assert [b.payload for b in message.buttons] == [
        "/transfer_money",
        "/check_balance",
        "/transaction_history",
    ]


async def test_clarify_without_a_useful_ranking_offers_what_teller_does(chat: Chat) -> None:
    [message] = await chat.send("zzz", "nlu_fallback")
    assert [b.title for b in message.buttons] == [
        "Check your balance",
        "See your recent transactions",
        "Send money to a saved payee",
    ]


async def test_second_fallback_in_a_row_offers_a_person(chat: Chat) -> None:
    await chat.send("blorp", "nlu_fallback", ranking=UNSURE)
    [message] = await chat.send("blorp again", "nlu_fallback", ranking=UNSURE)
    assert "I can pass you to a colleague" in message.text
    assert message.buttons == (Button("Talk to a person", "/human_handoff"),)
    assert chat.of_type(ev.FALLBACK)[-1].data == {"stage": 2}


async def test_an_understood_message_resets_the_fallback_count(chat: Chat) -> None:
    await chat.send("blorp", "nlu_fallback")
    await chat.send("hi", "greet")
    await chat.send("blorp", "nlu_fallback")
    assert [e.data["stage"] for e in chat.of_type(ev.FALLBACK)] == [1, 1]


async def test_handoff_queues_then_waits_and_cancel_returns_to_the_bot(chat: Chat) -> None:
    said = await chat.say("talk to a person", "human_handoff")
    assert said.startswith("I'm passing you to a colleague. Someone will pick this up, usually")
    assert chat.summary == {"flow": None, "awaiting": None, "status": "queued"}
    assert chat.of_type(ev.HANDOFF)[-1].data == {"status": "queued", "reason": "customer_request"}

    said = await chat.say("what's my balance", "check_balance")
    assert said.startswith("You're in the queue")
    assert chat.of_type(ev.ACTION_RUN) == []

    assert await chat.say("cancel", "cancel") == "OK, you're back with Teller. How can I help?"
    assert chat.summary["status"] == "bot"
    assert "Your balances" in await chat.say("balance", "check_balance")


async def test_handoff_in_the_middle_of_a_transfer_drops_the_transfer(chat: Chat) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    said = await chat.say("I want a human", "human_handoff")
    assert "Shall we go back" not in said
    assert chat.state.stack == [] and chat.summary["status"] == "queued"
    assert chat.of_type(ev.FLOW_CANCELLED)[-1].data == {
        "flow": "transfer_money",
        "reason": "handoff",
    }


async def test_the_bot_is_silent_while_an_agent_holds_the_conversation(chat: Chat) -> None:
    await chat.say("person please", "human_handoff")
    chat.record(ev.HANDOFF, status="agent", reason="picked_up")
    chat.record(ev.AGENT_MESSAGE, agent_id="agent-7", text="Hi, I'm Sam.")
    for text, intent in [("hello Sam", "greet"), ("cancel", "cancel"), ("?", "nlu_fallback")]:
        assert await chat.send(text, intent) == []
    assert chat.summary["status"] == "agent"


async def test_a_closed_conversation_reopens_with_the_bot(chat: Chat) -> None:
    await chat.say("person please", "human_handoff")
    chat.record(ev.HANDOFF, status="closed", reason="agent_closed")
    said = await chat.say("hi again", "greet")
    assert said.startswith("H")
    assert chat.summary["status"] == "bot"


async def test_answers_cover_small_talk_and_out_of_scope(chat: Chat) -> None:
    assert await chat.say("bye", "goodbye") == "Goodbye, and thanks for banking with us."
    said = await chat.say("what's the weather", "out_of_scope")
    assert said.startswith("Sorry, that's not something I can help with here.")
    assert "• Payments: to your payees" in said
    assert "not sure what that refers to" in await chat.say("yes", "affirm")
