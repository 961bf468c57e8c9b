#!/usr/bin/env bash
# The Python devnet (py-evm), in the foreground (Ctrl-C stops it): chain id 12345, zero fees, the
# development mnemonic's accounts funded, Besu-like perm_* allowlist, journaled so it survives SIGKILL.
#   hardhat-free-devnet/devnet.sh [--host 127.0.0.1] [--port 8545] [--data DIR]   (chain in DIR/devnet)
# Needs the project's virtual environment with the devnet extra (scripts/run or scripts/test make it).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
exec "${HOTLINE_LEDGER:-$repo/.venv/bin/hotline-ledger}" devnet "$@"
