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
from autograd_engine.core.ops import ALL_OPS, Op, _data
from autograd_engine.testing import DOMAINS, apply_op, finite_floats

H = 1e-6  # central-difference step; see autograd_engine.checking.gradient_check for the choice


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
        ("sqrt", (-1e-300,)),
        ("sqrt", (-4.0,)),
        ("log1p", (-1.0,)),
        ("log1p", (-2.5,)),
    ],
)
def test_points_outside_a_domain_are_refused(name, xs):
    """log of x <= 0, 0 ** negative, a negative base with a non-integer power, sqrt of x < 0
    and log1p of x <= -1 are refused."""
    [op] = [op for op in ALL_OPS if op == name]
    assert isinstance(op.domain(*xs), ValueError | ArithmeticError)
    with pytest.raises((ValueError, ZeroDivisionError), match=name):
        apply_op(op, *as_args(op, xs))


TINY = 5e-324  # the smallest positive float
ONE_BELOW = math.nextafter(-1.0, -math.inf)
ONE_ABOVE = math.nextafter(-1.0, 0.0)


@pytest.mark.parametrize(
    ("name", "xs", "refused"),
    [
        # each domain edge probed just outside, at, and just inside (math's definitions)
        ("log", (-TINY,), True),
        ("log", (0.0,), True),
        ("log", (TINY,), False),
        ("sqrt", (-TINY,), True),
        ("sqrt", (0.0,), False),
        ("sqrt", (TINY,), False),
        ("log1p", (ONE_BELOW,), True),
        ("log1p", (-1.0,), True),
        ("log1p", (ONE_ABOVE,), False),
        ("div", (1.0, -TINY), False),
        ("div", (1.0, 0.0), True),
        ("div", (1.0, TINY), False),
        # a ** k: 0 ** k needs k >= 0; a negative base needs an integer k
        ("pow", (0.0, -TINY), True),
        ("pow", (0.0, 0.0), False),
        ("pow", (0.0, 0.5), False),
        ("pow", (-TINY, 0.5), True),
        ("pow", (-0.5, 0.5), True),
        ("pow", (-1.5, 0.5), True),
        ("pow", (-0.5, 2.0), False),
        ("pow", (-0.5, math.nextafter(2.0, 3.0)), True),
        ("pow", (TINY, 0.5), False),
        # a ** b with b a Value (and rpow: a constant base): a >= 0, and 0 ** b needs b >= 0
        *(
            case
            for name in ("powv", "rpow")
            for case in [
                (name, (-TINY, 2.0), True),
                (name, (-0.5, 2.0), True),
                (name, (-1.5, 2.0), True),
                (name, (0.0, -TINY), True),
                (name, (0.0, 0.0), False),
                (name, (0.0, TINY), False),
                (name, (TINY, 2.0), False),
            ]
        ),
    ],
)
def test_domain_edges_on_both_sides(name, xs, refused):
    """Each domain edge is exact: refused just outside it, the edge itself as math says."""
    [op] = [op for op in ALL_OPS if op == name]
    error = op.domain(*xs)
    assert isinstance(error, ValueError | ArithmeticError) if refused else error is None
    if refused:
        with pytest.raises((ValueError, ZeroDivisionError), match=name):
            apply_op(op, *as_args(op, xs))


CONSTANT_SLOT_POINTS = {  # points of each op with a constant input, its kinks included
    "pow": [(2.0, 3.0), (2.0, 0.0), (0.0, 2.0), (-1.5, 2.0)],
    "rpow": [(2.0, 3.0), (0.0, 2.0), (0.5, 0.0)],
    "leaky_relu": [(2.0, 0.2), (0.0, 0.2), (-1.5, 0.2), (-1.5, 0.0)],
}


@pytest.mark.parametrize("op", [op for op in ALL_OPS if op.constants], ids=op_id)
def test_a_constant_slot_never_receives_a_gradient(op):
    """pow's exponent, rpow's base, leaky_relu's slope: read as leaves, their grad stays 0.

    At every point, k = 0 and the kinks included, whatever the other input receives.
    """
    assert sorted(CONSTANT_SLOT_POINTS) == sorted(str(o) for o in ALL_OPS if o.constants)
    for xs in CONSTANT_SLOT_POINTS[op]:
        y = apply_op(op, *as_args(op, xs))
        constants = [y.parents[i] for i in op.constants]  # read first: leaves that could get one
        y.backward()
        assert [c.grad for c in constants] == [0.0] * len(constants), xs


@pytest.mark.parametrize("op", [op for op in ALL_OPS if op.constants], ids=op_id)
def test_a_value_in_a_constant_slot_is_refused(op):
    """pow's exponent and rpow's base are constants: a Value there is a TypeError, not lost."""
    xs = [2.0, 3.0]
    xs[op.constants[0]] = Value(xs[op.constants[0]])
    with pytest.raises(TypeError, match="constant"):
        apply_op(op, *xs)


# -- the newer rows: conventions at kinks, edges and extremes, checked by hand ------------


def grad_at(method: str, x: float, *args: float) -> float:
    v = Value(x)
    getattr(v, method)(*args).backward()
    return v.grad


def test_kinks_take_pytorchs_side():
    """abs'(0) = 0 (as relu'(0) = 0) and leaky_relu'(0) = negative_slope, PyTorch's values."""
    assert grad_at("abs", 0.0) == 0.0
    assert grad_at("relu", 0.0) == 0.0
    assert grad_at("leaky_relu", 0.0) == 0.01
    assert grad_at("leaky_relu", 0.0, 0.2) == 0.2
    assert grad_at("abs", -3.0) == -1.0 and grad_at("abs", 2.5) == 1.0
    assert grad_at("leaky_relu", -3.0, 0.2) == 0.2 and grad_at("leaky_relu", 3.0, 0.2) == 1.0


def test_python_abs_is_the_abs_op():
    """abs(x) makes the same abs node as x.abs(): |-2.5| = 2.5, d/dx = -1."""
    x = Value(-2.5, label="x")
    y = abs(x)
    assert (y.data, y.op, y.parents) == (2.5, "abs", (x,))
    y.backward()
    assert x.grad == -1.0


def test_leaky_relu_values_by_hand():
    """leaky_relu(-2, 0.1) = -0.2, leaky_relu(3) = 3; the slope is a constant leaf."""
    y = Value(-2.0).leaky_relu(0.1)
    assert y.data == pytest.approx(-0.2, rel=1e-15)
    assert y.parents[1].data == 0.1 and y.parents[1].op == ""
    assert Value(3.0).leaky_relu().data == 3.0
    assert Value(-100.0).leaky_relu().data == pytest.approx(-1.0, rel=1e-15)


@pytest.mark.parametrize(
    ("slope", "error"),
    [
        (True, TypeError),
        ("0.1", TypeError),
        (None, TypeError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (Value(0.1), TypeError),
    ],
)
def test_leaky_relu_refuses_a_bad_slope(slope, error):
    """negative_slope must be a finite real number (not a bool, not a Value)."""
    with pytest.raises(error, match="leaky_relu: negative_slope"):
        Value(1.0).leaky_relu(slope)


def test_sqrt_derivative_at_zero_raises_like_pow_half():
    """sqrt(0) = 0 is fine, but its derivative 1/(2 sqrt 0) raises as x ** 0.5 does at 0."""
    for make in (lambda v: v.sqrt(), lambda v: v**0.5):
        x = Value(0.0, label="x")
        y = make(x)
        assert y.data == 0.0
        with pytest.raises(ZeroDivisionError, match="local derivative is not finite"):
            y.backward()
        assert x.grad == 0.0  # nothing written


def test_sqrt_by_hand():
    """sqrt(6.25) = 2.5 with derivative 1/(2*2.5) = 0.2 and second derivative -1/(4 x^1.5)."""
    x = Value(6.25)
    assert x.sqrt().data == 2.5
    assert grad_at("sqrt", 6.25) == 0.2
    from autograd_engine import hessian

    assert hessian(x.sqrt(), [x]) == [[pytest.approx(-1 / (4 * 6.25**1.5), rel=1e-14)]]


def test_softplus_is_stable_for_any_finite_input():
    """softplus never overflows: 1e308 -> 1e308 (slope 1), -1e308 -> 0 (slope 0)."""
    assert Value(1e308).softplus().data == 1e308
    assert grad_at("softplus", 1e308) == 1.0
    assert Value(-1e308).softplus().data == 0.0
    assert grad_at("softplus", -1e308) == 0.0
    # log(1 + e^-30) = e^-30 - e^-60/2 + ...: log1p keeps it to full precision.
    # abs=0: e^-30 = 9.4e-14 is below pytest's default abs=1e-12, which would accept 0.0.
    assert Value(-30.0).softplus().data == pytest.approx(math.exp(-30.0), rel=1e-12, abs=0.0)
    assert Value(0.0).softplus().data == pytest.approx(math.log(2.0), rel=1e-15)
    assert grad_at("softplus", 0.0) == 0.5


def test_softplus_threshold_is_pytorchs():
    """Above 20 softplus(x) = x with slope 1; at and below 20 it is log1p(e^x), slope sigmoid."""
    assert Value(20.5).softplus().data == 20.5 and grad_at("softplus", 20.5) == 1.0
    assert Value(20.0).softplus().data == pytest.approx(20.0 + math.exp(-20.0), rel=1e-15)
    assert grad_at("softplus", 20.0) == pytest.approx(1 / (1 + math.exp(-20.0)), rel=1e-15)


def test_log1p_and_expm1_keep_small_inputs_exact():
    """log1p(1e-20) = 1e-20 and expm1(1e-20) = 1e-20, where log(1 + x) and e^x - 1 give 0."""
    assert Value(1e-20).log1p().data == 1e-20
    assert Value(1e-20).expm1().data == 1e-20
    assert grad_at("log1p", 1.0) == 0.5
    assert grad_at("expm1", 1.0) == pytest.approx(math.e, rel=1e-15)


def test_trig_by_hand():
    """sin' = cos, cos' = -sin, tan' = 1 + tan^2 at x = pi/4 (tan = 1, so tan' = 2)."""
    x = math.pi / 4
    assert grad_at("sin", x) == pytest.approx(math.cos(x), rel=1e-15)
    assert grad_at("cos", x) == pytest.approx(-math.sin(x), rel=1e-15)
    assert grad_at("tan", x) == pytest.approx(2.0, rel=1e-15)


def test_overflow_near_a_pole_raises():
    """tan next to pi/2 is huge but finite; exp of it, or expm1(1000), overflows and raises."""
    x = Value(math.pi / 2, label="x")
    t = x.tan()
    assert t.data > 1e16
    with pytest.raises(OverflowError, match="exp"):
        t.exp()
    with pytest.raises(OverflowError, match="expm1"):
        Value(1000.0).expm1()
    # tan' = 1 + tan^2 ~ 2.7e32 is finite; its square is not: backward refuses it.
    y = t * t * t * t * t * t * t * t * t * t * t * t * t * t * t * t * t * t
    with pytest.raises((OverflowError, FloatingPointError)):
        y.backward()
    assert x.grad == 0.0


@pytest.mark.parametrize(("method", "x"), [("sqrt", -1.0), ("log1p", -1.0)])
def test_domain_error_names_the_op_and_label(method, x):
    """sqrt(-1) and log1p(-1) raise ValueError naming the op and the operand's label."""
    with pytest.raises(ValueError, match=rf"{method}: .*a = -1.0"):
        getattr(Value(x, label="a"), method)()


# -- custom ops are callable ------------------------------------------------------------


SQUARE = Op("square", lambda a: a * a, lambda g, out, a: (g * 2.0 * a,))


def test_a_custom_op_is_callable():
    """square(x) makes a node with op square and parent x; d/dx x^2 = 2x, d2/dx2 = 2."""
    from autograd_engine import grad, hessian

    x = Value(3.0, label="x")
    y = SQUARE(x)
    assert (y.data, y.op, y.parents) == (9.0, "square", (x,))
    assert y.op is SQUARE
    assert grad(y, [x])[0].data == 6.0
    assert hessian(SQUARE(x), [x]) == [[2.0]]
    assert gradcheck(lambda v: SQUARE(v), [1.3], check_second_order=True)


def test_calling_an_op_is_apply_op():
    """Op(...)(*args) is apply_op(op, *args): numbers become constants, checks apply."""
    assert SQUARE(1.5).data == 2.25 and SQUARE(1.5).op == "square"
    from autograd_engine.core.ops import LEAKY_RELU, MUL, POW

    assert MUL(Value(2.0), 4).data == 8.0
    with pytest.raises(TypeError, match="constant"):
        POW(Value(2.0), Value(3.0))
    with pytest.raises(TypeError, match="constant"):
        LEAKY_RELU(Value(-2.0), Value(0.1))
    with pytest.raises(TypeError, match="must be a Value or a real number"):
        SQUARE("a")
    bad = Op("bad", lambda a: 1, lambda g, out, a: (g,))
    with pytest.raises(TypeError, match="bad: forward must return a float"):
        bad(Value(1.0))


def test_a_callable_op_is_still_its_name():
    """Calling does not change the str side: equality, hashing, formatting, dict keys."""
    assert SQUARE == "square" and hash(SQUARE) == hash("square")
    assert f"{SQUARE}" == "square" and {"square": 1}[SQUARE] == 1
    assert callable(SQUARE) and not callable("square")
