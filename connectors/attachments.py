"""What WhatsApp and Telegram share in showing a message's attachment (bot/messages.py).

Each channel sends the closest native form it has (a document, a photo, an HTML table) and,
where it has none, a readable text: `fallback_text`, which is the message's own text (it
says the answer on its own) plus what only the attachment holds: a file's or a picture's
link, a place's map link. Links the chat apps must fetch or show have to be absolute, on
Teller's public address (`TELLER_PUBLIC_URL`): a relative `/media/...` URL is made absolute
against it, and without it such a link is left out rather than sent broken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.handlers import declared
from bot.messages import BotMessage, File, Image, Places, SummaryCard, Table

# The words of the text forms, from bot/domain/rich.yml.
SAYS = declared(
    {
        "rich_file_line": ["name", "size", "url"],
        "rich_image_line": ["alt", "url"],
        "rich_place_line": ["name", "address", "distance"],
        "rich_place_open": [],
        "rich_place_closed": [],
        "rich_place_map": ["url"],
        "rich_place_map_link": ["name"],
    }
)
Text = Callable[[str, Mapping[str, Any]], str]  # (response key, variables) -> its text


def absolute(url: str, public_url: str) -> str | None:
    """`url` as a link a chat app can open: http(s) as given, a path on `public_url`; else None."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and public_url:
        return public_url.rstrip("/") + url
    return None


def human_size(size: int) -> str:
    """1536 -> "1.5 KB": what a customer reads before downloading on a phone contract."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"


def table_lines(table: Table) -> list[str]:
    """A table as aligned plain-text lines, header first; money columns right-aligned."""
    columns = len(table.columns)
    rows = [tuple(row) + ("",) * (columns - len(row)) for row in table.rows]
    widths = [max(len(str(r[i])) for r in (table.columns, *rows)) for i in range(columns)]
    numeric = [bool(rows) and all(_money(r[i]) or not r[i] for r in rows) for i in range(columns)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            (str(cell).rjust(width) if right else str(cell).ljust(width))
            for cell, width, right in zip(cells, widths, numeric, strict=False)
        ).rstrip()

    return [line(tuple(table.columns)), *(line(r) for r in rows)]


def _money(cell: str) -> bool:
    text = cell.lstrip("+-−").strip()
    return bool(text) and (text[0] in "£€$" or (text[:3].isalpha() and text[:3].isupper()))


def fallback_text(message: BotMessage, text: Text, public_url: str) -> str:
    """The message as text for a chat that cannot show its attachment natively."""
    attachment = message.attachment
    said = message.text.strip()
    if isinstance(attachment, SummaryCard) and not said:
        return "\n".join([attachment.title, *(attachment.amount or "",), *attachment.lines]).strip()
    if isinstance(attachment, Table) and not said:
        return "\n".join([attachment.caption, *table_lines(attachment)])
    extra: list[str] = []
    if isinstance(attachment, File):
        link = absolute(attachment.url, public_url)
        if link:
            size = human_size(attachment.size)
            extra.append(
                text("rich_file_line", {"name": attachment.name, "size": size, "url": link})
            )
    elif isinstance(attachment, Image):
        link = absolute(attachment.url, public_url)
        if link:
            extra.append(text("rich_image_line", {"alt": attachment.alt, "url": link}))
        elif not said:
            extra.append(attachment.alt)
    elif isinstance(attachment, Places):
        extra.extend(place_text(attachment, text, public_url))
    return "\n\n".join(part for part in (said, *extra) if part)


def place_text(places: Places, text: Text, public_url: str) -> list[str]:
    """Each place as a short paragraph: name, address and distance, open or not, its map."""
    parts = []
    for place in places.places:
        said = {"name": place.name, "address": place.address, "distance": place.distance}
        lines = [text("rich_place_line", said)]
        if place.open_now is not None:
            lines.append(text("rich_place_open" if place.open_now else "rich_place_closed", {}))
        lines.extend(place.details)
        link = absolute(place.map_url, public_url)
        if link:
            lines.append(text("rich_place_map", {"url": link}))
        parts.append("\n".join(lines))
    return parts
