"""The reducer: state comes only from events, so a replay must rebuild it exactly."""

import pytest

from bot import events as ev
from bot.dialogue.state import ConversationState, Draft
from bot.dialogue.turn import TurnInput
from tests.dialogue.chat import Chat, latest_code, parse


def event(seq: int, event_type: str, **data) -> ev.Event:
    return ev.Event(event_type, data, ts=0.0, seq=seq)


async def test_replayed_state_equals_the_state_built_turn_by_turn(chat: Chat, outbox) -> None:
    await chat.say("send 50 to alice", "transfer_money", amount="50", payee="alice")
    await chat.say("what's my balance", "check_balance")
    await chat.say("yes", "affirm")
    await chat.say("blah", "nlu_fallback")
    await chat.say("yes", "affirm")
    assert chat.summary["awaiting"] == "otp"
    mid_flow = ConversationState.replay(chat.state.conversation_id, chat.events)
    assert mid_flow == chat.state

    await chat.say(latest_code(outbox))
    await chat.say("talk to a human", "human_handoff")
    replayed = ConversationState.replay(chat.state.conversation_id, chat.events)
    assert replayed == chat.state
    assert replayed.status == "queued"
    assert replayed.strong_until == chat.now + 300


async def test_a_step_works_on_a_draft_and_numbers_its_events_after_the_state(
    chat: Chat,
) -> None:
    await chat.say("send money to alice", "transfer_money", payee="alice")
    before = chat.state.copy()
    draft = Draft(chat.state.copy(), chat.now)
    turn = TurnInput(parse("60", amount="60"), "60", chat.identity, chat.now)
    await chat.manager.step(draft, turn)
    assert chat.state == before  # the state the draft was copied from is untouched
    assert draft.state != before
    assert [e.seq for e in draft.events] == list(
        range(before.last_seq + 1, before.last_seq + 1 + len(draft.events))
    )
    assert ConversationState.replay(before.conversation_id, [*chat.events, *draft.events]) == (
        draft.state
    )


def test_reducer_handles_every_event_type() -> None:
    state = ConversationState.replay(
        "c",
        [
            event(1, ev.CONVERSATION_STARTED, customer_id="cust-002", channel="ws"),
            event(2, ev.USER_MESSAGE, text="?", intent="nlu_fallback"),
            event(3, ev.FALLBACK, stage=1),
            event(4, ev.BOT_MESSAGE, text="hm?", buttons=[]),
            event(5, ev.FLOW_STARTED, flow="transfer_money"),
            event(6, ev.SLOT_SET, name="payee", value="Bob"),
            event(7, ev.SLOT_SET, name="amount", value="5.00"),
            event(8, ev.SLOT_SET, name="payee", value=None),
            event(9, ev.STEP_ADVANCED, flow="transfer_money", step=0, awaiting="payee"),
            event(10, ev.FLOW_INTERRUPTED, flow="transfer_money", by="check_balance"),
            event(11, ev.FLOW_STARTED, flow="check_balance"),
            event(12, ev.ACTION_RUN, action="check_balance", ok=True, error=None, result={}),
            event(13, ev.FLOW_COMPLETED, flow="check_balance"),
            event(14, ev.FLOW_RESUMED, flow="transfer_money"),
            event(15, ev.AUTH_STEP, step="otp_issued", challenge={"id": "ch-1"}),
            event(
                16, ev.AUTH_STEP, step="otp_verified", challenge={"id": "ch-1"}, strong_until=9.0
            ),
            event(17, ev.HANDOFF, status="agent", reason="customer_request"),
            event(18, ev.AGENT_MESSAGE, agent_id="a-1", text="Hello"),
        ],
    )
    assert (state.customer_id, state.channel, state.status) == ("cust-002", "ws", "agent")
    assert state.last_seq == 18
    assert state.fallback_count == 1
    assert state.strong_until == 9.0
    [frame] = state.stack
    assert (frame.flow, frame.step, frame.awaiting) == ("transfer_money", 0, "payee")
    assert frame.slots == {"amount": "5.00"}
    assert frame.challenge == {"id": "ch-1"}

    state.apply(event(19, ev.USER_MESSAGE, text="hi", intent="greet"))
    state.apply(event(20, ev.FLOW_CANCELLED, flow="transfer_money", reason="customer"))
    assert state.fallback_count == 0
    assert state.stack == []


def test_a_draft_that_opens_a_conversation_numbers_its_opening_one() -> None:
    draft = Draft(ConversationState("c"), now=5.0)
    opening = draft.add(ev.CONVERSATION_STARTED, customer_id=None, channel="ws")
    assert (opening.seq, opening.ts) == (1, 5.0)
    fresh = draft.state
    assert (fresh.customer_id, fresh.channel, fresh.status) == (None, "ws", "bot")
    assert fresh.last_seq == 1
    assert fresh == ConversationState.replay("c", [opening])


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type 'telepathy'"):
        ConversationState("c").apply(event(1, "telepathy"))


@pytest.mark.parametrize(
    ("awaiting", "shown"),
    [("amount", "amount"), ("otp", "otp"), ("confirm", None), ("resume", None), (None, None)],
)
def test_summary_shows_slot_names_and_otp_only(awaiting: str | None, shown: str | None) -> None:
    state = ConversationState.replay(
        "c",
        [
            event(1, ev.FLOW_STARTED, flow="transfer_money"),
            event(2, ev.STEP_ADVANCED, flow="transfer_money", step=1, awaiting=awaiting),
        ],
    )
    assert state.summary() == {"flow": "transfer_money", "awaiting": shown, "status": "bot"}
    assert ConversationState("c").summary() == {"flow": None, "awaiting": None, "status": "bot"}
