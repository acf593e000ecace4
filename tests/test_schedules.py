"""nn.schedules against PyTorch 2.13: recorded lr sequences (tests/data) and live torch runs.

The numbers come from tests/data/schedule_traces.json, written by tests/data/make_traces.py
with torch 2.13.0 (CPU, float64).
"""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from pathlib import Path

import pytest

from autograd_engine import Value
from nn import optim, schedules
from nn.optim import SGD
from nn.schedules import ExponentialLR, LRScheduler, ReduceLROnPlateau, StepLR

DATA = Path(__file__).resolve().parent / "data"
TRACES = json.loads((DATA / "schedule_traces.json").read_text())
X0 = json.loads((DATA / "optim_traces.json").read_text())["meta"]["x0"]
TOL = 1e-12

_spec = importlib.util.spec_from_file_location("make_traces", DATA / "make_traces.py")
make_traces = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_traces)
objective = make_traces.objective


def _our_schedule(case: dict) -> dict:
    """Our scheduler on an SGD with one group per lr: lrs and last_epoch after each step."""
    groups = [{"params": [Value(0.0)], "lr": lr} for lr in case["group_lrs"]]
    opt = SGD(groups, lr=case["group_lrs"][0])
    kwargs = dict(case["kwargs"])
    sched = getattr(schedules, case["class"])(opt, **kwargs)
    lrs, epochs = [sched.get_last_lr()], [sched.last_epoch]
    for k in range(case["steps"]):
        opt.step()
        if case["metrics"] is None:
            sched.step()
        else:
            sched.step(case["metrics"][k])
        lrs.append(sched.get_last_lr())
        epochs.append(sched.last_epoch)
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
    return {"lrs": lrs, "last_epoch": epochs}


SCHEDULES = sorted(TRACES["schedules"])


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_sequence_equals_recorded_torch(name):
    """Each schedule's lrs (every group, every epoch) and last_epoch equal torch's exactly."""
    case = TRACES["schedules"][name]
    ours = _our_schedule(case)
    assert ours["lrs"] == case["lrs"]
    assert ours["last_epoch"] == case["last_epoch"]


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_sequence_equals_live_torch(name):
    """The same schedule run live in torch gives exactly the same lrs."""
    pytest.importorskip("torch")
    case = TRACES["schedules"][name]
    live = make_traces.torch_schedule(
        case["class"], case["kwargs"], case["group_lrs"], case["metrics"], case["steps"]
    )
    assert _our_schedule(case) == live


def _our_combined(case: dict) -> dict:
    cls_name, kwargs = case["optimizer"]
    sched_name, sched_kwargs = case["scheduler"]
    params = [Value(v) for v in X0]
    opt = getattr(optim, cls_name)(params, **kwargs)
    sched = getattr(schedules, sched_name)(opt, **sched_kwargs)
    rows, lrs = [], []
    for _ in range(case["steps"]):
        opt.zero_grad()
        loss = objective(*params)
        loss.backward()
        opt.step()
        if sched_name == "ReduceLROnPlateau":
            sched.step(loss.data)
        else:
            sched.step()
        rows.append([p.data for p in params])
        lrs.append([g["lr"] for g in opt.param_groups])
    return {"params": rows, "lrs": lrs}


def _close(rows, expected) -> bool:
    return all(abs(a - b) <= TOL for r, e in zip(rows, expected, strict=True) for a, b in zip(r, e))


@pytest.mark.parametrize("name", sorted(TRACES["combined"]))
def test_schedule_with_optimizer_matches_recorded_torch(name):
    """An optimizer driven by a schedule follows torch's iterates (1e-12) and lrs (exactly)."""
    case = TRACES["combined"][name]
    ours = _our_combined(case)
    assert _close(ours["params"], case["params"][1:])
    assert ours["lrs"] == case["lrs"]


@pytest.mark.parametrize("name", sorted(TRACES["combined"]))
def test_schedule_with_optimizer_matches_live_torch(name):
    """The same run live in torch gives the same iterates to 1e-12."""
    pytest.importorskip("torch")
    case = TRACES["combined"][name]
    live = make_traces.torch_optimizer_trace(
        *case["optimizer"], steps=case["steps"], scheduler=tuple(case["scheduler"])
    )
    ours = _our_combined(case)
    assert _close(ours["params"], live["params"][1:])
    assert ours["lrs"] == live["lrs"]


def test_plateau_actually_cuts_the_lr_in_the_combined_trace():
    """The recorded RMSprop run does reach a plateau, so the test above checks a cut."""
    lrs = [row[0] for row in TRACES["combined"]["rmsprop_plateau"]["lrs"]]
    assert min(lrs) < lrs[0]


def test_initial_lr_and_base_lrs_are_set():
    """A fresh scheduler records initial_lr in each group and base_lrs; lr is unchanged."""
    opt = SGD([{"params": [Value(0.0)], "lr": 0.1}, {"params": [Value(0.0)], "lr": 0.2}])
    sched = StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert sched.base_lrs == [0.1, 0.2] and sched.last_epoch == 0
    assert sched.get_last_lr() == [0.1, 0.2]


def test_resuming_without_initial_lr_raises():
    """last_epoch >= 0 needs initial_lr in every group, as in torch."""
    opt = SGD([Value(0.0)], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        ExponentialLR(opt, gamma=0.5, last_epoch=3)


def test_schedules_chain_by_multiplying_the_current_lr():
    """Two chainable schedules on one optimizer compose: both factors apply (torch's form)."""
    opt = SGD([Value(0.0)], lr=1.0)
    a = ExponentialLR(opt, gamma=0.5)
    b = StepLR(opt, step_size=2, gamma=0.1)
    seen = []
    for _ in range(4):
        opt.step()
        a.step()
        b.step()
        seen.append(opt.param_groups[0]["lr"])
    assert seen == [0.5, 0.5 * 0.5 * 0.1, 0.5 * 0.5 * 0.1 * 0.5, 0.5 * 0.5 * 0.1 * 0.5 * 0.5 * 0.1]


def test_stepping_the_schedule_before_the_optimizer_warns():
    """scheduler.step() before any optimizer.step() warns, as torch does; after, it does not."""
    opt = SGD([Value(0.0)], lr=0.1)
    sched = ExponentialLR(opt, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = SGD([Value(0.0)], lr=0.1)
    sched2 = ExponentialLR(opt2, gamma=0.5)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: StepLR(o, step_size=0), ValueError, "step_size"),
        (lambda o: StepLR(o, step_size=2, gamma=math.nan), ValueError, "gamma"),
        (lambda o: ExponentialLR(o, gamma="0.9"), TypeError, "gamma"),
        (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
        (lambda o: ReduceLROnPlateau(o, mode="middle"), ValueError, "mode 'middle'"),
        (lambda o: ReduceLROnPlateau(o, threshold_mode="pct"), ValueError, "threshold mode"),
        (lambda o: ReduceLROnPlateau(o, min_lr=[0.0, 0.0]), ValueError, "expected 1 min_lrs"),
        (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
        (lambda o: StepLR("not an optimizer", 2), TypeError, "is not an Optimizer"),
    ],
)
def test_bad_schedule_arguments_raise_and_leave_lr_alone(make, error, match):
    """Invalid schedule arguments raise a clear error and do not touch the optimizer's lr."""
    opt = SGD([Value(0.0)], lr=0.1)
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.param_groups[0]["lr"] == 0.1


def test_plateau_rejects_a_non_finite_metric_and_changes_nothing():
    """A nan metric raises ValueError; counters and lrs stay as they were."""
    opt = SGD([Value(0.0)], lr=0.1)
    sched = ReduceLROnPlateau(opt, patience=0)
    sched.step(1.0)
    before = sched.state_dict()
    with pytest.raises(ValueError, match="finite"):
        sched.step(math.nan)
    assert sched.state_dict() == before and opt.param_groups[0]["lr"] == 0.1


def test_state_dict_round_trip_restores_the_schedule():
    """A scheduler loaded from state_dict continues with the same lrs."""
    opt = SGD([Value(0.0)], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 3
    opt2 = SGD([Value(0.0)], lr=opt.param_groups[0]["lr"])
    sched2 = StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(saved)
    for s, o in [(sched, opt), (sched2, opt2)]:
        o.step()
        s.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.25]


def test_base_class_get_lr_is_abstract():
    """LRScheduler itself has no rule: constructing it raises NotImplementedError."""
    with pytest.raises(NotImplementedError):
        LRScheduler(SGD([Value(0.0)], lr=0.1))


# ReduceLROnPlateau's improvement edges for best = 4 and threshold = 1/4 (exact in binary):
# min/rel 4 * (1 - 1/4) = 3, min/abs 4 - 1/4, max/rel 4 * (1 + 1/4) = 5, max/abs 4 + 1/4.
PLATEAU_EDGES = {
    ("min", "rel"): 3.0,
    ("min", "abs"): 3.75,
    ("max", "rel"): 5.0,
    ("max", "abs"): 4.25,
}


def _beyond(mode: str, edge: float) -> float:
    """The next float past the edge on the improving side."""
    return math.nextafter(edge, -math.inf if mode == "min" else math.inf)


def _short_of(mode: str, edge: float) -> float:
    return math.nextafter(edge, math.inf if mode == "min" else -math.inf)


@pytest.mark.parametrize(("mode", "threshold_mode"), sorted(PLATEAU_EDGES))
@pytest.mark.parametrize("side", ["beyond", "at", "short"])
def test_plateau_improvement_edge_in_every_mode(mode, threshold_mode, side):
    """Only a metric strictly past the edge improves; at the edge or short of it, a bad epoch.

    With patience 0 a bad epoch cuts the lr at once (1 -> 1/2) and keeps best at 4.
    """
    edge = PLATEAU_EDGES[mode, threshold_mode]
    metric = {"beyond": _beyond(mode, edge), "at": edge, "short": _short_of(mode, edge)}[side]
    opt = SGD([Value(0.0)], lr=1.0)
    sched = ReduceLROnPlateau(
        opt, mode=mode, factor=0.5, patience=0, threshold=0.25, threshold_mode=threshold_mode
    )
    sched.step(4.0)
    assert sched.best == 4.0 and opt.param_groups[0]["lr"] == 1.0
    assert sched.is_better(metric, 4.0) is (side == "beyond")
    sched.step(metric)
    if side == "beyond":
        assert sched.best == metric and opt.param_groups[0]["lr"] == 1.0
    else:
        assert sched.best == 4.0 and opt.param_groups[0]["lr"] == 0.5


@pytest.mark.parametrize(("mode", "threshold_mode"), sorted(PLATEAU_EDGES))
@pytest.mark.parametrize("cooldown", [0, 1])
def test_plateau_modes_match_live_torch_at_their_edges(mode, threshold_mode, cooldown):
    """Every mode/threshold_mode pair, fed metrics at and past its edges, gives torch's lrs."""
    pytest.importorskip("torch")
    edge = PLATEAU_EDGES[mode, threshold_mode]
    later = [7.0, 7.0, 13.0] if mode == "max" else [2.0, 2.0, 1.0]  # positive, as rel needs
    metrics = [4.0, edge, _beyond(mode, edge), *later, later[-1], later[-1], later[-1]]
    case = {
        "class": "ReduceLROnPlateau",
        "kwargs": {
            "mode": mode,
            "threshold_mode": threshold_mode,
            "threshold": 0.25,
            "patience": 1,
            "factor": 0.5,
            "cooldown": cooldown,
        },
        "group_lrs": [1.0, 0.1],
        "metrics": metrics,
        "steps": len(metrics),
    }
    live = make_traces.torch_schedule(
        case["class"], case["kwargs"], case["group_lrs"], case["metrics"], case["steps"]
    )
    ours = _our_schedule(case)
    assert ours == live
    assert ours["lrs"][-1] != ours["lrs"][0]  # the lr was cut: the edges were exercised


@pytest.mark.parametrize(("eps", "cut"), [(0.25, False), (math.nextafter(0.25, 0.0), True)])
def test_plateau_cuts_only_when_the_lr_falls_by_more_than_eps(eps, cut):
    """lr 1/2 -> 1/4 falls by exactly 1/4: no cut for eps = 1/4, a cut for eps just below."""
    opt = SGD([Value(0.0)], lr=0.5)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=eps)
    sched.step(1.0)
    sched.step(1.0)
    assert opt.param_groups[0]["lr"] == (0.25 if cut else 0.5)


@pytest.mark.parametrize(("min_lr", "lr"), [(0.3, 0.3), (0.25, 0.25), (0.2, 0.25)])
def test_plateau_never_cuts_below_min_lr(min_lr, lr):
    """max(lr * factor, min_lr): 1/2 * 1/2 = 1/4, floored at min_lr above, at and below it."""
    opt = SGD([Value(0.0)], lr=0.5)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=0, min_lr=min_lr)
    sched.step(1.0)
    sched.step(1.0)
    assert opt.param_groups[0]["lr"] == lr


@pytest.mark.parametrize("patience", [0, 1, 3])
def test_plateau_cuts_on_the_bad_epoch_after_patience_ones(patience):
    """The count must exceed patience: bad epochs 1..patience keep the lr, the next cuts it."""
    opt = SGD([Value(0.0)], lr=1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=patience)
    sched.step(1.0)
    lrs = []
    for _ in range(patience + 1):
        sched.step(1.0)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0] * patience + [0.5]


def _reversed_state(sched) -> dict:
    return dict(reversed(list(sched.state_dict().items())))


@pytest.mark.parametrize(
    "make",
    [
        lambda o: StepLR(o, step_size=2, gamma=0.5),
        lambda o: ExponentialLR(o, gamma=0.5),
        lambda o: ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1),
    ],
    ids=["StepLR", "ExponentialLR", "ReduceLROnPlateau"],
)
def test_a_state_dict_in_another_key_order_restores_every_schedule(make):
    """Each schedule loaded from its state_dict with keys reversed continues the same lrs."""
    metrics = [3.0, 3.0, 3.0, 2.0, 3.0, 3.0, 3.0, 3.0]

    def advance(sched, opt, ks):
        for k in ks:
            opt.step()
            sched.step(metrics[k]) if isinstance(sched, ReduceLROnPlateau) else sched.step()
        return opt.param_groups[0]["lr"]

    opt = SGD([Value(0.0)], lr=1.0)
    sched = make(opt)
    advance(sched, opt, range(3))
    opt2 = SGD([Value(0.0)], lr=opt.param_groups[0]["lr"])
    sched2 = make(opt2)
    sched2.load_state_dict(_reversed_state(sched))
    assert sched2.state_dict() == sched.state_dict()
    rest = range(3, len(metrics))
    assert [advance(sched2, opt2, [k]) for k in rest] == [advance(sched, opt, [k]) for k in rest]


# -- boundaries and defaults found by mutation testing (docs/mutation.md) ------------------


def _sgd(groups: int = 1) -> SGD:
    return SGD([{"params": [Value(1.0)], "lr": 0.1 * (g + 1)} for g in range(groups)], lr=0.1)


@pytest.mark.parametrize("cls", [StepLR, ExponentialLR, ReduceLROnPlateau])
def test_default_arguments_are_torchs(cls):
    """Every keyword default of the constructor equals torch's (the oracle, not our code)."""
    import inspect

    torch = pytest.importorskip("torch")
    theirs = inspect.signature(getattr(torch.optim.lr_scheduler, cls.__name__)).parameters
    ours = inspect.signature(cls).parameters
    for name, p in ours.items():
        if p.default is not inspect.Parameter.empty and name in theirs:
            assert p.default == theirs[name].default, name


def test_last_epoch_minus_one_starts_fresh_and_minus_two_is_refused():
    StepLR(_sgd(), step_size=2, last_epoch=-1)
    with pytest.raises(ValueError, match="last_epoch"):
        StepLR(_sgd(), step_size=2, last_epoch=-2)


def test_resuming_needs_initial_lr_in_every_group_and_names_the_first_missing():
    opt = _sgd(3)
    opt.param_groups[0]["initial_lr"] = 0.1
    with pytest.raises(KeyError, match=r"param_groups\[1\] when resuming with last_epoch=4"):
        StepLR(opt, step_size=2, last_epoch=4)
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"]
    resumed = StepLR(opt, step_size=2, last_epoch=4)  # chainable: epoch 5 is not a multiple
    assert resumed.last_epoch == 5 and resumed.get_last_lr() == [0.1, 0.2, 0.1 * 3]


def test_step_before_optimizer_step_warns_once_at_the_callers_line():
    """Constructing warns nothing (its initial step is not the caller's); the first
    step() before any optimizer.step() warns, attributed to this file."""
    opt = _sgd()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched = StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`") as caught:
        sched.step()
    assert len(caught) == 1 and caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # only the first call warns


def test_step_size_one_and_the_bounds_of_gamma_min_lr_cooldown():
    opt = _sgd()
    sched = StepLR(opt, step_size=1, gamma=0.5)  # every epoch: 0.1, 0.05, 0.025
    for _ in range(2):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [0.1 * 0.5 * 0.5]
    StepLR(_sgd(), step_size=1, gamma=0.0)
    with pytest.raises(ValueError, match="gamma"):
        StepLR(_sgd(), step_size=1, gamma=-0.5)
    ReduceLROnPlateau(_sgd(), min_lr=0.0, cooldown=0)
    with pytest.raises(ValueError, match="min_lr"):
        ReduceLROnPlateau(_sgd(), min_lr=-0.5)
    with pytest.raises(ValueError, match="cooldown"):
        ReduceLROnPlateau(_sgd(), cooldown=-1)


def test_state_dict_bounds_on_both_sides():
    sched = StepLR(_sgd(), step_size=3)
    state = sched.state_dict()
    sched.load_state_dict({**state, "last_epoch": -1, "step_size": 1})
    assert (sched.last_epoch, sched.step_size) == (-1, 1)
    for key, bad in (("last_epoch", -2), ("step_size", 0)):
        with pytest.raises(ValueError, match=key):
            sched.load_state_dict({**state, key: bad})
    plateau = ReduceLROnPlateau(_sgd())
    state = plateau.state_dict()
    plateau.load_state_dict({**state, "factor": 0.0})
    with pytest.raises(ValueError, match="factor"):
        plateau.load_state_dict({**state, "factor": 1.0})  # must stay below 1
    with pytest.raises(ValueError, match=r"base_lrs.*must have 1 entry, got 3"):
        sched.load_state_dict({**sched.state_dict(), "base_lrs": [0.1, 0.1, 0.1]})


@pytest.mark.parametrize(("mode", "threshold_mode"), [("min", "rel"), ("max", "abs")])
def test_plateau_modes_given_as_built_strings(mode, threshold_mode):
    """A mode string built at run time (not the literal) selects the same behaviour."""
    built = ReduceLROnPlateau(_sgd(), mode="".join(mode), threshold_mode="".join(threshold_mode))
    plain = ReduceLROnPlateau(_sgd(), mode=mode, threshold_mode=threshold_mode)
    assert built.mode_worse == plain.mode_worse == (math.inf if mode == "min" else -math.inf)
    for metric in (1.0, 0.5, 2.0, 2.0):
        assert built.is_better(metric, 1.0) == plain.is_better(metric, 1.0)


def test_plateau_with_cooldown_matches_torch_step_by_step():
    """patience 1, cooldown 2 on a metric that never improves after the first epoch: the
    lr and the bad-epoch count after every step are torch's."""
    torch = pytest.importorskip("torch")
    w = torch.nn.Parameter(torch.zeros(1))
    t_opt = torch.optim.SGD([w], lr=1.0)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, patience=1, cooldown=2, factor=0.5)
    opt = SGD([Value(0.0)], lr=1.0)
    ours = ReduceLROnPlateau(opt, patience=1, cooldown=2, factor=0.5)
    for metric in [1.0] + [2.0] * 12:
        theirs.step(metric)
        ours.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert (ours.num_bad_epochs, ours.cooldown_counter) == (
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
        )


def test_plateau_factor_bounds_and_min_lr_list_lengths():
    ReduceLROnPlateau(_sgd(), factor=0.0)
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(_sgd(), factor=-0.5)
    for min_lr in ([0.0], [0.0, 0.0, 0.0]):
        with pytest.raises(ValueError, match=f"expected 2 min_lrs, got {len(min_lr)}"):
            ReduceLROnPlateau(_sgd(2), min_lr=min_lr)
    many = SGD([{"params": [Value(1.0)]} for _ in range(300)], lr=0.1)
    assert ReduceLROnPlateau(many, min_lr=[0.0] * 300).min_lrs == [0.0] * 300


def test_plateau_counts_its_steps_and_refuses_a_group_removed_or_added_to_a_min_lr_list():
    """After two steps the state says 2; a min_lr list no longer matching the groups is a
    RuntimeError at the next cut, either way; a single min_lr covers a group added later."""
    plateau = ReduceLROnPlateau(_sgd(2), patience=0, min_lr=[0.0, 0.0])
    plateau.step(1.0)
    plateau.step(1.0)  # no improvement, patience 0: a cut
    assert plateau.state_dict()["_step_count"] == 2
    plateau.optimizer.param_groups.pop()
    with pytest.raises(RuntimeError, match="1 param group but min_lr has 2 entries"):
        plateau.step(1.0)
    single = ReduceLROnPlateau(_sgd(1), patience=0, min_lr=0.0)
    single.optimizer.add_param_group({"params": [Value(2.0)], "lr": 0.4})
    single.step(1.0)
    single.step(1.0)
    assert single.get_last_lr() == [0.1 * 0.1, 0.4 * 0.1]


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
def test_plateau_built_mode_strings_compare_by_value(mode, threshold_mode):
    """best = 10, threshold 1e-4: rel needs 9.999 (min) or 10.001 (max), abs 9.9999 or
    10.0001; a metric between the two tells the modes apart."""
    built = ReduceLROnPlateau(_sgd(), mode="".join(mode), threshold_mode="".join(threshold_mode))
    sign = 1.0 if mode == "min" else -1.0
    between = 10.0 - sign * 0.0005  # better than abs's edge, not than rel's
    expected = threshold_mode == "abs"
    assert built.is_better(between, 10.0) is expected


def test_plateau_load_state_dict_refuses_a_list():
    plateau = ReduceLROnPlateau(_sgd())
    with pytest.raises(TypeError, match="state_dict"):
        plateau.load_state_dict([("mode", "min")])


def test_state_dict_list_shorter_than_the_groups_is_refused():
    sched = StepLR(_sgd(2), step_size=3)
    with pytest.raises(ValueError, match=r"base_lrs.*must have 2 entries, got 1"):
        sched.load_state_dict({**sched.state_dict(), "base_lrs": [0.1]})


def test_negative_rates_and_counts_are_refused_in_constructors_and_state_dicts():
    """gamma, eps, lrs, factor and the plateau's counters have lower bound 0: 0 is accepted,
    just below it is refused, in the constructor and in load_state_dict alike."""
    ExponentialLR(_sgd(), gamma=0.0)
    with pytest.raises(ValueError, match="gamma"):
        ExponentialLR(_sgd(), gamma=-1e-9)
    ReduceLROnPlateau(_sgd(), eps=0.0)
    with pytest.raises(ValueError, match="eps"):
        ReduceLROnPlateau(_sgd(), eps=-1e-9)
    sched = StepLR(_sgd(), step_size=2)
    state = sched.state_dict()
    sched.load_state_dict({**state, "base_lrs": [0.0]})
    with pytest.raises(ValueError, match="base_lrs"):
        sched.load_state_dict({**state, "base_lrs": [-0.1]})
    plateau = ReduceLROnPlateau(_sgd())
    state = plateau.state_dict()
    for key, bad in (("factor", -0.5), ("patience", -1), ("cooldown", -1), ("num_bad_epochs", -1)):
        with pytest.raises(ValueError, match=key):
            plateau.load_state_dict({**state, key: bad})
    with pytest.raises(TypeError, match="threshold_mode"):
        plateau.load_state_dict({**state, "threshold_mode": 5})


def test_a_field_saved_as_none_loads_only_as_none():
    plateau = ReduceLROnPlateau(_sgd(), min_lr=[0.0])  # a list: no default_min_lr
    state = plateau.state_dict()
    assert state["default_min_lr"] is None
    with pytest.raises(TypeError, match=r"default_min_lr'\] must be None-like, got str 'x'"):
        plateau.load_state_dict({**state, "default_min_lr": "x"})


def test_a_fresh_plateau_is_not_in_cooldown():
    """As torch's: cooldown_counter 0, no bad epochs, best the worst value of the mode."""
    plateau = ReduceLROnPlateau(_sgd(), cooldown=3)
    assert not plateau.in_cooldown
    assert (plateau.cooldown_counter, plateau.num_bad_epochs, plateau.best) == (0, 0, math.inf)


def test_a_plateau_over_300_groups_cuts_every_lr():
    """Lengths beyond the small-int cache compare by value at the cut too."""
    many = SGD([{"params": [Value(1.0)]} for _ in range(300)], lr=0.1)
    plateau = ReduceLROnPlateau(many, patience=0, min_lr=[0.0] * 300)
    plateau.step(1.0)
    plateau.step(1.0)
    assert plateau.get_last_lr() == [0.1 * 0.1] * 300


def test_more_bounds_on_both_sides():
    """factor must be below 1 (1.5 too), each min_lr and the loaded step count at least 0,
    and a state saved over 300 groups loads back."""
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ReduceLROnPlateau(_sgd(), factor=1.5)
    ReduceLROnPlateau(_sgd(2), min_lr=[0.0, 0.0])
    with pytest.raises(ValueError, match=r"min_lr\[1\]"):
        ReduceLROnPlateau(_sgd(2), min_lr=[0.0, -0.1])
    sched = StepLR(_sgd(), step_size=2)
    sched.load_state_dict({**sched.state_dict(), "_step_count": 0})
    with pytest.raises(ValueError, match="_step_count"):
        sched.load_state_dict({**sched.state_dict(), "_step_count": -1})
    many = StepLR(SGD([{"params": [Value(1.0)]} for _ in range(300)], lr=0.1), step_size=2)
    many.load_state_dict(many.state_dict())
    assert many.base_lrs == [0.1] * 300
