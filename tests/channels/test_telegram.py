"""Telegram Bot API webhook: secret token, messages, callback queries, retries."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from tests.channels.conftest import BOT_ID, TELEGRAM_SECRET, TelegramUser, quiet
from tests.support.fake_platforms import FakePlatforms


def test_missing_or_wrong_secret_token_is_refused_and_not_processed(
    telegram: TelegramUser, platforms: FakePlatforms, db: Database[dict[str, Any]]
) -> None:
    update = telegram.message(text="hello")
    assert telegram.post(update, secret=None).status_code == 401
    assert telegram.post(update, secret=TELEGRAM_SECRET + "x").status_code == 401
    assert telegram.post(update, secret="").status_code == 401
    assert quiet(platforms, telegram._mine) == []
    assert (
        db["events"].count_documents({"data.channel_message_id": f"{BOT_ID}:{update['update_id']}"})
        == 0
    )
    assert telegram.post(update).status_code == 200  # the genuine delivery still counts
    telegram.expect("")


def test_text_message_is_answered_with_send_message(
    telegram: TelegramUser, platforms: FakePlatforms
) -> None:
    telegram.say("/start")  # Telegram's first message: a greeting
    sent = telegram.expect("link this chat")
    assert all(r.path == f"/bot{platforms.telegram_token}/sendMessage" for r in sent)
    assert sent[0].body["chat_id"] == str(telegram.chat_id)


def test_repeated_update_is_processed_once(
    telegram: TelegramUser, platforms: FakePlatforms, db: Database[dict[str, Any]]
) -> None:
    update = telegram.say("what can you do?")
    replies = telegram.expect("")
    for _ in range(3):
        assert telegram.post(update).status_code == 200
    assert len(quiet(platforms, telegram._mine)) == len(replies)
    assert (
        db["events"].count_documents({"data.channel_message_id": f"{BOT_ID}:{update['update_id']}"})
        == 1
    )


def test_buttons_are_an_inline_keyboard_and_a_press_is_answered(
    telegram: TelegramUser, platforms: FakePlatforms
) -> None:
    telegram.say("blorp quux zzzz")  # not understood: the bot offers choices
    offered = next(r for r in telegram.expect("") if "reply_markup" in r.body)
    keyboard = offered.body["reply_markup"]["inline_keyboard"]
    assert keyboard and all(len(b["callback_data"].encode()) <= 64 for row in keyboard for b in row)

    title = keyboard[0][0]["text"]
    press = telegram.callback(offered, title)
    telegram.mark()
    assert telegram.post(press).status_code == 200
    telegram.expect("")
    answered = platforms.wait_for(
        lambda r: (
            r.path.endswith("/answerCallbackQuery")
            and r.body["callback_query_id"] == press["callback_query"]["id"]
        )
    )
    assert len(answered) == 1


def test_photos_get_a_polite_reply_and_groups_are_ignored(
    telegram: TelegramUser, platforms: FakePlatforms
) -> None:
    photo = telegram.message(
        photo=[{"file_id": "AgACAgQ", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    )
    telegram.mark()
    assert telegram.post(photo).status_code == 200
    telegram.expect("only read text")

    group = telegram.message(text="hello everyone")
    group["message"]["chat"] = {"id": -1001234567890, "title": "Family", "type": "supergroup"}
    assert telegram.post(group).status_code == 200
    edited = {"update_id": group["update_id"] + 1, "edited_message": photo["message"]}
    assert telegram.post(edited).status_code == 200
    telegram.mark()
    assert quiet(platforms, lambda r: r.body.get("chat_id") == "-1001234567890") == []
    assert telegram.texts() == []
