"""The profile routes on SQLite (the module's bank from conftest.py): contact details, the
postal address and marketing preferences change once per key, are audited with the value
before and after, and what the bank should not hold is refused with nothing changed."""

from __future__ import annotations

import json

from sqlalchemy import select

from sandbox.db import audit_log
from tests.sandbox.helpers import bank_db, code, send

CONTACT = "/customers/{}/contact-details"
ADDRESS = "/customers/{}/postal-address"
MARKETING = "/customers/{}/marketing-preferences"


def contact(**given: str) -> dict:
    return {"Data": {"ContactDetails": given}}


def address(line: str, town: str, post_code: str, country: str = "GB") -> dict:
    return {
        "Data": {
            "PostalAddress": {
                "AddressLine": [line],
                "TownName": town,
                "PostCode": post_code,
                "Country": country,
            }
        }
    }


async def audits(database_url: str, action: str) -> list[dict]:
    async with bank_db(database_url) as conn:
        rows = await conn.execute(select(audit_log).where(audit_log.c.action == action))
        return [dict(r) for r in rows.mappings().all()]


async def test_a_new_email_is_set_once_per_key_and_audited(api, database_url) -> None:
    body, path = contact(EmailAddress="j@new.example.org"), CONTACT.format("cust-002")
    first = await send(api, "PATCH", path, body, "c1")
    again = await send(api, "PATCH", path, body, "c1")
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert again.headers["Idempotent-Replayed"] == "true"
    change = first.json()["Data"]["ContactChange"]
    assert change["Field"] == "email" and change["Current"] == "j@new.example.org"
    party = (await api.get("/customers/cust-002")).json()["Data"]["Party"]
    assert party["EmailAddress"] == "j@new.example.org"
    [audit] = await audits(database_url, "customer.contact.change")
    assert audit["actor"] == "customer:cust-002"
    assert json.loads(audit["before"]) == {"email": change["Previous"]}
    assert json.loads(audit["after"]) == {"email": "j@new.example.org"}


async def test_bad_or_unchanged_contact_details_change_nothing(api, database_url) -> None:
    before = (await api.get("/customers/cust-001")).json()["Data"]["Party"]
    cases = [
        (contact(EmailAddress="not-an-email"), 400, "invalid_email"),
        (contact(Phone="07911123456"), 400, "invalid_phone"),  # E.164 only at the bank
        (contact(Phone=before["Phone"]), 409, "contact_unchanged"),
        (contact(EmailAddress=before["EmailAddress"].upper()), 409, "contact_unchanged"),
        (contact(EmailAddress="a@b.example", Phone="+447911123456"), 400, "invalid_request"),
    ]
    for body, status, error in cases:
        response = await send(api, "PATCH", CONTACT.format("cust-001"), body)
        assert (response.status_code, code(response)) == (status, error), body
    assert (await api.get("/customers/cust-001")).json()["Data"]["Party"] == before
    changes = await audits(database_url, "customer.contact.change")
    assert all(a["customer_id"] != "cust-001" for a in changes)


async def test_a_new_address_is_where_cards_go_and_a_bad_one_is_refused(api, database_url) -> None:
    for body, error in (
        (address("1 High St", "Leeds", "LS99 ZZZ"), "invalid_postcode"),
        (address("1 Rue de Rivoli", "Paris", "75001"), "invalid_postcode"),
        (address("1 High St", "Leeds", "LS1 4AB", "FR"), "address_not_uk"),
        (address("27 Kingsway", "Leeds", "LS6 2AB"), "contact_unchanged"),
    ):
        response = await send(api, "PUT", ADDRESS.format("cust-003"), body)
        assert code(response) == error, response.text
    body = address("9 Park Row", "Leeds", "ls1 5hd")
    response = await send(api, "PUT", ADDRESS.format("cust-003"), body)
    assert response.status_code == 200, response.text
    change = response.json()["Data"]["PostalAddressChange"]
    assert change["Previous"]["PostCode"] == "LS6 2AB"
    assert change["Current"]["PostCode"] == "LS1 5HD"
    held = (await api.get(ADDRESS.format("cust-003"))).json()["Data"]["PostalAddress"]
    assert held["AddressLine"] == ["9 Park Row"] and held["PostCode"] == "LS1 5HD"
    [audit] = await audits(database_url, "customer.address.change")
    assert json.loads(audit["before"])["post_code"] == "LS6 2AB"


async def test_marketing_is_off_until_said_and_each_change_is_audited(api, database_url) -> None:
    shown = (await api.get(MARKETING.format("cust-001"))).json()["Data"]["MarketingPreferences"]
    assert shown == {"Email": False, "Sms": False, "Post": False}
    path = MARKETING.format("cust-001")
    response = await send(api, "PATCH", path, {"Data": {"MarketingPreferences": {"Post": True}}})
    now = response.json()["Data"]["MarketingPreferences"]
    assert now == {"Email": False, "Sms": False, "Post": True}
    empty = await send(api, "PATCH", path, {"Data": {"MarketingPreferences": {}}})
    assert code(empty) == "invalid_request"
    other = await api.get(MARKETING.format("nobody"))
    assert other.status_code == 404
    [audit] = await audits(database_url, "customer.marketing.change")
    assert json.loads(audit["after"])["post"] is True
