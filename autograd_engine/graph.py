"""Graph traversal: topological order, the backpropagation loop, zero_grad.

Everything here is iterative (an explicit stack, never recursion), so a chain of a
million nodes is as fine as a chain of ten. This module knows nodes only by their
attributes ``data``, ``grad``, ``op`` and ``parents``; it does no calculus itself:
each node's ``op.vjp`` (see ``ops.py``) supplies the local derivatives.
"""

from __future__ import annotations

import math
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from autograd_engine.mode import enable_grad as _enable_grad  # the name backprop uses
from autograd_engine.mode import is_grad_enabled, no_grad
from autograd_engine.validation import raise_as

if TYPE_CHECKING:
    from autograd_engine.value import Value

__all__ = ["topological_order", "backprop", "no_grad", "is_grad_enabled", "zero_grad"]


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents; ``root`` last.

    Depth-first post-order with an explicit stack of parent iterators. Parents are
    visited in argument order, so the order is the same on every run.
    """
    order = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, pending = stack[-1]
        for parent in pending:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def backprop(
    root: Value, seed: Any, create_graph: bool = False
) -> tuple[list[Value], dict[Value, Any]]:
    """The reverse sweep: d root / d node for every node reachable from ``root``.

    Returns the topological order and a dict ``{node: gradient}``; it writes no
    ``.grad``. Walking the nodes from ``root`` back to the leaves, each node passes
    ``g * d node / d parent`` to every parent (the chain rule), and a parent that
    is reached along several paths sums what it receives (the multivariate chain
    rule). With ``create_graph`` the sweep runs on Values, so the gradients are
    themselves differentiable; otherwise it runs on floats.
    """
    order = topological_order(root)
    grads: dict[Value, Any] = {root: seed}
    get = grads.get
    with _enable_grad() if create_graph else nullcontext():
        for node in reversed(order):
            parents = node.parents
            if not parents:
                continue
            g = grads[node]
            n = len(parents)
            try:
                if create_graph:
                    terms = node.op.vjp(g, node, *parents)
                elif n == 2:  # most nodes are binary: no list to build
                    terms = node.op.vjp(g, node.data, parents[0].data, parents[1].data)
                else:
                    terms = node.op.vjp(g, node.data, *[p.data for p in parents])
            except (ArithmeticError, ValueError) as error:
                raise_as(  # the same class (a custom one gets a note), chained to the original
                    error,
                    f"backward through {node.op}{_named(node)}: the local derivative "
                    f"is not finite at inputs {[p.data for p in parents]} ({error})",
                )
            if len(terms) != n:
                raise TypeError(
                    f"backward through {node.op}{_named(node)}: its vjp returned "
                    f"{len(terms)} terms for {n} inputs"
                )
            # Sum into each parent what it receives along this edge (the same loop as
            # below, unrolled for two parents because that is most of the work).
            if n == 2:
                a, b = parents
                previous = get(a)
                grads[a] = terms[0] if previous is None else previous + terms[0]
                previous = get(b)
                grads[b] = terms[1] if previous is None else previous + terms[1]
            else:
                for parent, term in zip(parents, terms):
                    previous = get(parent)
                    grads[parent] = term if previous is None else previous + term
    return order, grads


def accumulate(order: list[Value], grads: dict[Value, float]) -> None:
    """Add ``grads`` into each node's ``.grad``, or raise and change nothing.

    Raises ``FloatingPointError`` if any gradient, or any sum with the existing
    ``.grad``, is not finite; no ``.grad`` is written in that case.
    """
    totals = [node.grad + grads[node] for node in order]
    for node, total in zip(order, totals):
        if not math.isfinite(total):
            raise FloatingPointError(
                f"backward: the gradient of node{_named(node)} (data={node.data!r}, "
                f"op={node.op or 'leaf'!r}) is not finite ({total!r}); no .grad was changed"
            )
    for node, total in zip(order, totals):
        node.grad = total


def zero_grad(root: Value) -> None:
    """Set ``.grad = 0.0`` on every node reachable from ``root``."""
    for node in topological_order(root):
        node.grad = 0.0


def _named(node: Value) -> str:
    return f" (label {node.label!r})" if node.label else ""
