"""Frozen dataclasses that are cheap to build: ``quick_init`` fills an instance's ``__dict__`` in one step.

The ``__init__`` that ``@dataclass(frozen=True)`` writes sets each field through ``object.__setattr__`` (the
class's own ``__setattr__`` refuses): ~1.9 µs for seven fields on CPython 3.11, against ~0.6 µs for giving the
instance its whole ``__dict__`` at once. A transition passes through about ten such records on its way into
the log (request, prepared request, ticket states, sealed payload, stored entry, receipt…), so on the batch
path that difference was about a tenth of the server's CPU (BENCHMARKS.md, "HTTP ingest").

``quick_init`` takes the plain case only: every field in ``__init__``, no ``__post_init__``, no ``InitVar``,
no ``__slots__``; anything else is refused when the class is defined. The ``__init__`` it writes has the
dataclass's own signature (same names, order, defaults, default factories and keyword-only fields), and the
instance it builds is the same (the same ``vars()``, so the same equality, hash and repr), and as frozen.
The dataclass's own ``__init__`` stays reachable as ``__init__.__wrapped__`` (tests compare the two).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

_Class = TypeVar("_Class", bound=type)


class _NoValue:
    """Marks a parameter whose default comes from a ``default_factory`` (shown as the dataclass shows it)."""

    def __repr__(self) -> str:
        return "<factory>"


_NO_VALUE = _NoValue()


def quick_init(cls: _Class) -> _Class:
    """Give a frozen dataclass an ``__init__`` that sets its ``__dict__`` at once (see the module).

    Raises:
        TypeError: ``cls`` is not a frozen dataclass of the plain case.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__:
        raise TypeError(f"{cls.__name__} has __post_init__ or __slots__, which quick_init does not handle")
    declared = cls.__dict__["__dataclass_fields__"].values()
    fields = dataclasses.fields(cls)
    if len(fields) != len(declared) or not all(f.init for f in fields):
        raise TypeError(f"{cls.__name__} has an InitVar or a field outside __init__, which quick_init does not handle")
    namespace: dict[str, Any] = {"_set": object.__setattr__, "_NO_VALUE": _NO_VALUE}
    positional: list[str] = []
    keyword: list[str] = []
    factories: list[str] = []
    for field in fields:
        name = field.name
        if field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            parameter = f"{name}=_default_{name}"
        elif field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{name}"] = field.default_factory
            parameter = f"{name}=_NO_VALUE"
            factories.append(f"    if {name} is _NO_VALUE:\n        {name} = _factory_{name}()\n")
        else:
            parameter = name
        (keyword if field.kw_only else positional).append(parameter)
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    members = ", ".join(f"{f.name!r}: {f.name}" for f in fields)
    source = f"def __init__({signature}):\n{''.join(factories)}    _set(self, '__dict__', {{{members}}})\n"
    exec(source, namespace)
    init = namespace["__init__"]
    original = cls.__init__  # type: ignore[misc]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = original.__doc__
    init.__wrapped__ = original
    cls.__init__ = init  # type: ignore[misc]
    return cls
