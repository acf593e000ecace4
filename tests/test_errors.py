"""Bad input gets a clear error naming the op, the operand and its label; nothing changes."""

from __future__ import annotations

import math

import pytest

from autograd_engine import Op, Value, grad, hessian, topological_order
from autograd_engine.value import apply_op


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1 + 2j, True])
def test_value_rejects_non_numbers(bad):
    """Value('a') and friends are TypeErrors naming the type."""
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_value_rejects_non_finite(bad):
    """Non-finite data is a ValueError naming the label."""
    with pytest.raises(ValueError, match="finite.*'x'"):
        Value(bad, label="x")


def test_label_must_be_a_string():
    """A non-str label is a TypeError."""
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize("t", [0.0, -1.0])
def test_log_of_non_positive(t):
    """log(0) and log(-1) are ValueErrors naming log, the label and the value."""
    x = Value(t, label="x")
    with pytest.raises(ValueError, match=rf"log.*x = {t!r}"):
        x.log()


def test_zero_to_negative_power():
    """0 ** -1 is a ZeroDivisionError naming pow and the operand."""
    x = Value(0.0, label="z")
    with pytest.raises(ZeroDivisionError, match=r"pow.*z = 0\.0"):
        x**-1
    with pytest.raises(ZeroDivisionError, match="powv"):
        x ** Value(-2.0)


def test_division_by_zero():
    """x / 0 and x / Value(0) are ZeroDivisionErrors naming div and the divisor."""
    x, zero = Value(1.0, label="x"), Value(0.0, label="d")
    with pytest.raises(ZeroDivisionError, match=r"div.*d = 0\.0"):
        x / zero
    with pytest.raises(ZeroDivisionError, match="div"):
        x / 0
    with pytest.raises(ZeroDivisionError, match="div"):
        1 / zero


def test_negative_base_with_value_exponent():
    """(-2) ** y for a Value y is a ValueError naming the base's label."""
    base, y = Value(-2.0, label="b"), Value(2.0, label="y")
    with pytest.raises(ValueError, match=r"powv.*b = -2\.0"):
        base**y
    with pytest.raises(ValueError, match="negative base"):
        (-2) ** y


def test_negative_base_with_fractional_constant_exponent():
    """(-8) ** 0.5 would be complex: a ValueError, while (-2) ** 3 is fine."""
    x = Value(-8.0, label="x")
    with pytest.raises(ValueError, match="integer exponent"):
        x**0.5
    assert (Value(-2.0) ** 3).data == -8.0


def test_overflow_is_an_error_not_inf():
    """exp(1000) and 1e308 * 10 raise OverflowError naming the op."""
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match="mul"):
        Value(1e308) * 10


def test_failed_op_changes_nothing():
    """A failing op leaves its operands' data, grad and graph as they were."""
    x = Value(-1.0, label="x")
    y = x * 2
    before = [(n.data, n.grad, n.parents) for n in topological_order(y)]
    with pytest.raises(ValueError):
        x.log()
    assert [(n.data, n.grad, n.parents) for n in topological_order(y)] == before


def test_unsupported_operand_is_type_error():
    """Value + 'a' is a TypeError (Python's 'unsupported operand' message)."""
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Value(1.0)
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) ** "a"
    with pytest.raises(TypeError, match="dot"):
        Value.dot([Value(1.0)], ["x"])


def test_sum_and_dot_reject_bad_shapes():
    """Empty sums and mismatched dot products are ValueErrors."""
    with pytest.raises(ValueError, match="sum"):
        Value.sum([])
    with pytest.raises(ValueError, match="equal length"):
        Value.dot([Value(1.0)], [Value(1.0), Value(2.0)])


def test_infinite_derivative_raises_in_backward_and_changes_no_grad():
    """sqrt at 0 has an infinite slope: backward raises naming pow and leaves .grad alone."""
    x = Value(0.0, label="x")
    y = x**0.5 + x
    with pytest.raises(ZeroDivisionError, match="backward through pow"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0


def test_overflowing_gradient_raises_and_changes_nothing():
    """Forward finite but dz/dx = 1e300 * 1e300 = inf: FloatingPointError, no .grad written."""
    x = Value(1e-300, label="x")
    y = x * 1e300  # 1.0
    z = y * 1e300  # 1e300, finite
    with pytest.raises(FloatingPointError, match="'x'.*not finite"):
        z.backward()
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0


def test_accumulated_gradient_overflow_raises_and_changes_nothing():
    """Adding a finite gradient to a .grad near the float limit would give inf: raise, keep all."""
    x = Value(2.0, label="x")
    y = x * 1e307
    x.grad = 1.79e308
    with pytest.raises(FloatingPointError, match="not finite"):
        y.backward()
    assert x.grad == 1.79e308 and y.grad == 0.0


def test_backward_rejects_bad_gradient():
    """backward(gradient=nan) and backward(gradient='a') are rejected."""
    x = Value(1.0)
    with pytest.raises(ValueError, match="finite"):
        x.backward(gradient=float("nan"))
    with pytest.raises(TypeError):
        x.backward(gradient="a")
    assert x.grad == 0.0


def test_grad_rejects_non_values():
    """grad and hessian need Value output and Value inputs."""
    x = Value(1.0)
    with pytest.raises(TypeError, match="output"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(x * x, [x, 2.0])
    with pytest.raises(TypeError):
        hessian(x * x, [3.0])


def test_non_finite_number_operand_names_the_op():
    """x * inf and x + 10**400 are ValueErrors naming the op, not silent infs."""
    x = Value(2.0, label="x")
    with pytest.raises(ValueError, match="mul: operand.*finite"):
        x * math.inf
    with pytest.raises(ValueError, match="add: operand.*finite"):
        x + 10**400
    with pytest.raises(ValueError, match="finite"):
        Value(10**400)


def test_custom_op_with_wrong_number_of_terms_is_an_error():
    """A vjp returning fewer terms than inputs raises TypeError naming the op, not a silent 0."""
    short = Op("short", lambda a, b: a * b, lambda g, out, a, b: (g * b,))
    x, z = Value(1.5), Value(2.0)
    y = apply_op(short, x, z)
    with pytest.raises(TypeError, match="short.*1 terms for 2 inputs"):
        grad(y, [x, z])
    with pytest.raises(TypeError, match="short"):
        y.backward()
    assert x.grad == 0.0 and z.grad == 0.0


def test_custom_op_must_return_a_float():
    """A forward returning a complex number is a TypeError, never stored as data."""
    root = Op("root", lambda a: a**0.5, lambda g, out, a: (g * 0.5 / out,))
    with pytest.raises(TypeError, match="root: forward must return a float"):
        apply_op(root, -4.0)


def test_grad_reports_a_non_finite_derivative():
    """grad() of a graph whose derivative overflows raises FloatingPointError naming the input."""
    x = Value(1e-300, label="x")
    z = x * 1e300 * 1e300
    with pytest.raises(FloatingPointError, match="inputs\\[0\\].*'x'"):
        grad(z, [x])
    with pytest.raises(TypeError, match="grad: inputs must be a list of Values"):
        grad(z, x)
