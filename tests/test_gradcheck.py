"""gradcheck: passes correct derivatives, catches wrong ones, explains why, rejects bad input.

Expected numbers are derived by hand in the comments (or come from a published worked
example); none is produced by the engine under test.
"""

from __future__ import annotations

import math
import re

import pytest

from autograd_engine import GradcheckError, Value, gradcheck, no_grad
from autograd_engine.core.ops import Op, _data
from autograd_engine.testing import apply_op

# exp with a derivative twice too large: d/dx e^x taken as 2 e^x.
BAD_EXP = Op("bad_exp", math.exp, lambda g, out, a: (2.0 * g * out,))
# exp whose first derivative is right but treats out as a constant, so on Values
# (create_graph) its derivative graph is missing: second derivative comes out 0.
FLAT_EXP = Op("flat_exp", math.exp, lambda g, out, a: (g * _data(out),))
# the identity with a derivative off by 1e-4 relative: 1.0001 instead of 1.
NEARLY_ONE = Op("nearly_one", lambda a: a, lambda g, out, a: (g * 1.0001,))
# a*b with both partial derivatives swapped (d/da = a, d/db = b).
SWAPPED_MUL = Op("swapped_mul", lambda a, b: a * b, lambda g, out, a, b: (g * a, g * b))

FAILURE = re.compile(r"analytic (\S+), numeric (\S+), \|difference\| (\S+) > tolerance (\S+) ")


def failures(message: str) -> list[tuple[float, float, float, float]]:
    """(analytic, numeric, difference, tolerance) of every entry the message reports."""
    return [tuple(map(float, m)) for m in FAILURE.findall(message)]


def test_returns_true_for_correct_derivatives():
    """A correct gradient returns exactly True."""
    assert gradcheck(lambda x, y: x * y + x.exp() / y, [0.5, -2.0]) is True


def test_published_worked_example():
    """Laban's sigmoid neuron at x = (-1, -2), w = (2, -3, -3) has dw = (-0.2, -0.4, 0.2)."""

    def neuron(w0, w1, w2):
        return (w0 * -1.0 + w1 * -2.0 + w2).sigmoid()

    assert gradcheck(neuron, [2.0, -3.0, -3.0], check_second_order=True)
    # By hand: z = 1, sigma'(1) = s(1 - s) with s = 1/(1+e^-1); dw = sigma'(1) * (x0, x1, 1).
    s = 1.0 / (1.0 + math.exp(-1.0))
    d = s * (1.0 - s)
    w = [Value(2.0), Value(-3.0), Value(-3.0)]
    neuron(*w).backward()
    assert [p.grad for p in w] == pytest.approx([-d, -2 * d, d], rel=1e-12)
    assert [p.grad for p in w] == pytest.approx([-0.2, -0.4, 0.2], abs=0.01)  # published


def test_wrong_derivative_is_caught_and_reported():
    """A doubled exp derivative fails with index, label, analytic 2e, numeric e and tolerance."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: apply_op(BAD_EXP, x), [Value(1.0, label="w")])
    message = str(info.value)
    assert "input 0 (label 'w')" in message
    [(analytic, numeric, difference, tolerance)] = failures(message)
    assert analytic == pytest.approx(2 * math.e, rel=1e-12)
    assert numeric == pytest.approx(math.e, rel=1e-8)
    assert difference == pytest.approx(math.e, rel=1e-2)
    assert tolerance == pytest.approx(1e-5 + 1e-3 * math.e, rel=1e-2)


def test_only_failing_inputs_are_named():
    """Swapped partials of a*b at (2, 3) fail inputs 0 and 1 (3 vs 2, 2 vs 3), not input 2."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b, c: apply_op(SWAPPED_MUL, a, b) + c, [2.0, 3.0, 5.0])
    message = str(info.value)
    assert "at 2 of 3 entries" in message
    assert "input 0 at 2.0" in message and "input 1 at 3.0" in message
    assert "input 2" not in message
    # d(ab)/da = b = 3 numerically; the swapped rule says a = 2; and vice versa.
    found = failures(message)
    assert [(a, round(n, 6)) for a, n, _, _ in found] == [(2.0, 3.0), (3.0, 2.0)]


def test_second_order_catches_a_flat_derivative_graph():
    """A vjp right on floats but constant on Values passes first order and fails second order."""

    def f(x):
        return apply_op(FLAT_EXP, x)

    assert gradcheck(f, [0.5]) is True
    with pytest.raises(GradcheckError, match="second derivatives") as info:
        gradcheck(f, [0.5], check_second_order=True)
    # d2/dx2 e^x = e^0.5; the flat rule gives 0.
    [(analytic, numeric, _, _)] = failures(str(info.value))
    assert analytic == 0.0
    assert numeric == pytest.approx(math.exp(0.5), rel=1e-6)


def test_second_order_names_the_failing_entry_among_all_n_squared():
    """flat_exp(a) + b*c: only H[0][0] is wrong (0 for e^a), 1 of 9 entries, named by label."""

    def f(a, b, c):
        return apply_op(FLAT_EXP, a) + b * c

    inputs = [Value(0.5, label="a"), Value(2.0, label="b"), Value(-1.0)]
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, inputs, check_second_order=True)
    message = str(info.value)
    assert "at 1 of 9 entries" in message
    assert "d2 out / d input 0 (label 'a') d input 0 (label 'a') at [0.5, 2.0, -1.0]" in message
    [(analytic, numeric, _, _)] = failures(message)
    assert analytic == 0.0 and numeric == pytest.approx(math.exp(0.5), rel=1e-6)


def test_second_order_passes_on_a_known_hessian():
    """x*x*y has Hessian [[2y, 2x], [2x, 0]] and passes the double-backward check."""
    assert gradcheck(lambda x, y: x * x * y, [1.5, -2.0], check_second_order=True) is True


def test_tolerance_is_atol_plus_rtol_times_numeric():
    """A slope off by 1e-4 passes 1e-5 + 1e-3*1, fails atol 1e-5 alone, passes atol 2e-4."""

    def f(x):
        return apply_op(NEARLY_ONE, x)

    assert gradcheck(f, [0.3]) is True
    with pytest.raises(GradcheckError):
        gradcheck(f, [0.3], rtol=0.0)
    assert gradcheck(f, [0.3], atol=2e-4, rtol=0.0) is True


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.0, 0.5),  # (relu(eps) - relu(-eps)) / 2eps = eps / 2eps: mean of slopes 0 and 1
        (0.5e-6, 0.75),  # (1.5e-6 - 0) / 2e-6
        (-0.5e-6, 0.25),  # (0.5e-6 - 0) / 2e-6
    ],
)
def test_central_difference_across_the_relu_kink(x, expected):
    """Straddling relu's kink the numeric slope is strictly between 0 and 1: the check fails."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a.relu(), [x])
    [(_, numeric, _, _)] = failures(str(info.value))
    assert numeric == pytest.approx(expected, rel=1e-6)


def test_relu_away_from_the_kink_passes():
    """More than eps from the kink relu's slope (1 or 0) matches its central difference."""
    assert gradcheck(lambda a: a.relu(), [1e-3]) is True
    assert gradcheck(lambda a: a.relu(), [-1e-3]) is True


def test_near_the_log_pole():
    """log at x < eps fails with a ValueError naming the step; at 100 eps it passes."""
    with pytest.raises(ValueError, match=r"input 0 at 5e-07 - eps .*log") as info:
        gradcheck(lambda a: a.log(), [5e-7])
    assert not isinstance(info.value, GradcheckError)
    # At d = 100 eps the relative truncation error is (1/100)**2 / 3 ~ 3e-5 < rtol.
    assert gradcheck(lambda a: a.log(), [1e-4]) is True
    # The mirror image fails on the other side: log(-a) at a = -5e-7 fails at a + eps.
    with pytest.raises(ValueError, match=r"input 0 at -5e-07 \+ eps \(= 5e-07, step 1e-06\)"):
        gradcheck(lambda a: (-a).log(), [-5e-7])


def test_inputs_are_left_unchanged():
    """gradcheck reads Values' data and labels and changes neither their data nor grad."""
    x = Value(0.7, label="x")
    x.grad = 7.0
    assert gradcheck(lambda a: a.tanh() * a, [x]) is True
    assert (x.data, x.grad, x.label, x.op, x.parents) == (0.7, 7.0, "x", "", ())


def test_closed_over_values_keep_their_grad():
    """A Value captured by f (a parameter) gets no .grad from gradcheck."""
    w = Value(3.0)
    assert gradcheck(lambda a: a * w, [2.0]) is True
    assert w.grad == 0.0


def test_works_inside_no_grad():
    """gradcheck records the graph it needs even when called inside no_grad."""
    with no_grad():
        assert gradcheck(lambda a: a * a * a, [2.0]) is True


def test_output_that_ignores_an_input():
    """An input f does not use has analytic and numeric derivative 0, so it passes."""
    assert gradcheck(lambda a, b: a * 2.0, [1.0, 4.0], check_second_order=True) is True
    assert gradcheck(lambda a: a, [1.0], check_second_order=True) is True


def test_gradcheck_error_is_an_assertion_error():
    """GradcheckError is an AssertionError, so pytest reports it as a failed assertion."""
    assert issubclass(GradcheckError, AssertionError)


def square(x):
    return x * x


@pytest.mark.parametrize(
    ("f", "inputs", "kwargs", "error", "pattern"),
    [
        ("not callable", [1.0], {}, TypeError, r"f must be callable, got str"),
        (lambda x: 1.0, [1.0], {}, TypeError, r"f must return a Value, got float"),
        (square, [], {}, ValueError, r"inputs is empty"),
        (square, 1.0, {}, TypeError, r"single float"),
        (square, None, {}, TypeError, r"inputs must be a list of numbers or Values, got None"),
        (square, ["a"], {}, TypeError, r"inputs\[0\] must be a real number .*'a'"),
        (square, [True], {}, TypeError, r"inputs\[0\] must be a real number .*bool"),
        (square, [1.0, math.nan], {}, ValueError, r"inputs\[1\] must be finite, got nan"),
        (square, [math.inf], {}, ValueError, r"inputs\[0\] must be finite, got inf"),
        (square, [1.0], {"eps": 0.0}, ValueError, r"eps must be a finite number > 0, got 0.0"),
        (
            square,
            [1.0],
            {"eps": -1e-6},
            ValueError,
            r"eps must be a finite number > 0, got -1e-06",
        ),
        (square, [1.0], {"eps": math.nan}, ValueError, r"eps must be finite, got nan"),
        (
            square,
            [1.0],
            {"atol": -1.0},
            ValueError,
            r"atol must be a finite number >= 0, got -1.0",
        ),
        (square, [1.0], {"rtol": "big"}, TypeError, r"rtol must be a real number"),
        (square, [1.0], {"rtol": -1e-3}, ValueError, r"rtol must be a finite number >= 0"),
    ],
)
def test_bad_input_gets_a_clear_error(f, inputs, kwargs, error, pattern):
    """Each malformed argument raises the documented error naming the argument and value."""
    with pytest.raises(error, match=pattern):
        gradcheck(f, inputs, **kwargs)


def test_large_inputs_divide_by_the_step_really_taken():
    """d(a*1)/da = 1 passes at a = 1e9, where x +- eps is rounded to the float grid."""
    assert gradcheck(lambda a: a * 1.0, [1e9])
    assert gradcheck(lambda a: a * a, [3e7], check_second_order=True)


@pytest.mark.parametrize(
    ("x", "h"),
    [(0.5, 0.1), (-0.5, 0.1), (1.0, 0.1), (-1.0, 0.1), (2.0, 0.2), (-2.0, 0.2)],
)
def test_the_step_is_eps_times_max_of_1_and_abs_x(x, h):
    """For x^3 the central difference is exactly 3x^2 + h^2, which shows the step h taken.

    ((x+h)^3 - (x-h)^3) / 2h = (6x^2 h + 2h^3) / 2h; with eps = 0.1, h = 0.1 for |x| <= 1
    and 0.1 |x| beyond, on both sides of x = 0 and of |x| = 1.
    """
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a * a * a, [x], eps=0.1, atol=0.0, rtol=0.0)
    [(analytic, numeric, _, _)] = failures(str(info.value))
    assert analytic == 3 * x * x
    assert numeric == pytest.approx(3 * x * x + h * h, rel=1e-14)


def test_a_difference_is_divided_by_the_step_really_taken_not_2h():
    """At x = 1 with eps = 3e-16 the rounded step is 5.55e-16, not 2h = 6e-16 (8% less).

    x + h rounds to 1 + 2**-52 and x - h to 1 - 3 * 2**-53, so (x+h) - (x-h) = 5 * 2**-53;
    dividing by it gives the exact slope 1 of a linear function, dividing by 2h gives 0.925.
    """
    assert (1.0 + 3e-16) - (1.0 - 3e-16) == 5 * 2.0**-53
    assert gradcheck(lambda a: a * 1.0, [1.0], eps=3e-16, atol=0.0, rtol=1e-15)
    assert gradcheck(lambda a: a * a, [1.0], eps=3e-16, check_second_order=True)


# The identity and its negative with slopes 1.5 and -1.5: analytic off by exactly 0.5 from
# the numeric slope, which is exactly 1 (or -1): the difference and the step taken are
# the same float subtraction, so they divide to exactly 1.
HALF_OFF = Op("half_off", lambda a: a, lambda g, out, a: (1.5 * g,))
NEG_HALF_OFF = Op("neg_half_off", lambda a: -a, lambda g, out, a: (-1.5 * g,))


@pytest.mark.parametrize("op", [HALF_OFF, NEG_HALF_OFF], ids=str)
@pytest.mark.parametrize(
    ("atol", "rtol", "passes"),
    [
        (0.5, 0.0, True),  # |difference| = 0.5 = atol: passes (<=)
        (math.nextafter(0.5, 0.0), 0.0, False),
        (0.0, 0.5, True),  # rtol * |numeric| = 0.5 * |+-1|
        (0.0, math.nextafter(0.5, 0.0), False),
        (0.25, 0.25, True),  # atol + rtol * |numeric| = 0.5
        (0.25, 0.2499999, False),
    ],
)
def test_tolerance_edge_on_both_sides(op, atol, rtol, passes):
    """A difference of exactly atol + rtol * |numeric| passes; a hair less tolerance fails."""

    def f(x):
        return apply_op(op, x)

    if passes:
        assert gradcheck(f, [1.0], atol=atol, rtol=rtol) is True
    else:
        with pytest.raises(GradcheckError) as info:
            gradcheck(f, [1.0], atol=atol, rtol=rtol)
        [(analytic, numeric, difference, _)] = failures(str(info.value))
        assert (abs(analytic), abs(numeric), difference) == (1.5, 1.0, 0.5)
