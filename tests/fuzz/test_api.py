"""Fuzzing the chat and link-code endpoints from Teller's own OpenAPI with schemathesis
(issue 10): a real Teller started as the end-to-end tests start one (its own MongoDB
database, Redis, sandbox bank, and the chat apps on so link codes are served), cases that
fit the schema and cases that break it, anonymous or signed in. No answer is a 5xx or
outside the documented statuses, every refusal has the error shape, and a refused request
stores nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from pymongo import MongoClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.channels.conftest import TELEGRAM_TOKEN, WHATSAPP_TOKEN, channel_env
from tests.e2e.conftest import CONFIG
from tests.support.fake_platforms import fake_platforms
from tests.support.stack import Stack, running_stack

EXAMPLES = 100  # a case: one request, one turn at most
STATUSES = {
    "/api/v1/chat/message": {200, 400, 401, 404, 413},
    "/api/v1/link-codes": {201, 401, 413},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with (
        fake_platforms(WHATSAPP_TOKEN, TELEGRAM_TOKEN) as platforms,
        running_stack(tmp, CONFIG, extra_env=channel_env(platforms)) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def stored(stack: Stack) -> Iterator[Callable[[], int]]:
    """How many documents Teller's database holds, in every collection."""
    with MongoClient(stack.mongo_uri) as client:
        db = client[stack.mongo_db]
        yield lambda: sum(db[name].count_documents({}) for name in db.list_collection_names())


@pytest.fixture(scope="module")
def schema(stack: Stack) -> Any:
    return schemathesis.openapi.from_url(f"{stack.teller.base_url}/openapi.json")


@pytest.fixture(scope="module")
def token(stack: Stack) -> str:
    response = httpx.post(f"{stack.teller.base_url}/dev/token", json={"customer_id": "cust-001"})
    return response.json()["token"]


CHAT, LINK_CODES = STATUSES


def _new_conversation(case: Any) -> Any:
    """A case that fits the schema starts a conversation: one it names would be made up,
    and a made-up id is only ever a 404, no turn."""
    if isinstance(case.body, dict):
        case.body.pop("conversation_id", None)
    return case


RUNS = [
    (CHAT, GenerationMode.POSITIVE, False),
    (CHAT, GenerationMode.NEGATIVE, False),
    (CHAT, GenerationMode.POSITIVE, True),
    (CHAT, GenerationMode.NEGATIVE, True),
    # Link codes take no body, only the Authorization header: any string is a valid
    # header, so there is no negative case to make, and signed in there is one case.
    (LINK_CODES, GenerationMode.POSITIVE, False),
    (LINK_CODES, GenerationMode.POSITIVE, True),
]


@pytest.mark.parametrize(
    ("path", "mode", "signed_in"),
    RUNS,
    ids=[f"{p.rsplit('/', 1)[1]}-{m.value}{'-signed-in' if s else ''}" for p, m, s in RUNS],
)
def test_no_request_crashes_teller_or_is_half_stored(
    stack: Stack,
    schema: Any,
    stored: Callable[[], int],
    token: str,
    path: str,
    mode: GenerationMode,
    signed_in: bool,
) -> None:
    headers = {"authorization": f"Bearer {token}"} if signed_in else None
    cases = schema[path]["POST"].as_strategy(generation_mode=mode, headers=headers)
    if mode is GenerationMode.POSITIVE:
        cases = cases.map(_new_conversation)

    @seed(20_260_110)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(case=cases)
    def run(case: Any) -> None:
        before = stored()
        response = case.call(base_url=stack.teller.base_url, timeout=30)
        case.validate_response(response, checks=[not_a_server_error])
        status = response.status_code
        assert status in STATUSES[path], (status, response.text)
        if status >= 400:
            error = response.json()["error"]
            assert isinstance(error["code"], str) and isinstance(error["message"], str)
            assert error["message"] and not error["message"].startswith("error_")
            assert stored() == before, f"a {status} stored something"

    run()
