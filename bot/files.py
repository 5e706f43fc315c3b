"""Files Teller makes for a customer (statements, charts), kept briefly, served by signed links.

An action keeps the bytes it made with `FileShelf` (the `Files` of `bot/handlers.py`) and
gets back the attachment for its reply: a `File` or an `Image` whose `url` is only
`/files/{id}.{expires}`, where `id` is random and says nothing. That is what the
conversation's event log stores, with the file's name, size and expiry: never a link anyone
could use.

The working link is made as a message leaves Teller for the customer it belongs to
(`FileLinks.sign`, which `bot/turn.py` applies to every turn's reply; a channel that renders
stored events, such as a replay, calls it too): `/files/{id}.{expires}.{signature}`, the
signature an HMAC-SHA256 under `TELLER_FILES_SECRET` over the id, the customer and the
expiry. The download route (`connectors/files.py`) recomputes it for the customer the file
was kept for, so a link is bound to that customer, cannot be stretched, and stops working at
`expires`; the file itself is gone from the store soon after (`GRACE_SECONDS`), so an
expired link is told apart from a forged one before anything is served.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.auth.secrets import MIN_KEY_CHARS, _dev_secrets
from bot.config import ConfigError, FileSettings
from bot.messages import Attachment, BotMessage, File, Image
from bot.ports import FileStore, KeptFile

FILES_SECRET = "TELLER_FILES_SECRET"
STORED_PREFIX = "/files/"
GRACE_SECONDS = 300  # the file outlives its link this long, so a late click hears "expired"
_ID = r"(?P<id>[A-Za-z0-9_-]{16,64})\.(?P<exp>\d{1,12})"
_TOKEN = re.compile(_ID + r"\.(?P<sig>[A-Za-z0-9_-]{43})")
_STORED = re.compile(re.escape(STORED_PREFIX) + _ID)


class FileTooLarge(ValueError):
    """A file over `files.max_bytes`: nothing is kept."""


def load_files_secret(dev_mode: bool, dev_dir: Path) -> bytes | None:
    """The link key; None outside dev mode when unset, which turns statements and charts off
    (the actions say so). Dev mode generates one into `dev_dir`."""
    secret = os.environ.get(FILES_SECRET) or None
    if secret is None and dev_mode:
        secret = _dev_secrets(dev_dir, [FILES_SECRET])[FILES_SECRET]
    if secret is None:
        return None
    if len(secret) < MIN_KEY_CHARS:
        raise ConfigError(f"{FILES_SECRET} must be at least {MIN_KEY_CHARS} characters")
    return secret.encode()


class FileShelf:
    """What actions keep the files they made with: the bytes in the `FileStore` until the
    link expires, and the attachment for the reply, its url the stored `/files/{id}.{expires}`
    (no signature: nothing anyone could download with)."""

    def __init__(
        self, store: FileStore, settings: FileSettings, clock: Callable[[], float] = time.time
    ) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock

    async def _keep(
        self, customer_id: str, name: str, media_type: str, content: bytes
    ) -> tuple[str, int]:
        if len(content) > self._settings.max_bytes:
            raise FileTooLarge(f"{len(content)} bytes is over files.max_bytes")
        file_id = secrets.token_urlsafe(18)
        expires_at = int(self._clock()) + self._settings.link_ttl_seconds
        kept = KeptFile(customer_id, name, media_type, content, float(expires_at))
        await self._store.put(file_id, kept, self._settings.link_ttl_seconds + GRACE_SECONDS)
        return f"{STORED_PREFIX}{file_id}.{expires_at}", expires_at

    async def keep_file(self, customer_id: str, name: str, media_type: str, content: bytes) -> File:
        url, expires_at = await self._keep(customer_id, name, media_type, content)
        return File(url, name, media_type, len(content), float(expires_at))

    async def keep_image(
        self, customer_id: str, name: str, content: bytes, *, alt: str, width: int, height: int
    ) -> Image:
        url, _ = await self._keep(customer_id, name, "image/png", content)
        return Image(url, alt, width, height, "image/png")


@dataclass(frozen=True, slots=True)
class LinkToken:
    file_id: str
    expires_at: int
    signature: str


class FileLinks:
    """Signs stored file urls into one customer's working links, and checks them."""

    def __init__(self, key: bytes, public_url: str = "") -> None:
        self._key = key
        self._base = public_url.rstrip("/")

    def signature(self, file_id: str, customer_id: str, expires_at: int) -> str:
        said = f"teller-file|{file_id}|{customer_id}|{expires_at}".encode()
        mac = hmac.new(self._key, said, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def token(self, file_id: str, customer_id: str, expires_at: int) -> str:
        return f"{file_id}.{expires_at}.{self.signature(file_id, customer_id, expires_at)}"

    @staticmethod
    def parse(token: str) -> LinkToken | None:
        found = _TOKEN.fullmatch(token)
        if found is None:
            return None
        return LinkToken(found["id"], int(found["exp"]), found["sig"])

    def genuine(self, token: LinkToken, customer_id: str) -> bool:
        expected = self.signature(token.file_id, customer_id, token.expires_at)
        return hmac.compare_digest(expected, token.signature)

    def signed_url(self, url: str, customer_id: str) -> str:
        """A stored `/files/{id}.{expires}` url as `customer_id`'s link; any other as it is."""
        stored = _STORED.fullmatch(url)
        if stored is None:
            return url
        token = self.token(stored["id"], customer_id, int(stored["exp"]))
        return f"{self._base}{STORED_PREFIX}{token}"

    def link(self, attachment: Attachment, customer_id: str) -> Attachment:
        """`attachment` with its stored url made `customer_id`'s link."""
        url = getattr(attachment, "url", None)
        if not isinstance(url, str):
            return attachment
        return replace(attachment, url=self.signed_url(url, customer_id))  # type: ignore[type-var]

    def sign_frame(self, frame: dict[str, Any] | None, customer_id: str | None) -> Any:
        """A widget frame (`connectors/frames.py`) as its customer gets it."""
        attachment = (frame or {}).get("attachment")
        if not customer_id or not isinstance(attachment, dict):
            return frame
        if not isinstance(attachment.get("url"), str):
            return frame
        signed = {**attachment, "url": self.signed_url(attachment["url"], customer_id)}
        return {**(frame or {}), "attachment": signed}

    def sign(self, message: BotMessage, customer_id: str | None) -> BotMessage:
        """The message as its customer gets it: a stored file url becomes their link."""
        if message.attachment is None or not customer_id:
            return message
        return replace(message, attachment=self.link(message.attachment, customer_id))
