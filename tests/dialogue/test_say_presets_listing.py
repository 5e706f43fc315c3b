"""The `say` step, preset `slots:` and `listed: false`, on a small domain of their own."""

from pathlib import Path

import pytest

from bot import events as ev
from bot.config import Settings
from bot.dialogue.domain import DomainError, load_domain
from bot.handlers import Action, ActionContext, ActionResult, Reply, declared
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, make_manager
from tests.dialogue.conftest import DOMAIN
from tests.dialogue.stand_ins import Directory

FLOWS = """
flows:
  show_kind:
    intent: show_kind
    description: Show a kind
    listed: false
    slots: {kind: card_payment, shown: true}
    steps:
      - say: utter_before
      - action: show
      - say: utter_after
  visible:
    intent: visible
    description: A listed flow
    steps:
      - say: utter_after
answers:
  help: utter_help
"""
RESPONSES = """
responses:
  utter_before:
    - text: "Looking up your {kind} items."
  utter_after:
    - text: "That's all."
  utter_shown:
    - text: "Shown: {kind}."
  utter_help:
    - text: "I can:\\n{capabilities}"
  help_topics:
    - text: "• Showing things"
"""


ALONE = (
    RESPONSES
    + """  utter_flow_cancelled:
    - text: "Stopped."
"""
)


def _engine_responses() -> str:
    """The engine's own responses (sign-in, fallback, codes...) from the real domain."""
    return (DOMAIN / "responses.yml").read_text()


@pytest.fixture
def small_chat(tmp_path: Path) -> tuple[Chat, list[dict]]:
    (tmp_path / "flows.yml").write_text(FLOWS)
    (tmp_path / "responses.yml").write_text(RESPONSES)
    (tmp_path / "engine.yml").write_text(
        _engine_responses()
        .replace("  utter_help:", "  utter_help_unused:", 1)
        .replace("  help_topics:", "  help_topics_unused:", 1)
    )
    seen: list[dict] = []

    async def show(ctx: ActionContext) -> ActionResult:
        seen.append(dict(ctx.slots))
        return ActionResult(replies=[Reply("utter_shown", {"kind": ctx.slots["kind"]})])

    actions = {"show": Action("show", show, declared({"utter_shown": ["kind"]}))}
    domain = load_domain(tmp_path)
    settings = Settings()
    return Chat(make_manager(domain, actions, Directory(), DevOutbox(), settings)), seen


async def test_say_steps_speak_in_order_and_presets_reach_the_action(small_chat) -> None:
    chat, seen = small_chat
    said = [m.text for m in await chat.send("show me", "show_kind")]
    assert said == ["Looking up your card_payment items.", "Shown: card_payment.", "That's all."]
    assert seen == [{"kind": "card_payment", "shown": True}]
    started = [e.data for e in chat.of_type(ev.SLOT_SET)]
    assert started[:2] == [
        {"name": "kind", "value": "card_payment"},
        {"name": "shown", "value": True},
    ]
    assert chat.state.stack == []  # the flow ran to its end


async def test_help_lists_topics_and_unlisted_flows_stay_off_blind_clarify(small_chat) -> None:
    chat, _ = small_chat
    assert await chat.say("help", "help") == "I can:\n• Showing things"
    [message] = await chat.send("zzz", "nlu_fallback")
    assert [b.payload for b in message.buttons] == ["/visible"]
    # ...but when the NLU ranks it, an unlisted flow is still offered.
    await chat.send("help", "help")  # understood: the next miss is a first one again
    [message] = await chat.send("hmm", "nlu_fallback", ranking=(("show_kind", 0.4),))
    assert message.buttons[0].payload == "/show_kind"


@pytest.mark.parametrize(
    ("flow", "message"),
    [
        ("slots: [kind]", "`slots` must map slot names to plain values"),
        ("slots: {kind: [a, b]}", "`slots` must map slot names to plain values"),
        ("listed: maybe", "`listed` and `protective` must be true or false"),
    ],
)
def test_bad_presets_and_listing_are_refused_at_load(tmp_path: Path, flow, message) -> None:
    body = f"""
flows:
  broken:
    intent: broken
    description: Broken
    {flow}
    steps:
      - say: utter_before
"""
    (tmp_path / "flows.yml").write_text(body)
    (tmp_path / "responses.yml").write_text(ALONE)
    with pytest.raises(DomainError, match=message):
        load_domain(tmp_path)


def test_a_say_step_needs_a_known_response(tmp_path: Path) -> None:
    (tmp_path / "flows.yml").write_text(
        "flows:\n  f:\n    intent: f\n    description: F\n    steps:\n      - say: utter_nope\n"
    )
    (tmp_path / "responses.yml").write_text(ALONE)
    with pytest.raises(DomainError, match="unknown response 'utter_nope'"):
        load_domain(tmp_path)
