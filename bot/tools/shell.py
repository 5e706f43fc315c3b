"""`python -m bot shell [--customer cust-001]`: chat with Teller in a terminal.

Each reply shows, beside it, what Teller understood and where the conversation stands
(intent and confidence, flow, awaited slot, status); a one-time code is printed as the
dev outbox received it. `#2` presses the reply's second button, `/intent{...}` sends a
button payload, an empty line or end of input ends the chat. With standard input piped,
it reads one message a line and exits at the end, so it can be scripted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from bot.auth.identity import AuthLevel, Identity
from bot.messages import BotMessage, InboundMessage
from bot.ports import ConversationNotFound, LockTimeout, StoreUnavailable
from bot.store.memory import DevOutbox
from bot.turn import TurnEngine


class Shell:
    def __init__(
        self, *, engine: TurnEngine, outbox: DevOutbox, customer: str | None, out: TextIO
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._customer = customer
        self._identity = (
            Identity(customer, AuthLevel.IDENTIFIED) if customer else Identity.anonymous()
        )
        self._out = out
        self._conversation_id: str | None = None
        self._buttons: list[tuple[str, str]] = []
        self._codes_seen = 0

    def greet(self) -> None:
        who = f"signed in as {self._customer}" if self._customer else "anonymous"
        self._say(f"Teller shell, {who}. #N presses a button; an empty line ends the chat.")

    async def chat(self, lines: Iterable[str]) -> None:
        for line in lines:
            text = line.rstrip("\n")
            if not text.strip():
                return
            await self.turn(text)

    async def turn(self, typed: str) -> None:
        text, payload = self._pressed(typed.strip())
        if text is None:
            self._say(f"  (no button {typed.strip()}: this reply has {len(self._buttons)})")
            return
        inbound = InboundMessage("shell", text, payload, conversation_id=self._conversation_id)
        try:
            outcome = await self._engine.handle(self._identity, inbound)
        except (ConversationNotFound, StoreUnavailable, LockTimeout) as exc:
            self._say(f"  (not taken: {type(exc).__name__})")
            return
        self._conversation_id = outcome.conversation_id
        self._show(outcome.messages)
        state, intent = outcome.state, outcome.parse.intent
        self._say(
            f"  · intent {intent.name} {intent.confidence:.2f} · flow {state['flow'] or '-'}"
            f" · awaiting {state['awaiting'] or '-'} · status {state['status']}"
        )
        self._codes()

    def _pressed(self, typed: str) -> tuple[str | None, str | None]:
        """#N: the Nth button of the last reply; /intent...: a payload; else typed text."""
        if typed.startswith("#") and typed[1:].isdigit():
            index = int(typed[1:]) - 1
            if not 0 <= index < len(self._buttons):
                return None, None
            return self._buttons[index]
        if typed.startswith("/"):
            return typed, typed
        return typed, None

    def _show(self, messages: list[BotMessage]) -> None:
        self._buttons = []
        for message in messages:
            self._say("teller> " + message.text.replace("\n", "\n        "))
            for button in message.buttons:
                self._buttons.append((button.title, button.payload))
                self._say(f"  [#{len(self._buttons)}] {button.title}")

    def _codes(self) -> None:
        sent = self._outbox.recent(self._customer or "")
        for entry in reversed(sent[: max(0, len(sent) - self._codes_seen)]):
            self._say(f"  ✉ dev outbox, to {entry.to}: {entry.text}")
        self._codes_seen = len(sent)

    def _say(self, text: str) -> None:
        print(text, file=self._out, flush=True)
