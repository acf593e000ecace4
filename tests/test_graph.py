"""Graph traversal, higher-order derivatives and the functional grad/hessian API."""

from __future__ import annotations

import gc
import math
import sys

import pytest

from autograd_engine import Op, Value, grad, hessian, topological_order, zero_grad


def test_topological_order_puts_parents_first_and_root_last():
    """Every node comes after all its parents, the root last, each node once."""
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e
    assert len(order) == len(set(map(id, order)))
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]


def test_topological_order_is_deterministic():
    """The same expression built twice gives the same op sequence."""

    def build():
        x, y = Value(0.5, label="x"), Value(-1.5, label="y")
        return ((x * y).tanh() + x.exp() * y) ** 2

    ops1 = [(n.op, n.label, n.data) for n in topological_order(build())]
    ops2 = [(n.op, n.label, n.data) for n in topological_order(build())]
    assert ops1 == ops2


def test_topological_order_is_depth_first_post_order_in_argument_order():
    """Derived by hand: r = a * b with a = b + k visits a's parents (b, k) first, then a, r."""
    b, k = Value(2.0, label="b"), Value(3.0, label="k")
    a = b + k
    a.label = "a"
    r = a * b
    r.label = "r"
    assert [n.label for n in topological_order(r)] == ["b", "k", "a", "r"]
    # A parent repeated in one node (x * x) and a leaf reached along two paths appear once.
    x = Value(1.5, label="x")
    s = (x * x) + x
    assert [n.label or n.op for n in topological_order(s)] == ["x", "mul", "add"]


def test_topological_order_on_a_graph_where_the_alternatives_differ():
    """r = a*b + tanh(c*a), by hand: a, b, m1, c, m2, t, r (parents first, left to right).

    Chosen so that every other plausible walk gives another list: parents right to left
    gives a, c, m2, t, b, m1, r; leaves first (Kahn's, breadth-first) a, b, c, m1, m2, t, r;
    and a node listed at its last visit instead of its first would move a after c.
    """
    a, b, c = Value(0.5, label="a"), Value(-1.0, label="b"), Value(2.0, label="c")
    m1 = a * b
    m2 = c * a
    t = m2.tanh()
    r = m1 + t
    for node, label in [(m1, "m1"), (m2, "m2"), (t, "t"), (r, "r")]:
        node.label = label
    assert [n.label for n in topological_order(r)] == ["a", "b", "m1", "c", "m2", "t", "r"]


def test_backward_writes_huge_finite_gradients_whose_total_overflows():
    """dz/dx = dz/dy = 1e308 are finite, though their sum is not: backward must accept them."""
    x, y = Value(1e-10), Value(1e-10)
    z = x * 1e308 + y * 1e308  # 2e298: finite
    z.backward()
    assert (x.grad, y.grad) == (1e308, 1e308)


def test_million_node_chain_differentiates_without_recursion():
    """A 1,000,000-node chain y = x*1*1*...*1 backpropagates: dy/dx = 1."""
    x = Value(3.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # any recursion would fail loudly
    try:
        y.backward()
        (g,) = grad(y, [x])
    finally:
        sys.setrecursionlimit(limit)
    assert x.grad == 1.0
    assert g.data == 1.0


def test_deep_chain_of_tanh_matches_product_of_slopes():
    """d/dx of tanh applied n times equals the product of (1 - t_k^2) along the chain."""
    x = Value(0.9)
    y = x
    expected = 1.0
    t = 0.9
    for _ in range(1000):
        y = y.tanh()
        t = math.tanh(t)
        expected *= 1 - t * t
    y.backward()
    assert math.isclose(y.data, t, rel_tol=1e-12)
    assert math.isclose(x.grad, expected, rel_tol=1e-9)


def test_grad_is_pure():
    """grad() returns the derivative and leaves every .grad untouched."""
    x = Value(2.0)
    y = x * x * x
    (g,) = grad(y, [x])
    assert g.data == 12.0
    assert x.grad == 0.0 and y.grad == 0.0
    assert g.parents == ()


def test_grad_of_unused_input_is_zero():
    """An input the output does not depend on has derivative 0."""
    x, z = Value(2.0), Value(5.0)
    gx, gz = grad(x * x, [x, z])
    assert gx.data == 4.0 and gz.data == 0.0


@pytest.mark.parametrize("x0", [-1.3, -0.2, 0.0, 0.7, 2.1])
def test_tanh_derivatives_to_fourth_order_match_closed_forms(x0):
    """d^n tanh/dx^n for n=1..4 match the polynomials in t = tanh(x)."""
    x = Value(x0)
    t = math.tanh(x0)
    s = 1 - t * t
    closed = [
        s,  # tanh' = 1 - t^2
        -2 * t * s,  # tanh'' = -2 t (1 - t^2)
        s * (6 * t * t - 2),  # tanh''' = (1 - t^2)(6t^2 - 2)
        s * (16 * t - 24 * t**3),  # tanh'''' = (1 - t^2)(16t - 24t^3)
    ]
    y = x.tanh()
    for n, expected in enumerate(closed, start=1):
        (y,) = grad(y, [x], create_graph=True)
        assert math.isclose(y.data, expected, rel_tol=1e-10, abs_tol=1e-12), n


def test_power_derivatives_follow_the_power_rule_to_the_end():
    """x**3 at x=2: derivatives 12, 12, 6, then 0."""
    x = Value(2.0)
    y = x**3
    values = []
    for _ in range(4):
        (y,) = grad(y, [x], create_graph=True)
        values.append(y.data)
    assert values == [12.0, 12.0, 6.0, 0.0]


def test_exp_is_its_own_derivative_at_every_order():
    """d^n exp(x)/dx^n = exp(x) for n = 1..5."""
    x = Value(0.4)
    y = x.exp()
    for _ in range(5):
        (y,) = grad(y, [x], create_graph=True)
        assert math.isclose(y.data, math.exp(0.4), rel_tol=1e-14)


def test_mixed_higher_order_through_sigmoid_and_log():
    """d2/dx2 log(sigmoid(x)) = -s(1-s), by hand."""
    x = Value(0.8)
    y = x.sigmoid().log()
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    s = 1 / (1 + math.exp(-0.8))
    assert math.isclose(d1.data, 1 - s, rel_tol=1e-12)
    assert math.isclose(d2.data, -s * (1 - s), rel_tol=1e-12)


def test_hessian_of_two_variable_polynomial():
    """f = x^3 y + 2 x y^2 - y^3 has H = [[6xy, 3x^2 + 4y], [3x^2 + 4y, 4x - 6y]]."""
    x, y = Value(1.5), Value(-2.0)
    f = x**3 * y + 2 * x * y**2 - y**3
    H = hessian(f, [x, y])
    xv, yv = 1.5, -2.0
    expected = [[6 * xv * yv, 3 * xv**2 + 4 * yv], [3 * xv**2 + 4 * yv, 4 * xv - 6 * yv]]
    for row, erow in zip(H, expected):
        assert row == pytest.approx(erow, rel=1e-12)
    assert x.grad == 0.0 and y.grad == 0.0


def test_hessian_of_value_exponent():
    """f = a**b: H = [[b(b-1)a^(b-2), a^(b-1)(1 + b ln a)], [., a^b ln(a)^2]]."""
    a0, b0 = 1.7, 2.5
    a, b = Value(a0), Value(b0)
    H = hessian(a**b, [a, b])
    la = math.log(a0)
    cross = a0 ** (b0 - 1) * (1 + b0 * la)
    expected = [[b0 * (b0 - 1) * a0 ** (b0 - 2), cross], [cross, a0**b0 * la * la]]
    for row, erow in zip(H, expected):
        assert row == pytest.approx(erow, rel=1e-12)


def test_zero_grad_clears_every_node():
    """zero_grad(root) sets .grad = 0 on every reachable node."""
    x = Value(1.0)
    y = (x * 2).tanh()
    y.backward()
    zero_grad(y)
    assert all(n.grad == 0.0 for n in topological_order(y))


def test_interior_and_leaf_grads_match_chain_rule():
    """y = tanh(2x + 1): interior h = 2x+1 gets 1 - y^2, x gets 2(1 - y^2)."""
    x = Value(0.25)
    h = x * 2 + 1
    y = h.tanh()
    y.backward()
    s = 1 - math.tanh(1.5) ** 2
    assert math.isclose(h.grad, s, rel_tol=1e-15)
    assert math.isclose(x.grad, 2 * s, rel_tol=1e-15)


@pytest.mark.parametrize("term, expected", [(3, 3.0), (10**400, math.inf), (-(10**400), -math.inf)])
def test_an_int_term_is_a_float_and_beyond_floats_an_infinity_of_its_sign(term, expected):
    """A vjp may return an int: the sweep takes it as a float, and one beyond the float range
    as the infinity of its sign (read through backprop_terms, the plain sweep); backward
    then refuses that infinity, naming it with its sign, and writes no .grad."""
    from autograd_engine.core import graph
    from autograd_engine.core.value import apply_op

    op = Op("int_term", lambda a: 2.0 * a, lambda g, out, a: (term,))
    x = Value(1.0)
    y = apply_op(op, x)
    order, grads, terms, local = graph.backprop_terms(y, 1.0)
    assert terms[y] == local[y] == (expected,) and type(terms[y][0]) is float
    assert grads[x] == expected and type(grads[x]) is float
    if not math.isfinite(expected):
        gc.collect()  # a traceback in a cycle (an earlier test's error) may hold the permit
        holder = graph._take_permit()  # the plain sweep, as a concurrent backward takes it
        assert holder is not None
        try:
            with pytest.raises(FloatingPointError, match=rf"is not finite \({expected!r}\)"):
                y.backward()
        finally:
            del holder
        assert x.grad == 0.0 and y.grad == 0.0


def test_create_graph_records_the_derivative_even_inside_no_grad():
    """grad(..., create_graph=True) records the derivative's graph whatever the mode it is
    called in (as torch's does): d/dx x^3 = 3x^2 = 27 at x = 3, and d/dx of that, 6x = 18,
    taken outside."""
    from autograd_engine import no_grad

    x = Value(3.0)
    y = x**3
    with no_grad():
        (d,) = grad(y, [x], create_graph=True)
    assert d.data == 27.0
    assert [v.data for v in grad(d, [x])] == [18.0]


def test_backprop_and_backprop_terms_by_hand():
    """root = (x y + x)^2 at x = 2, y = -3 (w = x y + x = -4): d root/d w = 2w = -8, d/dx =
    -8 (y + 1) = 16, d/dy = -8 x = -16. backprop gives floats, a Constant of the graph reads
    0.0 and a Value outside it is a KeyError; backprop_terms gives each node's terms (g times
    its local derivatives) and the local derivatives themselves."""
    from autograd_engine.core import graph

    x, y = Value(2.0), Value(-3.0)
    z = x * y
    w = z + x
    root = w * w
    order, grads = graph.backprop(root, 1.0)
    assert order == [x, y, z, w, root]
    assert [grads[n] for n in order] == [16.0, -16.0, -8.0, -8.0, 1.0]
    assert all(type(grads[n]) is float for n in order)
    constant = (x * 2.0).parents[1]
    _, with_constant = graph.backprop(constant * x, 1.0)
    assert type(constant).__name__ == "Constant" and with_constant[constant] == 0.0
    with pytest.raises(KeyError):
        grads[Value(5.0)]
    order, values = graph.backprop(root, 1.0, create_graph=True)  # a float seed too
    assert all(type(values[n]) is Value for n in order[:-1])  # the root's is the seed
    assert [values[n].data for n in order[:-1]] == [16.0, -16.0, -8.0, -8.0]
    order, grads, terms, local = graph.backprop_terms(root, 1.0)
    assert [grads[n] for n in order] == [16.0, -16.0, -8.0, -8.0, 1.0]
    assert terms == {root: (-4.0, -4.0), w: (-8.0, -8.0), z: (24.0, -16.0)}
    assert local == {root: (-4.0, -4.0), w: (1.0, 1.0), z: (-3.0, 2.0)}


@pytest.mark.parametrize("name", ["add", "mul"])
def test_a_home_made_op_named_like_a_built_in_runs_its_own_vjp(name):
    """The sweep writes the built-in ADD's and MUL's vjp inline, recognising them by identity,
    not by name: a home-made op called "add" or "mul" (an Op is a str) keeps its own vjp."""
    from autograd_engine.core.value import apply_op

    forward = (lambda a, b: a + b) if name == "add" else (lambda a, b: a * b)
    own = Op(name, forward, lambda g, out, a, b: (5.0 * g, 7.0 * g))
    x, y = Value(1.0), Value(2.0)
    root = apply_op(own, x, y)
    assert root.op == name
    root.backward()
    assert (x.grad, y.grad) == (5.0, 7.0)
    assert [d.data for d in grad(root, [x, y])] == [5.0, 7.0]


def test_backprop_terms_checks_the_local_derivatives_as_it_checks_the_terms():
    """The local derivatives are the vjp at g = 1, a call of their own: a vjp that returns a
    Value there (and floats at the node's own g = 3) is refused as a Value term is."""
    from autograd_engine.core import graph
    from autograd_engine.core.value import apply_op

    def vjp(g, out, a):
        return (Value(2.0),) if g == 1.0 else (2.0 * g,)

    twice = Op("twice", lambda a: 2.0 * a, vjp)
    x = Value(1.0)
    root = apply_op(twice, x) * 3.0  # g = 3 at the twice node
    with pytest.raises(TypeError, match=r"twice: term 0 of its vjp must be a real number"):
        graph.backprop_terms(root, 1.0)


def test_an_int_term_beyond_floats_is_a_gradient_of_infinity_named_not_an_overflow():
    """A vjp term that is an int past the float range (-10**400) is -inf, as the plain sweep
    takes it: backward and grad raise FloatingPointError naming the input, not Python's bare
    OverflowError from the fast sweep's sums, and no .grad changes."""
    from autograd_engine.core import graph
    from autograd_engine.core.value import apply_op

    gc.collect()  # no traceback of another test keeps the fast sweep's permit
    assert len(graph._permits) == 1
    big = Op("big", lambda a: 2.0 * a, lambda g, out, a: (-(10**400),))
    x = Value(1.0, label="x")
    y = apply_op(big, x)
    with pytest.raises(FloatingPointError, match=r"node \(label 'x'\).*not finite \(-inf\)"):
        y.backward()
    with pytest.raises(FloatingPointError, match=r"inputs\[0\] \(label 'x'\) is not finite"):
        grad(y, [x])
    assert x.grad == 0.0


def _overflowing():
    x = Value(1e-300, label="x")
    return x, x * 1e300 * 1e300  # d z / d x = 1e600: inf


def _str_term():  # the fast sweep's sums fail, the plain sweep names the term
    from autograd_engine.core.value import apply_op

    x = Value(1.0, label="x")
    return x, apply_op(Op("odd", lambda a: 2.0 * a, lambda g, out, a: ("a",)), x)


@pytest.mark.parametrize(
    ("make", "call", "error"),
    [
        (_overflowing, "backward", FloatingPointError),
        (_str_term, "backward", TypeError),
        (_str_term, "grad", TypeError),
    ],
    ids=["non-finite", "plain-backward", "plain-grad"],
)
def test_a_kept_backward_error_does_not_keep_the_fast_sweeps_permit(make, call, error):
    """An error kept with its traceback (``except ... as e: kept = e``, or Jupyter's last
    traceback) must not hold the fast sweep's permit, whether it was raised after the fast
    sweep or by the plain sweep it fell back to: later sweeps would all take the slow plain
    sweep while it lives."""
    from autograd_engine.core import graph

    gc.collect()
    assert len(graph._permits) == 1
    x, z = make()
    try:
        z.backward() if call == "backward" else grad(z, [x])
    except error as caught:
        kept = caught
    assert kept.__traceback__ is not None
    gc.collect()
    assert len(graph._permits) == 1
