#!/usr/bin/env bash
# anvil as an alternative engine for the development chain, in the foreground (Ctrl-C stops it).
# Chain id 12345, hardfork paris, zero base fee and gas price, on 127.0.0.1.
#   hardhat-free-devnet/anvil.sh [--port 8545] [--chain-id 12345] [--state FILE]
# --state FILE persists the chain (saved every second, so even a SIGKILL loses at most a second).
# Needs anvil from npm: run `npm ci --no-audit --no-fund` in the repository first.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || python=python3
cd "$repo"
exec "$python" -m ledger.devnet.anvil "$@"
