"""Cases at the sandbox bank (sandbox/disputes.py): disputes of the customer's own debits
within the bank's window, fraud reports about their cards, idempotent and audited, and every
bad request refused with nothing stored. One bank per module; the clock moves forward last."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from sandbox.db import audit_log
from sandbox.disputes import cases
from tests.sandbox.helpers import bank_db, code, send

CASES = "/customers/{}/cases"


def dispute(transaction: str, reason: str = "not_received", amount: str | None = None) -> dict:
    given: dict = {"Kind": "dispute", "Reason": reason, "TransactionId": transaction}
    if amount is not None:
        given["Amount"] = {"Amount": amount, "Currency": "GBP"}
    return {"Data": {"Case": given}}


async def debits(api, customer: str) -> list[dict]:
    response = await api.get(f"/customers/{customer}/transactions", params={"limit": 500})
    assert response.status_code == 200, response.text
    found = response.json()["Data"]["Transaction"]
    incoming = {t["TransactionId"] for t in found if t["CreditDebitIndicator"] == "Credit"}
    return [
        t
        for t in found
        if t["CreditDebitIndicator"] == "Debit" and t["TransactionId"] not in incoming
    ]


async def case_rows(database_url: str) -> int:
    async with bank_db(database_url) as conn:
        return int(await conn.scalar(select(func.count()).select_from(cases)))


async def test_the_policy_is_120_days_by_the_banks_clock(api) -> None:
    policy = (await api.get("/dispute-policy")).json()["Data"]["DisputePolicy"]
    today = date.fromisoformat(policy["AsOfDate"])
    assert policy["MaxAgeDays"] == 120
    assert date.fromisoformat(policy["EarliestBookingDate"]) == today - timedelta(days=120)


async def test_a_dispute_is_opened_once_per_key_and_audited(api, database_url) -> None:
    newest = (await debits(api, "cust-001"))[0]
    paid = newest["Amount"]["Amount"]
    body = dispute(newest["TransactionId"], "wrong_amount", "1.00")
    first = await send(api, "POST", CASES.format("cust-001"), body, "case-1")
    again = await send(api, "POST", CASES.format("cust-001"), body, "case-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    made = first.json()["Data"]["Case"]
    assert made == again.json()["Data"]["Case"]
    assert made["Reference"].startswith("DSP-") and len(made["Reference"]) == 12
    assert (made["Kind"], made["Status"], made["Reason"]) == ("dispute", "open", "wrong_amount")
    assert made["Amount"] == {"Amount": "1.00", "Currency": "GBP"}
    assert made["Transaction"]["Amount"]["Amount"] == paid
    assert made["Transaction"]["TransactionId"] == newest["TransactionId"]
    listed = (await api.get(CASES.format("cust-001"))).json()["Data"]["Case"]
    assert [c["Reference"] for c in listed] == [made["Reference"]]
    by_reference = await api.get(CASES.format("cust-001") + "/" + made["Reference"].lower())
    assert by_reference.json()["Data"]["Case"]["CaseId"] == made["CaseId"]
    async with bank_db(database_url) as conn:
        rows = list(
            (
                await conn.execute(
                    select(audit_log).where(audit_log.c.resource_id == made["CaseId"])
                )
            ).mappings()
        )
    assert [r["action"] for r in rows] == ["case.create.dispute"]
    assert json.loads(rows[0]["after"])["amount_minor"] == 100
    assert rows[0]["actor"] == "customer:cust-001"

    # the same debit again is refused while the first case is open
    second = await send(api, "POST", CASES.format("cust-001"), dispute(newest["TransactionId"]))
    assert (second.status_code, code(second)) == (409, "case_exists")


async def test_bad_disputes_are_refused_and_store_nothing(api, database_url) -> None:
    before = await case_rows(database_url)
    mine = (await debits(api, "cust-001"))[1]
    theirs = (await debits(api, "cust-002"))[0]
    over = f"{float(mine['Amount']['Amount']) + 0.01:.2f}"
    tries = [
        (dispute(mine["TransactionId"], amount=over), 422, "amount_exceeds_transaction"),
        (dispute(theirs["TransactionId"]), 404, "transaction_not_found"),
        (dispute("txn-nope"), 404, "transaction_not_found"),
        (dispute(mine["TransactionId"], reason="bored"), 400, "invalid_reason"),
        (dispute(mine["TransactionId"], amount="0"), 400, "invalid_amount"),
        (dispute(mine["TransactionId"], amount="-5"), 400, "invalid_amount"),
        ({"Data": {"Case": {"Kind": "dispute", "Reason": "not_received"}}}, 400, "invalid_request"),
        ({"Data": {"Case": {"Kind": "refund", "Reason": "x"}}}, 400, "invalid_request"),
        ({"Data": {"Case": {"Kind": "fraud", "Reason": "card_compromised"}}}, 400, None),
        (
            {
                "Data": {
                    "Case": {
                        "Kind": "fraud",
                        "Reason": "card_compromised",
                        "CardId": "card-002-debit",
                    }
                }
            },
            404,
            "card_not_found",
        ),
    ]
    for body, status, error in tries:
        response = await send(api, "POST", CASES.format("cust-001"), body)
        assert response.status_code == status, (body, response.text)
        if error:
            assert code(response) == error, (body, response.text)
    credit = next(
        t
        for t in (await api.get("/customers/cust-001/transactions", params={"limit": 500})).json()[
            "Data"
        ]["Transaction"]
        if t["CreditDebitIndicator"] == "Credit" and t["AccountId"] == "acc-001-current"
    )
    refused = await send(api, "POST", CASES.format("cust-001"), dispute(credit["TransactionId"]))
    assert (refused.status_code, code(refused)) == (422, "not_a_debit")
    missing_key = await api.post(CASES.format("cust-001"), json=dispute(mine["TransactionId"]))
    assert (missing_key.status_code, code(missing_key)) == (400, "idempotency_key_required")
    assert await case_rows(database_url) == before
    other = await api.get(CASES.format("cust-002"))
    assert other.json()["Data"]["Case"] == [], "another customer's cases are not theirs"


async def test_a_fraud_report_names_the_card_and_staff_move_it_on(api, database_url) -> None:
    body = {
        "Data": {"Case": {"Kind": "fraud", "Reason": "card_stolen", "CardId": "card-003-credit"}}
    }
    made = await send(api, "POST", CASES.format("cust-003"), body)
    assert made.status_code == 201, made.text
    case = made.json()["Data"]["Case"]
    assert case["Reference"].startswith("FRD-") and case["CardId"] == "card-003-credit"
    assert "Transaction" not in case and "Amount" not in case
    hidden = await api.get(CASES.format("cust-001") + "/" + case["CaseId"])
    assert (hidden.status_code, code(hidden)) == (404, "case_not_found")
    moved = await api.post(
        f"/sandbox/customers/cust-003/cases/{case['CaseId']}/status",
        json={"Status": "investigating"},
    )
    assert moved.json()["Data"]["Case"]["Status"] == "investigating"
    still_open = (await api.get(CASES.format("cust-003"), params={"status": "open"})).json()
    assert [c["Status"] for c in still_open["Data"]["Case"]] == ["investigating"]
    await api.post(
        f"/sandbox/customers/cust-003/cases/{case['CaseId']}/status", json={"Status": "resolved"}
    )
    closed = (await api.get(CASES.format("cust-003"), params={"status": "closed"})).json()
    assert [c["Reference"] for c in closed["Data"]["Case"]] == [case["Reference"]]
    bad = await api.post(
        f"/sandbox/customers/cust-003/cases/{case['CaseId']}/status", json={"Status": "lost"}
    )
    assert bad.status_code == 400
    async with bank_db(database_url) as conn:
        actions = (
            await conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.resource_id == case["CaseId"])
                .order_by(audit_log.c.id)
            )
        ).scalars()
        assert list(actions) == ["case.create.fraud", "case.status", "case.status"]


async def test_a_debit_older_than_the_window_is_refused(api, database_url) -> None:
    """Last: the clock moves 100 days on, so the first seeded weeks pass 120 days."""
    today = date.fromisoformat(
        (await api.get("/dispute-policy")).json()["Data"]["DisputePolicy"]["AsOfDate"]
    )
    moved = await api.post(
        "/sandbox/clock", json={"date": (today + timedelta(days=100)).isoformat()}
    )
    assert moved.status_code == 200, moved.text
    policy = (await api.get("/dispute-policy")).json()["Data"]["DisputePolicy"]
    earliest = date.fromisoformat(policy["EarliestBookingDate"])
    found = await debits(api, "cust-002")
    old = next(t for t in found if datetime.fromisoformat(t["BookingDateTime"]).date() < earliest)
    recent = next(
        t for t in found if datetime.fromisoformat(t["BookingDateTime"]).date() >= earliest
    )
    before = await case_rows(database_url)
    refused = await send(api, "POST", CASES.format("cust-002"), dispute(old["TransactionId"]))
    assert (refused.status_code, code(refused)) == (422, "dispute_window_passed")
    assert "120 days" in refused.json()["error"]["message"]
    assert await case_rows(database_url) == before
    opened = await send(api, "POST", CASES.format("cust-002"), dispute(recent["TransactionId"]))
    assert opened.status_code == 201, opened.text
    assert opened.json()["Data"]["Case"]["Amount"] == recent["Amount"], "no amount: all of it"
    # the sandbox can change the rule, as a bank's policy would
    changed = await api.put("/sandbox/dispute-policy", json={"MaxAgeDays": 400})
    assert changed.json()["Data"]["DisputePolicy"]["MaxAgeDays"] == 400
    allowed = await send(api, "POST", CASES.format("cust-002"), dispute(old["TransactionId"]))
    assert allowed.status_code == 201, allowed.text
    bad = await api.put("/sandbox/dispute-policy", json={"MaxAgeDays": 0})
    assert bad.status_code == 400
