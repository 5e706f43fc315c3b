"""Card, pending, top-up and exchange-rate actions against the real sandbox over HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest

from actions.bank_client import BankClient
from actions.cards import (
    activate_card,
    card_delivery,
    card_status,
    freeze_card,
    match_cards,
    offer_cards,
    validate_card,
)
from actions.pending import pending_transactions
from actions.rates import exchange_rates
from actions.registry import load_actions
from actions.topups import top_up_status
from bot.bank import Card
from bot.config import PROJECT_ROOT
from bot.dialogue.domain import Domain, load_domain
from bot.handlers import ActionResult
from tests.actions.conftest import context


@cache
def _domain() -> Domain:
    return load_domain(PROJECT_ROOT / "bot" / "domain")


def said(result: ActionResult) -> str:
    """What the customer reads; every reply key must exist in the domain."""
    return "\n".join(_domain().render(r.key, r.vars, 0, r.buttons).text for r in result.replies)


def buttons(result: ActionResult) -> list[str]:
    """Button titles as shown: the response's own, then those the action computed."""
    return [
        button.title
        for r in result.replies
        for button in _domain().render(r.key, r.vars, 0, r.buttons).buttons
    ]


async def test_cards_are_typed_with_delivery(bank: BankClient) -> None:
    cards = await bank.list_cards("cust-001")
    assert [c.last4 for c in cards] == ["4417", "6120", "1934", "8802"]
    renewal = cards[1]
    assert isinstance(renewal, Card) and renewal.status == "pending_activation"
    assert renewal.delivery is not None and renewal.delivery.status == "dispatched"
    assert cards[3].delivery is None


def test_matching_a_card_by_id_last4_kind_or_account_value() -> None:
    def card(card_id: str, kind: str, last4: str) -> Card:
        return Card(card_id, "acc", kind, "Visa", last4, "active", None, None)  # type: ignore[arg-type]

    cards = [
        card("c1", "debit", "4417"),
        card("c2", "credit", "1934"),
        card("c3", "virtual", "8802"),
    ]
    assert match_cards(cards, "c2") == [cards[1]]
    assert match_cards(cards, "ending:4417") == [cards[0]]
    assert match_cards(cards, "the one ending in 8802") == [cards[2]]
    assert match_cards(cards, "credit_card") == [cards[1]]
    assert match_cards(cards, "my Credit one") == [cards[1]]
    assert match_cards(cards, "current") == [cards[0], cards[2]]
    assert match_cards(cards, "my card") == cards  # says nothing: all are candidates
    assert match_cards(cards, "ending:0000") == []


async def test_offer_cards_lists_the_freezable_cards_as_buttons(bank: BankClient) -> None:
    result = await offer_cards(context(bank, card_operation="freeze"))
    assert result.ok and "card" not in {k for k, v in result.slots.items() if v}
    assert buttons(result) == [
        "Debit card ••4417",
        "Debit card ••6120",
        "Credit card ••1934",
        "Virtual card ••8802",
    ]
    payloads = [p for reply in result.replies for _, p in reply.buttons]
    assert payloads[0] == '/inform{"account": "ending:4417"}'


async def test_offer_cards_picks_the_only_eligible_card(bank: BankClient) -> None:
    result = await offer_cards(context(bank, "cust-003", card_operation="activate"))
    assert result.ok and not result.replies
    assert result.slots == {
        "card": "card-003-credit",
        "card_id": "card-003-credit",
        "card_label": "credit card ••2290",
    }


async def test_with_a_card_already_frozen_the_choice_is_shown_not_assumed(
    bank: BankClient,
) -> None:
    result = await offer_cards(context(bank, "cust-002", card_operation="freeze"))
    assert said(result) == (
        "Your debit card ••7781 is already frozen. These are the cards I can freeze for you:"
    )
    assert buttons(result) == ["Debit card ••2268"]


async def test_offer_cards_narrows_by_what_the_customer_said(bank: BankClient) -> None:
    result = await offer_cards(context(bank, card="credit_card", card_operation="freeze"))
    assert result.slots["card_id"] == "card-001-credit"
    activatable = await offer_cards(context(bank, card_operation="activate"))
    assert activatable.slots["card_label"] == "debit card ••6120"


async def test_validate_card_explains_a_card_in_the_wrong_state(bank: BankClient) -> None:
    result = await validate_card(context(bank, "cust-002", card="7781", card_operation="freeze"))
    assert not result.ok and result.error == "card_not_eligible"
    assert "frozen" in said(result)
    assert buttons(result) == ["Debit card ••2268"]
    unknown = await validate_card(context(bank, card="ending:5555", card_operation="freeze"))
    assert unknown.error == "card_not_matched" and len(buttons(unknown)) == 4


async def test_card_flows_must_say_which_operation(bank: BankClient) -> None:
    with pytest.raises(ValueError, match="card_operation"):
        await offer_cards(context(bank))


async def test_freeze_needs_an_approved_operation_key(bank: BankClient) -> None:
    with pytest.raises(ValueError, match="idempotency key"):
        await freeze_card(context(bank, card_id="card-001-debit", card_label="debit card ••4417"))


async def test_freeze_then_replay_changes_the_card_once(bank: BankClient) -> None:
    slots = {"card_id": "card-001-virtual", "card_label": "virtual card ••8802"}
    first = await freeze_card(context(bank, key="approved-1", freeze_reason="lost", **slots))
    assert first.ok and "virtual card ••8802 is frozen" in said(first)
    assert first.audit["from_status"] == "active" and first.audit["replayed"] is False
    replay = await freeze_card(context(bank, key="approved-1", freeze_reason="lost", **slots))
    assert replay.ok and replay.audit["replayed"] is True
    assert replay.audit["action_id"] == first.audit["action_id"]
    [virtual] = [c for c in await bank.list_cards("cust-001") if c.last4 == "8802"]
    assert virtual.status == "frozen"


async def test_a_refused_freeze_says_to_call(bank: BankClient) -> None:
    slots = {"card_id": "card-002-virtual", "card_label": "virtual card ••3345"}
    result = await freeze_card(context(bank, "cust-002", key="approved-2", **slots))
    assert not result.ok and result.audit["bank_code"] == "card_cancelled"
    assert "call us" in said(result)


async def test_freeze_with_the_bank_down_says_the_card_is_not_frozen(
    down_bank: BankClient,
) -> None:
    slots = {"card_id": "card-001-debit", "card_label": "debit card ••4417"}
    result = await freeze_card(context(down_bank, key="approved-3", **slots))
    assert not result.ok and result.error == "bank_unavailable"
    assert "NOT frozen" in said(result)
    assert result.audit["outcome_unknown"] is False


async def test_activate_a_delivered_card(bank: BankClient) -> None:
    slots = {"card_id": "card-003-credit", "card_label": "credit card ••2290"}
    result = await activate_card(context(bank, "cust-003", key="approved-4", **slots))
    assert result.ok and "now active" in said(result)
    refused = await activate_card(
        context(bank, "cust-002", key="approved-5", card_id="card-002-debit", card_label="x")
    )
    assert not refused.ok and refused.audit["bank_code"] == "card_not_activatable"


async def test_card_delivery_says_where_each_card_is(bank: BankClient) -> None:
    emma = said(await card_delivery(context(bank)))
    assert "Debit card ••6120: posted on" in emma and "expected by" in emma
    james = said(await card_delivery(context(bank, "cust-002")))
    assert "Debit card ••2268: ordered on" in james


async def test_card_status_explains_states_and_expiry(bank: BankClient) -> None:
    james = said(await card_status(context(bank, "cust-002")))
    assert "Debit card ••7781 (Visa): frozen" in james
    assert "Virtual card ••3345 (Visa): cancelled" in james
    emma = said(await card_status(context(bank)))
    assert "Debit card ••4417 (Visa): active, expires" in emma and "(soon)" in emma


async def test_pending_card_payments_and_none_pending(bank: BankClient) -> None:
    emma = said(await pending_transactions(context(bank, pending_kind="card_payment")))
    assert emma.startswith("You have 2 pending card payments:")
    assert "Amazon · £23.99 · should clear by" in emma
    aisha = await pending_transactions(context(bank, "cust-003", pending_kind="transfer"))
    assert said(aisha) == "You don't have any pending transfers right now."


async def test_top_ups_by_status_say_why(bank: BankClient) -> None:
    failed = said(await top_up_status(context(bank, top_up_status="failed")))
    assert "£150.00 from Visa debit ••5521" in failed
    assert "the bank that issued the card declined it" in failed
    reverted = said(await top_up_status(context(bank, top_up_status="reverted")))
    assert "took the payment back" in reverted
    none = said(await top_up_status(context(bank, "cust-003", top_up_status="reverted")))
    assert none == "I can't see any reverted top-ups on your account."


async def test_exchange_rates_quote_the_banks_table(bank: BankClient) -> None:
    euro = said(await exchange_rates(context(bank, currency="EUR", amount="100.00")))
    assert euro == (
        "Today's rate for EUR: £1 = €1.1650. At that rate £100.00 buys €116.50,"
        " and €100.00 costs £85.84."
    )
    yen = said(await exchange_rates(context(bank, currency="jpy")))
    assert yen == "Today's rate for JPY: £1 = 192.40 JPY."
    table = said(await exchange_rates(context(bank)))
    assert "£1 = $1.2650" in table and "MXN" in table
    rouble = await exchange_rates(context(bank, currency="RUB"))
    assert not rouble.ok and "we don't exchange RUB" in said(rouble)


@pytest.mark.parametrize(
    ("handler", "slots"),
    [
        (offer_cards, {"card_operation": "freeze"}),
        (validate_card, {"card_operation": "activate", "card": "6120"}),
        (card_delivery, {}),
        (card_status, {}),
        (pending_transactions, {"pending_kind": "cash_withdrawal"}),
        (top_up_status, {"top_up_status": "pending"}),
        (exchange_rates, {"currency": "USD"}),
    ],
)
async def test_reads_with_the_bank_down_say_so(down_bank: BankClient, handler, slots) -> None:
    result = await handler(context(down_bank, **slots))
    assert not result.ok and result.error == "bank_unavailable"
    assert said(result).startswith("Sorry, I can't reach the bank's systems right now")


def test_every_response_an_action_declares_exists_with_placeholders_it_fills() -> None:
    for name, declared_action in load_actions().items():
        assert _domain().problems(declared_action.says, f"action {name!r}") == []


async def test_one_pending_item_and_a_bank_transfer_top_up_read_naturally(bank: BankClient) -> None:
    cash = said(await pending_transactions(context(bank, pending_kind="cash_withdrawal")))
    assert cash.startswith("You have 1 pending cash withdrawal:\n")
    pending = said(await top_up_status(context(bank, top_up_status="pending")))
    assert "£500.00 by bank transfer · it's being checked by our security team" in pending


async def test_a_late_card_is_flagged_with_the_way_to_freeze_it(bank: BankClient) -> None:
    later = replace(context(bank), now=datetime.now(UTC) + timedelta(days=10))
    result = await card_delivery(later)
    assert "Debit card ••6120: posted on" in said(result) and "(it's late)" in said(result)
    assert buttons(result) == ["Freeze it", "Talk to a person"]


async def test_an_expired_card_says_so(bank: BankClient) -> None:
    later = replace(context(bank, "cust-002"), now=datetime.now(UTC) + timedelta(days=2000))
    assert "Debit card ••7781 (Visa): expired" in said(await card_status(later))
