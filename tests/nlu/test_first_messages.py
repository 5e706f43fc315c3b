"""Held-out first messages start the right job, through the whole dialogue (issue 11)."""

from __future__ import annotations

from pathlib import Path

import compose
from bot.config import PROJECT_ROOT, load_settings
from bot.nlu.model import NluModel
from bot.tools.first_messages import load_first_messages, score

FIRST_MESSAGES = Path(__file__).parent / "data" / "first_messages.yml"
FLOOR = 0.95  # the bar; a fallback or the wrong job is a miss
# Jobs labelled here with no flow yet are reported, not scored.


async def test_first_messages_start_the_right_job(model: NluModel) -> None:
    pairs = load_first_messages(FIRST_MESSAGES)
    assert len(pairs) >= 400, "the held-out set is at least 400 first messages"
    async with compose.open_offline(
        load_settings(PROJECT_ROOT / "config.yml"), nlu=model
    ) as teller:
        known = set(teller.domain.flows) | set(teller.domain.answers)
        result = await score(teller.engine, known, pairs)
    misses = "\n".join(f"  {text!r}: wanted {want}, got {got}" for text, want, got in result.misses)
    print(result.report())  # names the labelled jobs the domain does not have yet
    assert result.accuracy >= FLOOR, f"{result.report()}\n{misses}"
