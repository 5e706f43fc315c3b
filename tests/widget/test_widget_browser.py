"""The widget as a customer uses it: headless Chromium, a bank's page on its own origin, a real
Teller. Screenshots go to `$WIDGET_SHOTS` (default: the test's tmp dir) for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import chromium
from tests.support.stack import Stack
from tests.widget.conftest import AgentSide, HostSite, messages, say, wait_for_bot


@pytest.fixture(scope="module")
def site(stack: Stack, token: str) -> Iterator[HostSite]:
    host = HostSite(stack.teller.base_url, token)
    yield host
    host.server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WIDGET_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def record_typing(page: Page) -> None:
    """Note every time the typing indicator is shown (turns are too quick to catch by polling)."""
    page.evaluate(
        """() => {
          const widget = document.getElementById("teller-widget").shadowRoot;
          const typing = widget.querySelector(".typing");
          window.typingShown = 0;
          new MutationObserver(() => { if (!typing.hidden) window.typingShown += 1; })
            .observe(typing, { attributes: true, attributeFilter: ["hidden"] });
        }"""
    )


def test_a_signed_in_customer_asks_for_a_balance_and_uses_quick_replies(
    page: Page, site: HostSite
) -> None:
    page.goto(site.url)
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(page.get_by_role("dialog", name="Chat with Teller")).to_be_visible()
    expect(page.get_by_label("Your message")).to_be_focused()
    record_typing(page)

    say(page, "what's my balance?")
    wait_for_bot(page, 1)
    assert page.evaluate("window.typingShown") >= 1
    shown = messages(page)
    assert shown[0] == "You: what's my balance?"
    assert re.search(r"Teller: .*£[\d,]+\.\d\d", shown[1], re.S)
    stamp = page.locator("li.msg time").first
    assert re.fullmatch(r"\d{2}:\d{2}( [AP]M)?", stamp.inner_text())
    assert stamp.get_attribute("datetime")

    say(page, "send 25 to Alice Johnson")
    wait_for_bot(page, 2)
    replies = page.get_by_role("group", name="Suggested replies")
    expect(replies).to_have_count(1)
    expect(replies.get_by_role("button")).to_have_text(["Yes, send it", "No"])
    replies.get_by_role("button", name="No", exact=True).click()
    wait_for_bot(page, 3)
    assert messages(page)[-2] == "You: No"
    assert page.get_by_role("group", name="Suggested replies").count() <= 1
    assert "£25.00" not in messages(page)[-1]


def test_the_widget_works_anonymously_without_a_token_hook(page: Page, site: HostSite) -> None:
    page.goto(site.url + "/anonymous")
    page.get_by_role("button", name="Open chat").click()
    say(page, "hello")
    wait_for_bot(page, 1)
    assert messages(page)[0] == "You: hello"


def test_a_token_the_server_refuses_asks_the_customer_to_sign_in_again(
    page: Page, site: HostSite
) -> None:
    page.goto(site.url + "/forged")
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("dialog").get_by_role("status").last).to_have_text(
        "Please sign in again to keep chatting.", timeout=10_000
    )


def test_nothing_is_lost_or_doubled_across_a_server_restart(
    page: Page, site: HostSite, stack: Stack, agent: AgentSide
) -> None:
    page.goto(site.url)
    page.get_by_role("button", name="Open chat").click()
    say(page, "what's my balance?")
    wait_for_bot(page, 1)
    conversation = page.evaluate(
        "() => Object.entries(sessionStorage).map(([k, v]) => JSON.parse(v))[0].conversationId"
    )

    stack.teller.stop()
    expect(page.locator(".connection")).to_contain_text("Reconnecting", timeout=10_000)
    # Offline: the customer types, and an agent on another worker writes (its publish is lost).
    say(page, "show my last 3 transactions")
    pending = page.locator("li.msg.pending")
    expect(pending).to_have_count(1)
    expect(pending.locator(".note")).to_have_text("Waiting for connection…")
    agent.say(conversation, "Hello from Sam at the bank, I can see your account.")

    stack.teller.start()
    wait_for_bot(page, 3)
    expect(page.locator("li.msg.pending")).to_have_count(0)
    expect(page.locator(".connection")).to_be_empty()
    shown = messages(page)
    assert shown[0] == "You: what's my balance?"
    assert shown[1].startswith("Teller: ")
    assert shown[2] == "Agent: Hello from Sam at the bank, I can see your account."
    assert shown[3] == "You: show my last 3 transactions"
    assert shown[4].startswith("Teller: ") and len(shown) == 5
    seqs = [
        int(s) for s in page.locator("li.msg").evaluate_all("els => els.map(e => e.dataset.seq)")
    ]
    assert seqs == sorted(set(seqs))

    # A reload restores the tab's transcript from sessionStorage and resumes without repeats.
    page.reload()
    page.get_by_role("button", name="Open chat").click()
    expect(page.locator("li.msg")).to_have_count(5)
    say(page, "thanks")
    wait_for_bot(page, 4)
    assert messages(page)[:5] == shown and len(messages(page)) == 7


def test_a_connection_that_goes_silent_is_replaced(
    page: Page, site: HostSite, stack: Stack
) -> None:
    """The server stops answering without closing anything (as on a dead mobile network):
    the heartbeat notices, and the widget reconnects once the server is back."""
    page.goto(site.url + "/heartbeat")
    page.get_by_role("button", name="Open chat").click()
    say(page, "what's my balance?")
    wait_for_bot(page, 1)
    assert stack.teller.process is not None
    pid = stack.teller.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        expect(page.locator(".connection")).to_contain_text("Reconnecting", timeout=10_000)
        say(page, "thanks")
        expect(page.locator("li.msg.pending")).to_have_count(1)
    finally:
        os.kill(pid, signal.SIGCONT)
    wait_for_bot(page, 2)
    assert [m.split(":")[0] for m in messages(page)] == ["You", "Teller", "You", "Teller"]


def test_keyboard_only_use(page: Page, site: HostSite) -> None:
    page.goto(site.url)
    page.keyboard.press("Tab")  # the host page's own link first
    page.keyboard.press("Tab")
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_be_focused()
    outline = launcher.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid", "keyboard focus must be visible"
    page.keyboard.press("Enter")
    box = page.get_by_label("Your message")
    expect(box).to_be_focused()
    page.keyboard.type("send 10 to Bob Martin")
    page.keyboard.press("Enter")
    wait_for_bot(page, 1)
    # Back from the text box: the last suggested reply, then the one before it.
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="No", exact=True)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    yes = page.get_by_role("button", name="Yes")
    expect(yes).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(yes).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # "No": cancel the transfer
    wait_for_bot(page, 2)
    assert messages(page)[-2] == "You: No"
    expect(box).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()


def test_a_phone_sized_screen(browser: Browser, site: HostSite, shots: Path) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(site.url)
        page.screenshot(path=shots / "phone-closed.png")
        page.get_by_role("button", name="Open chat").click()
        say(page, "send money to Alice Johnson")
        wait_for_bot(page, 1)
        say(page, "20")
        wait_for_bot(page, 2)
        page.screenshot(path=shots / "phone-open.png")
        panel = page.get_by_role("dialog").bounding_box()
        assert panel == {"x": 0, "y": 0, "width": 360, "height": 640}
        for control in (
            page.get_by_label("Your message"),
            page.get_by_role("button", name="Send", exact=True),
        ):
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
            assert box["y"] + box["height"] <= 640 and box["height"] >= 44  # touch-sized
        log = page.get_by_role("log")
        assert log.evaluate("el => el.scrollWidth <= el.clientWidth")
        expect(page.get_by_role("button", name="Yes")).to_be_in_viewport()
        page.get_by_role("button", name="Close chat").click()
        expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    finally:
        context.close()


def test_the_widget_script_and_styles_are_served(stack: Stack) -> None:
    script = httpx.get(f"{stack.teller.base_url}/widget/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    styles = httpx.get(f"{stack.teller.base_url}/widget/widget.css")
    assert styles.status_code == 200 and "text/css" in styles.headers["content-type"]
    assert httpx.get(f"{stack.teller.base_url}/widget/../server.py").status_code == 404


def test_an_agent_message_pushed_while_closed_shows_an_unread_badge(
    page: Page, site: HostSite, agent: AgentSide
) -> None:
    page.goto(site.url)
    page.get_by_role("button", name="Open chat").click()
    say(page, "what's my balance?")
    wait_for_bot(page, 1)
    page.keyboard.press("Escape")
    conversation = page.evaluate(
        "() => Object.entries(sessionStorage).map(([k, v]) => JSON.parse(v))[0].conversationId"
    )
    agent.say(conversation, "Hi, Sam here. Anything else I can help with?")
    launcher = page.get_by_role("button", name="Open chat, 1 new message")
    expect(launcher).to_be_visible()
    launcher.click()
    assert messages(page)[-1] == "Agent: Hi, Sam here. Anything else I can help with?"
    expect(page.get_by_role("button", name="Hide chat")).to_be_visible()


def test_the_demo_page_signs_the_picked_customer_into_the_widget(
    page: Page, stack: Stack, shots: Path
) -> None:
    page.goto(stack.teller.base_url + "/")
    expect(page.get_by_role("dialog", name="Chat with Teller")).to_be_visible()  # data-open
    page.get_by_label("Signed in as").select_option("cust-002")
    say(page, "send 5 to Margaret Wilson")
    wait_for_bot(page, 1)
    assert "£5.00 to Margaret Wilson" in messages(page)[-1]
    page.get_by_role("button", name="Yes, send it").click()
    wait_for_bot(page, 2)
    # The page refreshes its dev outbox on the widget's `teller:message` event.
    sms = page.locator("#outbox li").first
    expect(sms).to_contain_text(re.compile(r"\b\d{6}\b"))
    code = re.search(r"\b(\d{6})\b", sms.inner_text())
    assert code is not None
    say(page, code.group(1))
    wait_for_bot(page, 3)
    assert "Margaret Wilson" in messages(page)[-1] and "£5.00" in messages(page)[-1]
    assert code.group(1) not in messages(page)[-2], "the code is shown masked once taken"
    stored = page.evaluate("() => Object.values(sessionStorage).join()")
    assert code.group(1) not in stored, "a one-time code must not be kept in the tab's storage"
    page.screenshot(path=shots / "demo.png")


def test_a_message_the_server_could_not_take_is_sent_again_once(
    page: Page, site: HostSite, events: Any, stack: Stack
) -> None:
    received: list[dict[str, Any]] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: received.append(json.loads(payload))),
    )
    page.goto(site.url)
    page.get_by_role("button", name="Open chat").click()
    say(page, "what's my balance?")
    wait_for_bot(page, 1)
    conversation = page.evaluate(
        "() => Object.entries(sessionStorage).map(([k, v]) => JSON.parse(v))[0].conversationId"
    )
    # Another worker holds the conversation past the turn lock's timeout (10 s in the test
    # config), then its lease runs out: the first attempt is refused, the resend goes in.
    lock_key = f"{stack.teller.env['REDIS_PREFIX']}lock:{conversation}"
    redis.Redis(host="127.0.0.1", port=6379).set(lock_key, "x", px=12_000)
    say(page, "show my last 3 transactions")
    expect(page.locator(".typing")).to_be_visible()
    wait_for_bot(page, 2)
    shown = messages(page)
    assert shown.count("You: show my last 3 transactions") == 1 and len(shown) == 4
    stored = events.count_documents(
        {
            "conversation_id": conversation,
            "type": "user_message",
            "data.text": "show my last 3 transactions",
        }
    )
    assert stored == 1
    refused = [f for f in received if f["type"] == "error"]
    assert [(f["error"]["code"], f.get("retry")) for f in refused] == [("unavailable", True)]
