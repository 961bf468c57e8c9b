"""Realistic demonstration traffic: hotline tickets that walk the baseline policy's lifecycles.

Used by ``hotline-ledger demo``, the benchmarks and the tests. Everything here is invented:
names, phone numbers and addresses are obviously fake, and only payloads (sealed off the log)
hold them. Ticket numbers follow the common 18-digit form: ``yyMMddHHmmss`` + a 6-digit serial.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from ledger.query_codes import QueryCodeKey
from ledger.sequencer import Receipt, TransitionRequest
from ledger.service import Ledger
from verifier.entry import Actor, format_at, parse_at

CHINA = timezone(timedelta(hours=8))
HOTLINE = "330100-12345"
#: Handling units (承办单位): region code + department.
UNITS = ("330102-zjj", "330105-cgj", "330106-scjgj", "330108-hbj", "330110-gaj", "330109-jtj", "330104-sw")
CATEGORIES = (
    ("complaint", 30),
    ("help", 25),
    ("consult", 20),
    ("report", 10),
    ("suggestion", 8),
    ("utilities", 5),
    ("praise", 2),
)
URGENCIES = (("normal", 90), ("urgent", 8), ("critical", 2))
CHANNELS = (("phone", 70), ("wechat", 12), ("web", 8), ("app", 6), ("sms", 2), ("mailbox", 1), ("transfer", 1))
TOPICS = ("C05.02.01", "C05.03.04", "C07.01.02", "C11.04.01", "C02.06.03", "C09.01.05", "C03.02.02")
SURNAMES = "王李张刘陈杨黄赵吴周"
COMPLAINTS = (
    "小区旁工地夜间施工，噪音很大，影响休息。",
    "路口信号灯故障，早高峰车辆拥堵。",
    "楼下餐馆油烟直排，气味严重。",
    "小区停水已超过一天，没有通知。",
    "人行道被共享单车占满，老人通行困难。",
    "咨询新生儿医保办理需要哪些材料。",
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


@dataclass
class _Ticket:
    """One ticket's generator state: its number, clock and the requests so far."""

    number: str
    clock: datetime
    attrs: dict[str, Any]
    rng: random.Random
    requests: list[TransitionRequest]

    def step(self, event: str, to: str, role: str, *, minutes: float, payload: Any = None, **attrs: Any) -> None:
        self.clock += timedelta(minutes=minutes * (0.5 + self.rng.random()))
        org = self.attrs["unit"] if role == "unit" else HOTLINE
        self.requests.append(
            TransitionRequest(
                transition_id=f"{self.number}-{len(self.requests) + 1}",
                ticket=self.number,
                event=event,
                to=to,
                actor=Actor(org, role),
                at=format_at(self.clock),
                attrs=attrs,
                payload=payload,
            )
        )

    def overlay(self, event: str, role: str, *, minutes: float, **attrs: Any) -> None:
        self.step(event, self.state, role, minutes=minutes, **attrs)

    @property
    def state(self) -> str:
        return self.requests[-1].to


def _citizen(rng: random.Random) -> dict[str, str]:
    return {
        "caller": rng.choice(SURNAMES) + "先生" if rng.random() < 0.5 else rng.choice(SURNAMES) + "女士",
        "phone": f"1380000{rng.randrange(10000):04d}",
        "address": f"演示区示例街道{rng.randrange(1, 300)}号",
        "content": rng.choice(COMPLAINTS),
    }


def _handle(t: _Ticket) -> None:
    """From dispatch to a reply: returns, extensions, sub-dispatch, urges and supervision."""
    t.step("dispatch", "dispatched", "dispatcher", minutes=20, unit=t.attrs["unit"])
    roll = t.rng.random()
    if roll < 0.08:
        t.step("request_return", "return_requested", "unit", minutes=90, reason="not_our_remit")
        t.step("approve_return", "pending_dispatch", "reviewer", minutes=60)
        t.attrs["unit"] = t.rng.choice(UNITS)
        t.step("dispatch", "dispatched", "dispatcher", minutes=20, unit=t.attrs["unit"])
    t.step("accept", "accepted", "unit", minutes=45)
    if roll > 0.9:
        t.step("request_extension", "extension_requested", "unit", minutes=60 * 24, reason="needs_site_visit")
        t.step("approve_extension", "accepted", "reviewer", minutes=120, extra="5wd")
    if 0.4 < roll < 0.5:
        t.step("sub_dispatch", "sub_dispatched", "unit", minutes=60, sub_unit=t.attrs["unit"] + "-jd01")
        t.step("sub_reply", "accepted", "unit", minutes=60 * 20)
    if 0.5 < roll < 0.62:
        t.overlay("urge", "agent", minutes=60 * 24, reason="citizen_called_again")
    if 0.58 < roll < 0.62:
        t.overlay("supervise", "reviewer", minutes=60 * 3, level="yellow")
    t.step("reply", "replied", "unit", minutes=60 * 30, payload={"reply": "已现场核查并处理，详见办理情况。"})


def _callback(t: _Ticket) -> None:
    """Review, call back and close: failed visits and dissatisfaction lead to rework."""
    t.step("approve_reply", "pending_visit", "reviewer", minutes=90)
    roll = t.rng.random()
    if roll < 0.07:
        t.step("visit_failed", "visit_failed", "callback", minutes=60 * 20, reason="no_answer")
        t.step("retry_visit", "pending_visit", "callback", minutes=60 * 24)
    if roll > 0.9:
        t.overlay("evaluate", "callback", minutes=30, satisfaction="dissatisfied", resolved="no")
        t.step("visit_dissatisfied", "rework", "callback", minutes=5)
        t.step("dispatch", "dispatched", "dispatcher", minutes=60, unit=t.attrs["unit"])
        t.step("accept", "accepted", "unit", minutes=40)
        t.step("reply", "replied", "unit", minutes=60 * 40, payload={"reply": "重新办理，已解决。"})
        t.step("approve_reply", "pending_visit", "reviewer", minutes=60)
    satisfaction = t.rng.choices(["satisfied", "basically_satisfied", "no_opinion"], [70, 20, 10])[0]
    t.overlay("evaluate", "callback", minutes=60 * 20, satisfaction=satisfaction, resolved="yes")
    t.step("visit_ok", "closed", "callback", minutes=3)


def ticket_requests(rng: random.Random, serial: int, opened: datetime) -> list[TransitionRequest]:
    """One ticket's whole history as requests, in order, following the baseline policy."""
    number = opened.strftime("%y%m%d%H%M%S") + f"{serial % 1_000_000:06d}"
    attrs = {
        "category": _pick(rng, CATEGORIES),
        "urgency": _pick(rng, URGENCIES),
        "channel": _pick(rng, CHANNELS),
        "topic": rng.choice(TOPICS),
        "area": "3301" + rng.choice(("02", "05", "06", "08", "09", "10")),
    }
    t = _Ticket(number, opened, {**attrs, "unit": rng.choice(UNITS)}, rng, [])
    t.step("register", "registered", "agent", minutes=0, payload=_citizen(rng), **attrs)
    roll = rng.random()
    if roll < 0.03:
        t.step("withdraw", "withdrawn", "agent", minutes=30, reason="citizen_withdrew")
    elif roll < 0.07:
        t.step("merge", "merged", "agent", minutes=10, merged_into="duplicate")
    elif roll < 0.1:
        t.step("reject_invalid", "rejected_invalid", "agent", minutes=10, reason="not_hotline_matter")
    elif roll < 0.25:
        t.step("resolve_direct", "resolved_direct", "agent", minutes=5, reason="knowledge_base")
        t.step("close", "closed", "agent", minutes=2)
    else:
        t.step("submit_for_dispatch", "pending_dispatch", "agent", minutes=5)
        _handle(t)
        _callback(t)
    t.step("archive", "archived", "system", minutes=60 * 24)
    return t.requests


def demo_requests(tickets: int, *, seed: int = 12345, start: datetime | None = None) -> Iterator[TransitionRequest]:
    """Requests for ``tickets`` tickets opened over working days, interleaved in time order."""
    rng = random.Random(seed)
    opened = start or datetime(2026, 3, 2, 8, 30, tzinfo=CHINA)
    histories = []
    for serial in range(tickets):
        opened += timedelta(seconds=rng.randrange(20, 200))
        histories.append(ticket_requests(rng, serial, opened))
    merged = sorted((r for history in histories for r in history), key=lambda r: r.at)
    # Sorting by time keeps each ticket's order: its steps have strictly increasing times.
    yield from merged


#: How far back a live demo's history reaches: within every policy's bound on anchoring lag.
LIVE_SPAN = timedelta(minutes=2)


def compress_into(requests: list[TransitionRequest], end: datetime, span: timedelta) -> list[TransitionRequest]:
    """The requests re-timed into ``[end - span, end]``, keeping their order and relative spacing.

    Demo tickets walk lifecycles of days; anchored right after seeding, their early steps would be
    anchored days late (step V10 refuses that). A live demo compresses them as if they had just happened.
    """
    if not requests:
        return []
    times = [parse_at(r.at) for r in requests]
    first, last = min(times), max(times)
    scale = span / (last - first) if last > first else 0.0
    start = end - span
    # Distinct original times stay distinct (and ordered) at millisecond precision, but never beyond ``end``.
    retimed = [min(end, start + (t - first) * scale) for t in times]
    return [replace(r, at=format_at(t)) for r, t in zip(requests, retimed, strict=True)]


def seed_demo(
    ledger: Ledger,
    tickets: int,
    *,
    seed: int = 12345,
    batch: int = 1000,
    query_codes: QueryCodeKey | None = None,
    live_until: datetime | None = None,
) -> list[Receipt]:
    """Append the demo tickets in batches; requests already in the log are replayed, not repeated.

    With ``query_codes``, each new ticket gets a citizen's query code, returned on its opening receipt.
    With ``live_until``, the history is compressed into the ``LIVE_SPAN`` before that moment.
    """
    requests = list(demo_requests(tickets, seed=seed))
    if live_until is not None:
        requests = compress_into(requests, live_until, LIVE_SPAN)
    receipts: list[Receipt] = []
    for start in range(0, len(requests), batch):
        receipts += ledger.append(requests[start : start + batch], query_codes=query_codes)
    return receipts
