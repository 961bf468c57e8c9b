"""C2SP tlog-proof (c2sp.org/tlog-proof): round trips, the spec example's structure, a negative
test for each parse rule, and verification of proofs the ledger serves, with every tamper
refused at its step (V1 format, V3 inclusion, V4 signature) and bit-flip properties.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.demo import CHINA, demo_requests
from ledger.service import Ledger
from tests.conftest import ORIGIN
from verifier.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body, sign_checkpoint
from verifier.errors import (
    FormatError,
    InclusionProofError,
    InclusionRootMismatchError,
    SignatureError,
    VerificationError,
)
from verifier.limits import MAX_NOTE_BYTES, MAX_PROOF_HASHES, MAX_UINT64
from verifier.note import NoteSigner, NoteVerifier, open_note, sign_note
from verifier.tlog_proof import HEADER, TlogProof, parse_tlog_proof, verify_tlog_proof

# --- pure format tests: a fixed key and checkpoint -------------------------------------------

SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
HASHES = tuple(hashlib.sha256(bytes([i])).digest() for i in range(5))
NOTE = sign_checkpoint(Checkpoint(ORIGIN, 109482, hashlib.sha256(b"root").digest()), SIGNER)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def non_canonical(data: bytes) -> str:
    """A base64 text that decodes to ``data`` but sets a spare bit of its last character."""
    text = b64(data)
    assert len(data) % 3 == 2, "needs exactly one '=' of padding"
    last = len(text) - 2
    return text[:last] + _ALPHABET[_ALPHABET.index(text[last]) | 1] + "="


def proof_text(*head: str, checkpoint: str = NOTE) -> str:
    """A proof text from its head lines and a checkpoint, joined as the format says."""
    return "\n".join(head) + "\n\n" + checkpoint


@pytest.mark.parametrize(
    "proof",
    [
        TlogProof(0, (), NOTE),
        TlogProof(5, HASHES[:3], NOTE),
        TlogProof(73894, HASHES, NOTE, b"age-v1.2.1-darwin-arm64.tar.gz"),
        TlogProof(MAX_UINT64, HASHES[:1], NOTE, bytes(range(256))),
        TlogProof(1, HASHES[:1], NOTE, b""),
    ],
    ids=["index-0-no-hashes", "no-extra", "extra", "max-index-binary-extra", "empty-extra"],
)
def test_text_round_trips(proof: TlogProof) -> None:
    text = proof.text()
    assert parse_tlog_proof(text) == proof
    assert parse_tlog_proof(text).text() == text
    assert text.startswith(HEADER + "\n")
    assert text.endswith(NOTE)


def test_text_lays_out_header_extra_index_hashes_blank_line_and_checkpoint() -> None:
    text = TlogProof(7, HASHES[:2], NOTE, b"ctx").text()
    head, blank, checkpoint = text.partition("\n\n")
    assert (blank, checkpoint) == ("\n\n", NOTE)
    assert head.split("\n") == [HEADER, f"extra {b64(b'ctx')}", "index 7", b64(HASHES[0]), b64(HASHES[1])]


# The example of c2sp.org/tlog-proof ("Format"), verbatim up to the checkpoint, whose
# signatures the spec elides ("[...]"): the checkpoint here is the same body signed by a key
# of that name, so that the whole text is a valid proof.
SPEC_HEAD = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk="""
SPEC_BODY = "example.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
SPEC_SIGNER = NoteSigner("example.com/fancylog", Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))


def test_the_spec_example_parses_into_its_parts_and_formats_back() -> None:
    note = sign_note(SPEC_BODY, [SPEC_SIGNER])
    text = SPEC_HEAD + "\n\n" + note
    proof = parse_tlog_proof(text)
    assert proof.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert proof.index == 73894
    assert [b64(h) for h in proof.proof] == SPEC_HEAD.split("\n")[3:]
    assert all(len(h) == 32 for h in proof.proof)
    assert proof.checkpoint == note
    assert proof.text() == text
    checkpoint = open_checkpoint(proof.checkpoint, [SPEC_SIGNER.verifier()], origin="example.com/fancylog")
    assert (checkpoint.tree_size, b64(checkpoint.root_hash)) == (109482, "sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=")
    # The spec abridges the proof: index 73894 of a 109482-leaf tree needs 17 hashes, not 5.
    # Verification gets past the signature (V4) and stops at the inclusion proof (V3).
    with pytest.raises(InclusionProofError, match="shorter") as caught:
        verify_tlog_proof(text, b"entry", [SPEC_SIGNER.verifier()], origin="example.com/fancylog")
    assert caught.value.step == "V3"


H0, H1 = b64(HASHES[0]), b64(HASHES[1])
URLSAFE = base64.urlsafe_b64encode(b"\xff" * 32).decode()  # "_" is not in the standard alphabet.
NEGATIVE_CASES: list[tuple[str, str, str, str | None]] = [
    # (id, text, message pattern, field)
    ("missing-header", proof_text("index 0", H0), "must start with", "header"),
    ("wrong-header-version", proof_text("c2sp.org/tlog-proof@v2", "index 0"), "must start with", "header"),
    ("header-trailing-space", proof_text(HEADER + " ", "index 0"), "must start with", "header"),
    ("header-crlf", proof_text(HEADER + "\r", "index 0"), "must start with", "header"),
    ("missing-index-line", proof_text(HEADER, H0, H1), "index", "index"),
    ("no-index-before-blank-line", proof_text(HEADER), "index", "index"),
    ("index-after-hashes", proof_text(HEADER, H0, "index 1"), "index", "index"),
    ("index-leading-zero", proof_text(HEADER, "index 01", H0), "index", "index"),
    ("index-negative", proof_text(HEADER, "index -1", H0), "index", "index"),
    ("index-hex", proof_text(HEADER, "index 0x1f", H0), "index", "index"),
    ("index-exponent", proof_text(HEADER, "index 1e3", H0), "index", "index"),
    ("index-non-ascii-digit", proof_text(HEADER, "index \u0663", H0), "index", "index"),
    ("index-two-spaces", proof_text(HEADER, "index  1", H0), "index", "index"),
    ("index-trailing-space", proof_text(HEADER, "index 1 ", H0), "index", "index"),
    ("index-capitalised", proof_text(HEADER, "Index 1", H0), "index", "index"),
    ("index-empty", proof_text(HEADER, "index ", H0), "index", "index"),
    ("index-2^64", proof_text(HEADER, f"index {MAX_UINT64 + 1}", H0), "index", "index"),
    ("index-20-nines", proof_text(HEADER, "index " + "9" * 20, H0), "index", "index"),
    ("index-21-digits", proof_text(HEADER, "index 1" + "0" * 20, H0), "index", "index"),
    ("hash-31-bytes", proof_text(HEADER, "index 0", b64(bytes(31))), "31 bytes, not 32", "proof[0]"),
    ("hash-33-bytes", proof_text(HEADER, "index 0", H0, b64(bytes(33))), "33 bytes, not 32", "proof[1]"),
    ("hash-empty-base64", proof_text(HEADER, "extra ", "index 0", "="), "not standard base64", "proof[0]"),
    ("hash-non-canonical", proof_text(HEADER, "index 0", non_canonical(HASHES[0])), "not canonical", "proof[0]"),
    ("hash-no-padding", proof_text(HEADER, "index 0", H0.rstrip("=")), "not standard base64", "proof[0]"),
    ("hash-urlsafe", proof_text(HEADER, "index 0", URLSAFE), "not standard base64", "proof[0]"),
    ("hash-trailing-space", proof_text(HEADER, "index 0", H0 + " "), "not standard base64", "proof[0]"),
    ("hash-crlf", proof_text(HEADER, "index 0", H0 + "\r"), "not standard base64", "proof[0]"),
    # 64 hex digits are also valid base64, of 48 bytes.
    ("hash-hex", proof_text(HEADER, "index 0", HASHES[0].hex()), "48 bytes, not 32", "proof[0]"),
    ("extra-not-base64", proof_text(HEADER, "extra !!", "index 0"), "not standard base64", "extra"),
    ("extra-non-canonical", proof_text(HEADER, f"extra {non_canonical(b'ab')}", "index 0"), "canonical", "extra"),
    ("extra-without-space", proof_text(HEADER, "extra", "index 0"), "index", "index"),
    ("no-blank-line", f"{HEADER}\nindex 0\n{H0}\n", "no checkpoint after an empty line", "checkpoint"),
    # Without its own blank line, the checkpoint's blank line ends the proof: its origin is read as a hash.
    ("no-blank-line-before-checkpoint", f"{HEADER}\nindex 0\n{NOTE}", "not standard base64", "proof[0]"),
    ("empty-checkpoint", proof_text(HEADER, "index 0", checkpoint=""), "no checkpoint", "checkpoint"),
    ("empty-text", "", "no checkpoint", "checkpoint"),
    (
        "too-many-hashes",
        proof_text(HEADER, "index 0", *[H0] * (MAX_PROOF_HASHES + 1)),
        f"more than {MAX_PROOF_HASHES} hashes",
        "proof",
    ),
    ("oversize", proof_text(HEADER, "index 0", checkpoint="x" * MAX_NOTE_BYTES), "larger than", None),
]


@pytest.mark.parametrize(
    ("text", "message", "field"), [c[1:] for c in NEGATIVE_CASES], ids=[c[0] for c in NEGATIVE_CASES]
)
def test_malformed_proofs_are_refused_naming_the_field(text: str, message: str, field: str | None) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        parse_tlog_proof(text)
    assert caught.value.step == "V1"
    assert caught.value.evidence.get("field") == field


def test_the_largest_index_and_size_limit_are_accepted() -> None:
    assert parse_tlog_proof(proof_text(HEADER, f"index {MAX_UINT64}")).index == MAX_UINT64
    padding = MAX_NOTE_BYTES - len(proof_text(HEADER, "index 0", checkpoint="").encode())
    assert parse_tlog_proof(proof_text(HEADER, "index 0", checkpoint="x" * padding)).checkpoint == "x" * padding


def test_multibyte_text_is_measured_in_utf8_bytes() -> None:
    # 3 bytes per character: fewer characters than the limit, more bytes than it.
    text = proof_text(HEADER, "index 0", checkpoint="\u2014" * (MAX_NOTE_BYTES // 3 + 1))
    assert len(text) < MAX_NOTE_BYTES
    with pytest.raises(FormatError, match="larger than"):
        parse_tlog_proof(text)


def test_a_second_extra_line_is_refused() -> None:
    with pytest.raises(FormatError):
        parse_tlog_proof(proof_text(HEADER, "extra YQ==", "extra Yg==", "index 0"))


# --- verification against a real ledger -----------------------------------------------------


@dataclass(frozen=True)
class Logged:
    """A ledger with demo entries and a published checkpoint; proofs are served by the ledger."""

    ledger: Ledger
    note: str
    tree_size: int
    root: bytes
    verifier: NoteVerifier

    def entry(self, index: int) -> bytes:
        stored = self.ledger.entry(index)
        assert stored is not None
        return stored.data

    def proof(self, index: int, *, extra: bytes | None = None) -> TlogProof:
        hashes = tuple(self.ledger.inclusion_proof(index, self.tree_size))
        return TlogProof(index, hashes, self.note, extra)

    def verify(self, text: str, entry: bytes, *, origin: str | None = ORIGIN) -> Checkpoint:
        return verify_tlog_proof(text, entry, [self.verifier], origin=origin)


#: The ledger is only the source of real proofs here; tests/ledger runs its proofs on every backend.
on_sqlite = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def logged(ledger: Ledger, operator_signer: NoteSigner) -> Logged:
    ledger.append(list(demo_requests(3, seed=2026)))
    stored = ledger.publish_checkpoint()
    head = ledger.head()
    assert stored.tree_size == head.tree_size >= 16
    return Logged(ledger, stored.note, head.tree_size, head.root, operator_signer.verifier())


#: An index with a proof of at least two distinct hashes that is neither the first nor the last.
INDEX = 5


@on_sqlite
def test_every_entry_verifies_under_the_published_checkpoint(logged: Logged) -> None:
    expected = open_checkpoint(logged.note, [logged.verifier], origin=ORIGIN)
    assert (expected.tree_size, expected.root_hash) == (logged.tree_size, logged.root)
    for index in range(logged.tree_size):
        text = logged.proof(index, extra=b"ticket context").text()
        assert logged.verify(text, logged.entry(index)) == expected
        assert logged.verify(text, logged.entry(index), origin=None) == expected


@on_sqlite
def test_a_proof_under_an_older_checkpoint_still_verifies(logged: Logged) -> None:
    logged.ledger.append(list(demo_requests(1, seed=7, start=datetime(2026, 4, 1, 9, 0, tzinfo=CHINA))))
    newer = logged.ledger.publish_checkpoint()
    assert newer.tree_size > logged.tree_size
    checkpoint = logged.verify(logged.proof(INDEX).text(), logged.entry(INDEX))
    assert checkpoint.tree_size == logged.tree_size


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def _with_hashes(proof: TlogProof, hashes: tuple[bytes, ...]) -> str:
    return replace(proof, proof=hashes).text()


def _with_note(proof: TlogProof, note: str) -> str:
    return replace(proof, checkpoint=note).text()


def _other_key_note(logged: Logged) -> str:
    body = open_note(logged.note, [logged.verifier]).text
    return sign_note(body, [NoteSigner.generate(ORIGIN)])


def _other_origin_note(logged: Logged, signer: NoteSigner) -> str:
    return sign_checkpoint(Checkpoint("12345.ningbo.gov.cn/ledger/v1", logged.tree_size, logged.root), signer)


def _edited_size_note(logged: Logged) -> str:
    lines = logged.note.split("\n")
    assert lines[1] == str(logged.tree_size)
    return "\n".join([lines[0], str(logged.tree_size + 1), *lines[2:]])


def _edited_root_note(logged: Logged) -> str:
    lines = logged.note.split("\n")
    return "\n".join([lines[0], lines[1], b64(_flip(logged.root, 0)), *lines[3:]])


Tamper = Callable[[Logged, TlogProof, bytes], tuple[str, bytes]]

# Named mutations of a valid (proof text, entry) pair, each with the error class and step that
# must refuse it. Verification opens the checkpoint (V4) before it checks inclusion (V3).
TAMPERS: dict[str, tuple[Tamper, type[VerificationError], str]] = {
    "entry-first-bit": (lambda g, p, e: (p.text(), _flip(e, 0)), InclusionRootMismatchError, "V3"),
    "entry-last-bit": (lambda g, p, e: (p.text(), _flip(e, len(e) * 8 - 1)), InclusionRootMismatchError, "V3"),
    "entry-byte-appended": (lambda g, p, e: (p.text(), e + b"\n"), InclusionRootMismatchError, "V3"),
    "entry-of-another-index": (lambda g, p, e: (p.text(), g.entry(INDEX + 1)), InclusionRootMismatchError, "V3"),
    "hash-dropped-first": (lambda g, p, e: (_with_hashes(p, p.proof[1:]), e), InclusionProofError, "V3"),
    "hash-dropped-last": (lambda g, p, e: (_with_hashes(p, p.proof[:-1]), e), InclusionProofError, "V3"),
    "hash-appended": (lambda g, p, e: (_with_hashes(p, (*p.proof, p.proof[0])), e), InclusionProofError, "V3"),
    "hashes-swapped": (
        lambda g, p, e: (_with_hashes(p, (p.proof[1], p.proof[0], *p.proof[2:])), e),
        InclusionRootMismatchError,
        "V3",
    ),
    "hashes-reversed": (lambda g, p, e: (_with_hashes(p, p.proof[::-1]), e), InclusionRootMismatchError, "V3"),
    "index-minus-one": (lambda g, p, e: (replace(p, index=p.index - 1).text(), e), InclusionProofError, "V3"),
    "index-plus-one": (lambda g, p, e: (replace(p, index=p.index + 1).text(), e), InclusionProofError, "V3"),
    "index-beyond-tree": (lambda g, p, e: (replace(p, index=g.tree_size).text(), e), InclusionProofError, "V3"),
    "proof-of-another-index": (lambda g, p, e: (g.proof(INDEX + 2).text(), e), InclusionProofError, "V3"),
    "checkpoint-by-another-key": (lambda g, p, e: (_with_note(p, _other_key_note(g)), e), SignatureError, "V4"),
    "checkpoint-size-edited": (lambda g, p, e: (_with_note(p, _edited_size_note(g)), e), SignatureError, "V4"),
    "checkpoint-root-edited": (lambda g, p, e: (_with_note(p, _edited_root_note(g)), e), SignatureError, "V4"),
    "checkpoint-signature-dropped": (
        lambda g, p, e: (_with_note(p, g.note.partition("\n\n")[0] + "\n\n"), e),
        FormatError,
        "V1",
    ),
}


@pytest.mark.parametrize("name", TAMPERS)
@on_sqlite
def test_each_tamper_is_refused_at_its_step(logged: Logged, name: str) -> None:
    tamper, error, step = TAMPERS[name]
    proof, entry = logged.proof(INDEX), logged.entry(INDEX)
    assert len(set(proof.proof)) >= 2
    logged.verify(proof.text(), entry)  # The unmutated pair verifies.
    text, mutated = tamper(logged, proof, entry)
    with pytest.raises(error) as caught:
        logged.verify(text, mutated)
    assert caught.value.step == step
    if isinstance(caught.value, InclusionRootMismatchError):
        assert caught.value.expected_root == logged.root
        assert caught.value.calculated_root != logged.root


@on_sqlite
def test_a_bit_flip_in_any_proof_hash_is_a_root_mismatch(logged: Logged) -> None:
    proof, entry = logged.proof(INDEX), logged.entry(INDEX)
    for position, value in enumerate(proof.proof):
        for bit in (0, 7, 131, 255):
            hashes = (*proof.proof[:position], _flip(value, bit), *proof.proof[position + 1 :])
            with pytest.raises(InclusionRootMismatchError) as caught:
                logged.verify(_with_hashes(proof, hashes), entry)
            assert (caught.value.step, caught.value.expected_root) == ("V3", logged.root)


@on_sqlite
def test_a_checkpoint_of_another_origin_is_refused_when_the_origin_is_given(
    logged: Logged, operator_signer: NoteSigner
) -> None:
    proof, entry = logged.proof(INDEX), logged.entry(INDEX)
    text = _with_note(proof, _other_origin_note(logged, operator_signer))
    # Signed by the trusted key and with the right root: only the origin check refuses it.
    assert logged.verify(text, entry, origin=None).origin == "12345.ningbo.gov.cn/ledger/v1"
    with pytest.raises(FormatError, match="origin") as caught:
        logged.verify(text, entry, origin=ORIGIN)
    assert caught.value.step == "V1"
    assert caught.value.evidence["field"] == "origin"
    assert caught.value.evidence["expected_origin"] == ORIGIN
    assert caught.value.evidence["actual_origin"] == "12345.ningbo.gov.cn/ledger/v1"


@on_sqlite
def test_a_proof_is_only_as_trusted_as_the_keys_given(logged: Logged) -> None:
    proof, entry = logged.proof(INDEX), logged.entry(INDEX)
    with pytest.raises(SignatureError, match="no signature from a known key") as caught:
        verify_tlog_proof(proof.text(), entry, [NoteSigner.generate(ORIGIN).verifier()])
    assert caught.value.step == "V4"
    with pytest.raises(SignatureError):
        verify_tlog_proof(proof.text(), entry, [])


@on_sqlite
def test_extra_data_is_not_authenticated(logged: Logged) -> None:
    # c2sp.org/tlog-proof: "Applications MUST NOT implicitly trust the extra data".
    entry = logged.entry(INDEX)
    one = logged.verify(logged.proof(INDEX, extra=b"one").text(), entry)
    other = logged.verify(logged.proof(INDEX, extra=b"other").text(), entry)
    assert one == other


# --- bit flips -------------------------------------------------------------------------------


def _extra_span(text: bytes) -> range:
    """The byte positions of the base64 payload of the extra line (unauthenticated data), if any."""
    marker = b"\nextra "
    if marker not in text:
        return range(0)
    start = text.index(marker) + len(marker)
    return range(start, text.index(b"\n", start))


def _outcome(logged: Logged, original: TlogProof, entry: bytes, target: str, bit: int) -> str:
    """Verify ``original`` with one bit flipped in the proof text or in the entry.

    Returns the refusing error's step, or "extra" when the flip only changed the unauthenticated
    extra data, which must leave index, hashes and checkpoint as they were. Any exception that
    is not a ``VerificationError`` propagates and fails the test.
    """
    raw = original.text().encode()
    flipped_text = _flip(raw, bit) if target == "proof" else raw
    flipped_entry = _flip(entry, bit) if target == "entry" else entry
    # Bytes that are not UTF-8 reach the parser as lone surrogates, as "surrogateescape" reads them.
    text = flipped_text.decode("utf-8", "surrogateescape")
    try:
        checkpoint = logged.verify(text, flipped_entry)
    except VerificationError as exc:
        assert exc.step in {"V1", "V3", "V4"}, repr(exc)
        return str(exc.step)
    assert target == "proof" and bit // 8 in _extra_span(raw), f"a flip of {target} bit {bit} verified"
    parsed = parse_tlog_proof(text)
    assert (parsed.index, parsed.proof, parsed.checkpoint) == (original.index, original.proof, original.checkpoint)
    assert parsed.extra != original.extra
    assert checkpoint == parse_checkpoint_body(open_note(logged.note, [logged.verifier]).text)
    return "extra"


@on_sqlite
def test_every_single_bit_flip_of_the_proof_text_is_refused_unless_it_is_in_the_extra_data(logged: Logged) -> None:
    original = logged.proof(INDEX, extra=b"260302083206000000")
    entry = logged.entry(INDEX)
    bits = len(original.text().encode()) * 8
    outcomes = Counter(_outcome(logged, original, entry, "proof", bit) for bit in range(bits))
    assert sum(outcomes.values()) == bits
    # Each step refuses some flips: the header, index and base64 (V1), the hashes (V3), the note (V4).
    assert outcomes["V1"] and outcomes["V3"] and outcomes["V4"], outcomes
    assert outcomes["extra"] <= len(_extra_span(original.text().encode())) * 8


@on_sqlite
def test_every_single_bit_flip_of_the_entry_is_a_root_mismatch(logged: Logged) -> None:
    original, entry = logged.proof(INDEX), logged.entry(INDEX)
    text = original.text()
    for bit in range(len(entry) * 8):
        with pytest.raises(InclusionRootMismatchError):
            logged.verify(text, _flip(entry, bit))


@on_sqlite
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_single_bit_flips_never_verify(logged: Logged, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, logged.tree_size - 1), label="index")
    extra = data.draw(st.none() | st.binary(min_size=1, max_size=24), label="extra")
    original, entry = logged.proof(index, extra=extra), logged.entry(index)
    target = data.draw(st.sampled_from(["proof", "entry"]), label="target")
    size = len(original.text().encode()) if target == "proof" else len(entry)
    bit = data.draw(st.integers(0, size * 8 - 1), label="bit")
    assert _outcome(logged, original, entry, target, bit) in {"V1", "V3", "V4", "extra"}
