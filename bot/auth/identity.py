"""The caller as the engine sees it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AuthLevel(StrEnum):
    ANONYMOUS = "anonymous"
    IDENTIFIED = "identified"
    STRONG = "strong"


@dataclass(frozen=True, slots=True)
class Identity:
    customer_id: str | None
    auth_level: AuthLevel = AuthLevel.ANONYMOUS
    expires_at: float | None = None  # when the token this rests on expires (epoch seconds)

    @classmethod
    def anonymous(cls) -> Identity:
        return cls(None, AuthLevel.ANONYMOUS)
