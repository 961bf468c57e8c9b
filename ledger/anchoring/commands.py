"""The operator's chain subcommands of ``hotline-ledger``: ``deploy``, ``anchor`` and ``chain-key``.

``deploy`` puts CheckpointAnchor on the chain for the data directory's log and records where in
``DIR/deployment.json``; ``anchor`` runs the anchor worker against that deployment; ``chain-key create``
writes an encrypted keystore for a production anchorer or admin.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.anchoring.chain import AnchorChain, ChainError, connect
from ledger.anchoring.deployment import Deployment, DeploymentError, deploy
from ledger.anchoring.keys import create_chain_key, load_chain_key, read_password
from ledger.anchoring.sender import Fees
from ledger.anchoring.worker import AnchorWorker, WorkerConfig
from ledger.arguments import non_negative_int, positive_int, positive_seconds
from ledger.config import DataDir
from ledger.service import Ledger

DEFAULT_RPC = "http://127.0.0.1:8545"
KEY_PASSWORD_ENV = "HOTLINE_ANCHOR_KEY_PASSWORD"
ADMIN_PASSWORD_ENV = "HOTLINE_ADMIN_KEY_PASSWORD"


def deployment_file(data: Path) -> Path:
    return data / "deployment.json"


def fees_from(args: argparse.Namespace) -> Fees:
    return Fees(mode=args.fees, gas_price=args.gas_price, max_fee=args.max_fee, priority_fee=args.priority_fee)


def reach(url: str) -> Web3:
    """web3 for ``url``, after checking that something answers there.

    Raises:
        ChainError: nothing answers at ``url``.
    """
    w3 = connect(url)
    try:
        w3.eth.chain_id  # noqa: B018 - the first request tells whether the endpoint is there
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors
        raise ChainError(f"no chain answers at {url}: {exc}", rpc=url) from exc
    return w3


def anchor_key_spec(args: argparse.Namespace) -> str:
    """The anchor key: --anchor-key, HOTLINE_ANCHOR_KEY, dev:0 in development, else DIR/keys/anchor.json."""
    if args.anchor_key:
        return str(args.anchor_key)
    if os.environ.get("HOTLINE_ANCHOR_KEY"):
        return os.environ["HOTLINE_ANCHOR_KEY"]
    return "dev:0" if args.development else str(Path(args.data) / "keys" / "anchor.json")


def cmd_deploy(args: argparse.Namespace) -> int:
    data = DataDir(args.data)
    origin = data.settings()["origin"]
    target = deployment_file(Path(args.data))
    w3 = reach(args.rpc)
    if target.exists():
        existing = Deployment.load(target)
        if bytes(w3.eth.get_code(Web3.to_checksum_address(existing.contract))):
            print(f"already deployed: {existing.contract} on chain {existing.chain_id} (see {target})")
            return 0
        raise DeploymentError(
            f"{target} names the contract {existing.contract} on chain {existing.chain_id}, but there is no "
            f"contract there now (was the chain reset?); move {target} away to deploy anew",
            path=str(target),
        )
    admin_spec = args.admin_key or ("dev:0" if args.development else None)
    if admin_spec is None:
        raise DeploymentError("give the admin's key with --admin-key (a keystore file)")
    admin = load_chain_key(
        admin_spec,
        password=read_password(env=ADMIN_PASSWORD_ENV, file=args.admin_password_file),
        development=args.development,
        what="admin key",
    )
    anchorer = args.anchorer or _anchor_account(args).address
    record = deploy(w3, admin, origin=origin, anchorer=anchorer, chain_id=w3.eth.chain_id, fees=fees_from(args))
    record.save(target)
    print(f"deployed CheckpointAnchor at {record.contract} on chain {record.chain_id} (block {record.block_number})")
    print(f"log {record.origin} (id {record.log_id}), anchorer {record.anchorer}; recorded in {target}")
    return 0


def _anchor_account(args: argparse.Namespace) -> LocalAccount:
    return load_chain_key(
        anchor_key_spec(args),
        password=read_password(env=KEY_PASSWORD_ENV, file=args.anchor_password_file),
        development=args.development,
        what="anchor key",
    )


def build_worker(args: argparse.Namespace, ledger: Ledger) -> AnchorWorker:
    """The anchor worker for the data directory's deployment, configured from the command line."""
    record = Deployment.load(deployment_file(Path(args.data)))
    if record.origin != ledger.origin:
        raise DeploymentError(f"the deployment is for the log {record.origin}, not {ledger.origin}")
    chain = AnchorChain(
        reach(args.rpc),
        contract=record.contract,
        origin=record.origin,
        account=_anchor_account(args),
        chain_id=record.chain_id,
        fees=fees_from(args),
        from_block=record.block_number,
    )
    config = WorkerConfig(interval=args.interval, max_pending=args.max_pending, confirmations=args.confirmations)
    return AnchorWorker(ledger, chain, config)


def run_until_signalled(worker: AnchorWorker) -> None:
    """Run the worker in this thread until SIGINT or SIGTERM."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.run(stop)


def cmd_anchor(args: argparse.Namespace) -> int:
    ledger = DataDir(args.data).open_ledger(development=args.development)
    worker = build_worker(args, ledger)
    if args.once:
        anchor = worker.step()
        latest = anchor or ledger.latest_anchor()
        if latest is None:
            print("nothing to anchor: the log has no checkpoint")
        else:
            state = "anchored" if anchor else "already anchored"
            print(
                f"{state}: size {latest.tree_size} root {latest.root.hex()} "
                f"tx 0x{latest.tx_hash.hex()} block {latest.block_number}"
            )
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print(f"anchoring {ledger.origin} every {args.interval:g} s on chain {worker.chain.chain_id} via {args.rpc}")
    run_until_signalled(worker)
    return 0


def cmd_chain_key_create(args: argparse.Namespace) -> int:
    password = read_password(env=KEY_PASSWORD_ENV, file=args.password_file)
    out = args.out or Path(args.data) / "keys" / "anchor.json"
    account = create_chain_key(out, password or "")
    print(f"wrote {out}; its address (allowlist it and make it the anchorer):")
    print(account.address)
    return 0


def chain_options() -> argparse.ArgumentParser:
    """--rpc and the fee options, shared by every chain subcommand (and ``run``)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--rpc", default=os.environ.get("HOTLINE_RPC_URL", DEFAULT_RPC), help=f"JSON-RPC URL (default {DEFAULT_RPC})"
    )
    options.add_argument("--fees", choices=("legacy", "eip1559"), default="legacy", help="fee fields (default legacy)")
    options.add_argument("--gas-price", type=non_negative_int, default=0, help="legacy gasPrice in wei (default 0)")
    options.add_argument("--max-fee", type=non_negative_int, default=0, help="EIP-1559 maxFeePerGas in wei")
    options.add_argument("--priority-fee", type=non_negative_int, default=0, help="EIP-1559 maxPriorityFeePerGas")
    options.add_argument("--anchor-key", help="keystore file or dev:N (default dev:0 in development mode)")
    options.add_argument(
        "--anchor-password-file", type=Path, help=f"password of the anchor keystore (default ${KEY_PASSWORD_ENV})"
    )
    return options


def deploy_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--admin-key", help="the admin's keystore file or dev:N (default dev:0 in development)")
    options.add_argument(
        "--admin-password-file", type=Path, help=f"password of the admin keystore (default ${ADMIN_PASSWORD_ENV})"
    )
    options.add_argument("--anchorer", help="the anchorer's address (default: the anchor key's)")
    return options


def worker_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--interval", type=positive_seconds, default=2.0, help="seconds between checkpoints")
    options.add_argument("--max-pending", type=positive_int, default=10_000, help="publish early at this backlog")
    options.add_argument("--confirmations", type=positive_int, default=1, help="blocks before an anchor counts")
    return options


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Register ``deploy``, ``anchor`` and ``chain-key`` on the ``hotline-ledger`` parser."""
    chain = chain_options()
    deploy_parser = commands.add_parser(
        "deploy", parents=[common, chain, deploy_options()], help="deploy the anchor contract and register this log"
    )
    deploy_parser.set_defaults(run=cmd_deploy)
    anchor = commands.add_parser(
        "anchor", parents=[common, chain, worker_options()], help="publish and anchor checkpoints"
    )
    anchor.add_argument("--once", action="store_true", help="one step (reconcile, publish, anchor), then exit")
    anchor.set_defaults(run=cmd_anchor)
    chain_key = commands.add_parser("chain-key", help="chain signing keys")
    keys = chain_key.add_subparsers(dest="chain_key_command", required=True)
    create = keys.add_parser("create", parents=[common], help="write a new encrypted keystore")
    create.add_argument("--out", type=Path, help="keystore file (default DIR/keys/anchor.json)")
    create.add_argument("--password-file", type=Path, help=f"its password (default ${KEY_PASSWORD_ENV})")
    create.set_defaults(run=cmd_chain_key_create)
