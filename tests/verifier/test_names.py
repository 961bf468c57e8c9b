"""A policy may only declare names that entries can carry (verifier.names is shared by both)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ledger.policies import load_policy
from verifier.errors import FormatError
from verifier.names import CODE_RE, POLICY_ID_RE
from verifier.policy import parse_policy


def baseline() -> dict[str, Any]:
    return copy.deepcopy(dict(load_policy("cn-baseline").document))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["events"][0]["roles"].append("Agent"), "events[0].roles[2]"),
        (lambda d: d["events"][0]["roles"].append("a" * 41), "events[0].roles[2]"),
        (lambda d: d["overlays"][0]["roles"].append("call-back"), "overlays[0].roles"),
        (lambda d: d["events"][1].update(name="e" * 41), "events[1].name"),
    ],
)
def test_names_entries_could_not_carry_are_refused(change: Any, path: str) -> None:
    document = baseline()
    change(document)
    with pytest.raises(FormatError) as caught:
        parse_policy(document)
    assert caught.value.evidence["path"].startswith(path)


def test_every_name_in_the_baseline_fits_an_entry() -> None:
    policy = load_policy("cn-baseline")
    names = set(policy.states) | set(policy.events) | set(policy.overlays)
    names |= {role for event in policy.events.values() for role in event.roles}
    names |= {role for overlay in policy.overlays.values() for role in overlay.roles}
    assert all(CODE_RE.fullmatch(name) for name in names)
    assert POLICY_ID_RE.fullmatch(policy.id)
