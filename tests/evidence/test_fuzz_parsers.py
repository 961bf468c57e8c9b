"""Fuzzing the auditor's parsers (hypothesis): whatever bytes or mutations of valid documents come in, the bundle,
trust file, state file and checkpoint parsers raise only ``FormatError`` (or, for a signed note, the documented
``SignatureError``), and ``verify_bundle`` always returns a report."""

from __future__ import annotations

import contextlib
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ORIGIN
from tests.evidence.scene import build_scene
from verifier.bundle import parse_bundle
from verifier.bundle_check import verify_bundle
from verifier.checkpoint import open_checkpoint, parse_checkpoint_body
from verifier.errors import FormatError, SignatureError
from verifier.note import parse_vkey
from verifier.report import Outcome
from verifier.seen import STATE_V1, SeenCheckpoints
from verifier.trust import parse_trust

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@cache
def valid() -> dict[str, Any]:
    """A valid bundle, trust file, state file and signed checkpoint of the simulated log."""
    scene = build_scene(SeenCheckpoints(Path("/nonexistent"), ORIGIN, {}))
    scene.seal()
    scene.api.disclose = True
    state = {"v": STATE_V1, "origin": ORIGIN, "checkpoints": [{"size": 8, "root": scene.sim.root().hex()}]}
    return {
        "bundle": json.loads(scene.api.ticket_bundle("T-1001")),
        "trust": scene.trust.document(),
        "state": state,
        "note": scene.sim.latest,
        "scene": scene,
    }


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or element of a JSON value."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found += _paths(item, (*prefix, number))
    return found


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    """The valid document ``name`` with one member replaced by a random value, or deleted."""
    document = json.loads(json.dumps(valid()[name]))
    path = draw(st.sampled_from(_paths(document)[1:]))
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()):
        parent[path[-1]] = draw(json_values)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode()


def _only_format_errors(parse: Any, data: Any) -> None:
    with contextlib.suppress(FormatError):
        parse(data)


@FUZZ
@given(st.binary(max_size=2000) | mutated("bundle"))
def test_the_bundle_parser_raises_only_format_errors(data: bytes) -> None:
    _only_format_errors(parse_bundle, data)


@FUZZ
@given(mutated("bundle"))
def test_verify_bundle_always_reports(data: bytes) -> None:
    scene = valid()["scene"]
    report = verify_bundle(data, scene.trust, chain=scene.chain, seen=None)
    assert report.outcome in (Outcome.FAILED, Outcome.INCOMPLETE, Outcome.VERIFIED)
    assert "\n" not in report.summary()


@FUZZ
@given(st.binary(max_size=2000) | mutated("trust"))
def test_the_trust_parser_raises_only_format_errors(data: bytes) -> None:
    _only_format_errors(parse_trust, data)


@FUZZ
@given(st.binary(max_size=2000) | mutated("state") | st.just(b"[" * 100_000))
def test_the_state_file_loader_raises_only_format_errors(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        state = SeenCheckpoints.load(Path(directory), ORIGIN).path
        state.write_bytes(data)
        _only_format_errors(lambda _: SeenCheckpoints.load(Path(directory), ORIGIN), None)


@st.composite
def notes(draw: st.DrawFn) -> str:
    """The valid signed checkpoint with a slice replaced by random text."""
    note: str = valid()["note"]
    start = draw(st.integers(0, len(note)))
    end = draw(st.integers(start, len(note)))
    return note[:start] + draw(st.text(max_size=20)) + note[end:]


@FUZZ
@given(st.binary(max_size=1000) | st.text(max_size=1000) | notes())
def test_the_checkpoint_parsers_raise_only_format_and_signature_errors(note: bytes | str) -> None:
    keys = valid()["trust"]["verifier_keys"]
    with contextlib.suppress(FormatError, SignatureError):
        open_checkpoint(note, [parse_vkey(keys[0])], origin=ORIGIN)
    text = note if isinstance(note, str) else note.decode("utf-8", "replace")
    _only_format_errors(parse_checkpoint_body, text)
