"""The same expressions in PyTorch (float64): values, gradients and Hessians agree.

Four fixed programs have PyTorch's numbers recorded below (torch 2.13.0, CPU,
float64: ``Expression.replay`` on tensors, ``torch.autograd.grad`` with
``create_graph=True`` for the Hessian), so they are checked even without torch.
The live tests, on the fixed programs, on random graphs and on every op of the
table at points of its domain, skip when torch is not installed
(``pip install torch==2.13.0``).
"""

from __future__ import annotations

import importlib.util
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_engine import ALL_OPS, Value, grad, hessian
from autograd_engine.testing import (
    DOMAINS,
    Expression,
    apply_op,
    expressions,
    float_backend,
    torch_backend,
    torch_ops,
)
from autograd_engine.testing import Instruction as I

FIXED = {
    # log(1 + sigmoid(v0 v2 + v1 v2)^2): a fused dot with a shared input.
    "neuron": Expression(
        3,
        (I("dot", (0, 1, 2, 2)), I("sigmoid", (3,)), I("log", (4,))),
        (0.5, -1.5, 2.0),
    ),
    # v2 = v0 v1 read four times; powv, relu, exp, div and an n-ary sum.
    "shared": Expression(
        2,
        (
            I("mul", (0, 1)),
            I("exp", (2,)),
            I("div", (3, 2)),
            I("powv", (4, 0)),
            I("relu", (5,), -0.25),
            I("sum", (6, 2, 2, 0)),
        ),
        (0.7, -0.4),
    ),
    # 1.5 tanh(v0^3 - (1 + v1^2)^-1.5) + v0 with a negative base.
    "powers": Expression(
        2,
        (
            I("pow", (0,), 3.0),
            I("pow_pos", (1,), -1.5),
            I("sub", (2, 3)),
            I("tanh", (4,)),
            I("scale", (5,), 1.5),
            I("add", (6, 0)),
        ),
        (-1.2, 0.8),
    ),
    # The newer rows: sin cos tan sqrt abs leaky_relu softplus (both sides of 20) log1p expm1.
    "newer": Expression(
        2,
        (
            I("sin", (0,)),
            I("cos", (1,)),
            I("mul", (2, 3)),
            I("tan", (4,)),
            I("sqrt", (5,), 0.5),
            I("abs", (3,), -0.75),
            I("sub", (3, 0)),
            I("leaky_relu", (8,), 0.2),
            I("softplus", (0,), 0.5),
            I("softplus", (1,), 19.0),
            I("log1p", (3,), 0.3),
            I("expm1", (9,)),
            I("sum", (6, 7, 10, 11, 12, 13, 2)),
        ),
        (0.9, 1.3),
    ),
}

# name -> (value, gradient, Hessian) as computed by PyTorch.
RECORDED = {
    "neuron": (
        0.014109330231311138,
        [0.04936078468929788, 0.04936078468929788, -0.024680392344648937],
        [
            [0.15970295308243487, 0.15970295308243487, -0.05517108419656849],
            [0.15970295308243487, 0.15970295308243487, -0.05517108419656849],
            [-0.05517108419656849, -0.05517108419656849, 0.03992573827060872],
        ],
    ),
    "shared": (
        1.2127257773798832,
        [0.3578282802136661, 2.048698620635503],
        [[-0.8928099387334902, 3.6727766832199364], [3.6727766832199364, 0.769727644884513]],
    ),
    "powers": (
        -2.6639110779662536,
        [1.3080573447261248, 0.049687762743834324],
        [[2.084149995381358, 0.41897356600353386], [0.41897356600353386, 0.008497908035617101]],
    ),
    "newer": (
        4.04646612512235,
        [1.297614216274564, 0.8984019534349366],
        [[-0.6114173661551406, -0.3326993414035575], [-0.3326993414035576, 2.8107203304348136]],
    ),
}

# Both sides compute in float64 with the same formulas; operation order and library
# kernels (tanh, sigmoid, pow) differ by a few ulps, amplified through the graph.
REL, ABS = 1e-9, 1e-12


def engine(expr: Expression) -> tuple[float, list[float], list[list[float]]]:
    """Value, gradient and Hessian of ``expr`` at its point, by this engine."""
    xs = [Value(x) for x in expr.inputs]
    out = expr(*xs)
    return out.data, [g.data for g in grad(out, xs)], hessian(out, xs)


def by_torch(torch, expr: Expression) -> tuple[float, list[float], list[list[float]]]:
    """Value, gradient and Hessian of ``expr`` at its point, by PyTorch autograd."""
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in expr.inputs]
    out = expr.replay(xs, torch_backend())
    first = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)
    gradient, rows = [], []
    for g in first:
        if g is None or not g.requires_grad:  # unused input, or a constant derivative
            gradient.append(0.0 if g is None else g.item())
            rows.append([0.0] * len(xs))
            continue
        gradient.append(g.item())
        second = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        rows.append([0.0 if h is None else h.item() for h in second])
    return out.item(), gradient, rows


def assert_agree(ours, theirs) -> None:
    """Values, gradients and Hessians equal to REL relative / ABS absolute."""
    value, gradient, hess = ours
    t_value, t_gradient, t_hess = theirs
    assert value == pytest.approx(t_value, rel=REL, abs=ABS)
    assert gradient == pytest.approx(t_gradient, rel=REL, abs=ABS)
    for row, t_row in zip(hess, t_hess, strict=True):
        assert row == pytest.approx(t_row, rel=REL, abs=ABS)


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs_match_recorded_torch_values(name):
    """Value, gradient and Hessian of each fixed program equal PyTorch's recorded numbers."""
    assert_agree(engine(FIXED[name]), RECORDED[name])


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed_programs_match_live_torch(name):
    """The recorded numbers are what the installed PyTorch computes today."""
    torch = pytest.importorskip("torch")
    assert_agree(by_torch(torch, FIXED[name]), RECORDED[name])


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@given(expressions())
def test_random_graphs_match_torch(expr):
    """Any drawn graph has the same value, gradient and Hessian in PyTorch float64."""
    import torch

    # PyTorch's pow backward masks the exponent == 0 case to a constant zero, so its
    # double backward misses d/db (b a**(b-1)) = a**(b-1) there (see the test below).
    registers = expr.trace(expr.inputs, float_backend())
    assume(all(registers[s.args[1]] != 0.0 for s in expr.instructions if s.kind == "powv"))
    assert_agree(engine(expr), by_torch(torch, expr))


def test_powv_hessian_at_a_zero_exponent():
    """(1 + y^2)^x at (0, 1) has H = [[ln(2)^2, 1], [1, 0]] by hand (torch gives H[1][0] = 0)."""
    # f_x = f ln(1+y^2), f_xx = f ln(1+y^2)^2 = ln(2)^2; f_xy = f_yx = 2y/(1+y^2) = 1 at x = 0;
    # f_y = x (1+y^2)^(x-1) 2y vanishes for all y at x = 0, so f_yy = 0.
    expr = Expression(2, (I("powv", (1, 0)),), (0.0, 1.0))
    _, _, hess = engine(expr)
    assert hess == [pytest.approx([math.log(2) ** 2, 1.0]), pytest.approx([1.0, 0.0])]


# One op at a time, both libraries compute the same formula: agreement to 1e-12 relative.
OP_REL, OP_ABS = 1e-12, 1e-13


@pytest.mark.parametrize("op", ALL_OPS, ids=str)
@given(data=st.data())
def test_every_op_matches_torch(op, data):
    """Each op's value, gradient and Hessian at points of its domain equal PyTorch's (1e-12)."""
    torch = pytest.importorskip("torch")
    xs = data.draw(DOMAINS[op])
    if op == "powv":  # torch's pow double backward misses a term at a zero exponent
        assume(xs[1] != 0.0)
    free = [i for i in range(len(xs)) if i not in op.constants]

    # This engine: the op applied to Values (numbers in the constant slots).
    leaves = [Value(xs[i]) for i in free]
    args = list(xs)
    for i, v in zip(free, leaves):
        args[i] = v
    out = apply_op(op, *args)
    gradient = [g.data for g in grad(out, leaves)]
    hess = hessian(out, leaves)

    # PyTorch: the same function of the same parents, float64, double backward.
    tensors = [torch.tensor(xs[i], dtype=torch.float64, requires_grad=True) for i in free]
    t_args = list(xs)
    for i, t in zip(free, tensors):
        t_args[i] = t
    t_out = torch_ops()[op](*t_args)
    first = torch.autograd.grad(t_out, tensors, create_graph=True)
    t_hess = []
    for g in first:
        if not g.requires_grad:  # a derivative that is a constant
            t_hess.append([0.0] * len(tensors))
            continue
        second = torch.autograd.grad(g, tensors, retain_graph=True, allow_unused=True)
        t_hess.append([0.0 if h is None else h.item() for h in second])

    assert out.data == pytest.approx(t_out.item(), rel=OP_REL, abs=OP_ABS)
    assert gradient == pytest.approx([g.item() for g in first], rel=OP_REL, abs=OP_ABS)
    for row, t_row in zip(hess, t_hess, strict=True):
        assert row == pytest.approx(t_row, rel=OP_REL, abs=OP_ABS)


@pytest.mark.parametrize(
    "x", [-800.0, -745.5, -40.0, -1e-8, 0.0, 3.0, 19.999, 20.0, 20.001, 35.0, 800.0, 1e308]
)
def test_softplus_matches_torch_everywhere(x):
    """softplus and its derivative equal torch's (beta=1, threshold=20), extremes included."""
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t_out = torch.nn.functional.softplus(t)
    (t_grad,) = torch.autograd.grad(t_out, [t])
    v = Value(x)
    out = v.softplus()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=0.0)
    assert grad(out, [v])[0].data == pytest.approx(t_grad.item(), rel=1e-12, abs=0.0)
