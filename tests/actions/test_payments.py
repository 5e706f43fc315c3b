"""transfer_money against the sandbox: money moves once, refusals and outages are explained."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.bank_client import BankClient
from actions.payments import transfer_money
from tests.actions.conftest import API_KEY, SERVICE_UNAVAILABLE, StubBank, context, render

ALICE = {
    "payee": "Alice Johnson",
    "payee_id": "payee-001-01",
    "amount": "50.00",
    "currency": "GBP",
    "source_account_id": "acc-001-current",
    "source_account_name": "Current account ••4821",
}


async def _current(bank: BankClient, customer: str = "cust-001") -> Decimal:
    return (await bank.get_balances(customer, f"acc-{customer[-3:]}-current"))[0].amount


async def test_transfer_moves_money_once_per_key(bank: BankClient):
    before = await _current(bank)
    first = await transfer_money(context(bank, key="conv-1:otp-1", **ALICE))
    replay = await transfer_money(context(bank, key="conv-1:otp-1", **ALICE))
    assert first.ok and replay.ok
    assert await _current(bank) == before - Decimal("50.00")
    reference = first.replies[0].vars["reference"]
    assert replay.replies[0].vars["reference"] == reference
    assert render(first.replies[0]) == (
        f"Done: £50.00 has been sent to Alice Johnson. Your new balance is "
        f"£{before - 50:,.2f}. Reference: {reference}."
    )
    assert first.audit["payment_id"] == reference
    assert first.audit["idempotency_key"] == "conv-1:otp-1"


async def test_insufficient_funds(bank: BankClient):
    slots = ALICE | {
        "payee": "Daniel Okafor",
        "payee_id": "payee-003-01",
        "amount": "400.00",
        "source_account_id": "acc-003-current",
    }
    before = await _current(bank, "cust-003")
    result = await transfer_money(context(bank, "cust-003", key="k-funds", **slots))
    assert not result.ok and result.error == "insufficient_funds"
    assert "isn't enough money" in render(result.replies[0])
    assert await _current(bank, "cust-003") == before


async def test_daily_limit(bank: BankClient):
    before = await _current(bank)
    result = await transfer_money(context(bank, key="k-limit", **ALICE | {"amount": "2100.00"}))
    assert not result.ok and result.error == "daily_limit_exceeded"
    assert "daily transfer limit" in render(result.replies[0])
    assert await _current(bank) == before


async def test_other_refusals_are_bank_rejected(bank: BankClient):
    result = await transfer_money(
        context(bank, key="k-other", **ALICE | {"payee_id": "payee-002-01"})
    )
    assert not result.ok and result.error == "bank_rejected"
    assert result.audit["bank_code"] == "payee_not_found"
    assert "nothing has been sent" in render(result.replies[0])


async def test_bank_down_says_nothing_was_sent(down_bank: BankClient):
    result = await transfer_money(context(down_bank, key="k-down", **ALICE))
    assert not result.ok and result.error == "bank_unavailable"
    assert "nothing has changed" in render(result.replies[0])


@pytest.mark.parametrize("reply", [None, SERVICE_UNAVAILABLE])
async def test_unknown_outcome_warns_not_to_retry(reply):
    stub = StubBank(reply)
    async with stub as url, BankClient(url, API_KEY, timeout=0.3) as bank:
        result = await transfer_money(context(bank, key="k-unsure", **ALICE))
    assert not result.ok and result.error == "bank_unavailable"
    text = render(result.replies[0])
    assert "couldn't get a confirmation" in text and "don't send it again" in text
    assert len(stub.requests) == 1


@pytest.mark.parametrize("missing", ["payee_id", "amount", "source_account_id"])
async def test_a_flow_that_skipped_a_step_is_refused_loudly(bank, missing):
    slots = {k: v for k, v in ALICE.items() if k != missing}
    with pytest.raises(ValueError, match="transfer_money needs"):
        await transfer_money(context(bank, key="k-bug", **slots))


async def test_no_payment_without_an_idempotency_key(bank: BankClient):
    before = await _current(bank)
    with pytest.raises(ValueError, match="idempotency key"):
        await transfer_money(context(bank, **ALICE))
    assert await _current(bank) == before
