"""How the channels get the engine: typed FastAPI dependencies the composition root fills.

Each `Provided` names one thing a route needs (the turn engine, the token verifier, the
WhatsApp channel...). The composition root (`compose.py`) fills it once per app with
`fill`; a route declares it as a parameter, e.g. `engine: Engine`, so a reader can follow
a message from a route straight into the engine, and a test can fill in another.
Every dependency here is `async def`: a plain `def` one would cost a thread hop a request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, FastAPI, HTTPException
from starlette.requests import HTTPConnection

from bot.auth.tokens import TokenVerifier
from bot.bank import Bank
from bot.config import Settings
from bot.dialogue.domain import Domain
from bot.ports import Bus, EventStore, LiveChats, OnceGuard
from bot.store.memory import DevOutbox
from bot.turn import TurnEngine

T = TypeVar("T")


class Unwired(RuntimeError):
    """A route asked for something the composition root did not provide."""


class Provided(Generic[T]):
    """One dependency of the routes: filled by the composition root, read per request."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fill(self, app: FastAPI, value: T) -> None:
        setattr(app.state, self.name, value)

    def of(self, connection: HTTPConnection) -> T:
        try:
            return getattr(connection.app.state, self.name)
        except AttributeError:
            raise Unwired(f"{self.name} was not provided to the app") from None

    async def get(self, connection: HTTPConnection) -> T:
        """The dependency. Async on purpose: FastAPI runs a plain `def` dependency on a
        worker thread, a hop per dependency per request, for what is an attribute read."""
        return self.of(connection)


def switched_on(provided: Provided[T | None]) -> Callable[[HTTPConnection], Awaitable[T]]:
    """A dependency on something that may be off (a chat app without its secrets): while
    it is off, the route answers 404, as if it did not exist."""

    async def get(connection: HTTPConnection) -> T:
        value = provided.of(connection)
        if value is None:
            raise HTTPException(404, "Not Found")
        return value

    return get


SETTINGS: Provided[Settings] = Provided("settings")
ENGINE: Provided[TurnEngine] = Provided("engine")
TOKENS: Provided[TokenVerifier] = Provided("tokens")
STORE: Provided[EventStore] = Provided("store")
BUS: Provided[Bus] = Provided("bus")
ONCE: Provided[OnceGuard] = Provided("once")
DOMAIN: Provided[Domain] = Provided("domain")
BANK: Provided[Bank] = Provided("bank")
OUTBOX: Provided[DevOutbox] = Provided("outbox")
LIVE: Provided[LiveChats] = Provided("live_chats")  # open widgets, for alerts (bank_events)

SettingsDep = Annotated[Settings, Depends(SETTINGS.get)]
Engine = Annotated[TurnEngine, Depends(ENGINE.get)]
Tokens = Annotated[TokenVerifier, Depends(TOKENS.get)]
Store = Annotated[EventStore, Depends(STORE.get)]
BusDep = Annotated[Bus, Depends(BUS.get)]
Once = Annotated[OnceGuard, Depends(ONCE.get)]
DomainDep = Annotated[Domain, Depends(DOMAIN.get)]
BankDep = Annotated[Bank, Depends(BANK.get)]
Outbox = Annotated[DevOutbox, Depends(OUTBOX.get)]
Live = Annotated[LiveChats, Depends(LIVE.get)]
