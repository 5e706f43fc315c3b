"""What the platform's monitoring talks to: `/metrics`, `/livez`, `/readyz`, request ids.

- `/metrics`: Prometheus text (`bot.observe.metrics`), every worker's figures when there
  are several. Outside dev mode it answers only `Authorization: Bearer
  $TELLER_METRICS_TOKEN` (404 while the token is unset, 401 for a wrong one), so it can
  share the public port; in dev mode it is open unless the token is set.
- `/livez`: 200 while the process serves requests at all (restart it when this fails).
- `/readyz`: 200 when every dependency answers within `observability.probe_timeout_seconds`
  (MongoDB, Redis, the NLU model, the bank), else 503 naming the ones that did not: take
  the worker out of the load balancer, do not restart it.
- `RequestIds`: every HTTP request and WebSocket gets a request id (the caller's
  `X-Request-ID` when it is a short token, else a new one), echoed on the response and on
  every log line written while it runs.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.observe import metrics
from bot.observe.logs import CONVERSATION_ID, REQUEST_ID
from connectors.deps import Provided

log = logging.getLogger(__name__)
METRICS_TOKEN = "TELLER_METRICS_TOKEN"

# A dependency's check: returns when it answers, raises when it does not.
Probe = Callable[[], Awaitable[object]]


class Monitoring:
    """What the routes here need: the probes, and who may read the metrics."""

    def __init__(
        self,
        probes: Mapping[str, Probe],
        *,
        timeout: float,
        metrics_on: bool,
        token: str | None,
        dev_mode: bool,
    ) -> None:
        self.probes = dict(probes)
        self.timeout = timeout
        self.metrics_on = metrics_on and (dev_mode or bool(token))
        self.token = token

    @classmethod
    def metrics_token(cls, env: Mapping[str, str] = os.environ) -> str | None:
        return env.get(METRICS_TOKEN, "").strip() or None


MONITORING: Provided[Monitoring] = Provided("monitoring")


class Check(BaseModel):
    status: str  # ok | failed | timeout
    error: str | None = None


class Readiness(BaseModel):
    status: str  # ready | unready
    checks: dict[str, Check]


class Liveness(BaseModel):
    status: str


router = APIRouter(tags=["operations"])


@router.get("/livez", response_model=Liveness)
async def livez() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
async def readyz(monitoring: Annotated[Monitoring, Depends(MONITORING.get)]) -> Response:
    names = list(monitoring.probes)
    results = await asyncio.gather(
        *(_check(monitoring.probes[name], monitoring.timeout) for name in names)
    )
    checks = dict(zip(names, results, strict=True))
    ready = all(check["status"] == "ok" for check in checks.values())
    if not ready:
        log.warning(
            "not ready", extra={"failed": [n for n, c in checks.items() if c["status"] != "ok"]}
        )
    return JSONResponse(
        {"status": "ready" if ready else "unready", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _check(probe: Probe, seconds: float) -> dict[str, Any]:
    try:
        async with asyncio.timeout(seconds):
            await probe()
    except TimeoutError:
        return {"status": "timeout", "error": f"no answer in {seconds:g}s"}
    except Exception as exc:  # the probe's own failure, whatever it is, means not ready
        return {"status": "failed", "error": type(exc).__name__}
    return {"status": "ok", "error": None}


@router.get("/metrics", include_in_schema=False)
async def metrics_page(
    monitoring: Annotated[Monitoring, Depends(MONITORING.get)],
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    if not monitoring.metrics_on:
        raise HTTPException(404, "Not Found")
    if monitoring.token is not None:
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), monitoring.token.encode()):
            raise HTTPException(401, "a metrics token is required")
    body = await asyncio.to_thread(metrics.render)  # reads every worker's files
    return Response(body, media_type=metrics.CONTENT_TYPE)


_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIds:
    """ASGI middleware: a request id for each request (and socket), in context and echoed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
                if _GIVEN_ID.fullmatch(given):
                    request_id = given
                break
        if request_id is None:
            request_id = uuid.uuid4().hex
        REQUEST_ID.set(request_id)
        CONVERSATION_ID.set(None)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)
