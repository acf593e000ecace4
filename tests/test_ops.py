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
from autograd_engine.ops import ALL_OPS, POW, RPOW, Op, _data
from autograd_engine.testing import DOMAINS, apply_op, finite_floats

H = 1e-6  # central-difference step; see autograd_engine.gradcheck for the choice


def differentiable(op: Op, xs: tuple[float, ...]) -> list[int]:
    """Indices of inputs with a derivative: all, except pow's constant exponent, rpow's base."""
    return {POW: [0], RPOW: [1]}.get(op, list(range(len(xs))))


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
    if op == POW:
        assert contributions[1] == 0.0  # the exponent is a constant: no gradient
    if op == RPOW:
        assert contributions[0] == 0.0  # the base is a constant: no gradient


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
    node = apply_op(op, *[Value(x) for x in xs])
    on_values = op.vjp(Value(g), node, *node.parents)
    on_floats = op.vjp(g, node.data, *xs)
    for v, f in zip(on_values, on_floats, strict=True):
        assert _data(v) == pytest.approx(f, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@given(data=st.data())
def test_second_derivatives_match_differences_of_the_gradient(op, data):
    """Double backward through each op agrees with central differences of its gradient."""
    xs = data.draw(DOMAINS[op])
    if op == POW:
        base, k = xs
        assert gradcheck(lambda a: apply_op(POW, a, k), [base], check_second_order=True)
    elif op == RPOW:
        c, b = xs
        assert gradcheck(lambda e: apply_op(RPOW, c, e), [b], check_second_order=True)
    else:
        assert gradcheck(lambda *vs: apply_op(op, *vs), xs, check_second_order=True)


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
        apply_op(op, *[Value(x) for x in xs])
