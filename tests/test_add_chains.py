"""An add chain's unshared intermediate is extended in place: ``a + b + c`` is one ``+`` node.

``Value.__add__`` extends ``self`` only when nothing but the expression being evaluated
holds it (a reference count of exactly three inside ``__add__``). These tests hold the
intermediate in every way a program can and check that it never changes; that a chain
of temporaries, or Python's ``sum`` over a generator, gives one node whose data is the
left-to-right float sum, bit for bit; and that the fused graph's gradients are the
textbook's on that graph, bit for bit, and agree with the unfused graph's.
"""

from __future__ import annotations

import copy
import math
import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reference import bits, textbook_grads

from autograd_engine import Value, grad, no_grad
from autograd_engine.core import graph
from autograd_engine.core import value as value_module
from autograd_engine.core.value import Constant

fuses = pytest.mark.skipif(
    value_module._UNSHARED == 0, reason="chains are extended on CPython 3.11 to 3.13 only"
)


def _leaves(*xs: float) -> list[Value]:
    return [Value(x) for x in xs]


class _Box:
    def __init__(self, node: Value) -> None:
        self.node = node


# Each holder keeps t = a + b and hands it back as the left operand of t + c.
HOLDERS = {
    "variable": lambda t: lambda: t,
    "list": lambda t: lambda held=[t]: held[0],  # noqa: B006  # the list is the holder
    "dict": lambda t: lambda held={"t": t}: held["t"],  # noqa: B006
    "attribute": lambda t: lambda box=_Box(t): box.node,  # noqa: B008
    "another node's input": lambda t: lambda user=t * 2.0: user.parents[0],
    "a tuple": lambda t: lambda held=(t,): held[0],
}


@pytest.mark.parametrize("holder", HOLDERS)
def test_an_intermediate_someone_holds_is_never_changed(holder):
    a, b, c = _leaves(1.0, 2.0, 4.0)
    get = HOLDERS[holder](a + b)
    u = get() + c
    t = get()
    assert t.data == 3.0 and t.parents == (a, b)  # as built
    assert u.data == 7.0 and u.parents == (t, c) and u is not t
    u.backward()
    assert (t.grad, a.grad, b.grad, c.grad) == (1.0, 1.0, 1.0, 1.0)


def test_a_local_variable_is_never_extended():
    a, b, c = _leaves(1.0, 2.0, 4.0)
    t = a + b
    u = t + c
    t2 = t + a  # t is still held: a new node again
    assert t.parents == (a, b) and t.data == 3.0
    assert u.parents == (t, c) and t2.parents == (t, a)


@fuses
def test_a_chain_of_temporaries_is_one_node():
    a, b, c, d = _leaves(1.0, 2.0, 4.0, 8.0)
    y = a + b + c + d
    assert y.op == "add" and y.parents == (a, b, c, d) and y.data == 15.0
    s = sum(x * x for x in (a, b, c))  # sum starts from 0: 0 + a is a, then a chain
    assert s.op == "add" and len(s.parents) == 3 and s.data == 21.0
    assert [p.op for p in s.parents] == ["mul"] * 3
    z = a + a + b  # a repeated input counts twice
    z.backward()
    assert (a.grad, b.grad) == (2.0, 1.0)


@fuses
def test_constants_in_a_chain_are_constants():
    a, b = _leaves(1.0, 2.0)
    y = a + 1.5 + b + 0.25
    assert y.data == 4.75 and len(y.parents) == 4
    first = y.parents
    assert isinstance(first[1], Constant) and first[1].data == 1.5
    assert y.parents[1] is first[1]  # parents shows the same Constant every time
    y.backward()
    assert (a.grad, b.grad, y.parents[1].grad) == (1.0, 1.0, 0.0)


def test_a_chain_under_no_grad_is_a_leaf():
    a, b, c = _leaves(1.0, 2.0, 4.0)
    with no_grad():
        y = a + b + c
    assert y.parents == () and y.data == 7.0
    # A temporary made with grad on and extended inside no_grad: the result is a leaf.
    block = no_grad()
    try:
        y = (a + b) + (block.__enter__(), c)[1]
    finally:
        block.__exit__(None, None, None)
    assert y.parents == () and y.data == 7.0


def test_a_chain_that_overflows_raises_as_an_add_does():
    a, b, c = _leaves(1e308, 1e308, -1e308)
    with pytest.raises(OverflowError, match="add: the result is not finite"):
        a + c + b + b  # noqa: B018
    y = a + c + b  # finite all the way: 1e308
    assert y.data == 1e308


@fuses
def test_a_copy_of_a_chain_owns_its_inputs():
    a, b, c, d = _leaves(1.0, 2.0, 4.0, 8.0)
    s = a + b + c  # its inputs are in a list of its own
    u = copy.copy(s) + d  # the copy is a temporary: extended, and s must not see it
    assert s.parents == (a, b, c) and s.data == 7.0
    assert u.parents == (a, b, c, d) and u.data == 15.0
    v = copy.deepcopy(s)
    assert v.data == 7.0 and len(v.parents) == 3
    w = pickle.loads(pickle.dumps(s))
    assert w.data == 7.0 and [p.data for p in w.parents] == [1.0, 2.0, 4.0]


def test_the_threshold_is_what_it_must_be():
    """Three references inside __add__ is a temporary exactly where it is counted so."""
    if sys.implementation.name == "cpython" and (3, 11) <= sys.version_info < (3, 14):
        assert value_module._UNSHARED == 3
    else:
        assert value_module._UNSHARED == 0


# -- random programs: fused against the textbook and against the unfused graph ---------------

# A step reads registers (earlier results, held in a list) and appends one: a chain of
# temporaries over them, Python's sum of products over them, or a product or exp of two.
_steps = st.lists(
    st.tuples(
        st.sampled_from(["chain", "sum", "mul", "exp"]),
        st.lists(st.integers(0, 10**6), min_size=2, max_size=6),
    ),
    min_size=1,
    max_size=10,
)


def _run(inputs: list[float], steps: list[tuple[str, list[int]]]) -> tuple[list[Value], Value]:
    xs = [Value(x) for x in inputs]
    regs: list[Value] = list(xs)
    for kind, picks in steps:
        args = [regs[-1 - i % len(regs)] for i in picks]  # biased to recent: deep graphs
        if kind == "chain":  # args[0] + args[1] + ...: a temporary after the first +
            regs.append(sum(args[1:], args[0]))
        elif kind == "sum":
            regs.append(sum(x * 0.5 for x in args))
        elif kind == "mul":
            regs.append(args[0] * args[1])
        else:
            regs.append((args[0] * 0.01).exp())
    regs.append(sum(regs[len(xs) :]))  # every step reaches the root
    return xs, regs[-1]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(-2.0, 2.0, allow_subnormal=False), min_size=1, max_size=4),
    _steps,
)
def test_fused_graphs_match_the_textbook_and_the_unfused_graph(inputs, steps):
    xs, y = _run(inputs, steps)
    y.backward()
    theirs = textbook_grads(y)
    order = graph.sweep_order(y)
    assert [bits(n.grad) for n in order] == [bits(0.0 + theirs[n]) for n in order]
    assert [bits(0.0 + d) for d in grad(y, xs)] == [bits(x.grad) for x in xs]
    # The same program with no chain extended: the same data to the bit, the same
    # gradients (to rounding: an input reached from several nodes sums in another order).
    unshared = value_module._UNSHARED
    value_module._UNSHARED = 0
    try:
        xs2, y2 = _run(inputs, steps)
    finally:
        value_module._UNSHARED = unshared
    assert bits(y) == bits(y2)
    y2.backward()
    for x, x2 in zip(xs, xs2):
        assert math.isclose(x.grad, x2.grad, rel_tol=1e-12, abs_tol=1e-300)


@fuses
def test_the_random_programs_do_fuse():
    """The property above would be vacuous if no chain were extended in it."""
    xs, y = _run([1.0, 2.0], [("sum", [0, 1, 1]), ("chain", [0, 1, 2, 3])])
    assert len(y.parents) == 2  # the root: sum of the two steps' results
    assert len(y.parents[0].parents) == 3 and len(y.parents[1].parents) == 4


@fuses
def test_a_fused_chain_compiles_and_draws_as_one_plus():
    """The compiler writes it as one line, bit for bit; drawings show one + of three inputs."""
    from autograd_engine import draw_dot
    from autograd_engine.compiler import compiled

    ps = [Value(0.1 * i + 0.3) for i in range(5)]

    def f(x):
        return sum(p * x for p in ps) + ps[0] * ps[1] + 1.5  # one + of 7 inputs

    step = compiled(f, ps, 0.7)
    assert "v13 = v6 + v7 + v8 + v9 + v10 + v11 + 1.5  # add" in step.source
    y = f(Value(0.7))
    assert len(y.parents) == 7
    y.backward()
    ours = [p.grad for p in ps]
    for p in ps:
        p.grad = 0.0
    loss = step(0.7)
    assert bits(loss) == bits(y) and [bits(p.grad) for p in ps] == [bits(g) for g in ours]
    a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
    dot = draw_dot(a + b + c).source
    assert dot.count("-> op3 [id=e3_") == 3 and "op3 [label=<+>" in dot  # n3: the sum


def test_a_temporary_given_a_label_or_a_gradient_is_not_extended():
    """A helper that labels its result (or backpropagates it) returns a node worth keeping."""

    def labeled(v: Value, name: str) -> Value:
        v.label = name
        return v

    def differentiated(v: Value) -> Value:
        v.backward()
        return v

    a, b, c = _leaves(1.0, 2.0, 4.0)
    y = labeled(a + b, "t") + c
    assert y.label == "" and y.parents[0].label == "t" and y.parents[0].parents == (a, b)
    z = differentiated(a + b) + c
    assert z.grad == 0.0 and z.parents[0].grad == 1.0 and len(z.parents) == 2
