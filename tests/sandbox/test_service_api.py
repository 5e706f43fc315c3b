"""Cards, card freezes and activations, pending transactions, top-ups and exchange rates.

One sandbox per module (fresh SQLite file): tests that change a card each use their own card.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from sandbox import prepare
from sandbox.card_tables import card_control_changes, card_controls, card_replacements
from sandbox.db import (
    card_actions,
    cards,
    fx_rates,
    make_engine,
    metadata,
    pending_transactions,
    top_ups,
)
from sandbox.service_seed import FX_RATES, month_end


async def _cards(api: httpx.AsyncClient, customer: str) -> dict[str, dict]:
    body = (await api.get(f"/customers/{customer}/cards")).json()
    return {c["CardId"]: c for c in body["Data"]["Card"]}


async def _freeze(api: httpx.AsyncClient, customer: str, card: str, key: str | None, **body):
    headers = {"Idempotency-Key": key} if key else {}
    return await api.post(
        f"/customers/{customer}/cards/{card}/freeze", json=body or None, headers=headers
    )


async def test_cards_carry_state_delivery_and_only_a_masked_number(api: httpx.AsyncClient):
    cards_ = await _cards(api, "cust-001")
    assert list(cards_) == [
        "card-001-debit",
        "card-001-renewal",
        "card-001-credit",
        "card-001-virtual",
    ]
    today = datetime.now(UTC).date()
    debit = cards_["card-001-debit"]
    assert debit["MaskedPan"] == "************4417" and debit["Status"] == "active"
    assert debit["ExpiryDate"] == month_end(today + timedelta(days=20)).strftime("%Y-%m")
    renewal = cards_["card-001-renewal"]
    assert renewal["Status"] == "pending_activation"
    assert renewal["Delivery"]["Status"] == "dispatched"
    assert renewal["Delivery"]["ExpectedDeliveryDate"] == (today + timedelta(days=2)).isoformat()
    assert cards_["card-001-virtual"]["Delivery"] is None
    statuses = {c["Status"] for c in (await _cards(api, "cust-002")).values()}
    assert statuses == {"frozen", "cancelled", "pending_activation"}


async def test_freeze_is_idempotent_per_key_and_audited(api: httpx.AsyncClient, database_url):
    first = await _freeze(api, "cust-001", "card-001-virtual", "key-freeze-1", Reason="stolen")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    action = first.json()["Data"]["Action"]
    assert (action["FromStatus"], action["ToStatus"], action["Reason"]) == (
        "active",
        "frozen",
        "stolen",
    )
    again = await _freeze(api, "cust-001", "card-001-virtual", "key-freeze-1", Reason="stolen")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["Data"]["Action"]["ActionId"] == action["ActionId"]
    # A new request on a frozen card changes nothing but is still recorded.
    later = await _freeze(api, "cust-001", "card-001-virtual", "key-freeze-2")
    assert later.json()["Data"]["Action"]["FromStatus"] == "frozen"
    assert (await _cards(api, "cust-001"))["card-001-virtual"]["Status"] == "frozen"
    engine = make_engine(database_url)
    async with engine.connect() as conn:
        rows = await conn.scalar(
            select(func.count())
            .select_from(card_actions)
            .where(card_actions.c.card_id == "card-001-virtual")
        )
    await engine.dispose()
    assert rows == 2


async def test_concurrent_duplicate_freezes_make_one_change(api: httpx.AsyncClient):
    responses = await asyncio.gather(
        *(_freeze(api, "cust-003", "card-003-debit", "same-key", Reason="lost") for _ in range(5))
    )
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["Data"]["Action"]["ActionId"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1


@pytest.mark.parametrize(
    ("customer", "card", "key", "body", "status", "code"),
    [
        ("cust-002", "card-002-virtual", "k1", {}, 409, "card_cancelled"),
        ("cust-002", "card-001-debit", "k2", {}, 404, "card_not_found"),  # not theirs
        ("cust-999", "card-001-debit", "k3", {}, 404, "card_not_found"),
        ("cust-001", "card-001-debit", None, {}, 400, "idempotency_key_required"),
        ("cust-001", "card-001-debit", "k4", {"Reason": "bored"}, 400, "invalid_request"),
    ],
)
async def test_bad_freezes_are_refused_and_change_nothing(
    api: httpx.AsyncClient, customer, card, key, body, status, code
):
    before = await _cards(api, "cust-001")
    response = await _freeze(api, customer, card, key, **body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert await _cards(api, "cust-001") == before


async def test_a_key_cannot_be_reused_for_another_card(api: httpx.AsyncClient):
    await _freeze(api, "cust-002", "card-002-spare", "shared-key")
    response = await _freeze(api, "cust-002", "card-002-debit", "shared-key")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


async def test_activation_only_from_pending_activation(api: httpx.AsyncClient):
    path = "/customers/cust-003/cards/card-003-credit/activate"
    done = await api.post(path, headers={"Idempotency-Key": "act-1"})
    assert done.status_code == 200
    assert done.json()["Data"]["Card"]["Status"] == "active"
    refused = await api.post(
        "/customers/cust-002/cards/card-002-debit/activate", headers={"Idempotency-Key": "act-2"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "card_not_activatable"


async def test_pending_transactions_by_kind_newest_first(api: httpx.AsyncClient):
    path = "/customers/cust-001/pending-transactions"
    everything = (await api.get(path)).json()["Data"]["Transaction"]
    assert [t["TransactionId"] for t in everything] == [
        "pend-001-3",
        "pend-001-1",
        "pend-001-4",
        "pend-001-2",
    ]
    assert {t["Status"] for t in everything} == {"Pending"}
    cards_only = (await api.get(path, params={"kind": "card_payment"})).json()["Data"]
    assert [t["MerchantDetails"]["MerchantName"] for t in cards_only["Transaction"]] == [
        "Amazon",
        "Premier Inn",
    ]
    assert (await api.get("/customers/cust-003/pending-transactions")).json()["Data"] == {
        "Transaction": []
    }
    bad = await api.get(path, params={"kind": "mortgage"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"


async def test_top_ups_by_status_with_reasons(api: httpx.AsyncClient):
    failed = (await api.get("/customers/cust-001/top-ups", params={"status": "failed"})).json()
    [top_up] = failed["Data"]["TopUp"]
    assert top_up["Amount"] == {"Amount": "150.00", "Currency": "GBP"}
    assert top_up["StatusReason"] == "declined_by_card_issuer"
    every = (await api.get("/customers/cust-001/top-ups")).json()["Data"]["TopUp"]
    assert {t["Status"] for t in every} == {"completed", "failed", "reverted", "pending"}
    missing = await api.get("/customers/cust-999/top-ups")
    assert missing.status_code == 404


async def test_exchange_rates_are_the_documented_fixed_table(api: httpx.AsyncClient):
    rates = (await api.get("/fx-rates")).json()["Data"]["ExchangeRate"]
    assert {r["Currency"]: r["Rate"] for r in rates} == FX_RATES
    [euro] = (await api.get("/fx-rates", params={"currency": "EUR"})).json()["Data"]["ExchangeRate"]
    assert euro == euro | {"BaseCurrency": "GBP", "Currency": "EUR", "Rate": "1.1650"}
    unknown = await api.get("/fx-rates", params={"currency": "RUB"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "currency_not_supported"


async def test_a_bank_seeded_before_cards_existed_gains_them(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await prepare(url)
    engine = make_engine(url)
    # The card-management tables refer to cards, so they go (and come back) with them.
    managing = [card_control_changes, card_controls, card_replacements]
    service = [*managing, card_actions, cards, pending_transactions, top_ups, fx_rates]
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: metadata.drop_all(sync, tables=service))
    await engine.dispose()
    await prepare(url)  # as on the next start
    engine = make_engine(url)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(cards)) == 9
    await engine.dispose()


def test_month_end_handles_every_month_length():
    assert month_end(date(2028, 2, 3)) == date(2028, 2, 29)
    assert month_end(date(2027, 2, 3)) == date(2027, 2, 28)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)


async def _unfreeze(api: httpx.AsyncClient, customer: str, card: str, key: str):
    return await api.post(
        f"/customers/{customer}/cards/{card}/unfreeze", headers={"Idempotency-Key": key}
    )


async def test_a_frozen_card_is_unfrozen_once_per_key_and_audited(api: httpx.AsyncClient):
    first = await _unfreeze(api, "cust-002", "card-002-debit", "unfreeze-1")
    assert first.status_code == 200
    action = first.json()["Data"]["Action"]
    assert (action["FromStatus"], action["ToStatus"]) == ("frozen", "active")
    again = await _unfreeze(api, "cust-002", "card-002-debit", "unfreeze-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (await _cards(api, "cust-002"))["card-002-debit"]["Status"] == "active"


async def test_a_card_frozen_as_misused_is_not_unfrozen(api: httpx.AsyncClient):
    await _freeze(api, "cust-003", "card-003-credit", "fraud-1", Reason="compromised")
    refused = await _unfreeze(api, "cust-003", "card-003-credit", "unfreeze-2")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "card_frozen_for_fraud"
    assert (await _cards(api, "cust-003"))["card-003-credit"]["Status"] == "frozen"


async def test_only_a_frozen_or_working_card_can_be_unfrozen(api: httpx.AsyncClient):
    refused = await _unfreeze(api, "cust-001", "card-001-renewal", "unfreeze-3")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "card_not_frozen"
    assert (await _cards(api, "cust-001"))["card-001-renewal"]["Status"] == "pending_activation"
