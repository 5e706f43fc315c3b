"""A size limit on every request body, enforced before any route reads it.

Routes read their bodies whole (the webhooks even before checking the signature, which is
computed over the raw body), so a body's size is bounded here, in front of every route:
one that announces more than its limit is answered 413 unread, and a chunked one is
counted as it arrives and answered 413 as soon as it passes the limit, never read whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.errors import error_body


class BodyLimit:
    """ASGI middleware: `limit` bytes for a request body, or the limit of the longest
    path prefix in `by_prefix` that the path starts with."""

    def __init__(self, app: ASGIApp, *, limit: int, by_prefix: Mapping[str, int]) -> None:
        self._app = app
        self._limit = limit
        self._by_prefix = sorted(by_prefix.items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self._by_prefix if path.startswith(prefix)), self._limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        announced = _content_length(scope)
        if announced is not None:  # the server holds the body to its announced length
            if announced > limit:
                await _refuse(scope, receive, send, limit)
            else:
                await self._app(scope, receive, send)
            return
        received = await _read_up_to(receive, limit)
        if received is None:
            await _refuse(scope, receive, send, limit)
            return
        await self._app(scope, _replaying(received, receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_up_to(receive: Receive, limit: int) -> list[Message] | None:
    """The request's messages up to the end of its body; None once it passes `limit`."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client left; the route will see it
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first hands back what was already read."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    body = error_body(HTTPConnection(scope, receive), "body_too_large", max_bytes=limit)
    # The rest of the body is never read: the server closes the connection after this.
    response = JSONResponse(body, status_code=413, headers={"Connection": "close"})
    await response(scope, receive, send)
