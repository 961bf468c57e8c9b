#!/usr/bin/env python
"""``GET /v1/entries`` alone, JSON pages against binary pages (issue 5): server CPU per entry and client entries/s.

Serves a snapshot of ``bench_audit.py``'s cached log (``--cache``, built by it; never built or changed here but
for the auditor's API key it adds, as ``bench_audit.py`` does) with a real uvicorn API, and fetches every page
of it with ``LogApi`` (nothing checked), alternating the two representations round by round (ABBA order), after
one warm-up pass of each. The server and this client share the machine's cores, as in an audit.

    python scripts/bench/bench_pages.py --cache /var/tmp/audit-cache --size 1000000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import audit_fixture as fixture
from bench_audit import serve_pages
from bench_log import Contention, log, machine_info

from verifier.entries_page import MEDIA_TYPE

SCHEMA = "hotline-ledger/bench-pages/v1"
FORMATS = {"json": "application/json", "binary": None}
_COLUMNS = ("entries_per_s", "ms_per_page", "server_cpu_us_per_entry", "client_cpu_us_per_entry")


def _expected(name: str) -> str:
    return "application/json" if name == "json" else MEDIA_TYPE


def measure(url: str, token: str, size: int, pid: int, rounds: int) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in FORMATS}
    for name, accept in FORMATS.items():
        log(f"warm-up: {name}")
        serve_pages(url, token, size, server_pid=pid, accept=accept)
    for number in range(rounds):
        order = list(FORMATS) if number % 2 == 0 else list(reversed(FORMATS))
        for name in order:
            result = serve_pages(url, token, size, server_pid=pid, accept=FORMATS[name])
            if result["served_as"] != [_expected(name)]:
                raise RuntimeError(f"{name} pages were served as {result['served_as']}")
            runs[name].append(result)
            log(
                f"round {number + 1} {name}: {result['entries_per_s']:,.0f} entries/s, server "
                f"{result['server_cpu_us_per_entry']:.2f} µs, client {result['client_cpu_us_per_entry']:.2f} µs "
                f"an entry, CPU pressure {result['contention']['cpu_pressure_pct']:.1f} %"
            )
    return runs


def summary(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    return {name: {c: statistics.median(r[c] for r in results) for c in _COLUMNS} for name, results in runs.items()}


def render(results: dict[str, Any]) -> str:
    lines = [
        "| pages | entries/s | ms a page | server CPU µs/entry | client CPU µs/entry |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in results["median"].items():
        lines.append(
            f"| {name} | {row['entries_per_s']:,.0f} | {row['ms_per_page']:.1f} | "
            f"{row['server_cpu_us_per_entry']:.2f} | {row['client_cpu_us_per_entry']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, required=True, help="bench_audit.py's cached log")
    parser.add_argument("--size", type=int, default=1_000_000, help="which snapshot to serve")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench_pages.json"))
    args = parser.parse_args(argv)
    data = args.cache / str(args.size)
    if not (data / "ledger.json").exists():
        parser.error(f"no cached log in {data}: build it with bench_audit.py --cache {args.cache}")
    watch = Contention()
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "command": " ".join(sys.argv),
        "cpu_pressure_at_start": Path("/proc/pressure/cpu").read_text().splitlines(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        results["machine"] = machine_info(Path(tmp))
        token = fixture.audit_token(data)
        with fixture.api_server(data, Path(tmp) / "server.log") as server:
            runs = measure(server.url, token, args.size, server.process.pid, args.rounds)
    results |= {"runs": runs, "median": summary(runs), "contention": watch.report()}
    results["cpu_pressure_at_end"] = Path("/proc/pressure/cpu").read_text().splitlines()
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    print(f"\nCPU pressure over the run: {results['contention']['cpu_pressure_pct']:.1f} %; results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
