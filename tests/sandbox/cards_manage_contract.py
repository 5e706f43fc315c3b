"""Card controls, PIN unblocks and replacements every sandbox database must get right; run on
SQLite and on PostgreSQL. One bank per module: each test uses cards no other test changes."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
from sqlalchemy import func, select

from sandbox.card_tables import card_control_changes, card_controls, card_replacements
from sandbox.db import card_actions, cards
from tests.sandbox.helpers import bank_db, code, send

CARD = "/customers/{}/cards/{}"


def limit_body(amount: str, currency: str = "GBP") -> dict:
    return {"Data": {"DailyLimit": {"Amount": amount, "Currency": currency}}}


async def controls(api: httpx.AsyncClient, customer: str, card: str) -> dict:
    response = await api.get(CARD.format(customer, card) + "/controls")
    assert response.status_code == 200, response.text
    return response.json()["Data"]["CardControls"]


def daily(found: dict, kind: str) -> str:
    return next(x["DailyLimit"]["Amount"] for x in found["Limits"] if x["Type"] == kind)


def enabled(found: dict, kind: str) -> bool:
    return next(x["Enabled"] for x in found["Permissions"] if x["Type"] == kind)


async def count(database_url: str, table, **where) -> int:
    async with bank_db(database_url) as conn:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(await conn.scalar(query) or 0)


async def card_row(database_url: str, card_id: str) -> dict:
    async with bank_db(database_url) as conn:
        row = (await conn.execute(select(cards).where(cards.c.id == card_id))).mappings().first()
        return dict(row) if row else {}


class CardsManageContract:
    async def test_controls_carry_limits_with_bounds_switches_and_the_pin(self, api):
        found = await controls(api, "cust-001", "card-001-credit")
        assert found["Limits"][0] == {
            "Type": "ATM",
            "DailyLimit": {"Amount": "500.00", "Currency": "GBP"},
            "MinimumLimit": {"Amount": "10.00", "Currency": "GBP"},
            "MaximumLimit": {"Amount": "1000.00", "Currency": "GBP"},
        }
        assert [x["Type"] for x in found["Permissions"]] == [
            "Online",
            "Contactless",
            "Abroad",
            "Gambling",
        ]
        assert found["Pin"] == {"Blocked": False, "UnblockAllowed": False}
        blocked = await controls(api, "cust-001", "card-001-debit")
        assert blocked["Pin"] == {"Blocked": True, "UnblockAllowed": True}

    async def test_a_limit_in_bounds_changes_once_per_key_and_is_audited(self, api, database_url):
        path = CARD.format("cust-001", "card-001-credit") + "/controls/limits/Online"
        first = await send(api, "PUT", path, limit_body("4000.00"), key="lim-1")
        assert first.status_code == 200, first.text
        change = first.json()["Data"]["Change"]
        assert (change["Control"], change["FromValue"], change["ToValue"]) == (
            "online_limit",
            "250000",
            "400000",
        )
        again = await send(api, "PUT", path, limit_body("4000.00"), key="lim-1")
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["Data"]["Change"]["ChangeId"] == change["ChangeId"]
        assert daily(await controls(api, "cust-001", "card-001-credit"), "Online") == "4000.00"
        audited = await count(database_url, card_control_changes, card_id="card-001-credit")
        assert audited == 1

    async def test_concurrent_duplicates_make_one_change(self, api, database_url):
        path = CARD.format("cust-002", "card-002-spare") + "/controls/limits/Contactless"
        responses = await asyncio.gather(
            *(send(api, "PUT", path, limit_body("100.00"), key="same-lim") for _ in range(5))
        )
        assert {r.status_code for r in responses} == {200}
        assert len({r.json()["Data"]["Change"]["ChangeId"] for r in responses}) == 1
        assert await count(database_url, card_control_changes, card_id="card-002-spare") == 1

    async def test_out_of_bounds_or_odd_limits_change_nothing(self, api, database_url):
        path = CARD.format("cust-001", "card-001-virtual") + "/controls/limits/ATM"
        for amount, status, error in (
            ("1000.01", 422, "limit_not_whole_pounds"),
            ("1001.00", 422, "limit_out_of_bounds"),
            ("5.00", 422, "limit_out_of_bounds"),
            ("-20.00", 400, "invalid_request"),
            ("ten", 400, "invalid_request"),
        ):
            response = await send(api, "PUT", path, limit_body(amount))
            assert (response.status_code, code(response)) == (status, error), amount
        euros = await send(api, "PUT", path, limit_body("100.00", "EUR"))
        assert euros.status_code == 400
        assert daily(await controls(api, "cust-001", "card-001-virtual"), "ATM") == "500.00"
        assert await count(database_url, card_control_changes, card_id="card-001-virtual") == 0

    async def test_switches_turn_off_and_on(self, api, database_url):
        path = CARD.format("cust-001", "card-001-renewal") + "/controls/permissions/Gambling"
        off = await send(api, "PUT", path, {"Data": {"Enabled": False}})
        assert off.status_code == 200
        assert (
            off.json()["Data"]["Change"]["FromValue"],
            off.json()["Data"]["Change"]["ToValue"],
        ) == ("on", "off")
        assert not enabled(await controls(api, "cust-001", "card-001-renewal"), "Gambling")
        on = await send(api, "PUT", path, {"Data": {"Enabled": True}})
        assert on.json()["Data"]["Change"]["ToValue"] == "on"
        assert enabled(await controls(api, "cust-001", "card-001-renewal"), "Gambling")
        assert await count(database_url, card_control_changes, card_id="card-001-renewal") == 2
        unknown = await send(
            api, "PUT", path.replace("Gambling", "Crypto"), {"Data": {"Enabled": False}}
        )
        assert unknown.status_code == 400

    async def test_another_customers_card_is_not_found_and_unchanged(self, api, database_url):
        theirs = CARD.format("cust-002", "card-001-credit")
        assert (await api.get(theirs + "/controls")).status_code == 404
        response = await send(api, "PUT", theirs + "/controls/limits/ATM", limit_body("20.00"))
        assert (response.status_code, code(response)) == (404, "card_not_found")
        response = await send(
            api, "POST", CARD.format("cust-002", "card-001-debit") + "/pin/unblock"
        )
        assert response.status_code == 404
        response = await send(
            api,
            "POST",
            CARD.format("cust-002", "card-001-credit") + "/replacement",
            {"Data": {"Reason": "lost"}},
        )
        assert response.status_code == 404
        assert (await card_row(database_url, "card-001-credit"))["status"] == "active"
        assert (await api.get("/customers/cust-999/postal-address")).status_code == 404

    async def test_a_cancelled_card_cannot_be_changed(self, api):
        path = CARD.format("cust-002", "card-002-virtual") + "/controls/limits/Online"
        response = await send(api, "PUT", path, limit_body("100.00"))
        assert (response.status_code, code(response)) == (409, "card_cancelled")

    async def test_a_blocked_pin_is_unblocked_once(self, api, database_url):
        path = CARD.format("cust-001", "card-001-debit") + "/pin/unblock"
        first = await send(api, "POST", path, key="pin-1")
        assert first.status_code == 200
        assert first.json()["Data"]["CardControls"]["Pin"]["Blocked"] is False
        assert (await send(api, "POST", path, key="pin-1")).headers["Idempotent-Replayed"] == "true"
        again = await send(api, "POST", path, key="pin-2")
        assert (again.status_code, code(again)) == (409, "pin_not_blocked")
        rows = await count(
            database_url, card_control_changes, card_id="card-001-debit", control="pin"
        )
        assert rows == 1

    async def test_no_pin_unblock_after_a_fraud_freeze(self, api, database_url):
        card = CARD.format("cust-003", "card-003-debit")
        frozen = await send(api, "POST", card + "/freeze", {"Reason": "compromised"})
        assert frozen.status_code == 200
        assert (await controls(api, "cust-003", "card-003-debit"))["Pin"] == {
            "Blocked": True,
            "UnblockAllowed": False,
        }
        refused = await send(api, "POST", card + "/pin/unblock")
        assert (refused.status_code, code(refused)) == (409, "pin_unblock_not_allowed")
        async with bank_db(database_url) as conn:
            blocked = await conn.scalar(
                select(card_controls.c.pin_blocked).where(
                    card_controls.c.card_id == "card-003-debit"
                )
            )
        assert blocked is True

    async def test_the_postal_address_is_the_banks(self, api):
        response = await api.get("/customers/cust-003/postal-address")
        assert response.json()["Data"]["PostalAddress"] == {
            "AddressType": "Residential",
            "AddressLine": ["27 Kingsway"],
            "TownName": "Leeds",
            "PostCode": "LS6 2AB",
            "Country": "GB",
        }

    async def test_a_lost_card_is_cancelled_and_a_new_one_ordered_in_one_go(
        self, api, database_url
    ):
        path = CARD.format("cust-002", "card-002-debit") + "/replacement"
        before = await count(database_url, cards, customer_id="cust-002")
        first = await send(api, "POST", path, {"Data": {"Reason": "lost"}}, key="rep-1")
        assert first.status_code == 201, first.text
        data = first.json()["Data"]
        new = data["Card"]
        assert (new["Status"], new["Kind"], new["AccountId"]) == (
            "pending_activation",
            "debit",
            "acc-002-current",
        )
        assert new["MaskedPan"][-4:] != "7781" and new["MaskedPan"].startswith("*" * 12)
        assert new["Delivery"]["Status"] == "ordered"
        assert date.fromisoformat(new["Delivery"]["ExpectedDeliveryDate"]).weekday() < 5
        assert data["Replacement"]["ReplacedCardStatus"] == "cancelled"
        assert (await card_row(database_url, "card-002-debit"))["status"] == "cancelled"
        # The same key again: the same card, nothing new.
        again = await send(api, "POST", path, {"Data": {"Reason": "lost"}}, key="rep-1")
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["Data"]["Card"]["CardId"] == new["CardId"]
        assert await count(database_url, cards, customer_id="cust-002") == before + 1
        assert await count(database_url, card_replacements, old_card_id="card-002-debit") == 1
        cancels = await count(database_url, card_actions, card_id="card-002-debit", action="cancel")
        assert cancels == 1
        assert (await controls(api, "cust-002", new["CardId"]))["Pin"]["Blocked"] is False
        # A cancelled card is not replaced again; a key is not reused for another card.
        twice = await send(api, "POST", path, {"Data": {"Reason": "lost"}}, key="rep-2")
        assert (twice.status_code, code(twice)) == (409, "card_cancelled")
        reused = await send(
            api,
            "POST",
            CARD.format("cust-002", "card-002-spare") + "/replacement",
            {"Data": {"Reason": "lost"}},
            key="rep-1",
        )
        assert (reused.status_code, code(reused)) == (409, "idempotency_key_reused")

    async def test_a_damaged_card_works_until_its_replacement_is_activated(self, api, database_url):
        path = CARD.format("cust-003", "card-003-credit") + "/activate"
        assert (await send(api, "POST", path)).status_code == 200
        ordered = await send(
            api,
            "POST",
            CARD.format("cust-003", "card-003-credit") + "/replacement",
            {"Data": {"Reason": "damaged"}},
        )
        assert ordered.status_code == 201
        new_id = ordered.json()["Data"]["Card"]["CardId"]
        assert (await card_row(database_url, "card-003-credit"))["status"] == "active"
        # The same reason again, while the new card is in the post, is refused.
        twice = await send(
            api,
            "POST",
            CARD.format("cust-003", "card-003-credit") + "/replacement",
            {"Data": {"Reason": "damaged"}},
        )
        assert (twice.status_code, code(twice)) == (409, "replacement_on_the_way")
        activated = await send(api, "POST", CARD.format("cust-003", new_id) + "/activate")
        assert activated.status_code == 200
        assert (await card_row(database_url, "card-003-credit"))["status"] == "cancelled"
        assert (await card_row(database_url, new_id))["status"] == "active"

    async def test_bad_replacements_are_refused_and_order_nothing(self, api, database_url):
        before = await count(database_url, cards)
        virtual = await send(
            api,
            "POST",
            CARD.format("cust-001", "card-001-virtual") + "/replacement",
            {"Data": {"Reason": "damaged"}},
        )
        assert (virtual.status_code, code(virtual)) == (409, "card_not_replaceable")
        bored = await send(
            api,
            "POST",
            CARD.format("cust-001", "card-001-credit") + "/replacement",
            {"Data": {"Reason": "bored"}},
        )
        assert (bored.status_code, code(bored)) == (400, "invalid_request")
        keyless = await api.post(
            CARD.format("cust-001", "card-001-credit") + "/replacement",
            json={"Data": {"Reason": "damaged"}},
        )
        assert (keyless.status_code, code(keyless)) == (400, "idempotency_key_required")
        assert await count(database_url, cards) == before
