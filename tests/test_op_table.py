"""Every op of the table is known everywhere an op must be known.

Adding an op is one row of ``ops.py``: ``ALL_OPS`` and ``ops.__all__`` are collected from
the rows, and the tables of ``autograd_engine.testing`` (``DOMAINS``, the backends,
``torch_ops``, ``TEMPLATES``) and the Value methods that value.py does not write are made
from them. The tests below are parametrized over the rows (found by reading the engine's
source, not through ``ALL_OPS``), so a row that misses a place, or a place that misses a
row, fails a test whose id names the op.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import math
import operator
import pathlib
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_engine
from autograd_engine import ALL_OPS, Op, Value, draw_dot, topological_order
from autograd_engine.core import ops
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


def rows_in_the_source() -> list[tuple[str, str]]:
    """(module, NAME) for every module-level ``NAME = Op(...)`` of the engine's source."""
    root = pathlib.Path(autograd_engine.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text("utf-8")).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if not isinstance(value, ast.Call):
                continue
            called = value.func
            name = called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if name == "Op":
                found += [(module, t.id) for t in targets if isinstance(t, ast.Name)]
    return found


ROWS = rows_in_the_source()


def row_of(module: str, name: str) -> Op:
    row = getattr(importlib.import_module(module), name)
    assert isinstance(row, Op), f"{module}.{name} is not an Op"
    return row


def test_the_source_scan_finds_the_rows():
    """The scan of the source sees the rows (a scan that found nothing would prove nothing)."""
    assert (ops.__name__, "TANH") in ROWS
    assert (ops.__name__, "DOT") in ROWS
    assert len(ROWS) >= 22


@pytest.mark.parametrize(("module", "name"), ROWS, ids=[n.lower() for _, n in ROWS])
def test_every_op_the_engine_defines_is_in_all_ops_and_exported(module, name):
    """Each ``NAME = Op(...)`` of the engine is in ALL_OPS (by identity) and in ops.__all__."""
    row = row_of(module, name)
    assert module == ops.__name__, f"{row}: defined in {module}; the rows live in ops.py"
    assert any(row is known for known in ALL_OPS), f"{row}: missing from ALL_OPS"
    assert name in ops.__all__, f"{row}: {name} missing from ops.__all__"
    assert getattr(ops, name) is row


def test_the_table_has_no_other_op_and_no_name_twice():
    """ALL_OPS holds the rows and nothing else; names are unique (pickling goes by name)."""
    assert sorted(str(op) for op in ALL_OPS) == sorted(str(row_of(*r)) for r in ROWS)
    assert len({str(op) for op in ALL_OPS}) == len(ALL_OPS)


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_op_has_the_players_text(op, data):
    """The row says each local derivative for the player (never the generic fallback)."""
    assert op.derivative is not None, f"{op}: no derivative text in its row"
    xs = data.draw(DOMAINS[str(op)])
    names = [f"x{j}" for j in range(len(xs))]
    for j in range(len(xs)):
        text = ops.derivative_text(op, j, names)
        assert text and text != "local derivative", f"{op}: no text for input {j}"


# The ops written with Python's operators: everything else is a Value method.
BINARY = {"+": operator.add, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_every_op_is_a_value_method_or_operator(op, data):
    """The op's Value method (or its operator) builds a node of that very row."""
    xs = data.draw(DOMAINS[str(op)])
    args = [x if i in op.constants else Value(x) for i, x in enumerate(xs)]
    if op.method:
        method = getattr(Value, str(op), None)
        assert method is not None, f"{op}: Value has no method {str(op)!r}"
        if str(op) == "dot":
            node = Value.dot(args[: len(args) // 2], args[len(args) // 2 :])
        elif str(op) == "sum":
            node = Value.sum(args)
        else:
            node = getattr(args[0], str(op))(*args[1:])
    else:
        assert op.symbol in BINARY, f"{op}: neither a Value method (method=True) nor an operator"
        node = BINARY[op.symbol](*args)
    assert node.op is op, f"{op}: Value's {str(op) if op.method else op.symbol} built {node.op!r}"


@pytest.mark.parametrize("op", ALL_OPS, ids=op_id)
def test_every_op_has_a_domain(op):
    """DOMAINS has a strategy for the op."""
    assert op.samples is not None, f"{op}: no samples in its row"
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
    assert op.torch is not None, f"{op}: no torch counterpart in its row"
    assert str(op) in TORCH_OP_NAMES, f"{op}: missing from autograd_engine.testing.torch_ops"


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


def test_every_step_kind_is_named_once():
    """No row's replay step shares its kind with another step (one would hide the other)."""
    from autograd_engine.testing import _COMPOSITES

    kinds = [r.kind for op in ALL_OPS for r in op.replays] + [r.kind for r in _COMPOSITES]
    assert sorted(kinds) == sorted(KINDS), "a step kind is named twice"


def test_a_row_without_a_written_method_gets_one_made_from_the_row():
    """value.py's method maker: x.square() builds the row's node, with its value and grad."""
    from autograd_engine.core.value import _method_of

    square = Op(
        "square",
        lambda a: a * a,
        lambda g, out, a: (g * 2.0 * a,),
        derivative=lambda j, n: "2z",
        method=True,
    )
    method = _method_of(square)
    x = Value(3.0)
    y = method(x)
    y.backward()
    assert (y.op, y.data, x.grad) == (square, 9.0, 6.0)  # d(x^2)/dx = 2x = 6 at 3
    assert method.__name__ == "square" and "2z" in method.__doc__


def test_a_made_method_passes_the_rows_constants():
    """x.scaled(k) for a row with a constant input k: k * x, gradient k, k stays a number."""
    from autograd_engine.core.value import _method_of

    scaled = Op(
        "scaled", lambda a, k: a * k, lambda g, out, a, k: (g * k, 0.0), constants=(1,), method=True
    )
    x = Value(3.0)
    y = _method_of(scaled)(x, 2.5)
    y.backward()
    assert (y.data, x.grad) == (7.5, 2.5)
    with pytest.raises(TypeError, match="constant"):
        _method_of(scaled)(x, Value(2.5))
