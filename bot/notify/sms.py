"""SMS through an HTTP SMS provider in Twilio's Messages shape.

`POST {base}/2010-04-01/Accounts/{account sid}/Messages.json`, form fields `To`, `From`,
`Body`, HTTP basic auth with the account sid and auth token: the shape Twilio defined and
several providers copy. Everything comes from the environment, never from a config file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from bot.config import ConfigError
from bot.notify.http import post
from bot.ports import Notice, Recipient

API_BASE = "TELLER_SMS_API_BASE"
ACCOUNT_SID = "TELLER_SMS_ACCOUNT_SID"
AUTH_TOKEN = "TELLER_SMS_AUTH_TOKEN"
SENDER = "TELLER_SMS_FROM"
DEFAULT_API_BASE = "https://api.twilio.com"
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


@dataclass(frozen=True, slots=True)
class SmsSettings:
    api_base: str
    account_sid: str
    auth_token: str = field(repr=False)
    sender: str  # a number in E.164 form or an alphanumeric sender id

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings:
        """Raises ConfigError naming the first variable missing."""
        for name in (ACCOUNT_SID, AUTH_TOKEN, SENDER):
            if not env.get(name):
                raise ConfigError(f"otp.notifiers lists sms, so {name} must be set")
        return cls(
            api_base=(env.get(API_BASE) or DEFAULT_API_BASE).rstrip("/"),
            account_sid=env[ACCOUNT_SID],
            auth_token=env[AUTH_TOKEN],
            sender=env[SENDER],
        )


def e164(phone: str) -> str | None:
    """`phone` as the provider wants it ("+44 7700 900123" -> "+447700900123"), else None."""
    compact = _PHONE_PUNCTUATION.sub("", phone)
    return compact if _E164.fullmatch(compact) else None


class SmsChannel:
    name = "sms"

    def __init__(self, settings: SmsSettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._url = (
            f"{settings.api_base}/2010-04-01/Accounts/"
            f"{quote(settings.account_sid, safe='')}/Messages.json"
        )

    def address(self, recipient: Recipient) -> str | None:
        return e164(recipient.phone)

    async def deliver(self, address: str, recipient: Recipient, notice: Notice) -> None:
        await post(
            self._http,
            self.name,
            self._url,
            data={"To": address, "From": self._settings.sender, "Body": notice.text},
            auth=(self._settings.account_sid, self._settings.auth_token),
        )
