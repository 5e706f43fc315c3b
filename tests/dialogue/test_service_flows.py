"""The BANKING77 flows end to end: real domain, real actions, the sandbox bank over HTTP and
the real OtpService delivering to the DevOutbox. Card states are read back from the bank."""

from datetime import UTC, datetime

import pytest

from actions.bank_client import BankClient
from actions.registry import load_actions
from bot import events as ev
from bot.config import Settings
from bot.dialogue.domain import load_domain
from bot.dialogue.manager import DialogueManager
from bot.handlers import ActionContext
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, latest_code, make_manager
from tests.dialogue.conftest import DOMAIN, SANDBOX_API_KEY
from tests.support.sandbox import start_sandbox, unused_port


def manager_for(bank: BankClient, outbox: DevOutbox, settings: Settings) -> DialogueManager:
    actions = load_actions()
    return make_manager(load_domain(DOMAIN), actions, bank, outbox, settings)


@pytest.fixture
def real_manager(bank: BankClient, outbox: DevOutbox, settings: Settings) -> DialogueManager:
    return manager_for(bank, outbox, settings)


async def card_status(bank: BankClient, customer: str, last4: str) -> str:
    [card] = [c for c in await bank.list_cards(customer) if c.last4 == last4]
    return card.status


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- protective: freezing a card ----------------------------------------------------------


async def test_a_lost_card_is_frozen_after_choosing_confirming_and_the_right_code(
    real_manager: DialogueManager, bank: BankClient, outbox: DevOutbox
) -> None:
    chat = Chat(real_manager, "cust-001")
    messages = await chat.send("I've lost my card", "lost_or_stolen_card")
    assert messages[0].text == "These are the cards I can freeze for you:"
    assert [b.title for b in messages[0].buttons] == [
        "Debit card ••4417",
        "Debit card ••6120",
        "Credit card ••1934",
        "Virtual card ••8802",
    ]
    assert messages[-1].text == "Which card should I freeze?"
    assert chat.summary["awaiting"] == "card"

    said = await chat.say(messages[0].buttons[0].payload, "inform", account="ending:4417")
    assert said.startswith("Freeze your debit card ••4417 now?")
    said = await chat.say("yes", "affirm")
    assert "phone ending 0101" in said
    assert "freeze your debit card ••4417" in outbox.recent("cust-001")[0].text
    assert await card_status(bank, "cust-001", "4417") == "active"  # not before the code

    messages = await chat.send(latest_code(outbox, "cust-001"))
    assert messages[0].text.startswith("Done: your debit card ••4417 is frozen.")
    assert [b.payload for b in messages[-1].buttons] == ["/human_handoff"]
    assert await card_status(bank, "cust-001", "4417") == "frozen"
    [run] = [e for e in chat.of_type(ev.ACTION_RUN) if e.data["action"] == "freeze_card"]
    assert run.data["ok"] and run.data["result"]["reason"] == "lost"
    assert run.data["result"]["from_status"] == "active"
    assert chat.state.stack == []

    # The same approved operation replayed (a retried turn) changes nothing a second time.
    slots = {e.data["name"]: e.data["value"] for e in chat.of_type(ev.SLOT_SET) if e.data["value"]}
    key = run.data["result"]["idempotency_key"]
    now = datetime.fromtimestamp(run.ts, UTC)
    replay = await load_actions()["freeze_card"](
        ActionContext(
            conversation_id=chat.state.conversation_id,
            customer_id="cust-001",
            slots=slots,
            bank=bank,
            now=now,
            render=lambda response, variables: response,
            idempotency_key=key,
        )
    )
    assert replay.audit["replayed"] is True
    assert replay.audit["action_id"] == run.data["result"]["action_id"]

    said = await chat.say("Talk to a person", "human_handoff")
    assert said.startswith("I'm passing you to a colleague")
    assert chat.summary["status"] == "queued"


async def test_three_wrong_codes_leave_the_card_as_it_was(
    real_manager: DialogueManager, bank: BankClient, outbox: DevOutbox
) -> None:
    chat = Chat(real_manager, "cust-001")
    # "my credit card" names one card: no need to ask which.
    said = await chat.say("my credit card was stolen", "lost_or_stolen_card", account="credit_card")
    assert said == (
        "Freeze your credit card ••1934 now? Nobody will be able to pay or take cash out with it"
        " until it's unfrozen."
    )
    await chat.say("yes", "affirm")
    bad = wrong(latest_code(outbox, "cust-001"))
    assert "Attempts left: 2" in await chat.say(bad)
    assert "Attempts left: 1" in await chat.say(bad)
    said = await chat.say(bad)
    assert "too many wrong codes" in said and "freezing your card" in said
    assert chat.state.stack == []
    assert not [e for e in chat.of_type(ev.ACTION_RUN) if e.data["action"] == "freeze_card"]
    assert await card_status(bank, "cust-001", "1934") == "active"


async def test_an_already_frozen_card_is_mentioned_and_no_means_nothing_changes(
    real_manager: DialogueManager, bank: BankClient, outbox: DevOutbox
) -> None:
    chat = Chat(real_manager, "cust-002")  # one debit frozen, virtual cancelled, one spare
    messages = await chat.send("someone used my card", "compromised_card")
    assert messages[0].text.startswith("I'm sorry, let's make the card safe first.")
    assert messages[1].text.startswith("Your debit card ••7781 is already frozen.")
    assert [b.title for b in messages[1].buttons] == ["Debit card ••2268"]
    said = await chat.say("the spare", "inform", account="ending:2268")
    assert said.startswith("Freeze your debit card ••2268 now?")
    said = await chat.say("no", "deny")
    assert said.startswith("OK, I haven't frozen anything.")
    assert await card_status(bank, "cust-002", "2268") == "pending_activation"
    assert outbox.recent("cust-002") == []


async def test_a_card_in_the_wrong_state_is_explained_and_the_choices_offered(
    real_manager: DialogueManager,
) -> None:
    chat = Chat(real_manager, "cust-001")
    await chat.send("my phone was stolen", "lost_or_stolen_phone")
    messages = await chat.send("the one ending 4417", "inform", account="ending:4417")
    # ••4417 was frozen above; it is explained, and the freezable cards offered again.
    assert "debit card ••4417 is frozen" in messages[0].text
    assert "Debit card ••4417" not in [b.title for b in messages[0].buttons]
    assert messages[-1].text == "Which card should I freeze?"


async def test_asking_to_freeze_signed_out_asks_to_sign_in(real_manager: DialogueManager) -> None:
    chat = Chat(real_manager, None)
    said = await chat.say("I lost my card", "lost_or_stolen_card")
    assert said.startswith("To help with freezing your card, I need to know it's you.")


async def test_with_the_bank_down_nothing_is_asked_and_the_customer_is_told(
    outbox: DevOutbox, settings: Settings
) -> None:
    async with BankClient(f"http://127.0.0.1:{unused_port()}", SANDBOX_API_KEY, timeout=2) as down:
        chat = Chat(manager_for(down, outbox, settings), "cust-001")
        said = await chat.say("lost my card", "lost_or_stolen_card")
    assert said.startswith("Sorry, I can't reach the bank's systems right now")
    assert chat.state.stack == [] and outbox.recent("cust-001") == []


async def test_the_bank_going_down_after_the_code_says_the_card_is_not_frozen(
    tmp_path, outbox: DevOutbox, settings: Settings
) -> None:
    url, stop = start_sandbox(f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}", SANDBOX_API_KEY)
    async with BankClient(url, SANDBOX_API_KEY, timeout=2) as client:
        chat = Chat(manager_for(client, outbox, settings), "cust-003")
        await chat.send("card stolen", "lost_or_stolen_card")
        await chat.say("debit", "inform")
        assert "phone ending 0103" in await chat.say("yes", "affirm")
        stop()
        said = await chat.say(latest_code(outbox, "cust-003"))
    assert "NOT frozen" in said or "can't promise it's frozen" in said
    assert "call the number in the app's Help section" in said
    [run] = [e for e in chat.of_type(ev.ACTION_RUN) if e.data["action"] == "freeze_card"]
    assert run.data["ok"] is False and run.data["error"] == "bank_unavailable"


# -- activating a card --------------------------------------------------------------------


async def test_activating_a_delivered_card_takes_a_code(
    real_manager: DialogueManager, bank: BankClient, outbox: DevOutbox
) -> None:
    chat = Chat(real_manager, "cust-003")
    said = await chat.say("activate my new card", "activate_my_card")
    assert said.startswith("Activate your credit card ••2290 now?")
    await chat.say("yes", "affirm")
    said = await chat.say(latest_code(outbox, "cust-003"))
    assert said.startswith("Your credit card ••2290 is now active.")
    assert await card_status(bank, "cust-003", "2290") == "active"
    # Nothing else is waiting: asking again says so instead of asking for a code.
    said = await chat.say("activate my card", "activate_my_card")
    assert said.startswith("You don't have a card waiting to be activated")


# -- reading the customer's data ------------------------------------------------------------


async def test_where_is_my_card(real_manager: DialogueManager) -> None:
    said = await Chat(real_manager, "cust-001").say("where's my new card", "card_arrival")
    assert said.startswith("Here's where your cards are:\nDebit card ••6120: posted on")
    said = await Chat(real_manager, "cust-002").say("when will it come", "card_delivery_estimate")
    assert "Debit card ••2268: ordered on" in said


async def test_why_is_my_card_not_working(real_manager: DialogueManager) -> None:
    messages = await Chat(real_manager, "cust-002").send("card won't work", "card_not_working")
    assert "Debit card ••7781 (Visa): frozen" in messages[0].text
    assert messages[1].text.startswith("If a card shows as frozen, you can unfreeze it")


async def test_pending_card_payments_with_what_happens_next(real_manager: DialogueManager) -> None:
    messages = await Chat(real_manager, "cust-001").send("pending payment?", "pending_card_payment")
    assert messages[0].text.startswith("You have 2 pending card payments:")
    assert "Premier Inn · £120.00" in messages[0].text
    assert messages[1].text.startswith("A card payment stays pending until the shop collects")


async def test_a_failed_top_up_says_why(real_manager: DialogueManager) -> None:
    said = await Chat(real_manager, "cust-003").say("my top up failed", "top_up_failed")
    assert "£40.00 from Mastercard ••4402" in said and "3-D Secure" in said
    assert "No money was taken for a failed top-up" in said


async def test_exchange_rates_need_no_sign_in(real_manager: DialogueManager) -> None:
    chat = Chat(real_manager, None)
    said = await chat.say("100 pounds in euros?", "exchange_rate", currency="EUR", amount="100.00")
    assert said.startswith("Today's rate for EUR: £1 = €1.1650. At that rate £100.00 buys €116.50")
    said = await chat.say("exchange to roubles in the app", "exchange_via_app", currency="RUB")
    assert said.startswith("Sorry, we don't exchange RUB.")


async def test_a_pending_question_in_the_middle_of_a_transfer_then_back(
    real_manager: DialogueManager,
) -> None:
    chat = Chat(real_manager, "cust-001")
    await chat.say("pay alice", "transfer_money", payee="alice johnson")
    messages = await chat.send("is my transfer to priya still pending", "pending_transfer")
    assert "FP PRIYA PATEL · £80.00" in messages[0].text
    assert messages[-1].text == "Shall we go back to your transfer?"


# -- hand-offs and written answers ----------------------------------------------------------


async def test_a_refund_is_explained_then_handed_to_a_person(real_manager: DialogueManager) -> None:
    chat = Chat(real_manager, "cust-001")
    messages = await chat.send("I want a refund", "request_refund")
    assert messages[0].text.startswith("Refunds for card payments come from the shop")
    assert messages[1].text.startswith("I'm passing you to a colleague")
    assert chat.of_type(ev.HANDOFF)[-1].data == {"status": "queued", "reason": "refund_request"}
    assert chat.summary == {"flow": None, "awaiting": None, "status": "queued"}


async def test_a_written_answer_needs_no_bank(real_manager: DialogueManager) -> None:
    said = await Chat(real_manager, None).say("apple pay?", "apple_pay_or_google_pay")
    assert said.startswith("Yes, you can use Apple Pay and Google Pay.")


async def test_a_full_card_number_typed_as_the_answer_is_never_kept(
    real_manager: DialogueManager,
) -> None:
    chat = Chat(real_manager, "cust-001")
    await chat.send("lost card", "lost_or_stolen_card")
    said = await chat.say("it's 4111 1111 1111 1111", "inform")  # a card that isn't hers
    assert "couldn't tell which card" in said
    said = await chat.say("4111 1111 1116 4417", "inform")  # a valid card number: ••4417
    assert "debit card ••4417" in said
    stored = [str(e.data["value"]) for e in chat.of_type(ev.SLOT_SET)]
    assert any("•••• 1111" in value for value in stored)
    assert not [value for value in stored if "4111" in value]
