"""Helpers the sandbox tests share: request bodies, answers, and the ledger's invariants."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from sandbox.db import accounts, make_engine, postings


def new_key() -> str:
    return uuid.uuid4().hex


async def send(
    api: httpx.AsyncClient, method: str, path: str, body: Any = None, key: str | None = None
) -> httpx.Response:
    """A write with an Idempotency-Key (a fresh one unless given)."""
    headers = {"Idempotency-Key": key or new_key()}
    return await api.request(method, path, json=body, headers=headers)


def code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def transfer(
    source: str, scheme: str, creditor: str, amount: str, reference: str | None = None
) -> dict[str, Any]:
    initiation: dict[str, Any] = {
        "InstructedAmount": {"Amount": amount, "Currency": "GBP"},
        "DebtorAccount": {"SchemeName": "Sandbox.AccountId", "Identification": source},
        "CreditorAccount": {"SchemeName": scheme, "Identification": creditor},
    }
    if reference is not None:
        initiation["RemittanceInformation"] = {"Reference": reference}
    return {"Data": {"Initiation": initiation}}


async def balance(api: httpx.AsyncClient, customer: str, account: str) -> Decimal:
    """Signed: what is owed on a card is negative."""
    response = await api.get(f"/customers/{customer}/accounts/{account}/balances")
    item = response.json()["Data"]["Balance"][0]
    amount = Decimal(item["Amount"]["Amount"])
    return -amount if item["CreditDebitIndicator"] == "Debit" else amount


@asynccontextmanager
async def bank_db(database_url: str) -> AsyncIterator[Any]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


async def assert_ledger_balances(database_url: str) -> None:
    """All postings sum to zero, each transaction does, and each balance is its postings' sum."""
    async with bank_db(database_url) as conn:
        total = await conn.scalar(select(func.sum(postings.c.amount_minor)))
        unbalanced = await conn.execute(
            select(postings.c.transaction_id)
            .group_by(postings.c.transaction_id)
            .having(func.sum(postings.c.amount_minor) != 0)
        )
        sums = (
            select(postings.c.account_id, func.sum(postings.c.amount_minor).label("s"))
            .group_by(postings.c.account_id)
            .subquery()
        )
        drift = await conn.execute(
            select(accounts.c.id, accounts.c.balance_minor)
            .outerjoin(sums, sums.c.account_id == accounts.c.id)
            .where(func.coalesce(sums.c.s, 0) != accounts.c.balance_minor)
        )
        assert total == 0
        assert unbalanced.all() == []
        assert drift.all() == []
