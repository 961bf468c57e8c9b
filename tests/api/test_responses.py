"""``FastJSONResponse`` writes the bytes Starlette's ``JSONResponse`` writes, for the JSON values receipts hold."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from api.responses import FastJSONResponse

# Any text: escapes, control characters, non-BMP characters, U+2028 (which JavaScript once could not hold raw).
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@given(values)
def test_the_same_bytes_as_starlette(value: Any) -> None:
    assert FastJSONResponse(value).body == JSONResponse(value).body


def test_a_receipt_batch_in_chinese() -> None:
    receipts = {"receipts": [{"ticket": "2509121011", "state": "已派单", "payload": None, "seq": 2}] * 3}
    response = FastJSONResponse(receipts, status_code=201)
    assert response.body == JSONResponse(receipts).body
    assert response.status_code == 201 and response.media_type == "application/json"
