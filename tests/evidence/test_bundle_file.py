"""Bundles read from files: a large one is streamed (``verifier.bundle_file``) and must get exactly the verdicts
of the in-memory parser and verifier; its file may not change between the passes; the CLI streams big files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from tests.evidence.test_fuzz_parsers import FUZZ, mutated, valid
from verifier import bundle_file
from verifier.bundle import Bundle, parse_bundle
from verifier.bundle_check import verify_bundle, verify_parsed
from verifier.bundle_file import FileItems, read_bundle, stream_bundle
from verifier.canonical import canonical_bytes
from verifier.cli import main
from verifier.errors import FormatError
from verifier.report import Outcome


def materialised(bundle: Bundle) -> dict[str, Any]:
    return bundle.document()


def read_both(data: bytes, directory: Path, chunk: int = 97) -> tuple[Any, Any]:
    """What ``parse_bundle`` and ``stream_bundle`` make of the same bytes: a document, or "refused"."""
    path = directory / "bundle.json"
    path.write_bytes(data)
    results = []
    for read in (lambda: parse_bundle(data), lambda: stream_bundle(path, chunk=chunk)[0]):
        try:
            results.append(materialised(read()))
        except FormatError:
            results.append("refused")
    return results[0], results[1]


def test_a_valid_bundle_streams_to_the_same_bundle(tmp_path: Path) -> None:
    data = json.dumps(valid()["bundle"]).encode()
    in_memory, streamed = read_both(data, tmp_path)
    assert in_memory != "refused" and streamed == in_memory
    bundle, _ = stream_bundle(tmp_path / "bundle.json", chunk=97)
    assert isinstance(bundle.entries, FileItems) and len(bundle.entries) == len(valid()["bundle"]["entries"])
    assert list(bundle.entries) == list(bundle.entries), "each iteration reads the items again"
    assert bundle.unsigned_digest() == parse_bundle(data).unsigned_digest()


@FUZZ
@given(mutated("bundle"))
def test_a_mutated_bundle_gets_the_same_verdict_streamed_and_in_memory(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        in_memory, streamed = read_both(data, Path(directory), chunk=61)
    assert streamed == in_memory


@pytest.mark.parametrize("spacing", [None, 2])
def test_the_pieces_are_the_canonical_encoding(spacing: int | None, tmp_path: Path) -> None:
    document = valid()["bundle"]
    bundle = parse_bundle(json.dumps(document, indent=spacing).encode())
    assert bundle.encode() == canonical_bytes(bundle.document())
    assert bundle.unsigned_bytes() == canonical_bytes(bundle.document(signed=False))
    path = tmp_path / "bundle.json"
    path.write_bytes(json.dumps(document, indent=spacing).encode())
    assert b"".join(stream_bundle(path, chunk=50)[0].pieces()) == bundle.encode()


def test_entries_out_of_index_order_are_refused(tmp_path: Path) -> None:
    document = json.loads(json.dumps(valid()["bundle"]))
    document["entries"][0], document["entries"][1] = document["entries"][1], document["entries"][0]
    in_memory, streamed = read_both(json.dumps(document).encode(), tmp_path)
    assert in_memory == streamed == "refused"
    with pytest.raises(FormatError, match=r"entries\[1\]: index \d+ comes after \d+"):
        stream_bundle(tmp_path / "bundle.json")
    document["entries"][0] = document["entries"][1]
    with pytest.raises(FormatError, match=r"entries\[1\]: index \d+ appears twice"):
        parse_bundle(json.dumps(document).encode())


def test_a_file_changed_between_the_passes_fails_v1(tmp_path: Path) -> None:
    scene = valid()["scene"]
    path = tmp_path / "bundle.json"
    data = json.dumps(valid()["bundle"], indent=1).encode()
    path.write_bytes(data)
    bundle, _ = stream_bundle(path)
    path.write_bytes(data.replace(b"\n ", b"\n  ", 1))  # the same bundle, other bytes: still not the file read
    report = verify_parsed(bundle, scene.trust, chain=None, seen=None)
    assert report.outcome is Outcome.FAILED and report.first_failure is not None
    assert report.first_failure.step == "V1" and "changed while it was being verified" in report.first_failure.detail
    path.unlink()
    report = verify_parsed(bundle, scene.trust, chain=None, seen=None)
    assert report.first_failure is not None and "can no longer be read" in report.first_failure.detail


def test_small_files_are_read_in_memory_and_large_ones_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bundle.json"
    data = json.dumps(valid()["bundle"]).encode()
    path.write_bytes(data)
    small, _ = read_bundle(path)
    assert isinstance(small.entries, tuple)
    monkeypatch.setattr(bundle_file, "IN_MEMORY_BYTES", len(data) - 1)
    large, sha256 = read_bundle(path)
    assert isinstance(large.entries, FileItems) and materialised(large) == materialised(small)
    assert sha256 == hashlib.sha256(data).digest()


def test_the_cli_verifies_a_streamed_bundle_and_refuses_a_tampered_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = valid()["scene"]
    monkeypatch.setattr(bundle_file, "IN_MEMORY_BYTES", 0)
    trust = tmp_path / "trust.json"
    trust.write_bytes(scene.trust.encode())
    document = valid()["bundle"]
    path = tmp_path / "bundle.json"
    path.write_bytes(json.dumps(document).encode())
    expected = verify_bundle(path.read_bytes(), scene.trust, chain=None, seen=None)
    state = ["--state-dir", str(tmp_path / "state")]
    code = main(["bundle", str(path), "--trust", str(trust), "--offline", "--progress", *state])
    out, err = capsys.readouterr()
    assert code == 3 and expected.outcome is Outcome.INCOMPLETE, out  # offline: the chain steps did not run
    assert "checking the document: 0 / 0 MiB (100%)" in err and "entries, pass 2:" in err, err
    assert "\n".join(expected.lines()[1:5]) in out, "V1-V4 as in memory"

    entries = document["entries"]
    flipped = dict(entries[0], data=entries[0]["data"][:-4] + "AAA=")
    tampered = dict(document, entries=[flipped, *entries[1:]])
    path.write_bytes(json.dumps(tampered).encode())
    code = main(["bundle", str(path), "--trust", str(trust), "--offline", *state])
    assert code == 1 and "FAIL: V" in capsys.readouterr().out

    path.write_bytes(b'{"v": "hotline.bundle/v1", "entries": [')
    code = main(["bundle", str(path), "--trust", str(trust), "--offline", *state])
    assert code == 1 and "FAIL: V1" in capsys.readouterr().out
    code = main(["bundle", str(tmp_path / "missing.json"), "--trust", str(trust), "--offline", *state])
    assert code == 2


def test_the_verdicts_of_a_streamed_bundle_match_in_memory_under_tampering(tmp_path: Path) -> None:
    """Each attack of the bundle's tamper suite, verified both ways: the same report, line for line."""
    scene = valid()["scene"]
    document = valid()["bundle"]
    entries = document["entries"]
    mutations = {
        "untouched": document,
        "dropped": dict(document, entries=entries[:1] + entries[2:]),
        "a proof hash changed": dict(
            document, entries=[dict(entries[0], proof=["00" * 32, *entries[0]["proof"][1:]]), *entries[1:]]
        ),
        "a disclosure edited": dict(
            document,
            disclosures=[dict(d, salt="A" * 43 + "=") for d in document.get("disclosures", [])],
        ),
    }
    path = tmp_path / "bundle.json"
    for name, changed in mutations.items():
        data = json.dumps(changed).encode()
        path.write_bytes(data)
        in_memory = verify_bundle(data, scene.trust, chain=None, seen=None)
        bundle, _ = stream_bundle(path, chunk=33)
        streamed = verify_parsed(bundle, scene.trust, chain=None, seen=None)
        assert (in_memory.first_failure is None) == (name == "untouched"), in_memory.lines()
        assert streamed.lines() == in_memory.lines(), name
        assert [dataclasses.asdict(s) for s in streamed.ordered] == [
            dataclasses.asdict(s) for s in in_memory.ordered
        ], name


@pytest.mark.parametrize(
    ("proof", "bad"),
    [
        (["a" * 63, "a" * 65], 0),  # the joined hex is 128 digits: each hash must still be 64 on its own
        (["a" * 64, "A" * 64], 1),
        (["a" * 64, 7], 1),
        (["a" * 64, "a" * 64, ["a" * 64]], 2),
    ],
)
def test_each_proof_hash_is_checked_on_its_own(proof: list[Any], bad: int) -> None:
    document = json.loads(json.dumps(valid()["bundle"]))
    document["entries"][0]["proof"] = proof
    with pytest.raises(FormatError, match=rf"entries\[0\]\.proof\[{bad}\]: must be 64 lowercase hex digits"):
        parse_bundle(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("member", "message"),
    [("checkpoint", "checkpoint: longer than"), ("comment", "comment: longer than"), ("v", "v: longer than")],
)
def test_an_overlong_member_is_refused_without_holding_it(tmp_path: Path, member: str, message: str) -> None:
    """A hostile file cannot make the first pass hold a huge value: each member has its bound."""
    document = dict(valid()["bundle"], **{member: "x" * (9 * 1024 * 1024)})
    data = json.dumps(document).encode()
    in_memory, streamed = read_both(data, tmp_path, chunk=64 * 1024)
    assert in_memory == streamed == "refused"
    with pytest.raises(FormatError, match=message):
        stream_bundle(tmp_path / "bundle.json")
