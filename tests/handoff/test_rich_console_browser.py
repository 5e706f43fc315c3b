"""The agent console shows the bot's rich messages as the customer saw them (the widget's own
rich.js and rich.css), under the console's strict Content-Security-Policy: headless Chromium,
the customer on the REST channel of worker A, the agent on worker B."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.messages import File, Image, Place, Places, attachment_to_dict
from tests.e2e.conftest import Customer, text_of
from tests.handoff.conftest import Workers, sign_in

SLOW = 30_000


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


def store_bot_message(mongo: Any, conversation_id: str, text: str, attachment: Any) -> None:
    """A producer's message (a chart, a statement, places) as the unit of work stores it; the
    conversation takes no turn after it, so no worker's cached state is behind."""
    last = mongo["events"].find_one({"conversation_id": conversation_id}, sort=[("seq", -1)])
    mongo["events"].insert_one(
        {
            "conversation_id": conversation_id,
            "seq": last["seq"] + 1,
            "type": "bot_message",
            "data": {"text": text, "buttons": [], "attachment": attachment_to_dict(attachment)},
            "ts": time.time(),
        }
    )


def test_the_console_shows_every_kind_as_the_customer_saw_it(
    page: Page, customer: Customer, workers: Workers, mongo: Any, tmp_path: Any
) -> None:
    assert "£5,200.00" in text_of(customer.say("how much is in my savings"))
    customer.say("show my standing orders")
    customer.say("can I speak to a real person please")
    cid = customer.conversation_id
    assert cid is not None
    chart = Image("/media/charts/november.png", "Spending by category in November", 640, 360)
    store_bot_message(mongo, cid, "Your spending in November", chart)
    statement = File(
        "/media/statements/nov.pdf", "statement-2026-11.pdf", "application/pdf", 2_400_000
    )
    store_bot_message(mongo, cid, "Your November statement is ready", statement)
    atm = Place(
        "Teller ATM, Brixton", "12 Brixton Rd", "0.4 miles", "https://maps.example/?q=1", True
    )
    store_bot_message(mongo, cid, "The nearest cash machines:", Places((atm,)))

    sign_in(page)
    expect(page.locator("#live")).to_have_text("Online", timeout=SLOW)
    page.locator(f'#queue button[data-conversation="{cid}"]').click()
    transcript = page.get_by_role("log", name="Transcript")
    expect(transcript).to_contain_text("The nearest cash machines:", timeout=SLOW)

    card = transcript.get_by_role("group", name="Savings account ••7730")
    expect(card.locator("strong")).to_have_text("£5,200.00")
    table = transcript.get_by_role("table", name="Your standing orders")
    expect(table.get_by_role("columnheader")).to_have_text(["To", "Amount", "Next payment"])
    expect(table.get_by_role("row").filter(has_text="Priya Patel")).to_contain_text("£1,350.00")
    # The table stands for the answer's text, as in the widget: its rows are not said twice.
    bot = transcript.locator("li.bot", has=page.get_by_role("table", name="Your standing orders"))
    assert "Your standing orders:\n" not in bot.inner_text()

    image = transcript.get_by_role("img", name="Spending by category in November")
    expect(image).to_have_attribute("width", "640")
    # A relative link is Teller's own origin: the console's CSP (img-src 'self') allows it.
    assert image.evaluate("el => el.src") == f"{workers.b.base_url}/media/charts/november.png"
    link = transcript.get_by_role("link", name="statement-2026-11.pdf (PDF, 2.3 MB)")
    expect(link).to_have_attribute("download", "statement-2026-11.pdf")
    expect(
        transcript.get_by_role("link", name="Map of Teller ATM, Brixton (opens in a new tab)")
    ).to_have_attribute("href", "https://maps.example/?q=1")
    holder = transcript.locator("li.bot", has=page.locator("a[download]"))
    expect(holder).to_contain_text("Your November statement is ready")
    page.screenshot(path=tmp_path / "console-rich-1280x800.png", full_page=True)
