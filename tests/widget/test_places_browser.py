"""Sharing a location in the widget: headless Chromium with geolocation granted (and, in
another context, refused), a bank's page on its own origin, a real Teller and its sandbox.
"Share my location" asks the browser, the position goes as a location frame, and the
nearest places come back as a list with a map link each. Refused, the customer is told how
else to say where, and can type a town."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pymongo.collection import Collection

from tests.support.browser import chromium
from tests.support.stack import Stack
from tests.widget.conftest import HostSite, messages, say, wait_for_bot

SLOW = 15_000
LEEDS = {"latitude": 53.7973, "longitude": -1.544}


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
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WIDGET_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def page_at(browser: Browser, site: HostSite, *, granted: bool) -> Page:
    context = browser.new_context(
        viewport={"width": 360, "height": 640},
        is_mobile=True,
        geolocation=LEEDS,
        permissions=["geolocation"] if granted else [],
    )
    page = context.new_page()
    page.goto(site.url + "/anonymous")
    page.get_by_role("button", name="Open chat").click()
    return page


def test_share_my_location_sends_the_browsers_position_and_lists_the_nearest(
    browser: Browser, site: HostSite, events: Collection[dict[str, Any]], shots: Path
) -> None:
    page = page_at(browser, site, granted=True)
    say(page, "find a branch near me")
    wait_for_bot(page, 1)
    page.get_by_role("button", name="Share my location").click()
    wait_for_bot(page, 2)
    shown = messages(page)
    assert shown[-2].endswith("📍 53.79730, -1.54400"), shown
    assert "The nearest branches to you:" in shown[-1]
    places = page.locator(".rich-places li.rich-place")
    expect(places.first).to_contain_text("Teller Bank Briggate", timeout=SLOW)
    expect(places.first).to_contain_text("54 Briggate, Leeds LS1 6HD")
    link = places.first.get_by_role("link", name="Map of Teller Bank Briggate (opens in a new tab)")
    expect(link).to_have_attribute(
        "href",
        "https://www.openstreetmap.org/?mlat=53.79830&mlon=-1.54240#map=18/53.79830/-1.54240",
    )
    expect(link).to_have_attribute("target", "_blank")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360
    page.screenshot(path=str(shots / "places-shared-360.png"))
    stored = list(events.find({"type": "user_message", "data.text": "📍 53.79730, -1.54400"}))
    assert stored and stored[-1]["data"]["intent"] == "find_place"
    page.context.close()


def test_a_refused_permission_says_how_else_and_a_typed_town_still_works(
    browser: Browser, site: HostSite
) -> None:
    page = page_at(browser, site, granted=False)
    say(page, "where's the nearest cash machine")
    wait_for_bot(page, 1)
    page.get_by_role("button", name="Share my location").click()
    wait_for_bot(page, 3)  # how to share, and the question again
    shown = messages(page)
    assert any("type a town or postcode" in line for line in shown[-2:]), shown
    assert not page.locator(".rich-places").count()
    say(page, "York")
    wait_for_bot(page, 4)
    assert "The nearest cash machines to York:" in messages(page)[-1]
    expect(page.locator(".rich-places li.rich-place").first).to_contain_text("York station")
    page.context.close()
