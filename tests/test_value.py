"""Value arithmetic and backward(), against derivatives worked out by hand."""

from __future__ import annotations

import math

import pytest

from autograd_engine import Value, grad, no_grad
from autograd_engine.core import ops
from autograd_engine.core.value import apply_op


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def test_worked_sigmoid_example_matches_published_numbers():
    """sigmoid(w0*x0 + w1*x1 + w2) at w=(2,-3,-3), x=(-1,-2) gives the seed's f, dw and dx."""
    w = [Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")]
    x = [Value(-1.0, label="x0"), Value(-2.0, label="x1")]
    f = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
    f.backward()
    assert f.data == pytest.approx(0.7310585786300049, abs=1e-15)
    expected_dw = (-0.19661193324148185, -0.3932238664829637, 0.19661193324148185)
    expected_dx = (0.3932238664829637, -0.5898357997244456)
    assert [v.grad for v in w] == pytest.approx(expected_dw, abs=1e-15)
    assert [v.grad for v in x] == pytest.approx(expected_dx, abs=1e-15)


def test_arithmetic_with_numbers_on_either_side():
    """+ - * / ** with a number on either side give the right data and hand-derived grads."""
    x = Value(3.0, label="x")
    exprs = {
        # expr: (value, d/dx) derived by hand at x = 3
        "x + 2": (x + 2, 5.0, 1.0),
        "2 + x": (2 + x, 5.0, 1.0),
        "x - 2": (x - 2, 1.0, 1.0),
        "2 - x": (2 - x, -1.0, -1.0),
        "x * 2": (x * 2, 6.0, 2.0),
        "2 * x": (2 * x, 6.0, 2.0),
        "x / 2": (x / 2, 1.5, 0.5),
        "2 / x": (2 / x, 2 / 3, -2 / 9),
        "x ** 2": (x**2, 9.0, 6.0),
        "2 ** x": (2**x, 8.0, 8.0 * math.log(2)),
        "-x": (-x, -3.0, -1.0),
    }
    for name, (y, value, slope) in exprs.items():
        x.grad = 0.0
        y.backward()
        assert close(y.data, value), name
        assert close(x.grad, slope), name


def test_value_exponent_differentiates_both_sides():
    """d(a**b)/da = b a^(b-1) and d(a**b)/db = a^b ln a at a=2, b=3."""
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert close(y.data, 8.0)
    assert close(a.grad, 12.0)
    assert close(b.grad, 8.0 * math.log(2.0))


def test_unary_functions_and_their_derivatives():
    """exp, log, tanh, sigmoid and relu give closed-form values and slopes."""
    t = 0.3
    cases = [
        ("exp", math.exp(t), math.exp(t)),
        ("log", math.log(t), 1 / t),
        ("tanh", math.tanh(t), 1 - math.tanh(t) ** 2),
        ("sigmoid", 1 / (1 + math.exp(-t)), math.exp(-t) / (1 + math.exp(-t)) ** 2),
        ("relu", t, 1.0),
    ]
    for name, value, slope in cases:
        x = Value(t)
        y = getattr(x, name)()
        y.backward()
        assert y.op == name
        assert close(y.data, value), name
        assert close(x.grad, slope), name


def test_relu_below_and_at_zero_has_zero_slope():
    """relu is 0 with slope 0 for x < 0 and at the kink x = 0, as in PyTorch."""
    for t in (-2.0, 0.0):
        x = Value(t)
        y = x.relu()
        y.backward()
        assert y.data == 0.0
        assert x.grad == 0.0


def test_shared_node_a_plus_a():
    """y = a + a gives dy/da = 2, not 1: both paths are summed."""
    a = Value(3.0)
    y = a + a
    y.backward()
    assert a.grad == 2.0


def test_diamond_graph():
    """y = (a*b) * (a+b) at a=2, b=3: dy/da = 2ab + b^2 = 21, dy/db = a^2 + 2ab = 16."""
    a, b = Value(2.0), Value(3.0)
    y = (a * b) * (a + b)
    y.backward()
    assert y.data == 30.0
    assert a.grad == 21.0
    assert b.grad == 16.0


def test_backward_twice_adds_the_same_gradients_again():
    """y = (x*x)*1 at x=2: one backward gives 4, two give 8 (micrograd gives 12)."""
    x = Value(2.0)
    xx = x * x
    y = xx * 1
    y.backward()
    assert x.grad == 4.0
    assert xx.grad == 1.0
    y.backward()
    assert x.grad == 8.0
    assert xx.grad == 2.0
    assert y.grad == 2.0


def test_backward_with_upstream_gradient():
    """backward(gradient=g) scales every gradient by g."""
    x = Value(2.0)
    y = x * x
    y.backward(gradient=0.5)
    assert x.grad == 2.0


def test_sum_and_dot_are_single_nodes_with_correct_gradients():
    """Value.sum and Value.dot make one node; d/dw_i = x_i, d/dx_i = w_i."""
    w = [Value(1.0), Value(-2.0), Value(0.5)]
    x = [Value(3.0), Value(4.0), Value(-6.0)]
    d = Value.dot(w, x)
    assert d.op == "dot"
    assert len(d.parents) == 6
    assert d.data == 1 * 3 - 2 * 4 + 0.5 * -6
    d.backward()
    assert [v.grad for v in w] == [3.0, 4.0, -6.0]
    assert [v.grad for v in x] == [1.0, -2.0, 0.5]
    s = Value.sum([w[0], w[0], 2.0])
    s.backward()
    assert s.data == 4.0
    assert w[0].grad == 3.0 + 2.0


def test_sigmoid_and_tanh_are_stable_at_extremes():
    """sigmoid(-1000) == 0.0 and sigmoid(1000) == 1.0, tanh(+-1000) == +-1, with finite grads."""
    for t, s in ((-1000.0, 0.0), (1000.0, 1.0)):
        x = Value(t)
        y = x.sigmoid()
        y.backward()
        assert y.data == s
        assert x.grad == 0.0
        x = Value(t)
        y = x.tanh()
        y.backward()
        assert y.data == math.copysign(1.0, t)
        assert x.grad == 0.0


def test_no_grad_records_no_graph():
    """Inside no_grad results are leaves; recording resumes after the block."""
    x = Value(2.0)
    with no_grad():
        y = x * 3 + 1
    assert y.data == 7.0
    assert y.parents == () and y.op == ""
    z = x * 3
    assert z.parents[0] is x


@pytest.mark.parametrize(
    "make",
    [
        lambda x, y: x * y,
        lambda x, y: x + y,
        lambda x, y: x / y,
        lambda x, y: x - y,
        lambda x, y: x * 2.5,
        lambda x, y: 2.5 + x,
        lambda x, y: 1.0 / x,
        lambda x, y: 1 - x,
        lambda x, y: -x,
        lambda x, y: x**2.0,
        lambda x, y: x.exp(),
    ],
)
def test_no_grad_makes_a_leaf_on_every_fast_path(make):
    """Each operator's own shortcut to the node builder still honours no_grad."""
    x, y = Value(2.0), Value(4.0)
    with no_grad():
        out = make(x, y)
    assert out.parents == () and out.op == ""
    assert make(x, y).parents != ()


def test_no_grad_restores_mode_after_an_error():
    """An exception inside no_grad still restores recording."""
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert (Value(1.0) * 2).parents != ()


def test_parents_are_an_ordered_tuple_and_identity_equality():
    """parents keep argument order; equal data does not make Values equal."""
    a, b = Value(1.0), Value(1.0)
    y = a - b
    assert isinstance(y.parents, tuple)
    assert y.parents[0] is a
    assert a != b and a == a
    assert len({a, b}) == 2


def test_comparisons_use_data():
    """< <= > >= compare data, with Values or numbers."""
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1 and b >= 2.0
    assert max([a, b]) is b


def test_repr_and_float():
    """repr shows data, grad and label; float() gives the data."""
    x = Value(1.5, label="x")
    assert repr(x) == "Value(data=1.5, grad=0.0, label='x')"
    assert float(x) == 1.5


def test_constructor_accepts_ints_and_stores_floats():
    """Value(3) holds the float 3.0 and grad 0.0."""
    x = Value(3)
    assert type(x.data) is float and x.data == 3.0 and x.grad == 0.0 and x.label == ""


def _micrograd_readme_expression(a, b):
    # The example from micrograd's README and test suite, op for op.
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_readme_example_matches_published_and_torch():
    """micrograd's README example: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773 (PyTorch)."""
    a, b = Value(-4.0), Value(2.0)
    g = _micrograd_readme_expression(a, b)
    g.backward()
    # Published in micrograd's README (4 decimals), computed there with PyTorch.
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773
    torch = pytest.importorskip("torch")
    ta = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tg = _micrograd_readme_expression(ta, tb)
    tg.backward()
    assert close(g.data, tg.item(), 1e-13)
    assert close(a.grad, ta.grad.item(), 1e-13)
    assert close(b.grad, tb.grad.item(), 1e-13)


def test_division_is_one_node_with_exact_rounding_and_gradients():
    """a / b rounds once (0.3 / 0.1 as floats do) and d/db = -a/b^2 does not underflow."""
    q = Value(0.3) / 0.1
    assert q.op == "div" and q.data == 0.3 / 0.1
    a, b = Value(1e300), Value(1e200)
    y = a / b
    y.backward()
    assert y.data == 1e100
    assert math.isclose(a.grad, 1e-200, rel_tol=1e-15)
    assert math.isclose(b.grad, -1e-100, rel_tol=1e-15)  # -a/b^2; b**-2 alone would underflow
    assert (Value(1e-300) / Value(1e-310)).data == 1e-300 / 1e-310


def test_value_power_at_zero_base_follows_the_limits():
    """0 ** b: at b = 0 both slopes are 0 (as PyTorch); x ** 2.0 at 0 has derivatives 0, 2, 0."""
    a, b = Value(0.0), Value(0.0)
    y = a**b
    y.backward()
    assert (y.data, a.grad, b.grad) == (1.0, 0.0, 0.0)
    x = Value(0.0)
    y = x ** Value(2.0)
    derivatives = []
    for _ in range(3):
        (y,) = grad(y, [x], create_graph=True)
        derivatives.append(y.data)
    assert derivatives == [0.0, 2.0, 0.0]


@pytest.mark.parametrize("b", [1.0, 2.0, 3.0])  # b < 1: d/da is infinite at 0
def test_value_power_at_zero_base_has_zero_exponent_slope(b):
    """d/db 0 ** b = 0 for b > 0 (the limit of a**b ln a as a -> 0+, PyTorch's value)."""
    a, e = Value(0.0), Value(b)
    y = a**e
    (db,) = grad(y, [e])
    assert (y.data, db.data) == (0.0, 0.0)
    assert math.copysign(1.0, db.data) == 1.0  # +0.0, no sign flipped in


def test_number_base_power_differentiates_only_the_exponent():
    """0.0 ** x and 2 ** x: d/dx c**x = c**x ln c (0 at c = 0); the constant base gets none."""
    x = Value(0.5)
    y = 0.0**x
    y.backward()
    assert (y.data, x.grad, y.op) == (0.0, 0.0, "rpow")
    x = Value(3.0)
    y = 2**x
    y.backward()
    assert y.data == 8.0 and math.isclose(x.grad, 8.0 * math.log(2.0), rel_tol=1e-15)


def test_no_grad_is_per_thread():
    """no_grad in one thread does not stop another thread from recording its graph."""
    import threading

    entered, done = threading.Event(), threading.Event()
    recorded = []

    def other_thread():
        entered.wait()
        recorded.append((Value(1.0) * 2).parents != ())
        done.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with no_grad():
        entered.set()
        done.wait()
    worker.join()
    assert recorded == [True]


def test_no_grad_in_another_thread_leaves_this_threads_no_grad_in_force():
    """While another thread is in no_grad and leaves it, this thread's no_grad holds."""
    import threading

    entered, leave, left = threading.Event(), threading.Event(), threading.Event()

    def other_thread():
        with no_grad():
            entered.set()
            leave.wait()
        left.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    entered.wait()
    x, y = Value(1.0), Value(2.0)
    with no_grad():
        leave.set()
        left.wait()  # the other thread's block has ended; this one has not
        inside = x * y
    worker.join()
    assert inside.parents == ()
    assert (x * y).parents == (x, y)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("x", [-800.0, -2.5, -0.0, 0.0, 1e-300, 0.75, 30.0, 800.0])
def test_activation_methods_build_the_node_apply_op_builds(name, x):
    """relu/tanh/sigmoid go straight to the node builder: the same node as the op row's."""
    op = getattr(ops, name.upper())
    a = Value(x)
    ours, theirs = getattr(a, name)(), apply_op(op, a)
    assert ours.op is op and ours.parents == theirs.parents == (a,)
    assert ours.data.hex() == theirs.data.hex() == op.forward(x).hex()
    with no_grad():
        assert getattr(a, name)().parents == ()


@pytest.mark.parametrize(
    ("base", "k"), [(1.0000001, -3), (-1.5, 0), (-1.5, 1), (-1.5, 2), (0.3, 7), (1.0, 2**53)]
)
def test_an_int_exponent_builds_the_node_of_its_float(base, k):
    """x ** 2 is x ** 2.0: the same data, gradient k x^(k-1) and a float constant."""
    x, y = Value(base), Value(base)
    a, b = x**k, y ** float(k)
    a.backward()
    b.backward()
    assert (a.data, x.grad) == (b.data, y.grad)
    assert a.op is b.op and type(a.parents[1].data) is float
    assert a.parents[1].data == float(k)
