"""Fixtures of the contract tests: every test runs once on eth-tester and once on anvil."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contracts.chains import BACKENDS, AnchorClient, Chain, anvil_chain, eth_tester_chain, require_anvil


@pytest.fixture(scope="session", params=BACKENDS)
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    """One chain per backend for the whole session (anvil is started here and always stopped)."""
    if request.param == "eth-tester":
        yield eth_tester_chain()
        return
    binary = require_anvil()
    with anvil_chain(binary, tmp_path_factory.mktemp("anvil")) as running:
        yield running


@pytest.fixture
def client(chain: Chain) -> AnchorClient:
    """A freshly deployed contract: nothing registered, nothing anchored."""
    return AnchorClient(chain)


@pytest.fixture(scope="module")
def shared_client(chain: Chain) -> AnchorClient:
    """One contract per module and backend, for tests (and hypothesis examples) that register their own logs."""
    return AnchorClient(chain)
