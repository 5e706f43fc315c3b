"""A location sent on WhatsApp (a `location` message) and on Telegram (`message.location`)
is the branch finder's answer to "where": the fake platforms receive the nearest places with
their map links. A location that is not one is refused in words, and nothing is searched."""

from __future__ import annotations

from tests.channels.conftest import TelegramUser, WhatsAppUser

LEEDS = {"latitude": 53.7973, "longitude": -1.544}


def test_a_whatsapp_location_after_the_question_lists_the_nearest_with_map_links(
    whatsapp: WhatsAppUser,
) -> None:
    whatsapp.say("find a branch near me")
    asked = whatsapp.expect("Where should I look?")
    assert any("Share my location" in str(r.body) for r in asked)
    body = whatsapp.delivery({"type": "location", "location": {**LEEDS, "name": "Home"}})
    whatsapp.mark()
    assert whatsapp.post(body).status_code == 200
    sent = whatsapp.expect("The nearest branches to you:")
    text = "\n".join(whatsapp.text_of(r.body) for r in sent)
    assert "Teller Bank Briggate, 54 Briggate, Leeds LS1 6HD" in text
    assert "Map: https://www.openstreetmap.org/?mlat=53.79830&mlon=-1.54240" in text
    assert "cash machine" not in text


def test_a_whatsapp_location_out_of_the_blue_finds_both_kinds(whatsapp: WhatsAppUser) -> None:
    body = whatsapp.delivery({"type": "location", "location": LEEDS})
    whatsapp.mark()
    assert whatsapp.post(body).status_code == 200
    sent = whatsapp.expect("The nearest cash machines and branches to you:")
    text = "\n".join(whatsapp.text_of(r.body) for r in sent)
    assert "Teller Bank Briggate" in text and "cash machine" in text


def test_a_whatsapp_location_off_the_map_is_refused_clearly(whatsapp: WhatsAppUser) -> None:
    whatsapp.say("nearest atm")
    whatsapp.expect("Where should I look?")
    body = whatsapp.delivery({"type": "location", "location": {"latitude": 200, "longitude": 5}})
    whatsapp.mark()
    assert whatsapp.post(body).status_code == 200
    sent = whatsapp.expect("isn't a point on the map")
    assert not any("The nearest" in whatsapp.text_of(r.body) for r in sent)


def test_a_whatsapp_location_without_numbers_is_media_we_cannot_read(
    whatsapp: WhatsAppUser,
) -> None:
    body = whatsapp.delivery({"type": "location", "location": {"latitude": "north"}})
    whatsapp.mark()
    assert whatsapp.post(body).status_code == 200
    sent = whatsapp.expect("")
    assert not any("The nearest" in whatsapp.text_of(r.body) for r in sent)


def test_a_telegram_location_lists_the_nearest_with_map_links(telegram: TelegramUser) -> None:
    telegram.say("is there a cash machine in Edinburgh")
    telegram.expect("The nearest cash machines to Edinburgh:")
    telegram.say("where's the nearest atm")
    telegram.expect("Where should I look?")
    update = telegram.message(location={"latitude": 55.9521, "longitude": -3.189})
    telegram.mark()
    assert telegram.post(update).status_code == 200
    sent = telegram.expect("The nearest cash machines to you:")
    html = "\n".join(r.body["text"] for r in sent)
    assert "Waverley station cash machine" in html
    assert '<a href="https://www.openstreetmap.org/?mlat=55.95210&amp;mlon=-3.18900' in html


def test_a_telegram_location_off_the_map_is_refused_clearly(telegram: TelegramUser) -> None:
    telegram.say("find a branch")
    telegram.expect("Where should I look?")
    update = telegram.message(location={"latitude": -95.5, "longitude": 10})
    telegram.mark()
    assert telegram.post(update).status_code == 200
    sent = telegram.expect("isn't a point on the map")
    assert not any("The nearest" in r.body["text"] for r in sent)
