"""Payees (UK and abroad), Confirmation of Payee, billers and saved bills; the rules under them."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import select

from sandbox.checkdigits import luhn_ok, mod11_ok
from sandbox.cop import compare
from sandbox.db import audit_log
from sandbox.modulus import is_valid
from tests.sandbox.helpers import bank_db, code, send, transfer


def uk(identification: str, name: str, reference: str | None = None) -> dict:
    account = {
        "SchemeName": "UK.OBIE.SortCodeAccountNumber",
        "Identification": identification,
        "Name": name,
    }
    beneficiary: dict = {"CreditorAccount": account}
    if reference is not None:
        beneficiary["Reference"] = reference
    return {"Data": {"Beneficiary": beneficiary}}


def iban(identification: str, bic: str, currency: str = "EUR", name: str = "Marie Dubois"):
    return {
        "Data": {
            "Beneficiary": {
                "Currency": currency,
                "CreditorAgent": {"SchemeName": "UK.OBIE.BICFI", "Identification": bic},
                "CreditorAccount": {
                    "SchemeName": "UK.OBIE.IBAN",
                    "Identification": identification,
                    "Name": name,
                },
            }
        }
    }


async def payee_ids(api: httpx.AsyncClient, customer: str, **params) -> list[str]:
    body = (await api.get(f"/customers/{customer}/payees", params=params)).json()
    return [b["BeneficiaryId"] for b in body["Data"]["Beneficiary"]]


def test_modulus_check_follows_vocalink_examples():
    assert is_valid("089999", "66374958") and not is_valid("089999", "66374959")
    assert is_valid("107999", "88837491") and not is_valid("107999", "88837493")
    assert is_valid("230338", "81733095") and not is_valid("230338", "81733096")
    assert is_valid("040004", "12344821")  # no row for the sandbox's own sort code
    assert not is_valid("08999", "66374958") and not is_valid("089999", "6637495x")


def test_check_digits():
    assert luhn_ok("4929123456789015") and not luhn_ok("4929123456789016")
    assert mod11_ok("50412787") and not mod11_ok("50412788")


@pytest.mark.parametrize(
    ("given", "held", "result"),
    [
        ("Jonathan Smith", "Jonathan Smith", "MATCH"),
        ("mr jonathan smith", "Jonathan Smith", "MATCH"),
        ("Brightwave Media", "Brightwave Media Ltd", "MATCH"),
        ("Jon Smith", "Jonathan Smith", "CLOSE_MATCH"),
        ("J Smith", "Jonathan Smith", "CLOSE_MATCH"),
        ("Tom Barker", "Tom Baker", "CLOSE_MATCH"),
        ("Smith Jonathan", "Jonathan Smith", "CLOSE_MATCH"),
        ("Jane Smith", "Jonathan Smith", "NO_MATCH"),
        ("", "Jonathan Smith", "NO_MATCH"),
    ],
)
def test_name_matching_rule(given, held, result):
    assert compare(given, held) == result


async def test_a_uk_payee_is_created_once_and_listed(api: httpx.AsyncClient, database_url):
    body = uk("08-99-99 52710403", "Jonathan Smith", "Lunch")
    first = await send(api, "POST", "/customers/cust-002/payees", body, key="payee-1")
    again = await send(api, "POST", "/customers/cust-002/payees", body, key="payee-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    created = first.json()["Data"]["Beneficiary"]
    assert created["CreditorAccount"]["Identification"] == "08999952710403"
    assert created["Reference"] == "Lunch"
    assert created["BeneficiaryId"] in await payee_ids(api, "cust-002")
    other = await send(
        api, "POST", "/customers/cust-002/payees", uk("10799931425909", "S"), key="payee-1"
    )
    assert (other.status_code, code(other)) == (409, "idempotency_key_reused")
    twice = await send(api, "POST", "/customers/cust-002/payees", body)
    assert (twice.status_code, code(twice)) == (409, "payee_exists")
    async with bank_db(database_url) as conn:
        rows = await conn.execute(
            select(audit_log).where(audit_log.c.resource_id == created["BeneficiaryId"])
        )
        [audit] = rows.mappings().all()
    assert (audit["actor"], audit["action"], audit["before"]) == (
        "customer:cust-002",
        "create",
        None,
    )
    assert json.loads(audit["after"])["name"] == "Jonathan Smith"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (uk("0899995271040", "X"), 422, "invalid_account_identification"),
        (uk("08999952710404", "X"), 422, "modulus_check_failed"),
        (uk("08999952710403", "X", "r" * 19), 400, "invalid_request"),
        (iban("DE89370400440532013001", "COBADEFFXXX"), 422, "invalid_iban"),
        (iban("DE89370400440532013000", "COBA"), 400, "invalid_request"),
        (iban("DE89370400440532013000", "COBA1EFFXXX"), 422, "invalid_bic"),
        (iban("DE89370400440532013000", "BNPAFRPPXXX"), 422, "bic_country_mismatch"),
        (iban("DE89370400440532013000", "COBADEFFXXX", "RUB"), 422, "currency_not_supported"),
        (
            {
                "Data": {
                    "Beneficiary": {
                        "CreditorAccount": {
                            "SchemeName": "UK.OBIE.PAN",
                            "Identification": "1",
                            "Name": "x",
                        }
                    }
                }
            },
            400,
            "invalid_request",
        ),
        ({"Data": {"Beneficiary": {"Nope": 1}}}, 400, "invalid_request"),
    ],
)
async def test_bad_payees_are_refused(api, body, status, error):
    before = await payee_ids(api, "cust-003")
    response = await send(api, "POST", "/customers/cust-003/payees", body)
    assert (response.status_code, code(response)) == (status, error)
    assert await payee_ids(api, "cust-003") == before


async def test_a_payee_abroad_is_listed_with_its_iban_and_bic(api):
    body = iban("FR14 2004 1010 0505 0001 3M02 606", "PSSTFRPPXXX")
    response = await send(api, "POST", "/customers/cust-003/payees", body)
    assert response.status_code == 201, response.text
    created = response.json()["Data"]["Beneficiary"]
    assert created["CreditorAccount"]["Identification"] == "FR1420041010050500013M02606"
    assert created["CreditorAgent"]["Identification"] == "PSSTFRPPXXX"
    assert await payee_ids(api, "cust-003", kind="international") == [created["BeneficiaryId"]]
    assert created["BeneficiaryId"] not in await payee_ids(api, "cust-003", kind="domestic")
    pay = transfer("acc-003-current", "Sandbox.BeneficiaryId", created["BeneficiaryId"], "1.00")
    refused = await send(api, "POST", "/customers/cust-003/domestic-payments", pay)
    assert (refused.status_code, code(refused)) == (422, "payee_not_domestic")


async def test_a_deleted_payee_keeps_its_id_and_takes_no_payments(api):
    created = await send(
        api, "POST", "/customers/cust-003/payees", uk("04051064118308", "Rebecca Taylor")
    )
    payee = created.json()["Data"]["Beneficiary"]["BeneficiaryId"]
    paid = await send(
        api,
        "POST",
        "/customers/cust-003/domestic-payments",
        transfer("acc-003-current", "Sandbox.BeneficiaryId", payee, "1.00"),
    )
    assert paid.status_code == 201
    deleted = await send(api, "DELETE", f"/customers/cust-003/payees/{payee}", key="del-1")
    replay = await send(api, "DELETE", f"/customers/cust-003/payees/{payee}", key="del-1")
    assert deleted.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert deleted.json()["Data"]["Beneficiary"]["BeneficiaryId"] == payee
    assert payee not in await payee_ids(api, "cust-003")
    refused = await send(
        api,
        "POST",
        "/customers/cust-003/domestic-payments",
        transfer("acc-003-current", "Sandbox.BeneficiaryId", payee, "1.00"),
    )
    assert (refused.status_code, code(refused)) == (422, "payee_deleted")
    old = await api.get(
        f"/customers/cust-003/domestic-payments/{paid.json()['Data']['DomesticPaymentId']}"
    )
    assert old.json()["Data"]["Initiation"]["CreditorAccount"]["Name"] == "Rebecca Taylor"
    again = await send(api, "DELETE", f"/customers/cust-003/payees/{payee}")
    assert (again.status_code, code(again)) == (404, "payee_not_found")
    theirs = await send(api, "DELETE", "/customers/cust-003/payees/payee-001-01")
    assert (theirs.status_code, code(theirs)) == (404, "payee_not_found")
    keyless = await api.delete("/customers/cust-003/payees/payee-003-01")
    assert (keyless.status_code, code(keyless)) == (400, "idempotency_key_required")


async def test_concurrent_duplicate_payee_creations_make_one(api):
    body = uk("10799944930100", "Halcyon Lettings Ltd")
    responses = await asyncio.gather(
        *(send(api, "POST", "/customers/cust-001/payees", body, key="same") for _ in range(4))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["Data"]["Beneficiary"]["BeneficiaryId"] for r in responses}) == 1


@pytest.mark.parametrize(
    ("identification", "name", "kind", "expected"),
    [
        (
            "08999952710403",
            "Jonathan Smith",
            "Personal",
            {"Result": "MATCH", "AccountType": "Personal"},
        ),
        (
            "08999952710403",
            "Jon Smith",
            "Personal",
            {
                "Result": "CLOSE_MATCH",
                "ReasonCode": "MBAM",
                "ActualName": "Jonathan Smith",
                "AccountType": "Personal",
            },
        ),
        ("08999952710403", "Jane Doe", "Personal", {"Result": "NO_MATCH", "ReasonCode": "ANNM"}),
        (
            "23033881733095",
            "Brightwave Media",
            "Business",
            {"Result": "MATCH", "AccountType": "Business"},
        ),
        (
            "23033881733095",
            "Brightwave Media Ltd",
            "Personal",
            {
                "Result": "CLOSE_MATCH",
                "ReasonCode": "BANM",
                "ActualName": "Brightwave Media Ltd",
                "AccountType": "Business",
            },
        ),
        (
            "04000412344821",
            "Emma Clark",
            "Personal",
            {
                "Result": "CLOSE_MATCH",
                "ReasonCode": "MBAM",
                "ActualName": "Emma Clarke",
                "AccountType": "Personal",
            },
        ),
        (
            "20041531926819",
            "Alice Johnson",
            "Personal",
            {"Result": "MATCH", "AccountType": "Personal"},
        ),
        (
            "08999900000000",
            "Anyone",
            "Personal",
            {"Result": "ACCOUNT_NOT_FOUND", "ReasonCode": "AC01"},
        ),
    ],
)
async def test_confirmation_of_payee(api, identification, name, kind, expected):
    body = {
        "Data": {
            "AccountType": kind,
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.SortCodeAccountNumber",
                "Identification": identification,
                "Name": name,
            },
        }
    }
    response = await api.post("/customers/cust-002/payee-checks", json=body)
    assert response.status_code == 200
    assert response.json()["Data"] == expected


async def test_confirmation_of_payee_refusals(api):
    body = {
        "Data": {
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.SortCodeAccountNumber",
                "Identification": "123",
                "Name": "X",
            }
        }
    }
    bad = await api.post("/customers/cust-002/payee-checks", json=body)
    assert (bad.status_code, code(bad)) == (422, "invalid_account_identification")
    nobody = await api.post(
        "/customers/cust-999/payee-checks",
        json=body
        | {
            "Data": body["Data"]
            | {
                "CreditorAccount": body["Data"]["CreditorAccount"]
                | {"Identification": "08999952710403"}
            }
        },
    )
    assert (nobody.status_code, code(nobody)) == (404, "customer_not_found")


async def test_biller_directory_and_saved_bills(api):
    billers = (await api.get("/billers")).json()["Data"]["Biller"]
    categories = {b["Category"] for b in billers}
    assert categories == {"energy", "water", "council_tax", "mobile", "broadband", "card_issuer"}
    barclaycard = next(b for b in billers if b["BillerId"] == "biller-barclaycard")
    assert barclaycard["Reference"]["CheckDigit"] == "luhn"
    assert barclaycard["Reference"]["Example"] == "************9015"
    seeded = (await api.get("/customers/cust-001/bills")).json()["Data"]["Bill"]
    assert [(b["BillId"], b["Reference"]) for b in seeded] == [
        ("bill-001-1", "************9015"),
        ("bill-001-2", "GP31224580"),
    ]
    body = {
        "Data": {
            "Bill": {
                "BillerId": "biller-lambeth-council",
                "Reference": "5108 8320",
                "Nickname": "Council tax",
            }
        }
    }
    first = await send(api, "POST", "/customers/cust-003/bills", body, key="bill-1")
    again = await send(api, "POST", "/customers/cust-003/bills", body, key="bill-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["Data"]["Bill"]["Reference"] == "51088320"
    duplicate = await send(api, "POST", "/customers/cust-003/bills", body)
    assert (duplicate.status_code, code(duplicate)) == (409, "bill_exists")
    other = {"Data": {"Bill": {"BillerId": "biller-ee", "Reference": "402118876"}}}
    reused = await send(api, "POST", "/customers/cust-003/bills", other, key="bill-1")
    assert (reused.status_code, code(reused)) == (409, "idempotency_key_reused")
    assert (await api.get("/customers/cust-999/bills")).status_code == 404


@pytest.mark.parametrize(
    ("biller", "reference", "status", "error"),
    [
        ("biller-lambeth-council", "51088321", 422, "invalid_reference"),  # check digit
        ("biller-british-gas", "850034129378", 422, "invalid_reference"),
        ("biller-barclaycard", "4929123456789016", 422, "invalid_reference"),
        ("biller-octopus-energy", "A-7F3C9E2", 422, "invalid_reference"),
        ("biller-bt", "GP3122458", 422, "invalid_reference"),
        ("biller-nobody", "1", 404, "biller_not_found"),
    ],
)
async def test_bad_bill_references_are_refused(api, biller, reference, status, error):
    body = {"Data": {"Bill": {"BillerId": biller, "Reference": reference}}}
    response = await send(api, "POST", "/customers/cust-002/bills", body)
    assert (response.status_code, code(response)) == (status, error)
