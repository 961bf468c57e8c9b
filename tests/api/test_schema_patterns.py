"""The API's field patterns accept exactly what the verifier's do: pydantic-core reads ``\\d`` as any Unicode digit,
the verifier's ``re.ASCII`` patterns as 0-9, so a pattern taken from the verifier must not depend on the engine."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from api.schemas import TransitionIn, _pattern
from verifier.entry import AT_RE, parse_at

VALID: dict[str, Any] = {
    "transition_id": "ccms-1",
    "ticket": "250912101108115409",
    "event": "register",
    "to": "registered",
    "actor": {"org": "hotline-center", "role": "operator"},
    "at": "2026-03-02T09:15:00.123+08:00",
    "attrs": {},
    "payload": {},
}

#: Times that differ from a valid one only by digits from other scripts.
UNICODE_DIGITS = [
    "٢٠٢٦-03-02T09:15:00.123+08:00",  # Arabic-Indic
    "2026-03-02T09:15:00.１２３+08:00",  # fullwidth
    "2026-03-02T09:15:00.123+0٨:00",
    "2026-03-02T09:15:00.123+08:0߀",  # NKo
]


def test_a_valid_time_passes() -> None:
    assert TransitionIn.model_validate(VALID).at == VALID["at"]


@pytest.mark.parametrize("at", UNICODE_DIGITS)
def test_digits_of_other_scripts_are_refused_as_the_verifier_refuses_them(at: str) -> None:
    assert AT_RE.fullmatch(at) is None
    with pytest.raises(ValidationError, match="at"):
        TransitionIn.model_validate(VALID | {"at": at})


@pytest.mark.parametrize("pattern", [r"\d{4}", r"[a-z]\w", r"a\sb", r"\bx", r"x\\\d"])
def test_a_pattern_that_depends_on_the_engine_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="reads as Unicode"):
        _pattern(re.compile(pattern, re.ASCII))


@pytest.mark.parametrize("pattern", [r"[0-9]{4}", r"a\\d", r"\.[0-9]", r"[\x21-\x7e]"])
def test_spelled_out_patterns_are_taken(pattern: str) -> None:
    assert _pattern(re.compile(pattern)) == f"^(?:{pattern})$"


def test_the_time_pattern_still_reads_every_valid_time() -> None:
    for at in ["2026-03-02T09:15:00.123Z", "1999-12-31T23:59:59.999-23:59", VALID["at"]]:
        assert AT_RE.fullmatch(at) is not None and parse_at(at, "at") is not None
