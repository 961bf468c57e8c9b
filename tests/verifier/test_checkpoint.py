"""C2SP tlog-checkpoint: the checkpoint bodies and checkpoint notes of
../shared/vectors/checkpoint.json, a negative test for each parse rule, round trips, and
bit-flip properties of signed checkpoints.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vectors import load_vector
from verifier.checkpoint import Checkpoint, failure_step, open_checkpoint, parse_checkpoint_body, sign_checkpoint
from verifier.errors import FormatError, HashLengthError, SignatureError, VerificationError
from verifier.limits import MAX_UINT64
from verifier.note import NoteSignature, NoteSigner, open_note, parse_vkey, sign_note

VECTORS: dict[str, Any] = load_vector("checkpoint.json")
BODIES: list[dict[str, Any]] = VECTORS["checkpoint_bodies"]
NOTES: list[dict[str, Any]] = VECTORS["notes"]
FORMATS_CASES = [case for case in NOTES if "log_key" in case]

ROOT = hashlib.sha256(b"12345").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# 32 bytes leave 2 spare bits in the 43rd character; setting the lowest one decodes to the same bytes.
NON_CANONICAL_ROOT_B64 = ROOT_B64[:42] + _ALPHABET[_ALPHABET.index(ROOT_B64[42]) | 1] + "="
URLSAFE_B64 = base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()  # "_" and "-" are not standard base64
ORIGIN = "12345.hangzhou.gov.cn/ledger/v1"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
WITNESS = NoteSigner("witness.example/w1", Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


# --- checkpoint_bodies[] ---------------------------------------------------------------------


def _expected_fields(case: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("expected_c2sp", "expected_transparency_dev_formats"):
        value = case.get(key)
        if isinstance(value, dict):
            return value
    return None


@pytest.mark.parametrize("case", BODIES, ids=[f"{i:02d}-{_slug(case['desc'])}" for i, case in enumerate(BODIES)])
def test_vector_checkpoint_body(case: dict[str, Any]) -> None:
    text: str = case["text"]
    if case["c2sp_strict_parse"] == "reject":
        with pytest.raises(FormatError):
            parse_checkpoint_body(text)
        return
    assert case["c2sp_strict_parse"] == "ok"
    checkpoint = parse_checkpoint_body(text)
    assert checkpoint.body() == text
    lines = text.split("\n")
    assert checkpoint.origin == lines[0]
    assert checkpoint.tree_size == int(lines[1])
    assert checkpoint.root_hash == base64.b64decode(lines[2])
    assert checkpoint.extensions == tuple(lines[3:-1])
    expected = _expected_fields(case)
    if expected is not None:
        assert checkpoint.origin == expected["origin"]
        assert checkpoint.tree_size == expected["size"]
        assert "".join(line + "\n" for line in checkpoint.extensions) == expected["extension_text"]
        if expected["root_hash_hex"] is not None:
            assert checkpoint.root_hash.hex() == expected["root_hash_hex"]
    if "root_hash_is" in case:
        # tlog.RecordHash("hello world") = SHA-256(0x00 || "hello world").
        assert checkpoint.root_hash == hashlib.sha256(b"\x00hello world").digest()


def test_vector_body_rejections_name_the_field() -> None:
    fields = {}
    for case in BODIES:
        if case["c2sp_strict_parse"] == "reject":
            with pytest.raises(FormatError) as info:
                parse_checkpoint_body(case["text"])
            fields[case["desc"]] = info.value.evidence["field"]
    assert fields["invalid - insufficient lines"] == "body"
    assert fields["invalid - empty header"] == "origin"
    assert fields["invalid - missing newline on roothash"] == "body"
    assert fields["invalid size - negative"] == "tree_size"
    assert fields["invalid roothash - not base64"] == "root_hash"
    assert fields["valid one"] == "root_hash"


# --- checkpoint notes[] ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [case for case in NOTES if case.get("checkpoint_origin_expected") and "log_key" not in case]
    + [case for case in NOTES if case["desc"].startswith("test log checkpoint")],
    ids=lambda case: _slug(case["desc"]),
)
def test_vector_real_checkpoints_open(case: dict[str, Any]) -> None:
    verifiers = [parse_vkey(vkey) for vkey in case["verifier_keys"]]
    origin = case["text"].split("\n", 1)[0]
    checkpoint = open_checkpoint(case["text"], verifiers, origin=origin)
    assert checkpoint.origin == case.get("checkpoint_origin_expected", "go.sum database tree")
    # The note text is exactly the body that parsed.
    assert case["text"].startswith(checkpoint.body() + "\n")


def test_vector_sumdb_checkpoint_with_wrong_origin_fails() -> None:
    (case,) = [case for case in NOTES if case["desc"] == "real sum.golang.org checkpoint"]
    verifiers = [parse_vkey(vkey) for vkey in case["verifier_keys"]]
    wrong = "Go rocks but I might have the wrong ID"
    with pytest.raises(FormatError, match="origin") as info:
        open_checkpoint(case["text"], verifiers, origin=wrong)
    assert info.value.evidence["expected_origin"] == wrong
    assert info.value.evidence["actual_origin"] == "go.sum database tree"


@pytest.mark.parametrize("case", FORMATS_CASES, ids=lambda case: _slug(case["desc"].removeprefix("formats ")))
def test_vector_formats_parse_checkpoint(case: dict[str, Any]) -> None:
    """transparency-dev/formats ParseCheckpoint: the log key must sign and the origin match.

    The log key is passed as the only verifier; the other keys are optional cosigners.
    Every body in these cases has a 6-byte root ("abcdef"), which formats accepts and this
    strict parser refuses, so even the accepted cases end in a HashLengthError here; the
    signature and origin logic is checked before the body is parsed.
    """
    log_key = parse_vkey(case["log_key"])
    origin: str = case["checkpoint_origin_expected"]
    text: str = case["text"]
    if case["expected"] == "verified":
        opened = open_note(text, [log_key])
        assert [signature.name for signature in opened.signatures] == [log_key.name]
        assert opened.text.split("\n", 1)[0] == origin
        with pytest.raises(HashLengthError):
            open_checkpoint(text, [log_key], origin=origin)
        return
    assert case["expected"] == "rejected"
    with pytest.raises(VerificationError) as info:
        open_checkpoint(text, [log_key], origin=origin)
    desc: str = case["desc"]
    if desc.endswith("just known"):
        assert isinstance(info.value, SignatureError)
    elif desc.endswith("wrong logID"):
        assert info.value.evidence["field"] == "origin"
        assert info.value.evidence["expected_origin"] == origin
    elif desc.endswith("bad body good sigs"):
        open_note(text, [log_key])  # the signature is fine: the body is what fails
        assert isinstance(info.value, FormatError)
        with pytest.raises(FormatError):
            open_checkpoint(text, [log_key])
    else:  # pragma: no cover - a new vector needs a decision here
        pytest.fail(f"unclassified ParseCheckpoint case {desc!r}")


def test_vector_rfc6962_derived_checkpoint_body_parses() -> None:
    (case,) = [case for case in VECTORS["other"] if case["kind"] == "rfc6962_sth_to_checkpoint"]
    body = case["derived_checkpoint"].rsplit("\n\n", 1)[0] + "\n"
    checkpoint = parse_checkpoint_body(body)
    assert checkpoint.origin == case["origin"]
    assert checkpoint.tree_size == 1267285836
    with pytest.raises(SignatureError):  # its 0x05 key is unsupported, so nothing verifies it
        open_checkpoint(case["derived_checkpoint"], [])


# --- parse rules, one negative test each -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (f"log\n1\n{ROOT_B64}", "body"),  # no final newline
        ("log\n1\n", "body"),  # fewer than three lines
        ("", "body"),
        ("\n", "body"),
        (f"\n1\n{ROOT_B64}\n", "origin"),
        (f"log\n\n{ROOT_B64}\n", "tree_size"),
        (f"log\n01\n{ROOT_B64}\n", "tree_size"),
        (f"log\n00\n{ROOT_B64}\n", "tree_size"),
        (f"log\n+1\n{ROOT_B64}\n", "tree_size"),
        (f"log\n-0\n{ROOT_B64}\n", "tree_size"),
        (f"log\n 1\n{ROOT_B64}\n", "tree_size"),
        (f"log\n1 \n{ROOT_B64}\n", "tree_size"),
        (f"log\n1_000\n{ROOT_B64}\n", "tree_size"),
        (f"log\n١\n{ROOT_B64}\n", "tree_size"),  # ARABIC-INDIC DIGIT ONE: int() would accept it
        (f"log\n{MAX_UINT64 + 1}\n{ROOT_B64}\n", "tree_size"),
        (f"log\n{'9' * 5000}\n{ROOT_B64}\n", "tree_size"),
        ("log\n1\n\n", "root_hash"),
        (f"log\n1\n{ROOT_B64.rstrip('=')}\n", "root_hash"),  # padding is required
        (f"log\n1\n{URLSAFE_B64}\n", "root_hash"),
        (f"log\n1\n {ROOT_B64}\n", "root_hash"),
        (f"log\n1\n{NON_CANONICAL_ROOT_B64}\n", "root_hash"),
        (f"log\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "root_hash"),
        (f"log\n1\n{base64.b64encode(ROOT + b'!').decode()}\n", "root_hash"),
        (f"log\n1\n{ROOT_B64}\n\n", "extensions"),
        (f"log\n1\n{ROOT_B64}\next\n\nmore\n", "extensions"),
        (f"log\r\n1\n{ROOT_B64}\n", "body"),
        (f"log\n1\n{ROOT_B64}\next\tension\n", "body"),
    ],
    ids=lambda value: _slug(repr(value))[:40] if isinstance(value, str) else None,
)
def test_malformed_bodies_are_refused(text: str, field: str) -> None:
    with pytest.raises(FormatError) as info:
        parse_checkpoint_body(text)
    assert info.value.evidence["field"] == field


def test_non_canonical_root_decodes_to_the_same_bytes() -> None:
    assert NON_CANONICAL_ROOT_B64 != ROOT_B64
    assert base64.b64decode(NON_CANONICAL_ROOT_B64) == ROOT


def test_wrong_root_length_is_a_hash_length_error() -> None:
    with pytest.raises(HashLengthError) as info:
        parse_checkpoint_body(f"log\n1\n{base64.b64encode(ROOT[:31]).decode()}\n")
    assert info.value.evidence["length"] == 31


def test_boundary_sizes_parse() -> None:
    for size in (0, 1, 9, 10, MAX_UINT64):
        assert parse_checkpoint_body(f"log\n{size}\n{ROOT_B64}\n").tree_size == size


def test_origin_is_opaque() -> None:
    # The spec recommends but does not require a URL-like origin: clients MUST NOT assume it.
    for origin in ("Moon Log", "日志+1", " padded ", "\u2014"):
        assert parse_checkpoint_body(f"{origin}\n1\n{ROOT_B64}\n").origin == origin


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"origin": ""}, FormatError),
        ({"origin": "a\nb"}, FormatError),
        ({"origin": "a\x00"}, FormatError),
        ({"origin": "\udc80"}, FormatError),
        ({"tree_size": -1}, FormatError),
        ({"tree_size": MAX_UINT64 + 1}, FormatError),
        ({"tree_size": True}, FormatError),
        ({"root_hash": ROOT[:31]}, HashLengthError),
        ({"root_hash": ROOT.hex()}, HashLengthError),
        ({"extensions": ("",)}, FormatError),
        ({"extensions": ("a\nb",)}, FormatError),
    ],
    ids=lambda value: _slug(repr(value)) if isinstance(value, dict) else None,
)
def test_checkpoint_construction_validates(kwargs: dict[str, Any], error: type[Exception]) -> None:
    fields: dict[str, Any] = {"origin": ORIGIN, "tree_size": 1, "root_hash": ROOT, **kwargs}
    with pytest.raises(error):
        Checkpoint(**fields)


def test_body_format() -> None:
    checkpoint = Checkpoint(ORIGIN, 20852163, ROOT, ("ext one", "ext two"))
    assert checkpoint.body() == f"{ORIGIN}\n20852163\n{ROOT_B64}\next one\next two\n"
    # A list given at run time (despite the type hint) is frozen into a tuple.
    fields: dict[str, Any] = {"origin": "o", "tree_size": 0, "root_hash": ROOT, "extensions": ["x"]}
    assert Checkpoint(**fields).extensions == ("x",)


# --- open / sign -----------------------------------------------------------------------------


def test_sign_then_open() -> None:
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    note = sign_checkpoint(checkpoint, SIGNER)
    assert note.startswith(checkpoint.body() + "\n— " + ORIGIN + " ")
    assert open_checkpoint(note, [SIGNER.verifier()]) == checkpoint
    assert open_checkpoint(note.encode(), [SIGNER.verifier()], origin=ORIGIN) == checkpoint


def test_open_refuses_other_keys_and_origins() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, ROOT), SIGNER)
    with pytest.raises(SignatureError):
        open_checkpoint(note, [WITNESS.verifier()])
    with pytest.raises(FormatError, match="origin"):
        open_checkpoint(note, [SIGNER.verifier()], origin="12345.hangzhou.gov.cn/ledger/v2")


def test_cosigned_checkpoint_opens_with_either_key() -> None:
    checkpoint = Checkpoint(ORIGIN, 7, ROOT)
    opened = open_note(sign_checkpoint(checkpoint, SIGNER), [SIGNER.verifier()])
    cosigned = sign_note(opened.text, [WITNESS], opened.signatures)
    assert open_checkpoint(cosigned, [SIGNER.verifier()]) == checkpoint
    assert open_checkpoint(cosigned, [WITNESS.verifier()]) == checkpoint
    both = open_note(cosigned, [SIGNER.verifier(), WITNESS.verifier()])
    assert [signature.name for signature in both.signatures] == [ORIGIN, WITNESS.name]


_line_chars = st.characters(min_codepoint=0x20, blacklist_categories=["Cs"])
_lines = st.text(_line_chars, min_size=1, max_size=40)
checkpoints = st.builds(
    Checkpoint,
    origin=_lines,
    tree_size=st.integers(0, MAX_UINT64),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(_lines, max_size=3).map(tuple),
)


@given(checkpoints)
def test_body_round_trip(checkpoint: Checkpoint) -> None:
    assert parse_checkpoint_body(checkpoint.body()) == checkpoint


@given(checkpoints)
@settings(max_examples=50)
def test_sign_open_round_trip(checkpoint: Checkpoint) -> None:
    note = sign_checkpoint(checkpoint, SIGNER)
    assert open_checkpoint(note, [SIGNER.verifier()], origin=checkpoint.origin) == checkpoint


def _flip(note: str, bit: int) -> bytes:
    raw = bytearray(note.encode())
    raw[bit // 8] ^= 1 << (bit % 8)
    return bytes(raw)


@given(checkpoints, st.data())
@settings(max_examples=300)
def test_any_bit_flip_of_a_signed_checkpoint_is_refused(checkpoint: Checkpoint, data: st.DataObject) -> None:
    note = sign_checkpoint(checkpoint, SIGNER)
    bit = data.draw(st.integers(0, len(note.encode()) * 8 - 1), label="bit")
    with pytest.raises(VerificationError):
        open_checkpoint(_flip(note, bit), [SIGNER.verifier()])


@given(checkpoints, st.data())
@settings(max_examples=300)
def test_bit_flips_never_yield_another_checkpoint(checkpoint: Checkpoint, data: st.DataObject) -> None:
    # An unknown cosigner's line is ignored by the spec, so some flips there are accepted;
    # none may change what the note says.
    unknown = NoteSignature("unknown.example/w", b"\x01\x02\x03\x04", bytes(range(64))).line
    note = sign_checkpoint(checkpoint, SIGNER) + unknown + "\n"
    bit = data.draw(st.integers(0, len(note.encode()) * 8 - 1), label="bit")
    try:
        opened = open_checkpoint(_flip(note, bit), [SIGNER.verifier()])
    except VerificationError:
        return
    assert opened == checkpoint
    assert bit >= len(sign_checkpoint(checkpoint, SIGNER).encode()) * 8  # only in the ignored line


def test_every_bit_flip_of_a_fixed_signed_checkpoint_is_refused() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 20852163, ROOT, ("ext",)), SIGNER)
    for bit in range(len(note.encode()) * 8):
        with pytest.raises(VerificationError):
            open_checkpoint(_flip(note, bit), [SIGNER.verifier()])


def test_failure_step_separates_malformed_notes_from_untrusted_ones() -> None:
    signer = NoteSigner.generate("example.com/log")
    note = sign_checkpoint(Checkpoint("example.com/log", 3, b"\x01" * 32), signer)
    cases = {
        note[: len(note) // 2]: "V1",  # truncated: no signature block
        note: "V4",  # signed, but by a key the verifier does not trust
    }
    other = NoteSigner.generate("example.com/log")
    for text, step in cases.items():
        with pytest.raises(VerificationError) as info:
            open_checkpoint(text, [other.verifier()], origin="example.com/log")
        assert failure_step(info.value) == step, info.value
    with pytest.raises(VerificationError) as info:
        open_checkpoint(note, [signer.verifier()], origin="example.com/other")
    assert failure_step(info.value) == "V4"  # a checkpoint of another log is not a trusted one
