"""Two things every write relies on, on a small domain of their own: each action step has
an idempotency key, code or no code, and a step_up the bank's settings exempt asks for none."""

from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Settings
from bot.dialogue.domain import DomainError, load_domain
from bot.dialogue.manager import DialogueManager
from bot.handlers import Action, ActionContext, ActionResult, Reply, declared
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, make_manager
from tests.dialogue.conftest import DOMAIN
from tests.dialogue.stand_ins import Directory

FLOWS = """
flows:
  tidy:
    intent: tidy
    description: Tidy up
    steps:
      - action: write
  move:
    intent: move
    description: Move money between your accounts
    slots: {what: savings}
    steps:
      - step_up:
          operation: [what]
          description: "move money to {what}"
          exempt_as: own_account_transfer
      - action: write
"""
RESPONSES = """
responses:
  utter_written:
    - text: "Done."
"""


def _manager(tmp_path: Path, settings: Settings, keys: list[str | None]) -> DialogueManager:
    (tmp_path / "flows.yml").write_text(FLOWS)
    (tmp_path / "responses.yml").write_text(RESPONSES)
    (tmp_path / "engine.yml").write_text((DOMAIN / "responses.yml").read_text())

    async def write(ctx: ActionContext) -> ActionResult:
        keys.append(ctx.idempotency_key)
        return ActionResult(replies=[Reply("utter_written")])

    actions = {"write": Action("write", write, declared({"utter_written": []}))}
    domain = load_domain(tmp_path)
    return make_manager(domain, actions, Directory(), DevOutbox(), settings)


async def test_each_run_of_a_flow_gives_its_action_one_key_of_its_own(tmp_path: Path) -> None:
    """A write without a code (cancelling a standing order) still reaches the bank with an
    idempotency key: the same one if the turn is replayed, a new one for the next request."""
    keys: list[str | None] = []
    manager = _manager(tmp_path, Settings(), keys)
    chat = Chat(manager)
    before = chat.state.copy()
    await chat.send("tidy up", "tidy")
    chat.state = before  # the same turn again, as after a crash before its events were stored
    await chat.send("tidy up", "tidy")
    await chat.send("and again", "tidy")
    await Chat(manager).send("tidy up", "tidy")
    assert all(keys) and keys[0] == keys[1]
    assert len({keys[0], keys[2], keys[3]}) == 3


async def test_an_exempt_operation_goes_ahead_without_a_code(tmp_path: Path) -> None:
    keys: list[str | None] = []
    chat = Chat(_manager(tmp_path, Settings(), keys))
    assert await chat.say("move it", "move") == "Done."
    assert len(keys) == 1


async def test_without_the_exemption_the_same_operation_asks_for_a_code(tmp_path: Path) -> None:
    settings = Settings()
    settings = replace(settings, otp=replace(settings.otp, exempt=()))
    keys: list[str | None] = []
    chat = Chat(_manager(tmp_path, settings, keys))
    said = await chat.say("move it", "move")
    assert "code" in said and keys == []


def test_a_step_up_with_an_unknown_key_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "flows.yml").write_text(FLOWS.replace("exempt_as:", "exempt:"))
    (tmp_path / "responses.yml").write_text(RESPONSES)
    (tmp_path / "engine.yml").write_text((DOMAIN / "responses.yml").read_text())
    with pytest.raises(DomainError, match="unknown keys"):
        load_domain(tmp_path)
