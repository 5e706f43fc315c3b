"""A local stand-in for the WhatsApp Graph API and the Telegram Bot API.

It runs in a thread on a free loopback port (real uvicorn, real sockets), records every
request Teller makes, answers in the platforms' documented shapes, and refuses what the
real APIs refuse (a wrong token, more than 3 reply buttons, a button title over 20
characters, a list row title over 24, callback data over 64 bytes), so a test that sees
a recorded send knows the platform would have accepted it (images and documents by an
absolute link, captions of at most 1024 characters, Telegram HTML of its few tags only).
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.sandbox import serve


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakePlatforms:
    base_url: str
    whatsapp_token: str
    telegram_token: str
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, predicate: Callable[[Recorded], bool]) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if predicate(r)]

    def wait_for(
        self, predicate: Callable[[Recorded], bool], count: int = 1, timeout: float = 15.0
    ) -> list[Recorded]:
        """The matching requests once there are at least `count`; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.sent(predicate)
            if len(found) >= count or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert len(found) >= count, f"expected {count} matching requests, got {found}"
        return found


def _graph_error(message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "OAuthException", "code": 100}}, status_code=400
    )


def _check_interactive(interactive: dict[str, Any]) -> str | None:
    """What the Graph API would object to in an interactive message, if anything."""
    action = interactive.get("action", {})
    body_text = interactive.get("body", {}).get("text", "")
    if not body_text:
        return "interactive body text is required"
    if interactive.get("type") == "button":
        buttons = action.get("buttons", [])
        if not 1 <= len(buttons) <= 3:
            return "between 1 and 3 buttons are allowed"
        if len(body_text) > 1024:
            return "body text too long"
        for button in buttons:
            reply = button.get("reply", {})
            if button.get("type") != "reply" or not reply.get("id") or len(reply["id"]) > 256:
                return "bad button id"
            if not reply.get("title") or len(reply["title"]) > 20:
                return "button title must be 1-20 characters"
        return None
    if interactive.get("type") == "list":
        rows = [row for section in action.get("sections", []) for row in section.get("rows", [])]
        if not action.get("button") or len(action["button"]) > 20:
            return "list button text must be 1-20 characters"
        if not 1 <= len(rows) <= 10:
            return "between 1 and 10 rows are allowed"
        for row in rows:
            if not row.get("id") or len(row["id"]) > 200:
                return "bad row id"
            if not row.get("title") or len(row["title"]) > 24:
                return "row title must be 1-24 characters"
            if len(row.get("description", "")) > 72:
                return "row description too long"
        return None
    return "unknown interactive type"


def _check_template(template: dict[str, Any]) -> str | None:
    """What the Cloud API checks of a template message before it looks the template up."""
    if not template.get("name") or not template.get("language", {}).get("code"):
        return "template name and language.code are required"
    for component in template.get("components", []):
        for parameter in component.get("parameters", []):
            text = parameter.get("text", "")
            if parameter.get("type") != "text" or not text or len(text) > 1024:
                return "template text parameters must be 1-1024 characters"
            if "\n" in text or "\t" in text or "     " in text:
                return "(#132018) template parameters cannot have new lines, tabs or 4+ spaces"
    return None


def _check_media(kind: str, media: dict[str, Any]) -> str | None:
    """What the Graph API would object to in an image or document sent by link."""
    link = media.get("link", "")
    if not isinstance(link, str) or not re.match(r"https?://[^/\s]+/", link):
        return f"{kind} link must be an absolute http(s) URL"
    if len(media.get("caption", "")) > 1024:
        return "caption too long"
    if kind == "document" and not media.get("filename"):
        return "document filename is required"
    return None


# The tags Telegram's `parse_mode: HTML` accepts (Bot API, "HTML style").
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}


class _TelegramHtml(HTMLParser):
    """Refuses what Telegram refuses: unknown tags, unclosed or crossed tags, bare `<`/`&`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problem = f"Unsupported start tag {tag!r}"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problem = f"Unmatched end tag {tag!r}"

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            self.problem = f"Unsupported entity &{name};"


def telegram_html_problem(text: str) -> str | None:
    if re.search(r"&(?![a-z]+;|#\d+;)", text):
        return "Can't parse entities: bare &"
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open:
        return f"Can't parse entities: unclosed {parser.open[-1]!r}"
    return parser.problem


def create_app(platforms: FakePlatforms) -> FastAPI:
    app = FastAPI()
    ids = itertools.count(1)

    def record(request: Request, body: dict[str, Any]) -> None:
        with platforms.lock:
            platforms.requests.append(Recorded(request.url.path, body, dict(request.headers)))

    @app.post("/{version}/{phone_number_id}/messages")
    async def graph_messages(version: str, phone_number_id: str, request: Request) -> Any:
        if request.headers.get("authorization") != f"Bearer {platforms.whatsapp_token}":
            return JSONResponse(
                {"error": {"message": "Invalid OAuth access token", "code": 190}}, status_code=401
            )
        body = await request.json()
        if body.get("messaging_product") != "whatsapp" or not body.get("to"):
            return _graph_error("messaging_product and to are required")
        if body.get("type") == "text":
            text = body.get("text", {}).get("body", "")
            if not text or len(text) > 4096:
                return _graph_error("text body must be 1-4096 characters")
        elif body.get("type") == "interactive":
            problem = _check_interactive(body.get("interactive", {}))
            if problem:
                return _graph_error(problem)
        elif body.get("type") == "template":
            problem = _check_template(body.get("template", {}))
            if problem:
                return _graph_error(problem)
        elif body.get("type") in ("image", "document"):
            problem = _check_media(body["type"], body.get(body["type"], {}))
            if problem:
                return _graph_error(problem)
        else:
            return _graph_error("unsupported message type")
        record(request, body)
        return {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": f"wamid.FAKE{next(ids):06d}"}],
        }

    @app.post("/bot{token}/{method}")
    async def bot_api(token: str, method: str, request: Request) -> Any:
        if token != platforms.telegram_token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        body = await request.json()
        if method == "sendMessage":
            keyboard = body.get("reply_markup", {}).get("inline_keyboard", [])
            for row in keyboard:
                for button in row:
                    if not 1 <= len(button.get("callback_data", "").encode()) <= 64:
                        return JSONResponse(
                            {"ok": False, "error_code": 400, "description": "BUTTON_DATA_INVALID"},
                            status_code=400,
                        )
            if not body.get("chat_id") or not body.get("text") or len(body["text"]) > 4096:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: text"},
                    status_code=400,
                )
            if body.get("parse_mode") == "HTML" and (
                problem := telegram_html_problem(body["text"])
            ):
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": f"Bad Request: {problem}"},
                    status_code=400,
                )
            record(request, body)
            message_id = next(ids)
            return {
                "ok": True,
                "result": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(body["chat_id"]), "type": "private"},
                    "text": body["text"],
                },
            }
        if method in ("sendPhoto", "sendDocument"):
            field = "photo" if method == "sendPhoto" else "document"
            if not body.get("chat_id") or not re.match(r"https?://", str(body.get(field, ""))):
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": f"Bad Request: {field}"},
                    status_code=400,
                )
            if len(body.get("caption", "")) > 1024:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "caption is too long"},
                    status_code=400,
                )
            record(request, body)
            return {"ok": True, "result": {"message_id": next(ids), "date": int(time.time())}}
        if method == "answerCallbackQuery":
            record(request, body)
            return {"ok": True, "result": True}
        return JSONResponse(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
        )

    return app


@contextmanager
def fake_platforms(whatsapp_token: str, telegram_token: str) -> Iterator[FakePlatforms]:
    platforms = FakePlatforms("", whatsapp_token, telegram_token)
    base_url, stop = serve(create_app(platforms))
    platforms.base_url = base_url
    try:
        yield platforms
    finally:
        stop()
