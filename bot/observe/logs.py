"""Structured logs on standard output: one JSON object a line (or readable lines in dev).

Every line carries `request_id` and `conversation_id` (null when there is none), read
from context variables that the request middleware (`connectors/observe.py`) and the
turn engine (`bot/turn.py`) set, so a line logged anywhere during a request, by our code
or a library through the standard `logging` module, can be traced to it. Nothing a
customer said goes in a log line: the turn engine logs a turn's channel, intent, outcome,
status and duration, never its text, entities or the bank's answers.

`TELLER_LOG_FORMAT=json|console` chooses the format; json is the default outside dev mode.
"""

from __future__ import annotations

import logging
import os
import sys
from contextvars import ContextVar
from typing import Any

import structlog

FORMAT_ENV = "TELLER_LOG_FORMAT"
FORMATS = ("json", "console")

REQUEST_ID: ContextVar[str | None] = ContextVar("teller_request_id", default=None)
CONVERSATION_ID: ContextVar[str | None] = ContextVar("teller_conversation_id", default=None)


def log_format(dev_mode: bool, env: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The format `TELLER_LOG_FORMAT` names, else console in dev mode and json otherwise."""
    chosen = env.get(FORMAT_ENV, "").strip().lower()
    if not chosen:
        return "console" if dev_mode else "json"
    if chosen not in FORMATS:
        raise ValueError(f"{FORMAT_ENV} must be json or console, not {chosen!r}")
    return chosen


def _ids(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    event.pop("color_message", None)  # uvicorn's coloured copy of its message
    event["request_id"] = REQUEST_ID.get()
    event["conversation_id"] = CONVERSATION_ID.get()
    return event


def configure(fmt: str, level: int = logging.INFO) -> None:
    """Send every log record (structlog's and the standard library's) to stdout in `fmt`."""
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _ids,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per bank call is noise
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
