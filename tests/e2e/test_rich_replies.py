"""Rich replies through REST against the sandbox: every table and card carries the bank's own
rows and figures, the reply matches its typed schema (`connectors/shapes.py`, in OpenAPI),
and the text still says the answer on its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from actions.formatting import account_label, day, money
from connectors.shapes import ChatReply
from tests.e2e.conftest import Customer, text_of


def rich(reply: dict[str, Any]) -> dict[str, Any]:
    """The one attachment of a reply, after checking the reply against its schema."""
    ChatReply.model_validate(reply)
    shown = [m["attachment"] for m in reply["messages"] if m.get("attachment")]
    assert len(shown) == 1, reply["messages"]
    return shown[0]


def column(table: dict[str, Any], header: str) -> list[str]:
    index = table["columns"].index(header)
    return [row[index] for row in table["rows"]]


async def test_balances_are_a_table_of_the_banks_balances(
    customer: Customer, bank: BankClient
) -> None:
    table = rich(customer.say("what's my balance?"))
    assert table["kind"] == "table" and table["caption"] == "Your balances"
    assert table["columns"] == ["Account", "Balance"]
    accounts = {a.id: a for a in await bank.list_accounts("cust-001")}
    expected = []
    for balance in await bank.get_balances("cust-001"):
        account = accounts[balance.account_id]
        owed = account.kind == "credit_card" and balance.amount < 0
        shown = money(-balance.amount if owed else balance.amount, balance.currency)
        expected.append([account_label(account), f"{shown} owed" if owed else shown])
    assert sorted(table["rows"]) == sorted(expected)


async def test_one_accounts_balance_is_a_card_with_the_amount(
    customer: Customer, bank: BankClient
) -> None:
    reply = customer.say("how much is in my savings")
    card = rich(reply)
    [savings] = [a for a in await bank.list_accounts("cust-001") if a.kind == "savings"]
    [balance] = await bank.get_balances("cust-001", savings.id)
    assert card == {
        "kind": "card",
        "title": account_label(savings),
        "lines": ["Balance"],
        "amount": money(balance.amount, balance.currency),
    }
    assert money(balance.amount, balance.currency) in text_of(reply)


@pytest.mark.parametrize("ask", ["show my last 10 transactions", "what did i spend at tesco"])
async def test_transactions_are_a_table_row_for_row_with_the_ledger(
    customer: Customer, bank: BankClient, ask: str
) -> None:
    reply = customer.say(ask)
    table = rich(reply)
    assert table["kind"] == "table" and table["caption"].endswith("newest first")
    merchant = "Tesco" if "tesco" in ask else None
    booked = await bank.list_transactions(
        "cust-001", merchant=merchant, limit=10 if not merchant else 5
    )
    assert len(table["rows"]) == len(booked)
    assert column(table, "Date") == [day(t.booked_at.date()) for t in booked]
    assert column(table, "Description") == [t.merchant or t.description for t in booked]
    signed = [("+" if t.amount > 0 else "") + money(t.amount, t.currency) for t in booked]
    assert column(table, "Amount") == signed
    for row in table["rows"]:  # the text says every row too
        assert f"{row[0]} · {row[1]} · {row[2]}" in text_of(reply)


async def test_upcoming_payments_total_is_the_sum_of_the_banks_rows(
    customer: Customer, bank: BankClient
) -> None:
    table = rich(customer.say("what payments are coming up"))
    due = sorted(await bank.upcoming_payments("cust-001", 30), key=lambda u: u.on)
    assert column(table, "To") == [u.name for u in due]
    assert column(table, "Amount") == [money(u.amount) for u in due]
    total = sum((u.amount for u in due), start=Decimal(0))
    assert f"{money(total)} in all" in table["caption"]
    amounts = [Decimal(a.replace("£", "").replace(",", "")) for a in column(table, "Amount")]
    assert sum(amounts, start=Decimal(0)) == total


async def test_standing_orders_and_direct_debits_are_tables_of_the_banks_active_ones(
    customer: Customer, bank: BankClient
) -> None:
    orders = rich(customer.say("show my standing orders"))
    active = [o for o in await bank.list_standing_orders("cust-001") if o.active and o.next_date]
    assert column(orders, "To") == [o.creditor_name for o in active]
    assert column(orders, "Next payment") == [day(o.next_date) for o in active if o.next_date]
    debits = rich(customer.say("show my direct debits"))
    names = [d.name for d in await bank.list_direct_debits("cust-001") if d.active]
    assert column(debits, "Company") == names


@pytest.fixture
def second(http: httpx.Client) -> Customer:
    """cust-002, who has a frozen debit card and a cancelled virtual one."""
    token = http.post("/dev/token", json={"customer_id": "cust-002"}).json()["token"]
    return Customer(http, "cust-002", token)


async def test_cards_are_a_table_of_the_banks_cards_never_more_than_the_last_four(
    second: Customer, bank: BankClient
) -> None:
    table = rich(second.say("my card isnt working"))
    cards = await bank.list_cards("cust-002")
    assert table["columns"] == ["Card", "Scheme", "State", "Expires"]
    assert len(table["rows"]) == len(cards)
    assert [row[0][-4:] for row in table["rows"]] == [c.last4 for c in cards]
    assert all(not any(ch.isdigit() for ch in row[0][:-4]) for row in table["rows"])


def test_a_visitor_and_a_refusal_get_text_only(visitor: Customer, customer: Customer) -> None:
    reply = visitor.say("what's my balance?")
    ChatReply.model_validate(reply)
    assert all("attachment" not in m for m in reply["messages"])
    nothing = customer.say("any transactions at starbucks?")
    assert all("attachment" not in m for m in nothing["messages"])


def test_the_reply_schema_with_every_kind_is_in_the_openapi_document(http: httpx.Client) -> None:
    schema = http.get("/openapi.json").json()
    reply = schema["paths"]["/api/v1/chat/message"]["post"]["responses"]["200"]
    assert reply["content"]["application/json"]["schema"]["$ref"].endswith("/ChatReply")
    shapes = schema["components"]["schemas"]
    kinds = {
        shapes[name]["properties"]["kind"].get("const")
        for name in shapes
        if "kind" in shapes[name].get("properties", {})
    }
    assert kinds >= {"card", "table", "image", "file", "places"}
