"""The bank port, timed: every call's latency and failures by operation (the port's method).

`MeteredBank` sits between the cache in front of the bank and the adapter, so it sees the
calls that reach the bank: `teller_bank_request_seconds{operation}` times each, answered or
not, and `teller_bank_errors_total{operation, kind}` counts the failures: `unavailable`
(no answer, or a 5xx), `rejected` (the bank said no: a 4xx with its code) and `error`
(anything else the adapter raised). A method's wrapper is made on its first call and kept.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.bank import Bank, BankRejected, BankUnavailable
from bot.observe import metrics


def _kind(exc: BaseException) -> str:
    if isinstance(exc, BankRejected):
        return "rejected"
    if isinstance(exc, BankUnavailable):
        return "unavailable"
    return "error"


class MeteredBank:
    def __init__(self, bank: Bank) -> None:
        self._bank = bank
        self._wrapped: dict[str, Callable[..., Awaitable[Any]]] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        wrapped = self._wrapped.get(name)
        if wrapped is None:
            method = getattr(self._bank, name)
            if not callable(method):
                return method
            wrapped = self._wrapped[name] = _timed(name, method)
        return wrapped


def _timed(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    seconds = metrics.BANK_SECONDS.labels(name)

    async def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        except Exception as exc:
            metrics.BANK_ERRORS.labels(name, _kind(exc)).inc()
            raise
        finally:
            seconds.observe(time.perf_counter() - started)

    call.__name__ = name
    return call
