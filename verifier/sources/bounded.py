"""Reading an untrusted server's answer without holding more of it than its bound.

A server (or whatever sits between it and the verifier) chooses how much it sends; a client that reads the whole
answer and then compares its length has already held all of it. ``read_at_most`` stops at the bound instead.
"""

from __future__ import annotations

import httpx


def read_at_most(response: httpx.Response, limit: int) -> bytes | None:
    """The body of a streamed ``response`` (decoded as its Content-Encoding says), or ``None`` when it is longer
    than ``limit`` bytes: refused before reading when the declared length says so, else as soon as it passes it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
