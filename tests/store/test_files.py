"""Files behind signed links (bot/files.py): the FileStore contract on Redis and in memory,
what the event log may hold, and what makes a link genuine."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from bot.config import FileSettings
from bot.files import STORED_PREFIX, FileLinks, FileShelf, FileTooLarge
from bot.messages import BotMessage, File, Image
from bot.ports import FileStore, KeptFile
from bot.store.memory import MemoryFileStore
from bot.store.redis import RedisFileStore

KEY = b"k" * 40


@pytest.fixture(params=["local", "redis"])
def file_store(request: pytest.FixtureRequest) -> FileStore:
    if request.param == "local":
        return MemoryFileStore()
    client: Redis = request.getfixturevalue("redis")
    return RedisFileStore(client, prefix=f"test:{uuid.uuid4().hex}:")


def kept(content: bytes = b"%PDF-1.3 \x00\xff binary") -> KeptFile:
    return KeptFile("cust-001", "statement.pdf", "application/pdf", content, 1_900_000_000.0)


async def test_a_kept_file_comes_back_byte_for_byte(file_store: FileStore) -> None:
    await file_store.put("a" * 24, kept(), 60)
    assert await file_store.get("a" * 24) == kept()
    assert await file_store.get("b" * 24) is None


async def test_a_file_is_gone_after_its_ttl(file_store: FileStore) -> None:
    await file_store.put("c" * 24, kept(), 0.3)
    await asyncio.sleep(0.5)
    assert await file_store.get("c" * 24) is None


async def test_the_shelf_gives_an_attachment_whose_url_is_no_link(file_store: FileStore) -> None:
    shelf = FileShelf(file_store, FileSettings(link_ttl_seconds=600), clock=lambda: 1000.0)
    file = await shelf.keep_file("cust-001", "s.csv", "text/csv", b"a,b\r\n")
    assert isinstance(file, File)
    assert (file.size, file.expires_at, file.media_type) == (5, 1600.0, "text/csv")
    file_id, expires = file.url.removeprefix(STORED_PREFIX).split(".")
    assert expires == "1600" and len(file_id) >= 24
    assert FileLinks.parse(file.url.removeprefix(STORED_PREFIX)) is None  # no signature
    assert (await file_store.get(file_id)).customer_id == "cust-001"
    image = await shelf.keep_image(
        "cust-001", "c.png", b"\x89PNG", alt="a chart", width=8, height=4
    )
    assert isinstance(image, Image) and image.url.startswith(STORED_PREFIX)


async def test_the_shelf_refuses_a_file_over_the_limit() -> None:
    store = MemoryFileStore()
    shelf = FileShelf(store, FileSettings(max_bytes=10))
    with pytest.raises(FileTooLarge):
        await shelf.keep_file("cust-001", "big.pdf", "application/pdf", b"x" * 11)


def test_signing_makes_the_stored_url_the_customers_link_and_nothing_else() -> None:
    links = FileLinks(KEY, "https://teller.example/")
    stored = BotMessage("here", attachment=File("/files/" + "f" * 24 + ".1600", "s.pdf", "x", 1))
    signed = links.sign(stored, "cust-001")
    token = signed.attachment.url.removeprefix("https://teller.example/files/")
    parsed = FileLinks.parse(token)
    assert parsed is not None and parsed.expires_at == 1600
    assert links.genuine(parsed, "cust-001")
    assert not links.genuine(parsed, "cust-002")
    assert stored.attachment.url == "/files/" + "f" * 24 + ".1600"  # the stored form untouched
    assert links.sign(stored, None) == stored  # nobody signed in: no link
    other = BotMessage("x", attachment=Image("https://cdn.example/a.png", "alt", 1, 1))
    assert links.sign(other, "cust-001") == other


def test_any_change_to_a_link_breaks_its_signature() -> None:
    links = FileLinks(KEY)
    token = links.token("f" * 24, "cust-001", 1600)
    file_id, expires, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    for changed in (
        f"{'g' * 24}.{expires}.{signature}",
        f"{file_id}.1601.{signature}",
        f"{file_id}.{expires}.{flipped}",
    ):
        parsed = FileLinks.parse(changed)
        assert parsed is not None and not links.genuine(parsed, "cust-001"), changed
    assert not FileLinks(b"another key" * 4).genuine(FileLinks.parse(token), "cust-001")
    for malformed in ("", "abc", f"{file_id}.{expires}", f"../{token}", token + "x"):
        assert FileLinks.parse(malformed) is None


def test_a_widget_frame_gets_the_customers_link() -> None:
    links = FileLinks(KEY)
    stored = {"kind": "file", "url": "/files/" + "f" * 24 + ".1600", "name": "s.pdf"}
    frame = {"type": "message", "seq": 3, "text": "here", "attachment": stored}
    signed = links.sign_frame(frame, "cust-001")
    token = signed["attachment"]["url"].removeprefix("/files/")
    assert links.genuine(FileLinks.parse(token), "cust-001")
    assert frame["attachment"]["url"] == stored["url"]  # the stored frame is not changed
    assert links.sign_frame(frame, None) == frame
    plain = {"type": "message", "seq": 4, "text": "hi"}
    assert links.sign_frame(plain, "cust-001") == plain
    assert links.sign_frame(None, "cust-001") is None
