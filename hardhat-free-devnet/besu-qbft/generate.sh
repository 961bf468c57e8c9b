#!/usr/bin/env bash
# Generate a Besu QBFT network (default: 4 validators, chain id 12345, free gas, account allowlist).
#   hardhat-free-devnet/besu-qbft/generate.sh --out DIR [--validators 4] [--chain-id 12345] [--allow 0x...]...
# See README.md next to this script: Besu cannot run on this project's CI or development machines.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
[ -x "$python" ] || python=python3
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m ledger.devnet.besu_qbft "$@"
