"""The conversation design as data: responses, flows and FAQ answers from `bot/domain/*.yml`.

Every file may hold `responses:`, `flows:` and `answers:`; they are merged, and every
reference (response keys, actions, step kinds) is checked at load time so a typo in a YAML
file stops the service at start-up with the file and flow named, never mid-conversation.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.state import CONFIRM, OTP
from bot.messages import BotMessage, Button
from bot.nlu.types import Parse

log = logging.getLogger(__name__)

SECTIONS = frozenset({"responses", "flows", "answers"})
STEP_KINDS = frozenset({"collect", "confirm", "step_up", "action", "handoff", "say"})
_STEP_OPTIONS = {
    "collect": {"ask", "validate", "optional", "from_entity", "uses"},
    "confirm": set(),
    "step_up": set(),
    "action": set(),
    "handoff": set(),
    "say": set(),
}
_FLOW_KEYS = {
    "intent",
    "description",
    "label",
    "requires",
    "entities",
    "cancelled",
    "steps",
    "slots",
    "listed",
}


class DomainError(ValueError):
    """The domain files are inconsistent; the message names the file and the flow."""


@dataclass(frozen=True, slots=True)
class Variant:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    slot: str = ""  # collect
    ask: str = ""  # collect: response asking for the slot
    validate: str | None = None  # collect: validator action
    optional: bool = False  # collect: not asked when absent (the validator may default it)
    from_entity: str = ""  # collect: entity that fills the slot (default: the slot name)
    uses: tuple[str, ...] = ()  # collect: other entities/slots the validator reads
    response: str = ""  # confirm, say
    operation: tuple[str, ...] = ()  # step_up: slots the one-time code is bound to
    description: str = ""  # step_up: what the code approves, formatted with the slots
    action: str = ""  # action
    reason: str = ""  # handoff

    @property
    def awaits(self) -> str | None:
        """What the frame waits for while this step is pending."""
        return {"collect": self.slot, "confirm": CONFIRM, "step_up": OTP}.get(self.kind)


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    source: str  # the file it came from, for error messages
    intent: str | None
    description: str
    label: str  # "your transfer": used in "Shall we go back to your transfer?"
    requires_identified: bool
    entities: tuple[str, ...]  # entities copied to same-named slots, validated by no step
    cancelled: str  # response said when the flow is cancelled
    steps: tuple[Step, ...]
    entity_slots: Mapping[str, str]  # entity name -> the slot it fills
    preset: Mapping[str, Any] = field(default_factory=dict)  # slots set when the flow starts
    listed: bool = True  # offered in help, out-of-scope answers and blind clarify buttons

    @property
    def moves_money(self) -> bool:
        """Flows that need a one-time code are the ones that move money."""
        return any(step.kind == "step_up" for step in self.steps)

    def slot_owner(self, slot: str) -> int | None:
        """Index of the collect step whose validator checks `slot`, if any."""
        for index, step in enumerate(self.steps):
            if step.kind == "collect" and (step.slot == slot or slot in step.uses):
                return index
        return None

    def slot_values(self, parse: Parse) -> dict[str, Any]:
        """Slot values carried by the entities of a message, by slot name."""
        values: dict[str, Any] = {}
        for entity in parse.entities:
            slot = self.entity_slots.get(entity.entity)
            if slot is not None and slot not in values:
                values[slot] = entity.value
        return values


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply to an intent that needs no flow (greet, help, a simple FAQ)."""

    response: str
    description: str = ""  # offered as a clarify button when set


@dataclass(frozen=True, slots=True)
class Domain:
    responses: Mapping[str, tuple[Variant, ...]]
    flows: Mapping[str, Flow]
    answers: Mapping[str, Answer]
    triggers: Mapping[str, Flow]  # intent -> the flow it starts

    def flow_for(self, intent: str) -> Flow | None:
        return self.triggers.get(intent)

    def description_of(self, intent: str) -> str:
        """How to offer `intent` on a button; empty when it has nothing to offer."""
        flow = self.flow_for(intent)
        if flow is not None:
            return flow.description
        answer = self.answers.get(intent)
        return answer.description if answer else ""

    def check_actions(self, actions: Collection[str]) -> None:
        """Every action and validator a flow names must be registered."""
        for flow in self.flows.values():
            for index, step in enumerate(flow.steps, start=1):
                for name in (step.action, step.validate):
                    if name and name not in actions:
                        raise DomainError(
                            f"{flow.source}: flow {flow.name!r} step {index}: "
                            f"unknown action {name!r}"
                        )

    def require_responses(self, keys: Iterable[str]) -> None:
        missing = sorted(set(keys) - set(self.responses))
        if missing:
            raise DomainError(f"responses missing from the domain: {', '.join(missing)}")

    def render(
        self,
        key: str,
        variables: Mapping[str, Any],
        seq: int,
        buttons: Iterable[tuple[str, str]] = (),
    ) -> BotMessage:
        """Fill a response; the variant is picked by `seq` so a replay says the same thing."""
        variants = self.responses[key]
        variant = variants[seq % len(variants)]
        text = fill(variant.text, variables, key)
        extra = tuple(Button(title, payload) for title, payload in buttons)
        return BotMessage(text, variant.buttons + extra)


def fill(template: str, variables: Mapping[str, Any], context: str) -> str:
    """`str.format` with `variables`; a missing one is logged and renders empty."""
    return template.format_map(_Vars(variables, context))


class _Vars(dict):
    """Template variables; a missing one renders empty (and is logged) rather than failing
    a customer's turn."""

    def __init__(self, values: Mapping[str, Any], key: str) -> None:
        super().__init__(values)
        self._key = key

    def __missing__(self, name: str) -> str:
        log.warning("response %s: no value for {%s}", self._key, name)
        return ""


def load_domain(directory: Path, actions: Collection[str] | None = None) -> Domain:
    """Read and check every `*.yml` in `directory`, and the action names if given (the
    DialogueManager checks them against its registry in any case)."""
    responses: dict[str, tuple[Variant, ...]] = {}
    raw_flows: dict[str, tuple[str, Any]] = {}
    raw_answers: dict[str, tuple[str, Any]] = {}
    files = sorted(directory.glob("*.yml"))
    if not files:
        raise DomainError(f"{directory}: no *.yml domain files")
    for path in files:
        where = str(path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise DomainError(f"{where}: not valid YAML: {exc}") from None
        if not isinstance(data, dict) or set(data) - SECTIONS:
            raise DomainError(f"{where}: top level must be a mapping of {sorted(SECTIONS)}")
        for key, variants in _mapping(data.get("responses"), where, "responses").items():
            _no_duplicate(key, responses, where, "response")
            responses[key] = _variants(variants, f"{where}: response {key!r}")
        for name, body in _mapping(data.get("flows"), where, "flows").items():
            _no_duplicate(name, raw_flows, where, "flow")
            raw_flows[name] = (where, body)
        for intent, body in _mapping(data.get("answers"), where, "answers").items():
            _no_duplicate(intent, raw_answers, where, "answer")
            raw_answers[intent] = (where, body)

    flows = {name: _flow(name, body, where, responses) for name, (where, body) in raw_flows.items()}
    triggers: dict[str, Flow] = {}
    for flow in flows.values():
        if flow.intent in triggers:
            raise DomainError(
                f"{raw_flows[flow.name][0]}: flow {flow.name!r}: intent {flow.intent!r} "
                f"already triggers flow {triggers[flow.intent].name!r}"
            )
        if flow.intent:
            triggers[flow.intent] = flow
    answers = {}
    for intent, (where, body) in raw_answers.items():
        context = f"{where}: answer {intent!r}"
        if intent in triggers:
            raise DomainError(f"{context}: intent already triggers flow {triggers[intent].name!r}")
        answers[intent] = _answer(body, context, responses)
    domain = Domain(responses, flows, answers, triggers)
    if actions is not None:
        domain.check_actions(actions)
    return domain


def _mapping(value: Any, where: str, section: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError(f"{where}: {section} must be a mapping")
    return value


def _no_duplicate(key: str, seen: Mapping[str, Any], where: str, what: str) -> None:
    if key in seen:
        raise DomainError(f"{where}: {what} {key!r} is defined twice")


def _variants(raw: Any, context: str) -> tuple[Variant, ...]:
    if not isinstance(raw, list) or not raw:
        raise DomainError(f"{context}: needs a list of variants")
    variants = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise DomainError(f"{context}: each variant needs a `text`")
        unknown = set(item) - {"text", "buttons"}
        if unknown:
            raise DomainError(f"{context}: unknown variant keys {sorted(unknown)}")
        _template(item["text"], context)
        buttons = []
        for button in item.get("buttons") or ():
            if not isinstance(button, dict) or set(button) != {"title", "payload"}:
                raise DomainError(f"{context}: a button needs exactly `title` and `payload`")
            buttons.append(Button(str(button["title"]), str(button["payload"])))
        variants.append(Variant(item["text"], tuple(buttons)))
    return tuple(variants)


def _flow(name: str, body: Any, where: str, responses: Mapping[str, Any]) -> Flow:
    context = f"{where}: flow {name!r}"
    if not isinstance(body, dict):
        raise DomainError(f"{context}: must be a mapping")
    unknown = set(body) - _FLOW_KEYS
    if unknown:
        raise DomainError(f"{context}: unknown keys {sorted(unknown)}")
    if not isinstance(body.get("description"), str):
        raise DomainError(f"{context}: needs a `description`")
    requires = body.get("requires")
    if requires not in (None, "identified"):
        raise DomainError(f"{context}: `requires` can only be 'identified'")
    cancelled = body.get("cancelled", "utter_flow_cancelled")
    _known_response(cancelled, responses, context)
    raw_steps = body.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DomainError(f"{context}: needs a list of `steps`")
    steps = tuple(
        _step(raw, f"{context} step {index + 1}", responses) for index, raw in enumerate(raw_steps)
    )
    preset = body.get("slots") or {}
    if not isinstance(preset, dict) or not all(
        isinstance(value, str | int | float | bool) for value in preset.values()
    ):
        raise DomainError(f"{context}: `slots` must map slot names to plain values")
    listed = body.get("listed", True)
    if not isinstance(listed, bool):
        raise DomainError(f"{context}: `listed` must be true or false")
    entities = tuple(body.get("entities") or ())
    entity_slots = {name: name for name in entities}
    for step in steps:
        if step.kind == "collect":
            entity_slots[step.from_entity or step.slot] = step.slot
            entity_slots.update({name: name for name in step.uses})
    return Flow(
        name=name,
        source=where,
        intent=body.get("intent"),
        description=body["description"],
        label=body.get("label", name.replace("_", " ")),
        requires_identified=requires == "identified",
        entities=entities,
        cancelled=cancelled,
        steps=steps,
        entity_slots=entity_slots,
        preset={str(name): value for name, value in preset.items()},
        listed=listed,
    )


def _step(raw: Any, context: str, responses: Mapping[str, Any]) -> Step:
    if not isinstance(raw, dict):
        raise DomainError(f"{context}: must be a mapping like `collect: amount`")
    kinds = set(raw) & STEP_KINDS
    if len(kinds) != 1:
        raise DomainError(
            f"{context}: unknown step kind in {sorted(raw)}; expected one of {sorted(STEP_KINDS)}"
        )
    kind = kinds.pop()
    value = raw[kind]
    unknown = set(raw) - {kind} - _STEP_OPTIONS[kind]
    if unknown:
        raise DomainError(f"{context}: unknown keys for a {kind} step: {sorted(unknown)}")
    if kind == "collect":
        _known_response(raw.get("ask"), responses, context)
        return Step(
            kind,
            slot=str(value),
            ask=raw["ask"],
            validate=raw.get("validate"),
            optional=bool(raw.get("optional", False)),
            from_entity=raw.get("from_entity", ""),
            uses=tuple(raw.get("uses") or ()),
        )
    if kind in ("confirm", "say"):
        _known_response(value, responses, context)
        return Step(kind, response=value)
    if kind == "step_up":
        if not isinstance(value, dict) or not value.get("operation"):
            raise DomainError(f"{context}: step_up needs `operation` (slot names)")
        if not str(value.get("description", "")).strip():
            raise DomainError(f"{context}: step_up needs a `description` of what the code approves")
        _template(value["description"], context)
        return Step(
            kind,
            operation=tuple(value["operation"]),
            description=str(value.get("description", "")),
        )
    if kind == "action":
        return Step(kind, action=str(value))
    return Step(kind, reason=str(value))


def _template(text: str, context: str) -> None:
    try:
        list(string.Formatter().parse(text))
    except ValueError as exc:
        raise DomainError(f"{context}: bad template {text!r}: {exc}") from None


def _known_response(key: Any, responses: Mapping[str, Any], context: str) -> None:
    if key not in responses:
        raise DomainError(f"{context}: unknown response {key!r}")


def _answer(body: Any, context: str, responses: Mapping[str, Any]) -> Answer:
    """`greet: utter_greet`, or `help: {response: utter_help, description: ...}`."""
    if isinstance(body, str):
        body = {"response": body}
    if not isinstance(body, dict) or set(body) - {"response", "description"}:
        raise DomainError(f"{context}: must be a response key or {{response, description}}")
    _known_response(body.get("response"), responses, context)
    return Answer(body["response"], str(body.get("description", "")))
