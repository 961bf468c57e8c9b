"""The Besu QBFT generator's output: extraData, genesis, allowlist, node configs and keys.

Besu itself cannot run here; these tests check the files against Besu's formats, decoding the extraData
with the independent ``rlp`` package rather than the generator's own encoder.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

import pytest
import rlp  # type: ignore[import-untyped]
from eth_account import Account
from eth_keys.datatypes import PrivateKey

from ledger.devnet.besu_qbft import FIRST_DEV_ACCOUNT, RPC_APIS, Validator, generate, main, rlp_encode

DEV_MNEMONIC = "test test test test test test test test test test test junk"
OTHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # Account 1 of the same mnemonic.


@pytest.fixture()
def network(tmp_path: Path) -> tuple[Path, list[Validator]]:
    out = tmp_path / "qbft"
    return out, generate(out, allow=[OTHER.lower()], seed="tests")


def test_extra_data_decodes_to_the_validators_in_order(network: tuple[Path, list[Validator]]) -> None:
    out, nodes = network
    extra = json.loads((out / "genesis.json").read_text())["extraData"]
    decoded = rlp.decode(bytes.fromhex(extra.removeprefix("0x")))
    vanity, validators, vote, round_, seals = decoded
    assert vanity == bytes(32)
    assert ["0x" + bytes(v).hex() for v in validators] == [node.address.lower() for node in nodes]
    assert len(validators) == 4
    assert vote == [] and round_ == b"" and seals == []


def test_genesis_fields(network: tuple[Path, list[Validator]]) -> None:
    out, _ = network
    genesis = json.loads((out / "genesis.json").read_text())
    config = genesis["config"]
    assert config["chainId"] == 12345
    assert config["londonBlock"] == 0
    assert config["zeroBaseFee"] is True
    assert set(config["qbft"]) == {"blockperiodseconds", "epochlength", "requesttimeoutseconds"}
    assert all(isinstance(value, int) and value > 0 for value in config["qbft"].values())
    assert FIRST_DEV_ACCOUNT.removeprefix("0x").lower() in genesis["alloc"]


def test_allowlist_holds_the_first_dev_account_and_the_allowed(network: tuple[Path, list[Validator]]) -> None:
    out, _ = network
    permissions = tomllib.loads((out / "permissions_config.toml").read_text())
    assert permissions["accounts-allowlist"] == [FIRST_DEV_ACCOUNT, OTHER]
    Account.enable_unaudited_hdwallet_features()
    assert Account.from_mnemonic(DEV_MNEMONIC).address == FIRST_DEV_ACCOUNT
    assert Account.from_mnemonic(DEV_MNEMONIC, account_path="m/44'/60'/0'/0/1").address == OTHER


def test_node_configs_reference_their_files_and_the_first_enode(network: tuple[Path, list[Validator]]) -> None:
    out, nodes = network
    first = nodes[0]
    assert first.enode == f"enode://{first.public_key.hex()}@127.0.0.1:30303"
    ports = set()
    for node in nodes:
        config = tomllib.loads((out / f"node{node.index}" / "config.toml").read_text())
        assert (out / config["genesis-file"]).is_file()
        assert (out / config["node-private-key-file"]).is_file()
        assert config["node-private-key-file"] == f"node{node.index}/key"
        assert (out / config["permissions-accounts-config-file"]).is_file()
        assert config["permissions-accounts-config-file-enabled"] is True
        assert config["min-gas-price"] == 0
        assert config["rpc-http-enabled"] is True
        assert config["rpc-http-api"] == list(RPC_APIS)
        assert config.get("bootnodes", [first.enode]) == [first.enode]
        assert ("bootnodes" in config) == (node.index != 0)
        ports |= {config["p2p-port"], config["rpc-http-port"]}
    assert len(ports) == 2 * len(nodes)


def test_keys_are_valid_secp256k1_and_match_the_addresses(network: tuple[Path, list[Validator]]) -> None:
    out, nodes = network
    for node in nodes:
        key = bytes.fromhex((out / f"node{node.index}" / "key").read_text().removeprefix("0x"))
        private = PrivateKey(key)  # Raises on an out-of-range key.
        assert private.public_key.to_checksum_address() == node.address == Account.from_key(key).address
        assert (out / f"node{node.index}" / "key.pub").read_text() == "0x" + private.public_key.to_bytes().hex()
        assert (out / f"node{node.index}" / "key").stat().st_mode & 0o077 == 0
    assert len({node.address for node in nodes}) == len(nodes)


def test_seed_is_deterministic_and_no_seed_is_random(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", seed="s")
    again = generate(tmp_path / "b", seed="s")
    other = generate(tmp_path / "c", seed="t")
    random = generate(tmp_path / "d")
    assert [n.address for n in first] == [n.address for n in again]
    assert (tmp_path / "a" / "genesis.json").read_text() == (tmp_path / "b" / "genesis.json").read_text()
    assert {n.address for n in first}.isdisjoint({n.address for n in other} | {n.address for n in random})


def test_validator_count_and_bad_addresses(tmp_path: Path) -> None:
    nodes = generate(tmp_path / "seven", validators=7, seed="x")
    extra = json.loads((tmp_path / "seven" / "genesis.json").read_text())["extraData"]
    assert len(rlp.decode(bytes.fromhex(extra[2:]))[1]) == 7 == len(nodes)
    with pytest.raises(ValueError):
        generate(tmp_path / "none", validators=0)
    with pytest.raises(ValueError):
        generate(tmp_path / "bad", allow=["0x1234"])


def test_rlp_encoder_agrees_with_the_rlp_package() -> None:
    samples: list[object] = [b"", b"\x00", b"\x7f", b"\x80", b"x" * 55, b"y" * 56, b"z" * 300, [], [b"a", [b""], []]]
    samples.append([b"q" * 20] * 30)  # A list payload longer than 55 bytes.
    for sample in samples:
        assert rlp_encode(sample) == rlp.encode(sample)  # type: ignore[arg-type]


def test_cli_writes_an_executable_start_script_and_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path / "net"), "--chain-id", "777", "--allow", OTHER]) == 0
    output = capsys.readouterr().out
    assert "DEVELOPMENT KEYS" in output
    script = tmp_path / "net" / "start.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.count("besu --config-file=") == 4 and "command -v besu" in text
    assert json.loads((tmp_path / "net" / "genesis.json").read_text())["config"]["chainId"] == 777
