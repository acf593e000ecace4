"""nn.optim against PyTorch 2.13: recorded float64 traces (tests/data) and live torch runs.

The numbers come from tests/data/optim_traces.json, written by tests/data/make_traces.py
with torch 2.13.0 (CPU, float64, one 0-dim tensor per parameter, foreach=False). Every test
that concerns optimizers in general iterates ``nn.optim.OPTIMIZERS`` and the ``examples``
each class declares (as torch's tests iterate ``optim_db``): a new optimizer is tested here
without an edit to this file.
"""

from __future__ import annotations

import importlib.util
import json
import math
from fractions import Fraction
from pathlib import Path

import optim_examples
import pytest

from autograd_engine import Value
from nn import optim
from nn.optim import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, RMSprop, clip_grad_norm_

DATA = Path(__file__).resolve().parent / "data"
TRACES = json.loads((DATA / "optim_traces.json").read_text())
X0 = TRACES["meta"]["x0"]
TOL = 1e-12

_spec = importlib.util.spec_from_file_location("make_traces", DATA / "make_traces.py")
make_traces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_traces)
objective = make_traces.objective


def _kwargs(raw: dict) -> dict:
    out = dict(raw)
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


EXAMPLES = [
    (name, cls_name, kwargs) for name, (cls_name, kwargs) in optim_examples.EXAMPLES.items()
]
OPT_NAMES = list(optim_examples.EXAMPLES)


def _recorded(name: str) -> dict:
    if name not in TRACES["optimizers"]:
        pytest.fail(f"no recorded torch trace for {name}: run python tests/data/make_traces.py")
    return TRACES["optimizers"][name]


def _build(cls_name: str, kwargs: dict, groups: list | None = None):
    params = [Value(v, label=name) for v, name in zip(X0, "xyz", strict=True)]
    cls = getattr(optim, cls_name)
    if groups is None:
        return params, cls(params, **_kwargs(kwargs))
    spec = [{**g, "params": [params[i] for i in g["params"]]} for g in groups]
    return params, cls(spec, **_kwargs(kwargs))


def _run_engine(cls_name: str, kwargs: dict, steps: int, groups: list | None = None):
    """Our optimizer on ``objective`` with gradients from our engine; params after each step."""
    params, opt = _build(cls_name, kwargs, groups)
    rows = []
    for _ in range(steps):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
        rows.append([p.data for p in params])
    return rows


def _max_diff(rows, expected) -> float:
    return max(abs(a - b) for r, e in zip(rows, expected, strict=True) for a, b in zip(r, e))


def test_the_recorded_traces_are_the_examples_of_the_registered_optimizers():
    """optim_traces.json holds one trace per example, made with that example's arguments."""
    assert sorted(TRACES["optimizers"]) == sorted(OPT_NAMES)
    for name, cls_name, kwargs in EXAMPLES:
        case = _recorded(name)
        assert (case["class"], _kwargs(case["kwargs"])) == (cls_name, _kwargs(kwargs)), name


@pytest.mark.parametrize("name", OPT_NAMES)
def test_replayed_torch_gradients_give_bit_identical_iterates(name):
    """Fed torch's own gradients, each optimizer reproduces torch's iterates exactly."""
    case = _recorded(name)
    params, opt = _build(case["class"], case["kwargs"])
    for step, grads in enumerate(case["grads"]):
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        opt.step()
        assert [p.data for p in params] == case["params"][step + 1], f"step {step + 1}"


@pytest.mark.parametrize("name", OPT_NAMES)
def test_engine_trace_matches_recorded_torch_trace(name):
    """With gradients from our engine, 8 steps on the objective match torch to 1e-12."""
    case = _recorded(name)
    rows = _run_engine(case["class"], case["kwargs"], len(case["grads"]))
    assert _max_diff(rows, case["params"][1:]) <= TOL


@pytest.mark.parametrize("name", OPT_NAMES)
def test_engine_trace_matches_live_torch(name):
    """The same configuration run live in torch gives the same iterates to 1e-12."""
    pytest.importorskip("torch")
    _, cls_name, kwargs = EXAMPLES[OPT_NAMES.index(name)]
    live = make_traces.torch_optimizer_trace(cls_name, _kwargs(kwargs))
    rows = _run_engine(cls_name, kwargs, make_traces.STEPS)
    assert _max_diff(rows, live["params"][1:]) <= TOL


@pytest.mark.parametrize("name", sorted(TRACES["groups"]))
def test_param_groups_with_their_own_hyperparameters_match_torch(name):
    """Groups with different lr (and momentum, amsgrad) follow torch's recorded iterates."""
    case = TRACES["groups"][name]
    cls_name, kwargs = case["optimizer"]
    rows = _run_engine(cls_name, kwargs, len(case["grads"]), case["groups"])
    assert _max_diff(rows, case["params"][1:]) <= TOL
    params, opt = _build(cls_name, kwargs, case["groups"])
    assert [g["lr"] for g in opt.param_groups] == case["lrs"][0]


@pytest.mark.parametrize("name", sorted(TRACES["groups"]))
def test_param_groups_match_live_torch(name):
    """Param groups give torch's live iterates to 1e-12."""
    pytest.importorskip("torch")
    case = TRACES["groups"][name]
    cls_name, kwargs = case["optimizer"]
    live = make_traces.torch_optimizer_trace(cls_name, _kwargs(kwargs), groups=case["groups"])
    rows = _run_engine(cls_name, kwargs, len(case["grads"]), case["groups"])
    assert _max_diff(rows, live["params"][1:]) <= TOL


def test_defaults_are_torchs():
    """Constructor defaults equal torch 2.13's (recorded here from inspect.signature)."""
    p = Value(1.0)
    assert SGD([p]).defaults == {
        "lr": 1e-3,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    }
    ada = Adagrad([Value(1.0)]).defaults
    assert (ada["lr"], ada["lr_decay"], ada["weight_decay"]) == (1e-2, 0.0, 0.0)
    assert (ada["initial_accumulator_value"], ada["eps"]) == (0.0, 1e-10)
    rms = RMSprop([Value(1.0)]).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"], rms["weight_decay"]) == (1e-2, 0.99, 1e-8, 0.0)
    assert (rms["momentum"], rms["centered"]) == (0.0, False)
    adam = Adam([Value(1.0)]).defaults
    assert (adam["lr"], adam["betas"], adam["eps"]) == (1e-3, (0.9, 0.999), 1e-8)
    assert (adam["weight_decay"], adam["amsgrad"], adam["decoupled_weight_decay"]) == (
        0.0,
        False,
        False,
    )
    adamw = AdamW([Value(1.0)]).defaults
    assert (adamw["lr"], adamw["betas"], adamw["weight_decay"]) == (1e-3, (0.9, 0.999), 1e-2)
    assert adamw["decoupled_weight_decay"] is True


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_signature_is_torchs(cls):
    """The twin's arguments, no more and no fewer, with torch's defaults; the positional ones
    in torch's order (``maximize`` and the flags are keyword-only here everywhere)."""
    torch = pytest.importorskip("torch")
    import inspect

    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(getattr(torch.optim, cls.torch_name)).parameters
    assert set(ours) == set(theirs)
    for name, param in ours.items():
        if name != "params":
            assert param.default == theirs[name].default, name
    positional = [n for n, p in ours.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == list(theirs)[: len(positional)]


def test_zero_grad_sets_every_grad_to_zero():
    """zero_grad sets .grad = 0.0 on every parameter of every group."""
    a, b = Value(1.0), Value(2.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = 3.0, -4.0
    opt.zero_grad()
    assert (a.grad, b.grad) == (0.0, 0.0)


def test_state_has_named_fields_keyed_by_parameter():
    """After a step the state is keyed by the Value itself with torch's field names."""
    x, y = Value(1.0), Value(2.0)
    opt = Adam([x, y], amsgrad=True)
    x.grad, y.grad = 0.5, -0.25
    opt.step()
    assert set(opt.state) == {x, y}
    assert set(opt.state[x]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert opt.state[x]["step"] == 1.0
    rms = RMSprop([Value(1.0)], momentum=0.9, centered=True)
    p = rms.param_groups[0]["params"][0]
    p.grad = 1.0
    rms.step()
    assert set(rms.state[p]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    ada = Adagrad([Value(1.0)], initial_accumulator_value=0.5)
    assert list(ada.state.values()) == [{"step": 0.0, "sum": 0.5}]


@pytest.mark.parametrize(("name", "cls_name", "kwargs"), EXAMPLES, ids=OPT_NAMES)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_gradient_raises_and_changes_nothing(name, cls_name, kwargs, bad):
    """A nan/inf gradient raises, naming the parameter, before any parameter or state changes."""
    params = [Value(1.0, label="w0"), Value(2.0, label="w1"), Value(-1.0, label="w2")]
    opt = OPTIMIZERS[cls_name](params, **kwargs)
    for p, g in zip(params, [0.3, -0.2, 0.1], strict=True):
        p.grad = g
    opt.step()
    before_data = [p.data for p in params]
    before_state = {p: dict(s) for p, s in opt.state.items()}
    params[0].grad, params[2].grad = 0.5, bad  # the first parameter is fine, the last is not
    with pytest.raises(FloatingPointError, match=r"'w2' \(group 0, index 2\)"):
        opt.step()
    assert [p.data for p in params] == before_data
    assert opt.state == before_state


def test_update_that_overflows_raises_and_changes_nothing():
    """A step whose result would be infinite raises and leaves every parameter as it was."""
    a, b = Value(1.0, label="a"), Value(1.0, label="b")
    opt = SGD([a, b], lr=1e300)
    a.grad, b.grad = 1.0, -1e300
    with pytest.raises(FloatingPointError, match="'b'"):
        opt.step()
    assert (a.data, b.data, opt.state) == (1.0, 1.0, {})


def test_a_negative_variance_estimate_raises_as_a_non_finite_update():
    """RMSprop centered with alpha = 0: square_avg = g*g rounded, grad_avg = g, so the variance
    square_avg - grad_avg**2 is minus the rounding error of g*g, negative for g = 0.7 and 1.1
    (and 0 or positive for 0.1, 0.2, 0.3). torch takes its sqrt as nan; here that is the
    FloatingPointError of a non-finite update, nothing changed, never math's ValueError."""
    torch = pytest.importorskip("torch")
    for g in [0.7, 1.1]:
        assert Fraction(g * g) < Fraction(g) ** 2  # g*g rounds down: the variance is < 0
        q = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
        theirs = torch.optim.RMSprop([q], lr=0.01, alpha=0.0, centered=True)
        q.grad = torch.tensor(g, dtype=torch.float64)
        theirs.step()
        assert math.isnan(q.item())
        p = Value(1.0, label="w")
        opt = RMSprop([p], lr=0.01, alpha=0.0, centered=True)
        p.grad = g
        with pytest.raises(FloatingPointError, match="'w' .*non-finite value nan"):
            opt.step()
        assert (p.data, opt.state) == (1.0, {})


def _loaded(cls_name: str, kwargs: dict, fields: dict | None):
    p = Value(1.0, label="w")
    opt = OPTIMIZERS[cls_name]([p], **kwargs)
    if fields is not None:
        saved = opt.state_dict()
        saved["state"] = {0: fields}
        opt.load_state_dict(saved)
    return p, opt


@pytest.mark.parametrize(
    ("cls_name", "kwargs", "fields", "grad", "named"),
    [
        # one field: g*g = 1e400 overflows the sum, the step itself stays finite
        ("Adagrad", {"lr": 0.1}, None, 1e200, "'sum' = inf"),
        ("RMSprop", {"lr": 0.01}, None, 1e200, "'square_avg' = inf"),
        # two: lerp(-1.7e308, 1.7e308, 0.7) = 1.7e308 - 0.3 * (1.7e308 + 1.7e308) = -inf
        # (end - start overflows), then exp_avg_sq = inf
        (
            "Adam",
            {"lr": 0.05, "betas": (0.3, 0.999)},
            {"step": 1.0, "exp_avg": -1.7e308, "exp_avg_sq": 1.0},
            1.7e308,
            "'exp_avg' = -inf",
        ),
        # three: square_avg = inf, grad_avg = -1.7e308 + 0.01 * inf = inf, and the variance
        # inf - inf * inf = nan makes momentum_buffer nan
        (
            "RMSprop",
            {"lr": 0.01, "centered": True, "momentum": 0.5},
            {"step": 1.0, "square_avg": 1.0, "grad_avg": -1.7e308, "momentum_buffer": 0.0},
            1.7e308,
            "'square_avg' = inf",
        ),
    ],
)
def test_a_non_finite_state_is_named_with_its_own_value(cls_name, kwargs, fields, grad, named):
    """When an update makes state fields non-finite, the error names the first of them (in
    the order the update writes them) with that field's own value, derived by hand; nothing
    changes."""
    p, opt = _loaded(cls_name, kwargs, fields)
    before = {k: dict(v) for k, v in opt.state.items()}
    p.grad = grad
    with pytest.raises(FloatingPointError, match=rf"non-finite state {named} \(grad"):
        opt.step()
    assert p.data == 1.0
    assert {k: dict(v) for k, v in opt.state.items()} == before


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
@pytest.mark.parametrize("bad", [True, False, "0.5", None, 1j, [0.5]], ids=repr)
def test_a_gradient_that_is_not_a_real_number_raises_type_error_and_changes_nothing(cls, bad):
    """A bool, str, None, complex or list gradient is a TypeError naming the parameter (a bool
    is not taken for 1 or 0), before any parameter or state changes."""
    params = [Value(1.0, label="a"), Value(2.0, label="b")]
    opt = cls(params, **next(iter(cls.examples.values())))
    before = {p: dict(s) for p, s in opt.state.items()}
    params[0].grad, params[1].grad = 0.5, bad
    with pytest.raises(
        TypeError, match=r"gradient of parameter 'b' \(group 0, index 1\) must be a"
    ):
        opt.step()
    assert [p.data for p in params] == [1.0, 2.0]
    assert opt.state == before


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_an_int_or_fraction_gradient_steps_as_its_float(cls):
    """A finite gradient that is an int or a Fraction steps exactly as the same float does;
    one beyond the float range is the FloatingPointError of a non-finite gradient."""
    kwargs = next(iter(cls.examples.values()))
    for grads in ([2, -3], [Fraction(1, 2), Fraction(-3, 4)]):
        ours = [Value(1.0), Value(2.0)]
        twins = [Value(1.0), Value(2.0)]
        opt, twin = cls(ours, **kwargs), cls(twins, **kwargs)
        for _ in range(2):
            for p, q, g in zip(ours, twins, grads, strict=True):
                p.grad, q.grad = g, float(g)
            opt.step()
            twin.step()
        assert [p.data for p in ours] == [q.data for q in twins] != [1.0, 2.0]
        assert list(opt.state.values()) == list(twin.state.values())
    p = Value(1.0, label="w")
    opt = cls([p], **kwargs)
    p.grad = 10**400
    with pytest.raises(FloatingPointError, match="the gradient of parameter 'w' .* is "):
        opt.step()
    assert p.data == 1.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_gradient_is_named_as_the_gradient(bad):
    """The error of a nan/inf gradient says the gradient is so, not that the update is."""
    p = Value(1.0, label="w")
    opt = SGD([p], lr=0.1)
    p.grad = bad
    with pytest.raises(FloatingPointError, match=f"the gradient of parameter 'w' .* is {bad}"):
        opt.step()


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: SGD(p, lr=-0.1), "Invalid learning rate: lr=-0.1"),
        (lambda p: SGD(p, momentum=-0.5), "Invalid momentum value: momentum=-0.5"),
        (lambda p: SGD(p, weight_decay=-1), "Invalid weight_decay value"),
        (lambda p: SGD(p, nesterov=True), "Nesterov momentum requires"),
        (lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
        (lambda p: SGD(p, lr=math.nan), "lr must be finite"),
        (lambda p: Adagrad(p, lr_decay=-1), "Invalid lr_decay value"),
        (lambda p: Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda p: Adagrad(p, eps=-1e-10), "Invalid epsilon value"),
        (lambda p: RMSprop(p, alpha=-0.1), "Invalid alpha value"),
        (lambda p: RMSprop(p, eps=-1), "Invalid epsilon value"),
        (lambda p: RMSprop(p, momentum=-1), "Invalid momentum value"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
        (lambda p: Adam(p, lr=-1e-3), "Invalid learning rate"),
        (lambda p: AdamW(p, weight_decay=-0.01), "Invalid weight_decay value"),
        (lambda p: AdamW(p, eps=-1.0), "Invalid epsilon value"),
    ],
)
def test_invalid_hyperparameters_raise_value_error(make, match):
    """Bad hyperparameters are a ValueError naming the argument and value, as torch's."""
    with pytest.raises(ValueError, match=match):
        make([Value(1.0)])


def test_invalid_hyperparameters_also_fail_in_torch():
    """torch 2.13 rejects the same configurations with a ValueError."""
    torch = pytest.importorskip("torch")
    t = [torch.zeros((), dtype=torch.float64, requires_grad=True)]
    for cls, kwargs in [
        ("SGD", {"lr": -0.1}),
        ("SGD", {"momentum": -0.5}),
        ("SGD", {"nesterov": True}),
        ("Adagrad", {"lr_decay": -1}),
        ("RMSprop", {"alpha": -0.1}),
        ("Adam", {"betas": (1.0, 0.999)}),
        ("AdamW", {"eps": -1.0}),
    ]:
        with pytest.raises(ValueError):
            getattr(torch.optim, cls)(t, **kwargs)


def test_bad_params_are_rejected_like_torch():
    """Empty params, duplicates, non-Values and non-leaves raise; nothing is half-built."""
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([])
    a = Value(1.0)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [a]}, {"params": [a]}])
    with pytest.raises(ValueError, match="more than once"):
        SGD([a, a])
    with pytest.raises(TypeError, match=r"\['params'\]\[1\] is float"):
        SGD([a, 2.0])
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([a * 2])
    with pytest.raises(TypeError, match="single Value"):
        SGD(a)
    with pytest.raises(TypeError, match="not a set"):
        SGD([{"params": {a}}])


@pytest.mark.parametrize("n", [1, 2, 256, 257, 300])
def test_groups_of_many_distinct_parameters_are_accepted_and_a_repeat_refused(n):
    """n distinct parameters (past 256, where equal lengths are separate int objects) build
    one group of n; the same list with its first parameter again at the end is refused."""
    ps = [Value(float(i)) for i in range(n)]
    opt = SGD(ps, lr=0.1)
    assert len(opt.param_groups[0]["params"]) == n
    later = SGD([Value(0.0)], lr=0.1)
    later.add_param_group({"params": [Value(float(i)) for i in range(n)]})
    assert len(later.param_groups[1]["params"]) == n
    with pytest.raises(ValueError, match="more than once"):
        SGD([*ps, ps[0]], lr=0.1)


def test_add_param_group_validates_and_adds_nothing_on_error():
    """add_param_group appends with defaults filled in, and a bad group changes nothing."""
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [c, a]})
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.add_param_group({"params": [c], "lr": -1.0})
    assert len(opt.param_groups) == 2


@pytest.mark.parametrize(("name", "cls_name", "kwargs"), EXAMPLES, ids=OPT_NAMES)
def test_every_hyperparameter_given_in_a_group_is_the_groups_own(name, cls_name, kwargs):
    """An example's arguments written in the param group instead of the constructor make the
    same group (every key, whatever its place in the alphabet next to "params"), a group
    added later with them gets them too, and the steps are torch's with the same groups
    (where torch's Adagrad starts a constructor's group from the constructor's sum)."""
    cls = OPTIMIZERS[cls_name]
    groups = [{"params": [0, 1, 2], **kwargs}]
    _, in_group = _build(cls_name, {}, groups)
    _, by_constructor = _build(cls_name, kwargs)
    want = {k: v for k, v in by_constructor.param_groups[0].items() if k != "params"}
    assert {k: v for k, v in in_group.param_groups[0].items() if k != "params"} == want
    later = cls([Value(0.0)])
    later.add_param_group({"params": [Value(1.0)], **_kwargs(kwargs)})
    assert {k: v for k, v in later.param_groups[1].items() if k != "params"} == want
    pytest.importorskip("torch")
    live = make_traces.torch_optimizer_trace(cls_name, {}, groups=[_kwargs(g) for g in groups])
    rows = _run_engine(cls_name, {}, make_traces.STEPS, groups)
    assert _max_diff(rows, live["params"][1:]) <= TOL


def test_state_dict_round_trip_continues_the_same_trajectory():
    """Loading a state_dict into a fresh optimizer continues exactly as the original would."""
    params, opt = _build("Adam", {"lr": 0.05, "amsgrad": True})
    for _ in range(3):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1, 2] and saved["param_groups"][0]["params"] == [0, 1, 2]
    twins = [Value(p.data) for p in params]
    other = Adam(twins, lr=0.5)
    other.load_state_dict(saved)
    assert other.param_groups[0]["lr"] == 0.05
    for ps, o in [(params, opt), (twins, other)]:
        o.zero_grad()
        objective(*ps).backward()
        o.step()
    assert [p.data for p in twins] == [p.data for p in params]


def test_load_state_dict_that_does_not_fit_changes_nothing():
    """A state dict for a different group layout raises and leaves the optimizer as it was."""
    a, b = Value(1.0), Value(2.0)
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = b.grad = 1.0
    opt.step()
    before = opt.state_dict()
    small = SGD([Value(0.0)], lr=0.3).state_dict()
    with pytest.raises(ValueError, match="has 1 parameters"):
        opt.load_state_dict(small)
    broken = opt.state_dict()
    broken["state"][1]["momentum_buffer"] = "fast"
    with pytest.raises(TypeError, match="momentum_buffer"):
        opt.load_state_dict(broken)
    assert opt.state_dict() == before


def test_load_state_dict_refuses_a_group_of_more_or_fewer_parameters():
    """A saved group one parameter longer or shorter than ours is refused, naming both sizes,
    and nothing changes."""
    params = [Value(1.0), Value(2.0)]
    opt = SGD(params, lr=0.1, momentum=0.9)
    params[0].grad = params[1].grad = 1.0
    opt.step()
    before = opt.state_dict()
    for n in (1, 3):
        other = SGD([Value(float(i)) for i in range(n)], lr=0.3, momentum=0.5)
        with pytest.raises(ValueError, match=f"group 0 has {n} parameters, the optimizer's has 2"):
            opt.load_state_dict(other.state_dict())
        assert opt.state_dict() == before


@pytest.mark.parametrize(
    "cls_name, kwargs", [optim_examples.EXAMPLES[name] for name in optim_examples.RICHEST]
)
def test_load_state_dict_takes_an_empty_entry_as_a_fresh_parameter(cls_name, kwargs):
    """A parameter whose saved state is {} (one that has not stepped) loads, and its next
    step is a first step: the value and state of a fresh optimizer's (Adagrad's sum starting
    from the group's initial_accumulator_value); the others continue."""
    cls = OPTIMIZERS[cls_name]
    params, opt = _build(cls_name, kwargs)
    objective(*params).backward()
    opt.step()
    saved = opt.state_dict()
    saved["state"][1] = {}
    twins = [Value(p.data) for p in params]
    other = cls(twins, lr=0.5)
    other.load_state_dict(saved)
    assert other.state[twins[1]] == {}
    alone = Value(params[1].data)
    fresh = cls([alone], **_kwargs(kwargs))
    for q in [*params, *twins, alone]:
        q.grad = 0.75
    for o in (opt, other, fresh):
        o.step()
    assert twins[1].data == alone.data != params[1].data
    assert other.state[twins[1]] == fresh.state[alone]
    assert (twins[0].data, twins[2].data) == (params[0].data, params[2].data)


EPS_ZERO = [
    (f"{name}_eps0{tag}", cls_name, {**kwargs, "eps": 0.0, **extra})
    for name, cls_name, kwargs in EXAMPLES
    if "eps" in OPTIMIZERS[cls_name].signature
    for tag, extra in [("", {}), ("_wd2", {"weight_decay": 2.0})]  # 1 + p * 2 is 0 at p = -1/2
]


@pytest.mark.parametrize(
    ("name", "cls_name", "kwargs"),
    EXAMPLES + EPS_ZERO,
    ids=OPT_NAMES + [name for name, _, _ in EPS_ZERO],
)
def test_a_loaded_state_with_a_field_too_many_or_too_few_is_refused(name, cls_name, kwargs):
    """Every example's saved state, with a foreign field added or one of its own taken away
    (unless none would be left: an empty entry is a fresh parameter's), is refused naming the
    entry, nothing changed; with eps = 0 too, where a step with a zero
    gradient would divide 0 by 0 (the fields a group writes do not depend on the numbers)."""
    params, opt = _build(cls_name, kwargs)
    objective(*params).backward()
    opt.step()
    saved = opt.state_dict()
    before = opt.state_dict()
    own = sorted(saved["state"].get(0, {}))  # SGD without momentum keeps none
    for change in ["bogus", *(own if len(own) > 1 else [])]:  # {} would be a fresh state
        fields = dict(saved["state"].get(0, {}))
        if change == "bogus":
            fields["bogus"] = 0.0
        else:
            del fields[change]
        broken = {"state": {**saved["state"], 0: fields}, "param_groups": saved["param_groups"]}
        with pytest.raises(ValueError, match=rf"^{cls_name}.load_state_dict: state\[0\] has"):
            opt.load_state_dict(broken)
        assert opt.state_dict() == before


def test_a_state_loads_into_a_group_whose_sample_update_divides_by_zero():
    """RMSprop with alpha = 1 and eps = 0 divides by zero on any step, so the fields of its
    state cannot be found by a sample step: a saved state still loads, as saved."""
    p = Value(1.0)
    opt = RMSprop([p], lr=0.01)
    p.grad = 0.5
    opt.step()
    saved = opt.state_dict()
    saved["param_groups"][0].update(alpha=1.0, eps=0.0)
    other = RMSprop([Value(p.data)], lr=0.01)
    other.load_state_dict(saved)
    assert other.state_dict() == saved


def test_step_builds_no_graph():
    """Updated parameters stay leaves: the optimizer uses plain floats."""
    x = Value(1.0)
    opt = SGD([x], lr=0.1)
    x.grad = 1.0
    opt.step()
    assert x.parents == () and x.op == "" and x.data == 0.9


@pytest.mark.parametrize(("name", "cls_name", "kwargs"), EXAMPLES, ids=OPT_NAMES)
def test_repr_lists_every_hyperparameter_of_every_group_as_torch(name, cls_name, kwargs):
    """repr(optimizer) is torch's: the class, then per group its sorted hyperparameters (no
    params), without the lines of torch's implementation switches (foreach, fused, ...) and
    the empty line torch puts before each group."""
    torch = pytest.importorskip("torch")
    import inspect

    cls = OPTIMIZERS[cls_name]
    torch_cls = getattr(torch.optim, cls.torch_name)
    ours = cls([{"params": [Value(1.0)]}, {"params": [Value(2.0)], "lr": 0.125}], **_kwargs(kwargs))
    takes = set(inspect.signature(torch_cls).parameters)
    t = [torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(2)]
    theirs = torch_cls(
        [{"params": [t[0]]}, {"params": [t[1]], "lr": 0.125}],
        **{k: v for k, v in ours.defaults.items() if k in takes},
    )
    switches = ("foreach:", "fused:", "capturable:", "differentiable:")
    want = [
        line for line in repr(theirs).split("\n") if line and not line.strip().startswith(switches)
    ]
    assert repr(ours).split("\n") == want
    assert len(want) == 4 + 2 * len(ours.defaults)


def test_fma_emulation_matches_exact_rounding():
    """The emulated fma equals the exactly rounded a*b + c, across magnitudes."""
    import random

    rng = random.Random(0)
    for _ in range(2000):
        a, b, c = (rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30) for _ in range(3))
        exact = float(Fraction(a) * Fraction(b) + Fraction(c))
        assert optim._fma_emulated(a, b, c) == exact
    assert optim._fma_emulated(1e300, 1e10, 1.0) == math.inf
    assert optim._fma_emulated(1e-200, 1e-200, 0.0) == 0.0


def test_fma_emulation_is_exact_where_the_error_term_decides():
    """With c = -fl(a*b) the fma is the rounding error of a*b itself, and with c near it a
    few bits of that error decide the result: exactly rounded still, for factors of every
    significand (all bits set, one bit set, random), signs, products from 1e-280 to 1e280
    and products below 1e-290 down to the subnormals."""
    import random

    rng = random.Random(7)
    significands = [1.0, 2.0 - 2.0**-52, 1.0 + 2.0**-52, 1.5, 1.0 + 2.0**-26 + 2.0**-52]
    significands += [1.0 + rng.getrandbits(52) * 2.0**-52 for _ in range(60)]
    checked = 0
    for _ in range(3000):
        a = rng.choice(significands) * rng.choice([1, -1]) * 2.0 ** rng.randint(-930, 930)
        b = rng.choice(significands) * rng.choice([1, -1]) * 2.0 ** rng.randint(-930, 930)
        p = a * b
        if not 1e-280 < abs(p) < 1e280:
            continue
        for c in (-p, -p * (1 + 2.0**-40), -math.nextafter(p, 0.0), p * 2.0**-60, 0.0):
            exact = float(Fraction(a) * Fraction(b) + Fraction(c))
            assert optim._fma_emulated(a, b, c) == exact, (a, b, c)
            checked += 1
    assert checked > 5000
    # Products near the bottom of the float range (below 1e-290, down to the subnormals),
    # where Dekker's partial products would underflow: still exact.
    for _ in range(2000):
        a = rng.choice(significands) * rng.choice([1, -1]) * 2.0 ** rng.randint(-600, -420)
        b = rng.choice(significands) * 2.0 ** rng.randint(-600, -420)
        p = a * b
        if p == 0.0:  # the product rounds to 0: line 53's p + c, not checked here
            continue
        for c in (-p, -math.nextafter(p, 0.0), p * 3.0, 1e-300):
            exact = float(Fraction(a) * Fraction(b) + Fraction(c))
            assert optim._fma_emulated(a, b, c) == exact, (a, b, c)
            checked += 1
    assert checked > 8000


@pytest.mark.parametrize(
    ("a", "b", "c"),
    [
        (1e305, 1e-20, 1.0),  # one factor too big to split in halves, the product ordinary
        (1e-20, 1e305, 1.0),
        (-1e305, 3e-300, 0.5),
        (1e295, 1e-8, -2.0),
        (3e-300, -1e305, 0.0),
    ],
)
def test_fma_emulation_of_a_huge_factor_with_an_ordinary_product(a, b, c):
    """A factor beyond 1e290 with a product in range is still a*b + c rounded once.

    Veltkamp's split multiplies a factor by 2**27 + 1, which overflows past about 1.3e300:
    such a factor must take the exact rational path, whatever the size of the product.
    """
    exact = float(Fraction(a) * Fraction(b) + Fraction(c))
    assert optim._fma_emulated(a, b, c) == exact
    assert optim._fma_emulated(b, a, c) == exact


def test_fma_emulation_of_a_product_beyond_the_float_range_or_a_signed_zero():
    """An overflowing product of two ordinary factors is inf with the product's sign, as C's
    fma gives it (the exact a*b + c is beyond the largest float); zeros keep IEEE's sign:
    -0 * 1 + -0 is -0, and -0 + +0 is +0."""
    assert optim._fma_emulated(1e160, 1e160, 1.0) == math.inf
    assert optim._fma_emulated(-1e160, 1e160, 1.0) == -math.inf
    assert optim._fma_emulated(1e200, 1e200, 1e300) == math.inf
    for a, b, c, sign in [
        (-0.0, 1.0, -0.0, -1.0),
        (0.0, -1.0, -0.0, -1.0),
        (-0.0, -1.0, -0.0, 1.0),
        (-0.0, 1.0, 0.0, 1.0),
        (0.0, 0.0, -0.0, 1.0),
    ]:
        got = optim._fma_emulated(a, b, c)
        assert got == 0.0 and math.copysign(1.0, got) == sign, (a, b, c, got)


def test_lerp_at_weight_one_half_takes_torchs_branch():
    """torch.lerp computes start + w*(end - start) only for |w| < 0.5, else end - (1-w)*(end -
    start); the two differ when end - start rounds, so at w = 0.5 exactly (and on either side
    of it) the engine's lerp equals torch's bit for bit. Nearly opposite ends make the
    rounding of end - start show in about half of the draws."""
    torch = pytest.importorskip("torch")
    import random

    rng = random.Random(3)
    weights = [0.5, math.nextafter(0.5, 0.0), math.nextafter(0.5, 1.0), -0.5, 0.3, 0.7]
    other_branch_differs = 0
    for _ in range(300):
        start = rng.uniform(-3.0, 3.0)
        end = -start + rng.uniform(-1e-10, 1e-10)
        for w in weights:
            want = torch.lerp(
                torch.tensor(start, dtype=torch.float64), torch.tensor(end, dtype=torch.float64), w
            ).item()
            assert optim._lerp(start, end, w) == want, (start, end, w)
        start_side = float(Fraction(0.5) * Fraction(end - start) + Fraction(start))
        other_branch_differs += start_side != optim._lerp(start, end, 0.5)
    assert other_branch_differs > 50  # the inputs do tell the branches apart at w = 0.5


@pytest.mark.parametrize(
    ("cls_name", "kwargs"),
    [
        ("Adam", {"lr": 0.05, "betas": (0.5, 0.999)}),
        ("AdamW", {"lr": 0.05, "betas": (0.5, 0.999)}),
        ("RMSprop", {"lr": 0.01, "alpha": 0.5, "centered": True}),
    ],
)
def test_a_lerp_weight_of_one_half_steps_as_torch(cls_name, kwargs):
    """beta1 = 0.5 (Adam) and alpha = 0.5 (RMSprop, centered) make the running mean's lerp
    weight exactly 0.5; with gradients that nearly cancel that mean, the iterates equal
    torch's bit for bit (fed torch's own gradients)."""
    torch = pytest.importorskip("torch")
    import random

    rng = random.Random(5)
    grads = []
    for _ in range(6):
        g = rng.uniform(-3.0, 3.0)
        grads += [2.0 * g, -g + rng.uniform(-1e-10, 1e-10)]  # mean 0.5*(2g) = g, then ~ -g
    p = Value(0.25)
    q = torch.tensor(0.25, dtype=torch.float64, requires_grad=True)
    ours = OPTIMIZERS[cls_name]([p], **kwargs)
    theirs = getattr(torch.optim, OPTIMIZERS[cls_name].torch_name)([q], **kwargs)
    for k, g in enumerate(grads):
        p.grad = g
        q.grad = torch.tensor(g, dtype=torch.float64)
        ours.step()
        theirs.step()
        assert p.data == q.item(), f"step {k + 1}"


# -- clip_grad_norm_ ------------------------------------------------------------------


@pytest.mark.parametrize("k", range(len(TRACES["clip"])))
def test_clip_grad_norm_matches_recorded_torch(k):
    """Total norm and clipped gradients equal torch's to 1e-12 (2, 1, 3 and inf norms)."""
    case = TRACES["clip"][k]
    params = [Value(0.0) for _ in case["grads"]]
    for p, g in zip(params, case["grads"], strict=True):
        p.grad = g
    total = clip_grad_norm_(params, case["max_norm"], case["norm_type"])
    assert isinstance(total, float)
    assert abs(total - case["total"]) <= TOL * max(1.0, case["total"])
    assert max(abs(p.grad - e) for p, e in zip(params, case["clipped"], strict=True)) <= TOL


@pytest.mark.parametrize("k", range(len(TRACES["clip"])))
def test_clip_grad_norm_matches_live_torch(k):
    """clip_grad_norm_ agrees with live torch to 1e-12."""
    pytest.importorskip("torch")
    case = TRACES["clip"][k]
    live = make_traces.torch_clip(case)
    params = [Value(0.0) for _ in case["grads"]]
    for p, g in zip(params, case["grads"], strict=True):
        p.grad = g
    total = clip_grad_norm_(params, case["max_norm"], case["norm_type"])
    assert abs(total - live["total"]) <= TOL * max(1.0, live["total"])
    assert max(abs(p.grad - e) for p, e in zip(params, live["clipped"], strict=True)) <= TOL


@pytest.mark.parametrize("norm_type", [0.25, 0.5, 0.999, 1.0, 1.5, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("error_if_nonfinite", [False, True])
def test_clip_grad_norm_of_every_order_matches_live_torch(norm_type, error_if_nonfinite):
    """Norms of order below 1 (not norms in the strict sense, but torch computes them), 1,
    between 1 and 2, 2, 3 and inf, of gradients with both signs: total and clipped gradients
    as torch's, to 1e-12; a finite total with error_if_nonfinite set clips just the same."""
    pytest.importorskip("torch")
    case = {"grads": [0.3, -1.25, 2.0, -0.0625], "max_norm": 0.5, "norm_type": norm_type}
    live = make_traces.torch_clip(case)
    params = [Value(0.0) for _ in case["grads"]]
    for p, g in zip(params, case["grads"], strict=True):
        p.grad = g
    total = clip_grad_norm_(params, 0.5, norm_type, error_if_nonfinite=error_if_nonfinite)
    assert abs(total - live["total"]) <= TOL * live["total"]
    assert max(abs(p.grad - e) for p, e in zip(params, live["clipped"], strict=True)) <= TOL


def test_clip_grad_norm_nonfinite_error_changes_nothing():
    """With error_if_nonfinite, an infinite norm raises and leaves the gradients alone."""
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = math.inf, 1.0
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    assert (a.grad, b.grad) == (math.inf, 1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm_([a], 1.0, norm_type=-2)


def test_adagrad_initial_groups_start_from_the_constructor_sum():
    """As torch 2.13: a group's own initial_accumulator_value is ignored at construction.

    Recorded with torch: both parameters step from 1.0 to 0.7113248654218538
    (sum 2 + 1 = 3, p = 1 - 0.5 / (sqrt(3) + 1e-10)).
    """
    a, b = Value(1.0), Value(1.0)
    opt = Adagrad(
        [{"params": [a]}, {"params": [b], "initial_accumulator_value": 0.0}],
        lr=0.5,
        initial_accumulator_value=2.0,
    )
    a.grad = b.grad = 1.0
    opt.step()
    assert a.data == b.data == 0.7113248654218538


def test_adagrad_group_added_later_starts_from_its_own_sum():
    """docs/training.md: a group added with add_param_group starts its sum from its own
    initial_accumulator_value (0.5 here: sum 0.5 + 1, p = 1 - 0.5 / (sqrt(1.5) + 1e-10)),
    and one that names none from the constructor's (2.0: sum 3); the constructor's group
    keeps the constructor's."""
    a, b, c = Value(1.0), Value(1.0), Value(1.0)
    opt = Adagrad([a], lr=0.5, initial_accumulator_value=2.0)
    opt.add_param_group({"params": [b], "initial_accumulator_value": 0.5})
    opt.add_param_group({"params": [c]})
    assert [opt.state[p]["sum"] for p in (a, b, c)] == [2.0, 0.5, 2.0]
    a.grad = b.grad = c.grad = 1.0
    opt.step()
    assert [opt.state[p]["sum"] for p in (a, b, c)] == [3.0, 1.5, 3.0]
    assert b.data == 1.0 - 0.5 / (math.sqrt(1.5) + 1e-10)
    assert a.data == c.data == 1.0 - 0.5 / (math.sqrt(3.0) + 1e-10)


@pytest.mark.parametrize(
    "make", [c for c in OPTIMIZERS.values() if "eps" in c.signature], ids=lambda c: c.__name__
)
def test_eps_zero_with_zero_gradient_raises_named_error_and_changes_nothing(make):
    """eps=0 and grad 0 make 0/0: a FloatingPointError naming the parameter, nothing changed."""
    p = Value(1.0, label="w")
    p.grad = 0.0
    opt = make([p], eps=0.0)
    before = {k: dict(v) for k, v in opt.state.items()}
    with pytest.raises(FloatingPointError, match="'w'.*no parameter or state was changed"):
        opt.step()
    assert p.data == 1.0
    assert {k: dict(v) for k, v in opt.state.items()} == before


def test_clip_grad_norm_of_huge_and_single_gradients_matches_torch():
    """Recorded with torch: one grad 1e200 has norm 1e200 (clips to 1.0); two of 1.2e154: inf."""
    p = Value(1.0)
    p.grad = 1e200
    assert clip_grad_norm_([p], 1.0) == 1e200
    assert p.grad == 1.0
    ps = [Value(1.0), Value(1.0)]
    for q in ps:
        q.grad = 1.2e154
    assert clip_grad_norm_(ps, 1.0) == math.inf
    assert [q.grad for q in ps] == [0.0, 0.0]


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_torch_only_options_are_accepted_at_their_defaults_only(cls):
    """foreach=False/None etc. are accepted, as in torch; foreach=True is refused by name."""
    p = Value(1.0)
    assert cls.flags, "every torch optimizer takes some of foreach, fused, ..."
    for flag in cls.flags:
        cls([p], **{flag: False})
        cls([p], **{flag: None})
        with pytest.raises(ValueError, match=f"{flag}=True is not supported"):
            cls([p], **{flag: True})
    with pytest.raises(TypeError, match=f"^{cls.__name__}: .*unexpected keyword .*'bogus'"):
        cls([p], bogus=1)


def test_load_state_dict_survives_json_and_names_misfits():
    """A JSON round trip loads; another optimizer's state or a malformed dict says what is wrong."""
    a, b = Value(1.0), Value(2.0)
    opt = Adam([a, b], lr=0.1)
    a.grad, b.grad = 0.5, -1.0
    opt.step()
    saved = json.loads(json.dumps(opt.state_dict()))
    a2, b2 = Value(a.data), Value(b.data)
    copy = Adam([a2, b2], lr=0.1)
    copy.load_state_dict(saved)
    a.grad = a2.grad = 0.25
    b.grad = b2.grad = 0.75
    opt.step()
    copy.step()
    assert (a2.data, b2.data) == (a.data, b.data)
    sgd = SGD([Value(1.0), Value(2.0)], lr=0.1)
    before = sgd.state_dict()
    with pytest.raises(ValueError, match="another optimizer"):
        sgd.load_state_dict(opt.state_dict())
    with pytest.raises(ValueError, match="list of dicts"):
        sgd.load_state_dict({"state": {}, "param_groups": 5})
    assert sgd.state_dict() == before


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_spec_names_every_hyperparameter_of_the_signature(cls):
    """An optimizer's spec checks exactly the hyperparameters its signature takes.

    The signature also has ``params`` and torch's single-tensor flags, which the base class
    refuses unless left at their defaults; ``fixed`` ones (AdamW's decoupled_weight_decay)
    are in the groups but not in the signature.
    """
    import inspect

    flags = {"params", "foreach", "fused", "capturable", "differentiable"}
    signature = set(inspect.signature(cls).parameters) - flags
    assert set(cls.hyperparameters) == signature | set(cls.fixed)
    assert set(cls([Value(1.0)]).defaults) == set(cls.hyperparameters)


# A value other than the default for every option an optimizer's signature takes (with the
# options it needs to matter: dampening and nesterov act on momentum, decoupled_weight_decay
# on weight_decay). A new option fails the test below until it has a row here.
OPTION_VARIANTS = {
    "momentum": {"momentum": 0.7},
    "dampening": {"momentum": 0.7, "dampening": 0.4},
    "nesterov": {"momentum": 0.7, "nesterov": True},
    "weight_decay": {"weight_decay": 0.2},
    "maximize": {"maximize": True},
    "lr_decay": {"lr_decay": 0.3},
    "initial_accumulator_value": {"initial_accumulator_value": 2.0},
    "eps": {"eps": 0.5},
    "alpha": {"alpha": 0.6},
    "centered": {"centered": True},
    "betas": {"betas": (0.5, 0.7)},
    "amsgrad": {"amsgrad": True},
    "decoupled_weight_decay": {"weight_decay": 0.2, "decoupled_weight_decay": True},
}
TORCH_FLAGS = {"params", "lr", "foreach", "fused", "capturable", "differentiable"}


def _options(cls) -> list[str]:
    import inspect

    return [name for name in inspect.signature(cls).parameters if name not in TORCH_FLAGS]


@pytest.mark.parametrize(
    "cls_name, option",
    [(name, o) for name, c in OPTIMIZERS.items() for o in _options(c)],
)
def test_every_option_of_every_optimizer_matches_live_torch(cls_name, option):
    """Each option, on each optimizer that takes it, changes the iterates exactly as in torch.

    The learning rate is the one of the optimizer's first (plain) example.
    """
    pytest.importorskip("torch")
    plain_kwargs = next(iter(OPTIMIZERS[cls_name].examples.values()))
    kwargs = {**plain_kwargs, **OPTION_VARIANTS[option]}
    rows = _run_engine(cls_name, kwargs, make_traces.STEPS)
    live = make_traces.torch_optimizer_trace(cls_name, kwargs)
    assert _max_diff(rows, live["params"][1:]) <= TOL
    plain = _run_engine(cls_name, plain_kwargs, make_traces.STEPS)
    assert _max_diff(rows, plain) > 1e-6  # the option makes a difference here


def _reordered(state_dict: dict) -> dict:
    """The same state dict with every mapping's keys in reverse order, as JSON has them."""
    return {
        "param_groups": [dict(reversed(g.items())) for g in state_dict["param_groups"]],
        "state": {
            str(k): dict(reversed(fields.items()))
            for k, fields in reversed(state_dict["state"].items())
        },
    }


@pytest.mark.parametrize(
    "cls_name, kwargs", [optim_examples.EXAMPLES[name] for name in optim_examples.RICHEST]
)
def test_a_state_dict_written_in_another_order_loads_by_key(cls_name, kwargs):
    """State entries and fields in reverse order (string keys, as from JSON) load by name.

    Each parameter's state differs, so a loader that matched entries by position would give
    the wrong one to each parameter and a different next step.
    """
    params, opt = _build(cls_name, kwargs)
    for _ in range(3):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
    saved = opt.state_dict()
    states = {tuple(sorted(saved["state"][i].items())) for i in range(3)}
    assert len(states) == 3  # every parameter's state differs
    twins = [Value(p.data) for p in params]
    other = getattr(optim, cls_name)(twins, lr=0.5)
    other.load_state_dict(_reordered(saved))
    assert other.state_dict() == saved
    for ps, o in [(params, opt), (twins, other)]:
        o.zero_grad()
        objective(*ps).backward()
        o.step()
    assert [p.data for p in twins] == [p.data for p in params]


@pytest.mark.parametrize("max_norm", [1, 4, Fraction(9, 2), math.inf, 10**6])
def test_clip_grad_norm_takes_an_int_or_fraction_max_norm_as_its_float(max_norm):
    """max_norm = 4 (an int) clips as 4.0 does; only an int too big for a float is refused."""
    grads = [3.0, -4.0]
    ours, twins = [Value(0.0), Value(0.0)], [Value(0.0), Value(0.0)]
    for p, q, g in zip(ours, twins, grads, strict=True):
        p.grad = q.grad = g
    assert clip_grad_norm_(ours, max_norm) == clip_grad_norm_(twins, float(max_norm)) == 5.0
    assert [p.grad for p in ours] == [q.grad for q in twins]
    with pytest.raises(ValueError, match="beyond the float range"):
        clip_grad_norm_(ours, 10**400)


@pytest.mark.parametrize("max_norm", [4.0, 5.0, 5.0 + 1e-6, math.nextafter(5.0 + 1e-6, 0.0), 6.0])
def test_clip_grad_norm_edge_on_both_sides(max_norm):
    """Gradients (3, 4), norm 5: scaled by max_norm / (5 + 1e-6) when that is below 1, else kept.

    torch's rule: clip_coef = min(max_norm / (total + 1e-6), 1), so at max_norm = 5 they
    shrink a hair and from max_norm = 5 + 1e-6 on they are left exactly as they were.
    """
    ps = [Value(0.0), Value(0.0)]
    ps[0].grad, ps[1].grad = 3.0, 4.0
    assert clip_grad_norm_(ps, max_norm) == 5.0
    coef = max_norm / (5.0 + 1e-6)
    if coef >= 1.0:
        assert [p.grad for p in ps] == [3.0, 4.0]
    else:
        assert [p.grad for p in ps] == [3.0 * coef, 4.0 * coef]
        assert ps[1].grad < 4.0


# -- the registry: every optimizer is found, declares what the tests need, and agrees --------


def _optimizer_classes_defined_in_nn_optim() -> set[type]:
    found, todo = set(), [optim.Optimizer]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__ == optim.__name__:
                found.add(sub)
    return found


def test_every_optimizer_class_of_nn_optim_is_registered_and_exported():
    """A subclass of Optimizer defined in nn.optim without ``torch=...`` fails here, by name."""
    defined = _optimizer_classes_defined_in_nn_optim()
    unregistered = sorted(c.__name__ for c in defined if c not in OPTIMIZERS.values())
    assert not unregistered, f"define them as class X(Optimizer, torch='X'): {unregistered}"
    for name, cls in OPTIMIZERS.items():
        assert getattr(optim, name) is cls and name in optim.__all__ and cls.__doc__


def test_an_optimizer_class_is_registered_by_its_definition_alone():
    """Defining a subclass with ``torch=`` adds it to OPTIMIZERS; without, it stays out."""

    class Unregistered(SGD):
        pass

    assert "Unregistered" not in OPTIMIZERS
    try:

        class ScratchSGD(SGD, torch="SGD"):
            examples = {"plain": {"lr": 0.1}}

        assert OPTIMIZERS["ScratchSGD"] is ScratchSGD and ScratchSGD.torch_name == "SGD"
        with pytest.raises(TypeError, match="registered"):

            class ScratchSGD(SGD, torch="SGD"):  # noqa: F811
                examples = {"plain": {"lr": 0.1}}

        with pytest.raises(TypeError, match="its own examples"):

            class NoExamples(SGD, torch="SGD"):
                pass

    finally:
        OPTIMIZERS.pop("ScratchSGD", None)
        OPTIMIZERS.pop("NoExamples", None)
    assert list(OPTIMIZERS) == [n for n in optim.__all__ if n in OPTIMIZERS]


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_each_optimizer_declares_what_the_tests_need(cls):
    """Examples (the first one plain), a row of OPTION_VARIANTS per option, and state names
    that are exactly the fields its steps write across the examples and options."""
    first = next(iter(cls.examples.values()))
    assert list(first) == ["lr"], "the first example is the plain one: only lr"
    missing = sorted(set(_options(cls)) - set(OPTION_VARIANTS))
    assert not missing, f"add a row to OPTION_VARIANTS for {missing}"
    written: set[str] = set()
    configs = [*cls.examples.values(), *({**first, **OPTION_VARIANTS[o]} for o in _options(cls))]
    for kwargs in configs:
        params, opt = _build(cls.__name__, kwargs)
        objective(*params).backward()
        opt.step()
        for p in params:
            assert set(opt.state[p]) <= set(cls.state_names), kwargs
            written |= set(opt.state[p])
    assert written == set(cls.state_names)


@pytest.mark.parametrize(("name", "cls_name", "kwargs"), EXAMPLES, ids=OPT_NAMES)
def test_state_after_a_step_has_torchs_fields(name, cls_name, kwargs):
    """After one, two and three steps, each parameter's state has the fields torch's state
    has, with torch's values bit for bit (the step count too), fed torch's gradients."""
    torch = pytest.importorskip("torch")
    params, opt = _build(cls_name, kwargs)
    t = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in X0]
    topt = getattr(torch.optim, OPTIMIZERS[cls_name].torch_name)(t, **_kwargs(kwargs))
    for step in range(3):
        topt.zero_grad()
        objective(*t).backward()
        for p, q in zip(params, t, strict=True):
            p.grad = q.grad.item()
        opt.step()
        topt.step()
        for p, q in zip(params, t, strict=True):
            torch_state = {k: float(v) for k, v in topt.state[q].items() if v is not None}
            assert opt.state[p] == torch_state, f"step {step + 1}"


@pytest.mark.parametrize(("name", "cls_name", "kwargs"), EXAMPLES, ids=OPT_NAMES)
def test_zero_gradients_keep_torchs_signed_zeros_in_parameters_and_state(name, cls_name, kwargs):
    """Gradients of +0.0 and -0.0 (and maximize, which negates them), from parameters at 0.5,
    +0.0 and -0.0: every parameter and state field equals torch's bit for bit, the sign of
    a zero included (a weight decay of 0 must not be added, as 0 * p + -0.0 is +0.0)."""
    import struct

    torch = pytest.importorskip("torch")

    def bits(x: float) -> bytes:
        return struct.pack("<d", x)

    cls = OPTIMIZERS[cls_name]
    for maximize in (False, True):
        for x0 in (0.5, 0.0, -0.0):
            p = Value(x0)
            q = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            ours = cls([p], **{**kwargs, "maximize": maximize})
            theirs = getattr(torch.optim, cls.torch_name)([q], **{**kwargs, "maximize": maximize})
            for g in (-0.0, 0.0, -0.0):
                p.grad = g
                q.grad = torch.tensor(g, dtype=torch.float64)
                ours.step()
                theirs.step()
                assert bits(p.data) == bits(q.item()), (maximize, x0)
                want = {k: bits(float(v)) for k, v in theirs.state[q].items() if v is not None}
                assert {k: bits(v) for k, v in ours.state[p].items()} == want, (maximize, x0)


def _numeric_arguments(cls) -> list[str]:
    return [
        name
        for name, (default, _) in cls.signature.items()
        if isinstance(default, int | float) and not isinstance(default, bool)
    ]


@pytest.mark.parametrize(
    ("cls_name", "name", "value"),
    [
        (cls_name, name, value)
        for cls_name, cls in OPTIMIZERS.items()
        for name in _numeric_arguments(cls)
        for value in (1.0, 1, 2.0)
        if (name, value) != ("alpha", 2.0)  # alpha > 1: a negative square_avg, nan in torch
    ],
)
def test_each_numeric_argument_at_one_and_two_steps_as_torch(cls_name, name, value):
    """Each numeric argument at exactly 1 (float and int) and 2, the plain example's other
    arguments (dampening with a momentum), fed the same gradients: the iterates and state
    equal torch's bit for bit (no value is a special case that torch does not have)."""
    torch = pytest.importorskip("torch")
    cls = OPTIMIZERS[cls_name]
    kwargs = {**next(iter(cls.examples.values())), name: value}
    if name == "dampening":
        kwargs["momentum"] = 0.5
    p = Value(0.25)
    q = torch.tensor(0.25, dtype=torch.float64, requires_grad=True)
    ours = cls([p], **kwargs)
    theirs = getattr(torch.optim, cls.torch_name)([q], **kwargs)
    for k, g in enumerate([0.5, -0.25, 0.75, 0.125]):
        p.grad = g
        q.grad = torch.tensor(g, dtype=torch.float64)
        ours.step()
        theirs.step()
        assert p.data == q.item(), f"step {k + 1}"
        assert ours.state[p] == {k: float(v) for k, v in theirs.state[q].items() if v is not None}


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_a_negative_number_is_refused_exactly_where_torch_refuses_it(cls):
    """Each numeric argument at -0.5: a ValueError here if and only if torch raises one."""
    torch = pytest.importorskip("torch")
    t = [torch.zeros((), dtype=torch.float64, requires_grad=True)]
    numeric = [
        name
        for name, (default, _) in cls.signature.items()
        if isinstance(default, int | float) and not isinstance(default, bool)
    ]
    assert "lr" in numeric
    for name in numeric:
        refused = []
        for make in (getattr(torch.optim, cls.torch_name), cls):
            try:
                make(t if make is not cls else [Value(0.0)], **{name: -0.5})
                refused.append(False)
            except ValueError:
                refused.append(True)
        assert refused[0] == refused[1], (name, "torch, ours refused:", refused)


# -- every bound of every argument, on both sides -------------------------------------------

TINY = 5e-324  # the smallest positive float: the nearest number to a bound at 0
BELOW_ONE = math.nextafter(1.0, 0.0)


def _both_sides(cls) -> list[dict]:
    """Keyword arguments that sit on either side of a bound of one of cls's arguments, found
    from each argument's check in the signature (so a new optimizer is covered unedited)."""
    cases: list[dict] = []
    for name, (_, check) in cls.signature.items():
        if check is optim._nonnegative:
            cases += [{name: v} for v in (-TINY, -0.0, 0.0, 0, TINY, -1, 1e300)]
        elif check is optim._betas:
            for k in (0, 1):
                for v in (-0.5, -TINY, -0.0, 0.0, TINY, BELOW_ONE, 1.0, 1.5):
                    pair = [0.9, 0.999]
                    pair[k] = v
                    cases.append({name: tuple(pair)})
    if cls is SGD:  # Nesterov needs momentum > 0 and dampening == 0
        cases += [{"momentum": m, "nesterov": True} for m in (0.0, TINY, 0.9)]
        d = (-TINY, -0.0, 0.0, TINY)
        cases += [{"momentum": 0.9, "dampening": v, "nesterov": True} for v in d]
    return cases


@pytest.mark.parametrize("cls", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_every_bound_is_refused_on_one_side_and_accepted_on_the_other_as_torch(cls):
    """Each argument a hair beyond its bound is a ValueError here if and only if torch 2.13
    raises one; at the bound and a hair inside it builds (negative zero counts as zero)."""
    torch = pytest.importorskip("torch")
    t = [torch.zeros((), dtype=torch.float64, requires_grad=True)]
    cases = _both_sides(cls)
    assert len(cases) >= 7 * len([c for _, c in cls.signature.values() if c is optim._nonnegative])
    refused_by_torch = 0
    for kwargs in cases:
        try:
            getattr(torch.optim, cls.torch_name)(t, **kwargs)
            torch_refuses = False
        except ValueError:
            torch_refuses = True
        refused_by_torch += torch_refuses
        if torch_refuses:
            with pytest.raises(ValueError, match="torch: Invalid|Nesterov"):
                cls([Value(0.0)], **kwargs)
        else:
            opt = cls([Value(0.0)], **kwargs)
            for name, v in kwargs.items():
                assert opt.param_groups[0][name] == v, (name, v)
    assert 0 < refused_by_torch < len(cases)  # both sides of the bounds were tried


@pytest.mark.parametrize("cls", [c for c in OPTIMIZERS.values() if "betas" in c.signature])
@pytest.mark.parametrize(
    ("betas", "error"),
    [
        ((0.9,), ValueError),
        ((), ValueError),
        ((0.9, 0.99, 0.999), ValueError),
        (0.9, TypeError),
        ("ab", TypeError),
        ((0.9, "b"), TypeError),
    ],
    ids=repr,
)
def test_betas_must_be_a_pair_of_numbers(cls, betas, error):
    """betas of another length than 2 is a ValueError saying so; not a sequence, or a
    non-number in it, a TypeError; the constructor and add_param_group alike."""
    with pytest.raises(error, match=r"betas(\[1\])? must be a"):
        cls([Value(0.0)], betas=betas)
    opt = cls([Value(0.0)])
    with pytest.raises(error, match=r"betas(\[1\])? must be a"):
        opt.add_param_group({"params": [Value(1.0)], "betas": betas})
    assert len(opt.param_groups) == 1
    assert cls([Value(0.0)], betas=[0.5, 0.25]).defaults["betas"] == (0.5, 0.25)


# -- hostile input: every refusal names what is wrong and changes nothing ---------------------


def _stepped_sgd():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = 1.0, -1.0
    opt.step()
    return opt


def _hostile_state_dicts():
    """(name, state dict made from a stepped 2-parameter SGD's, error, message pattern)."""

    def edit(change):
        def make(good):
            bad = {"state": {k: dict(v) for k, v in good["state"].items()}}
            bad["param_groups"] = [dict(g) for g in good["param_groups"]]
            change(bad)
            return bad

        return make

    def second_group(bad):
        bad["param_groups"].append({**bad["param_groups"][0], "params": [2]})

    return [
        ("not a dict", lambda good: [good], TypeError, "state_dict must be a dict"),
        ("no state", lambda good: {"param_groups": good["param_groups"]}, ValueError, "state"),
        ("extra key", lambda good: {**good, "more": 1}, ValueError, "more"),
        ("groups not a list", edit(lambda b: b.update(param_groups=5)), ValueError, "list of"),
        ("group not a dict", edit(lambda b: b.update(param_groups=[5])), ValueError, "list of"),
        (
            "params not a list",
            edit(lambda b: b["param_groups"][0].update(params=5)),
            ValueError,
            "list of dicts, each with a 'params' list",
        ),
        (
            "no params",
            edit(lambda b: b["param_groups"][0].pop("params")),
            ValueError,
            "each with a 'params' list",
        ),
        ("state not a dict", edit(lambda b: b.update(state=[])), ValueError, "'state' must be"),
        (
            "two groups",
            edit(second_group),
            ValueError,
            "has 2 parameter groups, the optimizer has 1",
        ),
        (
            "no groups",
            edit(lambda b: b.update(param_groups=[])),
            ValueError,
            "has 0 parameter groups, the optimizer has 1",
        ),
        (
            "a hyperparameter missing",
            edit(lambda b: b["param_groups"][0].pop("momentum")),
            ValueError,
            r"group 0 lacks \['momentum'\]",
        ),
        (
            "a bad hyperparameter",
            edit(lambda b: b["param_groups"][0].update(lr=-1.0)),
            ValueError,
            "^SGD: lr must be a finite number >= 0, got -1.0",  # (not named as load_state_dict)
        ),
        (
            "an unknown parameter",
            edit(lambda b: b["state"].update({7: {"momentum_buffer": 1.0}})),
            ValueError,
            "names parameter 7, which no group has",
        ),
        (
            "an unknown parameter as a string",
            edit(lambda b: b["state"].update({"2": {"momentum_buffer": 1.0}})),
            ValueError,
            "names parameter '2', which no group has",
        ),
        ("fields not a dict", edit(lambda b: b["state"].update({0: 5})), TypeError, r"state\[0\]"),
        (
            "a non-finite field",
            edit(lambda b: b["state"][1].update(momentum_buffer=math.inf)),
            ValueError,
            r"state\[1\]\['momentum_buffer'\] must be finite",
        ),
    ]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [case[1:] for case in _hostile_state_dicts()],
    ids=[case[0] for case in _hostile_state_dicts()],
)
def test_a_hostile_state_dict_is_refused_by_name_and_changes_nothing(make, error, match):
    """Each malformed state dict is refused with an error saying what is wrong; the
    optimizer's groups and state are as they were."""
    opt = _stepped_sgd()
    good = opt.state_dict()
    pattern = match if match.startswith("^") else f"^SGD.load_state_dict: .*{match}"
    with pytest.raises(error, match=pattern):
        opt.load_state_dict(make(good))
    assert opt.state_dict() == good


def test_a_state_dict_of_300_groups_or_of_a_group_of_300_loads_back():
    """Past 256 groups, or parameters in a group, the sizes compared are separate int
    objects: a state dict of 300 one-parameter groups plus one group of 300 loads back
    into a twin optimizer, which then steps as the original."""

    def make():
        ps = [Value(0.01 * i) for i in range(600)]
        groups = [{"params": [p], "lr": 0.001 * (i + 1)} for i, p in enumerate(ps[:300])]
        return ps, SGD([*groups, {"params": ps[300:]}], lr=0.1, momentum=0.9)

    ps, opt = make()
    for i, p in enumerate(ps):
        p.grad = 0.5 - 0.001 * i
    opt.step()
    twins, other = make()
    other.load_state_dict(json.loads(json.dumps(opt.state_dict())))
    assert other.state_dict() == opt.state_dict()
    for p, q in zip(ps, twins, strict=True):
        q.data = p.data
        p.grad = q.grad = 0.25
    opt.step()
    other.step()
    assert [q.data for q in twins] == [p.data for p in ps]


def test_a_group_read_from_json_builds_as_one_typed_in():
    """A param group whose keys come from a JSON config (strings made at run time, not the
    literals of the code), its params then set to a tuple, builds the group a literal dict
    builds: params as a list of the Values, the rest as given."""
    a, b = Value(1.0), Value(2.0)
    config = json.loads('{"params": null, "lr": 0.5, "weight_decay": 0.25}')
    config["params"] = (a, b)
    opt = SGD([config], lr=0.1)
    typed = SGD([{"params": (a, b), "lr": 0.5, "weight_decay": 0.25}], lr=0.1)
    assert opt.param_groups == typed.param_groups
    assert type(opt.param_groups[0]["params"]) is list and opt.param_groups[0]["params"] == [a, b]


def test_a_state_dict_with_more_than_its_own_keys_loads():
    """Tuples for lists and a group key the optimizer does not know (torch's schedules add
    initial_lr) load; the unknown key is kept in the group, as torch keeps it."""
    opt = _stepped_sgd()
    good = opt.state_dict()
    other = SGD([Value(1.0), Value(2.0)], lr=0.5, momentum=0.5)
    group = {**good["param_groups"][0], "params": (0, 1), "initial_lr": 0.1}
    other.load_state_dict({"state": good["state"], "param_groups": (group,)})
    assert other.param_groups[0]["initial_lr"] == 0.1
    assert (other.param_groups[0]["lr"], other.param_groups[0]["momentum"]) == (0.1, 0.9)
    assert other.state_dict()["state"] == good["state"]


def test_bad_groups_and_params_are_refused_by_name():
    """A group that is not a dict or has no params, params of one Value or a dict, a non-Value
    or a computed Value in a later group: each error names the group and the index."""
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    opt = SGD([a], lr=0.1)
    with pytest.raises(TypeError, match="^SGD: a param group must be a dict, got int"):
        opt.add_param_group(5)
    with pytest.raises(ValueError, match="^SGD: a param group needs a 'params' entry"):
        opt.add_param_group({"lr": 0.5})
    with pytest.raises(TypeError, match=r"param_groups\[1\]\['params'\]\[1\] is float 2.0"):
        opt.add_param_group({"params": [b, 2.0]})
    c = (a * b).relu()
    c.label = "c"
    with pytest.raises(ValueError, match=r"parameter 'c' \(group 1, index 0\) was computed by"):
        opt.add_param_group({"params": [c]})
    assert len(opt.param_groups) == 1
    opt.add_param_group({"params": b, "lr": 0.5})  # one Value is a group of one
    assert opt.param_groups[1]["params"] == [b] and opt.param_groups[1]["lr"] == 0.5
    with pytest.raises(TypeError, match="^SGD: params must be an iterable .*got int 5"):
        SGD(5)
    with pytest.raises(TypeError, match="^SGD: params must be an iterable .*got a single dict"):
        SGD({"params": [a]})
    with pytest.raises(TypeError, match="a param group must be a dict, got Value"):
        SGD([{"params": [a]}, b])
    assert SGD(p for p in [a, b]).param_groups[0]["params"] == [a, b]


def test_clip_grad_norm_refuses_bad_parameters_and_arguments_by_name():
    """No parameters: norm 0.0; one Value is a list of one; a non-Value, a non-real gradient,
    norm_type <= 0 or a non-bool error_if_nonfinite are refused, no gradient changed."""
    assert clip_grad_norm_([], 1.0) == 0.0
    p, q = Value(0.0), Value(0.0)
    p.grad, q.grad = 3.0, -4.0
    assert clip_grad_norm_(p, 1.0) == 3.0 and p.grad == 1.0 / (3.0 + 1e-6) * 3.0
    p.grad = 3.0
    with pytest.raises(TypeError, match=r"^clip_grad_norm_: .*parameters\[1\] is float 2.0"):
        clip_grad_norm_([p, 2.0], 1.0)
    q.grad = "4"
    with pytest.raises(TypeError, match=r"^clip_grad_norm_: parameters\[1\].grad must be a real"):
        clip_grad_norm_([p, q], 1.0)
    q.grad = -4.0
    for bad in (0.0, -0.0, -2.0, math.nan):
        with pytest.raises(ValueError, match="^clip_grad_norm_: norm_type"):
            clip_grad_norm_([p, q], 1.0, norm_type=bad)
    with pytest.raises(TypeError, match="^clip_grad_norm_: error_if_nonfinite"):
        clip_grad_norm_([p, q], 1.0, error_if_nonfinite=1)
    assert (p.grad, q.grad) == (3.0, -4.0)
    assert clip_grad_norm_([p, q], 1.0, norm_type=TINY) == math.inf  # 3**(1/tiny) overflows


def test_clip_grad_norm_of_a_nan_gradient_is_nan_and_makes_every_gradient_nan():
    """As torch: a nan gradient gives a nan total and scales every gradient by nan (any norm)."""
    for norm_type in (1.0, 2.0, 3.0, math.inf):
        ps = [Value(0.0), Value(0.0), Value(0.0)]
        for p, g in zip(ps, [1.0, math.nan, 1e300], strict=True):
            p.grad = g
        assert math.isnan(clip_grad_norm_(ps, 1.0, norm_type=norm_type))
        assert all(math.isnan(p.grad) for p in ps)
