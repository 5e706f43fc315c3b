"""The domain files are checked at load time, with errors that name the file and the flow."""

from pathlib import Path

import pytest

from actions.registry import load_actions
from bot.config import Settings
from bot.dialogue.domain import Domain, DomainError, load_domain
from bot.dialogue.manager import ANSWER_VARIABLES, SAYS
from bot.handlers import Action, ActionResult, declared
from bot.messages import BotMessage, Button
from bot.store.memory import DevOutbox
from tests.dialogue.chat import make_manager


async def _nothing(_: object) -> ActionResult:
    return ActionResult()


ACTIONS = {
    "do_it": Action("do_it", _nothing, declared({"utter_done": ["name"]})),
    "validate_thing": Action("validate_thing", _nothing, sets=frozenset({"name"})),
}


def checked(directory: Path, actions: dict[str, Action] = ACTIONS) -> Domain:
    """Load and check the domain as the dialogue manager does."""
    domain = load_domain(directory)
    domain.require_flows(actions, ANSWER_VARIABLES)
    return domain


RESPONSES = """
responses:
  utter_ask_thing:
    - text: "Which thing?"
  utter_flow_cancelled:
    - text: "Stopped {label}."
  utter_done:
    - text: "Done, {name}."
      buttons:
        - {title: "Again", payload: /again}
    - text: "All done, {name}."
"""
FLOW = """
flows:
  do_it:
    intent: do_it
    description: Do the thing
    steps:
      - collect: thing
        ask: utter_ask_thing
        validate: validate_thing
      - action: do_it
"""


def write(directory: Path, **files: str) -> Path:
    for name, text in files.items():
        (directory / f"{name}.yml").write_text(text)
    return directory


def test_a_valid_domain_loads_with_flows_answers_and_responses(tmp_path: Path) -> None:
    domain = checked(
        write(tmp_path, responses=RESPONSES, flows=FLOW + "answers:\n  greet: utter_ask_thing\n")
    )
    flow = domain.flow_for("do_it")
    assert flow is not None and flow.label == "do it" and not flow.moves_money
    assert [s.kind for s in flow.steps] == ["collect", "action"]
    assert domain.answers["greet"].response == "utter_ask_thing"
    assert domain.description_of("do_it") == "Do the thing"
    assert domain.description_of("greet") == ""  # no description: not offered on buttons


def test_a_flow_without_an_intent_is_started_only_by_its_own_name(tmp_path: Path) -> None:
    offered = FLOW.replace("    intent: do_it\n", "")
    domain = checked(write(tmp_path, responses=RESPONSES, flows=offered))
    flow = domain.flow_for("do_it")  # a button's payload `/do_it`
    assert flow is not None and flow.intent is None
    assert domain.flow_for("greet") is None
    assert "do_it" not in domain.triggers  # no intent: the NLU never starts it


def test_the_real_domain_fills_every_placeholder_of_the_real_actions() -> None:
    directory = Path(__file__).resolve().parents[2] / "bot" / "domain"
    domain = checked(directory, load_actions())
    domain.require(SAYS, "the dialogue")
    transfer = domain.flows["transfer_money"]
    assert transfer.moves_money and transfer.requires_identified
    for intent in ("check_balance", "transaction_history", "transfer_money", "human_handoff"):
        assert domain.flow_for(intent) is not None
    for intent in ("greet", "goodbye", "thank_you", "help", "out_of_scope", "affirm", "deny"):
        assert intent in domain.answers


@pytest.mark.parametrize(
    ("flows", "message"),
    [
        (FLOW.replace("utter_ask_thing", "utter_nope"), "step 1: unknown response 'utter_nope'"),
        (FLOW.replace("action: do_it", "action: fly"), "step 2: unknown action 'fly'"),
        (FLOW.replace("action: do_it", "teleport: do_it"), "step 2: unknown step kind"),
        (FLOW.replace("validate: validate_thing", "validate: guess"), "unknown action 'guess'"),
        (FLOW.replace("        ask: utter_ask_thing\n", ""), "step 1: unknown response None"),
        (FLOW.replace("    description: Do the thing\n", ""), "needs a `description`"),
        (FLOW.replace("    steps:", "    requires: vip\n    steps:"), "`requires` can only"),
        (FLOW.replace("    steps:", "    colour: red\n    steps:"), "unknown keys ['colour']"),
        (FLOW.replace("ask: utter_ask_thing", "ask: utter_ask_thing\n        asks: x"), "asks"),
    ],
)
def test_bad_flows_are_refused_naming_file_and_flow(
    tmp_path: Path, flows: str, message: str
) -> None:
    write(tmp_path, responses=RESPONSES, flows=flows)
    with pytest.raises(DomainError) as error:
        checked(tmp_path)
    assert str(tmp_path / "flows.yml") in str(error.value)
    assert "flow 'do_it'" in str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "responses:\n  utter_done:\n    - text: again\n",
            "response 'utter_done' is defined twice",
        ),
        ("answers:\n  greet: utter_missing\n", "answer 'greet': unknown response 'utter_missing'"),
        ("answers:\n  do_it: utter_done\n", "intent already triggers flow 'do_it'"),
        ("responses:\n  utter_x:\n    - text: 'Hi {name'\n", "bad template"),
        ("responses:\n  utter_x:\n    - words: hi\n", "each variant needs a `text`"),
        ("responses:\n  utter_x:\n    - text: hi\n      buttons: [{title: a}]\n", "button needs"),
        ("slots:\n  a: 1\n", "top level must be a mapping"),
        ("responses: [1, 2]\n", "responses must be a mapping"),
        (
            "flows:\n  other:\n    intent: do_it\n    description: x\n    steps:\n"
            "      - action: do_it\n",
            "intent 'do_it' already triggers flow 'do_it'",
        ),
        (
            "flows:\n  pay:\n    description: x\n    steps:\n      - step_up: {operation: [a]}\n",
            "step_up needs a `description`",
        ),
        ("responses: {a: [\n", "not valid YAML"),
    ],
)
def test_bad_sections_are_refused_naming_the_file(tmp_path: Path, extra: str, message: str) -> None:
    write(tmp_path, responses=RESPONSES, flows=FLOW, zz_extra=extra)
    with pytest.raises(DomainError) as error:
        checked(tmp_path)
    assert message in str(error.value)
    assert "zz_extra.yml" in str(error.value)


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match=r"no \*\.yml domain files"):
        load_domain(tmp_path)


def test_missing_engine_responses_are_named(tmp_path: Path) -> None:
    domain = checked(write(tmp_path, responses=RESPONSES, flows=FLOW))
    with pytest.raises(DomainError, match="utter_ask_resume"):
        domain.require(SAYS, "the dialogue")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # the action's reply uses a variable the action does not fill and no slot sets
        (
            ("Done, {name}.", "Done, {name}, {colour}."),
            "step 2 (do_it): response 'utter_done' uses {colour}, which nothing sets there",
        ),
        # a question about the slot before anything has set it
        (
            ('"Which thing?"', '"Which thing, {name}?"'),
            "step 1: response 'utter_ask_thing' uses {name}, which nothing sets there",
        ),
        # the cancel message may use the label and any slot, but not more
        (
            ("Stopped {label}.", "Stopped {label} at {step}."),
            "flow 'do_it': response 'utter_flow_cancelled' uses {step}",
        ),
    ],
)
def test_a_placeholder_no_caller_fills_is_refused_naming_file_flow_and_step(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    write(tmp_path, responses=RESPONSES.replace(*change), flows=FLOW)
    with pytest.raises(DomainError) as error:
        checked(tmp_path)
    assert message in str(error.value)
    assert str(tmp_path / "flows.yml") in str(error.value)


def test_code_that_renders_a_response_must_fill_its_placeholders(tmp_path: Path) -> None:
    domain = checked(write(tmp_path, responses=RESPONSES, flows=FLOW))
    problems = domain.problems(declared({"utter_done": [], "utter_gone": []}), "the desk")
    assert problems == [
        f"{tmp_path / 'responses.yml'}: response 'utter_done' uses {{name}}, "
        "which the desk does not fill",
        "the desk says 'utter_gone', which no domain file defines",
    ]


def test_rendering_picks_variants_by_seq_and_appends_runtime_buttons(tmp_path: Path) -> None:
    domain = checked(write(tmp_path, responses=RESPONSES, flows=FLOW))
    first = domain.render("utter_done", {"name": "Jo"}, seq=4, buttons=[("More", "/more")])
    assert first.text == "Done, Jo."
    assert first.buttons == (Button("Again", "/again"), Button("More", "/more"))
    assert domain.render("utter_done", {"name": "Jo"}, seq=5).text == "All done, Jo."
    assert domain.render("utter_done", {"name": "Jo"}, seq=6) == BotMessage(
        "Done, Jo.", first.buttons[:1]
    )
    assert domain.render("utter_done", {}, seq=5).text == "All done, ."  # never a crash


def test_the_manager_refuses_a_domain_naming_unregistered_actions(
    domain_dir: Path,
) -> None:
    domain = load_domain(domain_dir)  # actions unchecked until the manager is built
    with pytest.raises(
        DomainError,
        match=r"flows\.yml: flow 'check_balance' step 1: unknown action 'check_balance'",
    ):
        make_manager(domain, {}, None, DevOutbox(), Settings())
