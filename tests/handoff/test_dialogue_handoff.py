"""Handoff inside the dialogue: a `handoff` step in a configured flow, nobody online, and
repeated action failures (offer or queue, as configured)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot import events as ev
from bot.config import PROJECT_ROOT, HandoffSettings, Settings
from bot.dialogue.domain import load_domain
from bot.handlers import Action, ActionContext, ActionResult, Reply, declared
from bot.store.memory import DevOutbox, MemoryPresence
from tests.dialogue.chat import Chat, make_manager
from tests.dialogue.stand_ins import RESPONSES_YML, Directory, Ledger, build_actions

FRAUD_FLOW = """
flows:
  report_fraud:
    intent: report_fraud
    description: Report a payment you didn't make
    label: your fraud report
    steps:
      - handoff: fraud
"""


@pytest.fixture(scope="module")
def domain_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("handoff-domain")
    for name in ("flows.yml", "responses.yml"):
        shutil.copy(PROJECT_ROOT / "bot" / "domain" / name, directory / name)
    (directory / "responses_stand_ins.yml").write_text(RESPONSES_YML)
    (directory / "fraud.yml").write_text(FRAUD_FLOW)
    return directory


class Bank:
    """The stand-in balance action, with a switch to make it fail."""

    def __init__(self) -> None:
        self.down = False

    async def check_balance(self, ctx: ActionContext) -> ActionResult:
        if self.down:
            return ActionResult(
                ok=False, error="bank_unavailable", replies=[Reply("utter_bank_unavailable")]
            )
        return ActionResult(replies=[Reply("utter_balance", {"lines": "Current: £10.00"})])


def make_chat(domain_dir: Path, presence: MemoryPresence, bank: Bank, on_failures: str) -> Chat:
    ledger = Ledger()
    says = declared({"utter_bank_unavailable": [], "utter_balance": ["lines"]})
    actions = {
        **build_actions(ledger),
        "check_balance": Action("check_balance", bank.check_balance, says),
    }
    settings = Settings(handoff=HandoffSettings(on_failures=on_failures))

    domain = load_domain(domain_dir)
    return Chat(
        make_manager(domain, actions, Directory(), DevOutbox(), settings, presence=presence)
    )


@pytest.fixture
def presence() -> MemoryPresence:
    """An agent who beats stays online for the whole test, however slow the machine."""
    return MemoryPresence(ttl_seconds=60)


@pytest.fixture
def bank() -> Bank:
    return Bank()


async def test_a_handoff_step_in_a_configured_flow_queues_with_its_reason(
    domain_dir: Path, presence: MemoryPresence, bank: Bank
) -> None:
    await presence.beat("ana")
    chat = make_chat(domain_dir, presence, bank, "offer")
    said = await chat.say("someone took money from my card", "report_fraud")
    assert "usually within 5 minutes during opening hours (8am to 8pm" in said
    assert chat.of_type(ev.HANDOFF)[-1].data == {"status": "queued", "reason": "fraud"}
    assert await chat.say("hello?", "greet") == (
        "You're in the queue and a colleague will be with you shortly. "
        "Say cancel to go back to Teller."
    )


async def test_with_nobody_online_the_bot_takes_a_message(domain_dir: Path, bank: Bank) -> None:
    presence = MemoryPresence(ttl_seconds=0.1)
    await presence.beat("ana")
    await asyncio.sleep(0.2)  # Ana's console stopped beating: she is offline now
    chat = make_chat(domain_dir, presence, bank, "offer")
    said = await chat.say("someone took money from my card", "report_fraud")
    assert said.startswith("None of my colleagues are online right now")
    said = await chat.say("it was 200 pounds at 3am", "inform")
    assert "I've added that for my colleague" in said
    assert chat.summary["status"] == "queued"


async def test_two_failed_actions_in_a_row_offer_a_person(
    domain_dir: Path, presence: MemoryPresence, bank: Bank
) -> None:
    chat = make_chat(domain_dir, presence, bank, "offer")
    bank.down = True
    assert "pass you to a colleague" not in await chat.say("balance", "check_balance")
    bank.down = False
    await chat.say("balance", "check_balance")  # a success resets the count
    bank.down = True
    assert "pass you to a colleague" not in await chat.say("balance", "check_balance")
    [*_, offer] = await chat.send("balance", "check_balance")
    assert [b.payload for b in offer.buttons] == ["/human_handoff"]
    assert chat.summary["status"] == "bot"


async def test_failures_can_be_configured_to_queue_straight_away(
    domain_dir: Path, presence: MemoryPresence, bank: Bank
) -> None:
    await presence.beat("ana")
    chat = make_chat(domain_dir, presence, bank, "queue")
    bank.down = True
    await chat.say("balance", "check_balance")
    said = await chat.say("balance", "check_balance")
    assert "I'm passing you to a colleague" in said
    assert chat.of_type(ev.HANDOFF)[-1].data == {"status": "queued", "reason": "failed_actions"}
    assert chat.state.stack == []
