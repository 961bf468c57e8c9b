"""``hotline-ledger run``: the whole system on one machine, on its embedded defaults.

It creates the data directory (SQLite, operator and payload keys) when missing, starts the Python devnet
in ``DIR/devnet`` unless ``--rpc`` names a chain, deploys the anchor contract when the directory has no
deployment yet, seeds demonstration tickets on request (``--demo N``: their query codes go to
``DIR/demo.json``), then serves the HTTP API on 127.0.0.1 (``--port``, default 8000) with the anchor
worker beside it, until Ctrl-C or SIGTERM. The API runs in ``--workers`` processes (default: one per CPU, +1)
that share the port and the database (each with its own group commit); the anchor worker stays in this one.
Without ``--production`` it runs in development mode, where the devnet's published development
accounts are accepted; with it, keys come from keystores.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

from api.app import create_app
from api.gc_tuning import tune_collection
from api.settings import Settings
from ledger.anchoring.commands import (
    build_worker,
    chain_options,
    cmd_deploy,
    deploy_options,
    deployment_file,
    worker_options,
)
from ledger.anchoring.deployment import Deployment
from ledger.anchoring.worker import AnchorWorker
from ledger.arguments import non_negative_int, positive_int
from ledger.config import DEFAULT_ORIGIN, DataDir
from ledger.demo import seed_demo
from ledger.devnet.process import DevnetError, DevnetProcess
from ledger.errors import LedgerError
from ledger.exports import exporter_key
from ledger.query_codes import KEY_FILE, QueryCodeKey
from ledger.service import Ledger

log = logging.getLogger("hotline.run")


class RunError(LedgerError):
    """The run command could not start a part of the system."""

    code = "run"


def _devnet(data: Path, port: int) -> DevnetProcess:
    """Start the devnet (its chain in DIR/devnet, its output in DIR/devnet.log)."""
    node = DevnetProcess(data / "devnet", port=port, log=data / "devnet.log", startup_timeout=300)
    try:
        return node.start()
    except DevnetError as exc:
        raise RunError(f"the devnet did not start on port {port}: {exc} (see {data / 'devnet.log'})") from exc


def seed(ledger: Ledger, data: DataDir, tickets: int, base_url: str) -> None:
    """Seed demo tickets into a new log; write their query codes to DIR/demo.json and show one."""
    query_codes = QueryCodeKey.load_or_create(data.keys / KEY_FILE)
    # Live: the demo's history ends now, so it is anchored as promptly as real traffic would be (V10).
    receipts = seed_demo(ledger, tickets, query_codes=query_codes, live_until=datetime.now(UTC))
    codes = [{"ticket": r.ticket, "code": r.query_code} for r in receipts if r.query_code]
    (data.path / "demo.json").write_text(json.dumps(codes, ensure_ascii=False, indent=1) + "\n")
    log.info("seeded %d demo transitions of %d tickets; codes in %s", len(receipts), tickets, data.path / "demo.json")
    if codes:
        ticket, code = codes[0]["ticket"], codes[0]["code"]
        print(f"  demo      ticket {ticket}, query code {code} (all codes in {data.path / 'demo.json'}):")
        print(f"            curl -H 'X-Query-Code: {code}' {base_url}/v1/public/tickets/{ticket}")


class StoppedStarting(BaseException):
    """SIGINT or SIGTERM arrived while ``run`` was still starting (a BaseException, like KeyboardInterrupt, so
    that no ``except Exception`` on the way swallows it): what was started so far is stopped on the way out."""


def _stop_starting(signum: int, _frame: object) -> None:
    raise StoppedStarting(signum)


def cmd_run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # Until serving starts, a signal unwinds the start-up (devnet stopped, database closed) instead of killing
    # the process where it stands, as SIGTERM's default would; then the stop handlers below take over.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop_starting)
    try:
        return _run(args)
    except StoppedStarting as stopped:
        print(f"stopped by {signal.Signals(stopped.args[0]).name} while starting", flush=True)
        return 0


def _run(args: argparse.Namespace) -> int:
    args.development = not args.production
    data = DataDir(args.data)
    if not data.exists():
        data.init(DEFAULT_ORIGIN)
    ledger = data.open_ledger(development=args.development)
    base_url = f"http://{args.host}:{args.port}"
    with ExitStack() as stack:
        stack.callback(ledger.store.close)
        if args.rpc is None:
            devnet = _devnet(Path(args.data), args.chain_port)
            stack.callback(devnet.stop)
            args.rpc = devnet.url
        if not deployment_file(Path(args.data)).exists():
            cmd_deploy(args)
        record = Deployment.load(deployment_file(Path(args.data)))
        worker = build_worker(args, ledger)
        print(f"hotline-ledger running ({'production' if args.production else 'development'} mode)", flush=True)
        print(f"  log       {ledger.origin}: {data.settings()['database']}")
        print(f"  chain     {args.rpc}, chain id {record.chain_id}, contract {record.contract}")
        print(f"  operator  {ledger.signer.vkey}")
        print(f"  API       {base_url}/v1 (docs {base_url}/docs)")
        if args.demo and ledger.head().tree_size <= len(ledger.policies):
            seed(ledger, data, args.demo, base_url)
        print(f"anchoring every {args.interval:g} s; Ctrl-C stops", flush=True)
        settings = Settings(
            data_dir=Path(args.data),
            environment="production" if args.production else "development",
            rpc_urls=[args.rpc],
            chain_id=record.chain_id,
            contract_address=record.contract,
        )
        stop = threading.Event()
        anchoring = threading.Thread(target=_anchor, args=(worker, stop), name="anchor-worker", daemon=True)
        anchoring.start()
        # uvicorn handles SIGINT and SIGTERM while it serves, then restores these handlers and raises the
        # signal again: caught here, it lets the worker and the devnet stop cleanly instead of killing us.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            started = stop.is_set() or _serve(args, settings, data, ledger)  # not served if stopped just now
        finally:
            stop.set()
            anchoring.join(timeout=30)
        if not started:
            raise RunError(f"the API could not listen on {args.host}:{args.port} (is the port taken?)")
    return 0


def _serve(args: argparse.Namespace, settings: Settings, data: DataDir, ledger: Ledger) -> bool:
    """Serve the API until a signal stops it: in this process, or in ``--workers`` processes; whether it started.

    No uvicorn access log: the app logs every request itself (hotline.api.access, one JSON line), and a
    second plain-text line per request costs CPU the writer and the requests need.
    """
    if args.workers == 1:
        config = uvicorn.Config(create_app(settings), host=args.host, port=args.port, log_config=None, access_log=False)
        server = uvicorn.Server(config)
        tune_collection()
        server.run()
        return server.started
    # Each worker process opens the log and writes it (the database serialises their groups; SQLite's lock,
    # PostgreSQL's head row), and takes its settings from the environment. Files every worker would create
    # on first use are created here first, so that they do not race to create two different keys.
    QueryCodeKey.load_or_create(data.keys / KEY_FILE)
    exporter_key(data, ledger, development=settings.development)
    os.environ.update(worker_environment(settings, args.workers))
    config = uvicorn.Config(
        "api.app:create_app_from_env",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return True


def worker_environment(settings: Settings, workers: int) -> dict[str, str]:
    """The ``HOTLINE_*`` variables that give each of ``workers`` processes the settings ``run`` built for itself.

    Public rate limits and the query-code lockout are counted in each process, and a client's requests may
    reach any of them: each process gets its share of the limits (rounded up), so that together they allow
    no more than one process would.
    """
    environment = {
        "HOTLINE_DATA_DIR": str(settings.data_dir),
        "HOTLINE_ENVIRONMENT": settings.environment,
        "HOTLINE_RPC_URLS": ",".join(settings.rpc_urls),
        "HOTLINE_PUBLIC_RATE_PER_SECOND": repr(settings.public_rate_per_second / workers),
        "HOTLINE_PUBLIC_BURST": str(-(-settings.public_burst // workers)),
        "HOTLINE_QUERY_CODE_RATE_PER_MINUTE": repr(settings.query_code_rate_per_minute / workers),
        "HOTLINE_QUERY_CODE_BURST": str(-(-settings.query_code_burst // workers)),
        "HOTLINE_QUERY_CODE_MAX_FAILURES": str(-(-settings.query_code_max_failures // workers)),
        # Batches are long: each one's connection is closed, so the next goes to whichever process is free
        # (unless the operator said otherwise).
        "HOTLINE_CLOSE_AFTER_BATCH": os.environ.get("HOTLINE_CLOSE_AFTER_BATCH", "true"),
        # Killed with SIGKILL, this process cannot stop its workers: they stop when they see it gone.
        "HOTLINE_PARENT_PID": str(os.getpid()),
    }
    if settings.chain_id is not None:
        environment["HOTLINE_CHAIN_ID"] = str(settings.chain_id)
    if settings.contract_address is not None:
        environment["HOTLINE_CONTRACT_ADDRESS"] = settings.contract_address
    return environment


def default_workers() -> int:
    """API processes when neither ``--workers`` nor ``HOTLINE_WORKERS`` says: one per CPU this process may use,
    and one more.

    One process uses at most about one core (its requests, its group commit and its collections share one GIL),
    and a process waiting for the database's write lock uses none, so one more than the cores keeps them busy
    while another process writes. On this project's 2-core machine batches went from ~7,400 transitions/s
    through one process to ~15,000-17,000 through three (BENCHMARKS.md, "HTTP ingest").
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cpus + 1


def _anchor(worker: AnchorWorker, stop: threading.Event) -> None:
    try:
        worker.run(stop)
    except Exception:
        log.exception("the anchor worker stopped")


def add_run_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register ``run`` on the ``hotline-ledger`` parser."""
    run = commands.add_parser(
        "run",
        parents=[common, chain_options(), deploy_options(), worker_options()],
        help="run everything: data directory, devnet, contract, API and anchor worker",
    )
    # Without --rpc (or HOTLINE_RPC_URL) the devnet is started: None says so.
    run.set_defaults(rpc=os.environ.get("HOTLINE_RPC_URL"), run=cmd_run)
    run.add_argument("--production", action="store_true", help="refuse development keys (give keystores)")
    run.add_argument("--host", default="127.0.0.1", help="the API's address (default 127.0.0.1)")
    run.add_argument("--port", type=positive_int, default=8000, help="the API's port (default 8000)")
    run.add_argument("--chain-port", type=positive_int, default=8545, help="the devnet's port (default 8545)")
    run.add_argument(
        "--workers",
        type=positive_int,
        default=int(os.environ.get("HOTLINE_WORKERS", default_workers())),
        help="API processes (default HOTLINE_WORKERS, else one per CPU and one more: here %(default)s); "
        "the anchor worker stays one",
    )
    run.add_argument("--demo", type=non_negative_int, default=0, help="seed this many demo tickets into a new log")
