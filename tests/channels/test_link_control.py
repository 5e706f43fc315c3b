"""Issue 10, finding 4 (control): links could not be revoked by the customer.

Whoever redeemed a customer's code (or guessed one) spoke for them from that chat until
they themselves sent "unlink", silently and for ever. Now the customer is told on their
other linked chats when a new one is linked, a link lapses after `linking.link_lifetime_days`
(90), and the signed-in customer lists and revokes their linked chats:
`GET /api/v1/links`, `DELETE /api/v1/links/{id}`, and in the chat ("show my linked chats":
the last test here, and tests/conversations/linked_chats.yml).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from pymongo.database import Database

from tests.channels.conftest import TelegramUser, WhatsAppUser, link_code
from tests.e2e.conftest import Customer, text_of

DAY = 24 * 3600


def bearer(http: httpx.Client, customer_id: str) -> dict[str, str]:
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def linked(http: httpx.Client, customer_id: str) -> list[dict[str, Any]]:
    response = http.get("/api/v1/links", headers=bearer(http, customer_id))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["links"]


def find(links: list[dict[str, Any]], channel: str, user_id: str) -> dict[str, Any]:
    [found] = [x for x in links if x["channel"] == channel and x["ending"] == user_id[-4:]]
    return found


def test_a_new_link_is_told_on_the_customers_other_chats(
    whatsapp: WhatsAppUser, telegram: TelegramUser, http: httpx.Client, db: Database[Any]
) -> None:
    whatsapp.say(f"link {link_code(http, 'cust-003')}")
    whatsapp.expect("now linked")
    whatsapp.mark()
    telegram.say(f"link {link_code(http, 'cust-003')}")
    telegram.expect("now linked")
    [notice] = whatsapp.expect("telegram")
    text = whatsapp.text_of(notice.body)
    assert str(telegram.chat_id)[-4:] in text and str(telegram.chat_id) not in text
    assert "linked chats" in text.lower()  # how to undo it
    assert not any("linked to a new" in t for t in telegram.texts(0))
    audit = db["link_events"].find_one(
        {"type": "link_notice_sent", "data.channel_user_id": whatsapp.phone}
    )
    assert audit is not None
    assert audit["data"]["customer_id"] == "cust-003"
    assert audit["data"]["new_channel"] == "telegram"


def test_the_customer_lists_and_revokes_linked_chats(
    whatsapp: WhatsAppUser, telegram: TelegramUser, http: httpx.Client, db: Database[Any]
) -> None:
    whatsapp.say(f"link {link_code(http, 'cust-001')}")
    whatsapp.expect("now linked")
    telegram.say(f"link {link_code(http, 'cust-001')}")
    telegram.expect("now linked")

    links = linked(http, "cust-001")
    mine = find(links, "whatsapp", whatsapp.phone)
    find(links, "telegram", str(telegram.chat_id))
    assert whatsapp.phone not in str(links)  # the chat is named by its last four digits
    assert abs(mine["expires_at"] - mine["linked_at"] - 90 * DAY) < 1
    assert all(x["id"] not in str(linked(http, "cust-002")) for x in links)

    url = f"/api/v1/links/{mine['id']}"
    assert http.delete(url).status_code == 401
    foreign = http.delete(url, headers=bearer(http, "cust-002"))  # another customer's link
    assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "link_not_found"
    assert http.delete(url, headers=bearer(http, "cust-001")).status_code == 204
    assert http.delete(url, headers=bearer(http, "cust-001")).status_code == 404

    whatsapp.say("what's my balance?")
    whatsapp.expect("sign in")  # anonymous again
    links = linked(http, "cust-001")
    assert all(x["id"] != mine["id"] for x in links)
    find(links, "telegram", str(telegram.chat_id))  # the other chat stays linked
    revoked = db["link_events"].find_one(
        {"type": "account_unlinked", "data.channel_user_id": whatsapp.phone}
    )
    assert revoked["data"]["customer_id"] == "cust-001" and revoked["data"]["via"] == "revoked"


def test_listing_and_revoking_need_the_customer_signed_in(http: httpx.Client) -> None:
    assert http.get("/api/v1/links").status_code == 401
    bad = http.get("/api/v1/links", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_token"


def test_a_link_lapses_after_its_lifetime(
    whatsapp: WhatsAppUser, http: httpx.Client, db: Database[Any]
) -> None:
    whatsapp.say(f"link {link_code(http, 'cust-002')}")
    whatsapp.expect("now linked")
    # As the database would hold a link made 91 days ago.
    db["channel_links"].update_one(
        {"channel": "whatsapp", "channel_user_id": whatsapp.phone},
        {"$set": {"linked_at": time.time() - 91 * DAY}},
    )
    whatsapp.say("what's my balance?")
    whatsapp.expect("sign in")
    assert db["channel_links"].find_one({"channel_user_id": whatsapp.phone}) is None
    expired = db["link_events"].find_one(
        {"type": "link_expired", "data.channel_user_id": whatsapp.phone}
    )
    assert expired is not None and expired["data"]["customer_id"] == "cust-002"
    assert all(x["ending"] != whatsapp.phone[-4:] for x in linked(http, "cust-002"))
    # The chat can be linked again.
    whatsapp.say(f"link {link_code(http, 'cust-002')}")
    whatsapp.expect("now linked")


def test_the_customer_unlinks_a_chat_from_the_web_chat(
    whatsapp: WhatsAppUser, http: httpx.Client, db: Database[Any]
) -> None:
    """The chat side: "show my linked chats" in the widget's channel, an unlink button."""
    whatsapp.say(f"link {link_code(http, 'cust-002')}")
    whatsapp.expect("now linked")
    token = bearer(http, "cust-002")["Authorization"].split()[1]
    web = Customer(http, "cust-002", token)
    listed = web.say("show my linked chats")
    ending = whatsapp.phone[-4:]
    assert f"WhatsApp ending {ending}" in text_of(listed)
    assert whatsapp.phone not in str(listed)
    asked = web.press(listed, f"Unlink WhatsApp ••{ending}")
    assert f"Unlink WhatsApp ending {ending}?" in text_of(asked)
    done = web.press(asked, "Yes")
    assert "no longer linked" in text_of(done)
    whatsapp.say("what's my balance?")
    whatsapp.expect("sign in")
    revoked = db["link_events"].find_one(
        {"type": "account_unlinked", "data.channel_user_id": whatsapp.phone}
    )
    assert revoked["data"]["via"] == "revoked"
