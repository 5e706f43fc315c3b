"""The agent console shows the customer's cases beside the conversation: a fraud report's
case, attached to its handoff, first and marked, then their other cases; through the desk's
API and in headless Chromium. cust-003 reports fraud on her credit card (••2290) on worker A;
Ana works on worker B."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Customer, text_of
from tests.handoff.conftest import AgentConsole, Workers, sign_in

REFERENCE = re.compile(r"\b(?:DSP|FRD)-[A-Z0-9]{8}\b")


@pytest.fixture(scope="module")
def reported(workers: Workers) -> dict[str, str]:
    """A dispute (no person needed), then a fraud report that queues the chat."""
    with httpx.Client(base_url=workers.a.base_url, timeout=30) as http:
        token = http.post("/dev/token", json={"customer_id": "cust-003"}).json()["token"]
        aisha = Customer(http, "cust-003", token)
        listed = aisha.say("I want to dispute a payment")
        reason = aisha.press(listed, "£")
        amount = aisha.press(reason, "Never received it")
        confirm = aisha.press(amount, "All of it")
        dispute = REFERENCE.search(text_of(aisha.press(confirm, "Yes, open the dispute")))
        assert dispute, "a dispute was opened"
        aisha.conversation_id = None  # a new conversation for the fraud report
        asked = aisha.say("someone used my card")
        code = aisha.press(aisha.press(asked, "Credit card ••2290"), "Yes, freeze it")
        assert code["state"]["awaiting"] == "otp"
        done = aisha.say(aisha.latest_code())
        assert done["state"]["status"] == "queued", text_of(done)
        fraud = REFERENCE.search(text_of(done))
        assert fraud and fraud.group(0).startswith("FRD-"), text_of(done)
        return {
            "conversation": str(done["conversation_id"]),
            "fraud": fraud.group(0),
            "dispute": dispute.group(0),
        }


def test_the_desk_gives_the_attached_case_first_then_the_others(
    ana: AgentConsole, reported: dict[str, str]
) -> None:
    data = ana.conversation(reported["conversation"])
    cases = data["cases"]
    assert [c["reference"] for c in cases[:2]] == [reported["fraud"], reported["dispute"]]
    fraud, dispute = cases[0], cases[1]
    assert fraud["attached"] is True and dispute["attached"] is False
    assert (fraud["kind"], fraud["status"], fraud["card_id"]) == (
        "Fraud report",
        "open",
        "card-003-credit",
    )
    assert fraud["reason"] == "Card used by someone else"
    assert dispute["kind"] == "Dispute" and dispute["reason"] == "Not received"
    assert dispute["amount"] == dispute["payment"] and dispute["merchant"]
    handoffs = [e for e in data["transcript"] if e["type"] == "handoff"]
    assert handoffs[0]["data"]["attached"] == {"case_reference": reported["fraud"]}


def test_a_conversation_of_a_customer_without_cases_shows_none(
    ana: AgentConsole, customer: Customer
) -> None:
    customer.say("can I speak to a real person please")
    data = ana.conversation(str(customer.conversation_id))
    assert all(c["reference"].startswith(("DSP", "FRD")) for c in data["cases"])
    assert not [c for c in data["cases"] if c["attached"]], "nothing attached to this handoff"


@pytest.fixture
def page(browser: Browser, workers: Workers, agent_names: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text))
    page.goto(workers.b.base_url + "/agent")
    yield page
    context.close()
    assert not [c for c in complaints if "Content Security Policy" in c], complaints


def test_the_console_shows_the_case_beside_the_conversation(
    page: Page, reported: dict[str, str]
) -> None:
    sign_in(page)
    entry = page.locator(f'#queue button[data-conversation="{reported["conversation"]}"]')
    expect(entry).to_be_visible()
    entry.click()
    cases = page.get_by_role("complementary", name="Cases")
    expect(cases).to_be_visible()
    attached = cases.locator("li.attached")
    expect(attached).to_have_count(1)
    expect(attached).to_contain_text(reported["fraud"])
    expect(attached).to_contain_text("Fraud report · open")
    expect(attached).to_contain_text("attached to this handoff")
    other = cases.locator(f'li[data-reference="{reported["dispute"]}"]')
    expect(other).to_contain_text("Dispute · open")
    expect(other).to_contain_text(re.compile(r"Not received · £[\d,.]+ of £[\d,.]+ at .+ on 20"))
    expect(other).to_contain_text(re.compile(r"opened 20\d\d-\d\d-\d\d \d\d:\d\d UTC"))
    expect(page.get_by_role("log", name="Transcript")).to_contain_text(reported["fraud"])
