"""Hostile arguments found by sweeping the public API: each is a clear error that names
the function and the argument, raised before anything changes."""

from __future__ import annotations

import math

import pytest

from autograd_engine import Op, Value, jvp, save_svg, topological_order, zero_grad
from autograd_engine.pictures.viz import render_svg
from nn import MLP
from nn.data import make_moons
from nn.losses import hinge_loss
from nn.optim import SGD
from nn.schedules import ExponentialLR, ReduceLROnPlateau, StepLR
from nn.train import fit


def _square_vjp(g: float, out: float, a: float) -> tuple[float]:
    return (2.0 * a * g,)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("", abs, _square_vjp), {}, "name must be a non-empty str"),
        ((3, abs, _square_vjp), {}, "name must be a non-empty str"),
        (("sq", "x*x", _square_vjp), {}, "forward must be a function"),
        (("sq", abs, None), {}, "vjp must be a function"),
        (("sq", abs, _square_vjp), {"domain": 1.0}, "domain must be a function"),
        (("sq", abs, _square_vjp), {"symbol": 2}, "symbol must be a non-empty str"),
        (("sq", abs, _square_vjp), {"symbol": ""}, "symbol must be a non-empty str"),
        (("sq", abs, _square_vjp), {"constants": []}, "constants must be a tuple"),
        (("sq", abs, _square_vjp), {"constants": [1]}, "constants must be a tuple"),
        (("sq", abs, _square_vjp), {"constants": (-1,)}, "constants must be a tuple"),
        (("sq", abs, _square_vjp), {"constants": (True,)}, "constants must be a tuple"),
    ],
)
def test_an_op_is_checked_when_it_is_made(args, kwargs, match):
    with pytest.raises(TypeError, match=match):
        Op(*args, **kwargs)


@pytest.mark.parametrize("result", [None, "9", {9.0}, [9.0], 9, math.nan])
def test_a_custom_forward_must_return_a_float(result):
    bad = Op("bad", lambda a: result, _square_vjp)
    if isinstance(result, float):  # nan is a float: it is not finite instead
        with pytest.raises(OverflowError, match="bad: the result is not finite"):
            bad(Value(3.0))
    else:
        with pytest.raises(TypeError, match="bad: forward must return a float"):
            bad(Value(3.0))


def test_a_custom_op_names_itself_for_a_bad_input():
    square = Op("square", lambda a: a * a, _square_vjp)
    with pytest.raises(TypeError, match=r"^square: input 0 must be a Value or a real number"):
        square("3")


@pytest.mark.parametrize("call", [topological_order, zero_grad])
@pytest.mark.parametrize("root", [None, 3.0, [Value(1.0)]])
def test_graph_functions_need_a_value(call, root):
    with pytest.raises(TypeError, match=f"{call.__name__}: root must be a Value"):
        call(root)


def test_jvp_create_graph_must_be_a_bool():
    x = Value(1.0)
    with pytest.raises(TypeError, match="jvp: create_graph must be a bool"):
        jvp(x * x, [x], [1.0], create_graph="yes")


@pytest.mark.parametrize("call", [render_svg, save_svg])
def test_drawing_functions_name_their_dot_argument(call, tmp_path):
    args = ("digraph { a }",) if call is render_svg else ("digraph { a }", tmp_path / "a.svg")
    with pytest.raises(TypeError, match=f"{call.__name__}: dot must be a graphviz.Digraph"):
        call(*args)
    assert not (tmp_path / "a.svg").exists()


def test_mlp_takes_its_layer_sizes_from_any_iterable_once():
    model = MLP(2, (n for n in [3, 1]))
    assert model.nouts == [3, 1]
    assert len(model.parameters()) == (2 + 1) * 3 + (3 + 1) * 1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"progress": "yes"}, TypeError, "fit: progress must be a bool"),
        ({"seed": 1.5}, TypeError, "fit: seed must be an int, a str or None"),
        ({"seed": [1]}, TypeError, "fit: seed must be an int, a str or None"),
    ],
)
def test_fit_checks_progress_and_seed_before_any_update(kwargs, error, match):
    X, y = make_moons(8, noise=0.1, seed=0)
    model = MLP(2, [3, 1])
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=match):
        fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), epochs=1, **kwargs)
    assert [p.data for p in model.parameters()] == before


def _step_lr() -> StepLR:
    return StepLR(SGD([Value(1.0)], lr=0.1), step_size=2)


@pytest.mark.parametrize(
    ("make", "field", "bad"),
    [
        (_step_lr, "step_size", 0),
        (_step_lr, "gamma", math.inf),
        (_step_lr, "gamma", -0.5),
        (_step_lr, "last_epoch", -5),
        (_step_lr, "base_lrs", [math.inf]),
        (lambda: ExponentialLR(SGD([Value(1.0)], lr=0.1), gamma=0.9), "gamma", 1e400),
        (lambda: ReduceLROnPlateau(SGD([Value(1.0)], lr=0.1)), "factor", 1.5),
        (lambda: ReduceLROnPlateau(SGD([Value(1.0)], lr=0.1)), "eps", -1.0),
        (lambda: ReduceLROnPlateau(SGD([Value(1.0)], lr=0.1)), "min_lrs", [math.inf]),
        (lambda: ReduceLROnPlateau(SGD([Value(1.0)], lr=0.1)), "threshold", math.inf),
    ],
)
def test_scheduler_load_state_dict_holds_the_constructor_bounds(make, field, bad):
    scheduler = make()
    saved = scheduler.state_dict()
    state = dict(saved, **{field: bad})
    with pytest.raises(ValueError, match=f"load_state_dict: state_dict\\['{field}'\\]"):
        scheduler.load_state_dict(state)
    assert scheduler.state_dict() == saved


def test_reduce_on_plateau_loads_an_infinite_best():
    # best starts at inf (mode "min"): a state saved before any step must load
    scheduler = ReduceLROnPlateau(SGD([Value(1.0)], lr=0.1))
    fresh = scheduler.state_dict()
    scheduler.step(0.5)
    assert scheduler.best == 0.5
    scheduler.load_state_dict(fresh)
    assert scheduler.best == math.inf


@pytest.mark.parametrize("bad", [(1, 2), (Value(1.0), "x"), (math.inf,), (None,)])
def test_parents_can_be_set_only_to_values_and_finite_floats(bad):
    y = Value(1.0) * 2.0
    before = y.parents
    with pytest.raises(TypeError, match="parents: input"):
        y.parents = bad
    assert y.parents == before
