"""The real transfer flow: real domain, real actions, the sandbox bank over HTTP, the real
OtpService delivering to the DevOutbox. Balances are read back from the bank."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

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
from tests.dialogue.conftest import DOMAIN

CUSTOMER = "cust-001"
CURRENT = "acc-001-current"


@pytest.fixture
def real_manager(bank: BankClient, outbox: DevOutbox, settings: Settings) -> DialogueManager:
    actions = load_actions()
    domain = load_domain(Path(DOMAIN))
    return make_manager(domain, actions, bank, outbox, settings)


async def balance(bank: BankClient) -> Decimal:
    [current] = await bank.get_balances(CUSTOMER, CURRENT)
    return current.amount


async def test_a_confirmed_transfer_moves_money_exactly_once(
    real_manager: DialogueManager, bank: BankClient, outbox: DevOutbox
) -> None:
    before = await balance(bank)
    chat = Chat(real_manager, CUSTOMER)
    said = await chat.say(
        "send 25 to alice johnson", "transfer_money", amount="25.00", payee="alice johnson"
    )
    assert "Alice Johnson" in said and "25" in said
    said = await chat.say("yes", "affirm")
    assert "phone ending 0101" in said
    assert "Alice Johnson" in outbox.recent(CUSTOMER)[0].text

    said = await chat.say(latest_code(outbox))
    assert await balance(bank) == before - Decimal("25.00")
    assert "Alice Johnson" in said
    [run] = chat.of_type(ev.ACTION_RUN)
    assert run.data["ok"] is True
    key = run.data["result"]["idempotency_key"]

    # The same approved operation replayed (a retried turn) fetches the first payment.
    slots = {e.data["name"]: e.data["value"] for e in chat.of_type(ev.SLOT_SET) if e.data["value"]}
    now = datetime.fromtimestamp(run.ts, UTC)
    context = ActionContext(
        conversation_id=chat.state.conversation_id,
        customer_id=CUSTOMER,
        slots=slots,
        bank=bank,
        now=now,
        render=lambda response, variables: response,
        idempotency_key=key,
    )
    replay = await load_actions()["transfer_money"](context)
    assert replay.ok
    assert await balance(bank) == before - Decimal("25.00")


async def test_three_wrong_codes_move_nothing(
    real_manager: DialogueManager, bank: BankClient, outbox: DevOutbox
) -> None:
    before = await balance(bank)
    chat = Chat(real_manager, CUSTOMER)
    await chat.say("send 40 to bob", "transfer_money", amount="40", payee="bob martin")
    await chat.say("yes", "affirm")
    code = latest_code(outbox)
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(3):
        said = await chat.say(bad)
    assert "Nothing has been sent" in said
    assert chat.state.stack == []
    assert await balance(bank) == before
    assert chat.of_type(ev.ACTION_RUN) == []


async def test_a_balance_digression_uses_the_bank_then_the_transfer_resumes(
    real_manager: DialogueManager, bank: BankClient
) -> None:
    chat = Chat(real_manager, CUSTOMER)
    await chat.say("pay alice", "transfer_money", payee="alice johnson")
    messages = await chat.send("what's my balance", "check_balance")
    assert "4821" in messages[0].text
    assert messages[-1].text == "Shall we go back to your transfer?"
    said = await chat.say("yes", "affirm")
    assert said == "How much would you like to send to Alice Johnson?"
    said = await chat.say("20", amount="20")
    assert "20.00" in said and "Alice Johnson" in said and "4821" in said
    assert chat.summary == {"flow": "transfer_money", "awaiting": None, "status": "bot"}


async def test_an_ambiguous_or_unknown_payee_is_asked_again_with_the_choices(
    real_manager: DialogueManager,
) -> None:
    chat = Chat(real_manager, CUSTOMER)
    await chat.say("send 5 pounds", "transfer_money", amount="5")
    messages = await chat.send("Zebedee", payee="Zebedee")
    assert "Alice Johnson" in [b.title for b in messages[0].buttons]
    assert messages[-1].text == "Who would you like to send money to?"
    assert chat.summary["awaiting"] == "payee"
