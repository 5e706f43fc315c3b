"""An alert reaches the widget live: the customer has the widget open (headless Chromium,
the bank's page on its own origin), the sandbox bank books a card payment abroad, signs the
event and posts it to Teller, and the alert appears in the open conversation without the
customer writing; "that wasn't me" then starts the fraud flow about that card."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from pymongo import MongoClient

from tests.support.browser import chromium
from tests.support.stack import Stack, running_stack
from tests.widget.conftest import CONFIG, HostSite, say, wait_for_bot

SECRET = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def alert_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"TELLER_BANK_EVENTS_SECRET": SECRET}
    with running_stack(tmp_path_factory.mktemp("widget-alerts"), CONFIG, extra_env=env) as stack:
        response = httpx.put(
            f"{stack.bank_url}/sandbox/event-webhook",
            json={"Url": f"{stack.teller.base_url}/webhooks/bank", "Secret": SECRET},
            headers={"Authorization": f"Bearer {stack.bank_api_key}"},
        )
        assert response.status_code == 200
        yield stack


@pytest.fixture(scope="module")
def site(alert_stack: Stack) -> Iterator[HostSite]:
    token = httpx.post(
        f"{alert_stack.teller.base_url}/dev/token", json={"customer_id": "cust-001"}
    ).json()["token"]
    host = HostSite(alert_stack.teller.base_url, token)
    yield host
    host.server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def _bank(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.bank_url,
        headers={"Authorization": f"Bearer {stack.bank_api_key}"},
        timeout=10,
    )


def test_an_alert_appears_live_in_the_open_widget_and_a_reply_continues_it(
    page: Page, site: HostSite, alert_stack: Stack
) -> None:
    page.goto(site.url)
    page.get_by_role("button", name="Open chat").click()
    say(page, "alert me when my card is used abroad")
    wait_for_bot(page, 1)
    expect(page.locator("li.msg").last).to_contain_text("when your card is used abroad")

    with _bank(alert_stack) as bank:
        paid = bank.post(
            "/sandbox/customers/cust-001/card-payments",
            json={
                "Data": {
                    "CardPayment": {
                        "CardId": "card-001-debit",
                        "InstructedAmount": {"Amount": "61.20", "Currency": "GBP"},
                        "MerchantName": "Taverna Plaka",
                        "MerchantCategoryCode": "5812",
                        "MerchantCountry": "GR",
                    }
                }
            },
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert paid.status_code == 201, paid.text

    wait_for_bot(page, 2)  # nobody typed: the alert was pushed
    expect(page.locator("li.msg").last).to_contain_text("£61.20 at Taverna Plaka in Greece")
    replies = page.get_by_role("group", name="Suggested replies")
    expect(replies.get_by_role("button", name="That wasn't me")).to_be_visible()

    with MongoClient(alert_stack.mongo_uri) as client:
        stored: dict[str, Any] | None = client[alert_stack.mongo_db]["events"].find_one(
            {"data.from": "alert", "data.alert.kind": "card_abroad"}
        )
    assert stored is not None

    say(page, "that wasn't me")
    wait_for_bot(page, 4)  # the fraud flow's opening, then the freeze to confirm
    expect(page.locator("li.msg").last).to_contain_text("4417")
    expect(page.locator("li.msg").last).to_contain_text("freeze")
