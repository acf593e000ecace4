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
