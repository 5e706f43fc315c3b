"""Channel-neutral message shapes: what comes in and what the bot says back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply; `payload` is sent back verbatim when pressed (e.g. `/affirm`)."""

    title: str
    payload: str

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True, slots=True)
class SummaryCard:
    """A few facts under a title, with one amount picked out (a balance, a card's limits)."""

    title: str
    lines: tuple[str, ...] = ()
    amount: str | None = None
    kind: ClassVar[str] = "card"


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under column headers (transactions, standing orders); every cell is text, already
    formatted the way the customer reads it."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    kind: ClassVar[str] = "table"


@dataclass(frozen=True, slots=True)
class Image:
    """A picture the bot made (a chart), at a URL the customer's client can fetch."""

    url: str
    alt: str  # what a screen reader says, and the text fallback
    width: int
    height: int
    media_type: str = "image/png"
    kind: ClassVar[str] = "image"


@dataclass(frozen=True, slots=True)
class File:
    """A document to download (a statement), by a short-lived link."""

    url: str
    name: str  # the file name the customer saves it under
    media_type: str
    size: int  # bytes
    expires_at: float | None = None  # epoch seconds the link stops working
    kind: ClassVar[str] = "file"


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    address: str
    distance: str  # formatted, e.g. "0.4 miles"
    map_url: str
    open_now: bool | None = None
    details: tuple[str, ...] = ()  # opening hours, services


@dataclass(frozen=True, slots=True)
class Places:
    """Nearby places (ATMs, branches), nearest first."""

    places: tuple[Place, ...]
    kind: ClassVar[str] = "places"


Attachment = SummaryCard | Table | Image | File | Places
_KINDS: dict[str, type[Attachment]] = {k.kind: k for k in (SummaryCard, Table, Image, File)}


def attachment_to_dict(attachment: Attachment) -> dict[str, Any]:
    """JSON-ready, with `kind` first: what events store and channels read."""
    return {"kind": attachment.kind, **asdict(attachment)}


def attachment_from_dict(data: Mapping[str, Any]) -> Attachment:
    fields = {name: _frozen(value) for name, value in data.items() if name != "kind"}
    if data["kind"] == Places.kind:
        return Places(tuple(Place(**place) for place in fields["places"]))
    return _KINDS[data["kind"]](**fields)


def _frozen(value: Any) -> Any:
    """Stored lists back to the tuples the frozen shapes hold (JSON and BSON have no tuple)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return {name: _frozen(item) for name, item in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class BotMessage:
    """What the bot says: `text` always reads on its own (every channel can show it, and it
    is the fallback where a channel has no native form for the attachment)."""

    text: str
    buttons: tuple[Button, ...] = ()
    attachment: Attachment | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "buttons": [b.to_dict() for b in self.buttons]}
        if self.attachment is not None:
            data["attachment"] = attachment_to_dict(self.attachment)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BotMessage:
        attachment = data.get("attachment")
        return cls(
            text=data["text"],
            buttons=tuple(Button(b["title"], b["payload"]) for b in data.get("buttons", ())),
            attachment=attachment_from_dict(attachment) if attachment else None,
        )


# A location the customer shared (the widget's browser location, a WhatsApp or Telegram
# location message) arrives as this payload: the branch and cash machine finder's request
# with the coordinates as its place, so it starts the finder or answers its question of
# where. Only numbers are put in; whether they are a place on Earth, the finder decides
# (and says so), as it does for a typed one.
LOCATION_INTENT = "find_place"


def shared_location(latitude: object, longitude: object) -> tuple[str, str]:
    """The (text, payload) a channel sends for a shared location. Raises ValueError for a
    coordinate that is not a finite number (the channel refuses the message)."""
    lat, lon = _coordinate(latitude), _coordinate(longitude)
    text = f"📍 {lat:.5f}, {lon:.5f}"
    return text, f'/{LOCATION_INTENT}{{"place_near": "geo:{lat:.5f},{lon:.5f}"}}'


def _coordinate(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("a coordinate is a number")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")) or abs(number) > 1e6:
        raise ValueError("a coordinate is a finite number")
    return number


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One customer utterance after a channel has normalised it.

    `text` is what the customer typed (or the button title); `payload` is a pressed
    button's payload, which bypasses NLU when it has the `/intent{...}` form.
    `channel_user_id` is who sent it on a messaging channel (WhatsApp number, Telegram
    chat id): replies to a conversation started there go back to it.
    """

    channel: str
    text: str
    payload: str | None = None
    conversation_id: str | None = None
    channel_message_id: str | None = None
    channel_user_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
