"""The one-time code before a transfer, with the real OtpService and DevOutbox."""

import hashlib

from bot import events as ev
from bot.store.memory import DevOutbox
from tests.dialogue.chat import Chat, latest_code
from tests.dialogue.stand_ins import Directory, Ledger


async def at_code_prompt(chat: Chat, amount: str = "50") -> str:
    await chat.say(f"send {amount} to alice", "transfer_money", amount=amount, payee="alice")
    return await chat.say("yes", "affirm")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_the_right_code_pays_once_with_a_key_bound_to_the_challenge(
    chat: Chat, ledger: Ledger, outbox: DevOutbox
) -> None:
    said = await at_code_prompt(chat)
    assert said == (
        "To approve this, I've sent a 6-digit code to your phone ending 0123. "
        "Please type it here. Never share it with anyone."
    )
    assert chat.summary == {"flow": "transfer_money", "awaiting": "otp", "status": "bot"}
    [sms] = outbox.recent("cust-001")
    assert sms.to == "+44 7700 900123"
    assert "send £50.00 to Alice Johnson from your Current account ••4821" in sms.text
    code = latest_code(outbox)
    assert all(code not in str(e.data) for e in chat.events)  # never stored in clear

    said = await chat.say(f"it's {code[:3]} {code[3:]}")
    assert said == "Done: sent 50.00 GBP to Alice Johnson. New balance £950.00. Ref P-1."
    assert chat.state.stack == []
    assert chat.state.strong_until == chat.now + 300
    [issued, verified] = chat.of_type(ev.AUTH_STEP)
    assert (issued.data["step"], verified.data["step"]) == ("otp_issued", "otp_verified")
    challenge_id = issued.data["challenge"]["id"]
    expected_key = hashlib.sha256(
        f"{chat.state.conversation_id}:{challenge_id}".encode()
    ).hexdigest()
    assert [call["key"] for call in ledger.calls] == [expected_key]
    assert ledger.calls[0]["slots"]["payee_id"] == "payee-alice"
    [run] = chat.of_type(ev.ACTION_RUN)
    assert run.data["ok"] is True and run.data["result"]["payment_id"] == "P-1"

    # The used code cannot approve anything again, and nothing is pending to approve.
    await chat.say(code)
    assert ledger.calls == [ledger.calls[0]]
    assert ledger.balance == 950


async def test_three_wrong_codes_cancel_and_move_nothing(
    chat: Chat, ledger: Ledger, outbox: DevOutbox
) -> None:
    await at_code_prompt(chat)
    bad = wrong(latest_code(outbox))
    assert await chat.say(bad) == "That code isn't right. Attempts left: 2."
    assert await chat.say(bad) == "That code isn't right. Attempts left: 1."
    said = await chat.say(bad)
    assert said == (
        "That's too many wrong codes, so for your security I've cancelled your transfer. "
        "Nothing has been sent or changed."
    )
    assert chat.state.stack == [] and ledger.calls == []
    assert [e.data["step"] for e in chat.of_type(ev.AUTH_STEP)] == [
        "otp_issued",
        "otp_failed",
        "otp_failed",
        "otp_locked",
    ]
    # The right code afterwards changes nothing.
    await chat.say(latest_code(outbox))
    assert ledger.calls == []


async def test_an_expired_code_offers_a_resend_and_the_new_code_works(
    chat: Chat, ledger: Ledger, outbox: DevOutbox
) -> None:
    await at_code_prompt(chat)
    old = latest_code(outbox)
    chat.now += 301
    messages = await chat.send(old)
    assert messages[0].text == "That code has expired. Shall I send you a new one?"
    assert [b.payload for b in messages[0].buttons] == ["/resend_code", "/cancel"]
    assert chat.summary["awaiting"] == "otp"

    said = await chat.say("Send a new code", "resend_code")
    assert said == (
        "I've sent a new 6-digit code to your phone ending 0123. The previous one no longer works."
    )
    new = latest_code(outbox)
    assert len(outbox.recent("cust-001")) == 2
    if new != old:
        assert "isn't right" in await chat.say(old)
    await chat.say(new)
    assert len(ledger.calls) == 1 and ledger.balance == 950


async def test_resends_are_limited(chat: Chat, ledger: Ledger, outbox: DevOutbox) -> None:
    await at_code_prompt(chat)
    assert "I've sent a new" in await chat.say("please resend the code")
    assert "I've sent a new" in await chat.say("send me another code")
    said = await chat.say("resend", "resend_code")
    assert (
        said
        == "I can't send any more codes for this. Please use the last code I sent, or say cancel."
    )
    assert len(outbox.recent("cust-001")) == 3
    await chat.say(latest_code(outbox))  # the last code still works
    assert len(ledger.calls) == 1


async def test_text_that_is_not_a_code_asks_for_the_code_again(chat: Chat, ledger: Ledger) -> None:
    await at_code_prompt(chat)
    for text, intent in [("what?", "nlu_fallback"), ("12345", "inform"), ("yes", "affirm")]:
        messages = await chat.send(text, intent)
        assert messages[-1].text == (
            "Please type the 6-digit code I sent you, or say resend for a new one, or cancel."
        )
    assert chat.summary["awaiting"] == "otp"
    assert ledger.calls == []
    assert [e.data["step"] for e in chat.of_type(ev.AUTH_STEP)] == ["otp_issued"]


async def test_no_code_can_be_sent_when_the_bank_cannot_say_where(
    chat: Chat, directory: Directory, ledger: Ledger, outbox: DevOutbox
) -> None:
    directory.down = True
    said = await at_code_prompt(chat)
    assert said.startswith("Sorry, I can't send you a security code right now")
    assert "Nothing has been sent" in said
    assert chat.state.stack == [] and outbox.recent("cust-001") == []
    assert chat.of_type(ev.FLOW_CANCELLED)[-1].data["reason"] == "no_destination"


async def test_repeatedly_locked_codes_pause_money_movement(
    chat: Chat, ledger: Ledger, outbox: DevOutbox
) -> None:
    for _ in range(3):
        await at_code_prompt(chat)
        bad = wrong(latest_code(outbox))
        for _ in range(3):
            await chat.say(bad)
    sent_before = len(outbox.recent("cust-001"))
    said = await at_code_prompt(chat)
    assert "payments are paused" in said
    assert len(outbox.recent("cust-001")) == sent_before, "no new code is sent"
    assert chat.state.stack == [] and ledger.calls == []
    assert chat.of_type(ev.FLOW_CANCELLED)[-1].data["reason"] == "customer_locked_out"
