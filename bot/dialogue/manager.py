"""The dialogue manager: given the state and one parsed message, decide what happens next.

Flows are data (bot/domain/flows.yml); this module is the small interpreter that walks them,
and the conversational rules around them: prefill from entities, re-prompts, corrections,
cancel, digressions and resuming, the two-stage fallback and the hand-off to a person.
Whether money moves is decided here deterministically, never by the NLU.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot import events as ev
from bot.auth.lockout import CustomerLockout
from bot.auth.otp import OtpService
from bot.bank import Bank
from bot.config import Settings
from bot.dialogue import alerts, step_up
from bot.dialogue.domain import Answer, Domain, Flow, Step
from bot.dialogue.state import CONFIRM, OFFER, OTP, RESUME, SWITCH, Draft, Frame
from bot.dialogue.turn import Outcome, Turn, TurnInput
from bot.handlers import Action, ActionContext, ActionResult, Files, LinkedChats, Reply, declared
from bot.nlu.types import FALLBACK_INTENT, Parse
from bot.ports import Notifier, Presence
from bot.redact import mask_card_numbers

log = logging.getLogger(__name__)

HELP_TOPICS = "help_topics"
SHORT_ANSWER_WORDS = 2  # at most this many words, while a slot is asked for, answer it
ENTITY_ANSWER_WORDS = 6  # ... and this many when an entity in them fills the slot asked for
# What the dialogue itself says, with the variables it fills in.
SAYS = declared(
    {
        "utter_sign_in": ["label"],
        "utter_flow_cancelled": ["label"],
        "utter_nothing_to_cancel": [],
        "utter_ask_resume": ["label"],
        "utter_ask_switch": ["label", "job"],
        "utter_offer_job": ["job"],
        "utter_job_not_started": [],
        "utter_job_or_faq": [],
        "utter_clarify": [],
        "utter_offer_human": [],
        "utter_offer_human_after_failures": [],
        "utter_handoff_queued": [],
        "utter_handoff_offline": [],
        "utter_handoff_waiting": [],
        "utter_handoff_message_taken": [],
        "utter_handoff_cancelled": [],
        "utter_action_failed": [],
        HELP_TOPICS: [],
        **step_up.SAYS,
    }
)
ANSWER_VARIABLES = frozenset({"capabilities"})  # what an `answers:` response may use
# Inside a flow these intents are answers to the question asked, not requests of their own.
_CONTEXTUAL = frozenset({"affirm", "deny", "inform", "out_of_scope", FALLBACK_INTENT})
# "How do I send money abroad?" asks about a job; "can you send £20 to Bob?" asks for it.
_QUESTION = re.compile(
    r"^\s*(?:how\b|can i\b|could i\b|may i\b|am i able\b|is it possible\b|is there\b"
    r"|what\b|where\b|when\b|why\b|do you\b|does\b)|\?\s*$",
    re.IGNORECASE,
)
_REQUEST = re.compile(r"^\s*(?:(?:can|could|would|will) you\b|please\b)", re.IGNORECASE)


def idempotency_key(conversation_id: str, frame: Frame) -> str:
    """One key per operation: a replayed turn can never pay twice.

    A code names the operation it approved; without one, this run of the flow and the step
    it stands at do (one action step writes once per run).
    """
    challenge = frame.challenge
    name = challenge["id"] if challenge else f"{frame.flow}:{frame.started_seq}:{frame.step}"
    return hashlib.sha256(f"{conversation_id}:{name}".encode()).hexdigest()


class DialogueManager:
    def __init__(
        self,
        *,
        domain: Domain,
        actions: Mapping[str, Action],
        bank: Bank,
        otp: OtpService,
        lockout: CustomerLockout,
        settings: Settings,
        presence: Presence | None = None,
        links: LinkedChats | None = None,
        budget_alerts: alerts.BudgetAlerts | None = None,
        files: Files | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        """`lockout` counts across every worker in production (Redis). Without `presence`
        the bot assumes a colleague is online when it queues; `links` are the customers'
        linked chat apps, for the actions that list and revoke them."""
        domain.require(SAYS, "the dialogue")
        if budget_alerts is not None:
            domain.require(alerts.SAYS, "budget alerts")
        self._alerts = budget_alerts
        domain.require_flows(actions, ANSWER_VARIABLES)
        self._domain = domain
        self._actions = actions
        self._bank = bank
        self._step_up = step_up.StepUp(otp, bank, settings, lockout)
        self._clarify_options = settings.dialogue.clarify_options
        self._job_or_faq_margin = settings.dialogue.job_or_faq_margin
        self._presence = presence
        self._links = links
        self._files = files
        self._notifier = notifier
        self._handoff_settings = settings.handoff
        self._alert_reply_window = settings.alerts.reply_window_seconds
        # Help lists areas, not flows, so it stays short as jobs grow.
        self._capabilities = domain.text(HELP_TOPICS, {})

    async def step(self, draft: Draft, turn: TurnInput) -> None:
        """Add this turn's events to `draft`, after the customer's message already in it."""
        if draft.state.status == "agent":
            return  # a person is talking to the customer: the bot keeps quiet
        t = Turn(draft, self._domain, turn)
        await self._route(t)
        await self._tell_budget_alerts(t)

    async def _tell_budget_alerts(self, t: Turn) -> None:
        """What a payment did to the customer's budgets since they last heard, after the
        turn's own answer (bot/dialogue/alerts.py)."""
        if self._alerts is None or not t.customer_id or t.state.status != "bot":
            return
        acted = any(e.type == ev.ACTION_RUN and e.data.get("ok") for e in t.draft.events)
        conversation_id = t.state.conversation_id
        for key, variables in await self._alerts.due(
            t.customer_id, conversation_id, t.input.now, acted
        ):
            category = f"category_{variables['category']}"
            if category in self._domain.responses:
                variables["category"] = self._domain.text(category, {})
            t.say(key, variables)

    async def _route(self, t: Turn) -> None:
        if t.state.status == "queued":
            await self._while_queued(t)
            return
        if t.state.status == "closed":
            t.emit(ev.HANDOFF, status="bot", reason="customer_returned")
        frame = t.state.top
        resending = frame is not None and frame.awaiting == OTP and self._step_up.wants_resend(t)
        if _is_cancel(t) and not resending:  # "send it again" may read as cancel; it is not
            self._cancel_all(t)
            return
        if frame is None:
            await self._idle(t)
            return
        flow = self._domain.flows[frame.flow]
        if frame.awaiting == SWITCH:
            await self._on_switch(t, frame)
            return
        if frame.awaiting == OFFER:
            await self._on_offer(t, frame, flow)
            return
        target = self._domain.flow_for(t.intent)
        answering_code = frame.awaiting == OTP and self._step_up.is_code(t)
        step = flow.steps[frame.step]
        if (
            target is not None
            and t.state.frame(target.name) is None
            and not answering_code
            and not _answers_the_question(t, frame, step, target)
        ):
            await self._digress(t, frame, target)
            return
        if frame.awaiting == OTP and not answering_code and not resending:
            values = flow.slot_values(t.input.parse)
            if values:  # "make it 70 instead": the code no longer fits what was confirmed
                await self._reconfirm(t, frame, flow, values)
                return
        if frame.awaiting == OTP:
            await self._after(t, await self._step_up.on_reply(t, frame, flow, step))
        elif frame.awaiting == CONFIRM:
            await self._on_confirm(t, frame, flow, step)
        elif frame.awaiting == RESUME:
            await self._on_resume(t, frame, flow, step)
        elif frame.awaiting == step.slot:
            await self._on_slot(t, frame, flow, step)
        else:
            await self._run(t)  # nothing pending: carry on where the flow stands

    # -- outside flows --------------------------------------------------------------------

    async def _idle(self, t: Turn) -> None:
        flow = self._domain.flow_for(t.intent)
        answer = self._domain.answers.get(t.intent)
        choices = self._job_or_faq(t) if flow is not None or answer is not None else []
        if choices:
            t.say("utter_job_or_faq", buttons=choices)
        elif flow is not None:
            if self._may_start(t, flow):
                await self._start(t, flow, offer=flow.moves_money and _asks_about(t, flow))
        elif answer is not None:
            self._answer(t, answer)
        else:
            self._fallback(t)

    def _answer(self, t: Turn, answer: Answer) -> None:
        t.say(answer.response, {"capabilities": self._capabilities})

    def _fallback(self, t: Turn) -> None:
        """First miss: offer the likeliest intents. Second in a row: offer a person."""
        if t.state.fallback_count == 0:
            t.emit(ev.FALLBACK, stage=1)
            t.say("utter_clarify", buttons=self._clarify_buttons(t.input.parse))
        else:
            t.emit(ev.FALLBACK, stage=2)
            t.say("utter_offer_human")

    def _clarify_buttons(self, parse: Parse) -> list[tuple[str, str]]:
        offers = [
            (self._domain.description_of(score.name), f"/{score.name}")
            for score in parse.ranking
            if score.name != FALLBACK_INTENT
        ]
        offers = [offer for offer in offers if offer[0]]
        if not offers:  # the ranking says nothing useful: offer what Teller does
            offers = [
                (f.description, f"/{f.intent}") for f in self._domain.triggers.values() if f.listed
            ]
        return offers[: self._clarify_options]

    async def _while_queued(self, t: Turn) -> None:
        """Every message is stored for the colleague; the bot only says what happens next."""
        if _is_cancel(t):
            t.emit(ev.HANDOFF, status="bot", reason="customer_cancelled")
            t.say("utter_handoff_cancelled")
        elif await self._agents_online():
            t.say("utter_handoff_waiting")
        else:
            t.say("utter_handoff_message_taken")

    async def _agents_online(self) -> bool:
        return self._presence is None or await self._presence.online() > 0

    # -- starting, stopping and resuming flows --------------------------------------------

    def _may_start(self, t: Turn, flow: Flow) -> bool:
        if flow.requires_identified and t.customer_id is None:
            if flow.signed_out:
                t.say(flow.signed_out)
            else:
                t.say("utter_sign_in", {"label": flow.label})
            return False
        return True

    def _job_or_faq(self, t: Turn) -> list[tuple[str, str]]:
        """A job and an FAQ the NLU finds about equally likely, as two buttons, the job
        first; none when one clearly leads ("I want to transfer money" may mean sending
        money, or how to pay in from another bank: neither is guessed)."""
        parse = t.input.parse
        floor = parse.intent.confidence - self._job_or_faq_margin
        close = [score.name for score in parse.ranking if score.confidence >= floor]
        jobs = [f for f in map(self._domain.flow_for, close) if f is not None and f.is_job]
        answers = self._domain.answers
        faqs = [name for name in close if name in answers and answers[name].description]
        if not jobs or not faqs or t.intent not in (jobs[0].intent, faqs[0]):
            return []
        return [
            (jobs[0].description, f"/{jobs[0].intent}"),
            (answers[faqs[0]].description, f"/{faqs[0]}"),
        ]

    async def _start(
        self,
        t: Turn,
        flow: Flow,
        slots: Mapping[str, Any] | None = None,
        *,
        offer: bool = False,
    ) -> None:
        """Push the flow, prefill slots from the message's entities, and run it; with
        `offer`, first ask whether to start it at all."""
        t.emit(ev.FLOW_STARTED, flow=flow.name)
        for name, value in flow.preset.items():
            t.emit(ev.SLOT_SET, name=name, value=value)
        given = flow.slot_values(t.input.parse) if slots is None else slots
        for name, value in given.items():
            t.emit(ev.SLOT_SET, name=name, value=value)
        for name, value in self._from_alert(t, flow).items():
            if name not in given:  # what the message said wins over what the alert was about
                t.emit(ev.SLOT_SET, name=name, value=value)
        if offer:
            t.emit(ev.STEP_ADVANCED, flow=flow.name, step=0, awaiting=OFFER)
            t.say("utter_offer_job", {"job": flow.job})
            return
        await self._run(t)

    def _from_alert(self, t: Turn, flow: Flow) -> Mapping[str, Any]:
        """A reply to an alert continues from it: "that wasn't me" soon after a card-abroad
        alert starts the fraud flow about that card (the alert names the flow it leads to
        and the slots it fills: connectors/bank_events.py)."""
        alert = t.state.last_alert
        if not alert or alert.get("continues") != flow.name:
            return {}
        if t.input.now - float(alert.get("at", 0)) > self._alert_reply_window:
            return {}
        return dict(alert.get("slots") or {})

    async def _on_offer(self, t: Turn, frame: Frame, flow: Flow) -> None:
        """Yes starts the job; no, or anything else, leaves it unbegun."""
        if t.intent == "affirm":
            t.emit(ev.STEP_ADVANCED, flow=flow.name, step=0, awaiting=None)
            await self._run(t)
            return
        t.emit(ev.FLOW_CANCELLED, flow=flow.name, reason="not_started")
        if t.intent == "deny":
            t.say("utter_job_not_started")
            self._offer_resume(t)
        else:
            await self._route(t)

    async def _digress(self, t: Turn, frame: Frame, target: Flow) -> None:
        """Run another flow on top of the waiting one, then offer to go back to it.

        Starting another job in the middle of one is asked first: no carries on where the
        customer was, yes puts the first on hold and offers it back afterwards."""
        current = self._domain.flows[frame.flow]
        if not self._may_start(t, target):
            self._reask(t, frame)
            return
        helps = frame.awaiting in target.returns.values()  # e.g. adding the payee it asks for
        asides = frame.awaiting == RESUME or target.protective or helps
        if target.is_job and current.is_job and not asides:
            offer = {"flow": target.name, "slots": target.slot_values(t.input.parse)}
            t.emit(
                ev.STEP_ADVANCED,
                flow=frame.flow,
                step=frame.step,
                awaiting=SWITCH,
                offer={**offer, "was": frame.awaiting},
            )
            t.say("utter_ask_switch", {"label": current.label, "job": target.job})
            return
        t.emit(ev.FLOW_INTERRUPTED, flow=frame.flow, by=target.name)
        await self._start(t, target)

    async def _on_switch(self, t: Turn, frame: Frame) -> None:
        offer = frame.offer or {}
        target = self._domain.flows.get(str(offer.get("flow")))
        t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=frame.step, awaiting=offer.get("was"))
        if target is None or t.intent == "deny":
            self._reask(t, frame)
        elif t.intent == "affirm":
            t.emit(ev.FLOW_INTERRUPTED, flow=frame.flow, by=target.name)
            await self._start(t, target, dict(offer.get("slots") or {}))
        else:  # not an answer to the question: carry on, taking the message as it comes
            await self._route(t)

    def _cancel(self, t: Turn, frame: Frame, reason: str) -> None:
        flow = self._domain.flows[frame.flow]
        t.say(flow.cancelled, {**frame.slots, "label": flow.label})
        t.emit(ev.FLOW_CANCELLED, flow=flow.name, reason=reason)

    def _cancel_all(self, t: Turn) -> None:
        if not t.state.stack:
            t.say("utter_nothing_to_cancel")
        while (frame := t.state.top) is not None:
            self._cancel(t, frame, "customer")

    def _offer_resume(self, t: Turn) -> None:
        """After a digression ends, ask before going back to the flow it interrupted."""
        frame = t.state.top
        if frame is None:
            return
        t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=frame.step, awaiting=RESUME)
        t.say("utter_ask_resume", {"label": self._domain.flows[frame.flow].label})

    async def _on_resume(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> None:
        if t.intent == "affirm":
            t.emit(ev.FLOW_RESUMED, flow=flow.name)
            challenge = frame.challenge or {}
            expired = float(challenge.get("expires_at", 0)) <= t.input.now
            if step.kind == "step_up" and expired and self._back_to_confirm(t, frame, flow):
                return  # the code sent before it was put on hold is gone: confirm anew
            self._ask(t, frame, step)
        elif t.intent == "deny":
            self._cancel(t, frame, "not_resumed")
            self._offer_resume(t)
        else:
            self._answer_aside(t)
            t.say("utter_ask_resume", {"label": flow.label})

    # -- running steps --------------------------------------------------------------------

    async def _run(self, t: Turn) -> None:
        """Run steps of the top flow until one waits for the customer or the flow ends."""
        while (frame := t.state.top) is not None:
            flow = self._domain.flows[frame.flow]
            if frame.step >= len(flow.steps):
                t.emit(ev.FLOW_COMPLETED, flow=flow.name)
                if self._hand_back(t, flow, frame.slots):
                    continue  # the interrupted flow goes on with what this one found
                self._offer_resume(t)
                return
            step = flow.steps[frame.step]
            if step.kind == "collect":
                outcome = await self._collect(t, frame, flow, step)
            elif step.kind == "confirm":
                outcome = self._ask(t, frame, step)
            elif step.kind == "step_up":
                outcome = await self._step_up.begin(t, frame, flow, step)
            elif step.kind == "action":
                outcome = await self._action(t, frame, flow, step)
            elif step.kind == "say":
                t.say(step.response, frame.slots)
                outcome = Outcome.NEXT
            else:
                attached = {
                    name: frame.slots[name] for name in step.attach if frame.slots.get(name)
                }
                outcome = await self._handoff(t, step.reason, attached)
            if outcome is not Outcome.NEXT:
                await self._after(t, outcome)
                return
            t.emit(ev.STEP_ADVANCED, flow=flow.name, step=frame.step + 1, awaiting=None)

    def _hand_back(self, t: Turn, flow: Flow, slots: Mapping[str, Any]) -> bool:
        """Give a completed digression's `returns` slot to the flow it interrupted when that
        flow was asking for it; it then resumes at once (the customer started the digression
        for it). False if nothing was handed back."""
        below = t.state.top
        if below is None:
            return False
        values = {
            theirs: slots[mine]
            for mine, theirs in flow.returns.items()
            if slots.get(mine) and theirs == below.awaiting  # only what it was asking for
        }
        if not values:
            return False
        t.emit(ev.FLOW_RESUMED, flow=below.flow)
        for name, value in values.items():
            t.emit(ev.SLOT_SET, name=name, value=value)
        t.emit(ev.STEP_ADVANCED, flow=below.flow, step=below.step, awaiting=None)
        return True

    async def _after(self, t: Turn, outcome: Outcome) -> None:
        """Continue once a pending step has been answered."""
        if outcome is Outcome.NEXT:
            frame = t.state.top
            assert frame is not None
            t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=frame.step + 1, awaiting=None)
            await self._run(t)
        elif outcome is Outcome.STOP:
            self._offer_resume(t)

    def _ask(self, t: Turn, frame: Frame, step: Step) -> Outcome:
        """Ask (again) for what `step` needs, and mark the frame as waiting for it."""
        awaits = step.awaits
        if frame.awaiting != awaits:
            t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=frame.step, awaiting=awaits)
        if step.kind == "collect":
            t.say(step.ask, frame.slots)
        elif step.kind == "confirm":
            t.say(step.response, frame.slots)
        else:
            return self._step_up.ask_again(t)
        return Outcome.WAIT

    def _reask(self, t: Turn, frame: Frame) -> None:
        if frame.awaiting == RESUME:
            t.say("utter_ask_resume", {"label": self._domain.flows[frame.flow].label})
        else:
            self._ask(t, frame, self._domain.flows[frame.flow].steps[frame.step])

    async def _collect(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> Outcome:
        value = frame.slots.get(step.slot)
        if value is None and not step.optional:
            return self._ask(t, frame, step)
        if step.validate is None:
            return Outcome.NEXT
        result = await self._call(t, step.validate, frame.slots)
        if result.ok:
            self._set_slots(t, frame, result.slots)
            for reply in result.replies:
                t.reply(reply, frame.slots)
            return Outcome.NEXT
        for reply in result.replies:
            t.reply(reply, frame.slots)
        for name in (step.slot, *step.uses):  # forget what failed so the next answer is fresh
            if name in frame.slots:
                t.emit(ev.SLOT_SET, name=name, value=None)
        return self._ask(t, frame, step)

    async def _action(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> Outcome:
        key = idempotency_key(t.state.conversation_id, frame)
        result = await self._call(t, step.action, frame.slots, key)
        t.emit(
            ev.ACTION_RUN, action=step.action, ok=result.ok, error=result.error, result=result.audit
        )
        self._set_slots(t, frame, result.slots)
        for reply in result.replies:
            t.reply(reply, frame.slots)
        if result.ok:
            return Outcome.NEXT
        if not result.replies:
            t.say("utter_action_failed")
        t.emit(ev.FLOW_CANCELLED, flow=flow.name, reason=result.error or "action_failed")
        if t.state.failed_actions >= self._handoff_settings.failed_actions:
            await self._after_failures(t)
        return Outcome.STOP

    async def _after_failures(self, t: Turn) -> None:
        """Repeated failures: offer a person, or (configured) queue straight away."""
        if self._handoff_settings.on_failures == "offer":
            t.say("utter_offer_human_after_failures")
            return
        while (frame := t.state.top) is not None:  # the failed flow is already cancelled
            self._cancel(t, frame, "handoff")
        await self._handoff(t, "failed_actions")

    async def _handoff(
        self, t: Turn, reason: str, attached: Mapping[str, Any] | None = None
    ) -> Outcome:
        """Queue the conversation for a person; flows underneath are dropped, not resumed.

        With nobody online it is queued all the same, and the customer is asked to leave a
        message and told how follow-up works. `attached` (slots a flow's handoff step names,
        such as the case it opened) is kept on the handoff event for the agent console.
        """
        for frame in t.state.stack[-2::-1]:  # the customer hears what stopped
            self._cancel(t, frame, "handoff")
        if attached:
            t.emit(ev.HANDOFF, status="queued", reason=reason, attached=dict(attached))
        else:
            t.emit(ev.HANDOFF, status="queued", reason=reason)
        t.say("utter_handoff_queued" if await self._agents_online() else "utter_handoff_offline")
        return Outcome.NEXT

    async def _call(
        self, t: Turn, name: str, slots: Mapping[str, Any], key: str | None = None
    ) -> ActionResult:
        """Run an action; a crash, or a reply it did not declare, becomes a failed result
        the customer is told about."""
        action = self._actions[name]
        seq = t.state.last_seq + 1

        def render(response: str, variables: Mapping[str, Any]) -> str:
            _declared(action, response)
            return self._domain.text(response, variables, seq)

        context = ActionContext(
            conversation_id=t.state.conversation_id,
            customer_id=t.customer_id or "",
            slots=dict(slots),
            bank=self._bank,
            now=datetime.fromtimestamp(t.input.now, UTC),
            render=render,
            idempotency_key=key,
            links=self._links,
            files=self._files,
            notifier=self._notifier,
            alert=t.state.last_alert,
        )
        try:
            result = await action(context)
            for reply in result.replies:
                _declared(action, reply.key)
            return result
        except Exception:
            log.exception("action %s failed", name)
            return ActionResult(
                ok=False, error="action_failed", replies=[Reply("utter_action_failed")]
            )

    def _set_slots(self, t: Turn, frame: Frame, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if frame.slots.get(name) != value:
                t.emit(ev.SLOT_SET, name=name, value=value)

    # -- answers while a flow waits -------------------------------------------------------

    async def _on_slot(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> None:
        values = flow.slot_values(t.input.parse)
        answer = values.pop(step.slot, None)
        if answer is None:
            answer = _answered_by(flow, step, t.input.parse, values)
        # What restates a value the flow holds ("not an email" asked for a new email) corrects
        # nothing: the message is the answer.
        values = {k: v for k, v in values.items() if frame.slots.get(k) != v}
        if not await self._correct(t, frame, flow, values):
            self._ask(t, frame, step)
            return
        if answer is None:
            if values and set(values) <= set(step.uses):
                await self._run(t)  # "electricity" for which bill: what the step reads answers it
                return
            if values or self._answer_aside(t):
                self._ask(t, frame, step)
                return
            # e.g. a payee name the NLU did not tag; a card number typed as the answer is kept
            # only as its last four digits, since slots are stored.
            answer = mask_card_numbers(t.input.text.strip())
        t.emit(ev.SLOT_SET, name=step.slot, value=answer)
        await self._run(t)

    async def _reconfirm(
        self, t: Turn, frame: Frame, flow: Flow, values: Mapping[str, Any]
    ) -> None:
        """A correction while the code is awaited: apply it, then confirm the changed
        operation again; its step-up then sends a new code bound to the new values."""
        if not await self._correct(t, frame, flow, values):
            self._step_up.ask_again(t)
            return
        if not self._back_to_confirm(t, frame, flow):  # nothing to confirm: a new code
            t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=frame.step, awaiting=None)
            await self._run(t)

    def _back_to_confirm(self, t: Turn, frame: Frame, flow: Flow) -> bool:
        """Ask the flow's latest confirm question again; False if it has none."""
        confirm = max(
            (i for i, s in enumerate(flow.steps[: frame.step]) if s.kind == "confirm"), default=None
        )
        if confirm is None:
            return False
        t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=confirm, awaiting=None)
        self._ask(t, frame, flow.steps[confirm])
        return True

    async def _on_confirm(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> None:
        values = flow.slot_values(t.input.parse)
        if values and t.intent != "affirm":  # "make it 60 instead"
            await self._correct(t, frame, flow, values)
            self._ask(t, frame, step)
        elif t.intent == "affirm":
            await self._after(t, Outcome.NEXT)
        elif t.intent == "deny":
            self._cancel(t, frame, "declined")
            self._offer_resume(t)
        else:
            self._answer_aside(t)
            self._ask(t, frame, step)

    async def _correct(self, t: Turn, frame: Frame, flow: Flow, values: Mapping[str, Any]) -> bool:
        """Apply slot values given out of turn; already validated ones are validated again.

        Returns False (having said why) if a correction did not validate; the old value stays.
        """
        by_step: dict[int | None, dict[str, Any]] = {}
        for name, value in values.items():
            by_step.setdefault(flow.slot_owner(name), {})[name] = value
        for index, updates in by_step.items():
            validator = flow.steps[index].validate if index is not None else None
            if index is None or index >= frame.step or validator is None:
                self._set_slots(t, frame, updates)  # checked when its step comes
                continue
            result = await self._call(t, validator, {**frame.slots, **updates})
            if not result.ok:
                for reply in result.replies:
                    t.reply(reply, frame.slots)
                return False
            self._set_slots(t, frame, {**updates, **result.slots})
        return True

    def _answer_aside(self, t: Turn) -> bool:
        """Answer small talk or help in the middle of a flow; True if something was said."""
        answer = self._domain.answers.get(t.intent)
        if answer is None or t.intent in _CONTEXTUAL:
            return False
        self._answer(t, answer)
        return True


def _answered_by(flow: Flow, step: Step, parse: Parse, values: dict[str, Any]) -> Any:
    """The value of the first of `step.answered_by` the message holds, taken from the slot
    it would otherwise fill (removed from `values`); None if it holds none."""
    for entity in parse.entities:
        if entity.entity in step.answered_by:
            values.pop(flow.entity_slots.get(entity.entity, ""), None)
            return entity.value
    return None


def _answers_the_question(t: Turn, frame: Frame, step: Step, target: Flow) -> bool:
    """A word or two while a slot is asked for ("gambling" asked what a budget is for) is
    the answer, not a request to switch to another job that shares the word; a customer
    who wants another job says more, and protective flows (a card freeze) still interrupt."""
    asked = step.kind == "collect" and frame.awaiting == step.slot
    words = len(t.input.text.split())
    if asked and not target.is_job and not target.protective and words <= ENTITY_ANSWER_WORDS:
        # "wrong amount" asked what went wrong with a payment: its entity fills the slot asked
        # for, so it answers it, though the words also hand a cash machine claim to a person
        wanted = step.from_entity or step.slot
        if any(entity.entity == wanted for entity in t.input.parse.entities):
            return True
    short = words <= SHORT_ANSWER_WORDS
    return asked and short and target.is_job and not target.protective


def _asks_about(t: Turn, flow: Flow) -> bool:
    """A question about a money job rather than a request for it: nothing in it to act on."""
    text = t.input.text
    if not text or text.startswith("/") or flow.slot_values(t.input.parse):
        return False
    return _QUESTION.search(text) is not None and _REQUEST.match(text) is None


def _declared(action: Action, response: str) -> None:
    if response not in action.says:
        raise ValueError(f"action {action.name!r} says {response!r}, which it does not declare")


def _is_cancel(t: Turn) -> bool:
    return t.intent == "cancel" or t.input.text.strip().lower() == "/cancel"
