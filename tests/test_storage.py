"""How a node stores its inputs, and how the backward sweep keeps its scratch on the nodes.

Constants are stored as bare floats and are shown as Constant leaves when ``parents`` is
read; either way they get no gradient. The fast sweep marks nodes and sums gradients in a
private slot, with marks of its own, so nothing it leaves behind matters. Expected numbers
are hand derivations.
"""

from __future__ import annotations

import copy
import pickle
import threading

import pytest
from hypothesis import given, settings

from autograd_engine import Op, Value, grad, topological_order, zero_grad
from autograd_engine.core import graph
from autograd_engine.testing import expressions


def test_a_constant_operand_reads_as_one_constant_leaf_every_time():
    x = Value(3.0, label="x")
    y = x * 2.0 + 1.0  # (x*2) + 1
    first = y.parents
    assert y.parents is first or y.parents == first
    one = first[1]
    assert one is y.parents[1]  # the same object on every read
    assert (one.data, one.op, one.label, one.parents, one.grad) == (1.0, "", "", (), 0.0)
    two = first[0].parents[1]
    assert first[0].parents[0] is x and two.data == 2.0
    assert topological_order(y) == [x, two, first[0], one, y]


def test_constants_in_every_position_and_arity_read_back_in_argument_order():
    x = Value(0.5)
    r = 3.0 - x  # (-x) + 3, with -x = x * -1
    assert [p.data for p in r.parents] == [-0.5, 3.0]
    assert [p.data for p in r.parents[0].parents] == [0.5, -1.0]
    assert [p.data for p in (2.0**x).parents] == [2.0, 0.5]  # rpow: (base, exponent)
    assert [p.data for p in Value.sum([x, 1.0, 2]).parents] == [0.5, 1.0, 2.0]
    d = Value.dot([x, 4.0], [5.0, x])
    assert [p.data for p in d.parents] == [0.5, 4.0, 5.0, 0.5]
    assert d.parents[0] is x and d.parents[3] is x
    assert [p.data for p in x.leaky_relu(0.2).parents] == [0.5, 0.2]


def test_a_constant_read_before_backward_still_gets_no_gradient():
    # y = x * c: dy/dx = c = 2; the constant c is a number operand: no gradient, ever
    x = Value(3.0)
    y = x * 2.0
    c = y.parents[1]
    y.backward()
    assert (x.grad, c.grad) == (2.0, 0.0)
    assert y.parents[1] is c and c.grad == 0.0


def test_gradients_through_constants_match_hand_values():
    # f = (2x + 1)^2 / 4 - 3: f' = (2x + 1), at x = 1.5: 4
    x = Value(1.5)
    f = (2 * x + 1) ** 2 / 4 - 3
    f.backward()
    assert (f.data, x.grad) == (1.0, 4.0)


def test_a_deep_chain_with_constants_differentiates_exactly():
    x = Value(0.5)
    y = x
    for _ in range(100_000):
        y = y * 1.0001 + 0.0001
    y.backward()
    expected = 1.0
    for _ in range(100_000):  # d/dx, multiplied in the order the sweep multiplies
        expected = expected * 1.0001
    assert x.grad == expected


def test_a_sweep_started_inside_a_vjp_runs_and_the_outer_one_is_right():
    other = Value(5.0)
    inner = []

    def vjp(g: float, out: float, a: float) -> tuple[float]:
        (other * 2.0).backward()  # a sweep inside the sweep, on another graph
        inner.append(grad(x * x, [x])[0].data)  # one through the outer graph's leaf: 2x
        return (g * 3.0,)

    triple = Op("triple", lambda a: 3.0 * a, vjp)
    x = Value(2.0)
    y = triple(x) + x
    y.backward()  # dy/dx = 3 + 1
    assert (x.grad, other.grad, inner) == (4.0, 2.0, [4.0])
    z = x * x + x  # a fresh graph over the same leaf: dz/dx = 2x + 1 = 5
    z.backward()
    assert x.grad == 9.0


def test_an_interrupted_sweep_leaves_no_marks_behind():
    calls = {"n": 0}

    def vjp(g: float, out: float, a: float) -> tuple[float]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # as Ctrl-C in a notebook, halfway through the sweep
        return (g * 3.0,)

    triple = Op("triple", lambda a: 3.0 * a, vjp)
    x = Value(2.0)
    shared = x * x  # x^2, reached twice below
    y = triple(shared) + shared  # dy/dx = (3 + 1) * 2x = 16
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert (x.grad, shared.grad) == (0.0, 0.0)
    y.backward()
    assert (x.grad, shared.grad) == (16.0, 4.0)
    assert [d.data for d in grad(y, [x, shared])] == [16.0, 4.0]


def test_a_failed_backward_changes_nothing_and_the_next_one_is_right():
    x = Value(0.0)
    w = Value(2.0)
    bad = x.sqrt() + w * x  # d sqrt(x) / dx is not finite at 0
    with pytest.raises(ZeroDivisionError):
        bad.backward()
    assert (x.grad, w.grad, bad.grad) == (0.0, 0.0, 0.0)
    good = w * x + w  # d/dx = w = 2, d/dw = x + 1 = 1
    good.backward()
    assert (x.grad, w.grad) == (2.0, 1.0)


def test_grad_is_pure_and_repeatable():
    x = Value(2.0)
    y = x * x * 3.0  # dy/dx = 6x = 12
    assert [d.data for d in grad(y, [x])] == [12.0]
    assert [d.data for d in grad(y, [x])] == [12.0]
    assert x.grad == 0.0 and y.grad == 0.0
    (d,) = grad(y, [x], create_graph=True)  # d2y/dx2 = 6
    assert [e.data for e in grad(d, [x])] == [6.0]


def test_threads_sharing_a_leaf_take_turns_and_lose_no_gradient():
    # Each backward adds 2x = 3 (x*x) or 0.5 (x*0.5): integers and halves, summed exactly.
    x = Value(1.5)
    rounds = 300

    def work(make: object) -> None:
        for _ in range(rounds):
            make().backward()  # type: ignore[operator]

    threads = [
        threading.Thread(target=work, args=(lambda: x * x,)),
        threading.Thread(target=work, args=(lambda: x * 0.5,)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert x.grad == rounds * 3.0 + rounds * 0.5


def test_zero_grad_reaches_every_value_and_skips_constants():
    x = Value(1.0)
    y = (x * 2.0).exp() + x
    y.backward()
    assert x.grad != 0.0
    zero_grad(y)
    assert all(node.grad == 0.0 for node in topological_order(y))


def test_copies_and_pickles_keep_constants_as_their_values():
    x = Value(1.5, label="x")
    y = (x * 2.0 + 1.0) * x  # dy/dx = 4x + 1 = 7
    for clone in (copy.deepcopy(y), pickle.loads(pickle.dumps(y)), copy.copy(y)):
        assert clone.data == y.data == 6.0
        assert [p.data for p in clone.parents[0].parents] == [3.0, 1.0]
        leaf = clone.parents[1]
        clone.backward()
        assert leaf.grad == 7.0


def _postorder(root: Value) -> list[Value]:
    """Depth-first post-order, parents in argument order: the textbook recursion."""
    seen: set[Value] = set()
    order: list[Value] = []

    def visit(node: Value) -> None:
        seen.add(node)
        for parent in node.parents:
            if parent not in seen:
                visit(parent)
        order.append(node)

    visit(root)
    return order


@settings(max_examples=300, deadline=None)
@given(expressions(max_instructions=16))
def test_the_sweep_visits_values_in_topological_order_less_the_constants(expr):
    # The order fixes the summation order of every gradient: it is the textbook
    # post-order, whether or not the constants have been read as Values yet.
    xs = [Value(x) for x in expr.inputs]
    y = expr(*xs)
    order: list[Value] = []
    graph._walk(y, order, graph._Mark("opened"), graph._Mark("placed"))
    assert order == graph.sweep_order(y)
    public = topological_order(y)  # reads parents: constants become leaf Values
    assert public == _postorder(y)
    values = set(order)
    assert [n for n in public if n in values] == order
    assert all(not n.parents and not n.op and n not in xs for n in public if n not in values)
    assert topological_order(y) == public


def test_nodes_whose_only_inputs_are_constants_differentiate():
    x = Value(3.0)
    square = Op("square", lambda a: a * a, lambda g, out, a: (2.0 * a * g,))
    y = Value.sum([2.0]) * x + square(4.0) + Value.dot([1.0, 2.0], [3.0, 4.0]) * x
    y.backward()  # dy/dx = 2 + (1*3 + 2*4) = 13
    assert (y.data, x.grad) == (2.0 * 3.0 + 16.0 + 11.0 * 3.0, 13.0)
    assert [d.data for d in grad(y, [x], create_graph=True)] == [13.0]
