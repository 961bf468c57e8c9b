"""The CheckpointAnchor contract as Python sees it: its compiled artifact, log ids, roles and errors.

The artifact (ABI and bytecode) is ``contracts/build/CheckpointAnchor.json``, built and checked by
``scripts/compile_contracts.py`` and committed. It is found from the repository root, two folders above this
package: that works in a checkout and in an editable install (``pip install -e``), which is how the project
runs. A wheel does not carry it: pass ``path`` to ``load_artifact`` there.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.exceptions import ContractLogicError

from ledger.errors import LedgerError

#: Where the committed artifact lies in a checkout (and so in an editable install).
ARTIFACT_PATH = Path(__file__).resolve().parents[2] / "contracts" / "build" / "CheckpointAnchor.json"


class ArtifactError(LedgerError):
    """The contract artifact is missing or malformed (names the file)."""

    code = "contract_artifact"


@dataclass(frozen=True)
class ContractError:
    """A custom error decoded from revert data, e.g. ``SizeNotIncreasing(log_id, 10, 7)``."""

    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class ContractArtifact:
    """ABI, creation and runtime bytecode, and the exact compiler, of CheckpointAnchor."""

    abi: tuple[dict[str, Any], ...]
    bytecode: bytes
    deployed_bytecode: bytes
    compiler_version: str
    path: Path

    @cached_property
    def errors(self) -> dict[bytes, tuple[str, tuple[str, ...]]]:
        """The ABI's custom errors by 4-byte selector: name and argument types."""
        errors: dict[bytes, tuple[str, tuple[str, ...]]] = {}
        for item in self.abi:
            if item.get("type") == "error":
                types = tuple(str(arg["type"]) for arg in item["inputs"])
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                errors[selector] = (str(item["name"]), types)
        return errors

    def decode_error(self, data: bytes) -> ContractError | None:
        """Decode revert data into the contract's custom error; None if it is not one of them."""
        known = self.errors.get(bytes(data[:4]))
        if known is None:
            return None
        name, types = known
        try:
            values = abi_decode(types, bytes(data[4:]), strict=True)
        except DecodingError:
            return None
        # Addresses come back in their EIP-55 checksum form, as web3 reports accounts.
        return ContractError(
            name, tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True))
        )


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data an exception from web3 carries; None when it is not a revert.

    web3 raises ``ContractLogicError`` (and its ``ContractCustomError``) with the data as hex; its
    eth-tester provider lets eth-tester's ``TransactionFailed`` through, whose message is
    ``execution reverted: b'…'``. Both give the same bytes here, for ``ContractArtifact.decode_error``.
    """
    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, str):
            try:
                return bytes.fromhex(data.removeprefix("0x"))
            except ValueError:
                return b""
        return b""
    message = str(exc.args[0]) if exc.args else ""
    if type(exc).__name__ == "TransactionFailed":
        literal = message.removeprefix("execution reverted: ")
        if literal.startswith(("b'", 'b"')):
            try:
                value = ast.literal_eval(literal)
            except (ValueError, SyntaxError):
                return b""
            if isinstance(value, bytes):
                return value
        return b""
    return None


def load_artifact(path: Path | None = None) -> ContractArtifact:
    """Load the compiled contract (default: the committed artifact of this checkout).

    Raises:
        ArtifactError: the file is missing or lacks ``abi``, ``bytecode``, ``deployedBytecode`` or ``compiler``.
    """
    return _load(path or ARTIFACT_PATH)


@cache
def _load(path: Path) -> ContractArtifact:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return ContractArtifact(
            abi=tuple(document["abi"]),
            bytecode=bytes.fromhex(document["bytecode"].removeprefix("0x")),
            deployed_bytecode=bytes.fromhex(document["deployedBytecode"].removeprefix("0x")),
            compiler_version=str(document["compiler"]["version"]),
            path=path,
        )
    except FileNotFoundError as exc:
        raise ArtifactError(
            f"contract artifact not found at {path}: run from a checkout or an editable install, or pass its path",
            path=str(path),
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"contract artifact {path} is unreadable: {exc}", path=str(path)) from exc


def log_id(origin: str) -> bytes:
    """The contract's id of a log: SHA-256 of the origin's UTF-8 bytes (DESIGN §6)."""
    return hashlib.sha256(origin.encode("utf-8")).digest()


def anchorer_role(log_id: bytes) -> bytes:
    """The AccessControl role of a log's anchorers: keccak256(abi.encode("ANCHORER", logId))."""
    return keccak(abi_encode(["string", "bytes32"], ["ANCHORER", log_id]))
