"""The agent console in headless Chromium, driven by keyboard where a person would use it,
with the customer on the REST channel of the other worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Customer, text_of
from tests.handoff.conftest import PASSWORD, Workers, add_agent, customer_feed, lock_out, sign_in


@pytest.fixture
def page(browser: Browser, workers: Workers, agent_names: Any) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(message.text))
    page.goto(workers.b.base_url + "/agent")
    yield page
    context.close()
    # The page runs under its Content-Security-Policy without tripping it.
    assert not [c for c in complaints if "Content Security Policy" in c], complaints


def test_a_wrong_password_shows_an_error_and_no_console(page: Page) -> None:
    sign_in(page, "not the password")
    expect(page.get_by_role("alert").first).to_have_text("That name and password don't match.")
    expect(page.locator("#console-view")).to_be_hidden()


def test_a_locked_account_is_told_so_on_the_sign_in_page(page: Page, workers: Workers) -> None:
    """Issue 10, finding 5: after 10 wrong passwords the account is locked, and the console
    says so (not "wrong password"), even for the right password."""
    assert add_agent(workers, "hal", PASSWORD).returncode == 0
    locked, _ = lock_out(workers.b, "hal")
    sign_in(page, PASSWORD, name="hal")
    message = locked.json()["error"]["message"]
    expect(page.get_by_role("alert").first).to_have_text(message)
    assert "locked" in message
    expect(page.locator("#console-view")).to_be_hidden()


def test_an_agent_takes_a_conversation_from_the_queue_to_hand_back(
    page: Page, customer: Customer, workers: Workers
) -> None:
    sign_in(page)
    expect(page.locator("#live")).to_have_text("Online")
    customer.say("can I speak to a real person please")
    cid = customer.conversation_id
    entry = page.locator(f'#queue button[data-conversation="{cid}"]')
    expect(entry).to_be_visible()  # arrived live over the socket
    entry.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#profile")).to_contain_text("•••• •••")
    expect(page.get_by_role("button", name="Claim")).to_be_focused()

    with customer_feed(workers, cid) as feed:
        page.keyboard.press("Enter")  # claim
        transcript = page.get_by_role("log", name="Transcript")
        expect(transcript).to_contain_text("Ana from our team has joined")
        customer.say("my card was declined, can you help?")
        expect(transcript).to_contain_text("my card was declined, can you help?")

        page.get_by_label("Canned response").select_option(label="Checking")
        expect(page.get_by_label("Message")).to_be_focused()
        page.keyboard.press("Control+Enter")
        expect(transcript).to_contain_text("let me check that for you")
        page.get_by_label("Message").fill("Customer sounds worried; check Paris payments")
        page.get_by_role("button", name="Add internal note").click()
        expect(page.locator("#transcript li.note")).to_contain_text("check Paris payments")
        page.get_by_role("button", name="Hand back to bot").click()
        expect(transcript).to_contain_text("Status: bot")
        frames = feed.frames(wait=1.0)

    texts = [f.get("text", "") for f in frames]
    assert any("let me check that for you" in t for t in texts)
    assert not any("Paris payments" in t for t in texts)
    assert "£" in text_of(customer.say("what's my balance?"))
    expect(page.get_by_role("button", name="Send to customer")).to_be_disabled()
    page.get_by_role("button", name="Sign out").click()  # a DELETE with the page's token
    expect(page.locator("#sign-in-view")).to_be_visible()
    page.reload()
    expect(page.locator("#sign-in-view")).to_be_visible()  # the session ended on the server
