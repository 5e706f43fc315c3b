"""Conversation tests as data, like Rasa's end-to-end tests: `python -m bot test [PATH]`.

A file under `tests/conversations/` holds `cases:`; each case is a customer (or nobody:
anonymous) and steps. A step does one thing and says what must hold after it:

    cases:
      - case: a transfer moves the money once
        customer: cust-001
        steps:
          - user: send £25 to Alice          # or button: "Yes", payload: /affirm,
            intent: transfer_money           #   code: latest | wrong, wait: 301 (seconds),
            flow: transfer_money             #   agent: claim | hand_back | close |
            awaiting: null                   #     {reply: text} | {note: text}
            says: "send £25.00 to Alice"     # text contained (or a list of them)
            buttons: ["Yes, send it"]        # titles offered
          - button: "Yes"
            awaiting: otp
          - code: latest
            says: Done
            bank: {balance: {account: acc-001-current, moved: "-25.00"}}

What holds: `intent` (of the customer's message), `flow`, `awaiting` (a slot, `otp` or
null), `status` (bot, queued, agent, closed), `says` and `not_says` (contained,
case-insensitive), `buttons` (titles contained), `bank`: a balance moved by an amount
since the case began, a card's status, a card's control (`card_control: {card, control,
value}`: a limit's amount, a switch on/off, the PIN blocked/unblocked), a payee (UK or
abroad) present or not; and
`linked`: how many chat apps are linked to the customer; `shows`: the rich form of the
last reply that has one (`shows: table`, or `{kind: table, has: ["Date", "£25.00"]}`, texts
found in its caption, headers, cells, title, lines or amount; `none`: no reply has one). A
case's
`linked_chats: [whatsapp, telegram]` links chats to its customer before it starts: the
n-th a WhatsApp number ending 01nn or a Telegram chat ending 02nn (e.g. "WhatsApp ending
0101"). Every case runs through the real engine on a fresh in-process bank; a failure
prints the conversation so far and the first step that differed. A malformed file is one
line naming the file and line.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from bot import events as ev
from bot.auth.identity import AuthLevel, Identity
from bot.bank import Bank
from bot.dialogue.state import ConversationState
from bot.handoff.agents import Agent
from bot.handoff.desk import Desk, DeskError
from bot.linking import AccountLinks, LinkOutcome
from bot.messages import BotMessage, InboundMessage, attachment_to_dict
from bot.ports import EventStore
from bot.store.memory import DevOutbox
from bot.turn import TurnEngine
from bot.yaml_errors import yaml_problem

ACTIONS = ("user", "button", "payload", "code", "wait", "agent")
CHECKS = (
    "intent", "flow", "awaiting", "status", "says", "not_says", "buttons", "bank", "linked",
    "shows",
)  # fmt: skip
KINDS = ("card", "table", "image", "file", "places", "none")
CHAT_APPS = {"whatsapp": "4477009001", "telegram": "50000002"}  # + two digits: nth linked
AGENT_MOVES = ("claim", "hand_back", "close", "reply", "note")
BANK_CHECKS = {
    "balance": {"account", "moved"},
    "card": {"card", "status"},
    "card_control": {"card", "control", "value"},
    "payee": {"name", "present"},
}
TEST_AGENT = Agent("case-agent", "Sam")
_CODE = re.compile(r"(?<!\d)\d{4,10}(?!\d)")


class CaseError(ValueError):
    """A test file that cannot be read; the message is one line: file:line and why."""


@dataclass(frozen=True, slots=True)
class Step:
    action: str  # one of ACTIONS
    value: Any
    checks: Mapping[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    source: str  # file:line
    customer: str | None
    steps: tuple[Step, ...]
    linked_chats: tuple[str, ...] = ()


class Clock:
    """The conversation's time: real time moved on by `wait` steps (code expiry)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True, slots=True)
class World:
    """What one case runs against: Teller assembled offline, on its own bank."""

    engine: TurnEngine
    desk: Desk
    store: EventStore
    bank: Bank
    outbox: DevOutbox
    clock: Clock
    links: AccountLinks | None = None  # for cases with `linked_chats`


OpenWorld = Callable[[], AbstractAsyncContextManager[World]]


# -- reading ------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Keeps each mapping's line, so a problem is reported where it is; and reads `yes`,
    `no`, `on` and `off` as the words a customer types (YAML 1.1 would make them booleans)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping_with_line(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def case_files(path: Path) -> list[Path]:
    return sorted(path.rglob("*.yml")) if path.is_dir() else [path]


def load_cases(path: Path, intents: Iterable[str]) -> list[Case]:
    """Every case under `path` (a file or a folder); CaseError on the first problem."""
    known = set(intents)
    files = case_files(path)
    if not files or not all(f.is_file() for f in files):
        raise CaseError(f"{path}: no conversation test files (*.yml) there")
    cases: list[Case] = []
    for file in files:
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_Loader)
        except yaml.YAMLError as exc:
            raise CaseError(yaml_problem(file, exc)) from None
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise CaseError(f"{file}:1: a conversation test file needs a list of `cases:`")
        cases.extend(_case(raw, file, known) for raw in data["cases"])
    names = [c.name for c in cases]
    for name in names:
        if names.count(name) > 1:
            raise CaseError(f"{path}: two cases are called {name!r}")
    return cases


def _case(raw: Any, file: Path, intents: set[str]) -> Case:
    if not isinstance(raw, dict):
        raise CaseError(f"{file}: each case is a mapping with `case:` and `steps:`")
    where = f"{file}:{raw['__line__']}"
    unknown = set(raw) - {"case", "customer", "steps", "linked_chats", "__line__"}
    if unknown:
        raise CaseError(f"{where}: unknown case keys {sorted(unknown)}")
    name, steps = raw.get("case"), raw.get("steps")
    if not isinstance(name, str) or not name.strip():
        raise CaseError(f"{where}: a case needs a `case:` name")
    if not isinstance(steps, list) or not steps:
        raise CaseError(f"{where}: case {name!r} needs a list of `steps:`")
    customer = raw.get("customer")
    if customer is not None and not isinstance(customer, str):
        raise CaseError(f"{where}: `customer:` is a customer id such as cust-001")
    chats = raw.get("linked_chats") or []
    if not isinstance(chats, list) or not all(c in CHAT_APPS for c in chats):
        raise CaseError(f"{where}: `linked_chats:` is a list of {', '.join(CHAT_APPS)}")
    if chats and customer is None:
        raise CaseError(f"{where}: `linked_chats:` needs a `customer:` to link them to")
    steps_read = tuple(_step(s, file, name, intents) for s in steps)
    return Case(name, where, customer, steps_read, tuple(chats))


def _step(raw: Any, file: Path, case: str, intents: set[str]) -> Step:
    if not isinstance(raw, dict):
        raise CaseError(f"{file}: case {case!r}: each step is a mapping such as `user: hello`")
    line = raw.pop("__line__")
    where = f"{file}:{line}: case {case!r}"
    actions = [key for key in raw if key in ACTIONS]
    unknown = set(raw) - set(ACTIONS) - set(CHECKS)
    if unknown:
        raise CaseError(f"{where}: unknown step keys {sorted(unknown)}")
    if len(actions) != 1:
        raise CaseError(f"{where}: a step does exactly one of {', '.join(ACTIONS)}")
    action = actions[0]
    value = raw.pop(action)
    _check_action(action, value, where)
    intent = raw.get("intent")
    if intent is not None and intent not in intents:
        raise CaseError(f"{where}: unknown intent {intent!r} (not in the NLU training data)")
    if "bank" in raw:
        _check_bank(raw["bank"], where)
    if "linked" in raw and not (isinstance(raw["linked"], int) and raw["linked"] >= 0):
        raise CaseError(f"{where}: `linked:` is how many chats are linked, e.g. 1")
    if "shows" in raw:
        _check_shows(raw["shows"], where)
    for key in ("says", "not_says", "buttons"):
        if key in raw and not _texts(raw[key]):
            raise CaseError(f"{where}: `{key}` is a text or a list of texts")
    return Step(action, value, raw, line)


def _check_shows(value: Any, where: str) -> None:
    kind = value.get("kind") if isinstance(value, dict) else value
    extra = set(value) - {"kind", "has", "__line__"} if isinstance(value, dict) else set()
    has = value.get("has", []) if isinstance(value, dict) else []
    if kind not in KINDS or extra or (has and not _texts(has)):
        raise CaseError(
            f"{where}: `shows:` is one of {', '.join(KINDS)}, or {{kind, has: [texts]}}"
        )


def _attachment_texts(attachment: Any) -> list[str]:
    """Every text a rich form shows: what `shows: {has: [...]}` looks in."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for name, item in value.items():
                if name not in ("kind", "url", "map_url", "media_type"):
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(attachment_to_dict(attachment))
    return texts


def _check_action(action: str, value: Any, where: str) -> None:
    if action in ("user", "button", "payload") and not (isinstance(value, str) and value):
        raise CaseError(f"{where}: `{action}:` needs a text")
    if action == "code" and value not in ("latest", "wrong"):
        raise CaseError(f"{where}: `code:` is `latest` or `wrong`")
    if action == "wait" and not (isinstance(value, int | float) and value > 0):
        raise CaseError(f"{where}: `wait:` is a number of seconds")
    if action == "agent":
        move = next(iter(value), None) if isinstance(value, dict) else value
        if move not in AGENT_MOVES:
            raise CaseError(f"{where}: `agent:` is one of {', '.join(AGENT_MOVES)}")


def _check_bank(value: Any, where: str) -> None:
    effects = value if isinstance(value, list) else [value]
    for effect in effects:
        if not isinstance(effect, dict):
            raise CaseError(f"{where}: `bank:` holds balance, card, card_control or payee checks")
        effect.pop("__line__", None)
        for kind, body in effect.items():
            if kind not in BANK_CHECKS:
                known = "balance, card, card_control and payee"
                raise CaseError(f"{where}: `bank:` knows {known}, not {kind!r}")
            if not isinstance(body, dict):
                raise CaseError(f"{where}: `bank: {kind}:` is a mapping")
            body.pop("__line__", None)
            if set(body) != BANK_CHECKS[kind]:
                raise CaseError(
                    f"{where}: `bank: {kind}:` needs exactly {sorted(BANK_CHECKS[kind])}"
                )
            if kind == "balance":
                try:
                    Decimal(str(body["moved"]))
                except InvalidOperation:
                    raise CaseError(f"{where}: `moved:` is an amount such as -25.00") from None


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(item) for item in items] if all(isinstance(i, str) for i in items) else []


# -- running ------------------------------------------------------------------------------


@dataclass(slots=True)
class Transcript:
    lines: list[str] = field(default_factory=list)

    def customer(self, text: str) -> None:
        self.lines.append(f"  customer: {text}")

    def replies(self, messages: Sequence[BotMessage], note: str) -> None:
        indent = "\n" + " " * 12
        for message in messages:
            titles = " | ".join(b.title for b in message.buttons)
            buttons = f"  [{titles}]" if titles else ""
            self.lines.append(f"  teller:   {message.text}{buttons}".replace("\n", indent))
        self.lines.append(f"{' ' * 12}({note})")

    def aside(self, text: str) -> None:
        self.lines.append(f"  -- {text}")


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    failure: str | None  # None: passed
    transcript: Transcript

    @property
    def ok(self) -> bool:
        return self.failure is None


class _Run:
    """One case in progress: the conversation, the last reply, the books at the start."""

    def __init__(self, case: Case, world: World) -> None:
        self.case = case
        self.world = world
        self.identity = (
            Identity(case.customer, AuthLevel.IDENTIFIED) if case.customer else Identity.anonymous()
        )
        self.conversation_id: str | None = None
        self.last: list[BotMessage] = []
        self.intent: str | None = None
        self.balances: dict[str, Decimal] = {}
        self.transcript = Transcript()

    async def start(self) -> None:
        if self.case.customer:
            for balance in await self.world.bank.get_balances(self.case.customer):
                self.balances[balance.account_id] = balance.amount
        for number, channel in enumerate(self.case.linked_chats, start=1):
            links = self._links()
            user = f"{CHAT_APPS[channel]}{number:02d}"
            code = await links.issue_code(self.case.customer or "")
            outcome = await links.link(channel, user, code.code)
            if outcome is not LinkOutcome.LINKED:
                raise _Differs(f"linking {channel} chat {user} failed: {outcome.value}")
            self.transcript.aside(f"{channel} chat ending {user[-4:]} is linked")

    def _links(self) -> AccountLinks:
        if self.world.links is None:
            raise _Differs("this run has no account links (World.links)")
        return self.world.links

    async def do(self, step: Step) -> None:
        if step.action == "wait":
            self.world.clock.now += float(step.value)
            self.transcript.aside(f"{step.value} seconds pass")
            return
        if step.action == "agent":
            await self._agent(step.value)
            return
        text, payload = self._message(step)
        self.transcript.customer(text if payload is None else f"{text}  <{payload}>")
        inbound = InboundMessage("rest", text, payload, conversation_id=self.conversation_id)
        outcome = await self.world.engine.handle(self.identity, inbound)
        self.conversation_id = outcome.conversation_id
        self.last, self.intent = outcome.messages, outcome.parse.intent.name
        state = outcome.state
        note = (
            f"intent {self.intent} {outcome.parse.intent.confidence:.2f}, flow {state['flow']},"
            f" awaiting {state['awaiting']}, status {state['status']}"
        )
        self.transcript.replies(self.last, note)

    def _message(self, step: Step) -> tuple[str, str | None]:
        if step.action == "user":
            return step.value, None
        if step.action == "payload":
            return step.value, step.value
        if step.action == "code":
            return self._code(step.value == "wrong"), None
        wanted = step.value.lower()
        for message in self.last:
            for button in message.buttons:
                if wanted in button.title.lower():
                    return button.title, button.payload
        offered = [b.title for m in self.last for b in m.buttons]
        raise _Differs(f"no button like {step.value!r} was offered (offered: {offered})")

    def _code(self, wrong: bool) -> str:
        sent = self.world.outbox.recent(self.case.customer or "")
        found = _CODE.search(sent[0].text) if sent else None
        if found is None:
            raise _Differs("no one-time code was sent")
        code = found.group(0)
        if wrong:  # the same length, every digit different
            code = "".join(str((int(d) + 1) % 10) for d in code)
        return code

    async def _agent(self, move: Any) -> None:
        if self.conversation_id is None:
            raise _Differs("an agent step needs a conversation first")
        desk, cid = self.world.desk, self.conversation_id
        name, text = next(iter(move.items())) if isinstance(move, dict) else (move, "")
        self.transcript.aside(f"agent {name}{': ' + text if text else ''}")
        try:
            if name == "claim":
                events = await desk.claim(TEST_AGENT, cid)
            elif name == "hand_back":
                events = await desk.hand_back(TEST_AGENT, cid)
            elif name == "close":
                events = await desk.close_conversation(TEST_AGENT, cid)
            elif name == "reply":
                events = await desk.reply(TEST_AGENT, cid, str(text))
            else:
                events = await desk.note(TEST_AGENT, cid, str(text))
        except DeskError as exc:
            raise _Differs(f"the desk refused {name}: {exc.code}") from None
        said = (ev.BOT_MESSAGE, ev.AGENT_MESSAGE)  # what the customer sees; a note is not
        self.last = [BotMessage.from_dict(e.data) for e in events if e.type in said]
        self.intent = None

    async def check(self, step: Step) -> None:
        checks = step.checks
        state = await self._state()
        if "intent" in checks and self.intent != checks["intent"]:
            raise _Differs(f"intent: expected {checks['intent']!r}, got {self.intent!r}")
        for key in ("flow", "awaiting", "status"):
            if key in checks and state.get(key) != checks[key]:
                raise _Differs(f"{key}: expected {checks[key]!r}, got {state.get(key)!r}")
        said = "\n".join(m.text for m in self.last)
        for part in _texts(checks.get("says", [])):
            if part.lower() not in said.lower():
                raise _Differs(f"says: expected the reply to contain {part!r}")
        for part in _texts(checks.get("not_says", [])):
            if part.lower() in said.lower():
                raise _Differs(f"not_says: the reply contains {part!r}")
        titles = [b.title.lower() for m in self.last for b in m.buttons]
        for title in _texts(checks.get("buttons", [])):
            if not any(title.lower() in offered for offered in titles):
                raise _Differs(f"buttons: {title!r} was not offered")
        if "shows" in checks:
            self._shows(checks["shows"])
        if "bank" in checks:
            await self._bank(checks["bank"])
        if "linked" in checks:
            chats = await self._links().chats_of(self.case.customer or "")
            if len(chats) != checks["linked"]:
                raise _Differs(
                    f"linked: {len(chats)} chats are linked, expected {checks['linked']}"
                )

    def _shows(self, expected: Any) -> None:
        kind = expected.get("kind") if isinstance(expected, dict) else expected
        shown = [m.attachment for m in self.last if m.attachment is not None]
        if kind == "none":
            if shown:
                raise _Differs(f"shows: expected no rich form, got a {shown[-1].kind}")
            return
        if not shown or shown[-1].kind != kind:
            got = shown[-1].kind if shown else "none"
            raise _Differs(f"shows: expected a {kind}, got {got}")
        texts = [t.lower() for t in _attachment_texts(shown[-1])]
        for part in _texts(expected.get("has", []) if isinstance(expected, dict) else []):
            if not any(part.lower() in t for t in texts):
                raise _Differs(f"shows: the {kind} has no {part!r}")

    async def _state(self) -> dict[str, Any]:
        if self.conversation_id is None:
            return {"flow": None, "awaiting": None, "status": "bot"}
        events = await self.world.store.events(self.conversation_id)
        return ConversationState.replay(self.conversation_id, events).summary()

    async def _bank(self, expected: Any) -> None:
        customer = self.case.customer or ""
        for effect in expected if isinstance(expected, list) else [expected]:
            if "balance" in effect:
                account = effect["balance"]["account"]
                moved = Decimal(str(effect["balance"]["moved"]))
                [now] = await self.world.bank.get_balances(customer, account)
                actual = now.amount - self.balances.get(account, Decimal(0))
                if actual != moved:
                    raise _Differs(f"bank: {account} moved by {actual}, expected {moved}")
            if "card" in effect:
                card, status = str(effect["card"]["card"]), effect["card"]["status"]
                cards = await self.world.bank.list_cards(customer)
                found = [c for c in cards if card in (c.id, c.last4)]
                if [c.status for c in found] != [status]:
                    got = [c.status for c in found] or "no such card"
                    raise _Differs(f"bank: card {card} is {got}, expected {status}")
            if "card_control" in effect:
                await self._card_control(customer, effect["card_control"])
            if "payee" in effect:
                name, present = effect["payee"]["name"], bool(effect["payee"]["present"])
                payees = [p.name for p in await self.world.bank.list_payees(customer, kind=None)]
                if (name in payees) != present:
                    raise _Differs(f"bank: payee {name!r} present is {not present}")

    async def _card_control(self, customer: str, expected: Mapping[str, Any]) -> None:
        """A limit's amount ("800.00"), a switch ("on"/"off") or the PIN ("blocked")."""
        card, control, value = str(expected["card"]), str(expected["control"]), expected["value"]
        found = [c for c in await self.world.bank.list_cards(customer) if card in (c.id, c.last4)]
        if len(found) != 1:
            raise _Differs(f"bank: no card {card}")
        controls = await self.world.bank.card_controls(customer, found[0].id)
        if control == "pin":
            got = "blocked" if controls.pin_blocked else "unblocked"
        elif control in controls.limits:
            got = f"{controls.limits[control].daily:.2f}"
        else:
            got = "on" if controls.switches.get(control) else "off"
        if got != str(value):
            raise _Differs(f"bank: card {card} {control} is {got}, expected {value}")


class _Differs(AssertionError):
    """What a step expected and what happened instead."""


async def run_case(case: Case, open_world: OpenWorld) -> Result:
    async with open_world() as world:
        run = _Run(case, world)
        try:
            await run.start()
        except _Differs as exc:
            return Result(case, f"before the first step: {exc}", run.transcript)
        for number, step in enumerate(case.steps, start=1):
            try:
                await run.do(step)
                await run.check(step)
            except _Differs as exc:
                where = f"step {number} (line {step.line})"
                return Result(case, f"{where}: {exc}", run.transcript)
        return Result(case, None, run.transcript)


async def run_cases(cases: Sequence[Case], open_world: OpenWorld) -> AsyncIterator[Result]:
    for case in cases:
        yield await run_case(case, open_world)


def report(result: Result) -> str:
    """One line for a pass; the conversation so far and the first difference for a failure."""
    if result.ok:
        return f"ok    {result.case.name}"
    lines = [f"FAIL  {result.case.name}  ({result.case.source})", *result.transcript.lines]
    lines.append(f"  >> {result.failure}")
    return "\n".join(lines)
