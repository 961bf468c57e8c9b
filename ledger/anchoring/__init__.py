"""On-chain anchoring (DESIGN §6): the CheckpointAnchor contract's artifact and, later, the anchor worker.

This package is the only place in ``ledger`` that imports web3 and eth-account, and the only place that
may hold a chain signing key (an import-linter contract in pyproject.toml enforces the imports).
"""
