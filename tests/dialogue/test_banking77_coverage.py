"""Every one of the 77 BANKING77 needs gets a real answer in the domain, of the right kind."""

from __future__ import annotations

import re
import string

import pytest

from bot.dialogue.domain import Domain, load_domain
from tests.dialogue.conftest import DOMAIN

# The BANKING77 categories (PolyAI, CC-BY-4.0), snake_case as the NLU names them:
# "Refund_not_showing_up" -> refund_not_showing_up, "reverted_card_payment?" -> without "?".
BANKING77 = [
    "activate_my_card",
    "age_limit",
    "apple_pay_or_google_pay",
    "atm_support",
    "automatic_top_up",
    "balance_not_updated_after_bank_transfer",
    "balance_not_updated_after_cheque_or_cash_deposit",
    "beneficiary_not_allowed",
    "cancel_transfer",
    "card_about_to_expire",
    "card_acceptance",
    "card_arrival",
    "card_delivery_estimate",
    "card_linking",
    "card_not_working",
    "card_payment_fee_charged",
    "card_payment_not_recognised",
    "card_payment_wrong_exchange_rate",
    "card_swallowed",
    "cash_withdrawal_charge",
    "cash_withdrawal_not_recognised",
    "change_pin",
    "compromised_card",
    "contactless_not_working",
    "country_support",
    "declined_card_payment",
    "declined_cash_withdrawal",
    "declined_transfer",
    "direct_debit_payment_not_recognised",
    "disposable_card_limits",
    "edit_personal_details",
    "exchange_charge",
    "exchange_rate",
    "exchange_via_app",
    "extra_charge_on_statement",
    "failed_transfer",
    "fiat_currency_support",
    "get_disposable_virtual_card",
    "get_physical_card",
    "getting_spare_card",
    "getting_virtual_card",
    "lost_or_stolen_card",
    "lost_or_stolen_phone",
    "order_physical_card",
    "passcode_forgotten",
    "pending_card_payment",
    "pending_cash_withdrawal",
    "pending_top_up",
    "pending_transfer",
    "pin_blocked",
    "receiving_money",
    "refund_not_showing_up",
    "request_refund",
    "reverted_card_payment",
    "supported_cards_and_currencies",
    "terminate_account",
    "top_up_by_bank_transfer_charge",
    "top_up_by_card_charge",
    "top_up_by_cash_or_cheque",
    "top_up_failed",
    "top_up_limits",
    "top_up_reverted",
    "topping_up_by_card",
    "transaction_charged_twice",
    "transfer_fee_charged",
    "transfer_into_account",
    "transfer_not_received_by_recipient",
    "transfer_timing",
    "unable_to_verify_identity",
    "verify_my_identity",
    "verify_source_of_funds",
    "verify_top_up",
    "virtual_card_not_working",
    "visa_or_mastercard",
    "why_verify_identity",
    "wrong_amount_of_cash_received",
    "wrong_exchange_rate_for_cash_withdrawal",
]
PROTECTIVE = ("lost_or_stolen_card", "compromised_card", "card_swallowed", "lost_or_stolen_phone")
HANDOFFS = (
    "request_refund",
    "refund_not_showing_up",
    "direct_debit_payment_not_recognised",
    "cash_withdrawal_not_recognised",
    "wrong_amount_of_cash_received",
    "terminate_account",
)
NEEDS_CUSTOMER_DATA = (
    "card_arrival",
    "card_delivery_estimate",
    "activate_my_card",
    "card_not_working",
    "virtual_card_not_working",
    "declined_card_payment",
    "declined_cash_withdrawal",
    "card_about_to_expire",
    "pending_card_payment",
    "pending_transfer",
    "pending_cash_withdrawal",
    "pending_top_up",
    "top_up_failed",
    "top_up_reverted",
    "transfer_not_received_by_recipient",
    # a payment the customer picks from their own debits becomes a dispute case at the bank
    "transaction_charged_twice",
    "card_payment_not_recognised",
)
# Fraud: after the freeze, a case at the bank and a person with the case attached.
FRAUD = ("compromised_card",)
_PLACEHOLDER = re.compile(r"TODO|TBD|lorem|XXX|\[.*?\]|<.*?>", re.IGNORECASE)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return load_domain(DOMAIN)


def test_the_list_has_all_77_needs_once() -> None:
    assert len(BANKING77) == len(set(BANKING77)) == 77


@pytest.mark.parametrize("intent", BANKING77)
def test_every_need_has_an_answer_or_a_flow(domain: Domain, intent: str) -> None:
    flow = domain.flow_for(intent)
    answer = domain.answers.get(intent)
    assert (flow is None) != (answer is None), f"{intent}: needs exactly one answer or flow"
    assert domain.description_of(intent), f"{intent}: needs a description for clarify buttons"


@pytest.mark.parametrize("intent", [i for i in BANKING77 if i not in PROTECTIVE + HANDOFFS])
def test_written_answers_and_advice_are_real_text(domain: Domain, intent: str) -> None:
    flow = domain.flow_for(intent)
    keys = [domain.answers[intent].response] if flow is None else []
    if flow is not None:
        keys = [step.response for step in flow.steps if step.kind == "say"]
    for key in keys:
        for variant in domain.responses[key]:
            assert len(variant.text) >= 80, f"{key}: too short to be a real answer"
            assert not _PLACEHOLDER.search(variant.text), f"{key}: placeholder text"
            fields = [f for _, f, _, _ in string.Formatter().parse(variant.text) if f]
            assert fields == [], f"{key}: an answer has no data to fill {fields}"


@pytest.mark.parametrize("intent", NEEDS_CUSTOMER_DATA)
def test_needs_about_the_customers_own_data_read_the_bank(domain: Domain, intent: str) -> None:
    flow = domain.flow_for(intent)
    assert flow is not None and flow.requires_identified
    assert any(step.kind == "action" for step in flow.steps)


@pytest.mark.parametrize("intent", PROTECTIVE)
def test_protective_flows_freeze_only_after_confirmation_and_a_bound_code(
    domain: Domain, intent: str
) -> None:
    flow = domain.flow_for(intent)
    assert flow is not None and flow.requires_identified
    kinds = [step.kind for step in flow.steps]
    freeze = [step.action for step in flow.steps].index("freeze_card")
    assert kinds.index("confirm") < kinds.index("step_up") < freeze
    step_up = flow.steps[kinds.index("step_up")]
    assert step_up.operation == ("card_id", "card_operation")
    assert flow.preset["card_operation"] == "freeze"
    actions = [step.action for step in flow.steps if step.kind == "action"]
    if intent in FRAUD:
        assert actions == ["offer_cards", "freeze_card", "open_fraud_case"]
        last = flow.steps[-1]
        assert (last.kind, last.reason, last.attach) == ("handoff", "fraud", ("case_reference",))
        return
    assert actions == ["offer_cards", "freeze_card"]
    last = domain.responses[flow.steps[-1].response][0]
    assert "/human_handoff" in [b.payload for b in last.buttons], "then offer a person"


@pytest.mark.parametrize("intent", HANDOFFS)
def test_disputes_explain_then_hand_off_with_a_reason(domain: Domain, intent: str) -> None:
    flow = domain.flow_for(intent)
    assert flow is not None
    assert [step.kind for step in flow.steps] == ["say", "handoff"]
    assert flow.steps[1].reason and flow.steps[1].reason != "customer_request"


def test_help_stays_short(domain: Domain) -> None:
    """Help lists areas, not the fifty-odd jobs; the blind clarify buttons stay few too."""
    topics = domain.text("help_topics", {}).splitlines()
    assert 4 <= len(topics) <= 9 and all(line.startswith("• ") for line in topics)
    listed = [f for f in domain.flows.values() if f.intent and f.listed]
    assert 4 <= len(listed) <= 9
