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

    Depth-first post-order (parents visited in argument order, so the order is the
    same on every run), without recursion: see ``_postorder``.
    """
    return list(_postorder(root))


def _postorder(root: Value) -> dict[Value, Any]:
    """The nodes of ``topological_order(root)`` as the keys of a dict, in order, values None.

    Two parallel stacks hold the path being explored: its nodes, and for each an
    iterator over the parents still to visit. A node is finished (entered in
    ``done``) once all its parents are. ``done`` alone tells what to skip: a parent
    that is started but unfinished lies on the current path, which would make a
    cycle, so in a graph "not done" means "not yet seen". A leaf is finished on the
    spot, without a stack entry. The dict then serves ``backprop`` as its table of
    gradients: one hash table for the whole backward pass.
    """
    done: dict[Value, Any] = {}
    path, pending = [root], [iter(root.parents)]
    while pending:
        for parent in pending[-1]:
            if parent not in done:
                if parent.parents:  # descend: its parents come first
                    path.append(parent)
                    pending.append(iter(parent.parents))
                    break
                done[parent] = None
        else:  # every parent of path[-1] is done: so is it
            pending.pop()
            done[path.pop()] = None
    return done


def backprop(
    root: Value, seed: Any, create_graph: bool = False
) -> tuple[list[Value], dict[Value, Any]]:
    """The reverse sweep: d root / d node for every node reachable from ``root``.

    Returns the topological order and a dict ``{node: gradient}`` in that order; it
    writes no ``.grad``. Walking the nodes from ``root`` back to the leaves, each node
    passes ``g * d node / d parent`` to every parent (the chain rule), and a parent
    that is reached along several paths sums what it receives, in the order it
    receives it (the multivariate chain rule). With ``create_graph`` the sweep runs
    on Values, so the gradients are themselves differentiable; otherwise on floats.
    """
    grads = _postorder(root)  # every value None: "nothing received yet"
    grads[root] = seed
    with _enable_grad() if create_graph else nullcontext():
        for node in reversed(grads):
            parents = node.parents
            if not parents:
                continue
            g = grads[node]  # complete: every child of node came before it
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
            try:
                count = len(terms)
            except TypeError:  # e.g. a bare number where a one-term tuple was meant
                count = -1
            if count != n:
                raise TypeError(
                    f"backward through {node.op}{_named(node)}: its vjp must return a sequence "
                    f"of {n} terms, one per input, got {type(terms).__name__} {terms!r}"
                )
            # Sum into each parent what it receives along this edge (the same loop as
            # below, unrolled for two parents because that is most of the work).
            if n == 2:
                a, b = parents
                ta, tb = terms
                previous = grads[a]
                grads[a] = ta if previous is None else previous + ta
                previous = grads[b]
                grads[b] = tb if previous is None else previous + tb
            else:
                for parent, term in zip(parents, terms):
                    previous = grads[parent]
                    grads[parent] = term if previous is None else previous + term
    return list(grads), grads


def accumulate(order: list[Value], grads: dict[Value, float]) -> None:
    """Add ``grads`` into each node's ``.grad``, or raise and change nothing.

    Raises ``FloatingPointError`` if any gradient, or any sum with the existing
    ``.grad``, is not finite; no ``.grad`` is written in that case. ``grads`` is
    used up: its values become the new totals, in place, because a second table
    of totals is what would push a 10-million-node chain past 4 GB.
    """
    for node, g in grads.items():
        grads[node] = node.grad + g
    # One C-speed screen: a sum is finite only if every term is (inf and nan
    # propagate). Only if it is not do we look for the culprit; a finite overflow
    # of the sum itself finds none and goes on.
    if not math.isfinite(sum(grads.values())):
        for node in order:
            if not math.isfinite(grads[node]):
                raise FloatingPointError(
                    f"backward: the gradient of node{_named(node)} (data={node.data!r}, "
                    f"op={node.op or 'leaf'!r}) is not finite ({grads[node]!r}); "
                    "no .grad was changed"
                )
    for node, total in grads.items():
        node.grad = total


def zero_grad(root: Value) -> None:
    """Set ``.grad = 0.0`` on every node reachable from ``root``."""
    for node in topological_order(root):
        node.grad = 0.0


def _named(node: Value) -> str:
    return f" (label {node.label!r})" if node.label else ""
