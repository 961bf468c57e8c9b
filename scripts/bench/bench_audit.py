#!/usr/bin/env python
"""Benchmark the auditor's full-log audit and inclusion verification (results: BENCHMARKS.md, issue 5).

One run, over a demo-traffic log anchored on anvil and served by a real uvicorn API (``audit_fixture``):

1. ``hotline-verify log`` as an auditor runs it — a subprocess through ``LogApi`` and ``ChainReader`` — at each
   snapshot size (default 250,000, 500,000 and 1,000,000 entries): wall time, entries/s, and the verifier
   process's own peak RSS (``os.wait4``), to show memory flat in the log size; the server's CPU beside it;
2. where the time goes: ``GET /v1/entries`` alone (every page fetched and decoded, nothing checked), and the
   audit's core from an in-memory source (no HTTP), optionally profiled (``--profile``);
3. inclusion verifications per second at the largest size with ``verifier.merkle.verify_inclusion``, against
   pymerkle 7's ``verify_inclusion`` on a pymerkle tree of the same leaves, in the same run (their roots must agree).

Every audit must come out VERIFIED, or the run fails (exit 1).

    python scripts/bench/bench_audit.py --cache /var/tmp/audit-log --out bench_audit.json   # full run
    python scripts/bench/bench_audit.py --quick                                              # 20,000 entries
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import audit_fixture as fixture
from bench_log import Contention, frozen_garbage, log, machine_info, publish
from peak import VERIFY_CHILD
from pymerkle import InmemoryTree
from pymerkle import verify_inclusion as pymerkle_verify_inclusion

from ledger.config import DataDir
from verifier.bundle_file import IN_MEMORY_BYTES
from verifier.log_audit import LogAudit
from verifier.merkle import leaf_hash, tree_root, verify_inclusion
from verifier.sources.api import ENTRIES_ACCEPT, LogApi
from verifier.sources.chain import ChainReader

SCHEMA = "hotline-ledger/bench-audit/v1"
PACKAGES = ("hotline-ledger", "httpx", "cryptography", "fastapi", "uvicorn", "SQLAlchemy", "pymerkle")
TARGET_ENTRIES_PER_S = 100_000
TARGET_PEAK_RSS_MB = 500
TARGET_INCLUSIONS_PER_S = 30_000


class BenchmarkError(RuntimeError):
    """An audit did not verify, or the implementations disagree: the numbers would mean nothing."""


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...]
    anchor_every: int
    inclusion_proofs: int
    inclusion_rounds: int
    seed: int
    quick: bool
    profile: bool


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (from /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def audit_subprocess(url: str, token: str, trust: Path, rpc: str, state: Path, server_pid: int) -> dict[str, Any]:
    """``hotline-verify log --json`` in its own process: wall time, CPU (via wait4), peak RSS (its own VmHWM)."""
    command = [sys.executable, "-c", VERIFY_CHILD, str(IN_MEMORY_BYTES)]
    command += ["log", "--api", url, "--trust", str(trust), "--rpc", rpc]
    command += ["--state-dir", str(state), "--json"]
    env = {**os.environ, "HOTLINE_VERIFY_TOKEN": token}
    watch = Contention()
    server_cpu = _cpu_seconds(server_pid)
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    try:
        report = json.loads(stdout)
    except ValueError as exc:
        raise BenchmarkError(f"the audit printed no report (exit {process.returncode}): {stderr[-2000:]}") from exc
    if process.returncode != 0 or report["outcome"] != "VERIFIED":
        raise BenchmarkError(f"the audit did not verify (exit {process.returncode}): {json.dumps(report)[:2000]}")
    entries = report["facts"]["entries"]
    peaks = json.loads(stderr.strip().splitlines()[-1])
    return {
        "entries": entries,
        "tickets": report["facts"]["tickets"],
        "anchors": report["facts"]["anchors"],
        "wall_s": wall,
        "entries_per_s": entries / wall,
        "audit_s": report["facts"]["seconds"],
        "audit_entries_per_s": entries / report["facts"]["seconds"],
        "peak_rss_mb": peaks["max_rss_mb"],
        "fetcher_peak_rss_mb_at_most": peaks["children_max_rss_mb"],
        # The verifier's and its entries fetcher's (a child it waits for), together.
        "verifier_cpu_s": usage.ru_utime + usage.ru_stime,
        # On a shared machine, what the verifier would do with a core to itself (CPU time, not wall time).
        "entries_per_verifier_cpu_s": entries / (usage.ru_utime + usage.ru_stime),
        "server_cpu_s": _cpu_seconds(server_pid) - server_cpu,
        "contention": watch.report(),
    }


def serve_pages(
    url: str, token: str, size: int, *, server_pid: int | None = None, accept: str | None = None
) -> dict[str, Any]:
    """Every page of ``GET /v1/entries`` fetched and decoded by ``LogApi``, nothing checked.

    ``LogApi`` asks for the binary pages; ``accept`` replaces the ``Accept`` header it sends (``application/json``:
    the JSON pages). With ``server_pid``, the server's CPU time is measured too; the client's is this process's.
    """
    kinds: set[str] = set()
    hooks: dict[str, list[Any]] = {"response": [lambda response: kinds.add(response.headers["content-type"])]}
    if accept:
        hooks["request"] = [lambda request: request.headers.__setitem__("Accept", accept)]
    watch = Contention()
    server_cpu = 0.0 if server_pid is None else _cpu_seconds(server_pid)
    client_cpu = time.process_time()
    began = time.perf_counter()
    pages, position = 0, 0
    with LogApi(url, token=token) as api:
        api.client.event_hooks = hooks
        while position < size:
            page = api.entries(position, size)
            position += len(page.entries)
            pages += 1
    seconds = time.perf_counter() - began
    client_cpu = time.process_time() - client_cpu
    results: dict[str, Any] = {
        "accept": accept or ENTRIES_ACCEPT,
        "served_as": sorted(kinds),
        "entries": size,
        "pages": pages,
        "seconds": seconds,
        "entries_per_s": size / seconds,
        "ms_per_page": 1000 * seconds / pages,
        "client_cpu_s": client_cpu,
        "client_cpu_us_per_entry": 1e6 * client_cpu / size,
    }
    if server_pid is not None:
        server_cpu = _cpu_seconds(server_pid) - server_cpu
        results |= {"server_cpu_s": server_cpu, "server_cpu_us_per_entry": 1e6 * server_cpu / size}
    return results | {"contention": watch.report()}


@dataclass
class _Page:
    entries: list[bytes]


class MemorySource:
    """The log's entries and latest checkpoint held in memory: the audit's core without HTTP."""

    def __init__(self, data: Path) -> None:
        ledger = DataDir(data).open_ledger(development=True)
        try:
            size = ledger.head().tree_size
            self.leaves: list[bytes] = []
            for start in range(0, size, 20_000):
                self.leaves += [e.data for e in ledger.entries(start, min(size, start + 20_000))]
            latest = ledger.latest_checkpoint()
            assert latest is not None
            self.note = latest.note
        finally:
            ledger.store.close()

    def entries(self, start: int, end: int | None = None) -> _Page:
        return _Page(self.leaves[start : min(end or len(self.leaves), start + 1000)])

    def latest_checkpoint(self) -> str:
        return self.note

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        raise NotImplementedError("a fresh in-memory audit never resumes")


def audit_in_memory(source: MemorySource, trust: Any, rpc: str, profile: bool) -> dict[str, Any]:
    reader = ChainReader([rpc], timeout=30)
    watch = Contention()
    profiler = cProfile.Profile() if profile else None
    cpu = time.process_time()
    began = time.perf_counter()
    if profiler:
        profiler.enable()
    report = LogAudit(source, trust, reader, None).run()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    if report.first_failure is not None or report.facts["entries"] != len(source.leaves):
        raise BenchmarkError(f"the in-memory audit did not pass: {report.summary()}")
    result: dict[str, Any] = {
        "entries": len(source.leaves),
        "seconds": seconds,
        "entries_per_s": len(source.leaves) / seconds,
        "cpu_s": cpu,
        "entries_per_cpu_s": len(source.leaves) / cpu,
        "contention": watch.report(),
    }
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(20)
        result["profile_top20_tottime"] = text.getvalue().splitlines()
    return result


def inclusion(cfg: Config, leaves: list[bytes]) -> dict[str, Any]:
    """Verifications per second at ``len(leaves)``: this verifier against pymerkle 7, on the same proofs' trees."""
    size = len(leaves)
    hashes = [leaf_hash(leaf) for leaf in leaves]
    root = tree_root(hashes)
    log(f"pymerkle: building an InmemoryTree of {size:,} leaves")
    tree = InmemoryTree()
    with frozen_garbage():
        tree.append_entries(leaves)
        if tree.get_root(size) != root:
            raise BenchmarkError("pymerkle's root differs from verifier.merkle.tree_root")
    rng = random.Random(cfg.seed)
    indices = [rng.randrange(size) for _ in range(cfg.inclusion_proofs)]
    proofs = {}
    for index in indices:
        theirs = tree.prove_inclusion(index + 1, size)
        # pymerkle's path starts with the proved leaf's own hash; the RFC 9162 proof is the rest.
        proofs[index] = (theirs, list(theirs.path[1:]))
    results: dict[str, Any] = {"tree_size": size, "proofs": len(indices), "rounds": cfg.inclusion_rounds}
    for name, verify in (
        ("verifier", lambda i: verify_inclusion(hashes[i], i, size, proofs[i][1], root)),
        ("pymerkle", lambda i: pymerkle_verify_inclusion(hashes[i], root, proofs[i][0])),
    ):
        watch = Contention()
        cpu = time.process_time()
        began = time.perf_counter()
        for _ in range(cfg.inclusion_rounds):
            for index in indices:
                verify(index)
        seconds = time.perf_counter() - began
        cpu = time.process_time() - cpu
        count = cfg.inclusion_rounds * len(indices)
        results[name] = {
            "verifications": count,
            "per_s": count / seconds,
            "us_each": 1e6 * seconds / count,
            "per_cpu_s": count / cpu,
            "contention": watch.report(),
        }
    results["speedup_vs_pymerkle"] = results["verifier"]["per_s"] / results["pymerkle"]["per_s"]
    return results


def run(cfg: Config, cache: Path, workdir: Path, command: str) -> dict[str, Any]:
    started = time.time()
    watch = Contention()
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "command": command,
        "started_at": datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        "cpu_pressure_at_start": Path("/proc/pressure/cpu").read_text().splitlines(),
        "machine": machine_info(workdir, PACKAGES),
        "config": asdict(cfg),
        "audit": {},
    }
    if not fixture.cached(cache, cfg.sizes, cfg.anchor_every):
        log(f"building the log ({', '.join(f'{s:,}' for s in cfg.sizes)} entries) in {cache}")
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        fixture.build(cache, cfg.sizes, cfg.anchor_every, cfg.seed)
    largest = max(cfg.sizes)
    with fixture.anchored_chain(cache, cfg.sizes, cfg.anchor_every, workdir) as chain:
        trust = fixture.trust_of(cache, largest, chain.deployment)
        trust_file = workdir / "trust.json"
        trust_file.write_bytes(trust.encode())
        for size in cfg.sizes:
            data = cache / str(size)
            token = fixture.audit_token(data)
            with fixture.api_server(data, workdir / f"server-{size}.log") as server:
                log(f"hotline-verify log over HTTP: {size:,} entries")
                state = workdir / f"state-{size}"
                audited = audit_subprocess(server.url, token, trust_file, chain.node.url, state, server.process.pid)
                results["audit"][str(size)] = audited
                log(f"  {audited['entries_per_s']:,.0f} entries/s, peak RSS {audited['peak_rss_mb']:,.0f} MB")
                if size == largest:
                    log("GET /v1/entries alone")
                    results["entries_api"] = serve_pages(server.url, token, size, server_pid=server.process.pid)
        log(f"the audit's core from memory: {largest:,} entries")
        source = MemorySource(cache / str(largest))
        results["core_in_memory"] = audit_in_memory(source, trust, chain.node.url, cfg.profile)
    log(f"inclusion verification at {largest:,}")
    results["inclusion"] = inclusion(cfg, source.leaves)
    results["contention"] = watch.report()
    results["cpu_pressure_at_end"] = Path("/proc/pressure/cpu").read_text().splitlines()
    results["targets"] = targets(results, largest)
    results["duration_s"] = time.time() - started
    return results


def targets(results: dict[str, Any], largest: int) -> dict[str, Any]:
    audit = results["audit"][str(largest)]
    # The verifier and its entries fetcher together (the fetcher's an upper bound, see peak.py).
    rss = [a["peak_rss_mb"] + a["fetcher_peak_rss_mb_at_most"] for a in results["audit"].values()]
    values = {
        "entries_per_s_full_audit_http": (audit["entries_per_s"], ">=", TARGET_ENTRIES_PER_S),
        "entries_per_s_core_in_memory": (results["core_in_memory"]["entries_per_s"], ">=", TARGET_ENTRIES_PER_S),
        "peak_rss_mb": (max(rss), "<", TARGET_PEAK_RSS_MB),
        "inclusion_verifications_per_s": (results["inclusion"]["verifier"]["per_s"], ">=", TARGET_INCLUSIONS_PER_S),
    }
    return {
        name: {"target": f"{op} {bound:,}", "value": value, "met": value >= bound if op == ">=" else value < bound}
        for name, (value, op, bound) in values.items()
    } | {"peak_rss_growth_smallest_to_largest_mb": {"value": rss[-1] - rss[0]}}


def render(results: dict[str, Any]) -> str:
    lines = [
        "size       wall     entries/s  audit entries/s  per verifier CPU s  peak RSS (+ fetcher)  verifier CPU"
        "  server CPU  CPU pressure"
    ]
    for size, a in results["audit"].items():
        lines.append(
            f"{int(size):>9,}  {a['wall_s']:6.1f} s  {a['entries_per_s']:>9,.0f}  {a['audit_entries_per_s']:>15,.0f}"
            f"  {a['entries_per_verifier_cpu_s']:>18,.0f}"
            f"  {a['peak_rss_mb']:>5,.0f} MB (+ {a['fetcher_peak_rss_mb_at_most']:>3,.0f} MB)"
            f"  {a['verifier_cpu_s']:>10.1f} s  {a['server_cpu_s']:>8.1f} s"
            f"  {a['contention']['cpu_pressure_pct']:>8.0f} %"
        )
    api, core, inc = results["entries_api"], results["core_in_memory"], results["inclusion"]
    lines.append(f"GET /v1/entries alone: {api['entries_per_s']:,.0f} entries/s ({api['ms_per_page']:.1f} ms/page)")
    lines.append(
        f"core from memory (no HTTP): {core['entries_per_s']:,.0f} entries/s "
        f"({core['entries_per_cpu_s']:,.0f} per CPU s)"
    )
    lines.append(
        f"inclusion at {inc['tree_size']:,}: verifier {inc['verifier']['per_s']:,.0f}/s "
        f"({inc['verifier']['us_each']:.1f} µs), pymerkle {inc['pymerkle']['per_s']:,.0f}/s "
        f"({inc['pymerkle']['us_each']:.1f} µs): {inc['speedup_vs_pymerkle']:.1f}×"
    )
    for name, target in results["targets"].items():
        verdict = "" if "met" not in target else (": met" if target["met"] else ": MISSED")
        lines.append(f"target {name}: {target['value']:,.1f} {target.get('target', '')}{verdict}")
    lines.append(f"contention over the run: CPU pressure {results['contention']['cpu_pressure_pct']:.0f} %")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> tuple[Config, Path, Path | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5,000, 10,000 and 20,000 entries, fewer proofs")
    parser.add_argument("--sizes", type=int, nargs="+", help="snapshot sizes (default 250,000 500,000 1,000,000)")
    parser.add_argument("--anchor-every", type=int, help="entries between checkpoints (default 50,000; quick 2,500)")
    parser.add_argument("--cache", type=Path, help="build the log here once and reuse it (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=Path("bench_audit.json"), help="JSON results (default %(default)s)")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-memory audit (top 20 in the JSON)")
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    sizes = tuple(sorted(args.sizes or ((5_000, 10_000, 20_000) if quick else (250_000, 500_000, 1_000_000))))
    every = args.anchor_every or (2_500 if quick else 50_000)
    if sizes[0] < 2 or every < 1 or any(size % every for size in sizes):
        parser.error("every size must be at least 2 and a multiple of --anchor-every")
    cfg = Config(sizes, every, 200 if quick else 2_000, 5 if quick else 20, args.seed, quick, bool(args.profile))
    return cfg, args.out, args.cache


def main(argv: list[str] | None = None) -> int:
    cfg, out, cache = parse_args(argv)
    command = " ".join(["python", "scripts/bench/bench_audit.py", *(sys.argv[1:] if argv is None else argv)])
    workdir = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        results = run(cfg, cache or workdir / "log", workdir, command)
    except BenchmarkError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    publish(results, out, render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
