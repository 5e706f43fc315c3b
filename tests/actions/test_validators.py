"""The transfer flow's slot validators, with a real bank client against the sandbox."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from actions.bank_client import BankClient
from actions.registry import load_actions
from actions.validators import validate_amount, validate_payee, validate_source_account
from tests.actions.conftest import context, render


def test_registry_holds_every_banking_action():
    assert {
        "validate_payee",
        "validate_amount",
        "validate_source_account",
        "check_balance",
        "transaction_history",
        "transfer_money",
    } <= set(load_actions())


@pytest.mark.parametrize(
    ("said", "payee", "payee_id"),
    [
        ("Alice Johnson", "Alice Johnson", "payee-001-01"),
        ("alice", "Alice Johnson", "payee-001-01"),
        ("ALICE JONSON", "Alice Johnson", "payee-001-01"),
        ("johnson", "Alice Johnson", "payee-001-01"),
        ("bob martn", "Bob Martin", "payee-001-02"),
        ("  Bob ", "Bob Martin", "payee-001-02"),
        ("martin bob", "Bob Martin", "payee-001-02"),
        ("priya", "Priya Patel", "payee-001-03"),
    ],
)
async def test_payee_matches_forgive_case_typos_and_partial_names(bank, said, payee, payee_id):
    result = await validate_payee(context(bank, payee=said))
    assert result.ok
    assert result.slots == {"payee": payee, "payee_id": payee_id}


async def test_equally_likely_payees_are_asked_about_not_guessed(bank: BankClient):
    result = await validate_payee(context(bank, "cust-002", payee="tom"))
    assert not result.ok and result.error == "payee_ambiguous"
    [reply] = result.replies
    assert render(reply).startswith('You have more than one payee who could be "tom"')
    assert [title for title, _ in reply.buttons] == ["Tom Baker", "Tom Barker"]
    assert reply.buttons[0][1] == '/inform{"payee": "Tom Baker"}'
    close = await validate_payee(context(bank, "cust-002", payee="tom barkr"))
    assert close.slots["payee"] == "Tom Barker"


@pytest.mark.parametrize(
    ("customer", "said"),
    [("cust-001", "zebra"), ("cust-001", ""), ("cust-001", "al"), ("cust-002", "Alice Johnson")],
)
async def test_unknown_payee_offers_the_customers_own_payees(bank, customer, said):
    result = await validate_payee(context(bank, customer, payee=said))
    assert not result.ok and result.error == "payee_not_found"
    [reply] = result.replies
    own = [p.name for p in await bank.list_payees(customer)]
    payees, new = reply.buttons[: len(own)], reply.buttons[len(own) :]
    assert [title for title, _ in payees] == own
    for title, payload in payees:
        assert payload.startswith("/inform")
        assert json.loads(payload.removeprefix("/inform")) == {"payee": title}
    assert ", ".join(own) in render(reply)
    # and paying someone new: add them as a payee (the transfer then goes on with them)
    assert new == (
        (("Add " + said + " as a new payee"), f'/add_payee{{"payee": "{said}"}}'),
    ) * bool(said)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("50", "50.00"), ("50.5", "50.50"), ("£1,234.56", "1234.56"), (12, "12.00"), ("0.01", "0.01")],
)
async def test_valid_amounts_are_normalised(bank, amount, expected):
    result = await validate_amount(context(bank, amount=amount))
    assert result.ok
    assert result.slots["amount"] == expected and result.slots["currency"] == "GBP"
    assert result.slots["amount_text"] == f"£{Decimal(expected):,.2f}"


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("0", "more than zero"),
        ("-5", "more than zero"),
        ("10.005", "two decimal places"),
        ("lots", "couldn't read"),
        ("", "couldn't read"),
        (None, "couldn't read"),
        ("NaN", "couldn't read"),
        ("Infinity", "couldn't read"),
        ("5000000", "more than can be sent"),
    ],
)
async def test_bad_amounts_say_why(bank, amount, reason):
    result = await validate_amount(context(bank, amount=amount))
    assert not result.ok and result.error == "amount_invalid"
    assert reason in render(result.replies[0])


async def test_only_pounds_can_be_sent(bank: BankClient):
    result = await validate_amount(context(bank, amount="50", currency="EUR"))
    assert not result.ok and result.error == "currency_unsupported"
    assert "not EUR" in render(result.replies[0])
    gbp = await validate_amount(context(bank, amount="50", currency="gbp"))
    assert gbp.slots["currency"] == "GBP"


@pytest.mark.parametrize(
    ("said", "account_id", "name"),
    [
        (None, "acc-001-current", "Current account ••4821"),
        ("current", "acc-001-current", "Current account ••4821"),
        ("savings", "acc-001-savings", "Savings account ••7730"),
        ("ending:7730", "acc-001-savings", "Savings account ••7730"),
        ("my savings account", "acc-001-savings", "Savings account ••7730"),
        ("ending in 4821", "acc-001-current", "Current account ••4821"),
    ],
)
async def test_source_account_defaults_to_current_and_accepts_references(
    bank, said, account_id, name
):
    result = await validate_source_account(context(bank, source_account=said))
    assert result.ok
    assert result.slots == {"source_account_id": account_id, "source_account_name": name}


async def test_a_credit_card_cannot_pay_and_the_payable_accounts_are_offered(bank: BankClient):
    result = await validate_source_account(context(bank, source_account="credit_card"))
    assert not result.ok and result.error == "account_not_eligible"
    [reply] = result.replies
    assert "Credit card ••1934" in render(reply)
    assert reply.buttons == (
        ("Current account ••4821", '/inform{"account": "ending:4821"}'),
        ("Savings account ••7730", '/inform{"account": "ending:7730"}'),
    )


@pytest.mark.parametrize(
    ("customer", "said"),
    [("cust-001", "ending:9999"), ("cust-002", "credit_card"), ("cust-001", "pension")],
)
async def test_unknown_source_account(bank, customer, said):
    result = await validate_source_account(context(bank, customer, source_account=said))
    assert not result.ok and result.error == "account_not_found"
    assert said in render(result.replies[0])
    assert result.replies[0].buttons


async def test_validators_report_a_bank_outage(down_bank: BankClient):
    for validator, slots in (
        (validate_payee, {"payee": "alice"}),
        (validate_source_account, {"source_account": "savings"}),
    ):
        result = await validator(context(down_bank, **slots))
        assert not result.ok and result.error == "bank_unavailable"
        assert "can't reach the bank" in render(result.replies[0])
