"""Issue 14, observability: what a bank's monitoring sees of a running Teller.

Against real servers (SecantusDB, the sandbox bank, Teller as its own process, Redis): the
Prometheus figures a customer's turns move, JSON log lines that trace a request and say
nothing a customer said, the probes, and the OpenAPI contract of the chat route.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import CONFIG, Customer
from tests.e2e.test_production_config import ISSUER, UNUSED_SMS
from tests.support.mongo import mongo_server
from tests.support.process import ROOT, start_sandbox_process, start_teller
from tests.support.stack import Stack, running_stack

TOKEN = secrets.token_urlsafe(16)


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own: JSON logs (dev mode would default to console), a metrics token,
    and a MongoDB this module may stop."""
    env = {"TELLER_LOG_FORMAT": "json", "TELLER_METRICS_TOKEN": TOKEN}
    tmp = tmp_path_factory.mktemp("observed")
    with running_stack(tmp, CONFIG, killable_mongo=True, extra_env=env) as running:
        yield running


@pytest.fixture
def client(observed: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=observed.teller.base_url, timeout=30) as http:
        yield http


def signed_in(http: httpx.Client, customer_id: str = "cust-001") -> Customer:
    token = http.post("/dev/token", json={"customer_id": customer_id}).json()["token"]
    return Customer(http, customer_id, token)


def scrape(http: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels."""
    response = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: dict[Any, float], name: str, **labels: str) -> float:
    """The sum over every series of `name` whose labels include `labels`."""
    return sum(
        v for (n, got), v in samples.items() if n == name and set(labels.items()) <= set(got)
    )


def test_turns_intents_fallbacks_bank_calls_and_the_store_are_counted(
    client: httpx.Client,
) -> None:
    before = scrape(client)
    customer = signed_in(client)
    customer.say("what's my balance?")
    customer.say("show me my last 3 transactions")
    customer.say("florp wibble zanzibar quux")
    after = scrape(client)

    answered = dict(channel="rest", outcome="answered")
    assert (
        value(after, "teller_turns_total", **answered)
        - value(before, "teller_turns_total", **answered)
        == 3
    )
    assert (
        value(after, "teller_turn_seconds_count", channel="rest")
        - value(before, "teller_turn_seconds_count", channel="rest")
        == 3
    )
    assert value(after, "teller_intents_total", intent="check_balance") > value(
        before, "teller_intents_total", intent="check_balance"
    )
    assert value(after, "teller_fallbacks_total") - value(before, "teller_fallbacks_total") == 1
    calls = total(after, "teller_bank_request_seconds_count", operation="get_balances")
    assert calls > total(before, "teller_bank_request_seconds_count", operation="get_balances")
    assert not any("cust-001" in str(key) for key in after)  # ids never become labels
    flushed = value(after, "teller_event_store_flush_events_sum") - value(
        before, "teller_event_store_flush_events_sum"
    )
    assert flushed >= 6  # at least each turn's message and its answer
    assert (
        value(after, "teller_lock_wait_seconds_count")
        - value(before, "teller_lock_wait_seconds_count")
        >= 3
    )


def test_refused_turns_are_counted_by_why(client: httpx.Client) -> None:
    before = scrape(client)
    customer = signed_in(client)
    customer.conversation_id = "no-such-conversation"
    response = client.post(
        "/api/v1/chat/message",
        json={"text": "hello", "conversation_id": "no-such-conversation"},
        headers={"Authorization": f"Bearer {customer.token}"},
    )
    assert response.status_code == 404
    after = scrape(client)
    refused = dict(channel="rest", outcome="not_found")
    assert (
        value(after, "teller_turns_total", **refused)
        - value(before, "teller_turns_total", **refused)
        == 1
    )


def test_one_time_codes_and_their_deliveries_are_counted(client: httpx.Client) -> None:
    before = scrape(client)
    customer = signed_in(client)
    customer.press(customer.say("pay Bob Martin 40 pounds"), "yes")
    real = customer.latest_code()
    wrong = "000000" if real != "000000" else "111111"
    customer.say(wrong)
    customer.say(real)
    after = scrape(client)

    def moved(event: str) -> float:
        return value(after, "teller_otp_codes_total", event=event) - value(
            before, "teller_otp_codes_total", event=event
        )

    assert (moved("issued"), moved("failed"), moved("verified")) == (1, 1, 1)
    delivered = dict(channel="outbox", outcome="delivered")
    assert (
        value(after, "teller_notifier_deliveries_total", **delivered)
        - value(before, "teller_notifier_deliveries_total", **delivered)
        == 1
    )
    payments = total(after, "teller_bank_request_seconds_count") - total(
        before, "teller_bank_request_seconds_count"
    )
    assert payments >= 1


def test_a_handoff_is_counted_as_queued(client: httpx.Client) -> None:
    before = scrape(client)
    customer = signed_in(client)
    reply = customer.say("I want to speak to a human")
    assert reply["state"]["status"] == "queued", reply
    after = scrape(client)
    assert (
        value(after, "teller_handoffs_total", event="queued")
        - value(before, "teller_handoffs_total", event="queued")
        == 1
    )


def test_metrics_need_the_token_when_one_is_set(client: httpx.Client) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401


def log_lines(stack: Stack) -> list[dict[str, Any]]:
    lines = stack.teller.log_path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_a_turns_log_lines_are_json_with_its_ids_and_no_personal_data(
    observed: Stack, client: httpx.Client
) -> None:
    customer = signed_in(client, "cust-002")
    start = len(observed.teller.log_path.read_text().splitlines())
    said = [
        "I'd like to send £25 to Alice Johnson",
        "my phone number is 07700 900123 and my account is 12345678",
        "my name is Zebedee Quartermain",
    ]
    request_ids = []
    for text in said:
        response = client.post(
            "/api/v1/chat/message",
            json={"text": text, "conversation_id": customer.conversation_id},
            headers={"Authorization": f"Bearer {customer.token}"},
        )
        assert response.status_code == 200, response.text
        customer.conversation_id = response.json()["conversation_id"]
        request_ids.append(response.headers["x-request-id"])

    raw = observed.teller.log_path.read_text().splitlines()[start:]
    assert raw, "the turns wrote no log line"
    for line in raw:
        record = json.loads(line)  # every line is one JSON object
        assert {"event", "level", "timestamp", "request_id", "conversation_id"} <= set(record)
    turns = [json.loads(line) for line in raw if json.loads(line)["event"] == "turn"]
    assert [t["request_id"] for t in turns] == request_ids
    assert {t["conversation_id"] for t in turns} == {customer.conversation_id}
    assert {t["channel"] for t in turns} == {"rest"}
    text = "\n".join(raw)
    for secret in ("Alice", "Johnson", "Zebedee", "Quartermain", "07700", "900123", "12345678"):
        assert secret not in text
    assert "£25" not in text and not re.search(r"\b25(\.00)?\b", text)
    for words in said:
        assert words not in text


def test_a_request_id_given_by_the_caller_is_kept(client: httpx.Client) -> None:
    response = client.get("/livez", headers={"X-Request-ID": "lb-7f3a.1"})
    assert response.headers["x-request-id"] == "lb-7f3a.1"
    odd = client.get("/livez", headers={"X-Request-ID": "not ok\tat all"})
    assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["x-request-id"])


def test_the_chat_contract_is_typed_in_openapi(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/chat/message"]["post"]
    responses = operation["responses"]
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ChatReply")
    for status in ("400", "401", "404", "409", "413", "503"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorReply"), status
    error = schema["components"]["schemas"]["ErrorReply"]
    assert error["properties"]["error"]["$ref"].endswith("/ErrorDetail")
    assert set(schema["components"]["schemas"]["ErrorDetail"]["required"]) == {"code", "message"}
    assert "/readyz" in schema["paths"] and "/metrics" not in schema["paths"]
    assert client.get("/docs").status_code == 200  # dev mode
    assert client.get("/redoc").status_code == 200


def test_probes_say_what_is_not_ready(observed: Stack, client: httpx.Client) -> None:
    """Last in this module: it stops the stack's MongoDB."""
    live = client.get("/livez")
    assert live.status_code == 200 and live.json() == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert set(checks) == {"mongodb", "redis", "model", "bank"}
    assert all(c["status"] == "ok" for c in checks.values())

    observed.stop_mongo()
    down = client.get("/readyz")
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "unready"
    assert body["checks"]["mongodb"]["status"] in {"failed", "timeout"}
    assert body["checks"]["bank"]["status"] == "ok"
    assert client.get("/livez").status_code == 200  # alive: take it out, do not restart it

    observed.bank.stop()
    assert client.get("/readyz").json()["checks"]["bank"]["status"] in {"failed", "timeout"}


def metrics_dir_pids(directory: Path) -> set[str]:
    return {m.group(1) for p in directory.iterdir() if (m := re.search(r"_(\d+)\.db$", p.name))}


def test_two_workers_report_one_set_of_figures(tmp_path: Path) -> None:
    """With TELLER_WORKERS=2 every scrape, whichever worker answers it, counts every turn."""
    directory = tmp_path / "metrics"
    env = {"TELLER_WORKERS": "2", "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    with running_stack(tmp_path, CONFIG, extra_env=env) as stack:
        turns = 30
        for _ in range(turns):  # a new connection each: both workers take some
            with httpx.Client(base_url=stack.teller.base_url, timeout=30) as http:
                response = http.post("/api/v1/chat/message", json={"text": "hello"})
                assert response.status_code == 200, response.text
        assert len(metrics_dir_pids(directory)) >= 2  # both workers counted something
        for _ in range(6):
            with httpx.Client(base_url=stack.teller.base_url, timeout=30) as http:
                samples = scrape_open(http)
            answered = value(samples, "teller_turns_total", channel="rest", outcome="answered")
            assert answered == turns


def scrape_open(http: httpx.Client) -> dict[Any, float]:
    response = http.get("/metrics")  # dev mode, no token: open
    assert response.status_code == 200, response.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(response.text)
        for s in f.samples
    }


def test_production_hides_the_docs_asks_a_token_for_metrics_and_logs_json(
    tmp_path: Path,
) -> None:
    """config.production.yml: no /docs, /redoc or /openapi.json; /metrics only with
    TELLER_METRICS_TOKEN; JSON log lines without TELLER_LOG_FORMAT."""
    public_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    api_key = secrets.token_urlsafe(24)
    bank = start_sandbox_process(
        f"sqlite+aiosqlite:///{tmp_path / 'bank.db'}", api_key, tmp_path / "bank.log"
    )
    try:
        with mongo_server(tmp_path / "mongo") as (uri, _):
            env = {
                "TELLER_CONFIG": str(ROOT / "config.production.yml"),
                "MONGODB_URI": uri,
                "MONGODB_DB": f"teller_prod_{secrets.token_hex(4)}",
                "REDIS_URL": "redis://127.0.0.1:6379/0",
                "REDIS_PREFIX": f"test:prod:{secrets.token_hex(4)}:",
                "BANK_API_URL": bank.base_url,
                "BANK_API_KEY": api_key,
                "TELLER_JWT_PUBLIC_KEY": public_pem.decode(),
                "TELLER_JWT_SECRET": "",
                "TELLER_OTP_KEY": secrets.token_urlsafe(32),
                "TELLER_JWT_ISSUER": ISSUER,
                "TELLER_METRICS_TOKEN": TOKEN,
                "TELLER_LOG_FORMAT": "",
                **UNUSED_SMS,
            }
            teller = start_teller(env, tmp_path / "teller.log")
            try:
                with httpx.Client(base_url=teller.base_url, timeout=30) as http:
                    for path in ("/docs", "/redoc", "/openapi.json"):
                        assert http.get(path).status_code == 404, path
                    assert http.get("/metrics").status_code == 401
                    assert scrape(http)  # with the token
                    assert http.get("/readyz").status_code == 200
            finally:
                teller.stop()
            lines = teller.log_path.read_text().splitlines()
            assert lines and all(json.loads(line)["level"] for line in lines)
    finally:
        bank.stop()
