"""Values inside numpy object arrays: numpy calls the Value methods, gradients stay right.

numpy is a test-only dependency (the ``dev`` extra); these tests skip without it.
For an object array numpy applies each ufunc element by element through the
object's own methods (``np.exp`` calls ``.exp()``, ``np.abs`` calls ``abs()``,
``np.var`` calls ``.conjugate()`` and ``.real``), and reductions and ``@`` use
``+`` and ``*``, so every result is a Value with a graph.
"""

from __future__ import annotations

import math

import pytest

from autograd_engine import Value, grad, gradcheck

np = pytest.importorskip("numpy")

POINT = [0.5, -1.25, 2.0, 0.75]


def array(xs):
    return np.array(list(xs), dtype=object)


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("sum", lambda a: np.sum(a)),
        ("mean", lambda a: np.mean(a)),
        ("var", lambda a: np.var(a)),
        ("std", lambda a: np.std(a)),
        ("exp-sum", lambda a: np.sum(np.exp(a))),
        ("sin-cos", lambda a: np.sum(np.sin(a) * np.cos(a))),
        ("tanh-mean", lambda a: np.mean(np.tanh(a))),
        ("abs-sqrt", lambda a: np.sum(np.sqrt(np.abs(a)))),
        ("log1p-expm1", lambda a: np.sum(np.log1p(a * a) + np.expm1(a))),
        ("matmul", lambda a: a[:2] @ a[2:]),
        ("matrix", lambda a: np.sum(a.reshape(2, 2) @ a.reshape(2, 2))),
    ],
)
def test_gradients_through_numpy_match_central_differences(name, f):
    """backward through numpy's object-array functions agrees with central differences."""

    def fn(*xs: Value) -> Value:
        out = f(array(xs))
        assert isinstance(out, Value), f"{name} returned {type(out).__name__}"
        return out

    assert gradcheck(fn, POINT, check_second_order=True)


def test_var_and_mean_by_hand():
    """var = mean((x - m)^2), d var/dx_i = 2 (x_i - m) / n; d mean/dx_i = 1/n."""
    xs = [Value(v) for v in POINT]
    m = sum(POINT) / 4
    want = [2 * (v - m) / 4 for v in POINT]
    var = np.var(array(xs))
    assert var.data == pytest.approx(sum((v - m) ** 2 for v in POINT) / 4, rel=1e-15)
    assert [g.data for g in grad(var, xs)] == pytest.approx(want, rel=1e-14)
    assert [g.data for g in grad(np.mean(array(xs)), xs)] == [0.25] * 4


def test_matmul_by_hand():
    """(A @ x)_i = sum_j A_ij x_j, so d sum(A @ x) / d x_j = sum_i A_ij."""
    xs = [Value(1.0), Value(-2.0)]
    a = np.array([[Value(2.0), Value(3.0)], [Value(-1.0), Value(0.5)]], dtype=object)
    y = a @ array(xs)
    assert [v.data for v in y] == [2.0 - 6.0, -1.0 - 1.0]
    assert [g.data for g in grad(np.sum(y), xs)] == [1.0, 3.5]


def test_elementwise_functions_call_the_value_methods():
    """np.exp, np.sqrt, np.abs, np.sin give the engine's nodes (op names), not floats."""
    x = Value(2.25)
    a = array([x])
    for fn, op in ((np.exp, "exp"), (np.sqrt, "sqrt"), (np.abs, "abs"), (np.sin, "sin")):
        [out] = fn(a)
        assert isinstance(out, Value) and out.op == op and out.parents == (x,)
    assert np.sqrt(a)[0].data == 1.5
    assert x.conjugate() is x and x.real is x


def test_numpy_matches_torch():
    """The gradient of std(exp(x)) through numpy equals torch's in float64."""
    torch = pytest.importorskip("torch")
    xs = [Value(v) for v in POINT]
    ours = [g.data for g in grad(np.std(np.exp(array(xs))), xs)]
    t = torch.tensor(POINT, dtype=torch.float64, requires_grad=True)
    torch.exp(t).std(unbiased=False).backward()
    assert ours == pytest.approx(t.grad.tolist(), rel=1e-12)
    assert math.isfinite(sum(ours))
