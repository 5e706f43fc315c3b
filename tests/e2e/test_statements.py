"""Statements and spending charts through REST, against the sandbox bank over HTTP: the PDF's
figures and the CSV's rows are the bank's own, the links work only for their customer and
only until they expire, and the event log never holds a working link."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pypdf

from actions.bank_client import BankClient
from bot.bank import Transaction
from tests.e2e.conftest import Customer, text_of

ACCOUNT = "acc-001-current"


def money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def last_month() -> tuple[date, date]:
    end = date.today().replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def attachment_of(reply: dict[str, Any]) -> dict[str, Any]:
    found = [m["attachment"] for m in reply["messages"] if m.get("attachment")]
    assert len(found) == 1, reply["messages"]
    return found[0]


def fetch(http: httpx.Client, url: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get(url, headers=headers)


async def bank_rows(bank: BankClient, start: date, end: date) -> list[Transaction]:
    """The bank's rows on the current account, from its transactions API, oldest first."""
    rows = await bank.list_transactions("cust-001", ACCOUNT, start=start, end=end, limit=500)
    return sorted(rows, key=lambda t: (t.booked_at, t.id))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def figure(text: str, label: str) -> Decimal:
    found = re.search(rf"{label}\s+(-?)£([\d,]+\.\d\d)", text)
    assert found, f"{label!r} not in the PDF"
    return Decimal(found.group(2).replace(",", "")) * (-1 if found.group(1) else 1)


async def test_a_pdf_statement_shows_the_banks_rows_and_totals(
    customer: Customer, http: httpx.Client, bank: BankClient
) -> None:
    start, end = last_month()
    rows = await bank_rows(bank, start, end)
    assert rows, "the sandbox seeds a month of history"
    reply = customer.say(f"send me my statement for {start:%B %Y}")
    assert reply["nlu"]["intent"]["name"] == "account_statement"
    file = attachment_of(reply)
    assert file["kind"] == "file" and file["media_type"] == "application/pdf"
    assert file["name"] == f"statement-current-4821-{start}-to-{end}.pdf"
    assert file["expires_at"] > time.time()
    response = fetch(http, file["url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert "attachment" in response.headers["content-disposition"]
    assert len(response.content) == file["size"]
    text = pdf_text(response.content)
    money_in = sum((t.amount for t in rows if t.amount > 0), Decimal(0))
    money_out = -sum((t.amount for t in rows if t.amount < 0), Decimal(0))
    balance = (await bank.get_balances("cust-001", ACCOUNT))[0].amount
    after = await bank.list_transactions(
        "cust-001", ACCOUNT, start=end + timedelta(days=1), limit=500
    )
    closing = balance - sum((t.amount for t in after), Decimal(0))
    assert figure(text, "Money in") == money_in
    assert figure(text, "Money out") == money_out
    assert figure(text, "Closing balance") == closing
    assert figure(text, "Opening balance") == closing - money_in + money_out
    dated = re.findall(r"^\d{1,2} [A-Z][a-z]{2} \d{4} ", text, flags=re.MULTILINE)
    assert len(dated) == len(rows), "one line per booked row"
    shown = text_of(reply)
    for label, amount in (("money in", money_in), ("money out", money_out)):
        assert f"{label} {money(amount)}" in shown
    assert f"({len(rows)} transactions)" in shown


async def test_a_csv_statement_has_the_banks_rows(
    customer: Customer, http: httpx.Client, bank: BankClient
) -> None:
    start, end = last_month()
    reply = customer.say(f"send me my statement for {start:%B %Y} as a csv")
    file = attachment_of(reply)
    assert file["media_type"] == "text/csv" and file["name"].endswith(".csv")
    response = fetch(http, file["url"])
    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    rows = await bank_rows(bank, start, end)
    assert [r["Transaction ID"] for r in table] == [t.id for t in rows]
    assert [Decimal(r["Amount"]) for r in table] == [t.amount for t in rows]
    assert [r["Date"] for r in table] == [t.booked_at.date().isoformat() for t in rows]
    statement = await bank.account_statement("cust-001", ACCOUNT, start, end)
    assert Decimal(table[-1]["Balance"]) == statement.closing_balance


async def test_a_chart_states_the_spending_it_draws(
    customer: Customer, http: httpx.Client, bank: BankClient
) -> None:
    start, end = last_month()
    found = await bank.list_transactions("cust-001", start=start, end=end, limit=500)
    ids = [t.id for t in found]
    spent = -sum((t.amount for t in found if t.amount < 0 and ids.count(t.id) == 1), Decimal(0))
    reply = customer.say(f"show me a chart of my spending in {start:%B %Y}")
    assert reply["nlu"]["intent"]["name"] == "spending_chart"
    image = attachment_of(reply)
    assert image["kind"] == "image" and image["media_type"] == "image/png"
    assert f"Total {money(spent)}" in image["alt"]
    assert f"That's {money(spent)} in all" in text_of(reply)
    response = fetch(http, image["url"])
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert response.headers["content-type"] == "image/png"


def _split(url: str) -> tuple[str, str, str, str]:
    base, _, token = url.rpartition("/")
    file_id, expires, signature = token.split(".")
    return base, file_id, expires, signature


def test_a_changed_link_serves_nothing(customer: Customer, http: httpx.Client) -> None:
    file = attachment_of(customer.say("send me my statement as a csv"))
    base, file_id, expires, signature = _split(file["url"])
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for changed in (
        f"{base}/{file_id}.{expires}.{flipped}",
        f"{base}/{file_id}.{int(expires) + 3600}.{signature}",
        f"{base}/{file_id[:-1]}{'A' if file_id[-1] != 'A' else 'B'}.{expires}.{signature}",
        f"{base}/{file_id}.{expires}",  # the stored form: no signature
        f"{base}/not-a-link",
    ):
        response = fetch(http, changed)
        assert response.status_code == 403, changed
        assert response.json()["error"]["code"] == "file_link_invalid"
        assert "Date,Description" not in response.text
    assert fetch(http, file["url"]).status_code == 200  # the real one still works


def test_a_link_is_bound_to_its_customer(customer: Customer, http: httpx.Client) -> None:
    emma = attachment_of(customer.say("send me my statement"))
    james_token = http.post("/dev/token", json={"customer_id": "cust-002"}).json()["token"]
    james = Customer(http, "cust-002", james_token)
    theirs = attachment_of(james.say("send me my statement"))
    refused = fetch(http, emma["url"], james_token)  # signed in as someone else
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "file_not_yours"
    assert fetch(http, emma["url"], customer.token).status_code == 200
    # James's own signature on Emma's file: the signature is for him, the file is hers.
    base, emma_id, _, _ = _split(emma["url"])
    _, _, their_expiry, their_signature = _split(theirs["url"])
    swapped = f"{base}/{emma_id}.{their_expiry}.{their_signature}"
    assert fetch(http, swapped).status_code == 403
    assert fetch(http, emma["url"], "not-a-token").status_code == 401


def test_a_link_expires(customer: Customer, http: httpx.Client) -> None:
    """tests/e2e/config.yml gives links 8 seconds."""
    file = attachment_of(customer.say("send me my statement as a csv"))
    assert fetch(http, file["url"]).status_code == 200
    time.sleep(max(0.0, file["expires_at"] - time.time()) + 1.0)
    expired = fetch(http, file["url"])
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "file_link_expired"
    assert "expired" in expired.json()["error"]["message"]
    assert "Transaction ID" not in expired.text


def test_the_event_log_never_holds_a_working_link(
    customer: Customer, http: httpx.Client, events: Any
) -> None:
    reply = customer.say("show me a chart of my spending by week")
    image = attachment_of(reply)
    _, file_id, expires, signature = _split(image["url"])
    stored = list(events.find({"conversation_id": customer.conversation_id}))
    logged = json.dumps(stored, default=str)
    assert signature not in logged
    assert f"/files/{file_id}.{expires}" in logged  # the non-secret id, and when it ends
    assert fetch(http, image["url"]).status_code == 200
