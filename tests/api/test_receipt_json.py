"""Receipts are answered as ``receipt_json`` puts them together, without a model: it must be ``ReceiptOut``'s form.

The submission routes answer with ``receipt_json``'s values as they are. Validated into the documented model
(``ReceiptOut``, which coerces what it can) and dumped again, they must come back unchanged, member for
member and in the same order; so must an anchor's (``AnchorOut``), including the status each gets.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.schemas import AnchorOut, ReceiptOut, anchor_json, receipt_json
from ledger.records import StoredAnchor
from ledger.sequencer import Receipt

texts = st.text(max_size=20)
indices = st.integers(0, 2**53)
receipts = st.builds(
    Receipt,
    transition_id=texts,
    index=indices,
    entry_hash=st.text("0123456789abcdef", min_size=64, max_size=64),
    ticket=texts,
    seq=st.integers(1, 2**31),
    state=texts,
    payload=st.none() | st.just("sha256:" + "ab" * 32),
    replayed=st.booleans(),
    query_code=st.none() | st.just("7KQ4XM2D"),
)
anchors = st.builds(
    StoredAnchor,
    tree_size=indices,
    root=st.binary(min_size=32, max_size=32),
    chain_id=st.integers(1, 2**40),
    contract=st.just("0x" + "12" * 20),
    tx_hash=st.binary(min_size=32, max_size=32),
    block_number=indices,
    block_hash=st.binary(min_size=32, max_size=32),
    block_timestamp=indices,
    recorded_at=indices,
)


@given(receipts, st.none() | indices, st.none() | anchors)
def test_receipt_json_is_the_models_form(
    receipt: Receipt, checkpoint_size: int | None, anchor: StoredAnchor | None
) -> None:
    wire = receipt_json(receipt, checkpoint_size, anchor)
    dumped = ReceiptOut.model_validate(wire).model_dump(mode="json")
    assert list(dumped.items()) == list(wire.items())
    covered = checkpoint_size is not None and checkpoint_size > receipt.index
    assert wire["status"] == ("anchored" if anchor else "integrated" if covered else "pending")
    assert wire["checkpoint"] == (checkpoint_size if covered else None)


@given(anchors)
def test_anchor_json_is_the_models_form(anchor: StoredAnchor) -> None:
    wire = anchor_json(anchor)
    assert list(AnchorOut.model_validate(wire).model_dump(mode="json").items()) == list(wire.items())
    assert wire["tx"] == "0x" + anchor.tx_hash.hex() and wire["root"] == anchor.root.hex()
