"""Optimizers that give the same iterates as ``torch.optim``, on scalar ``Value`` parameters.

Every optimizer reads ``p.grad`` and writes ``p.data`` with plain float arithmetic (no graph
is built). The updates repeat, operation for operation, the single-tensor (``foreach=False``)
code of torch 2.13 in double precision, including where torch's CPU kernels fuse a multiply
and an add into one rounding (an FMA): ``add(x, alpha=a)`` is ``fma(a, x, self)``,
``addcmul(t1, t2, value=v)`` is ``fma(v*t1, t2, self)`` and ``lerp(end, w)`` is
``fma(w, end - self, self)`` for ``|w| < 0.5``, else ``fma(w - 1, end - self, end)``;
``addcdiv(t1, t2, value=v)`` is ``self + (v*t1)/t2`` with two roundings. Below, ``fma`` in a
formula means that single rounding; everything else rounds after each operation.
(Measured on torch 2.13's x86-64 CPU kernels, whose scalar paths are compiled with FMA;
a torch build without FMA rounds twice there, which moves iterates by about 1e-16.)

A step is atomic: it first checks every gradient (a nan or inf raises
``FloatingPointError`` naming the parameter), then computes every new value and state, and
only if all are finite writes them back. A failed step changes no parameter and no state.

Differences from torch, all deliberate: every parameter takes part in every step (a Value's
grad is a float, never ``None``); the same Value twice, even within one group, is a
``ValueError`` (torch only warns); hyperparameters of groups added later are validated too;
tensor learning rates do not exist here, and ``foreach``, ``fused``, ``capturable`` and
``differentiable`` are accepted (so one keyword dict can build both a torch optimizer and
ours) but only at their defaults: scalars have nothing to vectorise or fuse;
``maximize`` and those four are keyword-only everywhere. Adagrad creates state for a group
added later with ``add_param_group`` from that group's ``initial_accumulator_value`` (torch
creates none and fails at the next step).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from autograd_engine import Value
from autograd_engine.validation import (
    check_bool,
    check_keys,
    check_mapping,
    check_real,
    check_sequence,
    is_real,
    show,
)

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "clip_grad_norm_"]

State = dict[str, float]


# -- exact arithmetic helpers -------------------------------------------------------

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant for splitting a double in halves


def _fma_emulated(a: float, b: float, c: float) -> float:
    """a*b + c with one rounding (what C's fma computes), in plain Python.

    a*b = p + e exactly (Dekker's two-product, with Veltkamp splitting); then
    ``math.fsum`` rounds the exact sum p + e + c once. Outside the range where the
    two-product is exact (huge or tiny magnitudes, non-finite values) it falls back
    to exact rational arithmetic.
    """
    p = a * b
    if not (1e-290 < abs(p) < 1e290 and abs(a) < 1e290 and abs(b) < 1e290):
        if p == 0.0 or not math.isfinite(p) or not math.isfinite(c):
            return p + c
        return float(Fraction(a) * Fraction(b) + Fraction(c))
    t = _SPLIT * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = _SPLIT * b
    b_hi = t - (t - b)
    b_lo = b - b_hi
    e = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    return math.fsum((p, e, c))


_fma = getattr(math, "fma", None) or _fma_emulated  # math.fma exists from Python 3.13


def _lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp on CPU: fma(w, end-start, start) if |w| < 0.5, else fma(w-1, end-start, end)."""
    if abs(weight) < 0.5:
        return _fma(weight, end - start, start)
    return _fma(weight - 1.0, end - start, end)


def _sqrt(x: float) -> float:
    """sqrt as torch computes it: nan (not an exception) for a negative or nan input."""
    return math.sqrt(x) if x >= 0.0 else math.nan


# -- argument checking --------------------------------------------------------------


_is_real = is_real


def _real(owner: str, name: str, x: object) -> float:
    """``x`` as a finite float, or a TypeError/ValueError naming ``name`` and ``x``."""
    return check_real(owner, name, x)


def _flag(owner: str, name: str, x: object) -> bool:
    return check_bool(owner, name, x)


def _at_least_zero(owner: str, name: str, what: str, x: object) -> float:
    """A finite float >= 0; the message also quotes torch's ``Invalid <what>: <x>``."""
    value = check_real(owner, name, x)
    if not 0.0 <= value:
        raise ValueError(
            f"{owner}: {name} must be a finite number >= 0, got {show(x)} "
            f"(torch: Invalid {what}: {name}={x!r})"
        )
    return value


def _single_tensor_only(owner: str, **options: object) -> None:
    """torch's foreach/fused/capturable/differentiable, accepted only at their defaults."""
    for name, value in options.items():
        if value:
            raise ValueError(
                f"{owner}: {name}={value!r} is not supported: every parameter is one float, "
                "updated on the single-tensor path (leave it None/False)"
            )


def _describe(p: Value, group: int, index: int) -> str:
    name = f"{p.label!r} " if p.label else ""
    return f"parameter {name}(group {group}, index {index})"


# -- the base class -----------------------------------------------------------------


class Optimizer:
    """Base class: ``param_groups`` (dicts with a ``"params"`` list plus hyperparameters)
    and ``state`` (a dict keyed by parameter, by identity, of named float fields).

    ``params`` is an iterable of Values, or of dicts ``{"params": [...], "lr": ..., ...}``
    (param groups, as in torch); a group's missing hyperparameters come from ``defaults``.
    Subclasses define ``_check_group(group)`` (validate, normalise) and
    ``_update(data, grad, state, group) -> (new_data, new_state)``, a pure function of floats.
    """

    def __init__(
        self, params: Iterable[Value] | Iterable[dict[str, Any]], defaults: dict[str, Any]
    ):
        if isinstance(params, Value | dict):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Values or of dicts, "
                f"got a single {type(params).__name__}"
            )
        if not isinstance(params, Iterable):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Values or of dicts, "
                f"got {type(params).__name__} {params!r}"
            )
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Value, State] = {}
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False  # read by schedules, to warn when they step first
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        # Build every group on a scratch copy first, so a bad group leaves nothing half-made.
        built: list[dict[str, Any]] = []
        for group in groups:
            built.append(self._build_group(group, built))
        for group in built:
            self._add_built_group(group)

    # -- groups ---------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Append a param group (``{"params": [...], hyperparameter: value, ...}``).

        Missing hyperparameters are taken from ``defaults``. Raises, adding nothing, if the
        group is not a dict, holds a non-Value, a non-leaf Value, a Value already in this
        optimizer (or twice in the group), or an invalid hyperparameter.
        """
        self._add_built_group(self._build_group(param_group, self.param_groups))

    def _build_group(self, param_group: object, existing: list[dict[str, Any]]) -> dict[str, Any]:
        owner = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{owner}: a param group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{owner}: a param group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Value):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(
                f"{owner}: parameters must be an ordered collection (a list), not a set: "
                "the order of a set changes between runs"
            )
        else:
            params = list(params)
        index = len(existing)
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{owner}: optimizer can only optimize Values, but param_groups[{index}]"
                    f"['params'][{i}] is {type(p).__name__} {p!r}"
                )
            if p.parents:
                raise ValueError(
                    f"{owner}: can't optimize a non-leaf Value: {_describe(p, index, i)} "
                    f"was computed by {p.op}"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(
                f"{owner}: param_groups[{index}] contains the same parameter more than once"
            )
        taken = {id(p) for g in existing for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{owner}: some parameters appear in more than one parameter group")
        group = {k: v for k, v in param_group.items() if k != "params"}
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        group = {"params": params, **self._check_group(group)}
        return group

    def _add_built_group(self, group: dict[str, Any]) -> None:
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        """Validate a group's hyperparameters; return them normalised (floats, tuples)."""
        return group

    # -- stepping -------------------------------------------------------------

    def zero_grad(self) -> None:
        """Set ``p.grad = 0.0`` for every parameter (torch's ``set_to_none`` has no analogue)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``: loops groups, then parameters.

        Atomic: raises FloatingPointError (naming the parameter, its group and index) if
        a gradient or a would-be new value is not finite, and then nothing has changed.
        """
        owner = type(self).__name__
        for g_index, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                g = p.grad
                if type(g) is float and g - g == 0.0:  # the common case: a finite float
                    continue
                if not _is_real(g):
                    raise TypeError(
                        f"{owner}.step: the gradient of {_describe(p, g_index, i)} must be a "
                        f"real number, got {show(g)}; no parameter or state was changed"
                    )
                if not math.isfinite(check_real(owner, "grad", g, finite=False)):
                    raise FloatingPointError(
                        f"{owner}.step: the gradient of {_describe(p, g_index, i)} is "
                        f"{show(g)}; no parameter or state was changed"
                    )
        updates: list[tuple[Value, float, State]] = []
        for g_index, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                try:
                    data, state = self._update(p.data, float(p.grad), self.state.get(p, {}), group)
                except ArithmeticError as error:  # e.g. 0/0 with eps=0 and a zero gradient
                    raise FloatingPointError(
                        f"{owner}.step: the update of {_describe(p, g_index, i)} is not finite "
                        f"({error}; grad {p.grad!r}); no parameter or state was changed"
                    ) from error
                bad = [k for k, v in state.items() if not math.isfinite(v)]
                if not math.isfinite(data) or bad:
                    what = f"state {bad[0]!r} = {state[bad[0]]!r}" if bad else f"value {data!r}"
                    raise FloatingPointError(
                        f"{owner}.step: the update of {_describe(p, g_index, i)} gives the "
                        f"non-finite {what} (grad {p.grad!r}); no parameter or state was changed"
                    )
                updates.append((p, data, state))
        for p, data, state in updates:
            p.data = data
            self.state[p] = state
        self._opt_called = True

    def _update(
        self, data: float, grad: float, state: State, group: dict[str, Any]
    ) -> tuple[float, State]:
        raise NotImplementedError

    # -- saving ---------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A copy of the state, as torch lays it out.

        ``{"state": {index: {field: float}}, "param_groups": [{..., "params": [index, ...]}]}``
        where a parameter's index is its position counting through all groups in order.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: dict(fields)
            for group in self.param_groups
            for p in group["params"]
            if (fields := self.state.get(p))
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: hyperparameters per group and state per parameter.

        The saved groups must match ours in number and sizes; parameters are matched by
        position, as in torch. Every entry is validated first: on any error nothing changes.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        check_mapping(owner, "state_dict", state_dict)
        check_keys(owner, "state_dict", state_dict, ["state", "param_groups"])
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, list | tuple) or not all(
            isinstance(g, dict) and isinstance(g.get("params"), list | tuple) for g in saved_groups
        ):
            raise ValueError(
                f"{owner}: 'param_groups' must be a list of dicts, each with a 'params' list"
            )
        if not isinstance(state_dict["state"], dict):
            raise ValueError(f"{owner}: 'state' must be a dict of parameter index -> fields")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{owner}: loaded state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        new_groups = []
        id_map: dict[Any, Value] = {}
        for k, (ours, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(saved["params"]) != len(ours["params"]):
                raise ValueError(
                    f"{owner}: loaded parameter group {k} has {len(saved['params'])} "
                    f"parameters, the optimizer's has {len(ours['params'])}"
                )
            # JSON turns the integer keys of "state" into strings: accept both spellings.
            for index, p in zip(saved["params"], ours["params"], strict=True):
                id_map[index] = id_map[str(index)] = p
            hyper = {key: v for key, v in saved.items() if key != "params"}
            missing = sorted(set(self.defaults) - set(hyper))
            if missing:
                raise ValueError(
                    f"{owner}: loaded parameter group {k} lacks {missing}: is it the state "
                    f"of another optimizer? (it has {sorted(hyper)})"
                )
            new_groups.append({"params": ours["params"], **self._check_group(hyper)})
        new_state: dict[Value, State] = {}
        group_of = {id(p): group for group in new_groups for p in group["params"]}
        for key, fields in state_dict["state"].items():
            if key not in id_map:
                raise ValueError(
                    f"{owner}: loaded state names parameter {key!r}, which no group has"
                )
            check_mapping(owner, f"state[{key!r}]", fields)
            p = id_map[key]
            expected = self._state_fields(group_of[id(p)])
            if expected is not None and fields:
                check_keys(owner, f"state[{key!r}]", fields, sorted(expected))
            checked = {}
            for name, v in fields.items():
                checked[name] = _real(owner, f"state[{key!r}][{name!r}]", v)
            new_state[p] = checked
        self.param_groups[:] = new_groups
        self.state.clear()
        self.state.update(new_state)

    def _state_fields(self, group: dict[str, Any]) -> set[str] | None:
        """The fields a parameter's state has under ``group`` (None if it cannot be told).

        Found by running the pure ``_update`` once on sample floats, so every optimizer,
        with every option (amsgrad, centered, momentum), answers for itself.
        """
        try:
            _, fields = self._update(0.5, 1.0, {}, group)
        except ArithmeticError:
            return None
        return set(fields)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


# -- SGD ----------------------------------------------------------------------------


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, dampening, Nesterov, weight decay.

    The update, exactly as computed (``fma`` rounds once, see the module docstring)::

        g = -grad if maximize else grad
        g = fma(weight_decay, p, g)                       # if weight_decay != 0
        buf = g                                           # first step (momentum != 0)
        buf = fma(1 - dampening, g, buf * momentum)       # later steps
        g = fma(momentum, buf, g) if nesterov else buf    # if momentum != 0
        p = fma(-lr, g, p)

    Textbook forms. With a constant ``lr`` and no dampening, torch's ``buf = mu*buf + g;
    p -= lr*buf`` is the classic momentum ``v = mu*v - lr*g; p += v`` with ``v = -lr*buf``
    (multiply the first by ``-lr``), which is Heaton's eq. 6.12,
    ``Δw(t) = -ε ∂E/∂w + α Δw(t-1)``, with ``ε = lr``, ``α = mu``. (If ``lr`` changes, the
    two differ: torch's buffer holds gradients, so a new ``lr`` applies to the whole buffer.)

    Nesterov looks ahead: it steps along ``g + mu*buf``, the gradient plus the momentum it
    is about to apply. Heaton's eq. 6.13 ``n_t = α n_{t-1} + ε ∂E/∂w`` is torch's buffer
    times ``ε = lr`` (``n = lr*buf``), and eq. 6.14 ``Δw_t = α n_{t-1} - (1+α) n_t``
    equals ``-(ε ∂E/∂w + α n_t)`` (substitute ``α n_{t-1} = n_t - ε ∂E/∂w``), which is
    torch's ``-lr*(g + mu*buf)``: the same step, for a constant ``lr``. Torch starts the
    buffer at ``g``, which is ``mu*0 + g``: the same as ``v_0 = 0`` and Heaton's ``n_0 = 0``
    (only a nonzero ``dampening`` tells them apart, as torch does not dampen the first step).

    Defaults as torch 2.13: ``lr=1e-3, momentum=0, dampening=0, weight_decay=0,
    nesterov=False, maximize=False``. State per parameter: ``"momentum_buffer"``.
    """

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _single_tensor_only(
            type(self).__name__, foreach=foreach, differentiable=differentiable, fused=fused
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        defaults = self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        owner = type(self).__name__
        out = dict(group)
        out["lr"] = _at_least_zero(owner, "lr", "learning rate", group["lr"])
        out["momentum"] = _at_least_zero(owner, "momentum", "momentum value", group["momentum"])
        out["dampening"] = _real(owner, "dampening", group["dampening"])
        out["weight_decay"] = _at_least_zero(
            owner, "weight_decay", "weight_decay value", group["weight_decay"]
        )
        out["nesterov"] = _flag(owner, "nesterov", group["nesterov"])
        out["maximize"] = _flag(owner, "maximize", group["maximize"])
        if out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
            raise ValueError(
                f"{owner}: Nesterov momentum requires a momentum and zero dampening, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )
        return out

    def _update(
        self, data: float, grad: float, state: State, group: dict[str, Any]
    ) -> tuple[float, State]:
        lr, momentum = group["lr"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = _fma(group["weight_decay"], data, g)
        new_state = dict(state)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = g
            else:
                buf = _fma(1 - group["dampening"], g, buf * momentum)
            new_state["momentum_buffer"] = buf
            g = _fma(momentum, buf, g) if group["nesterov"] else buf
        return _fma(-lr, g, data), new_state


# -- Adagrad ------------------------------------------------------------------------


class Adagrad(Optimizer):
    """Adagrad: each parameter's step is divided by the root of its summed squared gradients.

    The update, exactly as computed (``fma`` rounds once)::

        step = step + 1
        g = -grad if maximize else grad
        g = fma(weight_decay, p, g)                    # if weight_decay != 0
        clr = lr / (1 + (step - 1) * lr_decay)
        sum = fma(g, g, sum)                           # sum starts at initial_accumulator_value
        std = sqrt(sum) + eps
        p = p + (-clr * g) / std

    i.e. ``p -= clr * g / (sqrt(sum_t g_t^2) + eps)``. Defaults as torch 2.13: ``lr=1e-2,
    lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10``. State per
    parameter, created with the group (as torch does): ``"step"`` (0.0) and ``"sum"``, which
    starts at the constructor's ``initial_accumulator_value`` for every group given to the
    constructor (torch ignores a group's own value there) and at the group's own value for a
    group added later.
    """

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _single_tensor_only(
            type(self).__name__, foreach=foreach, differentiable=differentiable, fused=fused
        )
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        defaults = self._check_group(defaults)
        super().__init__(params, defaults)
        # As torch: the groups given here start from the constructor's value, even a group
        # that names its own initial_accumulator_value.
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["sum"] = defaults["initial_accumulator_value"]

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        owner = type(self).__name__
        out = dict(group)
        out["lr"] = _at_least_zero(owner, "lr", "learning rate", group["lr"])
        out["lr_decay"] = _at_least_zero(owner, "lr_decay", "lr_decay value", group["lr_decay"])
        out["weight_decay"] = _at_least_zero(
            owner, "weight_decay", "weight_decay value", group["weight_decay"]
        )
        out["initial_accumulator_value"] = _at_least_zero(
            owner,
            "initial_accumulator_value",
            "initial_accumulator_value value",
            group["initial_accumulator_value"],
        )
        out["eps"] = _at_least_zero(owner, "eps", "epsilon value", group["eps"])
        out["maximize"] = _flag(owner, "maximize", group["maximize"])
        return out

    def _add_built_group(self, group: dict[str, Any]) -> None:
        super()._add_built_group(group)
        for p in group["params"]:
            self.state[p] = {"step": 0.0, "sum": group["initial_accumulator_value"]}

    def _update(
        self, data: float, grad: float, state: State, group: dict[str, Any]
    ) -> tuple[float, State]:
        step = state.get("step", 0.0) + 1.0
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = _fma(group["weight_decay"], data, g)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = _fma(g, g, state.get("sum", group["initial_accumulator_value"]))
        std = _sqrt(total) + group["eps"]
        return data + (-clr * g) / std, {"step": step, "sum": total}


# -- RMSprop ------------------------------------------------------------------------


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    The update, exactly as computed (``fma`` rounds once)::

        step = step + 1
        g = -grad if maximize else grad
        g = fma(weight_decay, p, g)                         # if weight_decay != 0
        square_avg = fma((1 - alpha) * g, g, square_avg * alpha)
        if centered:
            grad_avg = lerp(grad_avg, g, 1 - alpha)         # grad_avg + (1-alpha)*(g - grad_avg)
            avg = sqrt(fma(-grad_avg, grad_avg, square_avg)) + eps
        else:
            avg = sqrt(square_avg) + eps
        if momentum > 0:
            buf = buf * momentum + g / avg
            p = fma(-lr, buf, p)
        else:
            p = p + (-lr * g) / avg

    Textbook form (the seed notes): ``s = β s + (1-β) dw²;  w -= α dw / sqrt(s + ε)``, with
    ``β = alpha`` and ``α = lr``. Torch (and this class) adds ``eps`` *outside* the root,
    ``sqrt(s) + eps``, so the two differ when ``s`` is comparable to ``eps``. ``centered``
    divides by an estimate of the standard deviation, ``sqrt(s - mean(g)²)``, instead.
    Defaults as torch 2.13: ``lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False``. State: ``"step"``, ``"square_avg"``, and ``"momentum_buffer"`` (if
    momentum > 0) and ``"grad_avg"`` (if centered), all starting at 0.
    """

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
    ) -> None:
        _single_tensor_only(
            type(self).__name__,
            capturable=capturable,
            foreach=foreach,
            differentiable=differentiable,
        )
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        defaults = self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        owner = type(self).__name__
        out = dict(group)
        out["lr"] = _at_least_zero(owner, "lr", "learning rate", group["lr"])
        out["eps"] = _at_least_zero(owner, "eps", "epsilon value", group["eps"])
        out["momentum"] = _at_least_zero(owner, "momentum", "momentum value", group["momentum"])
        out["weight_decay"] = _at_least_zero(
            owner, "weight_decay", "weight_decay value", group["weight_decay"]
        )
        out["alpha"] = _at_least_zero(owner, "alpha", "alpha value", group["alpha"])
        out["centered"] = _flag(owner, "centered", group["centered"])
        out["maximize"] = _flag(owner, "maximize", group["maximize"])
        return out

    def _update(
        self, data: float, grad: float, state: State, group: dict[str, Any]
    ) -> tuple[float, State]:
        alpha, lr, momentum = group["alpha"], group["lr"], group["momentum"]
        new = {"step": state.get("step", 0.0) + 1.0}
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = _fma(group["weight_decay"], data, g)
        square_avg = _fma((1 - alpha) * g, g, state.get("square_avg", 0.0) * alpha)
        new["square_avg"] = square_avg
        if group["centered"]:
            grad_avg = _lerp(state.get("grad_avg", 0.0), g, 1 - alpha)
            new["grad_avg"] = grad_avg
            avg = _sqrt(_fma(-grad_avg, grad_avg, square_avg)) + group["eps"]
        else:
            avg = _sqrt(square_avg) + group["eps"]
        if momentum > 0:
            buf = state.get("momentum_buffer", 0.0) * momentum + g / avg
            new["momentum_buffer"] = buf
            return _fma(-lr, buf, data), new
        return data + (-lr * g) / avg, new


# -- Adam, AdamW --------------------------------------------------------------------


class Adam(Optimizer):
    """Adam with bias correction (and AMSGrad, and AdamW's decoupled weight decay, on request).

    The update, exactly as computed (``fma`` rounds once)::

        step = step + 1
        g = -grad if maximize else grad
        if weight_decay != 0:
            p = p * (1 - lr * weight_decay)      # decoupled (AdamW), or else
            g = fma(weight_decay, p, g)          # L2 penalty added to the gradient (Adam)
        exp_avg = lerp(exp_avg, g, 1 - beta1)    # m + (1-b1)*(g - m), i.e. b1*m + (1-b1)*g
        exp_avg_sq = fma((1 - beta2) * g, g, exp_avg_sq * beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = lr / bias_correction1
        v = max(max_exp_avg_sq, exp_avg_sq) if amsgrad else exp_avg_sq   # stored as max_exp_avg_sq
        denom = sqrt(v) / bias_correction2 ** 0.5 + eps
        p = p + (-step_size * exp_avg) / denom

    which is the paper's ``m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g*g;
    p -= lr * (m/(1-b1**t)) / (sqrt(v/(1-b2**t)) + eps)`` up to rounding (``eps`` is added
    after dividing by ``sqrt(1-b2**t)``, as in torch). Adam is roughly RMSprop with momentum
    (``m``) on top. Defaults as torch 2.13: ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    weight_decay=0, amsgrad=False, maximize=False, decoupled_weight_decay=False``. State:
    ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"`` and ``"max_exp_avg_sq"`` (if amsgrad).
    """

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _single_tensor_only(
            type(self).__name__,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
        )
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        defaults = self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        owner = type(self).__name__
        out = dict(group)
        out["lr"] = _at_least_zero(owner, "lr", "learning rate", group["lr"])
        out["eps"] = _at_least_zero(owner, "eps", "epsilon value", group["eps"])
        betas = group["betas"]
        if not isinstance(betas, tuple | list):
            raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {show(betas)}")
        if len(betas) != 2:
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), got {show(betas)}")
        checked = []
        for k, beta in enumerate(betas):
            value = _real(owner, f"betas[{k}]", beta)
            if not 0.0 <= value < 1.0:
                raise ValueError(
                    f"{owner}: betas[{k}] must be a number in [0, 1), got {show(beta)} "
                    f"(torch: Invalid beta parameter at index {k})"
                )
            checked.append(value)
        out["betas"] = (checked[0], checked[1])
        out["weight_decay"] = _at_least_zero(
            owner, "weight_decay", "weight_decay value", group["weight_decay"]
        )
        out["amsgrad"] = _flag(owner, "amsgrad", group["amsgrad"])
        out["maximize"] = _flag(owner, "maximize", group["maximize"])
        out["decoupled_weight_decay"] = _flag(
            owner, "decoupled_weight_decay", group["decoupled_weight_decay"]
        )
        return out

    def _update(
        self, data: float, grad: float, state: State, group: dict[str, Any]
    ) -> tuple[float, State]:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        step = state.get("step", 0.0) + 1.0
        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                data = data * (1 - lr * weight_decay)
            else:
                g = _fma(weight_decay, data, g)
        exp_avg = _lerp(state.get("exp_avg", 0.0), g, 1 - beta1)
        exp_avg_sq = _fma((1 - beta2) * g, g, state.get("exp_avg_sq", 0.0) * beta2)
        new = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if group["amsgrad"]:
            v = max(state.get("max_exp_avg_sq", 0.0), exp_avg_sq)
            new["max_exp_avg_sq"] = v
        else:
            v = exp_avg_sq
        denom = _sqrt(v) / bias_correction2_sqrt + group["eps"]
        return data + (-step_size * exp_avg) / denom, new


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p = p * (1 - lr*weight_decay)`` before the Adam step.

    Exactly ``Adam(..., decoupled_weight_decay=True)`` (see ``Adam`` for the full update):
    the decay shrinks the parameter directly instead of entering ``g``, so it is not
    rescaled by Adam's ``1/sqrt(v)``. Defaults as torch 2.13: ``lr=1e-3, betas=(0.9, 0.999),
    eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False``.
    """

    def __init__(
        self,
        params: Iterable[Value] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _single_tensor_only(
            type(self).__name__,
            foreach=foreach,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
        )
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        out = super()._check_group(group)
        out["decoupled_weight_decay"] = True  # as torch: AdamW always decouples
        return out


# -- gradient clipping --------------------------------------------------------------


def clip_grad_norm_(
    parameters: Value | Iterable[Value],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients by one factor so that their joint norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: with the gradients ``g_i`` of all parameters
    viewed as one vector, ``total = (sum_i |g_i|**norm_type) ** (1/norm_type)`` (for
    ``norm_type=2``, ``sqrt(sum_i g_i*g_i)``; for ``inf``, ``max_i |g_i|``), then
    ``clip_coef = min(max_norm / (total + 1e-6), 1.0)`` and every ``g_i = g_i * clip_coef``
    (the 1e-6 keeps the division finite when all gradients are zero). Returns ``total``,
    the norm *before* clipping, as a float. A non-finite total raises RuntimeError (nothing
    changed) if ``error_if_nonfinite``; otherwise, as in torch, the gradients are scaled by
    the resulting ``0.0`` or ``nan``. Agrees with torch to rounding (its sum is vectorised).
    """
    if isinstance(parameters, Value):
        parameters = [parameters]
    params = check_sequence("clip_grad_norm_", "parameters", parameters, what="Values")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(
                f"clip_grad_norm_: parameters must be Values, but parameters[{i}] is "
                f"{type(p).__name__} {p!r}"
            )
    # max_norm may be inf (no clipping); a negative one would flip every gradient.
    given = max_norm
    max_norm = check_real("clip_grad_norm_", "max_norm", max_norm, finite=False, min=0.0)
    if max_norm == math.inf and not isinstance(given, float):  # 10**400: not a float at all
        raise ValueError(
            f"clip_grad_norm_: max_norm must be a float (math.inf for no clipping), got "
            f"{show(given)}, which is beyond the float range"
        )
    norm_type = check_real(
        "clip_grad_norm_", "norm_type", norm_type, finite=False, min=0.0, min_open=True
    )
    check_bool("clip_grad_norm_", "error_if_nonfinite", error_if_nonfinite)
    if not params:
        return 0.0
    for i, p in enumerate(params):
        if not _is_real(p.grad):
            raise TypeError(
                f"clip_grad_norm_: parameters[{i}].grad must be a real number, got {show(p.grad)}"
            )
    signed = [check_real("clip_grad_norm_", "grad", p.grad, finite=False) for p in params]
    grads = [abs(g) for g in signed]
    if any(math.isnan(g) for g in grads):
        total = math.nan
    elif len(grads) == 1 or norm_type == math.inf:
        total = max(grads)  # the norm of one number is its size, whatever the order
    else:
        try:
            if norm_type == 2.0:
                total = math.sqrt(math.fsum(g * g for g in grads))
            elif norm_type == 1.0:
                total = math.fsum(grads)
            else:
                total = math.fsum(g**norm_type for g in grads) ** (1.0 / norm_type)
        except OverflowError:  # a power or the running sum beyond the float range
            total = math.inf
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({total!r}), so it cannot be clipped; no gradient was changed. "
            "To scale the gradients by the non-finite norm anyway, set error_if_nonfinite=False"
        )
    clip_coef = min(max_norm / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    for p, g in zip(params, signed, strict=True):
        p.grad = g * clip_coef  # g is p.grad as a float (the same float for a float grad)
    return total
