"""One error type for every refusal; the app renders it as {"error": {"code", "message"}}."""

from __future__ import annotations


class BankApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}
