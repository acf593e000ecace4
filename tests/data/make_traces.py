"""Record the PyTorch reference traces that tests/test_optim.py and tests/test_schedules.py check.

Run from the repository root with torch 2.13.0 (CPU) installed:

    python tests/data/make_traces.py          # record a new optimizer's examples
    python tests/data/make_traces.py --all    # record everything again

``--all`` writes tests/data/optim_traces.json and tests/data/schedule_traces.json. Everything is
float64; each scalar parameter is its own 0-dim tensor (as each is its own Value in our
engine) and every optimizer runs its single-tensor path (``foreach=False``). The optimizer
traces are the ``examples`` of every optimizer in ``nn.optim.OPTIMIZERS``: after adding an
optimizer, run this without ``--all`` to record its examples. JSON stores
floats by ``repr``, so the recorded numbers round-trip exactly. The live tests import the
functions below (torch is imported inside them, so importing this file needs no torch).
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent.parent) not in sys.path:  # nn of this checkout, whatever is installed
    sys.path.insert(0, str(HERE.parent.parent))

X0 = [-1.2, 1.0, 0.5]
"""Start of every optimizer trace: (x, y, z)."""

STEPS = 8


def objective(x: Any, y: Any, z: Any) -> Any:
    """Rosenbrock in (x, y) plus a coupling to z: nonconvex, works on Values and on tensors.

    f = (1-x)(1-x) + 100 (y - x x)(y - x x) + (y z - 1/2)(y z - 1/2) + tanh(x z)
    """
    a = 1 - x
    b = y - x * x
    c = y * z - 0.5
    return a * a + 100 * (b * b) + c * c + (x * z).tanh()


def optimizer_configs() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every example of every optimizer in ``nn.optim.OPTIMIZERS``, by trace name
    ``<class>_<example>`` (``sgd_nesterov``): (engine class name, keyword arguments)."""
    from nn.optim import OPTIMIZERS

    return {
        f"{name.lower()}_{example}": (name, dict(kwargs))
        for name, cls in OPTIMIZERS.items()
        for example, kwargs in cls.examples.items()
    }


def torch_name(cls_name: str) -> str:
    """The ``torch.optim`` twin of the engine optimizer ``cls_name``."""
    from nn.optim import OPTIMIZERS

    return str(OPTIMIZERS[cls_name].torch_name)


def torch_optimizer_trace(
    cls_name: str,
    kwargs: dict[str, Any],
    groups: list[dict[str, Any]] | None = None,
    steps: int = STEPS,
    scheduler: tuple[str, dict[str, Any]] | None = None,
) -> dict[str, list]:
    """Run the torch twin of nn.optim.<cls_name> on ``objective`` from X0; params, grads,
    losses, lrs per step.

    ``groups`` (optional) are param groups given as ``{"params": [indices], ...}``. With a
    ``scheduler`` (name, kwargs), it is stepped after every optimizer step (with the loss,
    for ReduceLROnPlateau).
    """
    import torch

    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in X0]
    kwargs = {**kwargs, "foreach": False}
    if groups is None:
        optimizer = getattr(torch.optim, torch_name(cls_name))(params, **kwargs)
    else:
        spec = [{**g, "params": [params[i] for i in g["params"]]} for g in groups]
        optimizer = getattr(torch.optim, torch_name(cls_name))(spec, **kwargs)
    sched = None
    if scheduler is not None:
        sched = getattr(torch.optim.lr_scheduler, scheduler[0])(optimizer, **scheduler[1])
    trace: dict[str, list] = {"params": [X0], "grads": [], "losses": [], "lrs": []}
    for _ in range(steps):
        optimizer.zero_grad()
        loss = objective(*params)
        loss.backward()
        trace["losses"].append(loss.item())
        trace["grads"].append([p.grad.item() for p in params])
        optimizer.step()
        if sched is not None:
            if scheduler[0] == "ReduceLROnPlateau":
                sched.step(loss.item())
            else:
                sched.step()
        trace["params"].append([p.item() for p in params])
        trace["lrs"].append([float(g["lr"]) for g in optimizer.param_groups])
    return trace


CLIP_CASES: list[dict[str, Any]] = [
    {"grads": [3.0, -4.0, 12.0], "max_norm": 1.0, "norm_type": 2.0},
    {"grads": [3.0, -4.0, 12.0], "max_norm": 1.0, "norm_type": 1.0},
    {"grads": [3.0, -4.0, 12.0], "max_norm": 1.0, "norm_type": math.inf},
    {"grads": [3.0, -4.0, 12.0], "max_norm": 2.5, "norm_type": 3.0},
    {"grads": [0.1, -0.2, 0.3], "max_norm": 10.0, "norm_type": 2.0},
    {"grads": [0.0, 0.0, 0.0], "max_norm": 1.0, "norm_type": 2.0},
    {"grads": [1e-3, 2.7182818, -3.14159, 0.577, 1.4142], "max_norm": 0.7, "norm_type": 2.0},
]


def torch_clip(case: dict[str, Any]) -> dict[str, Any]:
    """torch.nn.utils.clip_grad_norm_ on 0-dim float64 tensors: total norm and clipped grads."""
    import torch

    params = [torch.tensor(0.0, dtype=torch.float64, requires_grad=True) for _ in case["grads"]]
    for p, g in zip(params, case["grads"], strict=True):
        p.grad = torch.tensor(g, dtype=torch.float64)
    total = torch.nn.utils.clip_grad_norm_(params, case["max_norm"], case["norm_type"])
    return {"total": total.item(), "clipped": [p.grad.item() for p in params]}


# name -> (scheduler class, kwargs, group lrs, metrics (ReduceLROnPlateau) or None, steps)
SCHEDULE_CONFIGS: dict[str, tuple[str, dict[str, Any], list[float], list[float] | None, int]] = {
    "step_lr": ("StepLR", {"step_size": 3, "gamma": 0.1}, [0.1, 0.05], None, 10),
    "step_lr_gamma07": ("StepLR", {"step_size": 2, "gamma": 0.7}, [0.3], None, 10),
    "exponential_lr": ("ExponentialLR", {"gamma": 0.9}, [0.1, 0.02], None, 10),
    "plateau_min_rel": (
        "ReduceLROnPlateau",
        {"patience": 2, "factor": 0.5},
        [0.1, 0.01],
        [5.0, 4.0, 4.0, 4.0, 3.9999, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0],
        12,
    ),
    "plateau_max_abs_cooldown": (
        "ReduceLROnPlateau",
        {
            "mode": "max",
            "patience": 1,
            "factor": 0.3,
            "threshold": 0.1,
            "threshold_mode": "abs",
            "cooldown": 2,
        },
        [0.2],
        [0.5, 0.55, 0.58, 0.7, 0.75, 0.79, 0.8, 0.81, 0.95, 0.96, 0.97, 0.98],
        12,
    ),
    "plateau_min_lr": (
        "ReduceLROnPlateau",
        {"patience": 0, "factor": 0.1, "min_lr": [1e-3, 0.0], "eps": 1e-8},
        [0.1, 1e-7],
        [1.0] * 8,
        8,
    ),
}


def torch_schedule(
    cls_name: str, kwargs: dict[str, Any], lrs: list[float], metrics: list[float] | None, steps: int
) -> dict[str, Any]:
    """The lr of every group after construction and after each scheduler step (torch)."""
    import torch

    groups = [
        {"params": [torch.zeros((), dtype=torch.float64, requires_grad=True)], "lr": lr}
        for lr in lrs
    ]
    optimizer = torch.optim.SGD(groups, lr=lrs[0])
    scheduler = getattr(torch.optim.lr_scheduler, cls_name)(optimizer, **kwargs)
    history = [scheduler.get_last_lr()]
    last_epochs = [scheduler.last_epoch]
    for k in range(steps):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[k])
        history.append(list(scheduler.get_last_lr()))
        last_epochs.append(scheduler.last_epoch)
    return {"lrs": [[float(v) for v in row] for row in history], "last_epoch": last_epochs}


COMBINED_CONFIGS: dict[str, dict[str, Any]] = {
    "sgd_momentum_step_lr": {
        "optimizer": ("SGD", {"lr": 2e-3, "momentum": 0.9}),
        "scheduler": ("StepLR", {"step_size": 3, "gamma": 0.5}),
        "steps": 10,
    },
    "adam_exponential_lr": {
        "optimizer": ("Adam", {"lr": 0.05}),
        "scheduler": ("ExponentialLR", {"gamma": 0.8}),
        "steps": 10,
    },
    "rmsprop_plateau": {
        "optimizer": ("RMSprop", {"lr": 0.1}),  # lr 0.1 overshoots, so the lr is cut once
        "scheduler": ("ReduceLROnPlateau", {"patience": 1, "factor": 0.5}),
        "steps": 12,
    },
}

GROUP_CONFIGS: dict[str, dict[str, Any]] = {
    "sgd_two_groups": {
        "optimizer": ("SGD", {"lr": 1e-3, "momentum": 0.9}),
        "groups": [{"params": [0]}, {"params": [1, 2], "lr": 5e-4, "momentum": 0.5}],
    },
    "adam_two_groups": {
        "optimizer": ("Adam", {"lr": 0.05}),
        "groups": [{"params": [0, 2], "lr": 0.01, "amsgrad": True}, {"params": [1]}],
    },
}


def add_missing_optimizer_traces() -> None:
    """Record only the optimizer examples optim_traces.json lacks (a new optimizer's), keep
    every trace already recorded as it is, and drop those of examples that are gone.

    Re-recording everything on another machine can move torch's own gradients (its tanh)
    by an ulp, which would rewrite traces nothing changed; ``--all`` does that on purpose.
    """
    path = HERE / "optim_traces.json"
    data = json.loads(path.read_text())
    old = data["optimizers"]
    data["optimizers"] = {
        name: old[name]
        if name in old and (old[name]["class"], old[name]["kwargs"]) == (cls, json_kw(kw))
        else {"class": cls, "kwargs": kw, **torch_optimizer_trace(cls, kw)}
        for name, (cls, kw) in optimizer_configs().items()
    }
    added = sorted(set(data["optimizers"]) - set(old))
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {path}: added {added}, dropped {sorted(set(old) - set(data['optimizers']))}")


def json_kw(kwargs: dict[str, Any]) -> Any:
    """``kwargs`` as JSON gives it back (tuples become lists)."""
    return json.loads(json.dumps(kwargs))


def main() -> None:
    """Write both JSON fixtures."""
    import torch

    meta = {
        "torch_version": torch.__version__,
        "machine": platform.machine(),
        "generator": "tests/data/make_traces.py",
    }
    optim = {
        "meta": {**meta, "x0": X0, "steps": STEPS},
        "optimizers": {
            name: {"class": cls, "kwargs": kw, **torch_optimizer_trace(cls, kw)}
            for name, (cls, kw) in optimizer_configs().items()
        },
        "groups": {
            name: {**cfg, **torch_optimizer_trace(*cfg["optimizer"], groups=cfg["groups"])}
            for name, cfg in GROUP_CONFIGS.items()
        },
        "clip": [{**case, **torch_clip(case)} for case in CLIP_CASES],
    }
    schedules = {
        "meta": meta,
        "schedules": {
            name: {
                "class": cls,
                "kwargs": kw,
                "group_lrs": lrs,
                "metrics": metrics,
                "steps": steps,
                **torch_schedule(cls, kw, lrs, metrics, steps),
            }
            for name, (cls, kw, lrs, metrics, steps) in SCHEDULE_CONFIGS.items()
        },
        "combined": {
            name: {
                **cfg,
                **torch_optimizer_trace(
                    *cfg["optimizer"], steps=cfg["steps"], scheduler=cfg["scheduler"]
                ),
            }
            for name, cfg in COMBINED_CONFIGS.items()
        },
    }
    for filename, data in [("optim_traces.json", optim), ("schedule_traces.json", schedules)]:
        path = HERE / filename
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--all"]:
        main()
    else:
        add_missing_optimizer_traces()
