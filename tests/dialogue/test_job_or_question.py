"""A message that may want a job done or a question answered: Teller asks, it does not guess."""

import shutil
from pathlib import Path

import pytest

from bot import events as ev
from bot.config import Settings
from bot.dialogue.domain import load_domain
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, make_manager
from tests.dialogue.conftest import DOMAIN
from tests.dialogue.stand_ins import Directory, Ledger, build_actions

ASK_PAYEE = "Who would you like to send money to?"


@pytest.fixture
def chat(domain_dir: Path, tmp_path: Path, ledger: Ledger, outbox: DevOutbox) -> Chat:
    """The transfer flow and the written FAQ answers together."""
    for source in domain_dir.iterdir():
        shutil.copy(source, tmp_path / source.name)
    shutil.copy(DOMAIN / "faq.yml", tmp_path / "faq.yml")
    domain = load_domain(tmp_path)
    return Chat(make_manager(domain, build_actions(ledger), Directory(), outbox, Settings()))


async def test_a_job_about_as_likely_as_an_faq_offers_both_and_starts_neither(chat: Chat) -> None:
    [message] = await chat.send(
        "transfer from my other bank",
        "transfer_money",
        confidence=0.48,
        ranking=(("transfer_money", 0.48), ("transfer_into_account", 0.41)),
    )
    assert message.text == "I want to get this right. Which of these did you mean?"
    assert [(b.title, b.payload) for b in message.buttons] == [
        ("Send money to a saved payee", "/transfer_money"),
        ("Move money in from another bank", "/transfer_into_account"),
    ]
    assert chat.state.stack == [] and not chat.of_type(ev.FLOW_STARTED)
    assert await chat.say("/transfer_money", "transfer_money") == ASK_PAYEE  # the button


async def test_a_clear_job_starts_even_with_an_faq_further_down(chat: Chat) -> None:
    said = await chat.say(
        "send money",
        "transfer_money",
        confidence=0.8,
        ranking=(("transfer_money", 0.8), ("transfer_into_account", 0.1)),
    )
    assert said == ASK_PAYEE


async def test_a_question_about_a_money_job_says_what_will_happen_before_it_starts(
    chat: Chat, ledger: Ledger
) -> None:
    [offer] = await chat.send("how do I send money to a friend?", "transfer_money")
    assert offer.text == "I can send money to a saved payee for you here and now. Shall we start?"
    assert [b.title for b in offer.buttons] == ["Yes, let's start", "No, thanks"]
    assert await chat.say("yes", "affirm") == ASK_PAYEE
    assert chat.summary["awaiting"] == "payee" and ledger.calls == []


async def test_no_to_the_offer_starts_nothing(chat: Chat) -> None:
    await chat.send("can I transfer money here?", "transfer_money")
    assert await chat.say("no", "deny") == "No problem, I haven't started anything."
    assert chat.state.stack == []


async def test_something_else_instead_of_an_answer_to_the_offer_is_taken_as_it_comes(
    chat: Chat,
) -> None:
    await chat.send("how do I send money?", "transfer_money")
    said = await chat.say("how long do transfers take", "transfer_timing")
    assert "2 hours" in said
    assert chat.state.stack == []


@pytest.mark.parametrize(
    "text", ["can you send money to alice?", "please send money to bob?", "send money"]
)
async def test_a_request_is_not_a_question(chat: Chat, text: str) -> None:
    assert await chat.say(text, "transfer_money") == ASK_PAYEE


async def test_an_faq_about_as_likely_as_a_job_offers_both_too(chat: Chat) -> None:
    [message] = await chat.send(
        "I want to transfer money",
        "transfer_into_account",
        confidence=0.41,
        ranking=(("transfer_into_account", 0.41), ("transfer_money", 0.39)),
    )
    assert [b.payload for b in message.buttons] == ["/transfer_money", "/transfer_into_account"]
    assert chat.state.stack == []
