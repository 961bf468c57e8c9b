"""JSON-RPC over HTTP to one or more endpoints of the same chain, and whether they agree.

``JsonRpcEndpoints`` sends each read to every endpoint (sequentially, with one ``httpx.Client``), checks each
answer's JSON-RPC envelope, decodes the result with the caller's pure ``decode`` function and then either
returns every endpoint's answer (``ask_all``) or requires them to be equal (``agree``). DESIGN §7, V5: the
auditor names several endpoints, run by different parties, so that one lying node is caught.

Errors: an endpoint that is unreachable, times out, answers HTTP errors or a JSON-RPC error raises
``ChainUnavailable`` (``ChainRpcError`` for the error object); an answer that is not valid JSON-RPC, or whose
result ``decode`` refuses, raises ``MalformedChainAnswer``. Differing answers raise ``ChainDisagreement``, which
wins over an unavailable endpoint when at least two other endpoints answered differently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from verifier.canonical import nested_deeper_than
from verifier.sources.bounded import read_at_most
from verifier.sources.chain_errors import ChainDisagreement, ChainRpcError, ChainUnavailable, MalformedChainAnswer

T = TypeVar("T")

#: Largest JSON-RPC answer read from an endpoint, in bytes: a node cannot make the verifier read without end.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
#: Deepest nesting of arrays and objects in an answer (a list of logs is 3 deep). The check runs before parsing:
#: ``json`` recurses in C, and a process whose recursion limit was raised (py_ecc raises it to 100,000 when
#: imported) would overflow the C stack on an answer like ``[[[[…`` instead of raising RecursionError.
MAX_ANSWER_DEPTH = 32


class JsonRpcEndpoints:
    """The JSON-RPC endpoints ``urls`` (http or https), asked with ``timeout`` seconds per request.

    A ``client`` passed in is used as is and left open by ``close``; otherwise this object owns its own.
    """

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        """Raises ``ValueError`` for no URLs, a repeated URL, or one that is not an http(s) URL with a host."""
        if isinstance(urls, str) or not urls:
            raise ValueError("at least one JSON-RPC endpoint URL is needed (a sequence of URLs, not a string)")
        if len(set(urls)) != len(urls):
            raise ValueError(f"each endpoint must be named once, got {list(urls)}")
        for url in urls:
            try:
                parsed = httpx.URL(url)
            except (httpx.InvalidURL, TypeError) as exc:
                raise ValueError(f"not a URL: {url!r}") from exc
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise ValueError(f"a JSON-RPC endpoint must be an http or https URL with a host, got {url!r}")
        if timeout <= 0:
            raise ValueError(f"the timeout must be positive, got {timeout}")
        self.urls = tuple(urls)
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client()
        self._next_id = 0

    # -- one endpoint -------------------------------------------------------------------------------

    def call(self, url: str, method: str, params: list[Any]) -> Any:
        """One JSON-RPC request to ``url``; its ``result`` (any JSON value, unchecked).

        Raises:
            ChainRpcError: the endpoint answered a JSON-RPC error object.
            MalformedChainAnswer: the answer is not a JSON-RPC 2.0 response to this request.
            ChainUnavailable: unreachable, timed out, or an HTTP error status.
        """
        self._next_id += 1
        request_id = self._next_id
        body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        try:
            with self._client.stream("POST", url, json=body, timeout=self.timeout) as response:
                status = response.status_code
                raw = self._read(response, url, method)
        except httpx.TimeoutException as exc:
            raise ChainUnavailable(
                f"no answer within {self.timeout:g} s ({type(exc).__name__})", url=url, method=method
            ) from exc
        except (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL) as exc:
            raise ChainUnavailable(f"unreachable: {type(exc).__name__}: {exc}", url=url, method=method) from exc
        if not 200 <= status < 300:
            # Some nodes send JSON-RPC errors with an HTTP error status: keep the node's own error when there is one.
            try:
                reply = parse_envelope(raw, request_id, url, method)
            except MalformedChainAnswer:
                reply = None
            if reply is not None and "error" in reply:
                raise rpc_error(reply["error"], url, method, status=status)
            raise ChainUnavailable(f"HTTP status {status}", url=url, method=method)
        reply = parse_envelope(raw, request_id, url, method)
        if "error" in reply:
            raise rpc_error(reply["error"], url, method)
        return reply["result"]

    def _read(self, response: httpx.Response, url: str, method: str) -> bytes:
        raw = read_at_most(response, self.max_answer_bytes)
        if raw is None:
            raise MalformedChainAnswer(
                f"the answer is larger than {self.max_answer_bytes} bytes", url=url, method=method
            )
        return raw

    # -- every endpoint -----------------------------------------------------------------------------

    def ask_all(
        self,
        method: str,
        params: list[Any],
        decode: Callable[[Any], T],
        *,
        on_error: Callable[[ChainRpcError], T] | None = None,
    ) -> dict[str, T]:
        """Every endpoint's decoded answer, by URL (answers may differ: the caller judges them).

        ``decode`` turns a result into the answer (raising ``MalformedChainAnswer`` for a bad one); ``on_error``
        may turn a JSON-RPC error into an answer (e.g. a revert that means "not there"), or re-raise it.

        Raises:
            ChainUnavailable: some endpoint gave no valid answer (the first such failure; the others are in its
                ``failures``).
        """
        answers, failures = self.gather(method, params, decode, on_error=on_error)
        raise_failures(failures)
        return answers

    def agree(
        self,
        method: str,
        params: list[Any],
        decode: Callable[[Any], T],
        *,
        what: str,
        on_error: Callable[[ChainRpcError], T] | None = None,
    ) -> T:
        """The one answer all endpoints gave (``what`` names the read in messages).

        Raises:
            ChainDisagreement: two endpoints gave different valid answers (evidence: every answer, by URL).
            ChainUnavailable: otherwise, some endpoint gave no valid answer.
        """
        answers, failures = self.gather(method, params, decode, on_error=on_error)
        require_equal(method, what, answers)
        raise_failures(failures)
        return next(iter(answers.values()))

    def gather(
        self,
        method: str,
        params: list[Any],
        decode: Callable[[Any], T],
        *,
        on_error: Callable[[ChainRpcError], T] | None = None,
    ) -> tuple[dict[str, T], list[ChainUnavailable]]:
        """The decoded answers of the endpoints that gave a valid one, by URL, and the others' failures."""
        answers: dict[str, T] = {}
        failures: list[ChainUnavailable] = []
        for url in self.urls:
            try:
                try:
                    answers[url] = decode(self.call(url, method, params))
                except ChainRpcError as exc:
                    if on_error is None:
                        raise
                    answers[url] = on_error(exc)
            except ChainUnavailable as exc:
                # The pure decoders do not know the endpoint: name it here.
                exc.url = exc.url or url
                exc.method = exc.method or method
                failures.append(exc)
        return answers, failures

    # -- lifetime -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client if this object made it; idempotent."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def parse_envelope(raw: bytes, request_id: int, url: str, method: str) -> dict[str, Any]:
    """The checked JSON-RPC 2.0 response object: the request's id, and exactly one of result and error.

    Raises:
        MalformedChainAnswer: nested deeper than MAX_ANSWER_DEPTH, not JSON, or not such an object.
    """
    try:
        # Decoded as json.loads decodes bytes, so that the depth is checked on the very text it parses.
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError as exc:
        raise MalformedChainAnswer(f"the answer is not JSON: {exc}", answer=raw, url=url, method=method) from exc
    if nested_deeper_than(text, MAX_ANSWER_DEPTH):
        raise MalformedChainAnswer(
            f"the answer nests arrays and objects deeper than {MAX_ANSWER_DEPTH}", url=url, method=method
        )
    try:
        reply = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError.
        raise MalformedChainAnswer(f"the answer is not JSON: {exc}", answer=raw, url=url, method=method) from exc
    if not isinstance(reply, dict):
        raise MalformedChainAnswer("the answer is not a JSON-RPC response object", answer=reply, url=url, method=method)
    if reply.get("jsonrpc") != "2.0":
        raise MalformedChainAnswer('the answer lacks "jsonrpc": "2.0"', answer=reply, url=url, method=method)
    answered_id = reply.get("id")
    if isinstance(answered_id, bool) or not isinstance(answered_id, int) or answered_id != request_id:
        raise MalformedChainAnswer(
            f"the answer's id is {answered_id!r}, not the request's {request_id}",
            answer=reply,
            url=url,
            method=method,
        )
    if ("result" in reply) == ("error" in reply):
        raise MalformedChainAnswer(
            "the answer must hold exactly one of result and error", answer=reply, url=url, method=method
        )
    return reply


def rpc_error(error: Any, url: str, method: str, *, status: int | None = None) -> ChainUnavailable:
    """The exception for a response's ``error`` member: ``ChainRpcError``, or ``MalformedChainAnswer`` when it is
    not a JSON-RPC error object ``{code: integer, message: string, data?}``."""
    if (
        not isinstance(error, dict)
        or isinstance(error.get("code"), bool)
        or not isinstance(error.get("code"), int)
        or not isinstance(error.get("message"), str)
    ):
        return MalformedChainAnswer(
            "the answer's error is not a JSON-RPC error object {code, message}",
            answer=error,
            url=url,
            method=method,
        )
    http = f" (HTTP status {status})" if status is not None else ""
    return ChainRpcError(
        f"JSON-RPC error {error['code']}: {error['message']}{http}",
        code=error["code"],
        rpc_message=error["message"],
        data=error.get("data"),
        url=url,
        method=method,
    )


def raise_failures(failures: list[ChainUnavailable]) -> None:
    """Raise the first failure, if any, with all of them in its ``failures``."""
    if failures:
        first = failures[0]
        first.failures = failures
        raise first


def require_equal(method: str, what: str, answers: dict[str, Any]) -> None:
    """Raises ``ChainDisagreement`` (evidence: all answers by URL) unless all ``answers`` are equal."""
    values = list(answers.values())
    if any(value != values[0] for value in values[1:]):
        raise ChainDisagreement(f"the chain endpoints disagree on {what}", method=method, answers=answers)
