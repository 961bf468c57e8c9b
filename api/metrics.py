"""Prometheus metrics of one app: the log and its anchoring backlog, group commits, and request latency."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from api.backlog import BacklogMonitor
from api.group_commit import GroupCommitter


class LedgerCollector(Collector):
    """Reads the backlog and the committer's counters when Prometheus scrapes."""

    def __init__(self, backlog: BacklogMonitor, committer: GroupCommitter) -> None:
        self._backlog = backlog
        self._committer = committer

    def collect(self) -> Iterator[Metric]:
        backlog = self._backlog.current()
        yield GaugeMetricFamily("hotline_entries", "Entries in the log (tree size).", value=backlog.tree_size)
        yield GaugeMetricFamily(
            "hotline_pending_entries",
            "Entries not yet covered by an anchored checkpoint (tree size minus latest anchored size).",
            value=backlog.pending,
        )
        yield GaugeMetricFamily(
            "hotline_last_anchored_size", "Tree size of the latest anchored checkpoint.", value=backlog.anchored_size
        )
        yield GaugeMetricFamily(
            "hotline_anchor_lag_seconds",
            "Seconds since the latest anchor while entries wait (0 when none wait, NaN before the first anchor).",
            value=backlog.lag_seconds(time.time()),
        )
        yield CounterMetricFamily(
            "hotline_commit_transactions",
            "Writer transactions run by the group committer.",
            value=self._committer.transactions,
        )
        yield CounterMetricFamily(
            "hotline_committed_transitions",
            "Transitions committed by the group committer (replays excluded).",
            value=self._committer.committed,
        )


class Metrics:
    """The app's registry (never the process-global one, so several apps can live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._watching: LedgerCollector | None = None
        self.request_seconds = Histogram(
            "hotline_http_request_duration_seconds",
            "HTTP request latency by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def watch(self, backlog: BacklogMonitor, committer: GroupCommitter) -> None:
        """Report this backlog and committer (those of an earlier lifespan of the app are forgotten)."""
        if self._watching is not None:
            self.registry.unregister(self._watching)
        self._watching = LedgerCollector(backlog, committer)
        self.registry.register(self._watching)
