"""``hotline-ledger``, the operator's command: the ledger's subcommands plus ``run``, which serves the API.

The ledger cannot import the API (``api → ledger → verifier``), so the console script enters here and
hands the ledger's CLI the one subcommand that needs this layer.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from api.run import add_run_command
from ledger.cli import main as ledger_main


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hotline-ledger``; returns the exit code."""
    return ledger_main(argv, extend=add_run_command)


if __name__ == "__main__":
    sys.exit(main())
