"""Email over SMTP with STARTTLS (aiosmtplib): a plain-text part and an HTML part.

The connection is always upgraded with STARTTLS before anything is sent, and the server's
certificate is checked (against `TELLER_SMTP_CA_FILE` when set, else the system's roots):
a code never crosses the network in clear. One connection per message: codes are few, and a
fresh connection has no stale state to fail on. Failures follow SMTP's own classes: a 4yz
answer, a timeout or a dropped connection is transient; a 5yz answer, a refused login or a
certificate that does not verify is permanent.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib

from bot.config import ConfigError
from bot.ports import DeliveryFailed, Notice, Recipient

HOST = "TELLER_SMTP_HOST"
PORT = "TELLER_SMTP_PORT"
USERNAME = "TELLER_SMTP_USERNAME"
PASSWORD = "TELLER_SMTP_PASSWORD"
SENDER = "TELLER_SMTP_FROM"
CA_FILE = "TELLER_SMTP_CA_FILE"
DEFAULT_PORT = 587  # message submission, upgraded with STARTTLS


@dataclass(frozen=True, slots=True)
class EmailSettings:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EmailSettings:
        """Raises ConfigError naming the variable missing or wrong."""
        for name in (HOST, SENDER):
            if not env.get(name):
                raise ConfigError(f"otp.notifiers lists email, so {name} must be set")
        if bool(env.get(USERNAME)) != bool(env.get(PASSWORD)):
            raise ConfigError(f"set both {USERNAME} and {PASSWORD}, or neither")
        try:
            port = int(env.get(PORT) or DEFAULT_PORT)
        except ValueError:
            raise ConfigError(f"{PORT} must be a port number") from None
        ca_file = Path(env[CA_FILE]) if env.get(CA_FILE) else None
        if ca_file is not None and not ca_file.is_file():
            raise ConfigError(f"{CA_FILE} names no file: {ca_file}")
        return cls(
            host=env[HOST],
            port=port,
            sender=env[SENDER],
            username=env.get(USERNAME) or None,
            password=env.get(PASSWORD) or None,
            ca_file=ca_file,
        )


class EmailChannel:
    name = "email"

    def __init__(self, settings: EmailSettings) -> None:
        self._settings = settings
        # Built once, at start-up, so an unreadable CA file refuses to start.
        self._tls = ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file else None
        )

    def address(self, recipient: Recipient) -> str | None:
        email = recipient.email.strip()
        usable = "@" in email and not any(c in email for c in "\r\n,;<> ")
        return email if usable else None

    def message(self, address: str, notice: Notice) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._settings.sender
        message["To"] = address
        message["Subject"] = notice.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._settings.sender.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
        message.set_content(notice.text)
        if notice.html:
            message.add_alternative(notice.html, subtype="html")
        return message

    async def deliver(self, address: str, recipient: Recipient, notice: Notice) -> None:
        settings = self._settings
        try:
            await aiosmtplib.send(
                self.message(address, notice),
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                start_tls=True,
                tls_context=self._tls,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refused.code for refused in exc.recipients]
            transient = bool(codes) and all(400 <= code < 500 for code in codes)
            raise DeliveryFailed(f"email: recipient refused {codes}", transient=transient) from None
        except aiosmtplib.SMTPResponseException as exc:
            transient = 400 <= exc.code < 500
            raise DeliveryFailed(
                f"email: server answered {exc.code} ({type(exc).__name__})", transient=transient
            ) from None
        except aiosmtplib.SMTPNotSupported:
            raise DeliveryFailed("email: the server offers no STARTTLS", transient=False) from None
        except ssl.SSLError as exc:
            raise DeliveryFailed(
                f"email: TLS failed ({type(exc).__name__})", transient=False
            ) from None
        except (TimeoutError, ConnectionError, OSError) as exc:
            raise DeliveryFailed(f"email: {type(exc).__name__}", transient=True) from None
        except aiosmtplib.SMTPException as exc:
            raise DeliveryFailed(f"email: {type(exc).__name__}", transient=False) from None
