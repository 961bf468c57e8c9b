"""The operator's HTTP API as a source of evidence: bundles, checkpoints, proofs and raw entries.

Nothing it serves is trusted: every answer is checked for shape here (a malformed answer is a
``MalformedAnswer``, so verification ends incomplete, never with a crash), and for meaning by the
verification steps. ``--token`` (``HOTLINE_VERIFY_TOKEN``) is sent as a bearer API key; the entries and
proofs need the ``audit`` scope, a ticket's bundle ``read``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

import httpx

from verifier import entries_page
from verifier.canonical import loads_within_depth
from verifier.entries_page import EntriesPage, PageError
from verifier.errors import FormatError, SourceError
from verifier.limits import MAX_ENTRY_BYTES, MAX_NOTE_BYTES, MAX_PROOF_HASHES
from verifier.prefetch import Prefetch
from verifier.sources.bounded import read_at_most

if TYPE_CHECKING:
    from verifier.sources.page_process import PageProcess

_HEX32 = re.compile(r"[0-9a-f]{64}")
#: Largest answer read from the API (a ticket's bundle, a page of 1,000 entries).
MAX_ANSWER_BYTES = 256 * 1024 * 1024
#: Largest error answer whose problem detail is read (the rest of a larger one is not).
MAX_PROBLEM_BYTES = 64 * 1024
#: What ``entries`` asks for: the binary page, or JSON from a server (or proxy) that has only that.
ENTRIES_ACCEPT = f"{entries_page.MEDIA_TYPE}, application/json;q=0.5"


class ApiUnavailable(SourceError):
    """The API could not be reached, refused the request, or timed out."""


class MalformedAnswer(SourceError):
    """The API answered something that is not what the request asks for."""


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedAnswer(f"the API's {what} is not a non-negative integer: {str(value)[:40]!r}")
    return value


class Answer(NamedTuple):
    """A successful answer: its body, read within ``MAX_ANSWER_BYTES``, and its Content-Type."""

    content: bytes
    content_type: str


def _problem_detail(kind: str, body: bytes | None) -> str:
    """``": detail"`` of an RFC 9457 problem answer, shortened, or nothing when there is none to read."""
    if body is None or not kind.startswith("application/problem+json"):
        return ""
    try:
        problem = loads_within_depth(body.decode("utf-8"))
    except (FormatError, ValueError):
        return ""
    return f": {problem.get('detail', '')}"[:300] if isinstance(problem, dict) else ""


class LogApi:
    """A client of one hotline-ledger API (``base_url`` without ``/v1``)."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token, self.timeout = token, timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(timeout=timeout, headers=headers, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> LogApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, int] | None = None, headers: dict[str, str] | None = None) -> Answer:
        url = f"{self.base_url}{path}"
        try:
            with self.client.stream("GET", url, params=params, headers=headers) as response:
                status, kind = response.status_code, response.headers.get("content-type", "")
                body = read_at_most(response, MAX_ANSWER_BYTES if status == 200 else MAX_PROBLEM_BYTES)
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise ApiUnavailable(f"the API at {self.base_url} did not answer {path}: {type(exc).__name__}") from exc
        if status != 200:
            raise ApiUnavailable(f"the API answered {path} with HTTP {status}{_problem_detail(kind, body)}")
        if body is None:
            raise MalformedAnswer(f"the API's answer to {path} is larger than {MAX_ANSWER_BYTES} bytes")
        return Answer(body, kind)

    def _json(self, path: str, params: dict[str, int] | None = None) -> Any:
        return _decoded(self._get(path, params), path)

    def ticket_bundle(self, ticket: str) -> bytes:
        """The ticket's bundle, as bytes (the verifier parses it as evidence, step V1)."""
        return self._get(f"/v1/tickets/{quote(ticket, safe='')}/bundle").content

    def latest_checkpoint(self) -> str:
        """The server's latest signed checkpoint note."""
        response = self._get("/v1/checkpoint")
        if len(response.content) > MAX_NOTE_BYTES:
            raise MalformedAnswer("the API's checkpoint is larger than a note may be")
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedAnswer("the API's checkpoint is not UTF-8 text") from exc

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        """The consistency proof between two tree sizes (each hash checked for shape only)."""
        answer = self._json("/v1/proofs/consistency", {"from": size1, "to": size2})
        proof = answer.get("proof") if isinstance(answer, dict) else None
        if not isinstance(proof, list) or len(proof) > MAX_PROOF_HASHES:
            raise MalformedAnswer("the API's consistency proof is not a list of hashes")
        if not all(isinstance(h, str) and _HEX32.fullmatch(h) for h in proof):
            raise MalformedAnswer("the API's consistency proof holds something that is not a 32-byte hex hash")
        return [bytes.fromhex(h) for h in proof]

    def pages(self, start: int, end: int) -> PageProcess | Prefetch:
        """The entries ``start <= index < end`` page by page, fetched (and shape-checked) in a child process
        (on POSIX systems; elsewhere in a thread)."""
        if os.name != "posix":
            return Prefetch(self.entries, start, end)
        from verifier.sources.page_process import ApiAddress, PageProcess  # it imports this module

        return PageProcess(ApiAddress(self.base_url, self.token, self.timeout), start, end)

    def entries(self, start: int, end: int | None = None) -> EntriesPage:
        """One page of raw entries from ``start`` (the server decides the page size), binary or JSON as answered."""
        params = {"start": start} if end is None else {"start": start, "end": end}
        response = self._get("/v1/entries", params, {"Accept": ENTRIES_ACCEPT})
        kind = response.content_type.split(";")[0].strip().lower()
        try:
            if kind == entries_page.MEDIA_TYPE:
                return entries_page.decode(response.content, start)
            if kind == "application/json":
                return _json_page(response, start)
        except PageError as exc:
            raise MalformedAnswer(str(exc)) from exc
        raise MalformedAnswer(f"the API answered entries as {kind[:60] or 'no content type'!r}, not a page")


def _decoded(response: Answer, path: str) -> Any:
    """The JSON of an answer, its nesting bounded before the recursive decoder sees it (whatever the recursion
    limit: a process that imports py_ecc has it raised so far that deep nesting overflows the C stack)."""
    try:
        return loads_within_depth(response.content.decode("utf-8"))
    except FormatError as exc:
        raise MalformedAnswer(f"the API's answer to {path} is {exc}") from exc
    except ValueError as exc:
        raise MalformedAnswer(f"the API's answer to {path} is not JSON") from exc


def _json_page(response: Answer, start: int) -> EntriesPage:
    """The JSON representation of an entries page (each entry base64, with its index)."""
    answer = _decoded(response, "/v1/entries")
    if not isinstance(answer, dict) or not isinstance(answer.get("entries"), list):
        raise MalformedAnswer("the API's entries page is not an object with an entries list")
    if _int(answer.get("start"), "page start") != start:
        raise MalformedAnswer(f"the API answered a page from {answer.get('start')} when asked from {start}")
    entries = []
    for position, item in enumerate(answer["entries"]):
        if not isinstance(item, dict) or item.get("index") != start + position:
            raise MalformedAnswer(f"the API's entry {start + position} is missing or out of order")
        data = item.get("data")
        try:
            raw = base64.b64decode(data, validate=True) if isinstance(data, str) else None
        except (binascii.Error, ValueError):
            raw = None
        if raw is None or len(raw) > MAX_ENTRY_BYTES:
            raise MalformedAnswer(f"the API's entry {start + position} is not base64 of an entry")
        entries.append(raw)
    following = answer.get("next")
    following = None if following is None else _int(following, "next page")
    return entries_page.checked(start, entries, following, _int(answer.get("tree_size"), "tree size"))
