"""`GET /files/{token}`: the bytes of a statement or chart, to the customer it was made for.

The token is `{id}.{expires}.{signature}` (`bot/files.py`). The route answers only when the
signature is the one for the customer the file was kept for, and only until `expires`:

- 403 `file_link_invalid`: not a link of ours, a signature that does not match (a changed
  id, expiry or signature, or a link made for someone else), or a file we never kept;
- 410 `file_link_expired`: a genuine link whose time is up (or whose file has gone);
- 403 `file_not_yours`: the request carries a customer token, and it is another customer's;
- 401: that token is not valid; 404 everywhere while files are off (no TELLER_FILES_SECRET).

A browser following the link carries no token: the signature is what binds it to the
customer. Nothing is served from a refused request, and the answer is never cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import Response
from starlette.requests import HTTPConnection

from bot.auth.identity import Identity
from bot.events import Event
from bot.files import FileLinks
from bot.handlers import declared
from bot.ports import FileStore
from connectors.chat import identify
from connectors.deps import Provided, Tokens, Unwired, switched_on
from connectors.errors import ApiError
from connectors.frames import customer_frame

SAYS = declared(
    {
        "error_file_link_invalid": [],
        "error_file_link_expired": [],
        "error_file_not_yours": [],
    }
)


@dataclass(frozen=True, slots=True)
class Downloads:
    links: FileLinks
    store: FileStore


DOWNLOADS: Provided[Downloads | None] = Provided("file_downloads")


def customer_frames(
    connection: HTTPConnection, identity: Identity
) -> Callable[[Event], dict[str, Any] | None]:
    """How a widget socket turns stored events into its customer's frames: a file or picture
    in one gets that customer's working link (a replay after the link expired gets the
    expired link, which says so)."""
    try:
        downloads = DOWNLOADS.of(connection)
    except Unwired:
        downloads = None
    if downloads is None or identity.customer_id is None:
        return customer_frame
    links, customer_id = downloads.links, identity.customer_id
    return lambda event: links.sign_frame(customer_frame(event), customer_id)


router = APIRouter()
_SAFE_NAME = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\')


@router.get("/files/{token}", include_in_schema=False)
async def download(
    token: Annotated[str, Path(max_length=200)],
    downloads: Annotated[Downloads, Depends(switched_on(DOWNLOADS))],
    tokens: Tokens,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    link = downloads.links.parse(token)
    if link is None:
        raise ApiError(403, "file_link_invalid")
    kept = await downloads.store.get(link.file_id)
    if kept is None:
        if link.expires_at <= time.time():
            raise ApiError(410, "file_link_expired")
        raise ApiError(403, "file_link_invalid")
    if not downloads.links.genuine(link, kept.customer_id):
        raise ApiError(403, "file_link_invalid")
    if link.expires_at <= time.time() or kept.expires_at <= time.time():
        raise ApiError(410, "file_link_expired")
    if authorization:
        caller = identify(tokens, authorization).customer_id
        if caller != kept.customer_id:
            raise ApiError(403, "file_not_yours")
    inline = kept.media_type.startswith("image/")
    ascii_name = "".join(c if c in _SAFE_NAME else "_" for c in kept.name)
    disposition = (
        f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; '
        f"filename*=UTF-8''{quote(kept.name)}"
    )
    return Response(
        kept.content,
        media_type=kept.media_type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Referrer-Policy": "no-referrer",
        },
    )
