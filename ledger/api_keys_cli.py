"""``hotline-ledger keys create|list|revoke``: the operator hands out and withdraws API keys."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from ledger.api_keys import SCOPES, ApiKeys
from ledger.config import DataDir
from ledger.storage import LedgerStore


def _keys(args: argparse.Namespace) -> tuple[LedgerStore, ApiKeys]:
    store = LedgerStore.open(DataDir(args.data).settings()["database"])
    return store, ApiKeys.of(store)


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def cmd_create(args: argparse.Namespace) -> int:
    store, keys = _keys(args)
    try:
        stored, token = keys.create(args.name, args.scope)
    finally:
        store.close()
    print(f"API key {stored.id} ({stored.name}) with scopes {','.join(stored.scopes)}")
    print("it is shown only this once; the ledger keeps only its hash:")
    print(token)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store, keys = _keys(args)
    try:
        listed = keys.list()
    finally:
        store.close()
    for key in listed:
        state = f"revoked {_time(key.revoked_at)}" if key.revoked_at is not None else "active"
        print(f"{key.id}  {','.join(key.scopes):<28}  created {_time(key.created_at)}  {state}  {key.name}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    store, keys = _keys(args)
    try:
        keys.revoke(args.id)
    finally:
        store.close()
    print(f"revoked API key {args.id}")
    return 0


def add_keys_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``keys`` and its subcommands to the ``hotline-ledger`` parser."""
    keys = commands.add_parser("keys", help="API keys of the HTTP API: create, list, revoke")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser("create", parents=[common], help="create a key and print it once (last line)")
    create.add_argument("--name", required=True, help="who holds the key, e.g. the ticketing system")
    create.add_argument("--scope", required=True, help=f"comma-separated scopes of {', '.join(SCOPES)}")
    create.set_defaults(run=cmd_create)
    actions.add_parser("list", parents=[common], help="list keys (never their secrets)").set_defaults(run=cmd_list)
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key by its id")
    revoke.add_argument("id")
    revoke.set_defaults(run=cmd_revoke)
