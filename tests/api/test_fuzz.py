"""No input produces a 500 or a partial write: random JSON in every field of a submission and a batch."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PROBLEM, Api, register

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
FIELDS = [*register().keys(), "expected_seq", "policy", "sig", "extra"]
ACTOR_FIELDS = ["org", "role", "key", "extra"]


@st.composite
def mangled(draw: st.DrawFn) -> Any:
    body: dict[str, Any] = register(draw(st.text(min_size=1, max_size=20)), ticket=f"F-{draw(st.integers(0, 999))}")
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        body[field] = draw(JSON)
    if draw(st.booleans()) and isinstance(body.get("actor"), dict):
        body["actor"] = {**body["actor"], draw(st.sampled_from(ACTOR_FIELDS)): draw(JSON)}
    if draw(st.booleans()):
        del body[draw(st.sampled_from(sorted(body)))]
    return body if draw(st.integers(0, 9)) else draw(JSON)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=mangled(), batched=st.booleans())
def test_no_input_gives_a_server_error_or_a_partial_write(api: Api, body: Any, batched: bool) -> None:
    before = api.tree_size()
    if batched:
        response = api.post("/v1/transitions:batch", {"transitions": [register("fz-ok", "F-OK"), body]})
    else:
        response = api.post("/v1/transitions", body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["code"]
        assert api.tree_size() == before  # refused: nothing written, not even the good half of a batch
    else:
        fresh = sum(1 for r in ([response.json()] if not batched else response.json()["receipts"]))
        assert api.tree_size() <= before + fresh
