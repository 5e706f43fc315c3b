"""Asking something else in the middle of a flow, then going back to it (or not)."""

import shutil
from pathlib import Path

import pytest

from bot import events as ev
from bot.config import Settings
from bot.dialogue.domain import load_domain
from bot.dialogue.manager import DialogueManager
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, latest_code, make_manager
from tests.dialogue.stand_ins import Directory, Ledger, build_actions

BALANCE = "Your balances:\nCurrent: £1000.00"
RESUME = "Shall we go back to your transfer?"
BILL_FLOW = """
flows:
  pay_bill:
    intent: pay_bill
    description: Pay a bill
    requires: identified
    entities: [amount, currency, payee]
    steps:
      - step_up: {operation: [amount], description: "pay {amount}"}
      - action: transfer_money
"""


async def test_a_balance_question_while_collecting_is_answered_then_resumed(chat: Chat) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    messages = await chat.send("how much have I got?", "check_balance")
    assert [m.text for m in messages] == [BALANCE, RESUME]
    assert [b.payload for b in messages[1].buttons] == ["/affirm", "/deny"]
    assert chat.summary == {"flow": "transfer_money", "awaiting": None, "status": "bot"}

    said = await chat.say("yes", "affirm")
    assert said == "How much would you like to send to Alice Johnson?"  # the pending question
    assert chat.summary["awaiting"] == "amount"
    assert "send £20.00 to Alice Johnson" in await chat.say("20", amount="20")
    kinds = [e.type for e in chat.events]
    assert ev.FLOW_INTERRUPTED in kinds and ev.FLOW_RESUMED in kinds


async def test_declining_to_resume_cancels_the_interrupted_flow(chat: Chat, ledger: Ledger) -> None:
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    await chat.say("show my transactions", "transaction_history")
    said = await chat.say("no", "deny")
    assert said == "OK, I've cancelled the transfer. Nothing has been sent."
    assert chat.state.stack == [] and ledger.calls == []
    assert chat.of_type(ev.FLOW_CANCELLED)[-1].data == {
        "flow": "transfer_money",
        "reason": "not_resumed",
    }


async def test_a_digression_while_waiting_for_the_code_resumes_to_the_code(
    chat: Chat, ledger: Ledger, outbox
) -> None:
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    await chat.say("yes", "affirm")
    assert await chat.say("balance first", "check_balance") == f"{BALANCE}\n{RESUME}"
    said = await chat.say("yes", "affirm")
    assert said.startswith("Please type the 6-digit code I sent you")
    assert chat.summary["awaiting"] == "otp"
    await chat.say(latest_code(outbox))
    assert len(ledger.calls) == 1


async def test_unrelated_replies_to_the_resume_question_ask_it_again(chat: Chat) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    await chat.say("balance", "check_balance")
    assert await chat.say("hmm", "nlu_fallback") == RESUME
    said = await chat.say("thanks", "thank_you")
    assert said == f"You're welcome. Anything else I can help with?\n{RESUME}"
    said = await chat.say("and my transactions?", "transaction_history")
    assert said == f"Your last 1 transactions:\nTesco -£12.00\n{RESUME}"


async def test_a_second_payment_cannot_start_inside_a_payment(chat: Chat, ledger: Ledger) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    await chat.say("balance", "check_balance")
    # "transfer" again while a transfer waits is the same flow: no new payment is started.
    said = await chat.say("send 10 to bob", "transfer_money", amount="10", payee="bob")
    assert said == RESUME
    assert [f.flow for f in chat.state.stack] == ["transfer_money"]
    assert ledger.calls == []


@pytest.fixture
def with_bills(
    domain_dir: Path, tmp_path: Path, ledger: Ledger, outbox: DevOutbox
) -> DialogueManager:
    """The real domain plus a second money-moving flow."""
    for source in domain_dir.iterdir():
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "bills.yml").write_text(BILL_FLOW)
    actions = build_actions(ledger)
    return make_manager(load_domain(tmp_path), actions, Directory(), outbox, Settings())


SWITCH = (
    "You're in the middle of your transfer. Shall I put it on hold so you can pay a bill? "
    "We can come back to it afterwards."
)
ASK_AMOUNT = "How much would you like to send to Alice Johnson?"


async def test_starting_another_job_mid_flow_asks_first_and_no_carries_on(
    with_bills: DialogueManager, ledger: Ledger
) -> None:
    chat = Chat(with_bills)
    await chat.say("send money to alice", "transfer_money", payee="alice")
    [asked] = await chat.send("pay my gas bill", "pay_bill")
    assert asked.text == SWITCH
    assert [b.title for b in asked.buttons] == ["Yes, switch", "No, carry on"]
    assert await chat.say("no", "deny") == ASK_AMOUNT
    assert chat.summary == {"flow": "transfer_money", "awaiting": "amount", "status": "bot"}
    assert "send £20.00 to Alice Johnson" in await chat.say("20", amount="20")
    assert [f.flow for f in chat.state.stack] == ["transfer_money"] and ledger.calls == []


async def test_yes_puts_the_first_job_on_hold_and_offers_it_back_afterwards(
    with_bills: DialogueManager, ledger: Ledger, outbox: DevOutbox
) -> None:
    chat = Chat(with_bills)
    await chat.say("send money to alice", "transfer_money", payee="alice")
    await chat.say("pay £30 on my gas bill", "pay_bill", amount="30")
    said = await chat.say("yes", "affirm")
    assert "code" in said  # the bill, with the amount its message gave, goes ahead
    assert [f.flow for f in chat.state.stack] == ["transfer_money", "pay_bill"]
    assert (await chat.say(latest_code(outbox))).endswith(RESUME)
    assert len(ledger.calls) == 1
    assert await chat.say("yes", "affirm") == ASK_AMOUNT  # where the transfer was


async def test_an_answer_to_the_pending_question_instead_of_yes_or_no_carries_on(
    with_bills: DialogueManager,
) -> None:
    chat = Chat(with_bills)
    await chat.say("send money to alice", "transfer_money", payee="alice")
    await chat.say("pay my gas bill", "pay_bill")
    said = await chat.say("20", amount="20")
    assert "send £20.00 to Alice Johnson" in said
    assert [f.flow for f in chat.state.stack] == ["transfer_money"]


async def test_a_job_put_on_hold_while_its_code_was_awaited_confirms_again_once_expired(
    with_bills: DialogueManager, ledger: Ledger, outbox: DevOutbox
) -> None:
    chat = Chat(with_bills)
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    await chat.say("yes", "affirm")  # a code is sent for the transfer
    await chat.say("pay £30 on my gas bill", "pay_bill", amount="30")
    await chat.say("yes", "affirm")
    await chat.say(latest_code(outbox))
    chat.now += 600  # the transfer's code has expired meanwhile
    said = await chat.say("yes", "affirm")
    assert said.startswith("Just to confirm: send £50.00 to Alice Johnson")
    assert len(ledger.calls) == 1
