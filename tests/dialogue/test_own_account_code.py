"""The own-account transfer's one-time code is a setting: exempt by default (PSD2 RTS
article 15), asked for when `otp.exempt` no longer names own_account_transfer. The real
flow and actions against the sandbox bank over HTTP; balances are read back from the bank."""

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from actions.bank_client import BankClient
from actions.registry import load_actions
from bot.config import Settings
from bot.dialogue.domain import load_domain
from bot.dialogue.manager import DialogueManager
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, latest_code, make_manager
from tests.dialogue.conftest import DOMAIN

CUSTOMER = "cust-001"


def _manager(bank: BankClient, outbox: DevOutbox, settings: Settings) -> DialogueManager:
    return make_manager(load_domain(Path(DOMAIN)), load_actions(), bank, outbox, settings)


async def _balances(bank: BankClient) -> dict[str, Decimal]:
    return {b.account_id: b.amount for b in await bank.get_balances(CUSTOMER)}


async def _ask_to_move_50(chat: Chat) -> str:
    said = await chat.say(
        "move £50 to savings", "transfer_between_accounts", amount="50.00", to_account="savings"
    )
    assert "from your Current account ••4821 to your Savings account ••7730" in said
    return await chat.say("yes", "affirm")


async def test_by_default_the_transfer_goes_ahead_without_a_code(
    bank: BankClient, outbox: DevOutbox, settings: Settings
) -> None:
    before = await _balances(bank)
    said = await _ask_to_move_50(Chat(_manager(bank, outbox, settings), CUSTOMER))
    assert "has been moved" in said and not outbox.recent(CUSTOMER)
    after = await _balances(bank)
    assert after["acc-001-current"] == before["acc-001-current"] - 50
    assert after["acc-001-savings"] == before["acc-001-savings"] + 50


async def test_with_the_exemption_off_a_code_is_asked_and_bound_to_both_accounts(
    bank: BankClient, outbox: DevOutbox, settings: Settings
) -> None:
    strict = replace(settings, otp=replace(settings.otp, exempt=()))
    chat = Chat(_manager(bank, outbox, strict), CUSTOMER)
    before = await _balances(bank)
    said = await _ask_to_move_50(chat)
    assert "code" in said and await _balances(bank) == before
    [sent] = outbox.recent(CUSTOMER)
    assert "Current account ••4821" in sent.text and "Savings account ••7730" in sent.text
    said = await chat.say(latest_code(outbox))
    assert "has been moved" in said
    after = await _balances(bank)
    assert after["acc-001-current"] == before["acc-001-current"] - 50
    assert after["acc-001-savings"] == before["acc-001-savings"] + 50
