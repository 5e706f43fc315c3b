"""HTTP requests written by hand on a socket, for what an HTTP client will not send: a body
that is announced but never sent, or a chunked body that never ends."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RawAnswer:
    status: int
    head: str
    body: bytes


def raw_request(
    port: int,
    path: str,
    headers: dict[str, str],
    body: Iterable[bytes] = (),
    *,
    chunked: bool = False,
    timeout: float = 10.0,
) -> RawAnswer:
    """POST `path` with `headers`, send the pieces of `body` (as chunks if `chunked`), never
    finish the body, and read the answer: one that comes back was given before the body was
    read whole. TimeoutError if the server waits for the rest."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        lines = [
            f"POST {path} HTTP/1.1",
            "Host: 127.0.0.1",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for piece in body:
            conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece)
        received = b""
        while b"\r\n\r\n" not in received:
            data = conn.recv(65536)
            if not data:
                break
            received += data
        head, _, rest = received.partition(b"\r\n\r\n")
        text = head.decode("latin-1")
        length = next(
            (
                int(line.split(":", 1)[1])
                for line in text.split("\r\n")
                if line.lower().startswith("content-length:")
            ),
            0,
        )
        while len(rest) < length:
            data = conn.recv(65536)
            if not data:
                break
            rest += data
        return RawAnswer(int(text.split(" ", 2)[1]), text, rest)
