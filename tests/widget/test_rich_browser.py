"""Rich messages in the widget as a customer sees them: headless Chromium, a bank's page on its
own origin, a real Teller and its sandbox bank. Each kind (card, table, image, file, places)
must render, be reachable by keyboard, and read well to a screen reader (roles, names, alt
text, header cells, the live log). Screenshots at 360x640 and 1280x800 go to
`$WIDGET_SHOTS` (default: the test's tmp dir) for a person to look at.

Tables and cards come from real answers. Images, files and places have producers of their
own (charts, statements, places): here they are stored as bot messages and pushed on the bus
the way the unit of work publishes them (`AgentSide`), at the end of a conversation.
"""

from __future__ import annotations

import asyncio
import os
import struct
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pymongo.collection import Collection

from actions.bank_client import BankClient
from bot.messages import File, Image, Place, Places, attachment_to_dict
from tests.support.browser import chromium
from tests.support.stack import Stack
from tests.widget.conftest import AgentSide, HostSite, messages, say, wait_for_bot

SLOW = 15_000


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG of one colour: a chart stand-in the browser really decodes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def site(stack: Stack, token: str) -> Iterator[HostSite]:
    files = {
        "/chart.png": (png(320, 180, (11, 92, 173)), "image/png"),
        "/statement.pdf": (b"%PDF-1.4\n%stand-in\n", "application/pdf"),
    }
    host = HostSite(stack.teller.base_url, token, files)
    yield host
    host.server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WIDGET_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def widget_page(browser: Browser, width: int, height: int) -> Page:
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 500
    )
    return context.new_page()


def bank_balances(stack: Stack, customer_id: str) -> dict[str, Decimal]:
    """The bank's own figures, by account name, read beside the browser (its own loop)."""

    async def read() -> dict[str, Decimal]:
        async with BankClient(stack.bank_url, stack.bank_api_key) as bank:
            accounts = {a.id: a for a in await bank.list_accounts(customer_id)}
            return {
                accounts[b.account_id].name: b.amount for b in await bank.get_balances(customer_id)
            }

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, read()).result()


def conversation_of(page: Page) -> str:
    return page.evaluate(
        "() => Object.values(sessionStorage).map((v) => JSON.parse(v))[0].conversationId"
    )


def push_bot_message(agent: AgentSide, conversation_id: str, text: str, attachment: Any) -> None:
    doc = agent.store(
        conversation_id,
        "bot_message",
        {"text": text, "buttons": [], "attachment": attachment_to_dict(attachment)},
    )
    agent.publish(conversation_id, {"seq": doc["seq"]})


def rich_conversation(page: Page, site: HostSite, agent: AgentSide) -> None:
    """A signed-in customer's conversation with one message of every kind."""
    page.goto(site.url)
    page.get_by_role("button", name="Open chat").click()
    say(page, "how much is in my savings")
    wait_for_bot(page, 1)
    say(page, "show my standing orders")
    wait_for_bot(page, 2)
    conversation = conversation_of(page)
    chart = Image(f"{site.url}/chart.png", "Spending by category in November", 320, 180)
    push_bot_message(agent, conversation, "Your spending in November", chart)
    statement = File(
        f"{site.url}/statement.pdf", "statement-2026-11.pdf", "application/pdf", 48_213
    )
    push_bot_message(agent, conversation, "Your November statement is ready", statement)
    places = Places(
        (
            Place("Teller ATM, Brixton", "12 Brixton Rd", "0.4 miles", f"{site.url}/map?1", True),
            Place(
                "Teller branch, Oval",
                "3 Oval Way",
                "1.1 miles",
                f"{site.url}/map?2",
                False,
                ("Mon-Fri 9-5",),
            ),
        )
    )
    push_bot_message(agent, conversation, "The nearest cash machines:", places)
    wait_for_bot(page, 5)


def test_a_signed_in_customer_is_greeted_with_chips_and_nothing_is_stored_until_they_write(
    browser: Browser, site: HostSite, events: Collection[dict[str, Any]], stack: Stack
) -> None:
    page = widget_page(browser, 1280, 800)
    try:
        stored = events.count_documents({})
        page.goto(site.url)
        page.get_by_role("button", name="Open chat").click()
        greeting = page.locator("li.greeting")
        expect(greeting).to_contain_text("Hello again", timeout=SLOW)
        chips = page.get_by_role("group", name="Suggested replies").get_by_role("button")
        expect(chips).to_have_text(
            ["Check my balance", "Recent transactions", "Freeze a card", "Talk to a person"]
        )
        page.wait_for_timeout(300)
        assert events.count_documents({}) == stored  # a greeting is not a conversation

        # The chips are in the tab order just before the message box.
        page.get_by_label("Your message").press("Shift+Tab")
        expect(chips.last).to_be_focused()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        expect(chips.first).to_be_focused()
        page.keyboard.press("Enter")  # "Check my balance"
        wait_for_bot(page, 1)
        assert messages(page)[0] == "You: Check my balance"
        expect(page.get_by_role("group", name="Suggested replies")).to_have_count(0)

        table = page.get_by_role("table", name="Your balances")
        expect(table).to_be_visible()
        expect(table.get_by_role("columnheader")).to_have_text(["Account", "Balance"])
        assert table.locator("thead th[scope=col]").count() == 2
        heads = table.locator("tbody th[scope=row]")
        rows = {
            heads.nth(i).inner_text(): heads.nth(i).locator("xpath=..").locator("td").inner_text()
            for i in range(heads.count())
        }
        bank = bank_balances(stack, "cust-001")
        current = next(v for k, v in rows.items() if k.startswith("Current account"))
        assert current == f"£{bank['Current account']:,.2f}"
        savings = next(v for k, v in rows.items() if k.startswith("Savings account"))
        assert savings == f"£{bank['Savings account']:,.2f}"
        assert any(v.endswith(" owed") for v in rows.values())  # the credit card
        # The table replaces the text: its rows are not said twice.
        assert page.locator("li.msg.from-bot").last.inner_text().count("£2,450.00") <= 1
        # Reloaded, the conversation comes back with its table and without a second greeting.
        page.reload()
        page.get_by_role("button", name="Open chat").click()
        expect(page.get_by_role("table", name="Your balances")).to_be_visible(timeout=SLOW)
        page.wait_for_timeout(500)
        expect(page.locator("li.greeting")).to_have_count(0)
    finally:
        page.context.close()


def test_a_signed_out_visitor_is_greeted_as_signed_out(browser: Browser, site: HostSite) -> None:
    page = widget_page(browser, 1280, 800)
    try:
        page.goto(site.url + "/anonymous")
        page.get_by_role("button", name="Open chat").click()
        expect(page.locator("li.greeting")).to_contain_text("not signed in", timeout=SLOW)
        chips = page.get_by_role("group", name="Suggested replies").get_by_role("button")
        expect(chips).to_have_count(4)
        expect(chips.first).to_have_text("Lost or stolen card")
        chips.last.click()  # "Talk to a person"
        wait_for_bot(page, 1)
        assert messages(page)[0] == "You: Talk to a person"
    finally:
        page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (360, 640)])
def test_every_kind_renders_and_is_keyboard_and_screen_reader_usable(
    browser: Browser, site: HostSite, agent: AgentSide, shots: Path, width: int, height: int
) -> None:
    page = widget_page(browser, width, height)
    try:
        rich_conversation(page, site, agent)
        log = page.get_by_role("log", name="Messages")
        expect(log).to_have_attribute("aria-live", "polite")

        # card: a group named by its title, the amount emphasised
        card = page.get_by_role("group", name="Savings account ••7730")
        expect(card).to_be_visible()
        expect(card.locator("strong")).to_have_text("£5,200.00")
        size = card.locator("strong").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        body = log.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
        assert size > body

        # table: caption, column headers, a header cell per row
        table = page.get_by_role("table", name="Your standing orders")
        expect(table.get_by_role("columnheader")).to_have_text(["To", "Amount", "Next payment"])
        priya = table.get_by_role("row").filter(has_text="Priya Patel")
        expect(priya.get_by_role("rowheader")).to_have_text("Priya Patel")
        expect(priya.get_by_role("cell").first).to_have_text("£1,350.00")
        assert table.locator("caption").inner_text() == "Your standing orders"

        # image: alt text, width and height, loaded
        image = page.get_by_role("img", name="Spending by category in November")
        expect(image).to_have_attribute("width", "320")
        expect(image).to_have_attribute("height", "180")
        expect(image).to_have_js_property("complete", True, timeout=SLOW)
        assert image.evaluate("el => el.naturalWidth") == 320
        expect(page.locator("li.msg", has=image)).to_contain_text("Your spending in November")

        # file: a download link with its name, type and human size
        link = page.get_by_role("link", name="statement-2026-11.pdf (PDF, 47 KB)")
        expect(link).to_have_attribute("download", "statement-2026-11.pdf")
        expect(link).to_have_attribute("href", f"{site.url}/statement.pdf")

        # places: a list, each with its map link (named for the place, opening a new tab)
        places = page.locator("ul.rich-places").get_by_role("listitem")
        expect(places).to_have_count(2)
        expect(places.first).to_contain_text("12 Brixton Rd · 0.4 miles")
        expect(places.first).to_contain_text("Open now")
        expect(places.last).to_contain_text("Mon-Fri 9-5")
        first_map = page.get_by_role("link", name="Map of Teller ATM, Brixton (opens in a new tab)")
        expect(first_map).to_have_attribute("target", "_blank")
        second_map = page.get_by_role(
            "link", name="Map of Teller branch, Oval (opens in a new tab)"
        )

        # Keyboard: from the log, Tab reaches the table (to scroll it), the file, each map.
        log.focus()
        region = page.get_by_role("region", name="Your standing orders")
        for target in (region, link, first_map, second_map, page.get_by_label("Your message")):
            page.keyboard.press("Tab")
            expect(target).to_be_focused()

        # Nothing is wider than the screen: a wide table scrolls inside its own box.
        assert log.evaluate("el => el.scrollWidth <= el.clientWidth")
        page.screenshot(path=shots / f"rich-{width}x{height}.png", full_page=True)
        log.evaluate("el => { el.scrollTop = 0; }")
        page.screenshot(path=shots / f"rich-{width}x{height}-top.png")
    finally:
        page.context.close()


def test_links_that_are_not_http_are_not_made_clickable(
    browser: Browser, site: HostSite, agent: AgentSide
) -> None:
    page = widget_page(browser, 1280, 800)
    try:
        page.goto(site.url)
        page.get_by_role("button", name="Open chat").click()
        say(page, "hello")
        wait_for_bot(page, 1)
        conversation = conversation_of(page)
        bad = File("javascript:alert(1)", "x.pdf", "application/pdf", 10)
        push_bot_message(agent, conversation, "A file <b>not</b> to open", bad)
        wait_for_bot(page, 2)
        last = page.locator("li.msg").last
        expect(last.locator(".text")).to_have_text("A file <b>not</b> to open")  # as text
        expect(last.get_by_role("link")).to_have_count(0)
    finally:
        page.context.close()
