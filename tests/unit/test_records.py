"""``@record`` behaves as ``@dataclass(frozen=True)`` does: each class shape below is built both ways from the same
body and every observable behaviour is compared (construction and its errors, repr, equality, hashing,
immutability, the ``dataclasses`` helpers, pickling and copying, pattern matching)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.records import record

ROOT = Path(__file__).resolve().parents[2]


def _post_init(self: Any) -> None:
    object.__setattr__(self, "total", self.a + len(self.tags))


# name -> (annotations, class attributes (defaults, methods)); every shape the package uses
SHAPES: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "required only": ({"a": "int", "b": "str"}, {}),
    "defaults": ({"a": "int", "b": "str", "c": "float"}, {"b": "x", "c": 1.5}),
    "default factory": (
        {"a": "int", "tags": "tuple[str, ...]", "extra": "dict[str, int]"},
        {"tags": (), "extra": dataclasses.field(default_factory=dict)},
    ),
    "field(default=) and repr=False": (
        {"a": "int", "raw": "object"},
        {"raw": dataclasses.field(default=None, repr=False)},
    ),
    "compare=False": ({"a": "int", "note": "str"}, {"note": dataclasses.field(default="", compare=False)}),
    "__post_init__ derives a field": (
        {"a": "int", "tags": "tuple[str, ...]", "total": "int"},
        {"tags": (), "total": 0, "__post_init__": _post_init},
    ),
    "hand-written __repr__": ({"a": "int"}, {"__repr__": lambda self: f"<A {self.a}>"}),
}


def _twins(shape: str) -> tuple[type, type]:
    annotations, attributes = SHAPES[shape]

    def body() -> dict[str, Any]:
        return {"__annotations__": dict(annotations), "__qualname__": "Value", **copy.copy(attributes)}

    return dataclasses.dataclass(frozen=True)(type("Value", (), body())), record(type("Value", (), body()))


def _arguments(shape: str) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    names = list(SHAPES[shape][0])
    values = {"a": 3, "b": "y", "c": 2.0, "tags": ("t", "u"), "extra": {"k": 1}, "raw": [1], "note": "n", "total": 9}
    full = [values[name] for name in names]
    return [
        (tuple(full), {}),
        ((), dict(zip(names, full, strict=True))),
        ((full[0],), dict(zip(names[1:], full[1:], strict=True))),
        ((full[0],), {}),
    ]


def _outcome(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", cls(*args, **kwargs)
    except TypeError as exc:
        return "TypeError", type(exc)


@pytest.mark.parametrize("shape", SHAPES)
def test_construction_repr_equality_and_hash_match_dataclass(shape: str) -> None:
    real, rec = _twins(shape)
    for args, kwargs in _arguments(shape):
        (kind_real, made_real), (kind_rec, made_rec) = _outcome(real, args, kwargs), _outcome(rec, args, kwargs)
        assert kind_rec == kind_real, (args, kwargs)
        if kind_real != "ok":
            continue
        assert repr(made_rec) == repr(made_real)
        assert dataclasses.asdict(made_rec) == dataclasses.asdict(made_real)
        twin = rec(*args, **kwargs)
        assert made_rec == twin and (made_rec != twin) is False
        assert made_rec != made_real  # another class, as two dataclasses with the same fields are not equal
        if all(isinstance(v, (int, str, float, tuple)) for v in dataclasses.astuple(made_real)):
            assert hash(made_rec) == hash(twin)
            assert hash(made_rec) == hash(made_real)  # the same tuple of fields is hashed


@pytest.mark.parametrize("shape", SHAPES)
def test_wrong_arguments_fail_as_a_dataclass_does(shape: str) -> None:
    real, rec = _twins(shape)
    names = list(SHAPES[shape][0])
    wrong: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),  # the first field is always required
        ((1,) * (len(names) + 1), {}),  # too many positionals
        ((1,), {"nope": 2}),  # unknown keyword
        ((1,), {names[0]: 1}),  # the same argument twice
    ]
    for args, kwargs in wrong:
        with pytest.raises(TypeError):
            real(*args, **kwargs)
        with pytest.raises(TypeError, match=re.escape("Value()")):
            rec(*args, **kwargs)


@pytest.mark.parametrize("shape", SHAPES)
def test_instances_are_frozen(shape: str) -> None:
    _, rec = _twins(shape)
    value = rec(*_arguments(shape)[0][0])
    for name in [*SHAPES[shape][0], "new_attribute"]:
        with pytest.raises(dataclasses.FrozenInstanceError, match=name):
            setattr(value, name, 1)
        with pytest.raises(dataclasses.FrozenInstanceError, match=name):
            delattr(value, name)


@pytest.mark.parametrize("shape", SHAPES)
def test_dataclass_helpers_pickling_and_copies_work(shape: str) -> None:
    real, rec = _twins(shape)
    value = rec(*_arguments(shape)[0][0])
    assert dataclasses.is_dataclass(value) and dataclasses.is_dataclass(rec)
    assert [f.name for f in dataclasses.fields(rec)] == [f.name for f in dataclasses.fields(real)]
    assert rec.__match_args__ == real.__match_args__
    first = SHAPES[shape][0] and next(iter(SHAPES[shape][0]))
    changed = dataclasses.replace(value, a=99)
    assert changed.a == 99 and type(changed) is rec and value.a != 99
    if shape == "__post_init__ derives a field":
        assert changed.total == 99 + len(changed.tags)  # replace runs __post_init__ again
    assert copy.copy(value) == value and copy.deepcopy(value) == value
    assert getattr(copy.deepcopy(value), first) == getattr(value, first)


@record
class Pickled:
    """Module level, so pickle can find the class."""

    name: str
    sizes: dict[str, int] = dataclasses.field(default_factory=dict)
    count: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", len(self.sizes))


def test_records_pickle_round_trip_without_running_init_again() -> None:
    for value in (Pickled("a"), Pickled("b", {"x": 1, "y": 2}), Pickled("c", {}, 5)):
        again = pickle.loads(pickle.dumps(value))
        assert again == value and repr(again) == repr(value) and again.count == len(value.sizes)


def test_subclasses_add_fields_after_their_base() -> None:
    @record
    class Base:
        text: str
        tokens: int | None = None

    @record
    class Child(Base):
        role: str = "assistant"

    child = Child("hi", role="user")
    assert (child.text, child.tokens, child.role) == ("hi", None, "user")
    assert (
        repr(child) == "test_subclasses_add_fields_after_their_base.<locals>.Child(text='hi', tokens=None, role='user')"
    )
    assert child != Base("hi") and child == Child("hi", None, "user")
    with pytest.raises(dataclasses.FrozenInstanceError):
        child.role = "x"  # type: ignore[misc]


def test_a_hand_written_eq_or_hash_is_kept() -> None:
    @record
    class Loose:
        a: int

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Loose) and abs(self.a - other.a) <= 1

        def __hash__(self) -> int:
            return 7

    assert Loose(1) == Loose(2) and hash(Loose(5)) == 7


@pytest.mark.parametrize(
    "body",
    [
        {"__annotations__": {"a": "int"}, "__init__": lambda self: None},
        {"__annotations__": {"a": "int"}, "__setattr__": lambda self, n, v: None},
        {"__annotations__": {"a": "int"}, "a": dataclasses.field(default=0, init=False)},
        {"__annotations__": {"a": "int"}, "a": dataclasses.field(default=0, kw_only=True)},
        {"__annotations__": {"a": "InitVar[int]"}},
        {"__annotations__": {"a": "int", "b": dataclasses.InitVar[int]}},  # an InitVar is not in fields()
        {"__annotations__": {"a": "dataclasses.InitVar[int]"}},  # a string dataclasses resolves to InitVar
        {"__annotations__": {"a": dataclasses.InitVar[str], "b": "int"}},
    ],
    ids=["__init__", "__setattr__", "init=False", "kw_only", "InitVar", "InitVar object", "InitVar resolved", "first"],
)
def test_shapes_a_record_does_not_support_are_refused_at_definition(body: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="@record"):
        record(type("Odd", (), dict(body)))


@given(
    a=st.integers(),
    b=st.text(max_size=5),
    c=st.floats(allow_nan=False),
    other_a=st.integers(),
)
def test_equality_and_hash_follow_the_field_values(a: int, b: str, c: float, other_a: int) -> None:
    real, rec = _twins("defaults")
    assert (rec(a, b, c) == rec(other_a, b, c)) == (real(a, b, c) == real(other_a, b, c))
    assert hash(rec(a, b, c)) == hash(real(a, b, c))
    assert repr(rec(a, b, c)) == repr(real(a, b, c))


def test_the_package_defines_its_frozen_value_types_with_record() -> None:
    # One idiom for value types, and the start-up cost stays away: a frozen dataclass compiles six methods per class
    left = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "deploy").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.match(r"@(dataclasses\.)?dataclass\(frozen=True\)", line.strip())
    ]
    assert left == [], "use @record (deploy/records.py) for frozen value types: " + ", ".join(left)
