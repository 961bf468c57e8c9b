"""The page's hand-encoded call of ``anchoredAt`` uses the selector of the compiled contract's ABI."""

from __future__ import annotations

import re
from pathlib import Path

from eth_utils import keccak

from ledger.anchoring.contract import load_artifact

CHAIN_JS = Path(__file__).parents[2] / "api" / "page" / "static" / "chain.js"


def test_anchored_at_selector_matches_the_artifact_abi() -> None:
    function = next(item for item in load_artifact().abi if item.get("name") == "anchoredAt")
    signature = f"anchoredAt({','.join(i['type'] for i in function['inputs'])})"
    assert signature == "anchoredAt(bytes32,uint64)"
    assert [o["type"] for o in function["outputs"]] == ["bytes32", "uint64", "uint64"]  # decodeAnchoredAt's words
    found = re.search(r'ANCHORED_AT_SELECTOR = "0x([0-9a-f]{8})"', CHAIN_JS.read_text())
    assert found is not None
    assert found[1] == keccak(text=signature)[:4].hex()
