"""Generate the files of a Besu QBFT network of N validators (default 4) with free gas and an allowlist.

    python -m ledger.devnet.besu_qbft --out DIR [--validators 4] [--chain-id 12345] [--allow 0x...]... [--seed S]

writes, under DIR:

* ``genesis.json``: ``config.qbft`` (block period, epoch, request timeout), ``londonBlock: 0``,
  ``zeroBaseFee: true`` and the QBFT ``extraData`` = RLP([32 zero bytes of vanity, [validator addresses],
  no vote (empty list), round 0 (empty string), no seals (empty list)]), as Besu's
  ``rlp encode --type=QBFT_EXTRA_DATA`` produces it;
* ``permissions_config.toml``: ``accounts-allowlist`` with the first development account and every ``--allow``;
* ``nodeI/key`` (the validator's node key, hex), ``nodeI/key.pub`` and ``nodeI/config.toml`` (min gas price 0,
  account permissioning, HTTP JSON-RPC with ETH,NET,WEB3,QBFT,PERM, P2P port, the first node as bootnode);
* ``start.sh``, which starts every node with the ``besu`` binary on PATH.

The keys are DEVELOPMENT keys written in clear text: never use them for a network that matters. Besu cannot
run on this project's CI or development machines; see hardhat-free-devnet/besu-qbft/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address

#: Account 0 of the published development mnemonic "test test test test test test test test test test test
#: junk" (the one anvil and Hardhat print): the devnet's first development account.
FIRST_DEV_ACCOUNT = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CHAIN_ID = 12345
BLOCK_PERIOD_SECONDS = 2
EPOCH_LENGTH = 30000
REQUEST_TIMEOUT_SECONDS = 4
P2P_PORT = 30303
RPC_PORT = 8545
RPC_APIS = ("ETH", "NET", "WEB3", "QBFT", "PERM")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DEV_KEY_WARNING = "DEVELOPMENT KEYS in clear text: never use them for a network that matters"
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


# -- RLP (only what the extraData needs: byte strings and lists) -------------------------------------------

RlpItem = bytes | list["RlpItem"]


def _rlp_length(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_encode(item: RlpItem) -> bytes:
    """RLP of a byte string or a (nested) list of them."""
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    payload = b"".join(rlp_encode(element) for element in item)
    return _rlp_length(len(payload), 0xC0) + payload


def qbft_extra_data(validators: Sequence[str]) -> str:
    """Besu's QBFT genesis extraData for these validator addresses, as 0x-hex."""
    vanity = bytes(32)
    addresses: list[RlpItem] = [bytes.fromhex(address.removeprefix("0x")) for address in validators]
    round_zero = b""  # The integer 0 is the empty string in RLP.
    return "0x" + rlp_encode([vanity, addresses, [], round_zero, []]).hex()


# -- keys ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    index: int
    private_key: bytes

    @property
    def _key(self) -> PrivateKey:
        return PrivateKey(self.private_key)

    @property
    def public_key(self) -> bytes:
        """The 64-byte uncompressed public key (without the 0x04 prefix): the enode id."""
        encoded: bytes = self._key.public_key.to_bytes()
        return encoded

    @property
    def address(self) -> str:
        return str(self._key.public_key.to_checksum_address())

    @property
    def p2p_port(self) -> int:
        return P2P_PORT + self.index

    @property
    def rpc_port(self) -> int:
        return RPC_PORT + self.index

    @property
    def enode(self) -> str:
        return f"enode://{self.public_key.hex()}@127.0.0.1:{self.p2p_port}"


def validator_key(index: int, seed: str | None) -> bytes:
    """A secp256k1 private key: random, or derived from ``seed`` (reproducible output for tests)."""
    while True:
        if seed is None:
            candidate = secrets.token_bytes(32)
        else:
            candidate = hashlib.sha256(f"hotline-ledger besu-qbft dev key {seed} {index}".encode()).digest()
            seed = seed + "'"  # Next attempt differs in the (astronomically unlikely) out-of-range case.
        if 0 < int.from_bytes(candidate, "big") < SECP256K1_N:
            return candidate


# -- files --------------------------------------------------------------------------------------------------


def genesis(validators: Sequence[Validator], chain_id: int, funded: Sequence[str]) -> dict[str, object]:
    return {
        "config": {
            "chainId": chain_id,
            "homesteadBlock": 0,
            "eip150Block": 0,
            "eip155Block": 0,
            "eip158Block": 0,
            "byzantiumBlock": 0,
            "constantinopleBlock": 0,
            "petersburgBlock": 0,
            "istanbulBlock": 0,
            "berlinBlock": 0,
            "londonBlock": 0,
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": BLOCK_PERIOD_SECONDS,
                "epochlength": EPOCH_LENGTH,
                "requesttimeoutseconds": REQUEST_TIMEOUT_SECONDS,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "gasLimit": "0x1fffffffffffff",
        "difficulty": "0x1",
        "mixHash": "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365",
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {address.removeprefix("0x").lower(): {"balance": "0xad78ebc5ac6200000"} for address in funded},
        "extraData": qbft_extra_data([validator.address for validator in validators]),
    }


def _toml_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def permissions_config(allowlist: Sequence[str]) -> str:
    return (
        "# Account permissioning (Besu): only these accounts may send transactions.\n"
        "# Change it at run time with perm_addAccountsToAllowlist / perm_removeAccountsFromAllowlist.\n"
        f"accounts-allowlist={_toml_list(allowlist)}\n"
    )


def node_config(validator: Validator, bootnode: Validator) -> str:
    lines = [
        f"# Besu QBFT validator {validator.index}: {validator.address}",
        f"# {DEV_KEY_WARNING}.",
        f'data-path="node{validator.index}/data"',
        'genesis-file="genesis.json"',
        f'node-private-key-file="node{validator.index}/key"',
        "min-gas-price=0",
        "permissions-accounts-config-file-enabled=true",
        'permissions-accounts-config-file="permissions_config.toml"',
        "rpc-http-enabled=true",
        'rpc-http-host="127.0.0.1"',
        f"rpc-http-port={validator.rpc_port}",
        f"rpc-http-api={_toml_list(RPC_APIS)}",
        'rpc-http-cors-origins=["*"]',
        'host-allowlist=["localhost", "127.0.0.1"]',
        'p2p-host="127.0.0.1"',
        f"p2p-port={validator.p2p_port}",
    ]
    if validator.index != bootnode.index:
        lines.append(f"bootnodes={_toml_list([bootnode.enode])}")
    return "\n".join(lines) + "\n"


def start_script(validators: Sequence[Validator]) -> str:
    starts = "\n".join(
        f'besu --config-file="node{v.index}/config.toml" >"node{v.index}/besu.log" 2>&1 &\n'
        f'echo "node{v.index} ({v.address}) pid $! rpc http://127.0.0.1:{v.rpc_port}"'
        for v in validators
    )
    return f"""#!/usr/bin/env bash
# Start the generated Besu QBFT network: one besu process per validator, logs in nodeI/besu.log.
# {DEV_KEY_WARNING}.
# Besu does not run on this project's CI or development machines: run this where `besu` is installed.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v besu >/dev/null 2>&1; then
    echo "besu not found on PATH: install Hyperledger Besu (https://besu.hyperledger.org) first" >&2
    exit 2
fi
{starts}
echo "stop with: kill <the pids above>"
wait
"""


def generate(
    out: Path,
    *,
    validators: int = 4,
    chain_id: int = CHAIN_ID,
    allow: Sequence[str] = (),
    seed: str | None = None,
) -> list[Validator]:
    """Write the network's files under ``out``; return the validators in extraData order."""
    if validators < 1:
        raise ValueError("at least one validator is needed (4 tolerate one faulty node)")
    for address in allow:
        if not _ADDRESS.match(address):
            raise ValueError(f"not an address: {address!r}")
    nodes = [Validator(index, validator_key(index, seed)) for index in range(validators)]
    allowlist: list[str] = []
    for address in (FIRST_DEV_ACCOUNT, *allow):
        checksummed = str(to_checksum_address(address))
        if checksummed not in allowlist:
            allowlist.append(checksummed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "genesis.json").write_text(json.dumps(genesis(nodes, chain_id, allowlist), indent=2) + "\n")
    (out / "permissions_config.toml").write_text(permissions_config(allowlist))
    for node in nodes:
        directory = out / f"node{node.index}"
        directory.mkdir(exist_ok=True)
        key_file = directory / "key"
        key_file.write_text("0x" + node.private_key.hex())
        key_file.chmod(0o600)
        (directory / "key.pub").write_text("0x" + node.public_key.hex())
        (directory / "config.toml").write_text(node_config(node, nodes[0]))
    script = out / "start.sh"
    script.write_text(start_script(nodes))
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return nodes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ledger.devnet.besu_qbft", description="Generate a Besu QBFT network with free gas."
    )
    parser.add_argument("--out", type=Path, required=True, help="directory to write the network into")
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--chain-id", type=int, default=CHAIN_ID)
    parser.add_argument("--allow", action="append", default=[], metavar="ADDRESS", help="also allowlist this account")
    parser.add_argument("--seed", help="derive the keys from this seed (reproducible; for tests)")
    args = parser.parse_args(argv)
    try:
        nodes = generate(args.out, validators=args.validators, chain_id=args.chain_id, allow=args.allow, seed=args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"Besu QBFT network of {len(nodes)} validators, chain id {args.chain_id}, in {args.out}")
    for node in nodes:
        print(f"  node{node.index}: {node.address}  rpc http://127.0.0.1:{node.rpc_port}")
    print(f"WARNING: {DEV_KEY_WARNING} ({args.out}/nodeI/key).")
    print(f"Start on a machine with Besu: {os.path.join(args.out, 'start.sh')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
