"""Graph traversal: topological order, the backward sweep, zero_grad.

Everything here is iterative (an explicit stack, never recursion), so a chain of a
million nodes is as fine as a chain of ten. It does no calculus itself: each node's
``op.vjp`` (see ``ops.py``) supplies the local derivatives (the fast sweep writes the
two commonest, ``ADD``'s and ``MUL``'s, inline: the same floats without a call).

A node keeps its inputs in two slots, ``_a`` and ``_b`` (see ``Value``), read by
``inputs_of``. A constant input (a number operand) is stored as its float, or as a
``Constant`` leaf once ``parents`` has shown it; either way it is not a ``Value``
of the sweep: it receives no gradient and is never walked.

There are two sweeps, which do the same float operations in the same order, so they
give the same gradients to the last bit:

- ``_sweep_plain`` is the textbook one: a depth-first order, then a dict of the
  gradient received so far. It checks every term a ``vjp`` returns, runs on Values
  for ``create_graph``, and writes nothing on the nodes.
- ``_sweep_fast`` keeps its scratch on the nodes instead of in a dict: one slot
  ``_received`` per node holds first a mark (the node is in the order) and then the
  gradient received so far. The marks are two objects made afresh for each sweep and
  compared by identity, so whatever an interrupted sweep left behind is simply not
  this sweep's mark: nothing needs cleaning up to be right. Only one sweep at a time
  may use the slots; it holds the one *permit*, which goes back when the sweep's
  frame is gone (a weakref callback, so no line of ours has to run for it). A sweep
  that finds the permit taken (another thread, or a ``vjp`` that calls ``grad``) runs
  the plain sweep instead: it neither waits nor disturbs the other.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from itertools import repeat
from operator import add, attrgetter
from typing import Any

from autograd_engine.core.mode import enable_grad
from autograd_engine.core.ops import ADD, MUL
from autograd_engine.validation import check_instance, is_real, label_note, raise_as, show

__all__ = [
    "topological_order",
    "backprop",
    "backprop_terms",
    "zero_grad",
    "inputs_of",
    "decode_inputs",
    "sweep_order",
    "data_of",
    "is_finite",
]

is_finite: Callable[[float], bool] = math.isfinite
"""True for a float that is neither inf nor nan (the engine's one name for the test)."""


def inputs_of(node: Value) -> tuple[Any, ...]:
    """``node``'s inputs in argument order, from its two slots: Values and constants.

    A leaf has ``_a = _b = None``; a unary node ``_a = x``; a binary node ``_a, _b =
    x, y``; a node of three or more inputs the tuple in ``_a``. A constant is its float
    (or its ``Constant`` leaf, once ``parents`` has shown it).
    """
    return decode_inputs(node._a, node._b)


def decode_inputs(a: Any, b: Any) -> tuple[Any, ...]:
    """The inputs stored in the slots ``_a, _b`` as a tuple (the one place they are decoded)."""
    if a is None:
        return ()
    return (a, b) if b is not None else a if type(a) is tuple else (a,)


def data_of(x: Any) -> float:
    """The float of an input: ``x`` for a constant stored as a float, else ``x.data``."""
    return x if type(x) is float else x._data


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from ``root``, each after all of its parents; ``root`` last.

    Depth-first post-order, parents visited in argument order (so the order is the
    same on every run), without recursion. Constants are in it as the leaves
    ``parents`` shows. One walk; it writes nothing the sweep reads.
    """
    return _postorder(_root("topological_order", root), _parents)


def sweep_order(root: Value) -> list[Value]:
    """The nodes the backward sweep visits: ``topological_order`` without the constants."""
    return _postorder(root, _value_inputs)


def zero_grad(root: Value) -> None:
    """Set ``.grad = 0.0`` on every node reachable from ``root`` (constants keep 0.0)."""
    order = _postorder(_root("zero_grad", root), _value_inputs)
    _set_all(order, "grad", repeat(0.0))


def backprop(
    root: Value, seed: Any, create_graph: bool = False
) -> tuple[list[Value], dict[Value, Any]]:
    """d root / d node for every node reachable from ``root``, as a dict; writes no ``.grad``.

    Returns the topological order (constants left out: they get no gradient) and
    ``{node: gradient}`` in that order, each gradient ``seed`` times the derivative: a
    float, or a Value with ``create_graph``. Looking up a ``Constant`` (a constant as
    ``parents`` shows it) gives 0.0: it gets no gradient, and is never swept.
    """
    order, received = _sweep(root, seed, create_graph)
    return order, _Gradients(zip(order, received))


def backprop_terms(
    root: Value, seed: float
) -> tuple[
    list[Value], dict[Value, Any], dict[Value, tuple[float, ...]], dict[Value, tuple[float, ...]]
]:
    """``backprop(root, seed)`` plus what each node passes to each input, from the same sweep.

    Returns ``(order, grads, terms, locals)``: ``terms[node][i]`` is the term ``node``
    passed to input ``i`` (``g * d node / d input i``, exactly what was summed into that
    input's gradient) and ``locals[node][i]`` is d node / d input ``i`` (the vjp with
    ``g = 1``), both recorded as the sweep computes them, for every node with inputs.
    The plain sweep (the same floats as ``backprop``'s, to the bit); for drawings.
    """
    terms: dict[Value, tuple[float, ...]] = {}
    local: dict[Value, tuple[float, ...]] = {}
    order, received = _sweep_plain(_root("backprop_terms", root), seed, False, (terms, local))
    return order, _Gradients(zip(order, received)), terms, local


class _Gradients(dict["Value", Any]):
    """The dict ``backprop`` returns: a ``Constant``, never swept, reads as 0.0."""

    def __missing__(self, node: Value) -> float:
        if type(node) is Constant:
            return 0.0
        raise KeyError(node)


def backward(root: Value, seed: float) -> None:
    """Add d root / d node, times ``seed``, to ``.grad`` of every node; or raise, changing none.

    Raises ``FloatingPointError`` if any gradient, or any sum with the existing
    ``.grad``, is not finite; no ``.grad`` is written in that case. The additions are
    made in one C loop (``map`` over ``setattr``), which no interrupt and no other
    thread can split: all of them are made, or none. While other threads run, each total
    is recomputed inside that loop, so two threads adding into the same ``.grad`` lose
    neither addition.
    """
    fast = _sweep_fast(root, seed)  # the sums stay in the slots while ``holder`` lives
    sums: Iterable[Any]
    holder: _Holder | None
    if fast is not None:
        order, holder = fast
        try:
            totals = _totals(list(map(add, map(_grad, order), map(_received, order))))
        except (TypeError, OverflowError):  # a str term, an int past floats: the plain
            totals = None  # sweep names it
        sums = map(_received, order)
    if fast is None or totals is None:  # the permit was taken, or a term was irregular
        fast = holder = None  # noqa: F841 (the slots are not read: the permit goes back)
        order, received = _sweep_plain(root, seed, False)
        totals = _totals([node.grad + r for node, r in zip(order, received)])
        sums = received
    assert totals is not None  # the plain sweep's terms are all floats
    # One C-speed screen: a sum is finite only if every term is (inf and nan propagate).
    # Only if it is not do we look for the culprit; a finite overflow of the sum itself
    # finds none and goes on.
    if not is_finite(sum(totals)):
        fast = holder = None  # noqa: F841 (nor may a kept traceback hold it)
        for node, total in zip(order, totals):
            if not is_finite(total):
                raise FloatingPointError(
                    f"backward: the gradient of node{label_note(node.label)} (data={node._data!r}, "
                    f"op={node.op or 'leaf'!r}) is not finite ({total!r}); "
                    "no .grad was changed"
                )
    if threading.active_count() == 1:  # no other thread can add into .grad meanwhile
        _set_all(order, "grad", totals)
    else:  # the totals again, inside the one C loop that writes them: no addition is lost
        _set_all(order, "grad", map(add, map(_grad, order), sums))


def _totals(totals: list[Any]) -> list[float] | None:
    """``totals`` if every one is a float, else None (a sum of an irregular term)."""
    if type(sum(totals)) is float:  # a numpy scalar or a Value would show in the type
        return totals
    return None


def _sweep(root: Value, seed: Any, create_graph: bool = False) -> tuple[list[Value], list[Any]]:
    """The nodes reachable from ``root`` in topological order, and d root / d node of each.

    The fast sweep where it may run (plain floats, permit free, every term a float),
    else the plain one; they agree to the bit.
    """
    if not create_graph and type(seed) is float:
        fast = _sweep_fast(root, seed)
        if fast is not None:
            order = fast[0]
            received = list(map(_received, order))
            fast = None  # the sums are copied: the permit goes back before anything can raise
            try:  # a sum of floats is a float; a numpy scalar or a Value shows in its type
                if type(sum(received)) is float:
                    return order, received
            except (TypeError, OverflowError):  # a str term, an int past floats
                pass
    return _sweep_plain(root, seed, create_graph)


def _sweep_plain(
    root: Value,
    seed: Any,
    create_graph: bool,
    record: tuple[dict[Value, Any], dict[Value, Any]] | None = None,
) -> tuple[list[Value], list[Any]]:
    """The reverse sweep as the textbook writes it: a topological order and a dict.

    Walking the order from ``root`` back to the leaves, each node passes ``g * d node
    / d input`` to every input (the chain rule), and an input reached along several
    paths sums what it receives, in the order it receives it (the multivariate chain
    rule). Constants receive nothing. Every term is checked (``_term``). With
    ``create_graph`` it runs on Values, so the gradients are differentiable too.
    ``record`` (two dicts, floats only) receives each node's checked terms and its
    local derivatives (its vjp at ``g = 1``) as the sweep computes them.
    """
    order = _postorder(root, _value_inputs)
    received: dict[Value, Any] = {root: seed}
    with enable_grad() if create_graph else nullcontext():
        for node in reversed(order):
            inputs = inputs_of(node)
            if not inputs:
                continue
            g = received[node]  # complete: every node it feeds came before it
            if create_graph:  # the vjp gets Values; a constant as the leaf parents shows
                terms = _vjp(node, g, node, node.parents)
            else:
                terms = _vjp(node, g, node._data, [data_of(x) for x in inputs])
            if record is not None:
                terms = [_term(node, i, t, False) for i, t in enumerate(terms)]
                record[0][node] = tuple(terms)
                ones = _vjp(node, 1.0, node._data, [data_of(x) for x in inputs])
                record[1][node] = tuple(_term(node, i, t, False) for i, t in enumerate(ones))
            for i, (x, term) in enumerate(zip(inputs, terms)):
                term = _term(node, i, term, create_graph)
                if type(x) is Value:
                    prev = received.get(x)
                    received[x] = term if prev is None else _sum(node, prev, term)
    return order, [received[node] for node in order]


def _vjp(node: Value, g: Any, out: Any, inputs: Iterable[Any]) -> Any:
    """``node.op.vjp(g, out, *inputs)``, its failures named: the op, the inputs, what went wrong.

    Returns the terms as a tuple of one per input, or raises TypeError for anything
    else (a bare number, a generator, the wrong length).
    """
    inputs = tuple(inputs)
    try:
        terms = node.op.vjp(g, out, *inputs)
    except (ArithmeticError, ValueError) as error:
        at = [data_of(x) for x in inputs]
        if isinstance(error, OverflowError) and isinstance(out, Value):
            # On Values a term that overflows is refused by the op that makes it; it is
            # the same failure as an infinite float term in backward.
            raise FloatingPointError(
                f"backward through {node.op}{label_note(node.label)}: a gradient term is not "
                f"finite at inputs {at} ({error})"
            ) from error
        what = (
            "the local derivative is not finite"
            if isinstance(error, ArithmeticError)
            else f"its vjp raised {type(error).__name__}"
        )
        raise_as(  # the same class (a custom one gets a note), chained to the original
            error,
            f"backward through {node.op}{label_note(node.label)}: {what} at inputs {at} ({error})",
        )
    n = len(inputs)
    if type(terms) is tuple or type(terms) is list:
        if len(terms) == n:
            return terms
    elif (
        hasattr(terms, "__len__")
        and hasattr(terms, "__getitem__")
        and not isinstance(terms, (str, bytes, dict))
    ):
        if len(terms) == n:  # a numpy array, say
            return tuple(terms[i] for i in range(n))
    raise TypeError(
        f"backward through {node.op}{label_note(node.label)}: its vjp must return a sequence "
        f"of {n} terms, one per input, got {_shown(terms)}"
    )


def _term(node: Value, i: int, term: Any, create_graph: bool) -> Any:
    """A vjp's ``i``-th term as the sweep stores it: a float; or a Value under create_graph.

    A real number (float, int, numpy scalar) becomes a float; a Value is accepted under
    ``create_graph`` only; anything else is a TypeError naming the op and the term.
    """
    if type(term) is float:
        return term
    if create_graph and isinstance(term, Value):
        return term
    if is_real(term):
        try:
            return float(term)
        except OverflowError:  # an int beyond the float range
            return math.inf if term > 0 else -math.inf  # type: ignore[operator]
    kind = "a Value or a real number" if create_graph else "a real number (not a Value)"
    hint = "" if create_graph else "; a Value term needs grad(..., create_graph=True)"
    raise TypeError(
        f"backward through {node.op}{label_note(node.label)}: term {i} of its vjp must be {kind}, "
        f"got {_shown(term)}{hint}"
    )


def _sum(node: Value, prev: Any, term: Any) -> Any:
    """``prev + term``; on Values an overflow is the FloatingPointError backward raises."""
    try:
        return prev + term
    except OverflowError as error:
        raise FloatingPointError(
            f"backward through {node.op}{label_note(node.label)}: a gradient is not finite "
            f"({error})"
        ) from error


def _sweep_fast(root: Value, seed: float) -> tuple[list[Value], _Holder] | None:
    """``_sweep_plain`` on floats, each node's sum left in its ``_received`` slot; or None.

    Returns the order and the permit's holder: the sums are the caller's to read while
    it keeps the holder. None when the permit is taken, or when anything is irregular
    (a vjp raised, a wrong number of terms): the caller then runs the plain sweep,
    which says precisely what is wrong. A term that is not a float shows in the sums'
    types; the caller checks them.
    """
    holder = _take_permit()
    if holder is None:
        return None
    opened, placed = _Mark("opened"), _Mark("placed")  # this sweep's own marks
    order: list[Value] = []
    _walk(root, order, opened, placed)
    root._received = seed
    try:
        for node in reversed(order):
            a = node._a
            if a is None:  # a leaf
                continue
            g = node._received  # complete: every node it feeds came before it
            b = node._b
            op = node.op
            if b is not None:  # binary, most nodes: no list
                if op is ADD:  # ADD.vjp inline: no call
                    ta = tb = g
                else:
                    x = a if type(a) is float else a._data
                    y = b if type(b) is float else b._data
                    if op is MUL:  # MUL.vjp inline: no call
                        ta, tb = g * y, g * x
                    else:
                        terms = op.vjp(g, node._data, x, y)
                        if type(terms) is not tuple and type(terms) is not list:
                            return None  # bytes or a dict would unpack into wrong terms
                        ta, tb = terms
                if type(a) is Value:
                    prev = a._received
                    a._received = ta if prev is placed else prev + ta
                if type(b) is Value:
                    prev = b._received
                    b._received = tb if prev is placed else prev + tb
                continue
            if type(a) is tuple:
                terms = op.vjp(g, node._data, *[x if type(x) is float else x._data for x in a])
                if (type(terms) is not tuple and type(terms) is not list) or len(terms) != len(a):
                    return None
                for x, term in zip(a, terms):
                    if type(x) is Value:
                        prev = x._received
                        x._received = term if prev is placed else prev + term
                continue
            terms = op.vjp(g, node._data, a if type(a) is float else a._data)
            if type(terms) is not tuple and type(terms) is not list:
                return None
            (ta,) = terms
            if type(a) is Value:
                prev = a._received
                a._received = ta if prev is placed else prev + ta
    except Exception:  # a vjp's error or an irregular term: the plain sweep names it
        return None
    # The sums stay in the slots: the next sweep's marks replace them.
    return order, holder


def _walk(root: Value, order: list[Value], opened: _Mark, placed: _Mark) -> None:
    """Append every node reachable from ``root`` to ``order``, each after its inputs.

    The order of ``_postorder(root, _value_inputs)``, with the marks in the nodes'
    ``_received`` slots instead of a set: ``opened`` while its inputs are explored,
    ``placed`` once in ``order``; anything else (None, or what an earlier sweep left)
    means not seen yet. An input is never ``opened`` (that would need a cycle), so
    inputs are tested against ``placed`` only. A leaf input is placed as soon as its
    turn comes, without a stack entry, and a node whose inputs are all placed is placed
    at once. A node may be pushed twice before it is reached; the second time it is
    placed and dropped.
    """
    stack = [root]
    push, pop, place = stack.append, stack.pop, order.append
    while stack:
        node = stack[-1]
        mark = node._received
        if mark is placed:
            pop()
            continue
        if mark is opened:  # its inputs are placed, so now is its turn
            place(node)
            node._received = placed
            pop()
            continue
        a, b = node._a, node._b
        if type(a) is tuple:  # three or more inputs: explore them last to first
            node._received = opened
            stack.extend([x for x in reversed(a) if type(x) is Value and x._received is not placed])
            continue
        if type(a) is Value and a._received is not placed:
            if a._a is not None:  # explore a (then b) before node
                node._received = opened
                if type(b) is Value and b._received is not placed:
                    push(b)
                push(a)
                continue
            place(a)  # a leaf: its turn is now
            a._received = placed
        if type(b) is Value and b._received is not placed:
            if b._a is not None:
                node._received = opened
                push(b)
                continue
            place(b)
            b._received = placed
        place(node)  # every input is placed (or node is a leaf): so is node
        node._received = placed
        pop()


def _postorder(root: Value, inputs: Callable[[Value], Iterable[Value]]) -> list[Value]:
    """Every node reachable from ``root`` through ``inputs``, each after its inputs.

    Depth-first post-order, inputs in argument order, with an explicit stack of
    iterators: the recursion ``visit(x) for x in inputs(node); append(node)``.
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(inputs(root)))]
    while stack:
        node, pending = stack[-1]
        for x in pending:
            if x not in seen:
                seen.add(x)
                stack.append((x, iter(inputs(x))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _parents(node: Value) -> tuple[Value, ...]:
    return node.parents


def _value_inputs(node: Value) -> list[Value]:
    """The inputs that take part in the sweep: Values, not constants."""
    return [x for x in inputs_of(node) if type(x) is Value]


def _set_all(nodes: list[Value], name: str, values: Iterable[Any]) -> None:
    """``setattr(node, name, value)`` pairwise, in one C loop (deque with maxlen 0 consumes).

    No Python line runs inside it, so neither an interrupt nor another thread can
    stop it halfway: every node is set, or none.
    """
    deque(map(setattr, nodes, repeat(name), values), maxlen=0)


class _Mark:
    """A mark one sweep leaves in ``_received``; compared by identity, so no term is one."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


class _Holder:
    """Held by the running fast sweep; its death returns the permit (weakref callback)."""

    __slots__ = ("ref", "__weakref__")
    ref: weakref.ref[_Holder] | None


# The one permit to use the nodes' ``_received`` slots. A fast sweep pops it; the
# weakref callback (a C method, so no line of ours runs and none can be interrupted)
# appends a new one when the sweep's holder is gone, however the sweep ended.
_permits: list[object] = [object()]


def _take_permit() -> _Holder | None:
    """A holder of the permit, or None if another sweep (or this one, nested) holds it."""
    holder = _Holder()
    try:
        # One line, so no interrupt comes between taking the permit and arranging
        # its return (an interrupt is raised at a line, never inside one).
        holder.ref = weakref.ref(holder, _permits.append) if _permits.pop() else None
    except IndexError:
        return None
    return holder


_grad = attrgetter("grad")
_received = attrgetter("_received")


def _root(owner: str, root: object) -> Value:
    return check_instance(owner, "root", root, Value)


def _shown(x: object) -> str:
    """``show(x)``, always with the type's name first (``float 2.0``)."""
    kind, shown = type(x).__name__, show(x)
    return shown if shown.startswith(kind) else f"{kind} {shown}"


from autograd_engine.core.value import Constant, Value  # noqa: E402  # value.py imports this one
