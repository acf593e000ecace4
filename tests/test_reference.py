"""The fast sweep against the textbook backward, bit for bit, on random graphs of every op.

``textbook_grads`` is backpropagation as a textbook (and micrograd) writes it: a
topological order by recursion, then one dict of gradients filled from the root back,
each node passing ``op.vjp``'s terms to its parents. The engine's sweep keeps its scratch
on the nodes instead and decodes inputs from slots; this file holds it to the plain
version: every gradient equal as a float (``float.hex``), with and without
``create_graph``, through ``backward``, ``grad`` and the plain sweep that concurrent or
nested sweeps take.
"""

from __future__ import annotations

import gc
from collections import Counter
from contextlib import nullcontext
from typing import Any

import pytest
from hypothesis import given, settings

from autograd_engine import Value, grad
from autograd_engine.core import graph
from autograd_engine.core.mode import enable_grad
from autograd_engine.core.ops import ADD, MUL, Op
from autograd_engine.core.value import Constant, apply_op
from autograd_engine.testing import KINDS, expressions


def textbook_grads(root: Value, seed: Any = 1.0, create_graph: bool = False) -> dict[Value, Any]:
    """{node: d root / d node} for every Value reachable (constants get none)."""
    order: list[Value] = []
    seen: set[Value] = set()

    def visit(node: Value) -> None:
        seen.add(node)
        for parent in node.parents:
            if parent not in seen and not isinstance(parent, Constant):
                visit(parent)
        order.append(node)

    visit(root)
    grads: dict[Value, Any] = {root: seed}
    with enable_grad() if create_graph else nullcontext():
        for node in reversed(order):
            if not node.parents:
                continue
            if create_graph:
                terms = node.op.vjp(grads[node], node, *node.parents)
            else:
                terms = node.op.vjp(grads[node], node.data, *[p.data for p in node.parents])
            for parent, term in zip(node.parents, terms, strict=True):
                if isinstance(parent, Constant):
                    continue
                grads[parent] = term if parent not in grads else grads[parent] + term
    return grads


def bits(x: Any) -> str:
    return float(x.data if isinstance(x, Value) else x).hex()


def test_every_op_appears_in_the_random_graphs():
    assert {"add", "mul", "div", "exp", "log", "relu", "sum", "dot", "pow"} <= set(KINDS)


@settings(max_examples=300, deadline=None)
@given(expressions(max_instructions=14))
def test_backward_equals_the_textbook_bit_for_bit(expr):
    """Whether the textbook (which reads parents) runs before or after backward."""
    for textbook_first in (False, True):
        xs = [Value(x) for x in expr.inputs]
        y = expr(*xs)
        if textbook_first:
            theirs = textbook_grads(y)
            y.backward()
        else:
            y.backward()
            theirs = textbook_grads(y)
        order = graph.sweep_order(y)
        assert set(order) == set(theirs)
        # backward adds to .grad, which starts at 0.0 (so a -0.0 gradient reads 0.0)
        assert [bits(n.grad) for n in order] == [bits(0.0 + theirs[n]) for n in order]
        ours = graph.backprop(y, 1.0)[1]
        assert [bits(ours[n]) for n in order] == [bits(theirs[n]) for n in order]


@settings(max_examples=200, deadline=None)
@given(expressions(max_inputs=3, max_instructions=10))
def test_grad_with_create_graph_equals_the_textbook_bit_for_bit(expr):
    xs = [Value(x) for x in expr.inputs]
    y = expr(*xs)
    first = grad(y, xs, create_graph=True)
    theirs = textbook_grads(y, Value(1.0), create_graph=True)
    for x, d in zip(xs, first):
        assert bits(d) == bits(theirs.get(x, 0.0))
    # and once more: d/dx0 of each first derivative (a Hessian row by double backward)
    for d in first:
        again = grad(d, xs[:1])[0]
        reference = textbook_grads(d).get(xs[0], 0.0)
        assert bits(again) == bits(reference)


@settings(max_examples=150, deadline=None)
@given(expressions(max_instructions=12))
def test_the_plain_sweep_that_nested_sweeps_take_equals_the_fast_one(expr):
    xs = [Value(x) for x in expr.inputs]
    y = expr(*xs)
    fast_order, fast = graph.backprop(y, 1.0)
    holder = graph._take_permit()  # as a sweep running in another thread would hold it
    assert holder is not None
    try:
        plain_order, plain = graph.backprop(y, 1.0)
        assert graph._take_permit() is None
    finally:
        del holder
    assert plain_order == fast_order
    assert [bits(plain[n]) for n in plain_order] == [bits(fast[n]) for n in fast_order]


def test_the_fast_sweep_calls_each_vjp_once_and_adds_and_multiplies_inline(monkeypatch):
    """backward and grad call each node's vjp exactly once (the fast sweep runs to its end;
    a fall back to the plain sweep would call some twice) and ADD's and MUL's never (the
    fast sweep writes them inline), on a graph of every node shape the fast sweep decodes:
    unary, binary and three-input nodes (whose vjp returns a list or a tuple), with Values
    and constants in every slot, fan-out."""
    gc.collect()  # a traceback in a cycle (an earlier test's error) may hold a backward's permit
    assert len(graph._permits) == 1
    calls: Counter[str] = Counter()

    def counted(name: str, vjp: Any) -> Any:
        def vjp_counted(*args: Any) -> Any:
            calls[name] += 1
            return vjp(*args)

        return vjp_counted

    sq = Op("sq", lambda a: a * a, counted("sq", lambda g, out, a: (2.0 * a * g,)))
    bi = Op("bi", lambda a, b: a * b + a, counted("bi", lambda g, out, a, b: (g * (b + 1), g * a)))
    tri = Op(
        "tri",
        lambda a, b, c: a * b * c,
        counted("tri", lambda g, out, a, b, c: [g * b * c, g * a * c, g * a * b]),  # a list
    )
    tup = Op(
        "tup",
        lambda a, b, c: a + b + c,
        counted("tup", lambda g, out, a, b, c: (g, g, g)),  # a tuple
    )
    monkeypatch.setattr(ADD, "vjp", counted("add", ADD.vjp))
    monkeypatch.setattr(MUL, "vjp", counted("mul", MUL.vjp))
    x, y, z = Value(0.5), Value(-1.5), Value(2.0)
    t = x * y + apply_op(MUL, 3.0, x)  # MUL of two Values, MUL and ADD with a constant first
    s = apply_op(ADD, 1.0, z)
    u = apply_op(tup, x, 0.5, s)  # reached after root's ADD: x's sum grows inside a tuple node
    b1, b2, b3 = apply_op(bi, t, y * 0.25), apply_op(bi, 2.0, u), apply_op(bi, s, 0.5)
    v = apply_op(tri, apply_op(sq, b1), 2.0, b2)
    root = apply_op(sq, apply_op(tri, v, b3, apply_op(sq, 2.0)) + x)  # x used three times
    once = {"sq": 3, "bi": 3, "tri": 2, "tup": 1}
    calls.clear()
    root.backward()
    assert calls == once
    calls.clear()
    grads = grad(root, [x, y, z])
    assert calls == once
    theirs = textbook_grads(root)
    assert [bits(p.grad) for p in (x, y, z)] == [bits(theirs[p]) for p in (x, y, z)]
    assert [bits(d) for d in grads] == [bits(theirs[p]) for p in (x, y, z)]


@pytest.mark.parametrize("kind", [tuple, list])
def test_the_fast_sweep_takes_the_terms_of_an_op_of_300_inputs_calling_its_vjp_once(kind):
    """Lengths compared by value in the fast sweep too: an op of 300 inputs (beyond the
    ints CPython shares) whose vjp returns 300 terms, as a tuple or a list, is swept
    without falling back (its vjp called once by backward, once by grad), and by the
    plain sweep too (grad with create_graph). The op is
    sum_i c_i x_i with c_i = i + 1, so d/dx_i = i + 1, times the seed 2 of the square."""
    gc.collect()  # as above: the permit back from any earlier error's traceback
    assert len(graph._permits) == 1
    calls = Counter[str]()

    def vjp(g: float, out: float, *xs: float) -> Any:
        calls["wide"] += 1
        return kind(g * (i + 1) for i in range(len(xs)))

    wide = Op("wide", lambda *xs: sum((i + 1) * x for i, x in enumerate(xs)), vjp)
    xs = [Value(0.5) for _ in range(300)]
    root = apply_op(wide, *xs) * 2.0
    root.backward()
    assert calls["wide"] == 1
    assert [x.grad for x in xs] == [2.0 * (i + 1) for i in range(300)]
    grads = grad(root, xs)
    assert calls["wide"] == 2
    assert [d.data for d in grads] == [2.0 * (i + 1) for i in range(300)]
    grads = grad(root, xs, create_graph=True)  # the plain sweep, on Values
    assert calls["wide"] == 3
    assert [d.data for d in grads] == [2.0 * (i + 1) for i in range(300)]


@settings(max_examples=100, deadline=None)
@given(expressions(max_instructions=12))
def test_backward_while_another_sweep_holds_the_permit_equals_the_fast_one(expr):
    """backward takes the plain sweep when the fast one's permit is held: the same .grad."""
    gc.collect()  # as above: the permit back from any earlier error's traceback
    xs = [Value(x) for x in expr.inputs]
    y = expr(*xs)
    y.backward()
    fast = [bits(x.grad) for x in xs]
    for x in xs:
        x.grad = 0.0
    holder = graph._take_permit()  # as a sweep running in another thread would hold it
    assert holder is not None
    try:
        y.backward()
    finally:
        del holder
    assert [bits(x.grad) for x in xs] == fast
