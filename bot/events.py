"""The append-only conversation log: every turn produces events, state is derived from them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

# Event types. Data payloads are plain JSON-able dicts; nothing secret goes in them
# (OTP codes never, only keyed hashes; card numbers masked).
CONVERSATION_STARTED = "conversation_started"  # {customer_id, channel}
USER_MESSAGE = "user_message"  # {text, payload, intent, confidence, entities}
BOT_MESSAGE = "bot_message"  # {text, buttons}
SLOT_SET = "slot_set"  # {name, value}
FLOW_STARTED = "flow_started"  # {flow}
FLOW_RESUMED = "flow_resumed"  # {flow}
FLOW_INTERRUPTED = "flow_interrupted"  # {flow, by}
FLOW_COMPLETED = "flow_completed"  # {flow}
FLOW_CANCELLED = "flow_cancelled"  # {flow, reason}
STEP_ADVANCED = "step_advanced"  # {flow, step}
ACTION_RUN = "action_run"  # {action, ok, error, result}
# {step: otp_issued|otp_verified|otp_failed|otp_expired|otp_locked|otp_resent|otp_exempt|
#  otp_not_needed, ...}
AUTH_STEP = "auth_step"
FALLBACK = "fallback"  # {stage}
HANDOFF = "handoff"  # {status: queued|agent|bot|closed, reason, agent_id?, attached?}
AGENT_MESSAGE = "agent_message"  # {agent_id, agent_name, text}: sent to the customer
AGENT_NOTE = "agent_note"  # {agent_id, agent_name, text}: internal, never sent to the customer

# What a customer's own clients may see, and what an agent's transcript shows.
CUSTOMER_VISIBLE = frozenset({USER_MESSAGE, BOT_MESSAGE, AGENT_MESSAGE, HANDOFF})
TRANSCRIPT = CUSTOMER_VISIBLE | {AGENT_NOTE}


@dataclass(frozen=True, slots=True)
class Event:
    """One entry in a conversation's log; `seq` is assigned when it is appended."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)
    seq: int = 0

    def to_doc(self, conversation_id: str) -> dict[str, Any]:
        return {
            "conversation_id": conversation_id,
            "seq": self.seq,
            "type": self.type,
            "data": self.data,
            "ts": self.ts,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Event:
        return cls(type=doc["type"], data=doc.get("data", {}), ts=doc["ts"], seq=doc["seq"])

    def to_entry(self) -> dict[str, Any]:
        """The event as the bus carries it and the agent console shows it."""
        return {"seq": self.seq, "type": self.type, "data": self.data, "ts": self.ts}
