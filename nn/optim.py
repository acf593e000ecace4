"""Optimizers that give the same iterates as ``torch.optim``, on scalar ``Value`` parameters.

Each update repeats, line for line, the single-tensor code of torch 2.13 in double precision,
through float helpers named after the torch operations they reproduce (``_add``, ``_addcmul``,
``_lerp``, ``_addcdiv``), rounding once where torch's CPU kernels fuse a multiply and an add.
An optimizer is one class, ``class SGD(Optimizer, torch="SGD")``, registered in
``OPTIMIZERS``; it declares torch's signature once and a pure ``_update``, and the base class
keeps every step atomic (a failed step changes no parameter and no state). The rounding rules
and the deliberate differences from torch: docs/training.md; the derivations: notebook 05.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any, ClassVar

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

State = dict[str, float]
Group = dict[str, Any]
Params = Iterable[Value] | Iterable[dict[str, Any]]
Check = Callable[[str, str, Any], Any]  # (owner, name, value) -> the value, normalised
Spec = dict[str, tuple[Any, Check]]  # hyperparameter -> (torch's default, its check)


# -- the float operations of torch's CPU kernels ------------------------------------

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


_fma: Callable[[float, float, float], float] = getattr(math, "fma", _fma_emulated)  # 3.13+


def _add(x: float, y: float, alpha: float) -> float:
    """torch.add(x, y, alpha=alpha) on CPU: fma(alpha, y, x)."""
    return _fma(alpha, y, x)


def _addcmul(x: float, t1: float, t2: float, value: float) -> float:
    """torch.addcmul(x, t1, t2, value=value) on CPU: fma(value*t1, t2, x)."""
    return _fma(value * t1, t2, x)


def _addcdiv(x: float, t1: float, t2: float, value: float) -> float:
    """torch.addcdiv(x, t1, t2, value=value) on CPU: x + (value*t1)/t2, rounded each time."""
    return x + (value * t1) / t2


def _lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp on CPU: fma(w, end-start, start) if |w| < 0.5, else fma(w-1, end-start, end)."""
    if abs(weight) < 0.5:
        return _fma(weight, end - start, start)
    return _fma(weight - 1.0, end - start, end)


def _sqrt(x: float) -> float:
    """torch.sqrt: nan (not an exception) for a negative or nan input."""
    return math.sqrt(x) if x >= 0.0 else math.nan


# -- the checks a spec is made of ---------------------------------------------------

_TORCH_NAMES = {"lr": "learning rate", "eps": "epsilon value"}


def _nonnegative(owner: str, name: str, x: object) -> float:
    """A finite float >= 0; the message also quotes torch's ``Invalid <what>: <x>``."""
    value = check_real(owner, name, x)
    if not 0.0 <= value:
        what = _TORCH_NAMES.get(name, f"{name} value")
        raise ValueError(
            f"{owner}: {name} must be a finite number >= 0, got {show(x)} "
            f"(torch: Invalid {what}: {name}={x!r})"
        )
    return value


def _betas(owner: str, name: str, x: object) -> tuple[float, float]:
    """A pair of floats, each in [0, 1)."""
    if not isinstance(x, tuple | list):
        raise TypeError(f"{owner}: {name} must be a pair (beta1, beta2), got {show(x)}")
    if len(x) != 2:
        raise ValueError(f"{owner}: {name} must be a pair (beta1, beta2), got {show(x)}")
    for k, beta in enumerate(x):
        if not 0.0 <= check_real(owner, f"{name}[{k}]", beta) < 1.0:
            raise ValueError(
                f"{owner}: {name}[{k}] must be a number in [0, 1), got {show(beta)} "
                f"(torch: Invalid beta parameter at index {k})"
            )
    return (float(x[0]), float(x[1]))


def _fixed(value: bool) -> Check:
    """The check of a flag a class holds at ``value`` whatever a group says (AdamW's
    decoupled_weight_decay, as torch): it must be a bool, and reads as ``value``."""

    def check(owner: str, name: str, x: object) -> bool:
        check_bool(owner, name, x)
        return value

    return check


# What every torch optimizer's signature ends with, declared here once: ``maximize``, and
# torch's switches for its vectorised and compiled paths, with their defaults (accepted only
# at their defaults: scalars have nothing to vectorise or fuse). Keyword-only here.
_MAXIMIZE: Spec = {"maximize": (False, check_bool)}
FLAG_DEFAULTS: dict[str, bool | None] = {  # torch's implementation switches and defaults
    "foreach": None,
    "fused": None,
    "capturable": False,
    "differentiable": False,
}


def _torch_signature(cls: type[Optimizer]) -> inspect.Signature:
    """``(params, <signature>, *, maximize, <keyword_only>, <flags>)`` with torch's defaults."""
    kind = inspect.Parameter
    parameters = [kind("params", kind.POSITIONAL_OR_KEYWORD, annotation="Params")]
    for name, (default, _) in cls.signature.items():
        parameters.append(kind(name, kind.POSITIONAL_OR_KEYWORD, default=default))
    for name, (default, _) in {**_MAXIMIZE, **cls.keyword_only}.items():
        parameters.append(kind(name, kind.KEYWORD_ONLY, default=default))
    for flag in cls.flags:
        parameters.append(kind(flag, kind.KEYWORD_ONLY, default=FLAG_DEFAULTS[flag]))
    return inspect.Signature(parameters, return_annotation=None)


def parameter_name(p: Value, group: int, index: int) -> str:
    """How errors name a parameter: ``parameter 'w' (group 0, index 3)``, the label if any."""
    name = f"{p.label!r} " if p.label else ""
    return f"parameter {name}(group {group}, index {index})"


# -- the base class -----------------------------------------------------------------


_SQUARE_FIELDS = frozenset({"sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq"})
# State fields that are sums of squares (and Adagrad's start value >= 0): never negative.
# A loaded negative one would make the next step take the root of a negative number.

OPTIMIZERS: dict[str, type[Optimizer]] = {}
"""Every registered optimizer class by name, in definition order: a class registers itself
with ``class Name(Optimizer, torch="TorchName")``. The tests and ``nn.interop`` iterate this."""


class Optimizer:
    """Base class: ``param_groups`` (dicts with a ``"params"`` list plus hyperparameters)
    and ``state`` (a dict keyed by parameter, by identity, of named float fields).

    ``params`` is an iterable of Values, or of dicts ``{"params": [...], "lr": ..., ...}``
    (param groups, as in torch); a group's missing hyperparameters come from ``defaults``.

    A subclass declares, once: ``signature`` (torch's arguments after ``params``, in torch's
    order: name -> (default, check)), ``keyword_only`` (more keyword-only arguments of the
    same form), ``flags`` (which of torch's implementation switches its torch twin takes),
    ``fixed`` (hyperparameters held at a value whatever the caller says), ``state_names``
    (the fields ``_update`` may write) and ``examples`` (name -> keyword arguments: what the
    tests run against torch, the first one only ``lr``); and it defines ``_update(data, grad,
    state, group) -> (new_data, new_state)``, a pure function of floats. The constructor is
    built from the declarations: ``(params, *signature, *, maximize=False, *keyword_only,
    *flags)``. Subclassing with ``torch="Name"`` registers the class in ``OPTIMIZERS``.
    """

    signature: ClassVar[Spec] = {}
    keyword_only: ClassVar[Spec] = {}
    flags: ClassVar[tuple[str, ...]] = ()
    fixed: ClassVar[dict[str, bool]] = {}
    state_names: ClassVar[tuple[str, ...]] = ()
    examples: ClassVar[dict[str, dict[str, Any]]] = {}
    torch_name: ClassVar[str | None] = None
    """The name of the ``torch.optim`` twin, given at registration (``torch="..."``)."""
    hyperparameters: ClassVar[dict[str, Check]] = {}
    """Name -> check of every hyperparameter of a group, derived from the declarations."""
    __signature__: ClassVar[inspect.Signature]

    def __init_subclass__(cls, torch: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        unknown = sorted(set(cls.flags) - set(FLAG_DEFAULTS))
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown flags {unknown}")
        cls.hyperparameters = {
            **{name: check for name, (_, check) in cls.signature.items()},
            **{name: check for name, (_, check) in {**_MAXIMIZE, **cls.keyword_only}.items()},
            **{name: _fixed(value) for name, value in cls.fixed.items()},
        }
        cls.__signature__ = _torch_signature(cls)
        if torch is not None:
            if cls.__name__ in OPTIMIZERS:
                raise TypeError(f"{cls.__name__}: an optimizer of that name is registered")
            if "examples" not in vars(cls) or not cls.state_names:
                raise TypeError(
                    f"{cls.__name__}: a registered optimizer declares its own examples "
                    "and its state_names"
                )
            cls.torch_name = torch
            OPTIMIZERS[cls.__name__] = cls

    def __init__(self, params: Params, *args: Any, **kwargs: Any) -> None:
        owner = type(self).__name__
        try:
            bound = type(self).__signature__.bind(params, *args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{owner}: {error}") from None
        bound.apply_defaults()
        defaults = {k: v for k, v in bound.arguments.items() if k != "params"}
        if isinstance(params, Value | dict):
            got = f"a single {type(params).__name__}"
        elif not isinstance(params, Iterable):
            got = f"{type(params).__name__} {params!r}"
        else:
            got = ""
        if got:
            raise TypeError(f"{owner}: params must be an iterable of Values or of dicts, got {got}")
        for flag in FLAG_DEFAULTS:
            if value := defaults.pop(flag, None):
                raise ValueError(
                    f"{owner}: {flag}={value!r} is not supported: every parameter is one float, "
                    "updated on the single-tensor path (leave it None/False)"
                )
        defaults.update(self.fixed)
        self.defaults: dict[str, Any] = self._check_group(defaults)
        self.state: dict[Value, State] = {}
        self.param_groups: list[Group] = []
        self.stepped = False  # True once step() has run: schedules warn if they step first
        groups = list(params)
        if not groups:
            raise ValueError(f"{owner}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        # Build every group on a scratch copy first, so a bad group leaves nothing half-made.
        built: list[Group] = []
        for group in groups:
            built.append(self._build_group(group, built))
        for group in built:
            self._add_built_group(group)

    # -- groups ---------------------------------------------------------------

    def add_param_group(self, param_group: Group) -> None:
        """Append a param group (``{"params": [...], hyperparameter: value, ...}``).

        Missing hyperparameters are taken from ``defaults``. Raises, adding nothing, if the
        group is not a dict, holds a non-Value, a non-leaf Value, a Value already in this
        optimizer (or twice in the group), or an invalid hyperparameter.
        """
        self._add_built_group(self._build_group(param_group, self.param_groups))

    def _build_group(self, param_group: object, existing: list[dict[str, Any]]) -> Group:
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
                    f"{owner}: can't optimize a non-leaf Value: {parameter_name(p, index, i)} "
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

    def _add_built_group(self, group: Group) -> None:
        self.param_groups.append(group)

    def _check_group(self, group: Group) -> Group:
        """Validate a group's hyperparameters by the class's spec; return them normalised,
        the spec's names first, in its order."""
        owner = type(self).__name__
        checked = {
            name: check(owner, name, group[name]) for name, check in self.hyperparameters.items()
        }
        return {**checked, **{k: v for k, v in group.items() if k not in checked}}

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
                if not is_real(g):
                    raise TypeError(
                        f"{owner}.step: the gradient of {parameter_name(p, g_index, i)} must be a "
                        f"real number, got {show(g)}; no parameter or state was changed"
                    )
                if not math.isfinite(check_real(owner, "grad", g, finite=False)):
                    raise FloatingPointError(
                        f"{owner}.step: the gradient of {parameter_name(p, g_index, i)} is "
                        f"{show(g)}; no parameter or state was changed"
                    )
        updates: list[tuple[Value, float, State]] = []
        for g_index, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                try:
                    data, state = self._update(p.data, float(p.grad), self.state.get(p, {}), group)
                except ArithmeticError as error:  # e.g. 0/0 with eps=0 and a zero gradient
                    raise FloatingPointError(
                        f"{owner}.step: the update of {parameter_name(p, g_index, i)} is not "
                        "finite "
                        f"({error}; grad {p.grad!r}); no parameter or state was changed"
                    ) from error
                bad = [k for k, v in state.items() if not math.isfinite(v)]
                if not math.isfinite(data) or bad:
                    what = f"state {bad[0]!r} = {state[bad[0]]!r}" if bad else f"value {data!r}"
                    raise FloatingPointError(
                        f"{owner}.step: the update of {parameter_name(p, g_index, i)} gives the "
                        f"non-finite {what} (grad {p.grad!r}); no parameter or state was changed"
                    )
                updates.append((p, data, state))
        for p, data, state in updates:
            p.data = data
            self.state[p] = state
        self.stepped = True

    def _update(self, data: float, grad: float, state: State, group: Group) -> tuple[float, State]:
        raise NotImplementedError

    # -- saving ---------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A copy of the state, as torch lays it out.

        ``{"state": {index: {field: float}}, "param_groups": [{..., "params": [index, ...]}]}``
        where a parameter's index is its position counting through all groups in order.
        """
        index: dict[int, int] = {}
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
                where = f"state[{key!r}][{name!r}]"
                squares = name in _SQUARE_FIELDS
                checked[name] = check_real(owner, where, v, min=0.0 if squares else None)
                if name == "step" and not (checked[name] >= 0.0 and checked[name].is_integer()):
                    raise ValueError(
                        f"{owner}: {where} counts the steps taken: a whole number >= 0, "
                        f"got {show(v)}"
                    )
            new_state[p] = checked
        self.param_groups[:] = new_groups
        self.state.clear()
        self.state.update(new_state)

    def _state_fields(self, group: Group) -> set[str] | None:
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


Optimizer.__signature__ = _torch_signature(Optimizer)


# -- the optimizers: torch's signature, state names, examples and an update -----------


class SGD(Optimizer, torch="SGD"):
    """Stochastic gradient descent, optionally with momentum, dampening, Nesterov, weight decay.

    As computed (``fma`` rounds once)::

        g = -grad if maximize else grad
        g = add(g, p, alpha=weight_decay)                    # if weight_decay != 0
        buf = g                                              # first step (momentum != 0)
        buf = add(buf * momentum, g, alpha=1 - dampening)    # later steps
        g = add(g, buf, alpha=momentum) if nesterov else buf # if momentum != 0
        p = add(p, g, alpha=-lr)

    State per parameter: ``"momentum_buffer"`` (if momentum != 0).
    """

    # torch 2.13's arguments after params, in its order: name -> (default, check)
    signature = {
        "lr": (1e-3, _nonnegative),
        "momentum": (0, _nonnegative),
        "dampening": (0, check_real),
        "weight_decay": (0, _nonnegative),
        "nesterov": (False, check_bool),
    }
    flags = ("foreach", "differentiable", "fused")  # torch's switches its signature has
    state_names = ("momentum_buffer",)  # every field _update may write
    # What the tests run against torch (tests/data/make_traces.py records them); plain first.
    examples = {
        "plain": {"lr": 1e-3},
        "momentum": {"lr": 1e-3, "momentum": 0.9},
        "dampening": {"lr": 1e-3, "momentum": 0.9, "dampening": 0.5},
        "nesterov": {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
        "weight_decay": {"lr": 1e-3, "momentum": 0.8, "weight_decay": 0.1},
        "maximize": {"lr": 1e-4, "momentum": 0.5, "maximize": True},
    }

    def _check_group(self, group: Group) -> Group:
        out = super()._check_group(group)
        if out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
            raise ValueError(
                f"{type(self).__name__}: Nesterov momentum requires a momentum and zero "
                f"dampening, got momentum={group['momentum']!r}, "
                f"dampening={group['dampening']!r}"
            )
        return out

    def _update(self, data: float, grad: float, state: State, group: Group) -> tuple[float, State]:
        lr, momentum = group["lr"], group["momentum"]
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = _add(g, data, group["weight_decay"])
        new = dict(state)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            buf = g if buf is None else _add(buf * momentum, g, 1 - group["dampening"])
            new["momentum_buffer"] = buf
            g = _add(g, buf, momentum) if group["nesterov"] else buf
        return _add(data, g, -lr), new


class Adagrad(Optimizer, torch="Adagrad"):
    """Adagrad: each parameter's step is divided by the root of its summed squared gradients.

    As computed (``fma`` rounds once)::

        step = step + 1
        g = -grad if maximize else grad
        g = add(g, p, alpha=weight_decay)              # if weight_decay != 0
        clr = lr / (1 + (step - 1) * lr_decay)
        sum = addcmul(sum, g, g, value=1)
        p = addcdiv(p, g, sqrt(sum) + eps, value=-clr)

    State per parameter, created with the group (as torch): ``"step"`` (0.0) and ``"sum"``,
    which starts at the constructor's ``initial_accumulator_value`` for every group, given to
    the constructor or added later: torch 2.13 ignores a group's own value.
    """

    signature = {
        "lr": (1e-2, _nonnegative),
        "lr_decay": (0, _nonnegative),
        "weight_decay": (0, _nonnegative),
        "initial_accumulator_value": (0, _nonnegative),
        "eps": (1e-10, _nonnegative),
    }
    flags = ("foreach", "differentiable", "fused")
    state_names = ("step", "sum")
    examples = {
        "plain": {"lr": 0.1},
        "decay": {
            "lr": 0.1,
            "lr_decay": 0.05,
            "initial_accumulator_value": 0.3,
            "weight_decay": 0.01,
        },
    }

    def _add_built_group(self, group: Group) -> None:
        super()._add_built_group(group)
        # As torch: every group starts from the constructor's value, even one that names its
        # own initial_accumulator_value (torch's __init__ and _init_group read self.defaults).
        for p in group["params"]:
            self.state[p] = {"step": 0.0, "sum": self.defaults["initial_accumulator_value"]}

    def _update(self, data: float, grad: float, state: State, group: Group) -> tuple[float, State]:
        step = state.get("step", 0.0) + 1.0
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = _add(g, data, group["weight_decay"])
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        start = state["sum"] if "sum" in state else self.defaults["initial_accumulator_value"]
        total = _addcmul(start, g, g, 1.0)
        std = _sqrt(total) + group["eps"]
        return _addcdiv(data, g, std, -clr), {"step": step, "sum": total}


class RMSprop(Optimizer, torch="RMSprop"):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    As computed (``fma`` rounds once)::

        step = step + 1
        g = -grad if maximize else grad
        g = add(g, p, alpha=weight_decay)                    # if weight_decay != 0
        square_avg = addcmul(square_avg * alpha, g, g, value=1 - alpha)
        if centered:
            grad_avg = lerp(grad_avg, g, 1 - alpha)
            avg = sqrt(addcmul(square_avg, grad_avg, grad_avg, value=-1)) + eps
        else:
            avg = sqrt(square_avg) + eps
        if momentum > 0:
            buf = addcdiv(buf * momentum, g, avg, value=1)
            p = add(p, buf, alpha=-lr)
        else:
            p = addcdiv(p, g, avg, value=-lr)

    State: ``"step"``, ``"square_avg"``, and ``"momentum_buffer"`` (if momentum > 0) and
    ``"grad_avg"`` (if centered), all starting at 0.
    """

    signature = {
        "lr": (1e-2, _nonnegative),
        "alpha": (0.99, _nonnegative),
        "eps": (1e-8, _nonnegative),
        "weight_decay": (0, _nonnegative),
        "momentum": (0, _nonnegative),
        "centered": (False, check_bool),
    }
    flags = ("capturable", "foreach", "differentiable")
    state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")
    examples = {
        "plain": {"lr": 0.01},
        "centered": {"lr": 0.01, "centered": True},
        "momentum": {"lr": 0.01, "momentum": 0.9},
        "weight_decay": {"lr": 0.01, "weight_decay": 0.1},
        # alpha = 0.4 makes lerp's weight 1 - alpha = 0.6 >= 0.5: torch's other lerp branch
        "centered_momentum_alpha04": {"lr": 0.01, "alpha": 0.4, "centered": True, "momentum": 0.5},
    }

    def _update(self, data: float, grad: float, state: State, group: Group) -> tuple[float, State]:
        alpha, lr, momentum = group["alpha"], group["lr"], group["momentum"]
        new = {"step": state.get("step", 0.0) + 1.0}
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = _add(g, data, group["weight_decay"])
        square_avg = _addcmul(state.get("square_avg", 0.0) * alpha, g, g, 1 - alpha)
        new["square_avg"] = square_avg
        if group["centered"]:
            grad_avg = _lerp(state.get("grad_avg", 0.0), g, 1 - alpha)
            new["grad_avg"] = grad_avg
            avg = _sqrt(_addcmul(square_avg, grad_avg, grad_avg, -1.0)) + group["eps"]
        else:
            avg = _sqrt(square_avg) + group["eps"]
        if momentum > 0:
            buf = _addcdiv(state.get("momentum_buffer", 0.0) * momentum, g, avg, 1.0)
            new["momentum_buffer"] = buf
            return _add(data, buf, -lr), new
        return _addcdiv(data, g, avg, -lr), new


class Adam(Optimizer, torch="Adam"):
    """Adam with bias correction (and AMSGrad, and AdamW's decoupled weight decay, on request).

    As computed (``fma`` rounds once)::

        step = step + 1
        g = -grad if maximize else grad
        if weight_decay != 0:
            p = p * (1 - lr * weight_decay)          # decoupled (AdamW), or else
            g = add(g, p, alpha=weight_decay)        # L2 penalty added to the gradient (Adam)
        exp_avg = lerp(exp_avg, g, 1 - beta1)
        exp_avg_sq = addcmul(exp_avg_sq * beta2, g, g, value=1 - beta2)
        step_size = lr / (1 - beta1 ** step)
        v = max(max_exp_avg_sq, exp_avg_sq) if amsgrad else exp_avg_sq   # kept as max_exp_avg_sq
        denom = sqrt(v) / (1 - beta2 ** step) ** 0.5 + eps
        p = addcdiv(p, exp_avg, denom, value=-step_size)

    State: ``"step"``, ``"exp_avg"``, ``"exp_avg_sq"`` and ``"max_exp_avg_sq"`` (if amsgrad).
    """

    signature = {
        "lr": (1e-3, _nonnegative),
        "betas": ((0.9, 0.999), _betas),
        "eps": (1e-8, _nonnegative),
        "weight_decay": (0, _nonnegative),
        "amsgrad": (False, check_bool),
    }
    keyword_only = {"decoupled_weight_decay": (False, check_bool)}
    flags = ("foreach", "capturable", "differentiable", "fused")
    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    examples = {
        "plain": {"lr": 0.05},
        "weight_decay": {"lr": 0.05, "weight_decay": 0.1},
        "amsgrad": {"lr": 0.05, "amsgrad": True},
        # beta1 = 0.3: lerp weight 0.7, the other branch again
        "beta1_03": {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-6},
    }

    def _update(self, data: float, grad: float, state: State, group: Group) -> tuple[float, State]:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        step = state.get("step", 0.0) + 1.0
        g = -grad if group["maximize"] else grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                data = data * (1 - lr * weight_decay)
            else:
                g = _add(g, data, weight_decay)
        exp_avg = _lerp(state.get("exp_avg", 0.0), g, 1 - beta1)
        exp_avg_sq = _addcmul(state.get("exp_avg_sq", 0.0) * beta2, g, g, 1 - beta2)
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
        return _addcdiv(data, exp_avg, denom, -step_size), new


class AdamW(Adam, torch="AdamW"):
    """Adam with decoupled weight decay: ``p = p * (1 - lr*weight_decay)`` before the Adam step.

    Exactly ``Adam(..., decoupled_weight_decay=True)``; a group can't turn it off (as torch).
    """

    signature = {**Adam.signature, "weight_decay": (1e-2, _nonnegative)}
    keyword_only = {}  # torch's AdamW takes no decoupled_weight_decay ...
    fixed = {"decoupled_weight_decay": True}  # ... and always decouples
    examples = {
        "plain": {"lr": 0.05},
        "amsgrad": {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True},
    }


__all__ = ["Optimizer", "OPTIMIZERS", *OPTIMIZERS, "clip_grad_norm_"]


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
        if not is_real(p.grad):
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
