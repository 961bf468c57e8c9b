"""``verifier.entry``: the log's entry schemas (DESIGN §3), one negative test per rule.

Every refusal is a ``FormatError`` whose ``path`` evidence, and message, name the offending
field (``actor.org`` for a field inside ``actor``).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.canonical import canonical_bytes
from verifier.entry import (
    KEY_V1,
    POLICY_V1,
    TRANSITION_V1,
    KeyEntry,
    PolicyEntry,
    Transition,
    encode_entry,
    parse_entry,
)
from verifier.errors import FormatError
from verifier.limits import MAX_ATTRS_BYTES, MAX_ENTRY_BYTES, MAX_STRING_CHARS
from verifier.merkle import leaf_hash

ORIGIN = "12345.hangzhou.gov.cn/ledger/v1"
TICKET = "250912101108115409"
AT = "2026-03-02T09:15:00.123+08:00"
POLICY_ID = "cn-baseline@0123456789ab"
PREV = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
PAYLOAD = "sha256:" + "ab" * 32
SIGNER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = base64.b64encode(SIGNER.public_key().public_bytes_raw()).decode()
BASELINE_POLICY: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "ledger" / "policies" / "cn-baseline.json").read_text(encoding="utf-8")
)


def opening() -> dict[str, Any]:
    """A ticket's first transition: registered by a hotline agent (seq 1, no prev, no from)."""
    return {
        "v": TRANSITION_V1,
        "log": ORIGIN,
        "ticket": TICKET,
        "seq": 1,
        "prev": None,
        "event": "register",
        "from": None,
        "to": "registered",
        "actor": {"org": "330100-12345", "role": "agent"},
        "at": "2026-03-02T09:02:41.007+08:00",
        "policy": POLICY_ID,
        "attrs": {"category": "complaint", "urgency": "normal", "channel": "phone"},
        "payload": PAYLOAD,
    }


def dispatch() -> dict[str, Any]:
    """A later transition: the centre's dispatcher sends the work order to a department."""
    return {
        "v": TRANSITION_V1,
        "log": ORIGIN,
        "ticket": TICKET,
        "seq": 3,
        "prev": PREV,
        "event": "dispatch",
        "from": "pending_dispatch",
        "to": "dispatched",
        "actor": {"org": "330100-12345", "role": "dispatcher"},
        "at": AT,
        "policy": POLICY_ID,
        "attrs": {"category": "complaint", "urgency": "normal", "channel": "phone"},
        "payload": None,
    }


def signed(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with an actor key and an Ed25519 ``sig`` over its canonical bytes without ``sig``."""
    record = copy.deepcopy(record)
    record["actor"]["key"] = "330100-12345:dispatcher-07"
    record["sig"] = base64.b64encode(SIGNER.sign(canonical_bytes(record))).decode()
    return record


def register_key() -> dict[str, Any]:
    return {
        "v": KEY_V1,
        "log": ORIGIN,
        "op": "register",
        "key": "330100-12345:dispatcher-07",
        "org": "330100-12345",
        "role": "dispatcher",
        "alg": "ed25519",
        "public_key": PUBLIC_KEY,
        "at": "2026-03-01T08:00:00.000+08:00",
    }


def revoke_key() -> dict[str, Any]:
    return {
        "v": KEY_V1,
        "log": ORIGIN,
        "op": "revoke",
        "key": "330100-12345:dispatcher-07",
        "org": "330100-12345",
        "at": "2026-03-20T17:30:00.000+08:00",
    }


def publish_policy(document: dict[str, Any] | None = None, policy_id: str | None = None) -> dict[str, Any]:
    from verifier.policy import policy_id as compute_policy_id

    document = BASELINE_POLICY if document is None else document
    return {
        "v": POLICY_V1,
        "log": ORIGIN,
        "id": compute_policy_id(document) if policy_id is None else policy_id,
        "at": "2026-01-01T00:00:00.000+08:00",
        "policy": document,
    }


def with_field(record: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``record`` with the dotted ``path`` set to ``value``."""
    record = copy.deepcopy(record)
    *parents, last = path.split(".")
    target = record
    for name in parents:
        target = target[name]
    target[last] = value
    return record


def without_field(record: dict[str, Any], path: str) -> dict[str, Any]:
    record = copy.deepcopy(record)
    *parents, last = path.split(".")
    target = record
    for name in parents:
        target = target[name]
    del target[last]
    return record


def refusal(record: dict[str, Any]) -> FormatError:
    """Encode ``record`` (which validates it) and return the ``FormatError``; parsing its
    canonical bytes must fail the same way, so the producer cannot write what the verifier refuses."""
    with pytest.raises(FormatError) as encoded:
        encode_entry(record)
    with pytest.raises(FormatError) as parsed:
        parse_entry(canonical_bytes(record))
    assert encoded.value.message == parsed.value.message
    return encoded.value


def assert_refused(record: dict[str, Any], field: str) -> FormatError:
    error = refusal(record)
    assert error.evidence.get("path") == field, f"path {error.evidence.get('path')!r}: {error.message}"
    assert error.message.startswith(f"{field}:") or f"{field} " in error.message, error.message
    return error


# --- Valid entries round-trip ---------------------------------------------------------------


@pytest.mark.parametrize("record", [opening(), dispatch(), signed(dispatch())], ids=["opening", "dispatch", "signed"])
def test_transition_round_trip(record: dict[str, Any]) -> None:
    data = encode_entry(record)
    assert data == canonical_bytes(record)
    entry = parse_entry(data)
    assert isinstance(entry, Transition)
    assert entry.data == data
    assert entry.leaf_hash == leaf_hash(data)
    assert (entry.log, entry.ticket, entry.seq, entry.prev) == (ORIGIN, TICKET, record["seq"], record["prev"])
    assert (entry.event, entry.from_state, entry.to_state) == (record["event"], record["from"], record["to"])
    assert (entry.actor.org, entry.actor.role, entry.actor.key) == (
        record["actor"]["org"],
        record["actor"]["role"],
        record["actor"].get("key"),
    )
    assert (entry.at, entry.policy, dict(entry.attrs), entry.payload) == (
        record["at"],
        record["policy"],
        record["attrs"],
        record["payload"],
    )
    assert entry.sig == record.get("sig")
    assert encode_entry(json.loads(data)) == data


def test_signed_bytes_are_what_the_actor_signed() -> None:
    record = signed(dispatch())
    entry = parse_entry(encode_entry(record))
    assert isinstance(entry, Transition) and entry.sig is not None
    unsigned = {k: v for k, v in record.items() if k != "sig"}
    assert entry.signed_bytes() == canonical_bytes(unsigned)
    SIGNER.public_key().verify(base64.b64decode(entry.sig), entry.signed_bytes())


@pytest.mark.parametrize("record", [register_key(), revoke_key()], ids=["register", "revoke"])
def test_key_entry_round_trip(record: dict[str, Any]) -> None:
    data = encode_entry(record)
    entry = parse_entry(data)
    assert isinstance(entry, KeyEntry)
    assert (entry.data, entry.log, entry.op, entry.key, entry.org, entry.at) == (
        data,
        ORIGIN,
        record["op"],
        record["key"],
        record["org"],
        record["at"],
    )
    if record["op"] == "register":
        assert entry.role == "dispatcher"
        assert entry.public_key == SIGNER.public_key().public_bytes_raw()
    else:
        assert entry.role is None and entry.public_key is None
    assert entry.leaf_hash == leaf_hash(data)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("at", "2026-03-02T01:15:00.123Z"),
        ("at", "2026-03-02T09:15:00.123-05:00"),
        ("at", "2024-02-29T23:59:59.999+14:00"),
        ("ticket", "A-1b"),
        ("ticket", "X" * 40),
        ("ticket", "GD-2026-0302-000417"),
        ("payload", None),
        ("attrs", {}),
        ("attrs", {"reasons": ["r1", "r2"], "deadline": "2026-03-09T17:00:00.000+08:00", "rating": 5}),
        ("attrs", {"note": "x" * MAX_STRING_CHARS}),
        ("actor", {"org": "330100-12345", "role": "dispatcher", "key": "k1"}),
        ("seq", 2**53 - 1),
        ("event", "urge"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_transition_variants_accepted(path: str, value: Any) -> None:
    record = with_field(dispatch(), path, value)
    assert parse_entry(encode_entry(record)).data == canonical_bytes(record)


# --- Transition: every field, every rule ----------------------------------------------------

TRANSITION_FIELDS = sorted(dispatch())


@pytest.mark.parametrize("field", TRANSITION_FIELDS)
def test_transition_missing_field(field: str) -> None:
    error = assert_refused(without_field(dispatch(), field), field)
    if field != "v":
        assert "required" in error.message


@pytest.mark.parametrize("field", ["actor.org", "actor.role"])
def test_actor_missing_field(field: str) -> None:
    assert_refused(without_field(dispatch(), field), field)


@pytest.mark.parametrize("field", ["extra", "signature", "Seq", "payload_salt"])
def test_transition_unknown_field(field: str) -> None:
    error = assert_refused(with_field(dispatch(), field, "x"), field)
    assert "not a field" in error.message


def test_actor_unknown_field() -> None:
    assert_refused(with_field(dispatch(), "actor.name", "张三"), "actor.name")


WRONG_VALUES: list[tuple[str, Any]] = [
    ("log", 1),
    ("log", None),
    ("log", ""),
    ("log", "12345 hangzhou"),
    ("log", "x" * 256),
    ("log", "12345.杭州.gov.cn"),
    ("log", ["12345.hangzhou.gov.cn"]),
    ("ticket", 2509121011),
    ("ticket", None),
    ("ticket", "abc"),
    ("ticket", "a" * 41),
    ("ticket", ""),
    ("ticket", "2509_1210"),
    ("ticket", "2509 1210"),
    ("ticket", "2509/1210"),
    ("ticket", "工单2509121011"),
    ("ticket", "２５０９１２１０"),
    ("seq", 0),
    ("seq", -1),
    ("seq", True),
    ("seq", False),
    ("seq", "3"),
    ("seq", None),
    ("seq", [3]),
    ("event", 1),
    ("event", None),
    ("event", ""),
    ("event", "Dispatch"),
    ("event", "dis patch"),
    ("event", "派单"),
    ("to", None),
    ("to", 1),
    ("to", ""),
    ("to", "Dispatched"),
    ("to", "x" * 41),
    ("actor", None),
    ("actor", "330100-12345/dispatcher"),
    ("actor", ["330100-12345", "dispatcher"]),
    ("actor.key", 7),
    ("actor.key", ""),
    ("actor.key", "key with spaces"),
    ("actor.key", None),
    ("at", None),
    ("at", 1772414100123),
    ("at", "2026-03-02T09:15:00.123"),
    ("at", "2026-03-02T09:15:00+08:00"),
    ("at", "2026-03-02T09:15:00.12+08:00"),
    ("at", "2026-03-02T09:15:00.1234+08:00"),
    ("at", "2026-03-02T09:15:00.123456+08:00"),
    ("at", "2026-02-30T09:15:00.123+08:00"),
    ("at", "2026-02-29T09:15:00.123+08:00"),
    ("at", "2026-13-02T09:15:00.123+08:00"),
    ("at", "2026-03-02T24:15:00.123+08:00"),
    ("at", "2026-03-02T09:15:60.123+08:00"),
    ("at", "2026-03-02T09:15:00.123+24:00"),
    ("at", "2026-03-02T09:15:00.123+08:60"),
    ("at", "2026-03-02T09:15:00.123+0800"),
    ("at", "2026-03-02 09:15:00.123+08:00"),
    ("at", "2026-03-02T09:15:00,123+08:00"),
    ("at", "2026-03-02"),
    ("at", "２０２６-03-02T09:15:00.123+08:00"),
    ("at", " 2026-03-02T09:15:00.123+08:00"),
    ("policy", None),
    ("policy", 1),
    ("policy", "cn-baseline"),
    ("policy", "cn-baseline@"),
    ("policy", "cn-baseline@0123456789a"),
    ("policy", "cn-baseline@0123456789abc"),
    ("policy", "cn-baseline@0123456789AB"),
    ("policy", "cn-baseline@0123456789ag"),
    ("policy", "CN-Baseline@0123456789ab"),
    ("policy", "@0123456789ab"),
    ("policy", "cn baseline@0123456789ab"),
    ("attrs", None),
    ("attrs", "category=complaint"),
    ("attrs", ["complaint"]),
    ("attrs", 1),
    ("payload", ""),
    ("payload", 1),
    ("payload", "ab" * 32),
    ("payload", "sha256:" + "ab" * 31),
    ("payload", "sha256:" + "ab" * 33),
    ("payload", "sha256:" + "AB" * 32),
    ("payload", "sha512:" + "ab" * 32),
    ("payload", "SHA256:" + "ab" * 32),
    ("payload", {"sha256": "ab" * 32}),
]


@pytest.mark.parametrize(("path", "value"), WRONG_VALUES, ids=lambda v: repr(v)[:40])
def test_transition_wrong_value(path: str, value: Any) -> None:
    assert_refused(with_field(dispatch(), path, value), path)


ACTOR_WRONG_VALUES: list[tuple[str, Any]] = [
    ("actor.org", 330100),
    ("actor.org", None),
    ("actor.org", ""),
    ("actor.org", "-330100"),
    ("actor.org", "330100 12345"),
    ("actor.org", "杭州市12345"),
    ("actor.role", None),
    ("actor.role", "Dispatcher"),
    ("actor.role", 1),
]


@pytest.mark.parametrize(("path", "value"), ACTOR_WRONG_VALUES, ids=lambda v: repr(v)[:40])
def test_actor_wrong_value(path: str, value: Any) -> None:
    error = refusal(with_field(dispatch(), path, value))
    assert path.removeprefix("actor.") in error.message


def test_actor_field_errors_name_the_full_path() -> None:
    """``actor.org``/``actor.role`` errors must say ``actor.org``/``actor.role``, as ``actor.key``,
    ``actor.<unknown>`` and missing actor fields do: a transition has no top-level ``org``."""
    for path, value in ACTOR_WRONG_VALUES:
        assert_refused(with_field(dispatch(), path, value), path)


@pytest.mark.parametrize("path", ["v", "log", "ticket", "seq", "prev", "event", "to", "actor", "attrs", "payload"])
def test_floats_are_refused_wherever_they_are(path: str) -> None:
    error = refusal(with_field(dispatch(), path, 1.0))
    assert path in error.message


def test_unknown_schema_version() -> None:
    for v in ("hotline.transition/v2", "hotline.transition", "HOTLINE.TRANSITION/V1", "", None, 1):
        error = assert_refused(with_field(dispatch(), "v", v), "v")
        assert "unknown entry schema" in error.message


# --- seq, prev and from depend on each other ------------------------------------------------


@pytest.mark.parametrize("prev", [PREV, "", "0" * 64])
def test_prev_must_be_null_when_seq_is_1(prev: str) -> None:
    error = assert_refused(with_field(opening(), "prev", prev), "prev")
    assert "null" in error.message


@pytest.mark.parametrize("prev", [None, "", PREV[:-1], PREV + "0", PREV.upper(), "g" * 64, "0x" + PREV[2:], 0])
def test_prev_must_be_a_leaf_hash_when_seq_is_above_1(prev: Any) -> None:
    assert_refused(with_field(dispatch(), "prev", prev), "prev")


def test_seq_2_needs_prev_and_from() -> None:
    record = with_field(opening(), "seq", 2)
    assert_refused(record, "prev")
    record["prev"] = PREV
    assert_refused(record, "from")
    record["from"] = "registered"
    assert isinstance(parse_entry(encode_entry(record)), Transition)


@pytest.mark.parametrize("from_state", ["registered", "", "x"])
def test_from_must_be_null_when_seq_is_1(from_state: str) -> None:
    error = assert_refused(with_field(opening(), "from", from_state), "from")
    assert "null" in error.message


@pytest.mark.parametrize("from_state", [None, "", 1, "Pending_Dispatch", "pending dispatch", "x" * 41])
def test_from_must_be_a_state_code_when_seq_is_above_1(from_state: Any) -> None:
    assert_refused(with_field(dispatch(), "from", from_state), "from")


def test_overlay_events_keep_the_state() -> None:
    record = with_field(with_field(dispatch(), "event", "urge"), "from", "dispatched")
    assert isinstance(parse_entry(encode_entry(record)), Transition)


# --- attrs limits ---------------------------------------------------------------------------


def test_attrs_larger_than_the_limit() -> None:
    attrs = {f"reason_{i:03d}": "r" * 100 for i in range(MAX_ATTRS_BYTES // 100)}
    assert MAX_ATTRS_BYTES < len(canonical_bytes(attrs)) < MAX_ENTRY_BYTES // 2
    error = assert_refused(with_field(dispatch(), "attrs", attrs), "attrs")
    assert "larger than" in error.message


def test_attrs_just_within_the_limit() -> None:
    # Strings are limited too (MAX_STRING_CHARS), so pad with several of them.
    attrs = {"pad1": "p" * MAX_STRING_CHARS, "pad2": ""}
    attrs["pad2"] = "p" * (MAX_ATTRS_BYTES - len(canonical_bytes(attrs)))
    assert len(canonical_bytes(attrs)) == MAX_ATTRS_BYTES
    assert max(map(len, attrs.values())) <= MAX_STRING_CHARS
    assert isinstance(parse_entry(encode_entry(with_field(dispatch(), "attrs", attrs))), Transition)


@pytest.mark.parametrize(
    ("attrs", "path"),
    [
        ({"note": "x" * (MAX_STRING_CHARS + 1)}, "attrs.note"),
        ({"reasons": ["ok", "y" * (MAX_STRING_CHARS + 1)]}, "attrs.reasons[1]"),
        ({"deep": {"deeper": "z" * (MAX_STRING_CHARS + 1)}}, "attrs.deep.deeper"),
        ({"k" * (MAX_STRING_CHARS + 1): 1}, "attrs key"),
    ],
    ids=["value", "in-array", "nested", "key"],
)
def test_attrs_string_too_long(attrs: dict[str, Any], path: str) -> None:
    assert_refused(with_field(dispatch(), "attrs", attrs), path)


@pytest.mark.parametrize("reasons", [("ok", "y" * (MAX_STRING_CHARS + 1)), ["ok", "y" * (MAX_STRING_CHARS + 1)]])
def test_encoder_refuses_long_strings_in_tuples_as_the_parser_does(reasons: Any) -> None:
    """The producer encodes Python values, where an array may be a tuple; the parser sees a list.
    Both must apply the same rules, or the producer could log an entry the verifier refuses."""
    assert_refused(with_field(dispatch(), "attrs", {"reasons": reasons}), "attrs.reasons[1]")


def test_tuples_encode_as_arrays() -> None:
    record = with_field(dispatch(), "attrs", {"reasons": ("r1", "r2")})
    data = encode_entry(record)
    assert b'"reasons":["r1","r2"]' in data
    assert isinstance(parse_entry(data), Transition)


def test_attrs_nesting_is_limited() -> None:
    attrs: Any = "leaf"
    for _ in range(8):
        attrs = {"n": attrs}
    with pytest.raises(FormatError, match="nested deeper"):
        encode_entry(with_field(dispatch(), "attrs", attrs))


# --- sig ------------------------------------------------------------------------------------


B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def unused_bits_variant(encoded: str) -> str:
    """A second spelling of the same bytes: set the lowest (unused) bit of the last data character.

    When the length is not a multiple of 3, the last character before the padding carries 2 or
    4 bits that no byte uses; lenient decoders ignore them.
    """
    data = encoded.rstrip("=")
    last = B64_ALPHABET[B64_ALPHABET.index(data[-1]) ^ 1]
    return data[:-1] + last + encoded[len(data) :]


def _sig_variants() -> list[tuple[str, Any]]:
    good = signed(dispatch())["sig"]
    raw = base64.b64decode(good)
    return [
        ("63 bytes", base64.b64encode(raw[:63]).decode()),
        ("65 bytes", base64.b64encode(raw + b"\x00").decode()),
        ("empty", ""),
        ("unused bits set", unused_bits_variant(good)),
        ("no padding", good[:86]),
        ("urlsafe", base64.urlsafe_b64encode(b"\xfb\xff" * 32).decode()),
        ("line break", good[:40] + "\n" + good[40:]),
        ("space", good[:40] + " " + good[40:]),
        ("hex", raw.hex()),
        ("number", 1),
        ("array", [good]),
        ("null", None),
    ]


@pytest.mark.parametrize(("what", "sig"), _sig_variants(), ids=[w for w, _ in _sig_variants()])
def test_sig_must_be_canonical_base64_of_64_bytes(what: str, sig: Any) -> None:
    assert_refused(with_field(signed(dispatch()), "sig", sig), "sig")


@pytest.mark.parametrize("encoded", [signed(dispatch())["sig"], PUBLIC_KEY], ids=["sig", "public_key"])
def test_unused_bits_variants_decode_to_the_same_bytes(encoded: str) -> None:
    """The "unused bits" variants used here are real second spellings, not just garbage."""
    variant = unused_bits_variant(encoded)
    assert variant != encoded and base64.b64decode(variant) == base64.b64decode(encoded)


# --- Byte-level rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        json.dumps(dispatch(), ensure_ascii=False).encode(),
        json.dumps(dispatch(), separators=(",", ":")).encode() + b"\n",
        json.dumps(dict(reversed(list(dispatch().items()))), separators=(",", ":")).encode(),
        canonical_bytes(dispatch()).replace(b'"ticket"', b'"\\u0074icket"'),
        b"\xef\xbb\xbf" + canonical_bytes(dispatch()),
        canonical_bytes(dispatch())[:-1] + b',"seq":3}',
    ],
    ids=["spaces", "trailing-newline", "key-order", "escaped-key", "bom", "duplicate-key"],
)
def test_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(FormatError):
        parse_entry(data)


@pytest.mark.parametrize("data", [b"[]", b"[1]", b'"entry"', b"3", b"null", b"true"])
def test_top_level_must_be_an_object(data: bytes) -> None:
    with pytest.raises(FormatError, match="must be a JSON object"):
        parse_entry(data)


@pytest.mark.parametrize("data", [canonical_bytes(dispatch()).decode(), bytearray(canonical_bytes(dispatch())), None])
def test_entry_must_be_bytes(data: Any) -> None:
    with pytest.raises(FormatError, match="must be bytes"):
        parse_entry(data)


def _policy_entry_of_size(size: int) -> bytes:
    """A valid ``hotline.policy/v1`` entry of exactly ``size`` canonical bytes (padded document)."""
    document: dict[str, Any] = {"name": "pad", "padding": ""}
    document["padding"] = "p" * (size - len(canonical_bytes(publish_policy(document))))
    data = canonical_bytes(publish_policy(document))
    assert len(data) == size
    return data


def test_entry_size_limit_is_exact() -> None:
    assert isinstance(parse_entry(_policy_entry_of_size(MAX_ENTRY_BYTES)), PolicyEntry)
    with pytest.raises(FormatError, match="more than") as caught:
        parse_entry(_policy_entry_of_size(MAX_ENTRY_BYTES + 1))
    assert caught.value.evidence["size"] == MAX_ENTRY_BYTES + 1


def test_oversize_entry_is_refused_before_parsing() -> None:
    data = b"[" * (MAX_ENTRY_BYTES + 1)
    with pytest.raises(FormatError, match="more than"):
        parse_entry(data)


def test_oversize_transition_is_refused_by_the_encoder() -> None:
    record = with_field(dispatch(), "attrs", {f"k{i}": "v" * 4000 for i in range(20)})
    with pytest.raises(FormatError, match="more than"):
        encode_entry(record)


# --- hotline.key/v1 -------------------------------------------------------------------------


@pytest.mark.parametrize("field", sorted(register_key()))
def test_key_register_missing_field(field: str) -> None:
    assert_refused(without_field(register_key(), field), field)


@pytest.mark.parametrize("field", sorted(revoke_key()))
def test_key_revoke_missing_field(field: str) -> None:
    assert_refused(without_field(revoke_key(), field), field)


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (with_field(register_key(), "comment", "x"), "comment"),
        (with_field(revoke_key(), "role", "dispatcher"), "role"),
        (with_field(revoke_key(), "public_key", PUBLIC_KEY), "public_key"),
    ],
    ids=["register-extra", "revoke-with-role", "revoke-with-public-key"],
)
def test_key_unknown_field(record: dict[str, Any], field: str) -> None:
    assert_refused(record, field)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("op", "rotate"),
        ("op", None),
        ("op", "Register"),
        ("log", "with space"),
        ("key", ""),
        ("key", "key id"),
        ("key", 7),
        ("org", ""),
        ("org", None),
        ("role", "Dispatcher"),
        ("alg", "rsa"),
        ("alg", "Ed25519"),
        ("alg", None),
        ("public_key", base64.b64encode(b"\x01" * 31).decode()),
        ("public_key", base64.b64encode(b"\x01" * 33).decode()),
        ("public_key", PUBLIC_KEY.rstrip("=")),
        ("public_key", unused_bits_variant(PUBLIC_KEY)),
        ("public_key", "01" * 32),
        ("public_key", None),
        ("at", "2026-03-01T08:00:00+08:00"),
        ("at", "2026-02-30T08:00:00.000+08:00"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_key_register_wrong_value(path: str, value: Any) -> None:
    assert_refused(with_field(register_key(), path, value), path)


# --- hotline.policy/v1 ----------------------------------------------------------------------


def test_policy_entry_round_trip() -> None:
    from verifier.policy import policy_id

    record = publish_policy()
    data = encode_entry(record)
    entry = parse_entry(data)
    assert isinstance(entry, PolicyEntry)
    assert entry.id == policy_id(BASELINE_POLICY) == record["id"]
    assert entry.id.startswith("cn-baseline@")
    assert dict(entry.document) == BASELINE_POLICY
    assert entry.leaf_hash == leaf_hash(data)


def test_policy_entry_id_must_match_its_document() -> None:
    actual = publish_policy()["id"]
    wrong = actual[:-1] + ("0" if actual[-1] != "0" else "1")
    error = assert_refused(publish_policy(policy_id=wrong), "id")
    assert error.evidence["expected"] == actual and error.evidence["value"] == wrong


def test_policy_entry_refuses_an_edited_document_under_the_old_id() -> None:
    old_id = publish_policy()["id"]
    edited = copy.deepcopy(BASELINE_POLICY)
    edited["version"] = f"{edited['version']}-edited"
    assert_refused(publish_policy(edited, policy_id=old_id), "id")


def test_policy_entry_refuses_another_name_with_the_same_hash() -> None:
    actual = publish_policy()["id"]
    assert_refused(publish_policy(policy_id="other" + actual[actual.index("@") :]), "id")


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (without_field(publish_policy(), "policy"), "policy"),
        (without_field(publish_policy(), "id"), "id"),
        (with_field(publish_policy(), "extra", 1), "extra"),
        (with_field(publish_policy(), "id", "cn-baseline"), "id"),
        (with_field(publish_policy(), "policy", "cn-baseline"), "policy"),
        (with_field(publish_policy(), "policy", [BASELINE_POLICY]), "policy"),
        (with_field(publish_policy(), "at", "2026-01-01"), "at"),
    ],
    ids=["missing-policy", "missing-id", "extra", "bad-id", "policy-string", "policy-array", "bad-at"],
)
def test_policy_entry_schema(record: dict[str, Any], field: str) -> None:
    assert_refused(record, field)


def test_policy_entry_document_without_a_name() -> None:
    document = {k: v for k, v in BASELINE_POLICY.items() if k != "name"}
    error = refusal(publish_policy(document, policy_id="cn-baseline@0123456789ab"))
    assert "name" in error.message
