"""Fetching a full audit's pages of entries in a child process, while the audit checks them in its own.

A thread (``verifier.prefetch``) overlaps the network wait with the checks, but the client's own work —
HTTP, and decoding and checking the shape of every page — runs under the audit's GIL, on the audit's
core. In a child process it runs on the other core: the child fetches and shape-checks each page as
``LogApi.entries`` does, and hands the audit its entries through a pipe (pickled bytes objects, a memory
copy). The pipe holds little, so the child runs at most a page or two ahead; the audit's memory does
not grow with a fast server.

The child also computes each entry's leaf hash, the one step of the audit that needs nothing but the
entry itself (the verifier's own code, over the entry's bytes as received). It trusts nothing more than
``LogApi`` does, and the audit trusts the entries it hands over no more than the server: they are checked
as evidence whichever way they came. A failure to fetch reaches the audit as the ``SourceError`` it was
in the child; a child that dies reaches it as a ``SourceError`` too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType

from verifier.errors import SourceError
from verifier.merkle import HASH_SIZE, leaf_hash
from verifier.prefetch import PageOfLeaves, pages_from
from verifier.sources.api import ApiUnavailable, LogApi, MalformedAnswer

#: The errors a child can report by name, rebuilt on the audit's side with their message.
_ERRORS: dict[str, type[SourceError]] = {
    "ApiUnavailable": ApiUnavailable,
    "MalformedAnswer": MalformedAnswer,
    "SourceError": SourceError,
}
#: How long the audit waits for a child to end when it closes it, in seconds.
_JOIN_SECONDS = 5.0
#: The API key reaches the child in its environment, not on its command line (which others may read).
_TOKEN = "HOTLINE_VERIFY_FETCHER_TOKEN"


@dataclass(frozen=True)
class ApiAddress:
    """What a child needs to talk to the API as the audit's ``LogApi`` does."""

    base_url: str
    token: str | None
    timeout: float


def _serve(pipe: Connection, address: ApiAddress, start: int, end: int) -> None:
    """The child: send ``("page", first index, entries, leaf hashes)`` for each page, then ``("done",)``, or
    ``("error", kind, text)``."""
    try:
        with LogApi(address.base_url, token=address.token, timeout=address.timeout) as api:
            try:
                for position, entries in pages_from(api.entries, start, end):
                    # The leaf hashes too: hashing is the one per-entry step that needs nothing but the entry.
                    pipe.send(("page", position, entries, b"".join([leaf_hash(data) for data in entries])))
            except SourceError as exc:
                kind = type(exc).__name__
                pipe.send(("error", kind if kind in _ERRORS else "SourceError", str(exc)))
                return
            pipe.send(("done",))
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return  # the audit closed its end: it needs no more pages
    finally:
        pipe.close()


#: The pipe's capacity asked for: two pages of 1,000 usual entries with their hashes (~450 KB each), so that the
#: child writes a page at once and goes on fetching, instead of handing it over 64 KB at a time, each piece
#: waiting for the audit to read the one before.
PIPE_BYTES = 1024 * 1024


def _widen(fd: int) -> None:
    # Linux only (elsewhere, or above the system's pipe-max-size, the pipe keeps its default capacity, which
    # only costs some waiting).
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setting, PIPE_BYTES)


class PageProcess:
    """The entries ``start <= index < end`` page by page, as ``(first index, entries, leaf hashes)``, fetched
    (and hashed) by a child process; a context manager (leaving it ends the child). Iterating raises the
    ``SourceError`` the child met when the caller reaches that page; an empty page ends the iteration."""

    def __init__(self, address: ApiAddress, start: int, end: int) -> None:
        # A fresh interpreter running this module (not multiprocessing's spawn, which would import the caller's
        # main script again, nor fork, which would copy the audit's threads and connections).
        read, write = os.pipe()
        _widen(write)
        command = [sys.executable, "-m", __name__, address.base_url, str(address.timeout), str(start), str(end)]
        environment = {**os.environ, _TOKEN: address.token or ""}
        try:
            self._process = subprocess.Popen(
                [*command, str(write)], pass_fds=(write,), env=environment, stdin=subprocess.DEVNULL
            )
        finally:
            os.close(write)
        self._pipe = Connection(read, writable=False)
        self._finished = False

    def __iter__(self) -> Iterator[PageOfLeaves]:
        while True:
            try:
                message = self._pipe.recv()
            except (EOFError, OSError):
                code = self._process.poll()
                raise SourceError(
                    "the process fetching the entries ended without an answer"
                    + ("" if code is None else f" (exit code {code})")
                ) from None
            if message[0] != "page":
                self._finished = True
                if message[0] == "error":
                    raise _ERRORS[message[1]](message[2])
                return
            _, position, entries, hashes = message
            yield position, entries, [hashes[at : at + HASH_SIZE] for at in range(0, len(hashes), HASH_SIZE)]
            if not entries:
                self._finished = True
                return

    def close(self) -> None:
        self._pipe.close()
        if not self._finished:
            self._process.terminate()  # stopped early: whatever it is waiting for is not wanted
        try:
            self._process.wait(_JOIN_SECONDS)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> PageProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def main(argv: list[str]) -> None:
    """``python -m verifier.sources.page_process BASE_URL TIMEOUT START END FD`` (started by ``PageProcess``)."""
    # Ctrl-C reaches the whole process group; the audit decides when to stop, and ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    base_url, timeout, start, end, fd = argv
    address = ApiAddress(base_url, os.environ.get(_TOKEN) or None, float(timeout))
    _serve(Connection(int(fd), readable=False), address, int(start), int(end))


if __name__ == "__main__":
    main(sys.argv[1:])
