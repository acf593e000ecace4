"""Every op of the table is known everywhere an op must be known.

Adding a row to ``ops.ALL_OPS`` is one row plus one entry per place that must know
it: its ``DOMAINS`` strategy, an instruction kind of the random graphs on every
backend (Values, floats, PyTorch), the PyTorch op table of the cross-check, its
symbol in the drawings. Each test below is parametrized over ``ALL_OPS``, so a place
that misses an op fails a test whose id names the op.
"""

from __future__ import annotations

import importlib.util
import math
import xml.etree.ElementTree as ET

import pytest

from autograd_engine import ALL_OPS, Op, Value, draw_dot, topological_order
from autograd_engine.pictures.layout import find_dot
from autograd_engine.pictures.viz import render_svg
from autograd_engine.testing import (
    DOMAINS,
    KINDS,
    TORCH_OP_NAMES,
    Expression,
    Instruction,
    apply_op,
    float_backend,
    torch_backend,
    value_backend,
)

POINT = (0.7, -0.4)  # inside every template's domain; no kink or threshold nearby
CONSTS = {  # a valid constant per kind that has one; other kinds ignore it
    "scale": 1.5,
    "shift": 0.5,
    "pow": 2.0,
    "pow_pos": 0.5,
    "rpow": 2.0,
    "relu": 0.1,
    "abs": 0.1,
    "leaky_relu": 0.2,
    "softplus": 1.0,
    "sqrt": 0.5,
    "log1p": 0.5,
}


def single_step(kind: str) -> Expression:
    """A two-input program of one instruction of ``kind`` on both inputs."""
    from autograd_engine.testing import TEMPLATES

    arity = TEMPLATES[kind][1]
    args = (0, 1, 1, 0) if kind == "dot" else (0, 1) if arity is None else (0, 1)[:arity]
    return Expression(2, (Instruction(kind, args, CONSTS.get(kind, 0.0)),), POINT)


def ops_used_by(kind: str) -> set[str]:
    """The ops of the graph a ``kind`` instruction builds on Values."""
    out = single_step(kind)(*[Value(x) for x in POINT])
    return {str(node.op) for node in topological_order(out) if node.op}


KINDS_OF_OP = {str(op): [k for k in KINDS if str(op) in ops_used_by(k)] for op in ALL_OPS}


def op_id(op: Op) -> str:
    return str(op)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
def test_every_op_has_a_domain(op):
    """DOMAINS has a strategy for the op."""
    assert str(op) in DOMAINS, f"{op}: no entry in autograd_engine.testing.DOMAINS"


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
def test_every_op_is_used_by_the_random_graphs(op):
    """Some instruction kind of expressions() builds a node of the op on Values."""
    assert KINDS_OF_OP[str(op)], f"{op}: no instruction kind of expressions() uses it"


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
def test_every_backend_replays_the_op(op):
    """Each kind using the op gives the Value result when replayed on floats."""
    for kind in KINDS_OF_OP[str(op)]:
        expr = single_step(kind)
        on_values = expr(*[Value(x) for x in POINT]).data
        on_floats = expr.replay(POINT, float_backend())
        assert on_floats == pytest.approx(on_values, rel=1e-12), f"{op} ({kind}) on floats"


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
def test_every_backend_replays_the_op_on_torch(op):
    """Each kind using the op gives the Value result when replayed on torch tensors."""
    torch = pytest.importorskip("torch")
    for kind in KINDS_OF_OP[str(op)]:
        expr = single_step(kind)
        on_values = expr(*[Value(x) for x in POINT]).data
        xs = [torch.tensor(x, dtype=torch.float64) for x in POINT]
        on_torch = expr.replay(xs, torch_backend()).item()
        assert on_torch == pytest.approx(on_values, rel=1e-12), f"{op} ({kind}) on torch"


def test_the_backends_have_the_same_functions():
    """Values, floats and torch offer the same backend functions (none is missing one)."""
    names = set(vars(value_backend()))
    assert set(vars(float_backend())) == names
    assert {"sin", "cos", "tan", "sqrt", "abs", "leaky_relu", "softplus"} <= names
    if importlib.util.find_spec("torch") is not None:
        assert set(vars(torch_backend())) == names


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
def test_every_op_has_a_torch_counterpart(op):
    """The cross-check's PyTorch table (testing.torch_ops) maps the op."""
    assert str(op) in TORCH_OP_NAMES, f"{op}: missing from autograd_engine.testing._TORCH_OPS"


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@pytest.mark.skipif(find_dot() is None, reason="needs Graphviz's dot or graphviz-pure")
def test_every_op_is_drawn_with_its_symbol(op):
    """draw_dot shows a node of the op as its symbol."""
    assert op.symbol, f"{op}: empty symbol"
    xs = [2.0] * (4 if op == "dot" else 2 if op in ("sum", "add", "mul", "div") else 1)
    if op in ("pow", "powv", "rpow", "leaky_relu"):
        xs = [2.0, 0.5]
    node = apply_op(op, *xs)
    assert math.isfinite(node.data)
    svg = ET.fromstring(render_svg(draw_dot(node)))
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert op.symbol in texts, f"{op}: symbol {op.symbol!r} not in the drawing {texts}"
