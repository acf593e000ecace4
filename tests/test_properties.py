"""Random expression graphs (autograd_engine.testing.expressions) against finite differences.

The oracle is ``gradcheck``'s central differences; the other properties are
identities of calculus (Schwarz symmetry) and of the engine's contract (grad is
pure, backward accumulates).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from hypothesis import given

from autograd_engine import Value, grad, gradcheck, hessian
from autograd_engine.core.ops import SOFTPLUS_THRESHOLD
from autograd_engine.testing import (
    BOUND,
    KINDS,
    RELU_MARGIN,
    Expression,
    expressions,
    float_backend,
)


@given(expressions())
def test_random_graphs_pass_gradcheck(expr):
    """backward through any drawn graph matches central differences at its point."""
    assert gradcheck(expr, expr.inputs) is True


@given(expressions(max_inputs=3, max_instructions=8))
def test_random_graphs_pass_second_order_gradcheck(expr):
    """Double backward through any drawn graph matches differences of its gradient."""
    assert gradcheck(expr, expr.inputs, check_second_order=True) is True


@given(expressions(min_inputs=2, max_inputs=3, max_instructions=8))
def test_hessian_is_symmetric(expr):
    """d2f/dxi dxj = d2f/dxj dxi (Schwarz) for the double-backward Hessian."""
    xs = [Value(x) for x in expr.inputs]
    h = hessian(expr(*xs), xs)
    for i in range(len(xs)):
        for j in range(i):
            assert h[i][j] == pytest.approx(h[j][i], rel=1e-9, abs=1e-9)


@given(expressions())
def test_backward_accumulates_what_grad_returns(expr):
    """backward() fills .grad with grad()'s values, and a second call adds them again."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    pure = [g.data for g in grad(out, xs)]
    assert all(x.grad == 0.0 for x in xs)  # grad touched no .grad
    out.backward()
    assert [x.grad for x in xs] == pure
    out.backward()
    assert [x.grad for x in xs] == [2 * g for g in pure]


@given(expressions())
def test_values_compute_what_floats_compute(expr):
    """The graph built on Values has the data of the same program run on floats."""
    on_values = expr(*[Value(x) for x in expr.inputs]).data
    on_floats = expr.replay(expr.inputs, float_backend())
    # Values divide as a * b**-1, floats as a / b: equal up to rounding.
    assert on_values == pytest.approx(on_floats, rel=1e-9, abs=1e-12)


@given(expressions())
def test_drawn_graphs_stay_bounded_and_clear_of_the_kinks(expr):
    """Every intermediate is within BOUND; relu, abs, leaky_relu, softplus clear of their kinks."""
    kink_distances = []
    floats = float_backend()

    def recording(name, kink):
        def f(x, *rest):
            kink_distances.append(x - kink)
            return getattr(floats, name)(x, *rest)

        return f

    kinks = {"relu": 0.0, "abs": 0.0, "leaky_relu": 0.0, "softplus": SOFTPLUS_THRESHOLD}
    backend = SimpleNamespace(
        **{**vars(floats), **{name: recording(name, k) for name, k in kinks.items()}}
    )
    registers = expr.trace(expr.inputs, backend)
    assert all(math.isfinite(r) for r in registers)
    # The final sum of otherwise unread results may be up to len * BOUND.
    assert all(abs(r) <= BOUND for r in registers[:-1])
    assert all(abs(d) >= RELU_MARGIN for d in kink_distances)
    assert {step.kind for step in expr.instructions} <= set(KINDS)


def test_expression_example_from_the_docstring():
    """A hand-written program: v2 = v0 * v1, v3 = tanh(v2) has dv3/dv0 = v1 (1 - tanh^2)."""
    from autograd_engine.testing import Instruction

    expr = Expression(2, (Instruction("mul", (0, 1)), Instruction("tanh", (2,))), (0.5, 2.0))
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    t = math.tanh(1.0)
    assert out.data == pytest.approx(t, rel=1e-15)
    assert [g.data for g in grad(out, xs)] == pytest.approx([2.0 * (1 - t * t), 0.5 * (1 - t * t)])
    assert str(expr).splitlines()[1:] == ["v2 = v0 * v1", "v3 = tanh(v2)"]
