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

from contextlib import nullcontext
from typing import Any

from hypothesis import given, settings

from autograd_engine import Value, grad
from autograd_engine.core import graph
from autograd_engine.core.mode import enable_grad
from autograd_engine.core.value import Constant
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
