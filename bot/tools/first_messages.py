"""Does a customer's first message start the right job? Scored through the whole dialogue.

Each held-out message opens a new conversation for a signed-in customer, as a customer's
first words would. A message counts as understood when the job it means starts (or is
offered with "Shall we start?"), or, for a question, when its answer is given; asking which
of two (buttons for both, one of them right) counts too, since guessing is what the dialogue
avoids on purpose. A fallback, or the wrong job, is a miss.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.auth.identity import AuthLevel, Identity
from bot.messages import InboundMessage
from bot.nlu.training_data import load_training_data
from bot.turn import TurnEngine

CUSTOMER = "cust-001"


@dataclass(slots=True)
class Score:
    """How many of each expected job were understood, and what the misses became."""

    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    asked: int = 0  # right, by asking which of two
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # text, expected, got
    unknown: set[str] = field(default_factory=set)  # expected jobs this domain does not have

    @property
    def accuracy(self) -> float:
        counted = sum(n for job, n in self.total.items() if job not in self.unknown)
        return sum(self.right.values()) / counted if counted else 0.0

    def report(self) -> str:
        counted = sum(n for job, n in self.total.items() if job not in self.unknown)
        lines = [
            f"first messages  {sum(self.right.values())}/{counted} start the right job: "
            f"{self.accuracy:.3f} (by asking which of two: {self.asked})"
        ]
        weak = sorted(
            (self.right[job] / n, job, n)
            for job, n in self.total.items()
            if job not in self.unknown
        )
        lines += [f"  {job:32} {rate:.2f} of {n}" for rate, job, n in weak if rate < 1]
        if self.unknown:
            lines.append(f"  not scored, no such job here: {', '.join(sorted(self.unknown))}")
        return "\n".join(lines)


def load_first_messages(path: Path) -> list[tuple[str, str]]:
    """(message, expected job) pairs from a Rasa-format file whose intents name the jobs."""
    return [(e.text, e.intent) for e in load_training_data(path).examples]


async def score(engine: TurnEngine, known: set[str], pairs: list[tuple[str, str]]) -> Score:
    """`known`: the flows and answered intents of the domain being scored."""
    result = Score()
    identity = Identity(CUSTOMER, AuthLevel.IDENTIFIED)
    for text, expected in pairs:
        result.total[expected] += 1
        if expected not in known:
            result.unknown.add(expected)
            continue
        outcome = await engine.handle(identity, InboundMessage("rest", text, None))
        flow = outcome.state["flow"]
        payloads = {b.payload for m in outcome.messages for b in m.buttons}
        got = flow or outcome.parse.intent.name
        if got == expected:
            result.right[expected] += 1
        elif flow is None and f"/{expected}" in payloads and len(payloads) <= 3:
            result.right[expected] += 1
            result.asked += 1
        else:
            result.misses.append((text, expected, got))
    return result
