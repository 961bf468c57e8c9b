"""Fixtures of the devnet tests: one real devnet process per module, started on a free port and always stopped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from ledger.devnet.process import DevnetProcess


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevnetProcess]:
    """A devnet on a fresh data directory, shared by the module's tests (its log is ``devnet.log`` beside it)."""
    directory = tmp_path_factory.mktemp("devnet")
    with DevnetProcess(directory / "chain", log=directory / "devnet.log") as node:
        yield node


@pytest.fixture(scope="module")
def w3(devnet: DevnetProcess) -> Web3:
    return Web3(Web3.HTTPProvider(devnet.url, request_kwargs={"timeout": 30}))
