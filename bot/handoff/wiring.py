"""Everything the agent console needs, built once per worker next to the turn engine."""

from __future__ import annotations

from dataclasses import dataclass

from bot.handoff.agents import AgentDirectory
from bot.handoff.desk import Desk
from bot.handoff.presence import Presence
from bot.handoff.sessions import Sessions
from bot.outbound import Outbound
from bot.store.bus import Bus


@dataclass(frozen=True, slots=True)
class Handoff:
    agents: AgentDirectory
    sessions: Sessions | None  # None: TELLER_AGENT_SECRET unset in production, console off
    presence: Presence
    desk: Desk
    outbound: Outbound  # messaging channels register their senders here
    bus: Bus
    agents_topic: str  # where every open console listens
    beat_seconds: float  # how often an open console renews its agent's presence
    secure_cookie: bool  # production: the session cookie only travels over HTTPS

    async def close(self) -> None:
        await self.desk.close()
        await self.agents.close()
