"""Forward mode (autograd_engine.jvp) against reverse mode, finite differences and PyTorch."""

from __future__ import annotations

import importlib.util
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_engine import Op, Value, grad, hessian, jvp, no_grad
from autograd_engine.testing import expressions, finite_floats, torch_backend

H = 1e-6


def directions(n: int) -> st.SearchStrategy[list[float]]:
    return st.lists(finite_floats(-2.0, 2.0), min_size=n, max_size=n)


def test_jvp_by_hand():
    """f = x*y + sin(x) at (2, 3): along (1, 0) f_x = y + cos x; along (1, -2) f_x - 2 f_y."""
    x, y = Value(2.0), Value(3.0)
    f = x * y + x.sin()
    assert jvp(f, [x, y], [1.0, 0.0]) == pytest.approx(3.0 + math.cos(2.0), rel=1e-15)
    assert jvp(f, [x, y], [0, 1]) == 2.0
    assert jvp(f, [x, y], [1.0, -2.0]) == pytest.approx(3.0 + math.cos(2.0) - 4.0, rel=1e-15)
    assert (x.grad, y.grad) == (0.0, 0.0)  # writes no .grad


@given(data=st.data(), expr=expressions())
def test_jvp_is_the_gradient_dotted_with_the_tangent(data, expr):
    """jvp(f, x, t) = sum_i t_i df/dx_i, the reverse-mode gradient along t."""
    t = data.draw(directions(expr.n_inputs))
    xs = [Value(v) for v in expr.inputs]
    out = expr(*xs)
    by_reverse = math.fsum(ti * g.data for ti, g in zip(t, grad(out, xs)))
    scale = math.fsum(abs(ti * g.data) for ti, g in zip(t, grad(out, xs)))
    assert jvp(out, xs, t) == pytest.approx(by_reverse, rel=1e-9, abs=1e-12 * (1 + scale))


@given(data=st.data(), expr=expressions())
def test_jvp_matches_a_central_difference_along_the_tangent(data, expr):
    """jvp(f, x, t) = (f(x + h t) - f(x - h t)) / 2h up to the difference's error."""
    t = data.draw(directions(expr.n_inputs))
    xs = [Value(v) for v in expr.inputs]
    analytic = jvp(expr(*xs), xs, t)

    def f(s: float) -> float:
        return expr(*[Value(v + s * ti) for v, ti in zip(expr.inputs, t)]).data

    numeric = (f(H) - f(-H)) / (2 * H)
    assert analytic == pytest.approx(numeric, rel=1e-3, abs=1e-5)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@given(data=st.data(), expr=expressions())
def test_jvp_matches_torch_func_jvp(data, expr):
    """The forward pass equals torch.func.jvp of the same program in float64."""
    import torch

    t = data.draw(directions(expr.n_inputs))
    xs = [Value(v) for v in expr.inputs]
    ours = jvp(expr(*xs), xs, t)
    primals = tuple(torch.tensor(v, dtype=torch.float64) for v in expr.inputs)
    tangents = tuple(torch.tensor(v, dtype=torch.float64) for v in t)
    backend = torch_backend()
    _, theirs = torch.func.jvp(lambda *a: expr.replay(a, backend), primals, tangents)
    assert ours == pytest.approx(theirs.item(), rel=1e-9, abs=1e-12)


@given(data=st.data(), expr=expressions(max_inputs=3, max_instructions=8))
def test_jvp_with_create_graph_differentiates_again(data, expr):
    """d/dx_j jvp(f, x, t) = (H t)_j: forward-over-reverse matches the double-backward Hessian."""
    t = data.draw(directions(expr.n_inputs))
    xs = [Value(v) for v in expr.inputs]
    out = expr(*xs)
    directional = jvp(out, xs, t, create_graph=True)
    assert isinstance(directional, Value)
    hv = [g.data for g in grad(directional, xs)]
    h = hessian(expr(*xs), xs)
    want = [math.fsum(h[j][i] * t[i] for i in range(len(xs))) for j in range(len(xs))]
    assert hv == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_one_pass_gives_every_output():
    """With a list of roots, one forward pass along e_x gives the Jacobian column of f: R -> R^3."""
    x = Value(0.5)
    outputs = [x.sin(), x * x, x.exp()]
    column = jvp(outputs, [x], [1.0])
    assert column == pytest.approx([math.cos(0.5), 1.0, math.exp(0.5)], rel=1e-15)
    assert jvp([x * 2.0], [x], [1.0]) == [2.0]


def test_roots_inside_each_others_graphs_and_repeated_roots_all_get_their_derivative():
    """Roots [f, u, f, g] at x = 2, y = 3 along x: u = x*x lies in f = u*y, f repeats, and
    g = e^y * x has nodes of its own: f' = 2xy = 12, u' = 2x = 4, g' = e^3 (by hand)."""
    x, y = Value(2.0), Value(3.0)
    u = x * x
    f = u * y
    g = y.exp() * x
    want = [12.0, 4.0, 12.0, math.exp(3.0)]
    assert jvp([f, u, f, g], [x], [1.0]) == want
    assert [v.data for v in jvp([f, u, f, g], [x], [1.0], create_graph=True)] == want


def test_a_node_that_does_not_depend_on_the_inputs_is_never_differentiated():
    """sqrt has no derivative at 0, but 3x + sqrt(c) at c = 0 has d/dx = 3: c is no input."""
    x, c = Value(2.0), Value(0.0)
    root = x * 3.0 + c.sqrt()
    assert jvp(root, [x], [1.0]) == 3.0
    assert jvp(root, [x], [1.0], create_graph=True).data == 3.0
    with pytest.raises(ZeroDivisionError, match="jvp through sqrt"):
        jvp(root, [c], [1.0])


def test_unused_and_repeated_inputs():
    """An input root does not depend on adds 0; an input listed twice adds both tangents."""
    x, unused = Value(1.5), Value(7.0)
    f = x * x
    assert jvp(f, [x, unused], [1.0, 100.0]) == 3.0
    assert jvp(f, [unused], [1.0]) == 0.0
    assert jvp(f, [x, x], [1.0, 2.0]) == 9.0
    assert jvp(f, [x, x], [1.0, 2.0]) == sum(t * g.data for t, g in zip([1, 2], grad(f, [x, x])))
    assert jvp(f, (v for v in [x]), iter([2])) == 6.0  # any iterables, ints as tangents


def test_an_interior_input_agrees_with_grad():
    """For u = x*x, f = u*x: jvp along (t_x, t_u) is t_x df/dx + t_u df/du, as grad gives."""
    x = Value(2.0)
    u = x * x
    f = u * x
    g = [v.data for v in grad(f, [x, u])]  # df/dx through all paths = 3x^2 = 12; df/du = x = 2
    assert g == [12.0, 2.0]
    assert jvp(f, [x, u], [1.0, 0.0]) == 12.0
    assert jvp(f, [x, u], [0.0, 1.0]) == 2.0
    assert jvp(f, [x, u], [1.0, 5.0]) == 22.0


def test_a_root_that_is_an_input_or_a_constant():
    """jvp(x, [x], [t]) = t; a root independent of the inputs has derivative 0."""
    x = Value(3.0)
    assert jvp(x, [x], [2.5]) == 2.5
    assert jvp(Value(1.0) * 2, [x], [1.0]) == 0.0
    assert jvp(x, [x], [2.5], create_graph=True).data == 2.5


def test_a_deep_chain_needs_no_recursion():
    """A 100,000-node chain x + 1 + 1 ...: d/dx = 1 along t = 3 gives 3."""
    x = Value(0.0)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    assert jvp(y, [x], [3.0]) == 3.0


def test_a_derivative_that_does_not_exist_raises_naming_the_op():
    """sqrt at 0 on the tangent's path raises ZeroDivisionError naming sqrt and the label."""
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.label = "root"
    with pytest.raises(ZeroDivisionError, match="jvp through sqrt \\(label 'root'\\)"):
        jvp(y, [x], [1.0])
    # Off the path it is never computed: z depends on w only through the sum.
    w = Value(1.0)
    assert jvp(y + w, [w], [1.0]) == 1.0


def test_an_infinite_directional_derivative_raises():
    """d/dx x^3 = 2700 at x = 30, times a tangent of 1e306, overflows: FloatingPointError."""
    x = Value(30.0)
    with pytest.raises(FloatingPointError, match="jvp: the directional derivative is not finite"):
        jvp(x**3, [x], [1e306])


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("a str", ["$x"], [1.0]), TypeError, "jvp: root must be a Value"),
        (("$y", "$x", [1.0]), TypeError, "jvp: inputs must be a sequence of Values, e.g."),
        (("$y", [1.0], [1.0]), TypeError, r"jvp: inputs\[0\] must be a Value, got float"),
        (("$y", ["$x"], [1.0, 2.0]), ValueError, r"one entry per input \(1\), got 2$"),
        (("$y", ["$x", "$x"], [1.0]), ValueError, r"one entry per input \(2\), got 1$"),
        (("$y", ["$x"], []), ValueError, r"one entry per input \(1\), got 0$"),
        (("$y", 1.0, [1.0]), TypeError, "jvp: inputs must be a sequence of Values, got float$"),
        (("$y", "x", [1.0]), TypeError, "jvp: inputs must be a sequence of Values, got str$"),
        (("$y", ["$x"], [True]), TypeError, r"jvp: tangents\[0\] must be a real number"),
        (("$y", ["$x"], ["1"]), TypeError, r"jvp: tangents\[0\] must be a real number"),
        (("$y", ["$x"], [math.nan]), ValueError, r"jvp: tangents\[0\] must be finite"),
        (("$y", ["$x"], [10**400]), ValueError, r"jvp: tangents\[0\] must be finite, got int of"),
        (("$y", ["$x"], 1.0), TypeError, "jvp: tangents must be a list of numbers"),
        (([], ["$x"], [1.0]), ValueError, "jvp: root must be a Value or a non-empty list"),
        ((["$y", 2.0], ["$x"], [1.0]), TypeError, r"jvp: root\[1\] must be a Value"),
        ((2.0, ["$x"], [1.0]), TypeError, "jvp: root must be a Value"),
    ],
)
def test_bad_arguments_are_refused(args, error, message):
    """Wrong types are TypeErrors, wrong values ValueErrors, each naming the argument."""
    x = Value(1.0)
    y = x * x
    names = {"$x": x, "$y": y}

    def sub(a):
        if isinstance(a, str):
            return names.get(a, a)
        if isinstance(a, list):
            return [sub(v) for v in a]
        return a

    with pytest.raises(error, match=message):
        jvp(*[sub(a) for a in args])


def test_two_roots_each_with_nodes_of_its_own():
    """Roots [sin x, e^y * x] at x = 0.5, y = 2 along (1, 1): the second root's nodes are in
    no graph of the first. By hand: cos 0.5, and e^y * 1 + x * e^y * 1 = 1.5 e^2."""
    x, y = Value(0.5), Value(2.0)
    want = [math.cos(0.5), 1.5 * math.exp(2.0)]
    assert jvp([x.sin(), y.exp() * x], [x, y], [1.0, 1.0]) == pytest.approx(want, rel=1e-15)
    got = jvp([x.sin(), y.exp() * x], [x, y], [1.0, 1.0], create_graph=True)
    assert [v.data for v in got] == pytest.approx(want, rel=1e-15)


def test_create_graph_records_the_derivative_even_inside_no_grad():
    """f = x sin x: jvp along 1 is f' = sin x + x cos x, and its own derivative f'' =
    2 cos x - x sin x (by hand), though the call is made inside no_grad."""
    x = Value(0.7)
    f = x * x.sin()
    with no_grad():
        d = jvp(f, [x], [1.0], create_graph=True)
    assert d.data == pytest.approx(math.sin(0.7) + 0.7 * math.cos(0.7), rel=1e-15)
    (dd,) = grad(d, [x])
    assert dd.data == pytest.approx(2 * math.cos(0.7) - 0.7 * math.sin(0.7), rel=1e-14)


def test_three_hundred_inputs_and_a_node_of_three_hundred_parents():
    """Counts above 256 (Python caches the ints up to 256, so a count compared by identity
    would differ): one home-made op sums 300 inputs, each partial 1, so jvp along
    t_i = i + 1 is sum t_i = 300 * 301 / 2 = 45150; the chain x_0 + x_1 + ... too."""
    total = Op("total", lambda *xs: math.fsum(xs), lambda g, out, *xs: (g,) * len(xs))
    xs = [Value(float(i)) for i in range(300)]
    t = [float(i + 1) for i in range(300)]
    assert jvp(total(*xs), xs, t) == 45150.0
    assert jvp(total(*xs), xs, t, create_graph=True).data == 45150.0
    chain = xs[0]
    for x in xs[1:]:
        chain = chain + x
    assert jvp(chain, xs, t) == 45150.0


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("terms", [1, 3])
def test_a_vjp_with_the_wrong_number_of_terms_is_refused(terms, create_graph):
    """A home-made op of two inputs whose vjp returns one term, or three, is a TypeError
    saying how many (zip would silently drop the missing or the extra ones)."""
    op = Op("lopsided", lambda a, b: a * b, lambda g, out, a, b: (g * b, g * a, g)[:terms])
    x, w = Value(3.0), Value(0.5)
    y = op(x, w)
    y.label = "p"
    said = f"^jvp through lopsided \\(label 'p'\\): its vjp returned {terms} terms for 2 inputs$"
    with pytest.raises(TypeError, match=said):
        jvp(y, [x, w], [1.0, 1.0], create_graph=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_local_derivative_that_fails_is_said_as_what_happened(create_graph):
    """sqrt at 0 has no finite derivative (ZeroDivisionError: 'not finite'); a home-made vjp
    that raises ValueError is said as that, never as 'not finite'. Both chained."""
    x = Value(0.0)
    with pytest.raises(
        ZeroDivisionError,
        match=r"^jvp through sqrt: the local derivative is not finite at inputs \[0\.0\] \(",
    ) as info:
        jvp(x.sqrt(), [x], [1.0], create_graph=create_graph)
    assert isinstance(info.value.__cause__, ZeroDivisionError)

    def vjp(g, out, a):
        raise ValueError("bad input")

    w = Value(1.0)
    y = Op("picky", lambda a: a, vjp)(w)
    with pytest.raises(
        ValueError,
        match=r"^jvp through picky: its vjp raised ValueError at inputs \[1\.0\] \(bad input\)$",
    ) as info:
        jvp(y, [w], [1.0], create_graph=create_graph)
    assert "not finite" not in str(info.value)
    assert isinstance(info.value.__cause__, ValueError)
