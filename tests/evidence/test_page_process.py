"""The full audit's pages fetched by a child process (``verifier.sources.page_process``) over real HTTP: the same
pages ``LogApi.entries`` gives, its failures as the same ``SourceError``, a child that dies or is no longer wanted
never left behind, and Ctrl-C left to the audit."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from tests.evidence import malicious_api as m
from tests.evidence.scene import Scene
from verifier.errors import SourceError
from verifier.merkle import leaf_hash
from verifier.prefetch import Prefetch
from verifier.sources import api as api_module
from verifier.sources.api import ApiUnavailable, LogApi, MalformedAnswer
from verifier.sources.page_process import ApiAddress, PageProcess


@pytest.fixture
def scene_in_pages(scene: Scene) -> Scene:
    scene.api.page_size = 2
    return scene


def address(url: str, timeout: float = 5.0) -> ApiAddress:
    return ApiAddress(url, None, timeout)


def pages_by_thread(url: str, start: int, end: int) -> list[tuple[int, list[bytes], list[bytes]]]:
    """The pages as ``LogApi.entries`` serves them, with their entries' leaf hashes."""
    pages = []
    with LogApi(url) as api:
        while start < end:
            entries = api.entries(start, end).entries
            pages.append((start, entries, [leaf_hash(data) for data in entries]))
            if not entries:
                break
            start += len(entries)
    return pages


@pytest.mark.parametrize(("start", "end"), [(0, 8), (3, 8), (0, 5), (7, 8)])
def test_the_child_serves_the_pages_the_api_serves(scene_in_pages: Scene, start: int, end: int) -> None:
    with m.MaliciousApi(m.simulated(scene_in_pages.api)) as server:
        with PageProcess(address(server.url), start, end) as pages:
            fetched = list(pages)
        assert fetched == pages_by_thread(server.url, start, end)
    assert [e for _, page, _ in fetched for e in page] == scene_in_pages.sim.entries[start:end]


@pytest.mark.parametrize(
    ("rewrite", "error", "words"),
    [
        (m.server_error, ApiUnavailable, "HTTP 500"),
        (m.garbage, MalformedAnswer, "the API"),
        (m.drop_entry_unnumbered, MalformedAnswer, "next page starts at 2, not at 1|missing or out of order"),
    ],
)
def test_a_failure_in_the_child_is_the_audits_source_error(
    scene_in_pages: Scene, rewrite: Callable[[m.Reply], m.Reply], error: type[SourceError], words: str
) -> None:
    with m.MaliciousApi(m.simulated(scene_in_pages.api), m.on("/v1/entries", rewrite)) as server:
        with pytest.raises(error, match=words) as raised:
            list(PageProcess(address(server.url), 0, 8))
        with LogApi(server.url) as api, pytest.raises(error) as directly:
            api.entries(0, 8)
    assert str(raised.value) == str(directly.value)


def test_a_child_that_dies_ends_the_pages_with_a_source_error(scene_in_pages: Scene) -> None:
    slow = m.MaliciousApi(m.simulated(scene_in_pages.api), m.on("/v1/entries", m.slow(0.5)))
    with slow as server, PageProcess(address(server.url), 0, 8) as pages:
        iterator = iter(pages)
        next(iterator)
        os.kill(pages._process.pid, signal.SIGKILL)
        with pytest.raises(SourceError, match="ended without an answer"):
            list(iterator)


def test_pages_no_longer_wanted_end_the_child_at_once(scene_in_pages: Scene) -> None:
    with m.MaliciousApi(m.simulated(scene_in_pages.api), m.on("/v1/entries", m.slow(30))) as server:
        began = time.monotonic()
        pages = PageProcess(address(server.url, timeout=60), 0, 8)
        time.sleep(1)  # the child is waiting for its first page
        pages.close()
        assert time.monotonic() - began < 10
        assert pages._process.poll() is not None


def test_ctrl_c_is_the_audits_to_handle(scene_in_pages: Scene) -> None:
    tamper = m.on("/v1/entries", m.slow(0.3))
    with m.MaliciousApi(m.simulated(scene_in_pages.api), tamper) as server:
        with PageProcess(address(server.url), 0, 8) as pages:
            iterator = iter(pages)
            first = next(iterator)
            os.kill(pages._process.pid, signal.SIGINT)
            rest = list(iterator)
        assert [first, *rest] == pages_by_thread(server.url, 0, 8)


def test_without_posix_pipes_the_pages_come_from_a_thread(
    scene_in_pages: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    with m.MaliciousApi(m.simulated(scene_in_pages.api)) as server, LogApi(server.url) as api:
        monkeypatch.setattr(api_module.os, "name", "nt")
        pages = api.pages(0, 8)
        assert isinstance(pages, Prefetch)
        with pages:
            fetched = list(pages)
        monkeypatch.undo()
        assert fetched == pages_by_thread(server.url, 0, 8)
