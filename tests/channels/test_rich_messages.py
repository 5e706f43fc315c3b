"""Rich messages on WhatsApp and Telegram: each kind in the platform's closest native form,
sent to the fake platforms (which refuse what the real APIs refuse), and the answers a
linked customer gets through the webhooks carrying the bank's own figures."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from actions.bank_client import BankClient
from bot.config import PROJECT_ROOT
from bot.dialogue.domain import load_domain
from bot.messages import BotMessage, Button, File, Image, Place, Places, SummaryCard, Table
from bot.ports import ChatStore
from bot.store.mongo import connect_mongo
from bot.store.mongo.records import MongoChatStore
from connectors.attachments import absolute, fallback_text, human_size, table_lines
from connectors.messaging import ButtonIds
from connectors.telegram import TelegramSender, TelegramSettings
from connectors.whatsapp import Controls, Deliveries, WhatsAppSender, WhatsAppSettings
from tests.channels.conftest import (
    PHONE_NUMBER_ID,
    TELEGRAM_TOKEN,
    WHATSAPP_TOKEN,
    TelegramUser,
    WhatsAppUser,
    link_code,
)
from tests.support.fake_platforms import FakePlatforms, telegram_html_problem
from tests.support.mongo import unique_db_name
from tests.support.stack import Stack

DOMAIN = load_domain(PROJECT_ROOT / "bot" / "domain")
PUBLIC = "https://teller.example.com"

CARD = SummaryCard("Current account ••4821", ("Balance",), "£2,450.00")
TABLE = Table(
    "Transactions on your Current account ••4821, newest first",
    ("Date", "Description", "Amount"),
    (("2 Dec 2026", "Tesco", "-£14.46"), ("1 Dec 2026", "M&S <Food>", "-£7.07")),
)
WIDE = Table(
    "Transactions on all your accounts, newest first",
    ("Date", "Description", "Amount", "Account"),
    (
        ("2 Dec 2026", "SO PRIYA PATEL RENT", "-£1,350.00", "Current account ••4821"),
        ("1 Dec 2026", "Tesco", "-£7.07", "Current account ••4821"),
    ),
)
CHART = Image("/media/charts/abc.png", "Spending by category in November: groceries £440", 640, 360)
STATEMENT = File("/media/statements/xyz.pdf", "statement-2026-11.pdf", "application/pdf", 48_213)
PLACES = Places(
    (
        Place(
            "Teller ATM, Brixton",
            "12 Brixton Rd, London",
            "0.4 miles",
            "https://maps.example/?q=1",
            True,
        ),
        Place(
            "Teller branch, Oval",
            "3 Oval Way, London",
            "1.1 miles",
            "https://maps.example/?q=2",
            False,
            ("Mon-Fri 9-5",),
        ),
    )
)


@pytest.fixture
async def chats(stack: Stack) -> AsyncIterator[ChatStore]:
    client = connect_mongo(stack.mongo_uri)
    yield MongoChatStore(client[unique_db_name("rich")])
    await client.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def whatsapp_sender(
    platforms: FakePlatforms, chats: ChatStore, http: httpx.AsyncClient, public: str = PUBLIC
) -> WhatsAppSender:
    settings = WhatsAppSettings(
        "s", "v", WHATSAPP_TOKEN, PHONE_NUMBER_ID, platforms.base_url, public_url=public
    )
    return WhatsAppSender(
        settings=settings,
        http=http,
        buttons=ButtonIds(chats),
        deliveries=Deliveries(chats),
        controls=Controls.from_domain(DOMAIN),
    )


def telegram_sender(
    platforms: FakePlatforms, chats: ChatStore, http: httpx.AsyncClient, public: str = PUBLIC
) -> TelegramSender:
    return TelegramSender(
        settings=TelegramSettings(TELEGRAM_TOKEN, "secret", platforms.base_url, public),
        http=http,
        buttons=ButtonIds(chats),
        domain=DOMAIN,
    )


def to_whatsapp(platforms: FakePlatforms, to: str) -> list[dict[str, Any]]:
    return [r.body for r in platforms.sent(lambda r: r.body.get("to") == to)]


def to_telegram(platforms: FakePlatforms, chat: str) -> list[tuple[str, dict[str, Any]]]:
    sent = platforms.sent(lambda r: str(r.body.get("chat_id")) == chat)
    return [(r.path.rsplit("/", 1)[-1], r.body) for r in sent]


async def test_whatsapp_sends_an_image_and_a_document_by_link_with_the_text_as_caption(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    sender = whatsapp_sender(platforms, chats, client)
    to = "447700900101"
    await sender.send_to(to, [BotMessage("Your November spending", attachment=CHART)])
    await sender.send_to(to, [BotMessage("Your November statement", attachment=STATEMENT)])
    image, document = to_whatsapp(platforms, to)
    assert image["type"] == "image"
    assert image["image"] == {
        "link": f"{PUBLIC}/media/charts/abc.png",
        "caption": "Your November spending",
    }
    assert document["type"] == "document"
    assert document["document"] == {
        "link": f"{PUBLIC}/media/statements/xyz.pdf",
        "filename": "statement-2026-11.pdf",
        "caption": "Your November statement",
    }


async def test_whatsapp_media_with_buttons_goes_first_then_the_question_with_its_buttons(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    sender = whatsapp_sender(platforms, chats, client)
    to = "447700900102"
    buttons = (Button("Yes", "/affirm"), Button("No", "/deny"))
    await sender.send_to(to, [BotMessage("Email it to you too?", buttons, STATEMENT)])
    document, question = to_whatsapp(platforms, to)
    assert document["type"] == "document" and "caption" not in document["document"]
    assert question["type"] == "interactive"
    assert question["interactive"]["body"]["text"] == "Email it to you too?"
    titles = [b["reply"]["title"] for b in question["interactive"]["action"]["buttons"]]
    assert titles == ["Yes", "No"]


async def test_whatsapp_formats_cards_and_tables_and_lists_places_with_map_links(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    sender = whatsapp_sender(platforms, chats, client)
    to = "447700900103"
    narrow = Table(
        "Your balances", ("Account", "Balance"), (("Savings", "£5,200.00"), ("ISA", "£80.00"))
    )
    for message in (
        BotMessage("Here are your balances:\nCurrent account ••4821: £2,450.00", attachment=CARD),
        BotMessage("Here's what I found...", attachment=narrow),
        BotMessage("Here's what I found...", attachment=WIDE),
        BotMessage("The nearest cash machines:", attachment=PLACES),
    ):
        await sender.send_to(to, [message])
    card, monospace, wide, places = (b["text"]["body"] for b in to_whatsapp(platforms, to))
    assert card == "*Current account ••4821*\n*£2,450.00*\nBalance"
    # A narrow table keeps its columns, aligned in monospace; a wide one is a line a row.
    assert monospace == (
        "*Your balances*\n```\nAccount    Balance\nSavings  £5,200.00\nISA         £80.00\n```"
    )
    assert wide.splitlines() == [
        f"*{WIDE.caption}*",
        "2 Dec 2026 · SO PRIYA PATEL RENT · -£1,350.00 · Current account ••4821",
        "1 Dec 2026 · Tesco · -£7.07 · Current account ••4821",
    ]
    assert places.startswith("The nearest cash machines:\n\n")
    assert (
        "Teller ATM, Brixton, 12 Brixton Rd, London (0.4 miles)\nOpen now\nMap: https://maps.example/?q=1"
        in places
    )
    assert "Closed now\nMon-Fri 9-5\nMap: https://maps.example/?q=2" in places


async def test_without_a_public_address_media_falls_back_to_text_never_a_broken_link(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    wa = whatsapp_sender(platforms, chats, client, public="")
    tg = telegram_sender(platforms, chats, client, public="")
    await wa.send_to("447700900104", [BotMessage("Your November statement", attachment=STATEMENT)])
    await tg.send_to("5000000104", [BotMessage("", attachment=CHART)])
    [text] = to_whatsapp(platforms, "447700900104")
    assert text["type"] == "text" and text["text"]["body"] == "Your November statement"
    [(method, body)] = to_telegram(platforms, "5000000104")
    assert method == "sendMessage" and body["text"] == CHART.alt  # the alt text says it


async def test_telegram_sends_photos_and_documents_by_link_and_long_text_first(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    sender = telegram_sender(platforms, chats, client)
    chat = "5000000201"
    buttons = (Button("Spending by week", "/spending_summary"),)
    await sender.send_to(chat, [BotMessage("Your November spending", buttons, CHART)])
    await sender.send_to(chat, [BotMessage("Your statement", attachment=STATEMENT)])
    await sender.send_to(chat, [BotMessage("x" * 1500, attachment=CHART)])
    sent = to_telegram(platforms, chat)
    assert [method for method, _ in sent] == [
        "sendPhoto",
        "sendDocument",
        "sendMessage",
        "sendPhoto",
    ]
    photo = sent[0][1]
    assert photo["photo"] == f"{PUBLIC}/media/charts/abc.png"
    assert photo["caption"] == "Your November spending"
    assert photo["reply_markup"]["inline_keyboard"][0][0]["text"] == "Spending by week"
    assert sent[1][1]["document"] == f"{PUBLIC}/media/statements/xyz.pdf"
    assert sent[1][1]["caption"] == "Your statement"
    assert sent[2][1]["text"] == "x" * 1500  # too long for a caption: the text goes first
    assert sent[3][1]["caption"] == CHART.alt


async def test_telegram_shows_tables_in_pre_and_cards_and_places_as_html(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    sender = telegram_sender(platforms, chats, client)
    chat = "5000000202"
    for message in (
        BotMessage("Here's what I found...", attachment=TABLE),
        BotMessage("Here are your balances...", attachment=CARD),
        BotMessage("The nearest cash machines:", attachment=PLACES),
    ):
        await sender.send_to(chat, [message])
    table, card, places = (body for _, body in to_telegram(platforms, chat))
    for body in (table, card, places):
        assert body["parse_mode"] == "HTML" and telegram_html_problem(body["text"]) is None
    assert table["text"] == (
        f"<b>{TABLE.caption}</b>\n<pre>"
        "Date        Description   Amount\n"
        "2 Dec 2026  Tesco        -£14.46\n"
        "1 Dec 2026  M&amp;S &lt;Food&gt;    -£7.07</pre>"
    )
    assert card["text"] == "<b>Current account ••4821</b>\n<b>£2,450.00</b>\nBalance"
    assert '<a href="https://maps.example/?q=1">Map of Teller ATM, Brixton</a>' in places["text"]
    assert (
        "<b>Teller branch, Oval, 3 Oval Way, London (1.1 miles)</b>\nClosed now" in places["text"]
    )


async def test_a_table_too_long_for_one_telegram_message_goes_as_plain_text(
    platforms: FakePlatforms, chats: ChatStore, client: httpx.AsyncClient
) -> None:
    sender = telegram_sender(platforms, chats, client)
    chat = "5000000203"
    rows = tuple((f"{d} Nov 2026", "A shop with a long name " * 2, "-£1.00") for d in range(1, 70))
    big = Table("Transactions", ("Date", "Description", "Amount"), rows)
    text = "\n".join(" · ".join(r) for r in rows)
    await sender.send_to(chat, [BotMessage(text, attachment=big)])
    sent = [body for _, body in to_telegram(platforms, chat)]
    assert all("parse_mode" not in body for body in sent)
    assert "".join(body["text"] for body in sent) == text


def test_text_forms_of_each_kind() -> None:
    assert absolute("/media/a.png", PUBLIC) == f"{PUBLIC}/media/a.png"
    assert absolute("https://cdn.example/a.png", "") == "https://cdn.example/a.png"
    assert absolute("/media/a.png", "") is None
    assert absolute("javascript:alert(1)", PUBLIC) is None
    assert [human_size(n) for n in (512, 1536, 48_213, 5 * 1024 * 1024)] == [
        "512 B", "1.5 KB", "47 KB", "5.0 MB"
    ]  # fmt: skip
    assert table_lines(TABLE) == [
        "Date        Description   Amount",
        "2 Dec 2026  Tesco        -£14.46",
        "1 Dec 2026  M&S <Food>    -£7.07",
    ]
    said = fallback_text(BotMessage("Your statement", attachment=STATEMENT), DOMAIN.text, PUBLIC)
    assert (
        said
        == f"Your statement\n\nstatement-2026-11.pdf (47 KB): {PUBLIC}/media/statements/xyz.pdf"
    )
    bare_card = fallback_text(BotMessage("", attachment=CARD), DOMAIN.text, PUBLIC)
    assert bare_card == "Current account ••4821\n£2,450.00\nBalance"
    bare_table = fallback_text(BotMessage("", attachment=TABLE), DOMAIN.text, PUBLIC)
    assert bare_table.splitlines()[0] == TABLE.caption and "Tesco" in bare_table


async def balances(stack: Stack, customer_id: str) -> dict[str, Decimal]:
    async with BankClient(stack.bank_url, stack.bank_api_key) as bank:
        accounts = {a.id: a for a in await bank.list_accounts(customer_id)}
        found = await bank.get_balances(customer_id)
    return {accounts[b.account_id].kind: b.amount for b in found}


async def test_a_linked_telegram_customer_gets_balances_as_a_table_of_the_banks_figures(
    telegram: TelegramUser, http: httpx.Client, stack: Stack
) -> None:
    telegram.say(f"link {link_code(http, 'cust-002')}")
    telegram.expect("now linked")
    telegram.say("what's my balance?")
    [answer] = [r.body for r in telegram.expect("Your balances")]
    assert answer["parse_mode"] == "HTML"
    table = re.fullmatch(r"<b>Your balances</b>\n<pre>(.*)</pre>", answer["text"], re.S)
    assert table, answer["text"]
    lines = html.unescape(table.group(1)).splitlines()
    assert lines[0].split() == ["Account", "Balance"]
    current = (await balances(stack, "cust-002"))["current"]
    assert any(line.endswith(f"£{current:,.2f}") and "Current account" in line for line in lines)


async def test_a_linked_whatsapp_customer_gets_one_accounts_balance_as_a_card(
    whatsapp: WhatsAppUser, http: httpx.Client, stack: Stack
) -> None:
    whatsapp.say(f"link {link_code(http, 'cust-003')}")
    whatsapp.expect("now linked")
    whatsapp.say("how much is in my current account")
    current = (await balances(stack, "cust-003"))["current"]
    [answer] = [r.body for r in whatsapp.expect(f"£{current:,.2f}")]
    assert answer["type"] == "text"
    assert answer["text"]["body"] == f"*Current account ••6604*\n*£{current:,.2f}*\nBalance"
