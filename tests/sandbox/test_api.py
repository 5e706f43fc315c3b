"""The sandbox bank's read API, auth, errors, seed data and ways of running it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from sandbox import create_app, prepare
from sandbox.db import customers, make_engine
from sandbox.seed import CUSTOMERS, build
from tests.sandbox.conftest import API_KEY
from tests.support.sandbox import serve, unused_port

PROJECT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {API_KEY}", API_KEY])
@pytest.mark.parametrize("path", ["/customers", "/customers/cust-001/balances", "/nowhere"])
async def test_every_request_needs_the_api_key(sandbox_url: str, header, path):
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(base_url=sandbox_url) as anonymous:
        response = await anonymous.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_dev_listing_names_the_seeded_customers(api: httpx.AsyncClient):
    parties = (await api.get("/customers")).json()["Data"]["Party"]
    assert parties[:3] == [
        {"PartyId": "cust-001", "Name": "Emma Clarke"},
        {"PartyId": "cust-002", "Name": "James Wilson"},
        {"PartyId": "cust-003", "Name": "Aisha Rahman"},
    ]


async def test_customer_contact_details(api: httpx.AsyncClient):
    party = (await api.get("/customers/cust-001")).json()["Data"]["Party"]
    assert party["FirstName"] == "Emma"
    assert party["Phone"].startswith("+44")
    assert party["EmailAddress"] == "emma.clarke@example.com"
    assert "ContactPreference" not in party  # Emma made no choice


async def test_a_customers_chosen_code_channel_is_a_party_extension(api: httpx.AsyncClient):
    preferences = {
        cid: (await api.get(f"/customers/{cid}")).json()["Data"]["Party"].get("ContactPreference")
        for cid in ("cust-001", "cust-002", "cust-003")
    }
    assert preferences == {"cust-001": None, "cust-002": "email", "cust-003": "push"}


async def test_cust_001_has_the_documented_accounts_balances_and_payees(api: httpx.AsyncClient):
    accounts = (await api.get("/customers/cust-001/accounts")).json()["Data"]["Account"]
    assert [(a["AccountSubType"], a["Nickname"]) for a in accounts] == [
        ("CurrentAccount", "Current account"),
        ("Savings", "Savings account"),
        ("CreditCard", "Credit card"),
    ]
    card = accounts[2]["Account"][0]
    assert card["SchemeName"] == "UK.OBIE.PAN"
    assert card["Identification"] == "************1934"  # never a full card number
    balances = (await api.get("/customers/cust-001/balances")).json()["Data"]["Balance"]
    shown = {b["AccountId"]: (b["Amount"]["Amount"], b["CreditDebitIndicator"]) for b in balances}
    assert shown == {
        "acc-001-current": ("2450.00", "Credit"),
        "acc-001-savings": ("5200.00", "Credit"),
        "acc-001-card": ("342.18", "Debit"),
    }
    payees = (await api.get("/customers/cust-001/payees")).json()["Data"]["Beneficiary"]
    names = {p["CreditorAccount"]["Name"] for p in payees}
    assert {"Alice Johnson", "Bob Martin"} <= names


async def test_history_covers_sixty_days_of_everyday_spending(api: httpx.AsyncClient):
    response = await api.get("/customers/cust-001/transactions", params={"limit": 500})
    txns = response.json()["Data"]["Transaction"]
    booked = [datetime.fromisoformat(t["BookingDateTime"]) for t in txns]
    assert booked == sorted(booked, reverse=True)
    assert datetime.now(UTC) - booked[-1] >= timedelta(days=60)
    merchants = {t.get("MerchantDetails", {}).get("MerchantName") for t in txns}
    assert {"Tesco", "Sainsbury's", "Pret A Manger", "TfL", "Netflix", "Amazon"} <= merchants
    assert any(t["TransactionInformation"].startswith("SALARY") for t in txns)


async def test_merchant_filter_ignores_case_and_apostrophes(api: httpx.AsyncClient):
    response = await api.get("/customers/cust-001/transactions", params={"merchant": "SAINSBURYS"})
    txns = response.json()["Data"]["Transaction"]
    assert txns
    assert {t["MerchantDetails"]["MerchantName"] for t in txns} == {"Sainsbury's"}


async def test_date_range_is_inclusive_and_limit_applies(api: httpx.AsyncClient):
    end = datetime.now(UTC).date() - timedelta(days=1)
    start = end - timedelta(days=6)
    params = {"fromBookingDateTime": start.isoformat(), "toBookingDateTime": end.isoformat()}
    txns = (await api.get("/customers/cust-001/transactions", params=params)).json()["Data"]
    days = {datetime.fromisoformat(t["BookingDateTime"]).date() for t in txns["Transaction"]}
    assert days and min(days) >= start and max(days) == end
    limited = await api.get("/customers/cust-001/transactions", params=params | {"limit": 2})
    assert len(limited.json()["Data"]["Transaction"]) == 2


async def test_account_transactions_stay_on_that_account(api: httpx.AsyncClient):
    response = await api.get("/customers/cust-001/accounts/acc-001-card/transactions")
    txns = response.json()["Data"]["Transaction"]
    assert txns and {t["AccountId"] for t in txns} == {"acc-001-card"}


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/customers/cust-999/accounts", 404, "customer_not_found"),
        ("/customers/cust-999", 404, "customer_not_found"),
        ("/customers/cust-002/accounts/acc-001-current/balances", 404, "account_not_found"),
        ("/customers/cust-002/accounts/acc-001-current/transactions", 404, "account_not_found"),
        ("/customers/cust-001/domestic-payments/PMT-NOPE", 404, "payment_not_found"),
        ("/customers/cust-001/transactions?fromBookingDateTime=yesterday", 400, "invalid_request"),
        ("/customers/cust-001/transactions?limit=0", 400, "invalid_request"),
        ("/customers/cust-001/transactions?limit=many", 400, "invalid_request"),
        ("/customers/cust-001/nothing", 404, "not_found"),
    ],
)
async def test_bad_reads_get_clear_errors(api: httpx.AsyncClient, path, status, code):
    response = await api.get(path)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def _payment(amount="10.00", currency="GBP", source="acc-001-current", payee="payee-001-01"):
    return {
        "Data": {
            "Initiation": {
                "InstructedAmount": {"Amount": amount, "Currency": currency},
                "DebtorAccount": {"SchemeName": "Sandbox.AccountId", "Identification": source},
                "CreditorAccount": {"SchemeName": "Sandbox.BeneficiaryId", "Identification": payee},
            }
        }
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (_payment(amount="0"), 400, "invalid_amount"),
        (_payment(amount="-5.00"), 400, "invalid_amount"),
        (_payment(amount="1.234"), 400, "invalid_amount"),
        (_payment(amount="ten"), 400, "invalid_amount"),
        (_payment(currency="EUR"), 422, "currency_unsupported"),
        (_payment(currency="pounds"), 400, "invalid_request"),
        (_payment(source="acc-001-card"), 422, "account_not_eligible"),
        (_payment(source="acc-002-current"), 404, "account_not_found"),
        (_payment(payee="payee-002-01"), 404, "payee_not_found"),
        ({"Data": {}}, 400, "invalid_request"),
        ({"Data": {"Initiation": {"InstructedAmount": "10"}}}, 400, "invalid_request"),
    ],
)
async def test_bad_payments_are_refused_without_moving_money(api, body, status, code):
    async def amounts() -> list[tuple[str, str, dict]]:
        """What each balance is, without its DateTime (a slow run crosses a second)."""
        body = (await api.get("/customers/cust-001/balances")).json()
        return [(b["AccountId"], b["Type"], b["Amount"]) for b in body["Data"]["Balance"]]

    before = await amounts()
    response = await api.post(
        "/customers/cust-001/domestic-payments", json=body, headers={"Idempotency-Key": code}
    )
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert await amounts() == before


@pytest.mark.parametrize("key", [None, "", "k" * 129])
async def test_payments_require_an_idempotency_key(api: httpx.AsyncClient, key):
    headers = {} if key is None else {"Idempotency-Key": key}
    response = await api.post(
        "/customers/cust-001/domestic-payments", json=_payment(), headers=headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"


async def test_malformed_json_is_a_400(api: httpx.AsyncClient):
    response = await api.post(
        "/customers/cust-001/domestic-payments",
        content=b"{not json",
        headers={"Idempotency-Key": "x", "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_seed_is_deterministic_and_closes_on_documented_balances():
    assert build(date(2026, 3, 1)) == build(date(2026, 3, 1))
    for today in (date(2026, 2, 28), date(2026, 11, 22)):
        _, accounts, _, txns, postings = build(today)
        net: dict[str, int] = {}
        for p in postings:
            net[p["account_id"]] = net.get(p["account_id"], 0) + p["amount_minor"]
        documented = {a.id: a.closing for c in CUSTOMERS for a in c.accounts}
        assert {k: net[k] for k in documented} == documented
        assert {a["id"]: a["balance_minor"] for a in accounts} == net
        assert min(t["booked_at"] for t in txns).date() <= today - timedelta(days=60)
        assert max(t["booked_at"] for t in txns).date() < today


async def test_prepare_is_idempotent(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}"
    await prepare(url)
    await prepare(url)
    engine = make_engine(url)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(customers)) == len(CUSTOMERS)
    await engine.dispose()


async def test_works_mounted_under_a_prefix(tmp_path):
    bank = create_app(f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}", API_KEY)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        async with bank.router.lifespan_context(bank):
            yield

    parent = FastAPI(lifespan=lifespan)
    parent.mount("/sandbox", bank)
    base_url, stop = serve(parent)
    try:
        async with httpx.AsyncClient(base_url=f"{base_url}/sandbox") as client:
            ok = await client.get(
                "/customers/cust-001/balances", headers={"Authorization": f"Bearer {API_KEY}"}
            )
            refused = await client.get("/customers/cust-001/balances")
        assert ok.status_code == 200 and len(ok.json()["Data"]["Balance"]) == 3
        assert refused.status_code == 401
    finally:
        stop()


def test_runs_standalone_with_the_key_from_the_environment(tmp_path):
    port = unused_port()
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        str(port),
        "--database-url",
        f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}",
    ]
    missing = subprocess.run(
        command,
        env={**os.environ, "BANK_API_KEY": ""},
        capture_output=True,
        timeout=60,
        cwd=PROJECT,
    )
    assert missing.returncode == 2 and b"BANK_API_KEY" in missing.stderr
    process = subprocess.Popen(
        command,
        env={**os.environ, "BANK_API_KEY": "standalone-key"},
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/customers/cust-001/balances",
                    headers={"Authorization": "Bearer standalone-key"},
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "standalone sandbox did not start"
                time.sleep(0.1)
        balances = response.json()["Data"]["Balance"]
        assert Decimal(balances[0]["Amount"]["Amount"]) == Decimal("2450.00")
    finally:
        process.terminate()
        process.wait(timeout=10)
