"""Errors of the chain adapter, on the verifier's two trees (``verifier.errors``).

Endpoints that answer differently is *bad evidence* (``ChainDisagreement``, a ``VerificationError``): someone is
lying or forked, and the report must say so. An endpoint that cannot be reached, fails, or answers something that
is not a valid answer means *the evidence could not be obtained* (``ChainUnavailable``, a ``SourceError``): the
verification is incomplete, not failed.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from verifier.errors import SourceError, VerificationError

#: How much of an offending answer an error keeps, in characters.
SHOWN_ANSWER_CHARS = 200

# A cheap, bounded repr of an offending answer: a node's answer may be megabytes long.
_shown = reprlib.Repr()
_shown.maxlevel = 3
_shown.maxstring = _shown.maxother = _shown.maxlong = SHOWN_ANSWER_CHARS
_shown.maxdict = _shown.maxlist = 8


class ChainUnavailable(SourceError):
    """An endpoint could not give an answer: unreachable, timed out, HTTP error or JSON-RPC error.

    ``url`` and ``method`` name the endpoint and the call, when known. When several endpoints failed the same
    read, the first failure is raised and ``failures`` lists them all.
    """

    def __init__(self, message: str, *, url: str | None = None, method: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        self.method = method
        self.failures: list[ChainUnavailable] = [self]

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.url, self.method) if part)
        return f"{where}: {self.message}" if where else self.message


class ChainRpcError(ChainUnavailable):
    """An endpoint answered with a JSON-RPC error object (``code``, ``rpc_message`` and ``data`` kept)."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        rpc_message: str,
        data: Any = None,
        url: str | None = None,
        method: str | None = None,
    ) -> None:
        super().__init__(message, url=url, method=method)
        self.code = code
        self.rpc_message = rpc_message
        self.data = data


class MalformedChainAnswer(ChainUnavailable):
    """An endpoint answered something that is not a valid answer (not JSON, wrong type, bad hex, out of range).

    ``answer`` holds the start of the offending value, for the report.
    """

    def __init__(self, message: str, *, answer: Any = None, url: str | None = None, method: str | None = None) -> None:
        super().__init__(message, url=url, method=method)
        shown = _shown.repr(answer)
        self.answer = shown if len(shown) <= SHOWN_ANSWER_CHARS else shown[:SHOWN_ANSWER_CHARS] + "…"


class ChainDisagreement(VerificationError):
    """The endpoints answered the same read differently (DESIGN §7, V5: the endpoints must agree).

    ``evidence`` (and ``answers``) maps each endpoint's URL to its decoded answer; ``method`` names the read.
    """

    def __init__(self, message: str, *, method: str, answers: Mapping[str, Any]) -> None:
        super().__init__(message, **answers)
        self.method = method
        self.answers = dict(answers)

    def diagnostics(self) -> str:
        lines = [self.message]
        lines.extend(f"  {url}: {describe(answer)}" for url, answer in self.answers.items())
        return "\n".join(lines)


def describe(value: Any) -> str:
    """A one-line text of an answer for people: bytes in 0x-hex, dataclasses field by field."""
    if isinstance(value, bytes | bytearray):
        return "0x" + value.hex()
    if is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(f"{f.name}={describe(getattr(value, f.name))}" for f in fields(value))
        return f"{type(value).__name__}({inner})"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(describe(item) for item in value) + "]"
    return repr(value)
