"""``@record``: a frozen dataclass whose methods are shared functions, not code compiled per class.

Why: up to Python 3.12, ``@dataclass(frozen=True)`` writes the source of six methods (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) and compiles each with ``exec``, which is ~0.5 ms per
class; ``lmi validate`` defines about thirty value types before it prints, so that was ~15 ms of every run.
``record`` asks ``dataclasses`` for the fields only (``init``, ``repr``, ``eq`` off: nothing is compiled), then
installs methods that read the field table, so a record is still a dataclass: ``dataclasses.fields``,
``replace``, ``asdict`` and ``is_dataclass`` work on it, mypy checks it as a frozen dataclass, and it behaves as one
(positional or keyword arguments, defaults and ``field(default_factory=...)``, ``__post_init__``, equality
between instances of the same class, hashing, immutability, the same ``repr``). Instances cost a little more to
build than a dataclass's (a loop instead of straight-line code): records are value types made a few times per
command, not per token.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_kwargs: Any) -> Callable[[Any], Any]:
        return lambda decorated: decorated


T = TypeVar("T", bound=type)
_MISSING = dataclasses.MISSING


def _is_init_var(f: dataclasses.Field[Any]) -> bool:
    # dataclasses resolves `x: InitVar[int]` to an InitVar object, a postponed annotation may stay the text
    return isinstance(f.type, dataclasses.InitVar) or "InitVar" in str(f.type)


def _init_table(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    """``(name, default, default_factory)`` per field, in declaration order (bases first)."""
    # fields() leaves InitVars out (they are arguments, not fields): look for them in the whole table
    init_var = next((f for f in cls.__dataclass_fields__.values() if _is_init_var(f)), None)  # type: ignore[attr-defined]
    unsupported = [init_var] if init_var is not None else []
    fields = dataclasses.fields(cls)
    unsupported += [f for f in fields if not f.init or f.kw_only is True]
    if unsupported:
        name = unsupported[0].name
        raise TypeError(f"@record {cls.__qualname__}.{name}: init=False, kw_only and InitVar need @dataclass")
    return tuple((f.name, f.default, f.default_factory) for f in fields)


def _bind(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The instance's field values from ``__init__``'s arguments, with the errors a dataclass would raise."""
    table = cls.__record_init__  # type: ignore[attr-defined]
    if len(args) > len(table):
        raise TypeError(f"{cls.__qualname__}() takes {len(table)} arguments but {len(args)} were given")
    values = {name: value for (name, _, _), value in zip(table, args, strict=False)}
    for name, default, factory in table[len(args) :]:
        if name in kwargs:
            values[name] = kwargs.pop(name)
        elif default is not _MISSING:
            values[name] = default
        elif factory is not _MISSING:
            values[name] = factory()
        else:
            raise TypeError(f"{cls.__qualname__}() missing required argument: {name!r}")
    for name in kwargs:
        problem = "multiple values for argument" if name in values else "an unexpected keyword argument"
        raise TypeError(f"{cls.__qualname__}() got {problem} {name!r}")
    return values


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    self.__dict__.update(_bind(type(self), args, kwargs))  # past the frozen __setattr__, as a dataclass does
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _values(self: Any, names: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in names)


def _repr(self: Any) -> str:
    cls = type(self)
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__record_repr__)
    return f"{cls.__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    names = type(self).__record_compare__
    return _values(self, names) == _values(other, names)


def _hash(self: Any) -> int:
    return hash(_values(self, type(self).__record_hash__))


def _refuse_change(self: Any, name: str, *_value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _explicit_hash(cls: type) -> bool:
    # Python sets __hash__ = None in a class body that defines __eq__: that is not a hand-written __hash__
    return "__hash__" in cls.__dict__ and not (cls.__dict__["__hash__"] is None and "__eq__" in cls.__dict__)


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: T) -> T:
    """Make ``cls`` a frozen dataclass (see the module docstring for why this is not ``@dataclass(frozen=True)``)."""
    for name in ("__init__", "__setattr__", "__delattr__"):
        if name in cls.__dict__:
            raise TypeError(f"@record {cls.__qualname__} defines {name}; use __post_init__, or @dataclass")
    explicit_hash = _explicit_hash(cls)
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)
    hashed = (f.name for f in fields if (f.compare if f.hash is None else f.hash))
    always = {
        "__record_init__": _init_table(cls),
        "__record_repr__": tuple(f.name for f in fields if f.repr),
        "__record_compare__": tuple(f.name for f in fields if f.compare),
        "__record_hash__": tuple(hashed),
        "__init__": _init,
        "__setattr__": _refuse_change,
        "__delattr__": _refuse_change,
    }
    for name, value in always.items():
        setattr(cls, name, value)
    for name, method in (("__repr__", _repr), ("__eq__", _eq)):
        if name not in cls.__dict__:  # a hand-written __repr__ or __eq__ stays, as dataclass keeps it
            setattr(cls, name, method)
    if not explicit_hash:
        cls.__hash__ = _hash  # type: ignore[assignment, method-assign]
    return cls
