"""The conversation design as data: responses, flows and FAQ answers from `bot/domain/*.yml`.

Every file may hold `responses:`, `flows:`, `answers:`, `canned:` (the agents' canned
replies) and `unmapped:` (intents deliberately answered by nothing, with why); they are
merged, and every reference (response keys, actions, step kinds) is checked at load time
so a typo in a YAML file stops the service at start-up with the file and flow named,
never mid-conversation.

Every sentence a customer or an agent reads is a response here, rendered by `render`
(a message) or `text` (a piece of one). Whoever renders declares the variables it fills;
`require` and `require_flows` refuse, at start-up, a response whose placeholders its
callers cannot fill (`problems` and `flow_problems` list them all, for `validate`).
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue.state import CONFIRM, OTP
from bot.handlers import Action
from bot.messages import Attachment, BotMessage, Button
from bot.nlu.types import Parse
from bot.yaml_errors import yaml_problem

log = logging.getLogger(__name__)

SECTIONS = frozenset({"responses", "flows", "answers", "canned", "unmapped"})
_FIELD_ROOT = re.compile(r"[.\[]")
STEP_KINDS = frozenset({"collect", "confirm", "step_up", "action", "handoff", "say"})
_STEP_OPTIONS = {
    "collect": {"ask", "validate", "optional", "from_entity", "uses", "answered_by"},
    "confirm": set(),
    "step_up": set(),
    "action": set(),
    "handoff": {"attach"},
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
    "protective",
    "returns",
    "signed_out",
}


class DomainError(ValueError):
    """The domain files are inconsistent; the message names the file and the flow."""


@dataclass(frozen=True, slots=True)
class Variant:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class Canned:
    """A reply an agent can pick in the console and edit before sending."""

    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Step:
    kind: str
    slot: str = ""  # collect
    ask: str = ""  # collect: response asking for the slot
    validate: str | None = None  # collect: validator action
    optional: bool = False  # collect: not asked when absent (the validator may default it)
    from_entity: str = ""  # collect: entity that fills the slot (default: the slot name)
    uses: tuple[str, ...] = ()  # collect: other entities/slots the validator reads
    # collect: entities that answer this step while it is asked (only then), though they fill
    # another slot otherwise ("30 June" asked when a standing order ends is not its first date)
    answered_by: tuple[str, ...] = ()
    response: str = ""  # confirm, say
    operation: tuple[str, ...] = ()  # step_up: slots the one-time code is bound to
    description: str = ""  # step_up: what the code approves, formatted with the slots
    exempt_as: str = ""  # step_up: skipped when `otp.exempt` names this kind of operation
    unless: str = ""  # step_up: skipped when this slot, set by an earlier step, is true
    when: str = ""  # step_up: asked only when this slot is set (a validator decides)
    action: str = ""  # action
    reason: str = ""  # handoff
    attach: tuple[str, ...] = ()  # handoff: slots kept on the handoff for the agent (a case)

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
    # Protects the account (freezing a card): never waits on a payment in progress, and a
    # pause after wrong codes does not stop it; its own code is still asked for.
    protective: bool = False
    # Run as a digression: slots handed back to the flow it interrupted when it completes
    # ({"payee": "payee"}: the payee just added becomes the transfer's payee).
    returns: Mapping[str, str] = field(default_factory=dict)
    # Said instead of "please sign in" to a caller who is not signed in (a general answer).
    signed_out: str = ""

    @property
    def is_job(self) -> bool:
        """Changes something at the bank, so it confirms first: switching to it in the
        middle of another job is asked, not done."""
        return any(step.kind in ("confirm", "step_up") for step in self.steps)

    @property
    def job(self) -> str:
        """The description as the rest of a sentence: "send money to a saved payee"."""
        return self.description[:1].lower() + self.description[1:]

    @property
    def moves_money(self) -> bool:
        """Flows that need a one-time code move money, unless they protect the account."""
        return not self.protective and any(step.kind == "step_up" for step in self.steps)

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
    sources: Mapping[str, str] = field(default_factory=dict)  # response key -> its file
    canned: tuple[Canned, ...] = ()
    unmapped: Mapping[str, str] = field(default_factory=dict)  # intent -> why nothing answers

    def flow_for(self, intent: str) -> Flow | None:
        """The flow `intent` starts. A flow with no intent of its own (one a job offers, such
        as adding a payee abroad) is started by a button whose payload names it: the NLU
        never gives a flow's name as an intent, so no message can start it by a guess."""
        flow = self.triggers.get(intent)
        if flow is None and (named := self.flows.get(intent)) is not None and not named.intent:
            return named
        return flow

    def description_of(self, intent: str) -> str:
        """How to offer `intent` on a button; empty when it has nothing to offer."""
        flow = self.flow_for(intent)
        if flow is not None:
            return flow.description
        answer = self.answers.get(intent)
        return answer.description if answer else ""

    def placeholders(self, key: str) -> set[str]:
        """Every variable the response's variants use."""
        return set().union(*(placeholders(v.text) for v in self.responses[key]))

    def problems(self, says: Mapping[str, frozenset[str]], caller: str) -> list[str]:
        """What is wrong with `caller` rendering these responses with these variables."""
        found = []
        for key, variables in says.items():
            if key not in self.responses:
                found.append(f"{caller} says {key!r}, which no domain file defines")
                continue
            missing = self.placeholders(key) - variables
            if missing:
                found.append(
                    f"{self.sources.get(key, 'domain')}: response {key!r} uses "
                    f"{_names(missing)}, which {caller} does not fill"
                )
        return found

    def require(self, says: Mapping[str, frozenset[str]], caller: str) -> None:
        """Refuse to start when `caller` would render a response it cannot fill."""
        _raise_any(self.problems(says, caller))

    def flow_problems(
        self, actions: Mapping[str, Action], answer_variables: frozenset[str]
    ) -> list[str]:
        """Unknown actions, and placeholders no slot or action fills, step by step.

        At each step the slots a response may use are those set before it: the flow's
        presets and entities, earlier steps' slots, and what earlier actions declare
        they set; an action's replies may also use the variables it declares.
        """
        found: list[str] = []
        for flow in self.flows.values():
            available = set(flow.preset) | set(flow.entities)
            for index, step in enumerate(flow.steps, start=1):
                where = f"{flow.source}: flow {flow.name!r} step {index}"
                available |= self._step_problems(step, where, available, actions, found)
            everything = available | {"label"}
            found += self._uses(flow.cancelled, everything, f"{flow.source}: flow {flow.name!r}")
        for intent, answer in self.answers.items():
            found += self._uses(answer.response, answer_variables, f"answer {intent!r}")
        return found

    def require_flows(
        self, actions: Mapping[str, Action], answer_variables: frozenset[str]
    ) -> None:
        _raise_any(self.flow_problems(actions, answer_variables))

    def _step_problems(
        self,
        step: Step,
        where: str,
        available: set[str],
        actions: Mapping[str, Action],
        found: list[str],
    ) -> set[str]:
        """Add the step's problems to `found`; return the slots it makes available."""
        if step.kind in ("confirm", "say"):
            found += self._uses(step.response, available, where)
            return set()
        if step.kind == "step_up":
            missing = (placeholders(step.description) | set(step.operation)) - available
            if step.unless and step.unless not in available:
                missing.add(step.unless)
            if missing:
                found.append(f"{where}: step_up uses {_names(missing)}, set by no earlier step")
            return set()
        if step.kind == "collect":
            found += self._uses(step.ask, available, where)
            made = {step.slot, *step.uses}
            name = step.validate
        elif step.kind == "action":
            made, name = set(), step.action
        else:
            if missing := set(step.attach) - available:
                found.append(f"{where}: handoff attaches {_names(missing)}, set by no earlier step")
            return set()
        if name is None:
            return made
        action = actions.get(name)
        if action is None:
            found.append(f"{where}: unknown action {name!r}")
            return made
        for key, variables in action.says.items():
            found += self._uses(key, available | made | variables, f"{where} ({name})")
        return made | action.sets

    def _uses(self, key: str, available: set[str] | frozenset[str], where: str) -> list[str]:
        if key not in self.responses:
            return [f"{where}: unknown response {key!r}"]
        missing = self.placeholders(key) - available
        if not missing:
            return []
        return [f"{where}: response {key!r} uses {_names(missing)}, which nothing sets there"]

    def text(self, key: str, variables: Mapping[str, Any], seq: int = 0) -> str:
        """A response's text alone: a piece of a message (a line, a label, a reason)."""
        variants = self.responses[key]
        return fill(variants[seq % len(variants)].text, variables, key)

    def render(
        self,
        key: str,
        variables: Mapping[str, Any],
        seq: int,
        buttons: Iterable[tuple[str, str]] = (),
        attachment: Attachment | None = None,
    ) -> BotMessage:
        """Fill a response; the variant is picked by `seq` so a replay says the same thing."""
        variants = self.responses[key]
        variant = variants[seq % len(variants)]
        text = fill(variant.text, variables, key)
        extra = tuple(Button(title, payload) for title, payload in buttons)
        return BotMessage(text, variant.buttons + extra, attachment)


def placeholders(template: str) -> set[str]:
    """The variable names `template` uses: "{amount}" and "{card.last4}" use amount, card."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(_FIELD_ROOT.split(name, maxsplit=1)[0])
    return names


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in sorted(names))


def _raise_any(problems: list[str]) -> None:
    if problems:
        raise DomainError("\n".join(problems))


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


def load_domain(directory: Path) -> Domain:
    """Read and check every `*.yml` in `directory`; what code renders is checked by the
    callers' `require` (the dialogue's at construction, the rest at start-up)."""
    responses: dict[str, tuple[Variant, ...]] = {}
    sources: dict[str, str] = {}
    canned: list[Canned] = []
    unmapped: dict[str, str] = {}
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
            raise DomainError(yaml_problem(path, exc)) from None
        if not isinstance(data, dict) or set(data) - SECTIONS:
            raise DomainError(f"{where}: top level must be a mapping of {sorted(SECTIONS)}")
        for key, variants in _mapping(data.get("responses"), where, "responses").items():
            _no_duplicate(key, responses, where, "response")
            responses[key] = _variants(variants, f"{where}: response {key!r}")
            sources[key] = where
        canned.extend(_canned(data.get("canned"), where))
        for intent, why in _mapping(data.get("unmapped"), where, "unmapped").items():
            if not isinstance(why, str) or not why.strip():
                raise DomainError(f"{where}: unmapped intent {intent!r} needs a reason")
            unmapped[intent] = why
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
    for intent in unmapped:
        if intent in triggers or intent in answers:
            raise DomainError(f"intent {intent!r} is listed as unmapped but has a flow or answer")
    return Domain(responses, flows, answers, triggers, sources, tuple(canned), unmapped)


def _canned(raw: Any, where: str) -> list[Canned]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(
        isinstance(item, dict) and set(item) == {"title", "text"} for item in raw
    ):
        raise DomainError(f"{where}: canned must be a list of {{title, text}}")
    return [Canned(str(item["title"]), str(item["text"])) for item in raw]


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
    signed_out = body.get("signed_out", "")
    if signed_out:
        _known_response(signed_out, responses, context)
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
    listed, protective = body.get("listed", True), body.get("protective", False)
    if not isinstance(listed, bool) or not isinstance(protective, bool):
        raise DomainError(f"{context}: `listed` and `protective` must be true or false")
    returns = body.get("returns") or {}
    if not isinstance(returns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in returns.items()
    ):
        raise DomainError(f"{context}: `returns` must map this flow's slots to slot names")
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
        protective=protective,
        returns={str(k): str(v) for k, v in returns.items()},
        signed_out=str(signed_out),
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
            answered_by=tuple(raw.get("answered_by") or ()),
        )
    if kind in ("confirm", "say"):
        _known_response(value, responses, context)
        return Step(kind, response=value)
    if kind == "step_up":
        if not isinstance(value, dict) or not value.get("operation"):
            raise DomainError(f"{context}: step_up needs `operation` (slot names)")
        unknown = set(value) - {"operation", "description", "exempt_as", "unless", "when"}
        if unknown:
            raise DomainError(f"{context}: step_up has unknown keys {_names(unknown)}")
        if not str(value.get("description", "")).strip():
            raise DomainError(f"{context}: step_up needs a `description` of what the code approves")
        _template(value["description"], context)
        return Step(
            kind,
            operation=tuple(value["operation"]),
            description=str(value.get("description", "")),
            exempt_as=str(value.get("exempt_as", "")),
            unless=str(value.get("unless", "")),
            when=str(value.get("when", "")),
        )
    if kind == "action":
        return Step(kind, action=str(value))
    attach = raw.get("attach") or ()
    if not isinstance(attach, list | tuple) or not all(isinstance(a, str) for a in attach):
        raise DomainError(f"{context}: a handoff's `attach` is a list of slot names")
    return Step(kind, reason=str(value), attach=tuple(attach))


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
