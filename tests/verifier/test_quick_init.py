"""``quick_init`` builds the instance the dataclass's own ``__init__`` builds, and refuses what it cannot."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest

from ledger.records import SealedPayload, StoredEntry, TicketState
from ledger.sequencer import Guess, PreparedRequest, Receipt, TransitionRequest
from verifier.entry_model import Actor, Transition
from verifier.quick_init import quick_init

QUICK = [TicketState, StoredEntry, SealedPayload, TransitionRequest, Receipt, Guess, PreparedRequest, Actor, Transition]


@quick_init
@dataclass(frozen=True)
class Sample:
    a: int
    b: str = "b"
    c: list[int] = field(default_factory=list)
    d: int = field(default=4, kw_only=True)
    e: Any = field(default=None, kw_only=True)


def _original(cls: type, *args: Any, **kwargs: Any) -> Any:
    made = object.__new__(cls)
    cls.__init__.__wrapped__(made, *args, **kwargs)  # type: ignore[misc]
    return made


def _same(one: Any, other: Any) -> None:
    assert type(one) is type(other)
    assert vars(one) == vars(other) and list(vars(one)) == list(vars(other))
    assert one == other and repr(one) == repr(other)
    if not any(isinstance(value, list | dict) for value in vars(one).values()):
        assert hash(one) == hash(other)


def _parameters(function: Any) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(function, follow_wrapped=False)
    return [(p.name, p.kind, repr(p.default)) for p in signature.parameters.values()]


@pytest.mark.parametrize("cls", QUICK, ids=lambda c: c.__name__)
def test_the_records_on_the_write_path_are_built_as_their_dataclass_builds_them(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = {f.name: f"value of {f.name}" for f in fields}
    _same(cls(**values), _original(cls, **values))
    positional = [values[f.name] for f in fields if not f.kw_only]
    _same(cls(*positional), _original(cls, *positional))
    required = {f.name: values[f.name] for f in fields if f.default is dataclasses.MISSING is f.default_factory}
    _same(cls(**required), _original(cls, **required))
    assert _parameters(cls.__init__) == _parameters(cls.__init__.__wrapped__)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(cls(**values), fields[0].name, "changed")


def test_defaults_factories_and_keyword_only_fields() -> None:
    _same(Sample(1), _original(Sample, 1))
    assert _parameters(Sample.__init__) == _parameters(Sample.__init__.__wrapped__)  # type: ignore[misc]
    _same(Sample(1, "x", [2], d=5, e="e"), _original(Sample, 1, "x", [2], d=5, e="e"))
    assert Sample(1).c == [] and Sample(1).c is not Sample(1).c
    assert dataclasses.replace(Sample(1), b="y") == Sample(1, "y")
    with pytest.raises(TypeError):
        Sample(1, "x", [], 5)  # type: ignore[misc]  # d is keyword-only
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample(1, f=2)  # type: ignore[call-arg]


def test_what_it_does_not_handle_is_refused_when_the_class_is_defined() -> None:
    with pytest.raises(TypeError, match="not a frozen dataclass"):

        @quick_init
        @dataclass
        class Mutable:
            a: int

    with pytest.raises(TypeError, match="__post_init__"):

        @quick_init
        @dataclass(frozen=True)
        class Checked:
            a: int

            def __post_init__(self) -> None:
                pass

    with pytest.raises(TypeError, match="__slots__"):

        @quick_init
        @dataclass(frozen=True, slots=True)
        class Slotted:
            a: int

    with pytest.raises(TypeError, match="InitVar"):

        @quick_init
        @dataclass(frozen=True)
        class WithInitVar:
            a: int
            b: InitVar[int] = 0

    with pytest.raises(TypeError, match="outside __init__"):

        @quick_init
        @dataclass(frozen=True)
        class Hidden:
            a: int
            b: int = field(default=0, init=False)
