"""The operator's JSON files, damaged: each reader answers its own clear error — for a file nested deeper than the
JSON decoder's recursion can take too, which escaped as RecursionError (or overflowed the C stack: this test
process, like the CLI, has py_ecc's raised recursion limit once web3 or the devnet is imported)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from api.production import _keystore_address
from ledger.anchoring.deployment import Deployment, DeploymentError
from ledger.anchoring.keys import ChainKeyError, load_chain_key
from ledger.config import DataDir
from ledger.devnet.errors import DevnetStateError
from ledger.devnet.genesis import load_genesis
from ledger.errors import LedgerError, LogStateError
from ledger.json_file import read_json_file

DEEP = "[" * 200_000 + "]" * 200_000
DAMAGED = {"nested-too-deep": DEEP, "not-json": "{not json", "not-utf-8": "\udcff"}


def _settings(path: Path) -> object:
    data = DataDir(path.parent)
    assert data.settings_file == path
    return data.settings()


READERS: dict[str, tuple[str, Callable[[Path], object], type[LedgerError]]] = {
    "settings": ("ledger.json", _settings, LogStateError),
    "deployment": ("deployment.json", Deployment.load, DeploymentError),
    "keystore": ("anchor.json", lambda p: load_chain_key(str(p), password="x", development=True), ChainKeyError),
    "genesis": ("genesis.json", load_genesis, DevnetStateError),
    "production keystore": ("anchor.json", _keystore_address, LogStateError),
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_damaged_file_is_its_readers_clear_error(
    tmp_path: Path, reader: tuple[str, Callable[[Path], object], type[LedgerError]], content: str
) -> None:
    name, read, error = reader
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.raises(error) as refused:
        read(path)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


def test_read_json_file_bounds_the_nesting_and_reads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text("[" * 64 + "]" * 64)
    assert read_json_file(path) is not None
    path.write_text("[" * 65 + "]" * 65)
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        read_json_file(path)
    path.write_text('{"brackets in a string": "' + "[" * 1000 + '"}')
    assert read_json_file(path) == {"brackets in a string": "[" * 1000}
