"""Every Op of the table against central differences, on floats and on Values.

Parametrized over ``ALL_OPS``, so an op added to the table without a domain in
``autograd_engine.testing.DOMAINS`` fails here, and one with a wrong ``vjp`` fails
the difference check. The reference numbers are central differences of the op's
own ``forward`` (plain floats, independent of ``vjp`` and of ``Value``).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_engine import Value, gradcheck
from autograd_engine.ops import ALL_OPS, Op, _data
from autograd_engine.testing import DOMAINS, apply_op, finite_floats

H = 1e-6  # central-difference step; see autograd_engine.gradcheck for the choice


def differentiable(op: Op, xs: tuple[float, ...]) -> list[int]:
    """Indices of inputs with a derivative: all but the op's constants (pow's exponent, ...)."""
    return [i for i in range(len(xs)) if i not in op.constants]


def as_args(op: Op, xs: tuple[float, ...]) -> list[Value | float]:
    """Values for the differentiable inputs, plain numbers for the op's constants."""
    return [x if i in op.constants else Value(x) for i, x in enumerate(xs)]


def central_difference(op: Op, xs: tuple[float, ...], i: int) -> float:
    """(forward(x + h e_i) - forward(x - h e_i)) / 2h on floats."""
    plus, minus = list(xs), list(xs)
    plus[i] += H
    minus[i] -= H
    return (op.forward(*plus) - op.forward(*minus)) / (2 * H)


def op_id(op: Op) -> str:
    return str(op)


def test_domains_cover_the_op_table():
    """DOMAINS has exactly one entry per op of ALL_OPS."""
    assert sorted(DOMAINS) == sorted(str(op) for op in ALL_OPS)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@given(data=st.data())
def test_domain_points_are_valid(op, data):
    """Every drawn argument tuple is inside the op's domain and has a finite result."""
    xs = data.draw(DOMAINS[op])
    if op.domain is not None:
        assert op.domain(*xs) is None
    assert math.isfinite(apply_op(op, *xs).data)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@given(data=st.data())
def test_derivatives_match_central_difference(op, data):
    """Each local derivative agrees with (f(x+h) - f(x-h)) / 2h."""
    xs = data.draw(DOMAINS[op])
    contributions = list(op.vjp(1.0, op.forward(*xs), *xs))
    assert len(contributions) == len(xs)
    for i in differentiable(op, xs):
        numeric = central_difference(op, xs, i)
        assert contributions[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), f"input {i}"
    for i in op.constants:
        assert contributions[i] == 0.0  # a constant input gets no gradient


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@given(data=st.data(), g=finite_floats(-3.0, 3.0))
def test_vjp_is_linear_in_the_upstream_gradient(op, data, g):
    """vjp(g) = g * vjp(1): the chain rule multiplies the local derivative by g."""
    xs = data.draw(DOMAINS[op])
    out = op.forward(*xs)
    ones = op.vjp(1.0, out, *xs)
    for scaled, one in zip(op.vjp(g, out, *xs), ones, strict=True):
        assert scaled == pytest.approx(g * one, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@given(data=st.data(), g=finite_floats(-3.0, 3.0))
def test_value_path_matches_float_path(op, data, g):
    """Run on Values (create_graph) each vjp gives the same numbers as on floats."""
    xs = data.draw(DOMAINS[op])
    node = apply_op(op, *as_args(op, xs))
    on_values = op.vjp(Value(g), node, *node.parents)
    on_floats = op.vjp(g, node.data, *xs)
    for v, f in zip(on_values, on_floats, strict=True):
        assert _data(v) == pytest.approx(f, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@given(data=st.data())
def test_second_derivatives_match_differences_of_the_gradient(op, data):
    """Double backward through each op agrees with central differences of its gradient."""
    xs = data.draw(DOMAINS[op])
    free = differentiable(op, xs)

    def f(*vs: Value) -> Value:
        args = list(xs)
        for i, v in zip(free, vs, strict=True):
            args[i] = v
        return apply_op(op, *args)

    assert gradcheck(f, [xs[i] for i in free], check_second_order=True)


@pytest.mark.parametrize(
    ("name", "xs"),
    [
        ("log", (0.0,)),
        ("log", (-1.0,)),
        ("pow", (0.0, -1.0)),
        ("pow", (-2.0, 0.5)),
        ("powv", (-1.0, 2.0)),
        ("powv", (0.0, -1.0)),
        ("rpow", (-2.0, 0.5)),
        ("div", (1.0, 0.0)),
    ],
)
def test_points_outside_a_domain_are_refused(name, xs):
    """log of x <= 0, 0 ** negative and a negative base with a non-integer power are refused."""
    [op] = [op for op in ALL_OPS if op == name]
    assert isinstance(op.domain(*xs), ValueError | ArithmeticError)
    with pytest.raises((ValueError, ZeroDivisionError), match=name):
        apply_op(op, *as_args(op, xs))


@pytest.mark.parametrize("op", [op for op in ALL_OPS if op.constants], ids=op_id)
def test_a_value_in_a_constant_slot_is_refused(op):
    """pow's exponent and rpow's base are constants: a Value there is a TypeError, not lost."""
    xs = [2.0, 3.0]
    xs[op.constants[0]] = Value(xs[op.constants[0]])
    with pytest.raises(TypeError, match="constant"):
        apply_op(op, *xs)
