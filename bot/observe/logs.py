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
    if "logger_name" in event:  # a `logger(name)` line: the same key as a `logging` one
        event["logger"] = event.pop("logger_name")
    event["request_id"] = REQUEST_ID.get()
    event["conversation_id"] = CONVERSATION_ID.get()
    return event


# Until `configure` runs (the shell, the conversation tests, a tool importing the engine)
# structlog's lines go nowhere, as the standard library's INFO lines do without a handler.
def _nowhere(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    raise structlog.DropEvent


structlog.configure(
    processors=[_nowhere],
    wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
    cache_logger_on_first_use=False,
)


def logger(name: str) -> Any:
    """A structlog logger for a hot path (one line a turn): it skips the standard library's
    record and formatter, about half the cost of a `logging` line."""
    return structlog.get_logger(logger_name=name)  # lazy: resolved once `configure` has run


def configure(fmt: str, level: int = logging.INFO) -> None:
    """Send every log record (structlog's and the standard library's) to stdout in `fmt`."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            _ids,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    _standard_library(fmt, renderer, level)


def _standard_library(fmt: str, renderer: Any, level: int) -> None:
    """Every `logging` record (ours, uvicorn's, libraries') through the same renderer."""
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _ids,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
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
