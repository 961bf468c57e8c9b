"""The log's entry formats (DESIGN §3): ``hotline.transition/v1``, ``hotline.key/v1``, ``hotline.policy/v1``.

An entry is the RFC 8785 canonical JSON of one record. ``parse_entry`` is strict: the bytes must
be canonical, within the size limits, of a known schema, with no unknown or missing fields.
``encode_entry`` validates a record against the same rules and returns its canonical bytes, so
the producer can never write what the verifier would refuse.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from verifier.canonical import canonical_bytes, json_string, parse_canonical
from verifier.entry_model import (
    AT_RE,
    COMMITMENT_RE,
    EXPORT_V1,
    HASH_HEX_RE,
    KEY_ID_RE,
    KEY_V1,
    ORG_RE,
    ORIGIN_RE,
    POLICY_V1,
    TICKET_RE,
    TRANSITION_V1,
    Actor,
    Entry,
    ExportEntry,
    KeyEntry,
    PolicyEntry,
    Transition,
)
from verifier.errors import FormatError, PolicyHashMismatch
from verifier.limits import MAX_ATTRS_BYTES, MAX_ENTRY_BYTES, MAX_SAFE_INTEGER, MAX_STRING_CHARS
from verifier.names import CODE_RE, POLICY_ID_RE
from verifier.transition_fast import parse_usual_transition

__all__ = [
    "AT_RE",
    "COMMITMENT_RE",
    "EXPORT_V1",
    "HASH_HEX_RE",
    "KEY_ID_RE",
    "KEY_V1",
    "ORG_RE",
    "ORIGIN_RE",
    "POLICY_V1",
    "TICKET_RE",
    "TRANSITION_V1",
    "Actor",
    "Entry",
    "ExportEntry",
    "KeyEntry",
    "PolicyEntry",
    "Transition",
    "build_entry",
    "build_transition",
    "encode_entry",
    "format_at",
    "parse_at",
    "parse_entry",
]


def _fail(path: str, message: str, value: Any = None) -> FormatError:
    return FormatError(f"{path}: {message}", path=path, value=value)


def _string(record: Mapping[str, Any], field: str, pattern: re.Pattern[str], what: str, *, within: str = "") -> str:
    value = record.get(field)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _fail(within + field, f"must be {what}", value)
    return value


#: Most values remembered per pattern by ``_name`` (then it starts over): bounded memory on any log.
MAX_REMEMBERED_NAMES = 4096
_MATCHED: dict[re.Pattern[str], set[str]] = {}


def _name(record: Mapping[str, Any], field: str, pattern: re.Pattern[str], what: str, *, within: str = "") -> str:
    """``_string`` for fields whose values repeat across entries (origins, codes, orgs, policy ids).

    A value that matched ``pattern`` once is remembered, so the next entry skips the match; the
    verdict is the same, only cheaper.
    """
    value = record.get(field)
    matched = _MATCHED.get(pattern)
    if matched is None:
        matched = _MATCHED.setdefault(pattern, set())
    if type(value) is str and value in matched:
        return value
    checked = _string(record, field, pattern, what, within=within)
    if len(matched) >= MAX_REMEMBERED_NAMES:
        matched.clear()
    matched.add(checked)
    return checked


def parse_at(value: Any, path: str = "at") -> datetime:
    """Parse an entry's RFC 3339 time (offset required, millisecond precision).

    Raises:
        FormatError: not that form, or not a real date and time.
    """
    if not isinstance(value, str) or not AT_RE.fullmatch(value):
        raise _fail(path, "must be RFC 3339 with milliseconds and an offset, e.g. 2026-03-02T09:15:00.123+08:00", value)
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise _fail(path, f"is not a valid date and time ({exc})", value) from exc


def _check_fields(record: Mapping[str, Any], required: frozenset[str], optional: frozenset[str]) -> None:
    if record.keys() == required:
        return
    missing = sorted(required - record.keys())
    if missing:
        raise _fail(missing[0], "is required")
    unknown = sorted(record.keys() - required - optional)
    if unknown:
        raise _fail(unknown[0], "is not a field of this schema")


def _check_strings(value: Any, path: str) -> None:
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise _fail(path, f"string longer than {MAX_STRING_CHARS} characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, f"{path} key")
            _check_strings(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_strings(item, f"{path}[{i}]")


_TRANSITION_REQUIRED = frozenset(
    {"v", "log", "ticket", "seq", "prev", "event", "from", "to", "actor", "at", "policy", "attrs", "payload"}
)


def _transition(record: Mapping[str, Any], data: bytes) -> Transition:
    _check_fields(record, _TRANSITION_REQUIRED, frozenset({"sig"}))
    log = _name(record, "log", ORIGIN_RE, "a log origin (printable ASCII, no spaces)")
    ticket = _string(record, "ticket", TICKET_RE, "4–40 characters of A–Z, a–z, 0–9 and '-'")
    seq = record["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise _fail("seq", "must be an integer ≥ 1", seq)
    prev = record["prev"]
    if seq == 1:
        if prev is not None:
            raise _fail("prev", "must be null when seq is 1", prev)
    elif not isinstance(prev, str) or not HASH_HEX_RE.fullmatch(prev):
        raise _fail("prev", "must be the previous entry's leaf hash in lowercase hex", prev)
    event = _name(record, "event", CODE_RE, "an event name from the policy")
    from_state = record["from"]
    if seq == 1:
        if from_state is not None:
            raise _fail("from", "must be null when seq is 1", from_state)
    else:
        from_state = _name(record, "from", CODE_RE, "a state code")
    to_state = _name(record, "to", CODE_RE, "a state code")
    actor_record = record["actor"]
    if not isinstance(actor_record, dict):
        raise _fail("actor", "must be an object {org, role, key?}", actor_record)
    try:
        _check_fields(actor_record, frozenset({"org", "role"}), frozenset({"key"}))
    except FormatError as exc:
        raise _fail(f"actor.{exc.evidence['path']}", exc.message.split(": ", 1)[1]) from exc
    org = _name(actor_record, "org", ORG_RE, "an organisation code", within="actor.")
    role = _name(actor_record, "role", CODE_RE, "a role name", within="actor.")
    key = actor_record.get("key")
    if "key" in actor_record and (not isinstance(key, str) or not KEY_ID_RE.fullmatch(key)):
        raise _fail("actor.key", "must be a registered key id", key)
    at = record["at"]
    moment = parse_at(at)
    policy = _name(record, "policy", POLICY_ID_RE, "a policy id name@<12 hex>")
    attrs = record["attrs"]
    if not isinstance(attrs, dict):
        raise _fail("attrs", "must be an object", attrs)
    # Both bounds can only be exceeded by an entry larger than them; skip the walk otherwise.
    if len(data) > MAX_ATTRS_BYTES and len(canonical_bytes(attrs)) > MAX_ATTRS_BYTES:
        raise _fail("attrs", f"larger than {MAX_ATTRS_BYTES} bytes")
    if len(data) > MAX_STRING_CHARS:
        _check_strings(attrs, "attrs")
    payload = record["payload"]
    if payload is not None and (not isinstance(payload, str) or not COMMITMENT_RE.fullmatch(payload)):
        raise _fail("payload", "must be null or sha256:<64 lowercase hex>", payload)
    sig = record.get("sig")
    if "sig" in record:
        _signature_bytes(sig)
    return Transition(
        data,
        log,
        ticket,
        seq,
        prev,
        event,
        from_state,
        to_state,
        Actor(org, role, key),
        at,
        policy,
        attrs,
        payload,
        sig,
        moment,
    )


def _signature_bytes(sig: Any) -> bytes:
    try:
        raw = base64.b64decode(sig, validate=True) if isinstance(sig, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 64 or base64.b64encode(raw).decode() != sig:
        raise _fail("sig", "must be the standard base64 of a 64-byte Ed25519 signature", sig)
    return raw


def _key(record: Mapping[str, Any], data: bytes) -> KeyEntry:
    op = record.get("op")
    if op == "register":
        _check_fields(
            record, frozenset({"v", "log", "op", "key", "org", "role", "alg", "public_key", "at"}), frozenset()
        )
    elif op == "revoke":
        _check_fields(record, frozenset({"v", "log", "op", "key", "org", "at"}), frozenset())
    else:
        raise _fail("op", "must be 'register' or 'revoke'", op)
    log = _string(record, "log", ORIGIN_RE, "a log origin (printable ASCII, no spaces)")
    key = _string(record, "key", KEY_ID_RE, "a key id")
    org = _string(record, "org", ORG_RE, "an organisation code")
    parse_at(record["at"])
    role = public_key = None
    if op == "register":
        role = _string(record, "role", CODE_RE, "a role name")
        if record["alg"] != "ed25519":
            raise _fail("alg", "must be 'ed25519'", record["alg"])
        encoded = record["public_key"]
        try:
            public_key = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
        except (binascii.Error, ValueError):
            public_key = b""
        if len(public_key) != 32 or base64.b64encode(public_key).decode() != encoded:
            raise _fail("public_key", "must be the standard base64 of a 32-byte Ed25519 public key", encoded)
    return KeyEntry(data, log, op, key, org, role, public_key, record["at"])


def _policy(record: Mapping[str, Any], data: bytes) -> PolicyEntry:
    # Imported here: the policy module is the larger one and only this schema needs it.
    from verifier.policy import policy_id

    _check_fields(record, frozenset({"v", "log", "id", "at", "policy"}), frozenset())
    log = _string(record, "log", ORIGIN_RE, "a log origin (printable ASCII, no spaces)")
    claimed = _string(record, "id", POLICY_ID_RE, "a policy id name@<12 hex>")
    parse_at(record["at"])
    document = record["policy"]
    if not isinstance(document, dict):
        raise _fail("policy", "must be the policy document (an object)")
    actual = policy_id(document)
    if actual != claimed:
        raise PolicyHashMismatch(
            f"id: {claimed} does not match the policy document, whose id is {actual}",
            path="id",
            expected=actual,
            value=claimed,
        )
    return PolicyEntry(data, log, claimed, record["at"], document)


EXPORT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{7,63}")
EXPORTER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}")


def _export(record: Mapping[str, Any], data: bytes) -> ExportEntry:
    _check_fields(
        record, frozenset({"v", "log", "id", "by", "filter", "bundle", "tickets", "entries", "at"}), frozenset()
    )
    log = _string(record, "log", ORIGIN_RE, "a log origin (printable ASCII, no spaces)")
    export_id = _string(record, "id", EXPORT_ID_RE, "an export id")
    by = _string(record, "by", EXPORTER_RE, "who exported (an API key id or an operator name)")
    bundle = _string(record, "bundle", COMMITMENT_RE, "sha256:<hex> of the bundle")
    parse_at(record["at"])
    if not isinstance(record["filter"], dict):
        raise _fail("filter", "must be an object")
    counts = []
    for name in ("tickets", "entries"):
        value = record[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _fail(name, "must be a non-negative integer", value)
        counts.append(value)
    return ExportEntry(data, log, export_id, by, record["filter"], bundle, counts[0], counts[1], record["at"])


_SCHEMAS: dict[str, Callable[[Mapping[str, Any], bytes], Entry]] = {
    TRANSITION_V1: _transition,
    KEY_V1: _key,
    POLICY_V1: _policy,
    EXPORT_V1: _export,
}


def _validate(record: Any, data: bytes) -> Entry:
    if len(data) > MAX_ENTRY_BYTES:
        raise FormatError(f"entry is {len(data)} bytes, more than {MAX_ENTRY_BYTES}", size=len(data))
    if not isinstance(record, dict):
        raise FormatError("entry must be a JSON object")
    version = record.get("v")
    schema = _SCHEMAS.get(version) if isinstance(version, str) else None
    if schema is None:
        raise _fail("v", f"unknown entry schema; expected one of {', '.join(_SCHEMAS)}", record.get("v"))
    return schema(record, data)


def parse_entry(data: bytes) -> Entry:
    """Parse and validate an entry's bytes (step V1).

    Raises:
        FormatError: too large, not canonical JSON, an unknown schema, or a field that breaks
            its schema (the message names the field).
    """
    if not isinstance(data, bytes):
        raise FormatError("entry must be bytes")
    usual = parse_usual_transition(data)
    if usual is not None:
        return usual
    if len(data) > MAX_ENTRY_BYTES:
        raise FormatError(f"entry is {len(data)} bytes, more than {MAX_ENTRY_BYTES}", size=len(data))
    return _validate(parse_canonical(data), data)


def build_entry(record: Mapping[str, Any], *, checked: bool = False) -> Entry:
    """Validate ``record`` as an entry and return it parsed, with its canonical bytes in ``data``.

    ``checked``: see ``canonical_bytes``.

    Raises:
        FormatError: as ``parse_entry`` would for these bytes.
    """
    return _validate(record, canonical_bytes(record, checked=checked))


_TRANSITION_SIGNED = _TRANSITION_REQUIRED | {"sig"}


def build_transition(record: Mapping[str, Any], attrs_text: str) -> Entry:
    """``build_entry(record, checked=True)`` for a transition whose ``attrs`` are already canonical text.

    The producer canonicalises a request's ``attrs`` once (``canonical_text_within(attrs, 1, "$.attrs")``,
    which is where ``canonical_bytes`` meets them in the entry) and passes that text here, so the entry's
    bytes are put together around it instead of encoding the whole record again. The validation is
    ``build_entry``'s, on the same record. A record of any other shape (other fields, a value that is not a
    string where one is expected, a string that is not valid Unicode) goes through ``build_entry`` itself,
    so the result, or the error, is always the one ``build_entry`` gives. The bytes are checked as
    ``parse_entry`` checks them (the usual transition's one match, else the record's field checks).

    Raises:
        FormatError: as ``build_entry`` would for ``record``.
    """
    keys = record.keys()
    if type(record) is not dict or not (
        keys == _TRANSITION_REQUIRED or (type(record.get("sig")) is str and keys == _TRANSITION_SIGNED)
    ):
        return build_entry(record, checked=True)
    actor, seq, sig = record["actor"], record["seq"], record.get("sig")
    moved_from, payload, prev = record["from"], record["payload"], record["prev"]
    if not (
        type(seq) is int
        and -MAX_SAFE_INTEGER <= seq <= MAX_SAFE_INTEGER
        and type(actor) is dict
        and type(actor.get("org")) is str
        and type(actor.get("role")) is str
        and (len(actor) == 2 or (len(actor) == 3 and type(actor.get("key")) is str))
        and type(record["at"]) is str
        and type(record["event"]) is str
        and type(record["log"]) is str
        and type(record["policy"]) is str
        and type(record["ticket"]) is str
        and type(record["to"]) is str
        and type(record["v"]) is str
        and (moved_from is None or type(moved_from) is str)
        and (payload is None or type(payload) is str)
        and (prev is None or type(prev) is str)
    ):
        return build_entry(record, checked=True)
    key = actor.get("key")
    # RFC 8785 §3.2.3: the keys in code-unit order (all ASCII here; attrs_text is already in order).
    text = "".join(
        (
            '{"actor":{',
            "" if key is None else '"key":' + json_string(key) + ",",
            '"org":',
            json_string(actor["org"]),
            ',"role":',
            json_string(actor["role"]),
            '},"at":',
            json_string(record["at"]),
            ',"attrs":',
            attrs_text,
            ',"event":',
            json_string(record["event"]),
            ',"from":',
            "null" if moved_from is None else json_string(moved_from),
            ',"log":',
            json_string(record["log"]),
            ',"payload":',
            "null" if payload is None else json_string(payload),
            ',"policy":',
            json_string(record["policy"]),
            ',"prev":',
            "null" if prev is None else json_string(prev),
            ',"seq":',
            str(seq),
            "" if sig is None else ',"sig":' + json_string(sig),
            ',"ticket":',
            json_string(record["ticket"]),
            ',"to":',
            json_string(record["to"]),
            ',"v":',
            json_string(record["v"]),
            "}",
        )
    )
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return build_entry(record, checked=True)
    # These are canonical bytes, so parsing them gives parse_entry's verdict on them, which is build_entry's on
    # the record: by the usual layout's one match when it applies (a third less CPU than the record's checks).
    usual = parse_usual_transition(data)
    return usual if usual is not None else _validate(record, data)


def encode_entry(record: Mapping[str, Any]) -> bytes:
    """Validate ``record`` as an entry and return its canonical bytes.

    Raises:
        FormatError: as ``parse_entry`` would for these bytes.
    """
    return build_entry(record).data


def format_at(moment: datetime) -> str:
    """Format an aware datetime as an entry's ``at``: RFC 3339, milliseconds, explicit offset.

    Raises:
        ValueError: ``moment`` has no time zone.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an entry's time needs a time zone")
    text = moment.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text
