"""Forward mode: the directional derivative by one forward sweep over a recorded graph.

Reverse mode (``backward``, ``grad``) walks the graph from the output back to the
inputs and gives the derivative of ONE output with respect to EVERY input. Forward
mode walks it from the inputs to the outputs and gives the derivative of EVERY node
along ONE direction ``t`` of the inputs: the tangent

    tangent(node) = sum_i  d node / d parent_i * tangent(parent_i)

(the chain rule read forwards). The local partials ``d node / d parent_i`` come from
the op table itself: ``op.vjp(1, out, *parents)`` returns exactly them (an upstream
gradient of 1), so forward mode needs no calculus of its own.

A gradient of ``n`` inputs costs ``n`` forward sweeps (one per unit direction) but
one reverse sweep; a Jacobian of ``m`` outputs costs ``n`` forward sweeps or ``m``
reverse ones. Forward mode wins when there are fewer inputs than outputs
(notebook 07).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any

from autograd_engine.core.graph import topological_order
from autograd_engine.core.mode import enable_grad
from autograd_engine.core.value import Value
from autograd_engine.validation import check_bool, check_real, check_sequence, raise_as

__all__ = ["jvp"]


def jvp(
    root: Value | Sequence[Value],
    inputs: Iterable[Value],
    tangents: Iterable[float],
    create_graph: bool = False,
) -> Any:
    """Directional derivative sum_i d root / d inputs[i] * tangents[i], by one forward sweep.

    Equal to ``sum(t * g for t, g in zip(tangents, grad(root, inputs)))`` (a
    Jacobian-vector product, as ``torch.func.jvp``), computed forwards: every node
    in topological order gets the tangent ``sum_j d node / d parent_j *
    tangent(parent_j)``, the partials taken from its op's ``vjp`` with an upstream
    gradient of 1; each input adds its own tangent to what it receives. An input
    that ``root`` does not depend on contributes 0 (as an unused input of
    ``torch.func.jvp``); an input listed twice contributes both tangents.

    ``root`` may be a list of Values: the same single sweep then returns the list of
    their directional derivatives (a Jacobian column for a unit direction). Returns
    a float (a list of floats), or with ``create_graph=True`` a Value (list of
    Values) built from the same rules run on Values, so it can be differentiated
    again. Writes no ``.grad``. Raises TypeError/ValueError for bad arguments and
    FloatingPointError if a result is not finite.
    """
    roots = _check_roots(root)
    inputs = _check_inputs(inputs)
    tangents = _check_tangents(tangents, len(inputs))
    check_bool("jvp", "create_graph", create_graph)
    seeds: dict[Value, Any] = {}
    for x, tangent in zip(inputs, tangents):
        seeds[x] = seeds.get(x, 0.0) + tangent
    if create_graph:
        seeds = {x: Value(s) for x, s in seeds.items()}
    with enable_grad() if create_graph else nullcontext():
        known = _sweep(_order(roots), seeds, create_graph)
    results: list[Any] = []
    for k, r in enumerate(roots):
        t = known.get(r, 0.0)
        if create_graph and not isinstance(t, Value):
            t = Value(t)
        value = t.data if isinstance(t, Value) else t
        if not math.isfinite(value):
            where = f" of root[{k}]" if isinstance(root, Sequence) else ""
            raise FloatingPointError(f"jvp: the directional derivative{where} is not finite")
        results.append(t)
    return results if isinstance(root, Sequence) else results[0]


def _sweep(order: list[Value], seeds: dict[Value, Any], create_graph: bool) -> dict[Value, Any]:
    """Tangents of every node of ``order`` that depends on a seeded input: one forward pass."""
    known: dict[Value, Any] = {}
    get = known.get
    for node in order:
        parents = node.parents
        total = seeds.get(node)
        # A node none of whose parents carries a tangent does not depend on the inputs:
        # it gets no entry, and its local derivative is never computed.
        if parents and any(p in known for p in parents):
            try:
                if create_graph:
                    partials = node.op.vjp(1.0, node, *parents)
                else:
                    partials = node.op.vjp(1.0, node.data, *[p.data for p in parents])
            except (ArithmeticError, ValueError) as error:
                what = (
                    "the local derivative is not finite"
                    if isinstance(error, ArithmeticError)
                    else f"its vjp raised {type(error).__name__}"
                )
                raise_as(  # the same class (a custom one gets a note), chained
                    error,
                    f"jvp through {node.op}{_named(node)}: {what} at inputs "
                    f"{[p.data for p in parents]} ({error})",
                )
            if len(partials) != len(parents):
                raise TypeError(
                    f"jvp through {node.op}{_named(node)}: its vjp returned "
                    f"{len(partials)} terms for {len(parents)} inputs"
                )
            for parent, partial in zip(parents, partials):
                t = get(parent)
                if t is not None:
                    total = t * partial if total is None else total + t * partial
        if total is not None:
            known[node] = total
    return known


def _order(roots: list[Value]) -> list[Value]:
    """Every node reachable from any root, each after its parents (iterative)."""
    if len(roots) == 1:
        return topological_order(roots[0])
    order, seen = [], set()
    for r in roots:
        if r in seen:
            continue
        # Nodes already placed keep their (earlier) place; the rest follow their parents.
        for node in topological_order(r):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _check_roots(root: object) -> list[Value]:
    if isinstance(root, Value):
        return [root]
    if isinstance(root, Sequence) and not isinstance(root, str):
        roots = list(root)
        if not roots:
            raise ValueError("jvp: root must be a Value or a non-empty list of Values, got []")
        for k, r in enumerate(roots):
            if not isinstance(r, Value):
                raise TypeError(f"jvp: root[{k}] must be a Value, got {type(r).__name__}")
        return roots
    raise TypeError(f"jvp: root must be a Value or a list of Values, got {type(root).__name__}")


def _check_inputs(inputs: object) -> list[Value]:
    if isinstance(inputs, Value):
        raise TypeError("jvp: inputs must be a sequence of Values, e.g. [x], got one Value")
    if not isinstance(inputs, Iterable) or isinstance(inputs, str):
        raise TypeError(f"jvp: inputs must be a sequence of Values, got {type(inputs).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"jvp: inputs[{i}] must be a Value, got {type(x).__name__}")
    return inputs


def _check_tangents(tangents: object, n: int) -> list[float]:
    items = check_sequence("jvp", "tangents", tangents, what="numbers")
    if len(items) != n:
        raise ValueError(f"jvp: tangents must have one entry per input ({n}), got {len(items)}")
    return [check_real("jvp", f"tangents[{i}]", t) for i, t in enumerate(items)]


def _named(node: Value) -> str:
    return f" (label {node.label!r})" if node.label else ""
