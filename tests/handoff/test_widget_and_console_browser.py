"""Issue 4's scenario side by side in headless Chromium: a customer in the embeddable widget on
worker A, an agent in the console at /agent on worker B, the two workers sharing MongoDB and
Redis. Everything is checked as each person sees it on their own screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.handoff.conftest import Workers, sign_in
from tests.widget.conftest import HostSite, messages, say

SLOW = 30_000  # ms: a turn, or a push across workers, on a loaded machine
RESTART = 120_000  # ms: worker A back up, then the widget's next backoff attempt

ASK = "can I speak to a real person please"
PASSED_ON = "Teller: I'm passing you to a colleague."
JOINED = "Teller: Ana from our team has joined the conversation."


@pytest.fixture(scope="module")
def site(workers: Workers) -> Iterator[HostSite]:
    """A bank's page embedding worker A's widget, signed in as cust-001 through its hook."""
    response = httpx.post(f"{workers.a.base_url}/dev/token", json={"customer_id": "cust-001"})
    host = HostSite(workers.a.base_url, response.json()["token"])
    yield host
    host.server.shutdown()


@pytest.fixture
def widget(browser: Browser, site: HostSite) -> Iterator[Page]:
    """The customer's tab, with the chat open."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(site.url)
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("dialog", name="Chat with Teller")).to_be_visible()
    yield page
    context.close()


@pytest.fixture
def console(browser: Browser, workers: Workers, agent_names: Any) -> Iterator[Page]:
    """Ana's tab: the agent console on worker B, signed in and online."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(workers.b.base_url + "/agent")
    sign_in(page)
    expect(page.locator("#live")).to_have_text("Online", timeout=SLOW)
    yield page
    context.close()


def widget_status(page: Page) -> Locator:
    """The line under the widget's title saying who the customer is talking to."""
    return page.get_by_role("dialog").get_by_role("status").first


def shown_once(page: Page, text: str) -> None:
    """Wait until `text` is in the widget's transcript, then check it is there only once."""
    expect(page.locator("li.msg .text", has_text=text)).to_have_count(1, timeout=SLOW)


def reply(console: Page, text: str) -> None:
    """Ana writes to the customer and sees her message in the transcript."""
    console.get_by_label("Message").fill(text)
    console.get_by_role("button", name="Send to customer").click()
    expect(console.get_by_role("log", name="Transcript")).to_contain_text(text, timeout=SLOW)


def test_a_widget_customer_and_a_console_agent_on_two_workers(
    widget: Page, console: Page, workers: Workers
) -> None:
    # 1. The customer asks for a person in the widget and is told they are queued.
    say(widget, ASK)
    expect(widget_status(widget)).to_have_text("Waiting for a person to join", timeout=SLOW)
    shown_once(widget, "I'm passing you to a colleague")
    conversation = widget.evaluate(
        "() => Object.entries(sessionStorage).map(([k, v]) => JSON.parse(v))[0].conversationId"
    )

    # 2. Ana sees the conversation arrive in her live queue on worker B, opens and claims it.
    entry = console.locator(f'#queue button[data-conversation="{conversation}"]')
    expect(entry).to_be_visible(timeout=SLOW)
    expect(entry).to_contain_text("cust-001")
    expect(entry).to_contain_text("Waiting")
    entry.click()
    transcript = console.get_by_role("log", name="Transcript")
    expect(transcript).to_contain_text(ASK, timeout=SLOW)
    console.get_by_role("button", name="Claim").click()
    expect(transcript).to_contain_text("Ana from our team has joined", timeout=SLOW)
    expect(widget_status(widget)).to_have_text("You're chatting with a person", timeout=SLOW)
    shown_once(widget, "Ana from our team has joined the conversation.")

    # 3. Messages both ways in real time.
    say(widget, "my card was declined in Paris")
    expect(transcript).to_contain_text("my card was declined in Paris", timeout=SLOW)
    reply(console, "I can see the declined payment, one moment.")
    shown_once(widget, "I can see the declined payment, one moment.")

    # 4. Worker A goes away and comes back: the customer's socket drops and reconnects.
    # Meanwhile Ana writes (its push finds nobody on A) and the customer types (it waits).
    workers.a.stop()
    try:
        expect(widget.locator(".connection")).to_contain_text("Reconnecting", timeout=SLOW)
        reply(console, "It was blocked as a precaution; I've lifted the block.")
        say(widget, "thank you, is it safe to use now?")
        pending = widget.locator("li.msg.pending")
        expect(pending).to_have_count(1)
        expect(pending.locator(".note")).to_have_text("Waiting for connection…")
    finally:
        workers.a.start()
    expect(widget.locator("li.msg.pending")).to_have_count(0, timeout=RESTART)
    expect(widget.locator(".connection")).to_be_empty(timeout=SLOW)
    shown_once(widget, "thank you, is it safe to use now?")
    expect(transcript).to_contain_text("thank you, is it safe to use now?", timeout=SLOW)
    expect(widget.locator("li.msg")).to_have_count(7, timeout=SLOW)
    assert messages(widget)[0] == f"You: {ASK}"
    assert messages(widget)[1].startswith(PASSED_ON)
    assert messages(widget)[2:] == [
        JOINED,
        "You: my card was declined in Paris",
        "Agent: I can see the declined payment, one moment.",
        "Agent: It was blocked as a precaution; I've lifted the block.",
        "You: thank you, is it safe to use now?",
    ]
    # Live pushes reach the new socket too, once each.
    reply(console, "Yes, it is safe to use now.")
    shown_once(widget, "Yes, it is safe to use now.")
    expect(widget.locator("li.msg")).to_have_count(8)
    # The console's transcript has each of the customer's messages once, in order.
    customer_lines = console.locator("#transcript li.customer")
    expect(customer_lines).to_have_count(3)
    for n, text in enumerate(
        [ASK, "my card was declined in Paris", "thank you, is it safe to use now?"]
    ):
        expect(customer_lines.nth(n)).to_contain_text(text)

    # 5. Ana hands back; the bot carries on and answers a balance question with a £ amount.
    console.get_by_role("button", name="Hand back to bot").click()
    expect(transcript).to_contain_text("Status: bot", timeout=SLOW)
    expect(widget_status(widget)).to_have_text("Teller assistant", timeout=SLOW)
    shown_once(widget, "Ana has handed you back to Teller")
    say(widget, "what's my balance?")
    answer = widget.locator("li.msg:not(.from-customer)").last
    expect(answer).to_contain_text(re.compile(r"£[\d,]+\.\d\d"), timeout=SLOW)
    expect(widget.locator(".typing")).to_be_hidden(timeout=SLOW)
    assert messages(widget)[-2] == "You: what's my balance?"
    assert messages(widget)[-1].startswith("Teller: ")
