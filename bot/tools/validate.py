"""`python -m bot validate`: the conversation design and the NLU data agree, before anyone
chats with them.

One line per problem, naming the file (and line or flow) where it is:
- every flow's intent exists in the NLU data and has examples;
- every intent with examples is answered by a flow or an answer, is handled by the
  engine itself (cancel), or is listed under `unmapped:` with why;
- every response, action and slot a flow references exists, and every placeholder of a
  response is filled by whoever renders it (a flow's slots, an action, the engine);
- no training example appears under two intents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.dialogue.domain import DomainError, load_domain
from bot.dialogue.manager import ANSWER_VARIABLES
from bot.handlers import Action
from bot.nlu.training_data import Example, TrainingDataError, load_training_data

# Intents the dialogue itself handles, not a flow or an answer.
ENGINE_INTENTS = frozenset({"cancel"})

Says = Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Checked:
    problems: list[str]
    flows: int = 0
    intents: int = 0
    responses: int = 0


def validate(
    *,
    domain_dir: Path,
    nlu_data: Path,
    actions: Mapping[str, Action],
    callers: Mapping[str, Says],
) -> Checked:
    """Every problem found; `callers` are the engine's and channels' declared responses."""
    try:
        data = load_training_data(nlu_data)
    except TrainingDataError as exc:
        return Checked([str(exc)])
    try:
        domain = load_domain(domain_dir)
    except DomainError as exc:
        return Checked(str(exc).splitlines())
    examples: dict[str, int] = defaultdict(int)
    for example in data.examples:
        examples[example.intent] += 1
    problems: list[str] = []
    for flow in domain.flows.values():
        if flow.intent and not examples.get(flow.intent):
            problems.append(
                f"{flow.source}: flow {flow.name!r}: intent {flow.intent!r} has no examples "
                f"in {nlu_data}"
            )
    for intent in domain.answers:
        if not examples.get(intent):
            problems.append(f"{domain_dir}: answer for intent {intent!r}, which has no examples")
    answered = set(domain.triggers) | set(domain.answers) | set(domain.unmapped) | ENGINE_INTENTS
    for intent in sorted(set(examples) - answered):
        problems.append(
            f"{nlu_data}: intent {intent!r} is answered by no flow or answer "
            "(list it under `unmapped:` in bot/domain if that is deliberate)"
        )
    problems += domain.flow_problems(actions, ANSWER_VARIABLES)
    for caller, says in callers.items():
        problems += domain.problems(says, caller)
    problems += _twice(data.examples)
    return Checked(problems, len(domain.flows), len(examples), len(domain.responses))


def _twice(examples: Iterable[Example]) -> list[str]:
    """A text that is an example of two intents teaches the classifier nothing but doubt."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)
    for example in examples:
        text = " ".join(example.text.lower().split())
        seen[text].setdefault(example.intent, example.source)
    return [
        f"{sources[sorted(sources)[1]]}: {text!r} is an example of {' and '.join(sorted(sources))}"
        for text, sources in sorted(seen.items())
        if len(sources) > 1
    ]
