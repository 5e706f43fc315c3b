"""One POST to a notification provider over httpx, its outcome as `DeliveryFailed`.

Shared by the SMS and push channels, which differ only in the request they build. Reasons
carry the status and the provider's numeric error code, never the request or the answer's
text, which may quote the message or the number.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.ports import DeliveryFailed


async def post(http: httpx.AsyncClient, channel: str, url: str, **request: Any) -> httpx.Response:
    """POST once. Transient: timeouts, connections that fail or drop, 5xx. Anything else
    that is not a 2xx (a 4xx: bad number, bad credentials) is permanent."""
    try:
        response = await http.post(url, **request)
    except httpx.TimeoutException:
        raise DeliveryFailed(f"{channel}: timed out", transient=True) from None
    except httpx.TransportError as exc:
        raise DeliveryFailed(f"{channel}: {type(exc).__name__}", transient=True) from None
    if response.is_success:
        return response
    reason = f"{channel}: provider answered {response.status_code}{_error_code(response)}"
    raise DeliveryFailed(reason, transient=response.status_code >= 500)


def _error_code(response: httpx.Response) -> str:
    """The provider's own numeric error code (Twilio's `code`), when it gives one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    code = body.get("code") if isinstance(body, dict) else None
    return f" (error {code})" if isinstance(code, int) and not isinstance(code, bool) else ""
