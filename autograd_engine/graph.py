"""Graph traversal: topological order, the backpropagation loop, zero_grad.

Everything here is iterative (an explicit stack, never recursion), so a chain of a
million nodes is as fine as a chain of ten. It does no calculus itself: each node's
``op.vjp`` (see ``ops.py``) supplies the local derivatives.

The backward sweep reads a node's inputs from its slots ``_a`` and ``_b`` (see
``Value``), where a constant is a bare float that gets no gradient, and keeps its
scratch on the nodes: one private slot ``_acc`` per node holds first a mark (placed
in the order) and then the gradient received so far. No dict is built, and ``.grad``
is written only at the end, all at once or not at all. ``_sweeping`` runs one sweep
at a time and clears every ``_acc`` afterwards.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from autograd_engine.mode import enable_grad as _enable_grad  # the name backprop uses
from autograd_engine.mode import is_grad_enabled, no_grad
from autograd_engine.validation import check_instance, raise_as

if TYPE_CHECKING:
    from autograd_engine.value import Value

__all__ = ["topological_order", "backprop", "no_grad", "is_grad_enabled", "zero_grad"]


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents; ``root`` last.

    Depth-first post-order (parents visited in argument order, so the order is the
    same on every run), without recursion: the walk of the backward sweep (``_walk``),
    after ``parents`` has turned every constant input into a leaf Value.
    """
    nodes = _walked(_root("topological_order", root))
    if any(map(_has_constant, nodes)):
        for node in nodes:
            node.parents  # noqa: B018  # reading parents makes each constant a leaf Value
        nodes = _walked(root)  # now with the constants in their places
    return nodes


def _walked(root: Value) -> list[Value]:
    with _sweeping as order:
        _walk(root, order)
        return list(order)


def _has_constant(node: Value) -> bool:
    return float in map(type, _inputs(node._a, node._b))


def backprop(
    root: Value, seed: Any, create_graph: bool = False
) -> tuple[list[Value], dict[Value, Any]]:
    """d root / d node for every node reachable from ``root``, as a dict; writes no ``.grad``.

    Returns the topological order and ``{node: gradient}`` in that order (constant
    inputs, stored as floats, are not nodes and get none). ``sweep`` does the work.
    """
    with _sweeping as order:
        sweep(root, seed, order, create_graph)
        return order, {node: node._acc for node in order}


def backward(root: Value, seed: float) -> None:
    """Add d root / d node, times ``seed``, to ``.grad`` of every node; or raise, changing none.

    Raises ``FloatingPointError`` if any gradient, or any sum with the existing
    ``.grad``, is not finite; no ``.grad`` is written in that case.
    """
    with _sweeping as order:
        sweep(root, seed, order)
        totals = [node.grad + node._acc for node in order]
        # One C-speed screen: a sum is finite only if every term is (inf and nan
        # propagate). Only if it is not do we look for the culprit; a finite overflow
        # of the sum itself finds none and goes on.
        if not math.isfinite(sum(totals)):
            for node, total in zip(order, totals):
                if not math.isfinite(total):
                    raise FloatingPointError(
                        f"backward: the gradient of node{_named(node)} (data={node.data!r}, "
                        f"op={node.op or 'leaf'!r}) is not finite ({total!r}); "
                        "no .grad was changed"
                    )
        for node, total in zip(order, totals):
            node.grad = total
            node._acc = None
        order.clear()  # every mark is cleared: nothing left for _sweeping to do


def sweep(root: Value, seed: Any, order: list[Value], create_graph: bool = False) -> None:
    """The reverse sweep: leaves d root / d node in ``node._acc`` for every node reachable.

    ``order`` (empty) receives the nodes in topological order. Walking them from
    ``root`` back to the leaves, each node passes ``g * d node / d parent`` to every
    parent (the chain rule), and a parent reached along several paths sums what it
    receives, in the order it receives it (the multivariate chain rule). With
    ``create_graph`` the sweep runs on Values, so the gradients are themselves
    differentiable; otherwise on floats. Run it inside ``_sweeping()``, which clears
    every ``_acc`` afterwards, whatever happens.
    """
    _walk(root, order)
    root._acc = seed
    with _enable_grad() if create_graph else nullcontext():
        for node in reversed(order):
            a = node._a
            if a is None:  # a leaf
                continue
            g = node._acc  # complete: every child of node came before it
            b = node._b
            vjp = node.op.vjp
            try:
                if create_graph:
                    terms = vjp(g, node, *_inputs(a, b))
                elif b is not None:  # binary, most nodes: no list, no call to _data
                    ad = a if type(a) is float else a.data
                    terms = vjp(g, node.data, ad, b if type(b) is float else b.data)
                elif type(a) is tuple:
                    terms = vjp(g, node.data, *[p if type(p) is float else p.data for p in a])
                else:
                    terms = vjp(g, node.data, a if type(a) is float else a.data)
            except (ArithmeticError, ValueError) as error:
                raise_as(  # the same class (a custom one gets a note), chained to the original
                    error,
                    f"backward through {node.op}{_named(node)}: the local derivative "
                    f"is not finite at inputs {list(map(_data, _inputs(a, b)))} ({error})",
                )
            if type(terms) is not tuple and type(terms) is not list:  # a generator will not do
                terms = _terms(node, terms)
            # Sum into each parent (not a constant) what it receives along this edge.
            if b is not None:
                try:
                    ta, tb = terms
                except ValueError:
                    _terms(node, terms)
                if type(a) is not float:
                    prev = a._acc
                    a._acc = ta if prev is _SEEN else prev + ta
                if type(b) is not float:
                    prev = b._acc
                    b._acc = tb if prev is _SEEN else prev + tb
                continue
            inputs = a if type(a) is tuple else (a,)
            if len(terms) != len(inputs):
                _terms(node, terms)
            for parent, term in zip(inputs, terms):
                if type(parent) is not float:
                    prev = parent._acc
                    parent._acc = term if prev is _SEEN else prev + term


def _terms(node: Value, terms: Any) -> tuple[Any, ...]:
    """``terms`` (what ``node.op.vjp`` returned) as a tuple of one term per input of ``node``.

    Raises TypeError for anything else: not a sequence (a bare number, a generator) or
    one of the wrong length.
    """
    n = len(_inputs(node._a, node._b))
    if isinstance(terms, Sequence) and not isinstance(terms, str) and len(terms) == n:
        return tuple(terms)
    raise TypeError(
        f"backward through {node.op}{_named(node)}: its vjp must return a sequence "
        f"of {n} terms, one per input, got {type(terms).__name__} {terms!r}"
    )


def _walk(root: Value, order: list[Value]) -> None:
    """Append every node reachable from ``root`` to ``order``, each after its parents.

    Depth-first post-order, parents in argument order, as ``topological_order``; marks
    in ``_acc`` say where a node is: None not seen, ``_OPEN`` on the stack with its
    parents being explored, ``_SEEN`` placed in ``order`` (the sweep then reads
    ``_SEEN`` as "nothing received yet"). A leaf parent is placed as soon as its turn
    comes, without a stack entry, and a node whose parents are all placed is placed at
    once. A node may be pushed twice before it is reached; the second time it is
    already placed and is dropped.
    """
    stack = [root]
    push, pop, place = stack.append, stack.pop, order.append
    try:
        while stack:
            node = stack[-1]
            mark = node._acc
            # Each node is placed (entered in order, which the cleanup clears) before it
            # is marked or popped, so an interrupt at any point leaves no stray mark.
            if mark is not None:  # _OPEN: its parents are placed, so now is its turn
                if mark is _OPEN:
                    place(node)
                    node._acc = _SEEN
                pop()
                continue
            a, b = node._a, node._b
            if type(a) is tuple:  # three or more inputs: explore them last to first
                node._acc = _OPEN
                stack.extend([p for p in reversed(a) if type(p) is not float and p._acc is None])
                continue
            if a is not None and type(a) is not float and a._acc is None:
                if a._a is not None:  # explore a (then b) before node
                    node._acc = _OPEN
                    if b is not None and type(b) is not float and b._acc is None:
                        push(b)
                    push(a)
                    continue
                place(a)  # a leaf: its turn is now
                a._acc = _SEEN
            if b is not None and type(b) is not float and b._acc is None:
                if b._a is not None:
                    node._acc = _OPEN
                    push(b)
                    continue
                place(b)
                b._acc = _SEEN
            place(node)  # every parent is placed (or node is a leaf): so is node
            node._acc = _SEEN
            pop()
    except BaseException:  # interrupted (KeyboardInterrupt, MemoryError): unmark what is open
        for node in stack:
            node._acc = None
        raise


class _Sweeping:
    """``with _sweeping as order``: one sweep at a time, every ``_acc`` cleared after.

    The marks and partial sums of a sweep live on the nodes themselves, so two sweeps
    must not overlap: a sweep in another thread is waited for, and one started from
    inside a sweep (say by a custom op's ``vjp``) is an error, not a corruption.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None
        self.order: list[Value] = []

    def __enter__(self) -> list[Value]:
        if self.owner == threading.get_ident():
            raise RuntimeError(
                "backward: a walk of a graph (backward, grad, topological_order, zero_grad) "
                "was started from inside a backward pass, by a custom op's vjp?; do it "
                "before or after the sweep"
            )
        self.lock.acquire()
        self.owner = threading.get_ident()
        return self.order

    def __exit__(self, *exc: object) -> None:
        order, self.order = self.order, []
        try:
            for node in order:
                node._acc = None
        finally:
            self.owner = None
            self.lock.release()


class _Mark:
    """A mark a sweep leaves in ``_acc``; compared by identity, so no term is ever one."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_sweeping = _Sweeping()
_OPEN, _SEEN = _Mark("_OPEN"), _Mark("_SEEN")


def _data(x: Any) -> float:
    """The float of an input: ``x.data`` for a Value, ``x`` for a constant."""
    return x if type(x) is float else x.data


def _inputs(a: Any, b: Any) -> tuple[Any, ...]:
    """A node's inputs, constants as floats, from its two slots (see ``Value.__slots__``)."""
    if a is None:
        return ()
    return (a, b) if b is not None else a if type(a) is tuple else (a,)


def zero_grad(root: Value) -> None:
    """Set ``.grad = 0.0`` on every node reachable from ``root``."""
    for node in _walked(_root("zero_grad", root)):
        node.grad = 0.0


def _root(owner: str, root: object) -> Value:
    from autograd_engine.value import Value  # value.py imports this module

    return check_instance(owner, "root", root, Value)


def _named(node: Value) -> str:
    return f" (label {node.label!r})" if node.label else ""
