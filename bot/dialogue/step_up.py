"""The one-time-code exchange that guards a money-moving step.

The code is bound to the operation's slot values (PSD2 dynamic linking), so every payment
gets its own code even when the session is already strongly authenticated.
"""

from __future__ import annotations

import re

from bot import events as ev
from bot.auth.lockout import CustomerLockout
from bot.auth.otp import OtpChallenge, OtpDeliveryError, OtpService, OtpVerdict, ResendLimit
from bot.bank import Bank, BankError
from bot.config import Settings
from bot.dialogue.domain import Flow, Step, fill
from bot.dialogue.state import OTP, Frame
from bot.dialogue.turn import Outcome, Turn
from bot.handlers import declared
from bot.ports import Delivered, Recipient, StoreUnavailable

SAYS = declared(
    {
        "utter_otp_sent": ["destination", "digits"],
        "utter_otp_reask": ["digits"],
        "utter_otp_wrong": ["attempts_left"],
        "utter_otp_expired": [],
        "utter_otp_locked": ["label"],
        "utter_otp_mismatch": ["label"],
        "utter_otp_resent": ["destination", "digits"],
        "utter_otp_resend_limit": [],
        "utter_otp_unavailable": ["label"],
        "utter_otp_not_delivered": ["label"],
        "utter_otp_blocked": ["label"],
        "utter_otp_paused": ["label"],
        "utter_otp_too_many_codes": ["label"],
        "utter_otp_expired_final": ["label"],
        "otp_destination_email": ["masked"],
        "otp_destination_phone": ["last4"],
        "otp_destination_app": [],
    }
)
RESEND_INTENT = "resend_code"  # the payload of the "Send a new code" button
_RESEND_WORDS = re.compile(
    r"\b(resend|re-send|new code|another code|send (it|the code|a code) again)\b", re.I
)
_SEPARATORS = re.compile(r"[\s-]")


def find_code(text: str, length: int) -> str | None:
    """The code in a reply such as "123456", "123 456" or "my code is 123456"."""
    match = re.search(rf"(?<!\d)\d{{{length}}}(?!\d)", _SEPARATORS.sub("", text))
    return match.group(0) if match else None


def sent_to(t: Turn, delivered: Delivered) -> str:
    """Say where the code went without repeating the whole number or address."""
    seq = t.state.last_seq + 1
    to = delivered.address
    if delivered.channel == "push":
        return t.domain.text("otp_destination_app", {}, seq)
    if "@" in to:
        local, _, domain = to.partition("@")
        return t.domain.text("otp_destination_email", {"masked": f"{local[:1]}•••@{domain}"}, seq)
    digits = re.sub(r"\D", "", to)
    return t.domain.text("otp_destination_phone", {"last4": digits[-4:]}, seq)


class StepUp:
    def __init__(
        self, otp: OtpService, bank: Bank, settings: Settings, lockout: CustomerLockout
    ) -> None:
        self._otp = otp
        self._bank = bank
        self._lockout = lockout
        self._code_length = settings.otp.length
        self._strong_ttl = settings.auth.strong_ttl_seconds
        self._max_resends = settings.otp.max_resends
        self._exempt = frozenset(settings.otp.exempt)

    async def begin(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> Outcome:
        """Issue a code for the operation and ask for it."""
        customer_id = t.customer_id
        operation = _operation(frame, step)
        if customer_id is None or operation is None:
            return _abandon(t, frame, flow, "utter_otp_unavailable", "no_operation")
        if step.unless and frame.slots.get(step.unless) is True:
            # The earlier step found the change only narrows what may happen (a lower card
            # limit, a payment type switched off): like a freeze, it needs no code.
            t.emit(ev.AUTH_STEP, step="otp_not_needed", operation=step.unless)
            return Outcome.NEXT
        try:
            blocked = await self._lockout.is_blocked(customer_id)
        except StoreUnavailable:  # fail closed: without the lockout's word, nothing moves
            return _abandon(t, frame, flow, "utter_otp_unavailable", "lockout_unavailable")
        if blocked and not flow.protective:
            return _abandon(t, frame, flow, "utter_otp_blocked", "customer_locked_out")
        if step.when and not frame.slots.get(step.when):
            t.emit(ev.AUTH_STEP, step="otp_not_needed", operation=step.when)
            return Outcome.NEXT
        if step.exempt_as and step.exempt_as in self._exempt:
            t.emit(ev.AUTH_STEP, step="otp_exempt", operation=step.exempt_as)
            return Outcome.NEXT
        refused = await self._may_not_send(t, customer_id)
        if refused is not None:
            return _abandon(t, frame, flow, refused, "too_many_codes")
        recipient = await self._recipient(customer_id)
        if recipient is None:
            return _abandon(t, frame, flow, "utter_otp_unavailable", "no_destination")
        try:
            challenge, delivered = await self._otp.issue(
                recipient, operation, _describe(frame, step), t.input.now
            )
        except OtpDeliveryError:
            return _abandon(t, frame, flow, "utter_otp_not_delivered", "otp_not_delivered")
        where = sent_to(t, delivered)
        t.emit(ev.AUTH_STEP, step="otp_issued", challenge=challenge.to_dict(), sent_to=where)
        t.emit(ev.STEP_ADVANCED, flow=frame.flow, step=frame.step, awaiting=OTP)
        t.say("utter_otp_sent", {"destination": where, "digits": self._code_length})
        return Outcome.WAIT

    def ask_again(self, t: Turn) -> Outcome:
        t.say("utter_otp_reask", {"digits": self._code_length})
        return Outcome.WAIT

    def is_code(self, t: Turn) -> bool:
        return find_code(t.input.text, self._code_length) is not None

    @staticmethod
    def wants_resend(t: Turn) -> bool:
        """ "Send it again", "new code", the button: a fresh code, whatever else it reads as."""
        return t.intent == RESEND_INTENT or _RESEND_WORDS.search(t.input.text) is not None

    async def on_reply(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> Outcome:
        """Handle what the customer said while a code is outstanding."""
        if self.wants_resend(t):
            return await self._resend(t, frame, flow, step)
        code = find_code(t.input.text, self._code_length)
        operation = _operation(frame, step)
        if code is None or frame.challenge is None or operation is None:
            return self.ask_again(t)
        now = t.input.now
        challenge = OtpChallenge.from_dict(frame.challenge)
        verdict, challenge = self._otp.verify(challenge, code, operation, now)
        stored = challenge.to_dict()
        if verdict is OtpVerdict.OK:
            t.emit(
                ev.AUTH_STEP,
                step="otp_verified",
                challenge=stored,
                strong_until=now + self._strong_ttl,
            )
            return Outcome.NEXT
        if verdict is OtpVerdict.EXPIRED:
            t.emit(ev.AUTH_STEP, step="otp_expired", challenge=stored)
            if challenge.resends >= self._max_resends:  # no new code can follow: say so
                return _abandon(t, frame, flow, "utter_otp_expired_final", "otp_expired")
            t.say("utter_otp_expired")
            return Outcome.WAIT
        if verdict in (OtpVerdict.WRONG, OtpVerdict.LOCKED):
            paused = await self._count_wrong(t.customer_id or "")
            if paused is not None:
                t.emit(ev.AUTH_STEP, step="otp_locked", challenge=stored, reason=paused)
                return _abandon(t, frame, flow, paused, "customer_locked_out")
        if verdict is OtpVerdict.WRONG:
            left = self._otp.attempts_left(challenge)
            t.emit(ev.AUTH_STEP, step="otp_failed", challenge=stored, attempts_left=left)
            t.say("utter_otp_wrong", {"attempts_left": left})
            return Outcome.WAIT
        if verdict is OtpVerdict.LOCKED:
            t.emit(ev.AUTH_STEP, step="otp_locked", challenge=stored)
            return _abandon(t, frame, flow, "utter_otp_locked", "otp_locked")
        t.emit(ev.AUTH_STEP, step="otp_failed", challenge=stored, reason="operation_changed")
        return _abandon(t, frame, flow, "utter_otp_mismatch", "otp_mismatch")

    async def _resend(self, t: Turn, frame: Frame, flow: Flow, step: Step) -> Outcome:
        operation = _operation(frame, step)
        customer_id = t.customer_id
        if frame.challenge is None or operation is None or customer_id is None:
            return _abandon(t, frame, flow, "utter_otp_unavailable", "no_operation")
        refused = await self._may_not_send(t, customer_id)
        if refused is not None:  # the last code sent still works
            t.say("utter_otp_resend_limit")
            return Outcome.WAIT
        recipient = await self._recipient(customer_id)
        if recipient is None:
            return _abandon(t, frame, flow, "utter_otp_unavailable", "no_destination")
        try:
            challenge, delivered = await self._otp.resend(
                OtpChallenge.from_dict(frame.challenge),
                recipient,
                operation,
                _describe(frame, step),
                t.input.now,
            )
        except ResendLimit:
            t.say("utter_otp_resend_limit")
            return Outcome.WAIT
        except OtpDeliveryError:
            return _abandon(t, frame, flow, "utter_otp_not_delivered", "otp_not_delivered")
        where = sent_to(t, delivered)
        t.emit(ev.AUTH_STEP, step="otp_resent", challenge=challenge.to_dict(), sent_to=where)
        t.say("utter_otp_resent", {"destination": where, "digits": self._code_length})
        return Outcome.WAIT

    async def _may_not_send(self, t: Turn, customer_id: str) -> str | None:
        """None when another code may go out now, else the response saying why not."""
        try:
            allowed = await self._lockout.may_send_code(customer_id)
        except StoreUnavailable:  # fail closed: uncounted codes are unlimited codes
            return "utter_otp_unavailable"
        return None if allowed else "utter_otp_too_many_codes"

    async def _count_wrong(self, customer_id: str) -> str | None:
        """Count a wrong code; the response to stop with if that pauses the customer (or
        if it cannot be counted: an uncounted guess is an unlimited one), else None."""
        try:
            paused = await self._lockout.wrong_code(customer_id)
        except StoreUnavailable:
            return "utter_otp_unavailable"
        return "utter_otp_paused" if paused else None

    async def _recipient(self, customer_id: str) -> Recipient | None:
        """Where the bank says this customer receives codes, and how they chose to; None
        when it cannot say."""
        try:
            customer = await self._bank.get_customer(customer_id)
        except BankError:
            return None
        return Recipient(customer_id, customer.phone, customer.email, customer.contact_preference)


def _operation(frame: Frame, step: Step) -> dict[str, str] | None:
    values = {name: frame.slots.get(name) for name in step.operation}
    if any(value is None for value in values.values()):
        return None
    return {name: str(value) for name, value in values.items()}


def _describe(frame: Frame, step: Step) -> str:
    return fill(step.description, frame.slots, "step_up description")


def _abandon(t: Turn, frame: Frame, flow: Flow, response: str, reason: str) -> Outcome:
    """Stop the flow before anything moves, telling the customer why."""
    t.say(response, {**frame.slots, "label": flow.label})
    t.emit(ev.FLOW_CANCELLED, flow=flow.name, reason=reason)
    return Outcome.STOP
