"""`quick_init`: the quicker constructor behaves as the dataclass's own."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from bot.services.frozen import quick_init
from bot.services.goals.cards import OrgLine, StanceView, Tally


@dataclass(frozen=True)
class Plain:
    a: int
    b: str = "b"
    c: list[int] = field(default_factory=list)


@quick_init
@dataclass(frozen=True)
class Quick:
    a: int
    b: str = "b"
    c: list[int] = field(default_factory=list)


def test_same_values_defaults_and_factories() -> None:
    for args, kwargs in (((1,), {}), ((1, "x"), {}), ((1,), {"c": [2]}), ((), {"a": 3, "b": "y"})):
        plain, quick = Plain(*args, **kwargs), Quick(*args, **kwargs)  # type: ignore[arg-type]
        assert dataclasses.astuple(plain) == dataclasses.astuple(quick)
        assert repr(plain).removeprefix("Plain") == repr(quick).removeprefix("Quick")
    assert Quick(1).c is not Quick(1).c  # a new list each time, as the dataclass makes


def test_same_errors_for_bad_arguments() -> None:
    with pytest.raises(TypeError):
        Quick()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick(1, d=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Quick(1, "b", [], 4)  # type: ignore[call-arg]


def test_still_frozen_equal_hashable_replaceable() -> None:
    quick = Quick(1, "x", [2])
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.a = 2  # type: ignore[misc]
    assert quick == Quick(1, "x", [2]) and quick != Quick(2, "x", [2])
    assert hash(OrgLine(1, "a", "core", None, True, False, False)) == hash(
        OrgLine(1, "a", "core", None, True, False, False)
    )
    assert dataclasses.replace(quick, b="z") == Quick(1, "z", [2])
    assert pickle.loads(pickle.dumps(quick)) == quick


def test_cards_views_use_it() -> None:
    view = StanceView("agree", None, 1, "Ann", recorded_at=None)  # type: ignore[arg-type]
    assert (view.referral, view.refer_by, view.mandate) == ("none", None, None)
    line = OrgLine(1, "Council", "core", view, True, False, False)
    assert line == OrgLine(1, "Council", "core", view, True, False, False)
    tally = Tally("consensus", False, 1, 1, 1, 0, 1, 1, {}, True)
    assert tally.pending == 0 and tally.needed == 1


def test_refuses_what_it_cannot_honour() -> None:
    @dataclass(frozen=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True)
    class WithSlots:
        a: int

    @dataclass
    class NotFrozen:
        a: int

    @dataclass(frozen=True)
    class NotInit:
        a: int
        b: int = field(default=0, init=False)

    for cls in (WithPostInit, WithSlots, NotFrozen, NotInit):
        with pytest.raises(TypeError):
            quick_init(cls)
