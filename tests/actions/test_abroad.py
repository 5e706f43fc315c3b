"""Payment abroad actions against this module's own sandbox bank, whose clock may be moved:
a quote the bank has let lapse is never paid, whatever Teller's clock says."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from actions.abroad import quote_abroad, send_money_abroad
from actions.bank_client import BankClient
from tests.actions.conftest import API_KEY, context, render

PAYEE = {
    "payee": "Lukas Becker",
    "payee_id": "payee-001-04",
    "payee_currency": "EUR",
    "source_account_id": "acc-001-current",
    "source_account_name": "Current account ••4821",
}


async def balance(bank: BankClient) -> Decimal:
    [current] = await bank.get_balances("cust-001", "acc-001-current")
    return current.amount


async def test_a_quote_the_bank_let_lapse_pays_nothing_and_offers_a_fresh_one(
    bank: BankClient, bank_url: str
) -> None:
    quoted = await quote_abroad(context(bank, **PAYEE, amount="100", currency="EUR"))
    assert quoted.ok and quoted.slots["quote_receive"] == "100.00"
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        moved = await http.post(f"{bank_url}/sandbox/clock", json={"advance_days": 1})
        assert moved.status_code == 200, moved.text
    before = await balance(bank)  # after what fell due that day (a direct debit may have)

    slots = {**PAYEE, **quoted.slots}  # Teller's clock still holds the quote: the bank does not
    result = await send_money_abroad(context(bank, key=str(uuid.uuid4()), **slots))
    assert not result.ok and result.error == "quote_expired"
    assert result.audit["bank_code"] == "quote_expired"
    [reply] = result.replies
    assert "expired before the code was entered" in render(reply)
    [(_, fresh)] = reply.buttons
    assert fresh.startswith("/send_money_abroad{") and '"amount": "100.00"' in fresh
    assert await balance(bank) == before
