#!/usr/bin/env python
"""The load generator of ``bench_api.py``: one process, many HTTP/1.1 keep-alive clients, one phase.

    python scripts/bench/api_load.py SPEC.json OUT.json

It runs apart from the server (``bench_api.py`` starts one or more of these processes) and is built to
cost little CPU per request on a 2-core machine, where every cycle it spends is taken from the server:
requests are pre-encoded bytes written on raw asyncio connections, responses are parsed by ``httptools``
(the C parser uvicorn uses) and only the sampled responses are decoded as JSON. httpx costs ~6× more
CPU per request here (see BENCHMARKS.md), which would make the client, not the server, the bottleneck.

Modes (``SPEC["mode"]``):

* ``closed``: ``clients`` connections, each sending its next request as soon as the last one is answered;
* ``open``: requests scheduled at a fixed ``rate`` whatever the answers (latency counted from the
  scheduled time, so a slow server cannot hide behind a waiting client).

Workloads (``SPEC["kind"]``): ``single`` posts ``POST /v1/transitions``, alternately opening a ticket
(``register``, with a personal payload) and moving a ticket opened before to ``pending_dispatch``;
``batch`` posts ``POST /v1/transitions:batch`` of ``batch_size`` transitions, the same pairs.

For a sample of transitions it also measures the time from their 201 to ``status == anchored``: it
polls ``GET /v1/transitions/{id}`` of the lowest-indexed sample still pending every ``poll_interval``
seconds; an anchor covers a prefix of the log, so the one that covers it covers every sample below
its size too, and they were all anchored since the previous poll.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httptools

AT = "2026-03-02T09:15:00.123+08:00"
ACTOR = {"org": "330100-12345", "role": "agent"}


def _template(body: dict[str, Any]) -> str:
    """``body`` as compact JSON with ``{tid}`` and ``{ticket}`` slots (no other braces survive)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("{", "{{").replace("}", "}}")
    return text.replace("@TID@", "{tid}").replace("@TICKET@", "{ticket}")


REGISTER = _template(
    {
        "transition_id": "@TID@",
        "ticket": "@TICKET@",
        "event": "register",
        "to": "registered",
        "actor": ACTOR,
        "at": AT,
        "attrs": {"category": "complaint", "urgency": "normal", "channel": "phone"},
        "payload": {"caller": "王先生", "phone": "13800001234", "content": "夜间施工噪音，已持续三天，影响休息"},
    }
)
DISPATCH = _template(
    {
        "transition_id": "@TID@",
        "ticket": "@TICKET@",
        "event": "submit_for_dispatch",
        "to": "pending_dispatch",
        "expected_seq": 2,
        "actor": ACTOR,
        "at": "2026-03-02T09:20:00.000+08:00",
    }
)


@dataclass(frozen=True)
class Spec:
    url: str
    token: str
    mode: str  # closed | open
    kind: str  # single | batch
    clients: int
    duration: float
    warmup: float
    start_at: float  # time.monotonic() of the start, shared by all load processes (CLOCK_MONOTONIC)
    prefix: str  # makes transition ids and tickets unique to this process and phase
    batch_size: int = 1
    rate: float = 0.0  # open loop: requests per second of this process
    offset: float = 0.0  # open loop: this process's phase within the shared schedule, in seconds
    samples: int = 0
    poll_interval: float = 0.05
    anchor_wait: float = 30.0
    timeout: float = 60.0


# -- HTTP/1.1 on raw connections -------------------------------------------------------------------------


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: Any = None  # asyncio's or uvloop's transport (uvloop's do not subclass asyncio's)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        # HTTP/1.1: a response with "Connection: close" ends the connection; it is not used again.
        self.closed = self.closed or not self.parser.should_keep_alive()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("the server closed the connection"))

    async def request(self, raw: bytes, timeout: float) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        waiter = self.waiter = loop.create_future()
        self.body = []
        self.transport.write(raw)
        # A timer, not asyncio.wait_for: that would cost a task per request.
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        finally:
            timer.cancel()


def _expire(waiter: asyncio.Future[tuple[int, bytes]]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError("no answer in time"))


class Http:
    """Pre-encoded requests to one server, over a pool of keep-alive connections."""

    def __init__(self, url: str, token: str, connections: int = 256) -> None:
        # At most this many requests in flight: an open loop that outruns the server queues here,
        # still timed from its schedule, instead of opening connections without bound.
        self.slots = asyncio.Semaphore(connections)
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
        self.idle: list[Connection] = []

    def post(self, path: str, body: bytes) -> bytes:
        head = f"POST {path} HTTP/1.1\r\n{self.head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return head.encode() + b"\r\n" + body

    def get(self, path: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode()

    async def send(self, raw: bytes, timeout: float) -> tuple[int, bytes]:
        async with self.slots:
            connection = self.idle.pop() if self.idle else await self._connect()
            try:
                answer = await connection.request(raw, timeout)
            except BaseException:
                connection.transport.close()
                raise
            if connection.closed:
                connection.transport.close()
            else:
                self.idle.append(connection)
            return answer

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(Connection, self.host, self.port)
        return connection

    def close(self) -> None:
        for connection in self.idle:
            connection.transport.close()


# -- the workload ---------------------------------------------------------------------------------------------


class Workload:
    """Bodies of alternating ``register`` and ``submit_for_dispatch`` transitions, unique to this process."""

    def __init__(self, spec: Spec, http: Http) -> None:
        self.spec = spec
        self.http = http
        self.serial = 0
        self.opened: deque[str] = deque()  # tickets whose register was answered 201, not yet moved
        self.path = "/v1/transitions:batch" if spec.kind == "batch" else "/v1/transitions"

    def _ticket(self) -> str:
        self.serial += 1
        return f"{self.spec.prefix}{self.serial:07d}"

    def single(self) -> tuple[bytes, str, str | None]:
        """The next single transition: a dispatch of a ticket opened earlier, else a new ticket."""
        if self.opened:
            ticket = self.opened.popleft()
            tid = f"{ticket}-2"
            return self.http.post(self.path, DISPATCH.format(tid=tid, ticket=ticket).encode()), tid, None
        ticket = self._ticket()
        tid = f"{ticket}-1"
        return self.http.post(self.path, REGISTER.format(tid=tid, ticket=ticket).encode()), tid, ticket

    def batch(self) -> tuple[bytes, str]:
        """A batch of ``batch_size`` transitions (pairs of register and dispatch); its last transition's id."""
        items = []
        while len(items) < self.spec.batch_size:
            ticket = self._ticket()
            items.append(REGISTER.format(tid=f"{ticket}-1", ticket=ticket))
            if len(items) < self.spec.batch_size:
                items.append(DISPATCH.format(tid=f"{ticket}-2", ticket=ticket))
        last = f"{ticket}-{2 if self.spec.batch_size > 1 else 1}"
        body = '{"transitions":[' + ",".join(items) + "]}"
        return self.http.post(self.path, body.encode()), last


@dataclass
class Sample:
    transition_id: str
    index: int
    answered: float
    anchored: float | None = None


@dataclass
class Recorder:
    """Per-request times and outcomes; the samples whose anchoring is followed."""

    spec: Spec
    latencies_us: list[int] = field(default_factory=list)
    service_us: list[int] = field(default_factory=list)
    transitions: int = 0
    requests: int = 0
    accepted: int = 0  # every transition answered 201, in or out of the window
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    next_sample: float = 0.0

    @property
    def window(self) -> tuple[float, float]:
        begin = self.spec.start_at + self.spec.warmup
        return begin, begin + self.spec.duration

    def record(self, planned: float, sent: float, done: float, status: int, body: bytes, transitions: int) -> None:
        begin, end = self.window
        self.statuses[status] += 1
        if status == 201:
            self.accepted += transitions
        if status not in (200, 201):
            if len(self.errors) < 5:
                self.errors.append(f"{status}: {body[:300].decode(errors='replace')}")
            return
        if begin <= done <= end:  # throughput: what was answered within the window
            self.requests += 1
            self.transitions += transitions
        if begin <= planned < end:  # latency: what was due within the window, however late it was answered
            self.latencies_us.append(round((done - planned) * 1e6))
            self.service_us.append(round((done - sent) * 1e6))

    def wants_sample(self, now: float) -> bool:
        begin, end = self.window
        if not self.spec.samples or now < begin or now >= end or now < self.next_sample:
            return False
        self.next_sample = max(now, self.next_sample) + self.spec.duration / self.spec.samples
        return True


async def closed_client(spec: Spec, http: Http, work: Workload, recorder: Recorder, number: int) -> None:
    end = spec.start_at + spec.warmup + spec.duration
    await asyncio.sleep(max(0.0, spec.start_at - time.monotonic()))
    while time.monotonic() < end:
        await _one(spec, http, work, recorder, time.monotonic())


async def open_loop(spec: Spec, http: Http, work: Workload, recorder: Recorder) -> None:
    """Send at ``rate`` per second from ``start_at + offset``, each request on its own task."""
    count = int((spec.warmup + spec.duration) * spec.rate)
    tasks = set()
    for i in range(count):
        planned = spec.start_at + spec.offset + i / spec.rate
        delay = planned - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(spec, http, work, recorder, planned))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def _one(spec: Spec, http: Http, work: Workload, recorder: Recorder, planned: float) -> None:
    if spec.kind == "batch":
        raw, tid = work.batch()
        opened, count = None, spec.batch_size
    else:
        raw, tid, opened = work.single()
        count = 1
    sent = time.monotonic()
    sampled = recorder.wants_sample(sent)
    try:
        status, body = await http.send(raw, spec.timeout)
    except (OSError, TimeoutError, ConnectionError) as exc:
        recorder.record(planned, sent, time.monotonic(), 0, f"{type(exc).__name__}: {exc}".encode(), count)
        return
    done = time.monotonic()
    recorder.record(planned, sent, done, status, body, count)
    if status == 201:
        if opened is not None:
            work.opened.append(opened)
        if sampled:
            receipt = json.loads(body)
            index = receipt["receipts"][-1]["index"] if spec.kind == "batch" else receipt["index"]
            recorder.samples.append(Sample(tid, index, done))


async def follow_anchoring(spec: Spec, http: Http, recorder: Recorder, load: asyncio.Task[Any]) -> None:
    """Poll the lowest pending sample until every sample is anchored or ``anchor_wait`` after the load."""
    give_up: float | None = None
    while True:
        if load.done() and give_up is None:
            give_up = time.monotonic() + spec.anchor_wait
        pending = [s for s in recorder.samples if s.anchored is None]
        if load.done() and (not pending or time.monotonic() > (give_up or 0)):
            return
        if pending:
            lowest = min(pending, key=lambda s: s.index)
            try:
                status, body = await http.send(http.get(f"/v1/transitions/{lowest.transition_id}"), spec.timeout)
            except (OSError, TimeoutError, ConnectionError):
                status, body = 0, b""  # an overloaded server: poll again
            now = time.monotonic()
            receipt = json.loads(body) if status == 200 else {}
            if receipt.get("status") == "anchored":
                size = receipt["anchor"]["tree_size"]
                for sample in pending:
                    if sample.index < size:
                        sample.anchored = now
        await asyncio.sleep(spec.poll_interval)


async def window_cpu(spec: Spec, into: list[float]) -> None:
    """This process's CPU seconds within the measured window."""
    begin = spec.start_at + spec.warmup
    await asyncio.sleep(max(0.0, begin - time.monotonic()))
    cpu = time.process_time()
    await asyncio.sleep(max(0.0, begin + spec.duration - time.monotonic()))
    into.append(time.process_time() - cpu)


async def run(spec: Spec) -> dict[str, Any]:
    http, poll = Http(spec.url, spec.token), Http(spec.url, spec.token)
    work = Workload(spec, http)
    recorder = Recorder(spec)
    cpu0 = time.process_time()
    in_window: list[float] = []
    watch = asyncio.create_task(window_cpu(spec, in_window))
    if spec.mode == "open":
        load = asyncio.create_task(open_loop(spec, http, work, recorder))
    else:
        clients = [closed_client(spec, http, work, recorder, n) for n in range(spec.clients)]
        load = asyncio.create_task(_gather(clients))
    await follow_anchoring(spec, poll, recorder, load)
    await load
    await watch
    load_end = spec.start_at + spec.warmup + spec.duration
    cpu = time.process_time() - cpu0
    http.close()
    poll.close()
    return {
        "requests": recorder.requests,
        "transitions": recorder.transitions,
        "accepted_transitions": recorder.accepted,
        "latencies_us": recorder.latencies_us,
        "service_us": recorder.service_us,
        "statuses": {str(k): v for k, v in sorted(recorder.statuses.items())},
        "errors": recorder.errors,
        "samples": [
            {
                "index": s.index,
                "answered_after_start_s": s.answered - spec.start_at,
                "to_anchored_s": None if s.anchored is None else s.anchored - s.answered,
            }
            for s in recorder.samples
        ],
        "cpu_s": cpu,
        "window_cpu_s": in_window[0],
        "finished_after_end_s": time.monotonic() - load_end,
    }


async def _gather(coroutines: list[Any]) -> None:
    await asyncio.gather(*coroutines)


def main(argv: list[str]) -> int:
    spec = Spec(**json.loads(Path(argv[0]).read_text()))
    try:
        import uvloop  # the server's own event loop (uvicorn[standard]); plain asyncio works too
    except ImportError:
        result = asyncio.run(run(spec))
    else:
        result = uvloop.run(run(spec))
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
