"""Learning-rate schedules with the semantics of ``torch.optim.lr_scheduler`` (torch 2.13).

A schedule changes only ``group["lr"]`` of its optimizer's param groups. Call
``optimizer.step()`` first, then ``scheduler.step()``, once per epoch (or per batch).
``StepLR`` and ``ExponentialLR`` use torch's chainable form: each step multiplies the
*current* ``group["lr"]`` (so another schedule, or the user, may change it in between),
rather than recomputing ``base_lr * gamma**epoch``; the float results are torch's exactly.

Differences from torch: ``step()`` takes no deprecated ``epoch`` argument; StepLR's
``step_size`` must be a positive int; ReduceLROnPlateau rejects a nan or infinite metric
(torch would count it as a bad epoch) and a negative ``patience``/``cooldown``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar, Literal

from autograd_engine import Value
from autograd_engine.validation import (
    check_choice,
    check_int,
    check_keys,
    check_mapping,
    check_real,
    check_sequence,
    counted,
    is_real,
    show,
)
from nn.optim import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "ReduceLROnPlateau"]


def _number(owner: str, name: str, x: object, **bounds: Any) -> float:
    return check_real(owner, name, x, **bounds)


def _count(owner: str, name: str, x: object, least: int) -> int:
    return check_int(owner, name, x, min=least)


def _check_optimizer(owner: str, optimizer: object) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner}: optimizer must be an Optimizer; {show(optimizer)} is not an Optimizer"
        )
    return optimizer


def _same_kind(owner: str, name: str, new: object, old: object) -> object:
    """``new`` checked to be of the kind ``old`` is (for load_state_dict): bool, int, float,
    str or None as ``old``; a list of numbers of the same length as ``old``."""
    if isinstance(old, bool) or old is None or isinstance(old, str):
        if type(new) is not type(old):
            raise TypeError(f"{owner}: {name} must be {show(old)}-like, got {show(new)}")
        return new
    if isinstance(old, int):
        return check_int(owner, name, new)
    if isinstance(old, float):
        return check_real(owner, name, new, finite=False, min=-math.inf)  # inf ok, nan not
    if isinstance(old, list | tuple):
        items = check_sequence(owner, name, new, what="numbers")
        if len(items) != len(old):
            entries = counted(len(old), "entry", "entries")
            raise ValueError(f"{owner}: {name} must have {entries}, got {len(items)}")
        return [_same_kind(owner, f"{name}[{i}]", v, o) for i, (v, o) in enumerate(zip(items, old))]
    return new


class LRScheduler:
    """Base class: sets ``group["initial_lr"]``, keeps ``base_lrs`` and ``last_epoch``.

    With ``last_epoch=-1`` (a fresh start) each group gets ``initial_lr = lr`` (kept if
    already there); resuming with ``last_epoch >= 0`` needs ``initial_lr`` in every group.
    The constructor performs the initial step: ``last_epoch`` becomes ``last_epoch + 1``
    (0 for a fresh start) and the lrs are set to ``get_lr()``. Each ``step()`` adds 1 to
    ``last_epoch`` and writes ``get_lr()`` into the groups; ``get_last_lr()`` returns them.

    ``steps_on`` declares what ``step`` takes, for a training loop: ``"epoch"``, nothing
    (``step()``); ``"metric"``, the metric it watches (``step(metric)``).
    """

    steps_on: ClassVar[Literal["epoch", "metric"]] = "epoch"

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        owner = type(self).__name__
        self.optimizer = _check_optimizer(owner, optimizer)
        last_epoch = check_int(owner, "last_epoch", last_epoch, min=-1)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{owner}: param 'initial_lr' is not specified in param_groups[{i}] "
                        f"when resuming with last_epoch={show(last_epoch)}"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = True
        self._step_count = 0
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lrs for epoch ``last_epoch`` (called by ``step`` after it advances)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The lr of every group as last set by this scheduler (a copy)."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch: ``last_epoch += 1``, then ``group["lr"] = get_lr()[i]``.

        Warns (as torch does) if called the first time before ``optimizer.step()``: that
        skips the first value of the schedule.
        """
        if self._step_count == 1 and not getattr(self.optimizer, "stepped", False):
            warnings.warn(
                "Detected call of `scheduler.step()` before `optimizer.step()`; call them "
                "in the opposite order, or the first value of the schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer (a shallow copy)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict()``.

        ``state_dict`` must have exactly the keys this schedule's ``state_dict()`` has,
        each value of the same kind (int, float, list of the same length...); anything
        else raises TypeError/ValueError before any attribute changes.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        check_mapping(owner, "state_dict", state_dict)
        current = LRScheduler.state_dict(self)  # as stored (a float may be inf)
        check_keys(owner, "state_dict", state_dict, sorted(current))
        checked = {
            key: _same_kind(owner, f"state_dict[{key!r}]", state_dict[key], current[key])
            for key in current
        }
        self._check_loaded(owner, checked)
        self.__dict__.update(checked)

    def _check_loaded(self, owner: str, state: dict[str, Any]) -> None:
        """Checks beyond the kind of each value: the bounds the constructor enforces.

        A subclass adds its own fields' bounds (and calls this for the shared ones).
        """
        check_int(owner, "state_dict['last_epoch']", state["last_epoch"], min=-1)
        check_int(owner, "state_dict['_step_count']", state["_step_count"], min=0)
        for key in ("base_lrs", "_last_lr", "min_lrs"):
            for i, lr in enumerate(state.get(key, ())):
                check_real(owner, f"state_dict[{key!r}][{i}]", lr, min=0.0)
        for key in ("gamma", "eps"):
            if key in state:
                check_real(owner, f"state_dict[{key!r}]", state[key], min=0.0)
        if "step_size" in state:
            check_int(owner, "state_dict['step_size']", state["step_size"], min=1)


class StepLR(LRScheduler):
    """Multiply every group's lr by ``gamma`` every ``step_size`` epochs.

    Chainable form, as torch: at epoch ``e = last_epoch``, ``lr = lr * gamma`` if ``e > 0``
    and ``e % step_size == 0``, else ``lr`` is unchanged. Starting from ``lr0`` and changed
    by nothing else this is ``lr0 * gamma**(e // step_size)`` up to rounding (the float
    products are torch's: repeated multiplication, not a power). Default ``gamma=0.1``.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _count("StepLR", "step_size", step_size, 1)
        self.gamma = _number("StepLR", "gamma", gamma, min=0.0)  # a negative lr is never meant
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr * gamma`` at a nonzero multiple of ``step_size``, else ``lr``."""
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class ExponentialLR(LRScheduler):
    """Multiply every group's lr by ``gamma`` every epoch.

    Chainable form, as torch: each ``step()`` sets ``lr = lr * gamma`` (the constructor's
    initial step leaves ``lr`` as it is), so after ``e`` steps ``lr = lr0 * gamma**e`` up
    to rounding, with ``e`` multiplications as torch does them.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _number("ExponentialLR", "gamma", gamma, min=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """``lr * gamma``, except in the constructor's initial step (``lr``)."""
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class ReduceLROnPlateau(LRScheduler):
    """Cut the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    ``step(metric)`` (after the optimizer step, with e.g. the validation loss), as torch:

    - improvement: in mode ``"min"`` a metric ``a`` beats ``best`` if
      ``a < best * (1 - threshold)`` (``threshold_mode="rel"``) or ``a < best - threshold``
      (``"abs"``); in mode ``"max"`` if ``a > best * (1 + threshold)`` or
      ``a > best + threshold``. ``best`` starts at ``inf`` (``-inf`` for ``"max"``).
    - an improvement sets ``best = a`` and the bad-epoch count to 0, else the count grows by 1;
      during cooldown the count is held at 0 (and the cooldown counter falls by 1).
    - when the count exceeds ``patience``, every group gets
      ``new_lr = max(lr * factor, min_lr)``, applied only if ``lr - new_lr > eps``; then the
      cooldown counter is set to ``cooldown`` and the count to 0.

    Defaults as torch 2.13: ``mode="min", factor=0.1, patience=10, threshold=1e-4,
    threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8``. ``min_lr`` may be one number
    or a list with one per group. Unlike the other schedules it sets no ``initial_lr`` and
    its constructor changes no lr; ``last_epoch`` starts at 0.
    """

    steps_on: ClassVar[Literal["epoch", "metric"]] = "metric"

    def __init__(
        self,
        optimizer: Optimizer,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        owner = "ReduceLROnPlateau"
        factor = _number(owner, "factor", factor, min=0.0)  # a negative factor flips the lr
        if factor >= 1.0:
            raise ValueError(f"{owner}: Factor should be < 1.0, got factor={factor!r}")
        self.factor = factor
        self.optimizer = _check_optimizer(owner, optimizer)
        if not isinstance(min_lr, list | tuple) and not is_real(min_lr):
            raise TypeError(
                f"{owner}: min_lr must be a number or a list of numbers, got {show(min_lr)}"
            )
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"{owner}: expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}"
                )
            self.default_min_lr: float | None = None
            self.min_lrs = [
                _number(owner, f"min_lr[{i}]", v, min=0.0) for i, v in enumerate(min_lr)
            ]
        else:
            self.default_min_lr = _number(owner, "min_lr", min_lr, min=0.0)
            self.min_lrs = [self.default_min_lr] * len(optimizer.param_groups)
        self.patience = _count(owner, "patience", patience, 0)
        self.cooldown = _count(owner, "cooldown", cooldown, 0)
        self.eps = _number(owner, "eps", eps, min=0.0)
        try:
            check_choice(owner, "mode", mode, ("min", "max"))
        except ValueError:
            raise ValueError(f"{owner}: mode {mode!r} is unknown! Use 'min' or 'max'") from None
        try:
            check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
        except ValueError:
            raise ValueError(
                f"{owner}: threshold mode {threshold_mode!r} is unknown! Use 'rel' or 'abs'"
            ) from None
        self.mode = mode
        self.threshold = _number(owner, "threshold", threshold)
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._step_count = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _check_loaded(self, owner: str, state: dict[str, Any]) -> None:
        super()._check_loaded(owner, state)
        check_real(owner, "state_dict['factor']", state["factor"], min=0.0, max=1.0, max_open=True)
        check_real(owner, "state_dict['threshold']", state["threshold"])
        check_choice(owner, "state_dict['mode']", state["mode"], ("min", "max"))
        check_choice(owner, "state_dict['threshold_mode']", state["threshold_mode"], ("rel", "abs"))
        for key in ("patience", "cooldown", "cooldown_counter", "num_bad_epochs"):
            check_int(owner, f"state_dict[{key!r}]", state[key], min=0)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as strict JSON takes it.

        ``best`` (before any metric) and ``mode_worse`` are infinite, which JSON has no
        number for: they are given as None, which ``load_state_dict`` reads back as
        ``inf`` (``-inf`` for ``mode="max"``).
        """
        state = super().state_dict()
        for key in ("best", "mode_worse"):
            if not math.isfinite(state[key]):
                state[key] = None
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict()`` (None for an infinite ``best``)."""
        if isinstance(state_dict, dict) and state_dict.get("mode") in ("min", "max"):
            worse = math.inf if state_dict["mode"] == "min" else -math.inf
            state_dict = {
                k: worse if k in ("best", "mode_worse") and v is None else v
                for k, v in state_dict.items()
            }
        super().load_state_dict(state_dict)

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        """True while the cooldown counter is positive (bad epochs are not counted)."""
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` improves on ``best`` (see the class docstring)."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: float) -> None:  # type: ignore[override]  # as torch: takes the metric
        """Record one epoch's metric; cut the lrs if it has plateaued (see the class docstring).

        ``metrics`` is a finite real number or a Value (its data); a str, bool, nan or
        inf raises TypeError/ValueError and changes nothing.
        """
        if isinstance(metrics, Value):
            metrics = metrics.data
        current = check_real("ReduceLROnPlateau.step", "metrics", metrics)
        self._step_count += 1
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {counted(len(groups), 'param group')} "
                    f"but min_lr has {counted(len(self.min_lrs), 'entry', 'entries')} "
                    "(was a group added?)"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
