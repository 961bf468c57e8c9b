"""C2SP signed-note: every key, note and signing case of ../shared/vectors/checkpoint.json, plus
negative tests for each parse rule of ``verifier.note``.

Only Ed25519 (type 0x01) keys are supported. Vector keys of other types must be refused as
"unsupported key type", and notes that only such keys could verify must therefore be refused.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.vectors import load_vector
from verifier.errors import FormatError, SignatureError, VerificationError
from verifier.limits import MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES
from verifier.note import (
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    OpenedNote,
    ed25519_key_id,
    open_note,
    parse_vkey,
    sign_note,
)

VECTORS: dict[str, Any] = load_vector("checkpoint.json")
KEYS: list[dict[str, Any]] = VECTORS["keys"]
NOTES: list[dict[str, Any]] = VECTORS["notes"]
OTHER: list[dict[str, Any]] = VECTORS["other"]

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_LINE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
PETER_NOTE = TEXT + "\n" + PETER_LINE + "\n"

#: ``other[]`` kinds that concern signature types this verifier does not support (0x04).
NOT_APPLICABLE_OTHER = {"cosignature_v1_signed_message", "cosignature_v1_timestamp"}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60]


def _key_id(case: dict[str, Any]) -> str:
    text = case.get("vkey") or case["skey"]
    name = text.removeprefix("PRIVATE+KEY+").split("+", 1)[0]
    return _slug(f"{name}-{case.get('desc') or case['type']}-{case['valid']}")


def _is_ed25519(case: dict[str, Any]) -> bool:
    return "(0x01)" in case["type"]


def _parse_verifier_keys(vkeys: list[str]) -> tuple[list[NoteVerifier], list[str]]:
    """Parse vkeys; keys of unsupported types must be refused, and are returned apart."""
    verifiers: list[NoteVerifier] = []
    refused: list[str] = []
    for vkey in vkeys:
        try:
            verifiers.append(parse_vkey(vkey))
        except FormatError as exc:
            assert "unsupported key type" in exc.message, exc.message
            refused.append(vkey)
    return verifiers, refused


def _note_input(case: dict[str, Any]) -> bytes | str:
    text: str | None = case["text"]
    return bytes.fromhex(case["hex"]) if text is None else text


def _names(signatures: tuple[NoteSignature, ...]) -> list[str]:
    return [signature.name for signature in signatures]


# --- keys[] ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", KEYS, ids=[_key_id(case) for case in KEYS])
def test_vector_key(case: dict[str, Any]) -> None:
    vkey: str | None = case.get("vkey")
    skey: str | None = case.get("skey")
    if case["valid"] is True and _is_ed25519(case):
        if vkey is not None:
            verifier = parse_vkey(vkey)
            assert verifier.vkey == vkey
            assert verifier.key_type == 0x01
            assert verifier.key_id == bytes.fromhex(vkey.split("+")[1])
        if skey is not None:
            signer = NoteSigner.from_skey(skey)
            assert signer.skey == skey
            if vkey is not None:
                assert signer.vkey == vkey
                assert signer.verifier() == parse_vkey(vkey)
    elif case["valid"] is True:
        # A valid key of a type this verifier does not support: refused, never accepted.
        assert vkey is not None
        with pytest.raises(FormatError, match="unsupported key type"):
            parse_vkey(vkey)
    else:
        # valid: false, and the valid: null ML-DSA-44 key (unsupported type and a key ID that
        # does not follow the C2SP rule): both refused.
        if vkey is not None:
            with pytest.raises(FormatError):
                parse_vkey(vkey)
        if skey is not None:
            with pytest.raises(FormatError):
                NoteSigner.from_skey(skey)


@pytest.mark.parametrize("vkey", [case["vkey"] for case in KEYS if "vkey" in case])
def test_vkey_is_never_accepted_as_skey(vkey: str) -> None:
    with pytest.raises(FormatError):
        NoteSigner.from_skey(vkey)


@pytest.mark.parametrize("skey", [case["skey"] for case in KEYS if "skey" in case])
def test_skey_is_never_accepted_as_vkey(skey: str) -> None:
    with pytest.raises(FormatError):
        parse_vkey(skey)


def test_logandmap_skey_matches_its_published_vkey() -> None:
    skeys = [case["skey"] for case in KEYS if case.get("skey", "").startswith("PRIVATE+KEY+logandmap+")]
    vkeys = [case["vkey"] for case in KEYS if case.get("vkey", "").startswith("logandmap+")]
    assert len(skeys) == len(vkeys) == 1
    assert NoteSigner.from_skey(skeys[0]).vkey == vkeys[0]


# --- notes[] ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", NOTES, ids=[f"{i:02d}-{_slug(case['desc'])}" for i, case in enumerate(NOTES)])
def test_vector_note(case: dict[str, Any]) -> None:
    verifiers, refused = _parse_verifier_keys(case["verifier_keys"])
    note = _note_input(case)
    expected: str = case["expected"]

    if refused:
        # The note needs an ECDSA (0x02) or RFC 6962 (0x05) key: those are unsupported, so the
        # note cannot be verified with the keys we accept, whatever the source expects.
        assert not verifiers
        with pytest.raises(SignatureError, match="no signature from a known key"):
            open_note(note, verifiers)
        return

    if "log_key" in case:
        # transparency-dev/formats ParseCheckpoint cases: the note layer verifies with all
        # keys; the checkpoint-level verdict (log key, origin, body) is in test_checkpoint.py.
        opened = open_note(note, verifiers)
        assert len(opened.signatures) == case["expected_verified_signature_count"]
        return

    if expected == "verified":
        opened = open_note(note, verifiers)
        assert isinstance(opened, OpenedNote)
        assert _names(opened.signatures) == case["verified_signers"]
        assert _names(opened.unverified_signatures) == case["unverified_signers"]
        raw = note if isinstance(note, bytes) else note.encode()
        assert raw.startswith(opened.text.encode() + b"\n")
        return

    assert expected.startswith("rejected"), expected
    error: type[VerificationError] = VerificationError
    if expected.startswith("rejected: malformed"):
        error = FormatError
    elif expected.startswith(("rejected: no ", "rejected: invalid signature")):
        error = SignatureError
    with pytest.raises(error) as info:
        open_note(note, verifiers)
    if expected.startswith("rejected: invalid signature for key "):
        key = expected.removeprefix("rejected: invalid signature for key ")
        name, key_id = key.split("+")
        assert info.value.evidence["key_name"] == name
        assert info.value.evidence["key_id"] == key_id


# --- other[] ---------------------------------------------------------------------------------


def _other(kind: str) -> list[dict[str, Any]]:
    return [case for case in OTHER if case["kind"] == kind]


def test_every_other_case_is_covered() -> None:
    covered = {
        "sign",
        "vkey_mangling_rule",
        "verifier_list",
        "rfc6962_sth_to_checkpoint",
        "tlog_witness_add_checkpoint_request_body",
    }
    assert {case["kind"] for case in OTHER} <= covered | NOT_APPLICABLE_OTHER


@pytest.mark.parametrize("case", _other("sign"), ids=lambda case: case["skey"].split("+")[2])
def test_vector_sign(case: dict[str, Any]) -> None:
    signer = NoteSigner.from_skey(case["skey"])
    existing = [NoteSignature.from_line(line) for line in case.get("existing_signatures", [])]
    signed = sign_note(case["text"], [signer], existing)
    assert signed == case["expected_note"]
    assert signed.encode() == case["expected_note"].encode()
    opened = open_note(signed, [signer.verifier()])
    assert opened.text == case["text"]
    assert _names(opened.signatures) == [signer.name]


@pytest.mark.parametrize(
    ("text", "parse"),
    [(case["vkey"], parse_vkey) for case in _other("vkey_mangling_rule")] + [(PETER_SKEY, NoteSigner.from_skey)],
    ids=["vkey", "skey"],
)
def test_vector_mangling_rule(text: str, parse: Any) -> None:
    parse(text)  # the original is accepted
    refused = 0
    for start in range(len(text)):
        for end in range(start, len(text) + 1):
            if end - start == len(text):
                continue
            with pytest.raises(FormatError):
                parse(text[start:end])
            refused += 1
    for i in range(len(text)):
        mangled = text[:i] + chr(ord(text[i]) + 1) + text[i + 1 :]
        with pytest.raises(FormatError):
            parse(mangled)
        refused += 1
    assert refused == len(text) * (len(text) + 1) // 2 + len(text) - 1 + len(text)


def _note_with_line(name: str, key_id_hex: str) -> str:
    signature = base64.b64decode(PETER_LINE.split(" ")[2])[4:]
    line = NoteSignature(name, bytes.fromhex(key_id_hex), signature).line
    return TEXT + "\n" + line + "\n"


@pytest.mark.parametrize(
    "lookup", _other("verifier_list")[0]["lookups"], ids=lambda lookup: f"{lookup['name']}-{lookup['key_id']}"
)
def test_vector_verifier_list(lookup: dict[str, str]) -> None:
    case = _other("verifier_list")[0]
    configured = [parse_vkey(vkey) for vkey in case["verifier_keys"]]
    deduplicated = list(dict.fromkeys(configured))
    note = _note_with_line(lookup["name"], lookup["key_id"])
    expected = lookup["expected"]
    if expected.startswith("error: ambiguous"):
        # The same key configured twice is refused whatever the note (golang.org/x/mod only
        # notices on lookup): a verifier list must name each key once.
        with pytest.raises(FormatError, match="ambiguous key EnochRoot\\+af0cfe78"):
            open_note(note, configured)
        with pytest.raises(FormatError, match="ambiguous"):
            open_note(PETER_NOTE, configured)
    elif expected.startswith("error: unknown key"):
        with pytest.raises(SignatureError, match="no signature from a known key") as info:
            open_note(note, deduplicated)
        assert info.value.evidence["unverified_signers"] == [lookup["name"]]
    else:
        opened = open_note(note, deduplicated)
        assert _names(opened.signatures) == [lookup["name"]]


def test_vector_rfc6962_sth_to_checkpoint_key_is_refused() -> None:
    (case,) = _other("rfc6962_sth_to_checkpoint")
    with pytest.raises(FormatError, match="unsupported key type 0x05"):
        parse_vkey(case["vkey"])
    with pytest.raises(SignatureError):
        open_note(case["derived_checkpoint"], [])


def test_vector_witness_request_holds_a_well_formed_note() -> None:
    (case,) = _other("tlog_witness_add_checkpoint_request_body")
    note = case["text"].split("\n\n", 1)[1]
    with pytest.raises(SignatureError, match="no signature from a known key") as info:
        open_note(note, [])
    assert info.value.evidence["unverified_signers"] == ["example.com/behind-the-sofa"] * 2


# --- NoteVerifier / NoteSigner ---------------------------------------------------------------


def _signer(name: str = "12345.hangzhou.gov.cn/ledger/v1", seed: int = 7) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


def test_generated_signer_round_trips_through_its_texts() -> None:
    signer = NoteSigner.generate("example.com/log")
    assert NoteSigner.from_skey(signer.skey).vkey == signer.vkey
    assert parse_vkey(signer.vkey) == signer.verifier()
    assert signer.key_id == ed25519_key_id(signer.name, signer.verifier().public_key)
    assert signer.skey.removeprefix("PRIVATE+KEY+").split("+")[1] == signer.key_id.hex()


def test_signer_repr_hides_the_private_key() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    assert PETER_SKEY.split("+")[-1] not in repr(signer)
    assert "PeterNeumann" in repr(signer)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\nb", "a\x7fb", "a\u00a0b", "a\u3000b", "\ud800"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(FormatError):
        NoteSigner.generate(name)


def test_verifier_construction_checks_every_field() -> None:
    good = parse_vkey(PETER_VKEY)
    with pytest.raises(FormatError, match="key id"):
        NoteVerifier(good.name, b"\x00\x00\x00\x00", good.key_type, good.public_key)
    with pytest.raises(FormatError, match="unsupported key type 0x04"):
        NoteVerifier(good.name, good.key_id, 0x04, good.public_key)
    with pytest.raises(FormatError, match="32 bytes"):
        NoteVerifier(good.name, good.key_id, good.key_type, good.public_key[:31])
    with pytest.raises(FormatError, match="key name"):
        NoteVerifier("Peter Neumann", good.key_id, good.key_type, good.public_key)


def _vkey(name: str, key_id: bytes, key: bytes) -> str:
    return f"{name}+{key_id.hex()}+{base64.b64encode(key).decode()}"


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        ("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "lowercase hex"),
        ("PeterNeumann+c74f20a3", "form"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "empty"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n", "base64"),
        ("PeterNeumann+c74f20a3+ ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "base64"),
        ("PeterNeumann+c74f20a3+", "empty key"),
        ("PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        (_vkey("x", ed25519_key_id("x", bytes(31)), b"\x01" + bytes(31)), "32 bytes"),
        (_vkey("x", ed25519_key_id("x", bytes(33)), b"\x01" + bytes(33)), "32 bytes"),
        (_vkey("x", hashlib.sha256(b"x\n\x02" + bytes(32)).digest()[:4], b"\x02" + bytes(32)), "0x02"),
        (_vkey("x", hashlib.sha256(b"x\n\x04" + bytes(32)).digest()[:4], b"\x04" + bytes(32)), "0x04"),
        (_vkey("x", hashlib.sha256(b"x\n\x05" + bytes(32)).digest()[:4], b"\x05" + bytes(32)), "0x05"),
        (_vkey("x", hashlib.sha256(b"x\n\x06" + bytes(32)).digest()[:4], b"\x06" + bytes(32)), "0x06"),
        (_vkey("x", hashlib.sha256(b"x\n\xff" + bytes(32)).digest()[:4], b"\xff" + bytes(32)), "0xff"),
    ],
    ids=lambda value: _slug(value) if isinstance(value, str) else None,
)
def test_malformed_vkeys_are_refused(vkey: str, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        parse_vkey(vkey)


def test_non_canonical_base64_key_is_refused() -> None:
    # "…10TW" ends a 33-byte value exactly; re-pad a 32-byte key with non-zero spare bits.
    key = b"\x01" + bytes(31)
    text = base64.b64encode(key).decode()
    assert text.endswith("A=")
    mangled = text[:-2] + "B="
    assert base64.b64decode(mangled) == key
    with pytest.raises(FormatError, match="canonical"):
        parse_vkey(f"x+{ed25519_key_id('x', bytes(31)).hex()}+{mangled}")


@pytest.mark.parametrize(
    "skey",
    [
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  # type 0x02
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  # key id
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKA==",  # short seed
        "private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+Peter+Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_malformed_skeys_are_refused(skey: str) -> None:
    with pytest.raises(FormatError):
        NoteSigner.from_skey(skey)


# --- open_note: one negative test per rule ---------------------------------------------------


def _peter() -> NoteVerifier:
    return parse_vkey(PETER_VKEY)


def test_open_returns_text_and_signatures() -> None:
    opened = open_note(PETER_NOTE.encode(), [_peter()])
    assert opened.text == TEXT
    (signature,) = opened.signatures
    assert (signature.name, signature.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert signature.line == PETER_LINE
    assert opened.unverified_signatures == ()


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (TEXT.replace("\n", "\r\n", 1) + "\n" + PETER_LINE + "\n", "control character"),
        (TEXT.replace("If", "If\t") + "\n" + PETER_LINE + "\n", "control character"),
        ("\x00" + PETER_NOTE, "control character"),
        (TEXT + PETER_LINE + "\n", "no blank line"),
        (TEXT + "\n", "signature block"),
        (TEXT + "\n" + PETER_LINE, "signature block"),
        (TEXT + "\n" + PETER_LINE + "\n\n", "signature block"),
        (TEXT + "\n" + PETER_LINE.replace("—", "-") + "\n", "does not start"),
        (TEXT + "\n" + PETER_LINE.replace("— ", "—") + "\n", "does not start"),
        (TEXT + "\n" + PETER_LINE.replace("— ", "— ", 1).replace(" x08", "x08") + "\n", "no signature"),
        (TEXT + "\n" + PETER_LINE.replace("PeterNeumann", "Peter+Neumann") + "\n", "key name"),
        (TEXT + "\n" + PETER_LINE.replace("PeterNeumann", "Peter\u2003Neumann") + "\n", "key name"),
        (TEXT + "\n" + PETER_LINE.replace("— PeterNeumann", "— ") + "\n", "key name is empty"),
        (TEXT + "\n" + PETER_LINE + " \n", "base64"),
        (TEXT + "\n" + PETER_LINE.replace("AM=", "AN=") + "\n", "canonical"),
        (TEXT + "\n" + PETER_LINE.removesuffix("=") + "\n", "base64"),
        (TEXT + "\n— PeterNeumann x08gow==\n", "shorter than 5"),
        (TEXT + "\n— PeterNeumann \n", "shorter than 5"),
        (TEXT + "\n" + PETER_LINE + "\n" + PETER_LINE + "\nUnexpected line.\n", "line 3"),
    ],
    ids=lambda value: _slug(value)[-40:] if isinstance(value, str) else None,
)
def test_malformed_notes_are_refused(note: str, reason: str) -> None:
    with pytest.raises(FormatError, match=reason) as info:
        open_note(note, [_peter()])
    assert info.value.evidence["field"] == "note"


def test_invalid_utf8_is_refused_with_its_offset() -> None:
    raw = PETER_NOTE.encode()
    broken = raw[:10] + b"\xc3" + raw[11:]
    with pytest.raises(FormatError, match="UTF-8") as info:
        open_note(broken, [_peter()])
    assert info.value.evidence["offset"] == 10
    with pytest.raises(FormatError, match="Unicode"):
        open_note("\udcff" + PETER_NOTE, [_peter()])


def test_text_and_signatures_split_at_the_last_blank_line() -> None:
    signer = _signer()
    text = "first\n\nsecond\n\n\nthird\n"
    opened = open_note(sign_note(text, [signer]), [signer.verifier()])
    assert opened.text == text
    # A text ending in an empty line still splits at the separator, not inside the text.
    opened = open_note(sign_note("x\n\n", [signer]), [signer.verifier()])
    assert opened.text == "x\n\n"


def test_signature_line_limit() -> None:
    signer = _signer()
    line = NoteSignature("unknown", b"\x00\x00\x00\x00", b"\x01" * 64).line
    base = sign_note(TEXT, [signer])
    at_limit = base + (line + "\n") * (MAX_NOTE_SIGNATURES - 1)
    assert len(open_note(at_limit, [signer.verifier()]).unverified_signatures) == 1
    with pytest.raises(FormatError, match="too many signature lines") as info:
        open_note(at_limit + line + "\n", [signer.verifier()])
    assert info.value.evidence["count"] == MAX_NOTE_SIGNATURES + 1


def test_size_limit() -> None:
    signer = _signer()
    note = sign_note("a" * (MAX_NOTE_BYTES - 200) + "\n", [signer])
    assert len(note.encode()) <= MAX_NOTE_BYTES
    open_note(note, [signer.verifier()])
    with pytest.raises(FormatError, match="too large"):
        open_note("a" * MAX_NOTE_BYTES + "\n" + note, [signer.verifier()])
    with pytest.raises(FormatError, match="too large"):
        sign_note("a" * MAX_NOTE_BYTES + "\n", [signer])


def test_a_failing_known_signature_rejects_the_note_even_next_to_a_good_one() -> None:
    peter, enoch = _peter(), parse_vkey(ENOCH_VKEY)
    forged = NoteSignature("EnochRoot", enoch.key_id, b"\x00" * 64).line
    with pytest.raises(SignatureError, match="EnochRoot\\+af0cfe78") as info:
        open_note(PETER_NOTE + forged + "\n", [peter, enoch])
    assert info.value.evidence == {"key_name": "EnochRoot", "key_id": "af0cfe78"}
    # A repeated line from a known key is verified too, not skipped because the key was seen.
    bad_repeat = NoteSignature("PeterNeumann", peter.key_id, b"\x00" * 64).line
    with pytest.raises(SignatureError, match="PeterNeumann"):
        open_note(PETER_NOTE + bad_repeat + "\n", [peter])


def test_signature_for_another_text_fails() -> None:
    note = PETER_NOTE.replace("problem,", "problem;")
    with pytest.raises(SignatureError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(note, [_peter()])


def test_no_known_key_is_a_signature_error_naming_the_signers() -> None:
    with pytest.raises(SignatureError) as info:
        open_note(PETER_NOTE, [parse_vkey(ENOCH_VKEY)])
    assert info.value.evidence["unverified_signers"] == ["PeterNeumann"]
    assert info.value.evidence["known_keys"] == ["EnochRoot+af0cfe78"]


# --- sign_note -------------------------------------------------------------------------------


def test_sign_appends_after_existing_and_replaces_the_same_key() -> None:
    peter = NoteSigner.from_skey(PETER_SKEY)
    other = _signer("other")
    first = open_note(sign_note(TEXT, [other, peter]), [other.verifier()])
    assert _names(first.unverified_signatures) == ["PeterNeumann"]
    # Re-signing with "other" replaces its old line; Peter's stays first.
    resigned = sign_note(TEXT, [other], first.signatures + first.unverified_signatures)
    other_line = NoteSignature("other", other.key_id, other.sign(TEXT.encode())).line
    assert resigned == f"{TEXT}\n{PETER_LINE}\n{other_line}\n"


def test_sign_emits_one_line_per_signer_in_order() -> None:
    peter = NoteSigner.from_skey(PETER_SKEY)
    signed = sign_note(TEXT, [peter, peter])
    assert signed == TEXT + "\n" + PETER_LINE + "\n" + PETER_LINE + "\n"
    assert _names(open_note(signed, [peter.verifier()]).signatures) == ["PeterNeumann"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no final newline", "newline"),
        ("tab\there\n", "control character"),
        ("cr\r\n", "control character"),
        ("\udc80\n", "Unicode"),
    ],
)
def test_sign_refuses_texts_that_cannot_be_opened(text: str, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        sign_note(text, [_signer()])


def test_sign_needs_a_signature() -> None:
    with pytest.raises(FormatError, match="at least one signature"):
        sign_note(TEXT, [])
