"""The validation module: one message style, bools refused, huge ints and nan handled."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from autograd_engine.validation import (
    check_bool,
    check_choice,
    check_int,
    check_keys,
    check_mapping,
    check_real,
    check_sequence,
    counted,
    raise_as,
    show,
)


@pytest.mark.parametrize("x, want", [(1, 1.0), (2.5, 2.5), (Fraction(1, 4), 0.25), (-0.0, -0.0)])
def test_check_real_returns_a_float(x, want):
    """Any real number (int, float, Fraction) comes back as a float."""
    got = check_real("f", "x", x)
    assert got == want and type(got) is float


@pytest.mark.parametrize("x", [True, False, "1", None, [1.0], 1j, b"1"])
def test_check_real_type_errors_start_with_owner_and_argument(x):
    """A bool, str, None, list, complex: TypeError 'owner: name must be a real number, got ...'."""
    with pytest.raises(TypeError, match=r"^SGD: lr must be a real number, got "):
        check_real("SGD", "lr", x)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf, 10**400, -(10**400)])
def test_check_real_non_finite_is_a_value_error_without_overflow(x):
    """nan, inf and ints beyond the float range: ValueError saying 'must be finite'."""
    with pytest.raises(ValueError, match=r"^SGD: lr must be finite, got ") as info:
        check_real("SGD", "lr", x)
    assert len(str(info.value)) < 120


def test_check_real_bounds_and_labels():
    """Bounds are stated in the message; a label is named; inf passes with finite=False."""
    with pytest.raises(ValueError, match=r"^SGD: lr must be a finite number >= 0, got -1$"):
        check_real("SGD", "lr", -1, min=0.0)
    with pytest.raises(ValueError, match=r"> 0, got 0.0"):
        check_real("f", "eps", 0.0, min=0.0, min_open=True)
    with pytest.raises(ValueError, match=r"<= 1, got 1.5"):
        check_real("f", "p", 1.5, max=1.0)
    with pytest.raises(ValueError, match=r"\(label 'w0'\)"):
        check_real("save", "parameter 'a'", math.nan, label="w0")
    assert check_real("f", "x", math.inf, finite=False) == math.inf
    assert check_real("f", "x", 10**400, finite=False, min=0.0) == math.inf
    with pytest.raises(ValueError):
        check_real("f", "x", math.nan, finite=False, min=0.0)


def test_check_int():
    """Ints only (bool and float are TypeErrors), bounds are ValueErrors."""
    assert check_int("f", "n", 3, min=1) == 3
    for bad in (True, 2.0, "2", None):
        with pytest.raises(TypeError, match=r"^f: n must be an int"):
            check_int("f", "n", bad)
    with pytest.raises(ValueError, match=r"^f: n must be an int >= 1, got 0$"):
        check_int("f", "n", 0, min=1)
    with pytest.raises(ValueError, match=r"<= 10"):
        check_int("f", "n", 11, max=10)


def test_check_bool_choice_mapping_keys():
    """Each check raises the documented class with owner and argument first."""
    assert check_bool("f", "flag", False) is False
    with pytest.raises(TypeError, match="^f: flag must be a bool, got 1$"):
        check_bool("f", "flag", 1)
    assert check_choice("f", "mode", "min", ("min", "max")) == "min"
    with pytest.raises(ValueError, match="^f: mode must be one of 'min', 'max', got str 'mid'"):
        check_choice("f", "mode", "mid", ("min", "max"))
    with pytest.raises(TypeError, match="^f: mode must be one of"):
        check_choice("f", "mode", ["min"], ("min", "max"))
    with pytest.raises(TypeError, match="^f: state must be a dict, got None"):
        check_mapping("f", "state", None)
    with pytest.raises(
        ValueError, match=r"^f: state has the wrong keys: missing \['a'\], unexpected"
    ):
        check_keys("f", "state", {"b": 1}, ["a"])
    check_keys("f", "state", {"a": 1, "b": 2}, ["a"], ["b"])


@pytest.mark.parametrize("x", ["ab", b"ab", 5, None, {"a": 1}, {1, 2}])
def test_check_sequence_refuses_what_only_looks_iterable(x):
    """A str, bytes, dict, set, number or None is a TypeError, never iterated."""
    with pytest.raises(TypeError, match="^f: xs must be a list of numbers"):
        check_sequence("f", "xs", x, what="numbers")


def test_check_sequence_accepts_iterables_and_counts():
    """Tuples and generators become lists; too few items is a ValueError."""
    assert check_sequence("f", "xs", (1, 2)) == [1, 2]
    assert check_sequence("f", "xs", (i for i in range(3))) == [0, 1, 2]
    with pytest.raises(ValueError, match="at least one"):
        check_sequence("f", "xs", [], min_len=1)


def test_show_is_short_and_safe():
    """show() abbreviates, never fails on a huge int or a broken repr."""

    class Broken:
        def __repr__(self):
            raise RuntimeError("no")

    assert show(10**5000) == "int of about 5001 digits"  # 1 followed by 5000 zeros
    assert show(1.5) == "1.5" and show(None) == "None" and show(True) == "bool True"
    assert show("x" * 500).endswith("...") and len(show("x" * 500)) < 100
    assert show(Broken()) == "Broken"


def test_raise_as_keeps_custom_classes_and_rebuilds_plain_ones():
    """A plain ValueError is rebuilt with the message; a custom class keeps its instance."""
    with pytest.raises(ValueError, match="^op: bad") as info:
        raise_as(ValueError("bad"), "op: bad")
    assert isinstance(info.value.__cause__, ValueError)

    class Mine(ValueError):
        def __init__(self, a, b):
            super().__init__(f"{a}/{b}")

    original = Mine(1, 2)
    with pytest.raises(Mine) as info:
        raise_as(original, "op: context")
    assert info.value is original and info.value.__notes__ == ["op: context"]


@pytest.mark.parametrize(
    "n, noun, plural, want",
    [(1, "epoch", None, "1 epoch"), (0, "epoch", None, "0 epochs"), (2, "epoch", None, "2 epochs"),
     (1, "class", "classes", "1 class"), (3, "class", "classes", "3 classes")],
)  # fmt: skip
def test_counted_puts_the_noun_in_the_number_it_takes(n, noun, plural, want):
    """One takes the singular; zero and more take the plural (noun + s unless given)."""
    assert counted(n, noun, plural) == want
