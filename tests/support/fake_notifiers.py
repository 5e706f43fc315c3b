"""Local stand-ins for what delivers one-time codes: SMS provider, SMTP server, push service.

Each runs on a free loopback port (real sockets, started by the test), records what it was
sent and refuses what the real one would, so a test that sees a recorded message knows the
real service would have taken it:

- `FakeSmsProvider`: Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`),
  checking HTTP basic auth and the form fields `To` (E.164), `From` (our sender) and `Body`,
  answering in Twilio's shapes (201 with a message sid; 400/401 with Twilio error codes);
- `FakeMailServer`: aiosmtpd with STARTTLS required before AUTH and mail, on a self-signed
  certificate made here with `cryptography` (`ca_file` is what Teller is told to trust);
- `FakePushService`: the bank's notification service, verifying the HMAC-SHA256 signature
  over timestamp and body and refusing stale timestamps.

Any of them can be told to fail: the next answers (`fail_next(503)`), every answer
(`go_down(503)`), or, for the mail server, not to listen at all (`stop()`).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import itertools
import json
import re
import secrets
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tests.support.sandbox import serve, unused_port

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def code_in(text: str) -> str:
    """The six-digit code in a message; AssertionError if there is none."""
    found = CODE.search(text)
    assert found, f"no code in {text!r}"
    return found.group(1)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found


@dataclass
class _Failures:
    """What to answer instead of success: the next few answers, or every one."""

    queued: deque[int] = field(default_factory=deque)
    always: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *answers: int) -> None:
        with self.lock:
            self.queued.extend(answers)

    def next(self) -> int | None:
        with self.lock:
            if self.queued:
                return self.queued.popleft()
            return self.always

    def reset(self) -> None:
        with self.lock:
            self.queued.clear()
            self.always = None


# -- SMS ----------------------------------------------------------------------------------


def _twilio_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


@dataclass
class FakeSmsProvider:
    account_sid: str = field(default_factory=lambda: "AC" + secrets.token_hex(16))
    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    sender: str = "+447700900999"
    base_url: str = ""
    attempts: list[dict[str, str]] = field(default_factory=list)  # every well-formed request
    messages: list[dict[str, str]] = field(default_factory=list)  # those accepted
    failures: _Failures = field(default_factory=_Failures)
    delay_seconds: float = 0.0  # how long each answer takes (a slow provider)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        self.failures.add(*statuses)

    def go_down(self, status: int = 503) -> None:
        self.failures.always = status

    def reset(self) -> None:
        self.failures.reset()
        self.delay_seconds = 0.0
        with self.lock:
            self.attempts.clear()
            self.messages.clear()

    def sent_to(self, to: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.messages if m["To"] == to]

    def attempts_to(self, to: str) -> list[dict[str, str]]:
        with self.lock:
            return [m for m in self.attempts if m["To"] == to]

    def wait_for(self, to: str, count: int = 1) -> list[dict[str, str]]:
        return wait_until(lambda: len(self.sent_to(to)) >= count and self.sent_to(to), "an SMS")

    def env(self) -> dict[str, str]:
        """What Teller is given to use this provider."""
        return {
            "TELLER_SMS_API_BASE": self.base_url,
            "TELLER_SMS_ACCOUNT_SID": self.account_sid,
            "TELLER_SMS_AUTH_TOKEN": self.auth_token,
            "TELLER_SMS_FROM": self.sender,
        }

    def app(self) -> FastAPI:
        app = FastAPI()
        sids = itertools.count(1)
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )

        @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
        async def messages(account_sid: str, request: Request) -> Response:
            given = request.headers.get("authorization", "")
            if account_sid != self.account_sid or not hmac.compare_digest(given, expected):
                return _twilio_error(401, 20003, "Authenticate")
            if not request.headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                return _twilio_error(400, 21600, "form-encoded parameters expected")
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
            if not _E164.fullmatch(to):
                return _twilio_error(
                    400, 21211, f"The 'To' number {to} is not a valid phone number."
                )
            if sender != self.sender:
                return _twilio_error(400, 21212, f"The 'From' number {sender} is not valid.")
            if not body:
                return _twilio_error(400, 21602, "Message body is required.")
            if len(body) > 1600:
                return _twilio_error(400, 21617, "The concatenated message body exceeds 1600.")
            with self.lock:
                self.attempts.append(form)
            await asyncio.sleep(self.delay_seconds)
            status = self.failures.next()
            if status is not None:
                return _twilio_error(status, 20500 if status >= 500 else 21610, "failed")
            with self.lock:
                self.messages.append(form)
            sid = f"SM{next(sids):032x}"
            return JSONResponse(
                {
                    "sid": sid,
                    "account_sid": account_sid,
                    "to": to,
                    "from": sender,
                    "body": body,
                    "status": "queued",
                },
                status_code=201,
            )

        return app


@contextmanager
def sms_provider() -> Iterator[FakeSmsProvider]:
    provider = FakeSmsProvider()
    provider.base_url, stop = serve(provider.app())
    try:
        yield provider
    finally:
        stop()


# -- push ---------------------------------------------------------------------------------


@dataclass
class FakePushService:
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    url: str = ""
    notifications: list[dict[str, Any]] = field(default_factory=list)  # verified and accepted
    forged: int = 0  # requests whose signature or timestamp did not verify
    failures: _Failures = field(default_factory=_Failures)
    tolerance_seconds: int = 300
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *statuses: int) -> None:
        self.failures.add(*statuses)

    def go_down(self, status: int = 503) -> None:
        self.failures.always = status

    def reset(self) -> None:
        self.failures.reset()
        with self.lock:
            self.notifications.clear()
            self.forged = 0

    def sent_to(self, customer_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [n for n in self.notifications if n["customer_id"] == customer_id]

    def wait_for(self, customer_id: str) -> list[dict[str, Any]]:
        return wait_until(lambda: self.sent_to(customer_id), "a push notification")

    def env(self) -> dict[str, str]:
        return {"TELLER_PUSH_URL": self.url, "TELLER_PUSH_SECRET": self.secret}

    def verifies(self, timestamp: str, signature: str, body: bytes) -> bool:
        """The receiver's side of the signature: what the bank's service must check."""
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > self.tolerance_seconds:
            return False
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(signature, f"sha256={expected}")

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/notifications")
        async def notify(request: Request) -> Response:
            body = await request.body()
            timestamp = request.headers.get("x-teller-timestamp", "")
            signature = request.headers.get("x-teller-signature", "")
            if not self.verifies(timestamp, signature, body):
                with self.lock:
                    self.forged += 1
                return JSONResponse({"error": "bad signature"}, status_code=401)
            note = json.loads(body)
            if set(note) != {"customer_id", "kind", "title", "body"} or not note["body"]:
                return JSONResponse({"error": "bad notification"}, status_code=422)
            status = self.failures.next()
            if status is not None:
                return JSONResponse({"error": "unavailable"}, status_code=status)
            with self.lock:
                self.notifications.append(note)
            return JSONResponse({"id": secrets.token_hex(8), "status": "accepted"}, status_code=202)

        return app


@contextmanager
def push_service() -> Iterator[FakePushService]:
    service = FakePushService()
    base, stop = serve(service.app())
    service.url = f"{base}/v1/notifications"
    try:
        yield service
    finally:
        stop()


# -- email --------------------------------------------------------------------------------


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost and its key, as PEM files in `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "teller-test-smtp")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type, content_type
        return str(found.get_content())


class FakeMailServer:
    """An SMTP submission server that takes mail only after STARTTLS and AUTH."""

    def __init__(self, directory: Path) -> None:
        self.username = "teller"
        self.password = secrets.token_urlsafe(16)
        self.sender = "Teller <codes@bank.example>"
        self.ca_file, key_file = self_signed_certificate(directory)
        self.port = unused_port()
        self.mail: list[Mail] = []
        self.logins: list[str] = []  # every successful AUTH, by user name
        self.failures = _Failures()  # SMTP reply codes to answer at DATA instead of 250
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(self.ca_file, key_file)
        self._controller: Controller | None = None

    def env(self) -> dict[str, str]:
        return {
            "TELLER_SMTP_HOST": "127.0.0.1",
            "TELLER_SMTP_PORT": str(self.port),
            "TELLER_SMTP_USERNAME": self.username,
            "TELLER_SMTP_PASSWORD": self.password,
            "TELLER_SMTP_FROM": self.sender,
            "TELLER_SMTP_CA_FILE": str(self.ca_file),
        }

    def start(self) -> None:
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self._tls,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=self._authenticate,
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused, as when the server is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def fail_next(self, *codes: int) -> None:
        self.failures.add(*codes)

    def reset(self) -> None:
        self.failures.reset()
        with self._lock:
            self.mail.clear()
            self.logins.clear()

    def sent_to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.mail if address in m.recipients]

    def wait_for(self, address: str) -> list[Mail]:
        return wait_until(lambda: self.sent_to(address), "an email")

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username.encode()
            and hmac.compare_digest(auth_data.password, self.password.encode())
        )
        if ok:
            with self._lock:
                self.logins.append(self.username)
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        code = self.failures.next()
        if code is not None:
            return f"{code} {'4.3.0 try again later' if code < 500 else '5.7.1 refused'}"
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.mail.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 OK: queued"


@contextmanager
def mail_server(directory: Path) -> Iterator[FakeMailServer]:
    server = FakeMailServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
