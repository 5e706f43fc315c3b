"""Step-up one-time codes bound to the exact operation they authorise (PSD2 dynamic linking).

A code exists in clear only long enough to be handed to the notifier. What is kept (and stored
in the conversation's events) is a keyed hash over challenge id, operation digest and code, so
neither the store nor a log can reveal or replay it, and a code issued for "£50 to Alice" cannot
authorise "£500 to Bob". The message says what the code approves and nothing more; its words,
an SMS or push text and an email's subject and HTML, are responses in `bot/domain/`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any, NamedTuple

from bot.config import OtpSettings
from bot.handlers import Render, declared
from bot.observe import metrics
from bot.ports import Delivered, Notice, Notifier, Recipient

_CODE_SEPARATORS = str.maketrans("", "", " -")
_MESSAGE = ["code", "description", "minutes"]
SAYS = declared(
    {
        "otp_message": _MESSAGE,  # the SMS, the push body and the email's plain text
        "otp_email_subject": ["description", "minutes"],
        "otp_email_html": _MESSAGE,  # its variables are HTML-escaped before filling
    }
)


@dataclass(frozen=True, slots=True)
class OtpChallenge:
    """A pending code: everything needed to check it later, and nothing that reveals it."""

    id: str
    operation_digest: str
    code_hash: str
    issued_at: float
    expires_at: float
    attempts: int = 0
    resends: int = 0
    used: bool = False  # a code authorises one operation once

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OtpChallenge:
        return cls(
            id=str(d["id"]),
            operation_digest=str(d["operation_digest"]),
            code_hash=str(d["code_hash"]),
            issued_at=float(d["issued_at"]),
            expires_at=float(d["expires_at"]),
            attempts=int(d.get("attempts", 0)),
            resends=int(d.get("resends", 0)),
            used=bool(d.get("used", False)),
        )


class OtpVerdict(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # also: already used
    LOCKED = "locked"  # attempts exhausted; the operation must be abandoned
    MISMATCH = "mismatch"  # operation changed since issue


# teller_otp_codes_total's event for each verdict: a wrong, expired or re-targeted code
# failed; the attempt that used up the last try locked the challenge.
_VERDICTS = {
    OtpVerdict.OK: metrics.OTP.labels("verified"),
    OtpVerdict.WRONG: metrics.OTP.labels("failed"),
    OtpVerdict.EXPIRED: metrics.OTP.labels("expired"),
    OtpVerdict.MISMATCH: metrics.OTP.labels("failed"),
    OtpVerdict.LOCKED: metrics.OTP.labels("locked"),
}


class ResendLimit(Exception):
    """No further code may be sent for this challenge (resends used up, or it is locked)."""


class OtpDeliveryError(Exception):
    """The notifier could not deliver the code; the cause is withheld since it may quote it."""


class Issued(NamedTuple):
    """A challenge to store, and where its code went (to tell the customer where to look)."""

    challenge: OtpChallenge
    delivered: Delivered


class OtpService:
    def __init__(
        self, *, key: bytes, notifier: Notifier, settings: OtpSettings, render: Render
    ) -> None:
        """`render` fills a response from `bot/domain/` (the message the code travels in)."""
        if len(key) < 32:
            raise ValueError("the OTP key must be at least 32 bytes")
        if not 4 <= settings.length <= 10:
            raise ValueError("otp.length must be between 4 and 10 digits")
        self._key = key
        self._notifier = notifier
        self._settings = settings
        self._render = render

    async def issue(
        self,
        recipient: Recipient,
        operation: Mapping[str, str],
        description: str,
        now: float,
    ) -> Issued:
        """Create a challenge for `operation` and send its code to `recipient`."""
        return await self._send_new(recipient, operation, description, now, attempts=0, resends=0)

    async def resend(
        self,
        challenge: OtpChallenge,
        recipient: Recipient,
        operation: Mapping[str, str],
        description: str,
        now: float,
    ) -> Issued:
        """Replace the code with a fresh one (the old one stops working); attempts carry over."""
        if challenge.resends >= self._settings.max_resends:
            raise ResendLimit(f"at most {self._settings.max_resends} resends per operation")
        if self.attempts_left(challenge) == 0 or challenge.used:
            raise ResendLimit("this challenge is finished; start the operation again")
        return await self._send_new(
            recipient,
            operation,
            description,
            now,
            attempts=challenge.attempts,
            resends=challenge.resends + 1,
        )

    def verify(
        self, challenge: OtpChallenge, code: str, operation: Mapping[str, str], now: float
    ) -> tuple[OtpVerdict, OtpChallenge]:
        """Check `code` for `operation`; return the verdict and the challenge to store next.

        Locked, used and expired challenges never verify, whatever the code. A wrong code
        counts an attempt; the last allowed wrong attempt answers LOCKED.
        """
        verdict, challenge = self._verdict(challenge, code, operation, now)
        _VERDICTS[verdict].inc()
        return verdict, challenge

    def _verdict(
        self, challenge: OtpChallenge, code: str, operation: Mapping[str, str], now: float
    ) -> tuple[OtpVerdict, OtpChallenge]:
        if challenge.used:
            return OtpVerdict.EXPIRED, challenge
        if self.attempts_left(challenge) == 0:
            return OtpVerdict.LOCKED, challenge
        if now >= challenge.expires_at:
            return OtpVerdict.EXPIRED, challenge
        digest = self._operation_digest(operation)
        if not hmac.compare_digest(digest, challenge.operation_digest):
            return OtpVerdict.MISMATCH, challenge
        given = self._code_hash(challenge.id, digest, code.translate(_CODE_SEPARATORS))
        counted = replace(challenge, attempts=challenge.attempts + 1)
        if hmac.compare_digest(given, challenge.code_hash):
            return OtpVerdict.OK, replace(counted, used=True)
        if self.attempts_left(counted) == 0:
            return OtpVerdict.LOCKED, counted
        return OtpVerdict.WRONG, counted

    def attempts_left(self, challenge: OtpChallenge) -> int:
        return max(0, self._settings.max_attempts - challenge.attempts)

    async def _send_new(
        self,
        recipient: Recipient,
        operation: Mapping[str, str],
        description: str,
        now: float,
        *,
        attempts: int,
        resends: int,
    ) -> Issued:
        if not recipient.customer_id or not description.strip():
            raise ValueError("the customer id and the description are required")
        digest = self._operation_digest(operation)
        challenge_id = secrets.token_urlsafe(16)
        code = f"{secrets.randbelow(10**self._settings.length):0{self._settings.length}d}"
        challenge = OtpChallenge(
            id=challenge_id,
            operation_digest=digest,
            code_hash=self._code_hash(challenge_id, digest, code),
            issued_at=now,
            expires_at=now + self._settings.ttl_seconds,
            attempts=attempts,
            resends=resends,
        )
        try:
            delivered = await self._notifier.send(recipient, self._notice(code, description))
        except Exception:
            metrics.OTP.labels("undelivered").inc()
            raise OtpDeliveryError(
                f"could not deliver the code through {type(self._notifier).__name__}"
            ) from None
        metrics.OTP.labels("resent" if resends else "issued").inc()
        return Issued(challenge, delivered)

    def _notice(self, code: str, description: str) -> Notice:
        minutes = max(1, self._settings.ttl_seconds // 60)
        variables = {"code": code, "description": description, "minutes": minutes}
        escaped = {name: html.escape(str(value)) for name, value in variables.items()}
        return Notice(
            text=self._render("otp_message", variables),
            subject=self._render("otp_email_subject", variables),
            html=self._render("otp_email_html", escaped),
        )

    def _operation_digest(self, operation: Mapping[str, str]) -> str:
        if not operation or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in operation.items()
        ):
            raise ValueError("operation must be a non-empty mapping of strings to strings")
        canonical = json.dumps(dict(operation), sort_keys=True, separators=(",", ":"))
        return hmac.new(self._key, canonical.encode(), hashlib.sha256).hexdigest()

    def _code_hash(self, challenge_id: str, digest: str, code: str) -> str:
        message = f"{challenge_id}|{digest}|{code}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()
