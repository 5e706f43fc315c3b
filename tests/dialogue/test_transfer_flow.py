"""Collecting, validating, correcting and confirming a transfer (stand-in actions)."""

from bot import events as ev
from tests.dialogue.chat import Chat, latest_code
from tests.dialogue.stand_ins import Ledger

CONFIRM_50_ALICE = "send £50.00 to Alice Johnson from your Current account ••4821?"


async def test_entities_in_the_request_prefill_and_only_missing_slots_are_asked(
    chat: Chat,
) -> None:
    said = await chat.say("send 50 quid", "transfer_money", amount="50")
    assert said == "Who would you like to send money to?"
    assert chat.summary == {"flow": "transfer_money", "awaiting": "payee", "status": "bot"}

    said = await chat.say("Alice", payee="alice")
    assert CONFIRM_50_ALICE in said  # amount was kept, source account defaulted
    assert chat.summary["awaiting"] is None


async def test_everything_in_one_message_goes_straight_to_confirmation(chat: Chat) -> None:
    messages = await chat.send("send 50 to alice", "transfer_money", amount="50", payee="alice")
    [confirm] = messages
    assert CONFIRM_50_ALICE in confirm.text
    assert [b.payload for b in confirm.buttons] == ["/affirm", "/deny"]


async def test_an_explicit_source_account_is_used(chat: Chat) -> None:
    said = await chat.say(
        "send 5 to bob from savings", "transfer_money", amount="5", payee="bob", account="savings"
    )
    assert "send £5.00 to Bob Martin from your Savings account ••1177?" in said


async def test_invalid_answers_are_reprompted_with_the_reason(chat: Chat) -> None:
    await chat.say("I want to send money", "transfer_money")
    messages = await chat.send("Zed", payee="zed")
    assert messages[0].text.startswith("I couldn't find a payee called zed.")
    assert [b.title for b in messages[0].buttons] == ["Alice Johnson", "Bob Martin"]
    assert messages[1].text == "Who would you like to send money to?"
    assert chat.summary["awaiting"] == "payee"
    assert "payee" not in chat.state.top.slots

    said = await chat.say("Bob", payee="bob")
    assert said == "How much would you like to send to Bob Martin?"
    said = await chat.say("minus five", amount="-5")
    assert said == (
        "That amount doesn't work: it must be more than zero.\n"
        "How much would you like to send to Bob Martin?"
    )
    said = await chat.say("50 euros", amount="50", currency="EUR")
    assert said.startswith("I can only send GBP.")
    assert chat.summary["awaiting"] == "amount"
    said = await chat.say("ok 50 pounds then", amount="50")  # the refused currency is forgotten
    assert "send £50.00 to Bob Martin" in said


async def test_an_untagged_answer_is_tried_as_the_slot_value(chat: Chat) -> None:
    await chat.say("pay someone", "transfer_money")
    said = await chat.say("alice johnson", "nlu_fallback")
    assert said == "How much would you like to send to Alice Johnson?"
    assert chat.of_type(ev.FALLBACK) == []


async def test_cancel_at_any_point_stops_the_flow(chat: Chat, ledger: Ledger, outbox) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    said = await chat.say("forget it", "cancel")
    assert said == "OK, I've cancelled the transfer. Nothing has been sent."
    assert chat.summary == {"flow": None, "awaiting": None, "status": "bot"}

    await chat.say("send 5 to bob", "transfer_money", amount="5", payee="bob")
    await chat.say("yes", "affirm")
    assert chat.summary["awaiting"] == "otp"
    said = await chat.say("/cancel", "cancel")
    assert "Nothing has been sent" in said
    assert chat.state.stack == []
    assert ledger.calls == []
    assert [e.data["reason"] for e in chat.of_type(ev.FLOW_CANCELLED)] == ["customer"] * 2

    assert await chat.say("cancel", "cancel") == (
        "There's nothing in progress to cancel. What would you like to do?"
    )


async def test_a_correction_while_collecting_updates_the_slot_and_reasks(chat: Chat) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    said = await chat.say("sorry, I meant Bob", payee="bob")
    assert said == "How much would you like to send to Bob Martin?"
    assert chat.state.top.slots["payee_id"] == "payee-bob"


async def test_a_correction_at_confirmation_is_validated_and_reconfirmed(chat: Chat) -> None:
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    said = await chat.say("make it 60 instead", amount="60")
    assert "send £60.00 to Alice Johnson" in said
    said = await chat.say("no, to bob", "deny", payee="bob")
    assert "send £60.00 to Bob Martin" in said
    assert chat.state.top.slots["payee_id"] == "payee-bob"

    said = await chat.say("make it -3", amount="-3")
    assert said.startswith("That amount doesn't work: it must be more than zero.")
    assert "send £60.00 to Bob Martin" in said  # the old amount stands
    assert chat.state.top.slots["amount"] == "60.00"


async def test_denying_the_confirmation_sends_nothing(chat: Chat, ledger: Ledger) -> None:
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    said = await chat.say("no", "deny")
    assert said == "OK, I've cancelled the transfer. Nothing has been sent."
    assert chat.state.stack == [] and ledger.calls == []
    assert chat.of_type(ev.AUTH_STEP) == []


async def test_something_else_at_confirmation_asks_again(chat: Chat) -> None:
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    said = await chat.say("thanks", "thank_you")
    assert said.splitlines()[0] == "You're welcome. Anything else I can help with?"
    assert CONFIRM_50_ALICE in said
    said = await chat.say("hmm", "nlu_fallback")
    assert CONFIRM_50_ALICE in said


async def test_a_failed_action_stops_the_flow_with_its_reply(
    chat: Chat, ledger: Ledger, outbox
) -> None:
    await chat.say("send 5000 to alice", "transfer_money", amount="5000", payee="alice")
    await chat.say("yes", "affirm")
    said = await chat.say(latest_code(outbox))
    assert said == "You don't have enough money for that. Nothing has been sent."
    assert chat.state.stack == []
    [run] = chat.of_type(ev.ACTION_RUN)
    assert run.data == {
        "action": "transfer_money",
        "ok": False,
        "error": "insufficient_funds",
        "result": {"amount": "5000.00", "outcome": "rejected"},
    }
    assert chat.of_type(ev.FLOW_CANCELLED)[-1].data["reason"] == "insufficient_funds"


async def test_anonymous_callers_get_answers_but_are_asked_to_sign_in_for_flows(
    manager,
) -> None:
    chat = Chat(manager, customer_id=None)
    assert (await chat.say("hello", "greet")).startswith("H")
    said = await chat.say("what's my balance", "check_balance")
    assert said == (
        "To help with your balance, I need to know it's you. "
        "Please sign in to your banking app or website first."
    )
    assert "sign in" in await chat.say("send 5 to bob", "transfer_money", amount="5")
    assert chat.state.stack == []
    said = await chat.say("help", "help")
    assert "• Payments: to your payees" in said and "• Balances, recent transactions" in said
