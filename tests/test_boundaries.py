"""One rule for constants, vjp terms checked one by one, and the learner traps of issue 22.

Expected numbers are hand derivations.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd_engine import Op, Value, draw_dot, grad, topological_order
from autograd_engine.core import graph
from autograd_engine.core.value import Constant

ROOT = Path(__file__).resolve().parents[1]


# -- one rule for constants --------------------------------------------------------


@pytest.mark.parametrize("look", ["nothing", "parents", "topological_order", "draw_dot"])
def test_looking_at_a_graph_never_changes_what_backward_writes(look):
    """y = x*3 + x*x at x = 2: dy/dx = 3 + 2x = 7; the constant 3 gets nothing, ever."""
    x = Value(2.0)
    y = x * 3 + x * x
    if look == "parents":
        y.parents[0].parents  # noqa: B018
    elif look == "topological_order":
        topological_order(y)
    elif look == "draw_dot":
        draw_dot(y).source  # noqa: B018
    y.backward()
    assert x.grad == 7.0
    three = y.parents[0].parents[1]
    assert type(three) is Constant and three.data == 3.0 and three.grad == 0.0
    assert y.parents[0].parents[1] is three  # the same Value on every read
    y.backward()
    assert (x.grad, three.grad) == (14.0, 0.0)


def test_a_custom_vjp_gets_floats_in_backward_and_values_under_create_graph():
    """One form per mode, whether or not parents was read first."""
    seen = []

    def vjp(g, out, a, c):
        seen.append((type(a).__name__, type(c).__name__))
        return (g * c.exp() if isinstance(c, Value) else g * math.exp(c), g * 0.0)

    scale = Op("scale_exp", lambda a, c: a * math.exp(c), vjp)
    for read_first in (False, True):
        x = Value(2.0)
        y = scale(x, 1.0)  # y = x e^c: dy/dx = e
        if read_first:
            y.parents  # noqa: B018
        y.backward()
        (d,) = grad(y, [x], create_graph=True)
        assert x.grad == math.exp(1.0) and d.data == math.exp(1.0)
    assert seen == [("float", "float"), ("Value", "Constant")] * 2


def test_python_sum_adds_no_zero_plus_a_node():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    s = sum([a, b, c])
    assert graph.sweep_order(s) == [a, b, s.parents[0], c, s]  # (a + b) + c, no 0 + a
    assert s.parents[0].parents == (a, b)
    assert (0 + a) is a


# -- vjp terms, checked one by one -----------------------------------------------------


def _op_returning(terms):
    return Op("custom", lambda a, b: a * b, lambda g, out, a, b: terms(g, a, b))


def test_a_numpy_array_of_terms_and_numpy_scalars_are_taken_as_floats():
    np = pytest.importorskip("numpy")
    x, w = Value(3.0), Value(0.5)
    y = _op_returning(lambda g, a, b: np.array([g * b, g * a]))(x, w)
    y.backward()  # d(xw)/dx = w, d/dw = x
    assert (x.grad, w.grad) == (0.5, 3.0)
    assert type(x.grad) is float and type(w.grad) is float
    x2, w2 = Value(3.0), Value(0.5)
    y2 = _op_returning(lambda g, a, b: (np.float32(g * b), 3))(x2, w2)
    y2.backward()
    assert (type(x2.grad), x2.grad, w2.grad) == (float, 0.5, 3.0)


@pytest.mark.parametrize("bad", ["2", None, [1.0]], ids=["str", "None", "list"])
def test_a_term_that_is_not_a_number_is_a_type_error_naming_the_op_and_the_term(bad):
    x, w = Value(3.0), Value(0.5)
    y = _op_returning(lambda g, a, b: (g * b, bad))(x, w)
    with pytest.raises(TypeError, match=r"backward through custom: term 1 of its vjp"):
        y.backward()
    with pytest.raises(TypeError, match=r"backward through custom: term 1 of its vjp"):
        grad(y, [x, w])
    with pytest.raises(TypeError, match=r"term 1 of its vjp must be a Value or a real number, got"):
        grad(y, [x, w], create_graph=True)
    assert (x.grad, w.grad) == (0.0, 0.0)


def test_a_value_term_is_refused_in_backward_and_taken_under_create_graph():
    x, w = Value(3.0), Value(0.5)
    y = _op_returning(lambda g, a, b: (Value(0.5) * g, g * a))(x, w)
    with pytest.raises(TypeError, match=r"term 0 of its vjp must be a real number.*create_graph"):
        y.backward()
    assert x.grad == 0.0
    dx, dw = grad(y, [x, w], create_graph=True)
    assert (dx.data, dw.data) == (0.5, 3.0)


def test_a_value_error_in_a_vjp_is_said_as_what_happened():
    def vjp(g, out, a):
        raise ValueError("bad input")

    y = Op("picky", lambda a: a, vjp)(Value(1.0))
    with pytest.raises(ValueError, match=r"picky: its vjp raised ValueError .*bad input") as info:
        y.backward()
    assert "not finite" not in str(info.value)


def test_a_value_error_in_a_vjp_is_said_as_what_happened_in_jvp_too():
    from autograd_engine import jvp

    def vjp(g, out, a):
        raise ValueError("bad input")

    x = Value(1.0)
    y = Op("picky", lambda a: a, vjp)(x)
    with pytest.raises(ValueError, match=r"jvp through picky: its vjp raised ValueError"):
        jvp(y, [x], [1.0])


def test_an_overflowing_gradient_is_one_error_class_in_every_mode():
    """d(p q 1e10)/dq = p 1e10 = 1e310: beyond floats, FloatingPointError in both modes."""
    p, q = Value(1e300), Value(1e-300)
    y = p * q * 1e10
    with pytest.raises(FloatingPointError):
        y.backward()
    with pytest.raises(FloatingPointError):
        grad(y, [q])
    with pytest.raises(FloatingPointError):
        grad(y, [q], create_graph=True)
    assert (p.grad, q.grad) == (0.0, 0.0)


# -- data set by hand; formatting ------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "error"), [("3", TypeError), (math.nan, ValueError), (True, TypeError)]
)
def test_data_set_by_hand_is_checked_as_value_checks_it(bad, error):
    m = Value(1.0, label="m")
    with pytest.raises(error, match="Value: data"):
        m.data = bad
    assert m.data == 1.0
    m.data = 3  # an int is a real number: stored as a float
    assert (m.data, type(m.data)) == (3.0, float)


def test_a_value_formats_as_its_data():
    loss = Value(0.123456, label="loss")
    assert f"{loss:.4f}" == "0.1235"
    assert f"{loss}" == str(loss)


# -- files and schedules -------------------------------------------------------------------

_SAVER = """
import sys
from autograd_engine.files import write_atomic
text = "x" * 2_000_000
print("ready", flush=True)
while True:
    write_atomic(sys.argv[1], text)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sigterm_during_saves_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "m.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(8):
        child = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(target)], stdout=subprocess.PIPE, env=env
        )
        assert child.stdout is not None
        child.stdout.readline()
        time.sleep(0.003 * round_)  # land at different points of the write
        child.send_signal(signal.SIGTERM)
        assert child.wait(60) == -signal.SIGTERM
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_reduce_lr_on_plateau_state_dict_is_strict_json():
    from nn import MLP
    from nn.optim import SGD
    from nn.schedules import ReduceLROnPlateau

    params = MLP(2, [1], seed=0).parameters()
    for mode, worse in (("min", math.inf), ("max", -math.inf)):
        fresh = ReduceLROnPlateau(SGD(params, lr=0.1), mode=mode)
        text = json.dumps(fresh.state_dict(), allow_nan=False)  # raises on inf
        other = ReduceLROnPlateau(SGD(params, lr=0.1), mode=mode)
        other.step(1.0)
        other.load_state_dict(json.loads(text))
        assert (other.best, other.mode_worse) == (worse, worse)
        fresh.step(2.0)
        other.load_state_dict(json.loads(json.dumps(fresh.state_dict(), allow_nan=False)))
        assert other.best == 2.0


# -- learner traps in nn ----------------------------------------------------------------------


def test_numpy_arrays_are_taken_wherever_lists_are():
    np = pytest.importorskip("numpy")
    from nn import MLP
    from nn.losses import mse_loss
    from nn.optim import SGD
    from nn.train import evaluate, fit

    X = np.array([[0.5, -1.0], [1.0, 2.0], [-0.5, 0.25]])
    y = np.array([1.0, -1.0, 0.5])
    model, twin = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=0)
    assert model(X[0]).data == twin([0.5, -1.0]).data
    ours = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.05), 3, progress=False)
    lists = fit(
        twin, X.tolist(), y.tolist(), mse_loss, SGD(twin.parameters(), lr=0.05), 3, progress=False
    )
    assert ours["loss"] == lists["loss"]
    assert evaluate(model, X, y, mse_loss) == evaluate(twin, X.tolist(), y.tolist(), mse_loss)


def test_a_diverging_fit_stops_with_an_error_naming_the_learning_rate():
    from nn import MLP
    from nn.losses import mse_loss
    from nn.optim import SGD
    from nn.train import fit

    X = [[3.0 * i, -2.0 * i] for i in range(-5, 5)]
    y = [5.0 * i for i in range(-5, 5)]
    model = MLP(2, [16, 16, 1], seed=0)
    with pytest.raises(FloatingPointError, match=r"diverged at epoch \d+ .*lr=0\.5"):
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.5), 200, progress=False)


def test_ctrl_c_in_python_m_nn_says_the_epoch_and_exits_130(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-m", "nn", "--out", str(tmp_path), "--epochs", "100000", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Ctrl-C's default action even when this run inherited SIGINT ignored (a shell's
        # background job): Python then keeps it ignored and the child would never stop.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert child.stdout is not None
    child.stdout.readline()  # the summary line: training has started
    time.sleep(1.0)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 130
    assert "Traceback" not in err
    assert "interrupted by Ctrl-C (fit: stopped during epoch" in err and "of 100000" in err
