"""The usual transition entry, recognised in one pass of a regular expression.

Nearly every entry of a log is an unsigned ``hotline.transition/v1`` whose names are plain ASCII: its
canonical bytes have one layout (RFC 8785 key order, no white space) in which each field's text is its
value. ``parse_usual_transition`` matches that layout with each field's own pattern from the schema, so
one match does what decoding, re-encoding and the field-by-field checks of ``parse_entry`` do; only
``attrs`` (free-form) is decoded and held to its canonical text.

It is a fast path, never a second opinion: it returns the very ``Transition`` the strict parser would,
or ``None`` — for anything unusual (a signature, an escape, an origin with a quote, an entry longer
than ``FAST_MAX_BYTES``, any error at all) — and ``parse_entry`` then decides, with its error message.
The differential tests in tests/verifier/test_transition_fast.py hold the two to the same answers.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from verifier.canonical import plainly_canonical_object
from verifier.entry_model import AT_RE, KEY_ID_RE, ORG_RE, TICKET_RE, TRANSITION_V1, Actor, Transition
from verifier.limits import MAX_ATTRS_BYTES, MAX_SAFE_INTEGER, MAX_STRING_CHARS
from verifier.names import CODE_RE, POLICY_ID_RE

#: Longest entry the fast path takes: below both bounds that the strict parser checks by walking ``attrs``
#: (so neither can be exceeded here), and short enough that the one lazy group cannot backtrack far.
FAST_MAX_BYTES = min(MAX_ATTRS_BYTES, MAX_STRING_CHARS)


def _group(pattern: re.Pattern[str]) -> str:
    """A field's pattern as a capturing group with no groups of its own inside."""
    return "(" + pattern.pattern.replace("(", "(?:").replace("(?:?:", "(?:") + ")"


_CODE = _group(CODE_RE)
#: The canonical layout of an unsigned transition. An origin may hold any printable ASCII, but one with
#: a quote or a backslash is escaped in JSON, so only origins without them are taken here.
_LAYOUT = re.compile(
    r'\{"actor":\{(?:"key":"' + _group(KEY_ID_RE) + '",)?"org":"' + _group(ORG_RE) + '","role":"' + _CODE + r'"\},'
    r'"at":"' + _group(AT_RE) + '",'
    r'"attrs":(\{.*?\}),'
    r'"event":"' + _CODE + '",'
    r'"from":(?:null|"' + _CODE + '"),'
    r'"log":"([\x21\x23-\x5b\x5d-\x7e]{1,255})",'
    r'"payload":(?:null|"(sha256:[0-9a-f]{64})"),'
    r'"policy":"' + _group(POLICY_ID_RE) + '",'
    r'"prev":(?:null|"([0-9a-f]{64})"),'
    r'"seq":([1-9][0-9]{0,15}),'
    r'"ticket":"' + _group(TICKET_RE) + '",'
    r'"to":"' + _CODE + '",'
    r'"v":"' + re.escape(TRANSITION_V1) + r'"\}',
    re.ASCII | re.DOTALL,
)
#: The objects of the layout besides ``attrs``: the entry and its actor.
_OUTER_CONTAINERS = 2

#: Most actors remembered (then the memory starts over): a log has few distinct (org, role, key).
MAX_REMEMBERED_ACTORS = 4096
_ACTORS: dict[tuple[str, str, str | None], Actor] = {}
_new = object.__new__
_fromisoformat = datetime.fromisoformat


#: Most ``attrs`` texts remembered with their value (then the memory starts over): a log repeats few.
MAX_REMEMBERED_ATTRS = 4096
_ATTRS: dict[str, dict[str, Any]] = {}


def _attrs(text: str) -> dict[str, Any] | None:
    """``attrs``' value if its text is plainly canonical, else ``None``; a remembered value is shared (copy it
    before handing it out)."""
    known = _ATTRS.get(text)
    if known is not None:
        return known
    value = plainly_canonical_object(text, _OUTER_CONTAINERS)
    # Remembered only when flat (one object, so a copy of it shares nothing with another entry's attrs).
    if value is not None and text.count("{") == 1 and "[" not in text:
        if len(_ATTRS) >= MAX_REMEMBERED_ATTRS:
            _ATTRS.clear()
        _ATTRS[text] = value
    return value


#: The fields of a usual transition, as ``usual_fields`` finds them: the layout's groups (``key``, ``org``,
#: ``role``, ``at``, ``attrs`` text, ``event``, ``from``, ``log``, ``payload``, ``policy``, ``prev``, ``seq``
#: text, ``ticket``, ``to``), then ``seq``, ``attrs`` (possibly shared: copy it before handing it out) and ``at``
#: parsed.
UsualFields = tuple[tuple[Any, ...], int, dict[str, Any], datetime]


def usual_fields(data: bytes) -> UsualFields | None:
    """The fields of the transition ``data`` holds if it has the usual layout, every one checked as the strict
    parser checks it; ``None``: let ``parse_entry`` decide."""
    if len(data) > FAST_MAX_BYTES:
        return None
    try:
        found = _LAYOUT.fullmatch(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if found is None:
        return None
    groups = found.groups()
    seq = int(groups[11])
    # prev and from are null exactly for seq 1.
    if seq > MAX_SAFE_INTEGER or (seq == 1) != (groups[10] is None) or (seq == 1) != (groups[6] is None):
        return None
    attrs = _attrs(groups[4])
    if attrs is None:
        return None
    try:
        moment = _fromisoformat(groups[3])
    except ValueError:
        return None
    return groups, seq, attrs, moment


def parse_usual_transition(data: bytes) -> Transition | None:
    """The transition ``data`` holds if it has the usual layout; ``None``: let ``parse_entry`` decide."""
    fields = usual_fields(data)
    if fields is None:
        return None
    groups, seq, attrs, moment = fields
    key, org, role, at, _, event, moved_from, log, payload, policy, prev, _, ticket, to = groups
    actor = _ACTORS.get((org, role, key))
    if actor is None:
        if len(_ACTORS) >= MAX_REMEMBERED_ACTORS:
            _ACTORS.clear()
        actor = _ACTORS[org, role, key] = Actor(org, role, key)
    # The frozen dataclass's own __init__ sets each field through object.__setattr__, which is most of the
    # cost of building one; setting its __dict__ at once builds the same object (the tests compare vars()).
    entry: Transition = _new(Transition)
    entry.__dict__.update(
        data=data,
        log=log,
        ticket=ticket,
        seq=seq,
        prev=prev,
        event=event,
        from_state=moved_from,
        to_state=to,
        actor=actor,
        at=at,
        policy=policy,
        attrs=dict(attrs),
        payload=payload,
        sig=None,
        moment=moment,
    )
    return entry
