"""What the held-out phrasing tests of each job share: most held-out phrasings reach their
job, and the close neighbours they could steal from keep theirs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.nlu.model import NluModel
from tests.nlu.conftest import TODAY


def assert_mostly_reach_their_jobs(model: NluModel, held_out: Mapping[str, Sequence[str]]) -> None:
    cases = [(text, intent) for intent, texts in held_out.items() for text in texts]
    wrong = [
        (text, intent, got)
        for text, intent in cases
        if (got := model.parse(text, TODAY).intent.name) != intent
    ]
    assert len(wrong) <= len(cases) // 10, wrong  # at least 90% right


def assert_neighbours_keep_theirs(model: NluModel, neighbours: Mapping[str, Sequence[str]]) -> None:
    for intent, texts in neighbours.items():
        for text in texts:
            assert model.parse(text, TODAY).intent.name == intent, text
