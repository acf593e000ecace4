"""PyTorch, both ways: the same model, optimizer and schedule, the same numbers.

Three pairs: ``to_torch(model)`` / ``from_torch(module)`` (an ``MLP``, ``Layer`` or ``Neuron``
as a ``torch.nn.Sequential`` of ``Linear`` and activations), ``optimizer_to_torch`` /
``optimizer_from_torch`` (class, hyperparameters, groups and state) and ``scheduler_to_torch``
/ ``scheduler_from_torch`` (a schedule and its position; move the optimizer first). Training
stopped on one side goes on on the other with the same iterates. How tensors map to scalars
(neuron by neuron: a row of ``weight``, then its ``bias``): docs/training.md. PyTorch is
imported only when one of these functions is called; without it they raise ``ImportError``.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from autograd_engine import Value
from nn import optim as _optim
from nn import schedules as _schedules
from nn.module import ACTIVATIONS, MLP, Layer, Neuron

__all__ = [
    "TORCH_ACTIVATIONS",
    "to_torch",
    "from_torch",
    "optimizer_to_torch",
    "optimizer_from_torch",
    "scheduler_to_torch",
    "scheduler_from_torch",
]

TORCH_ACTIVATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "relu": ("ReLU", {}),
    "tanh": ("Tanh", {}),
    "sigmoid": ("Sigmoid", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.01}),
    "linear": ("Identity", {}),
}
"""Engine activation name -> (``torch.nn`` class name, the attributes it must have).

relu = ReLU, tanh = Tanh, sigmoid = Sigmoid, leaky_relu = LeakyReLU(0.01) (x if x > 0 else
0.01 x, torch's default slope), linear = Identity. ``to_torch`` builds ``cls(**attributes)``;
``from_torch`` accepts exactly that class with those attributes (``inplace`` is ignored: it
changes memory, not numbers). Names, not classes, so importing this module needs no torch.
A test checks that every entry of ``nn.module.ACTIVATIONS`` has a row here."""

_INSTALL_HINT = 'pip install "autograd-engine[torch]"'

# torch's implementation switches: they choose a kernel, not the numbers' meaning, and the
# engine has one scalar path, so they are not carried over (torch picks its own defaults).
_IMPLEMENTATION_KEYS = frozenset(_optim.FLAG_DEFAULTS)  # the flags nn.optim declares once

# Schedule class name -> (constructor arguments, attributes that hold its position).
_SCHEDULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "StepLR": (("step_size", "gamma"), ("base_lrs", "last_epoch", "_step_count", "_last_lr")),
    "ExponentialLR": (("gamma",), ("base_lrs", "last_epoch", "_step_count", "_last_lr")),
    "ReduceLROnPlateau": (
        ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps"),
        (
            "min_lrs",
            "default_min_lr",
            "best",
            "num_bad_epochs",
            "cooldown_counter",
            "last_epoch",
            "_last_lr",
        ),
    ),
}


def _torch() -> Any:
    """Import torch, or raise ImportError with the install command."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"nn.interop needs PyTorch, which is not installed: {_INSTALL_HINT}"
        ) from error
    return torch


# -- models -------------------------------------------------------------------------


def _torch_activation(torch: Any, name: str, owner: str) -> Any:
    if name not in TORCH_ACTIVATIONS:
        raise ValueError(f"{owner}: activation {name!r} has no PyTorch module in TORCH_ACTIVATIONS")
    cls_name, attributes = TORCH_ACTIVATIONS[name]
    return getattr(torch.nn, cls_name)(**attributes)


def to_torch(model: MLP | Layer | Neuron, dtype: Any = None) -> Any:
    """The model as a ``torch.nn.Sequential``: ``Linear, act, Linear, act, ...``.

    Each ``Layer`` becomes ``Linear(nin, nout)`` with ``weight[j, i] = neuron_j.w[i]`` and
    ``bias[j] = neuron_j.b``, followed by its activation module from ``TORCH_ACTIVATIONS``
    (``Identity`` for "linear", so every layer is exactly two modules). An ``MLP`` gives one
    such pair per layer; a ``Layer`` gives ``Sequential(Linear(nin, nout), act)``; a
    ``Neuron`` gives ``Sequential(Linear(nin, 1), act)``. The result maps a batch
    ``x`` (``... x nin``) to ``... x nout``: where the model returns one Value (or a Layer
    its list), torch returns a last dimension of that size. ``y = act(x @ W.T + b)``
    equals the model's output to 1e-12 (float64; only the summation order differs).

    ``dtype`` is the parameters' torch dtype: float64 when None (the engine's floats, so
    nothing is rounded); float32 rounds each weight once. No random numbers are drawn.
    """
    torch = _torch()
    layers: list[Layer | Neuron]
    if isinstance(model, MLP):
        layers = list(model.layers)
    elif isinstance(model, Layer | Neuron):
        layers = [model]
    else:
        raise TypeError(
            f"to_torch: model must be an MLP, Layer or Neuron, got {type(model).__name__}"
        )
    if dtype is None:
        dtype = torch.float64
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"to_torch: dtype must be a torch.dtype, got {type(dtype).__name__}")
    if not dtype.is_floating_point:
        raise ValueError(f"to_torch: dtype must be a floating-point dtype, got {dtype}")
    dropout = getattr(model, "dropout", 0)
    if isinstance(dropout, numbers.Real) and dropout:
        # nn.MLP may gain dropout; exporting without it would silently change training.
        raise ValueError(
            f"to_torch: the model uses dropout={dropout!r}, which to_torch does not export yet"
        )
    modules = []
    for layer in layers:
        neurons = layer.neurons if isinstance(layer, Layer) else [layer]
        act = _torch_activation(torch, layer.activation, "to_torch")
        weight = torch.tensor([[w.data for w in n.w] for n in neurons], dtype=dtype)
        bias = torch.tensor([n.b.data for n in neurons], dtype=dtype)
        # skip_init: build the Linear without drawing from torch's global random state.
        linear = torch.nn.utils.skip_init(
            torch.nn.Linear, len(neurons[0].w), len(neurons), dtype=dtype
        )
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        modules += [linear, act]
    return torch.nn.Sequential(*modules)


def _which_activation(torch: Any, module: Any) -> str | None:
    """The engine name of an activation module, or None if ``module`` is not one."""
    for name, (cls_name, attributes) in TORCH_ACTIVATIONS.items():
        if type(module) is getattr(torch.nn, cls_name):
            if all(getattr(module, k, None) == v for k, v in attributes.items()):
                return name
            return "?" + name  # the right class with other settings (a LeakyReLU slope)
    return None


def _where(i: int, name: str, m: Any) -> str:
    """``from_torch: module [i] ('name') Linear(...)``: where a message points."""
    place = f"module [{i}]" if name == str(i) else f"module [{i}] ({name!r})"
    text = repr(m)
    if "\n" in text:  # a container: its class is enough, the children follow in repr
        text = f"{type(m).__name__}(...)"
    return f"from_torch: {place} {text}"


def _check_linear(i: int, name: str, m: Any, previous: tuple[int, str, Any] | None) -> None:
    """Raise unless the Linear ``m`` has a real bias and takes what ``previous`` gives."""
    if m.bias is None:
        raise ValueError(f"{_where(i, name, m)} has no bias; every nn neuron has one")
    if not (m.weight.is_floating_point() and m.bias.is_floating_point()):
        raise ValueError(f"{_where(i, name, m)} has {m.weight.dtype} weights, not real")
    if m.in_features < 1 or m.out_features < 1:
        raise ValueError(f"{_where(i, name, m)} has no inputs or no outputs")
    if previous is not None and previous[2].out_features != m.in_features:
        raise ValueError(
            f"{_where(i, name, m)} takes {m.in_features} inputs, but module [{previous[0]}] "
            f"gives {previous[2].out_features}"
        )


def _activation_after(torch: Any, items: list[tuple[str, Any]], i: int) -> str:
    """The engine name of module ``i``, which must be an activation right after a Linear."""
    name, m = items[i]
    act = _which_activation(torch, m)
    if act is None:
        what = "a nested Sequential" if isinstance(m, torch.nn.Sequential) else "a module"
        raise ValueError(
            f"{_where(i, name, m)} is {what} nn cannot represent: an MLP is Linear "
            f"layers, each followed by at most one of "
            f"{', '.join(cls for cls, _ in TORCH_ACTIVATIONS.values())}"
        )
    if act.startswith("?"):
        cls_name, attributes = TORCH_ACTIVATIONS[act[1:]]
        settings = ", ".join(f"{k}={v!r}" for k, v in attributes.items())
        raise ValueError(
            f"{_where(i, name, m)} differs from the engine's {act[1:]!r}, which is "
            f"{cls_name}({settings})"
        )
    if act not in ACTIVATIONS:
        raise ValueError(f"{_where(i, name, m)}: the engine has no {act!r} activation")
    if not any(type(before) is torch.nn.Linear for _, before in items[:i]):
        raise ValueError(f"{_where(i, name, m)} comes before any Linear layer")
    if type(items[i - 1][1]) is not torch.nn.Linear:
        raise ValueError(
            f"{_where(i, name, m)} follows another activation (module [{i - 1}]); "
            "an nn layer has one activation"
        )
    return act


def _layers(
    torch: Any, items: list[tuple[str, Any]]
) -> tuple[list[tuple[int, str, Any]], list[str]]:
    """The Linears (position, name, module) and the activation after each ("linear" if none),
    checked: every module a Linear or one activation after a Linear, the hidden ones alike."""
    linears: list[tuple[int, str, Any]] = []
    activations: list[str] = []  # one per Linear: what follows it
    for i, (name, m) in enumerate(items):
        if type(m) is torch.nn.Linear:
            _check_linear(i, name, m, linears[-1] if linears else None)
            linears.append((i, name, m))
            activations.append("linear")
        else:
            activations[-1] = _activation_after(torch, items, i)  # raises if no Linear yet
    hidden = activations[:-1]
    for k, act in enumerate(hidden):
        if act != hidden[0]:
            raise ValueError(
                f"from_torch: the activation after module [{linears[k][0]}] is {act!r} but "
                f"after module [{linears[0][0]}] it is {hidden[0]!r}; an MLP's hidden layers "
                "share one"
            )
    return linears, activations


def from_torch(module: Any) -> MLP:
    """An ``MLP`` with the weights of ``module``: a ``Sequential`` or a single ``Linear``.

    The Sequential must read ``Linear, [act], Linear, [act], ...``: each ``Linear`` (with a
    bias) optionally followed by one activation module from ``TORCH_ACTIVATIONS`` (no
    module, or ``Identity``, means "linear"); consecutive Linears must fit
    (``out_features`` = next ``in_features``); the activations after every Linear but the
    last must be the same (it becomes ``activation``); the last one becomes
    ``output_activation``. Weights are copied exactly (float32 and float16 convert to float64
    without rounding). With one Linear, ``activation`` is unused and left at the default.

    Anything else (a Conv2d, Dropout, BatchNorm, a nested Sequential, a Linear without
    bias, mismatched sizes, an activation first or two in a row, a LeakyReLU whose slope is
    not the engine's, non-finite weights) raises ValueError naming the module and its
    position, before any model is built; a non-Module is a TypeError.
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(
            f"from_torch: module must be a torch.nn.Sequential or Linear, "
            f"got {type(module).__name__}"
        )
    if type(module) is torch.nn.Sequential:
        items = list(module.named_children())
        if not items:
            raise ValueError("from_torch: the Sequential is empty")
    else:
        items = [("0", module)]
    linears, activations = _layers(torch, items)
    # Copy every number before building anything: a bad weight leaves nothing half-made.
    tables = []
    for i, name, m in linears:
        weight = m.weight.detach().cpu().to(torch.float64).tolist()
        bias = m.bias.detach().cpu().to(torch.float64).tolist()
        if not all(math.isfinite(v) for row in weight for v in row) or not all(
            math.isfinite(v) for v in bias
        ):
            raise ValueError(f"{_where(i, name, m)} has a non-finite weight or bias")
        tables.append((weight, bias))
    hidden = activations[:-1]
    model = MLP(
        linears[0][2].in_features,
        [m.out_features for _, _, m in linears],
        # with one layer there is no hidden activation: keep MLP's default
        activation=hidden[0] if hidden else inspect.signature(MLP).parameters["activation"].default,
        output_activation=activations[-1],
    )
    for layer, (weight, bias) in zip(model.layers, tables, strict=True):
        for neuron, row, b in zip(layer.neurons, weight, bias, strict=True):
            for w, v in zip(neuron.w, row, strict=True):
                w.data = v
            neuron.b.data = b
    return model


# -- matching scalars with tensor elements -------------------------------------------


def _units(shapes: Sequence[tuple[int, ...]]) -> list[list[tuple[int, int]]]:
    """Tensors in nn order, as units of (tensor index, flat element index).

    A 2-D tensor followed by a 1-D tensor as long as its rows is one unit (a Linear's weight
    and bias, read neuron by neuron: row j, then bias j); any other tensor is a unit of its
    own, read in row-major order.
    """
    units = []
    i = 0
    while i < len(shapes):
        shape = shapes[i]
        if len(shape) == 2 and i + 1 < len(shapes) and tuple(shapes[i + 1]) == (shape[0],):
            rows, cols = shape
            unit = []
            for j in range(rows):
                unit += [(i, j * cols + c) for c in range(cols)]
                unit.append((i + 1, j))
            units.append(unit)
            i += 2
        else:
            units.append([(i, k) for k in range(math.prod(shape))])
            i += 1
    return units


def _check_tensors(torch: Any, owner: str, tensors: list[Any], where: str) -> None:
    for k, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{owner}: {where}[{k}] must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise ValueError(f"{owner}: {where}[{k}] has dtype {t.dtype}; parameters are real")


def _torch_groups(torch: Any, owner: str, torch_params: Any, sizes: list[int]) -> list[list[Any]]:
    """``torch_params`` (a Module, tensors, or group dicts) as one tensor list per group.

    ``sizes`` are the engine groups' parameter counts; flat tensors are split between the
    groups on unit boundaries (a weight/bias pair is never split).
    """
    if isinstance(torch_params, torch.nn.Module):
        torch_params = torch_params.parameters()
    if isinstance(torch_params, torch.Tensor) or not isinstance(torch_params, Iterable):
        raise TypeError(
            f"{owner}: torch_params must be an iterable of tensors or of "
            f"{{'params': [...]}} dicts, got {type(torch_params).__name__}"
        )
    items = list(torch_params)
    if items and all(isinstance(g, dict) for g in items):
        groups = []
        for k, g in enumerate(items):
            extra = sorted(set(g) - {"params"})
            if "params" not in g or extra:
                raise ValueError(
                    f"{owner}: torch_params[{k}] must be {{'params': [...]}} only "
                    f"(hyperparameters come from the optimizer), got keys {sorted(g)}"
                )
            params = g["params"]
            listed = [params] if isinstance(params, torch.Tensor) else list(params)
            _check_tensors(torch, owner, listed, f"torch_params[{k}]['params']")
            groups.append(listed)
        if len(groups) != len(sizes):
            raise ValueError(
                f"{owner}: the optimizer has {len(sizes)} param groups, torch_params {len(groups)}"
            )
        return groups
    _check_tensors(torch, owner, items, "torch_params")
    total = sum(t.numel() for t in items)
    if total != sum(sizes):
        raise ValueError(
            f"{owner}: the optimizer has {sum(sizes)} parameters, torch_params {total} numbers"
        )
    units = _units([tuple(t.shape) for t in items])
    groups, unit = [], 0
    for k, size in enumerate(sizes):
        tensors: list[Any] = []
        count = 0
        while count < size and unit < len(units):
            indices = sorted({i for i, _ in units[unit]})
            tensors += [items[i] for i in indices]
            count += len(units[unit])
            unit += 1
        if count != size:
            raise ValueError(
                f"{owner}: the optimizer's param group {k} has {size} parameters, which do not "
                "line up with whole torch tensors; pass torch_params as one "
                "{'params': [...]} dict per group"
            )
        groups.append(tensors)
    return groups


def _pairs(
    torch: Any, owner: str, values: list[Value], tensors: list[Any], group: int
) -> list[tuple[int, int]]:
    """(tensor index, flat index) of each Value, after checking the two hold equal numbers."""
    order = [pair for unit in _units([tuple(t.shape) for t in tensors]) for pair in unit]
    if len(order) != len(values):
        raise ValueError(
            f"{owner}: param group {group} has {len(values)} engine parameters but "
            f"{len(order)} torch numbers"
        )
    flat = [t.detach().cpu().reshape(-1) for t in tensors]
    for k, (p, (i, j)) in enumerate(zip(values, order, strict=True)):
        element = flat[i][j]
        # Compare in the tensor's dtype: a float32 export rounded each weight once.
        if torch.tensor(p.data, dtype=element.dtype) != element:
            raise ValueError(
                f"{owner}: {_optim.parameter_name(p, group, k)} is {p.data!r} but its torch "
                f"element "
                f"(tensor {i}, element {j}) is {element.item()!r}: pass the parameters of the "
                "model exported at the same point (to_torch / from_torch), in nn order"
            )
    return order


def _plain(torch: Any, value: Any) -> Any:
    """A hyperparameter without tensors: a one-number tensor becomes a float."""
    if isinstance(value, torch.Tensor):
        return float(value.item())
    if isinstance(value, tuple | list):
        return type(value)(_plain(torch, v) for v in value)
    return value


def _class_name(obj: Any, module: Any, known: Collection[str], owner: str) -> str:
    """The name of ``obj``'s class, which must be one of ``known`` from ``module``."""
    name = type(obj).__name__
    if name not in known or type(obj) is not getattr(module, name, None):
        raise TypeError(
            f"{owner}: expected one of {', '.join(known)} from {module.__name__}, "
            f"got {type(obj).__module__}.{name}"
        )
    return name


# -- optimizers ---------------------------------------------------------------------


def _registered(torch: Any, obj: Any, owner: str, side: str) -> type[_optim.Optimizer]:
    """The class in ``nn.optim.OPTIMIZERS`` that ``obj`` (an engine optimizer, or a torch one
    when ``side`` is "torch") is an instance of, or is the twin of."""
    module = torch.optim if side == "torch" else _optim
    for cls in _optim.OPTIMIZERS.values():
        name = cls.torch_name if side == "torch" else cls.__name__
        if name is not None and type(obj) is getattr(module, name, None):
            return cls
    names = ", ".join(
        str(cls.torch_name if side == "torch" else cls.__name__)
        for cls in _optim.OPTIMIZERS.values()
    )
    raise TypeError(
        f"{owner}: expected one of {names} from {module.__name__}, "
        f"got {type(obj).__module__}.{type(obj).__name__}"
    )


def _tensor_state(
    torch: Any, where: str, t: Any, fields: dict[str, list[tuple[int, float]]], on_device: bool
) -> dict[str, Any]:
    """torch's state of tensor ``t`` from its scalars' fields (field -> [(flat index, value)]):
    ``step`` as torch's scalar tensor, every other field a tensor of ``t``'s shape."""
    state = {}
    for field, entries in fields.items():
        if field == "step":
            steps = {v for _, v in entries}
            if len(steps) != 1:
                raise ValueError(
                    f"{where} are at different steps {sorted(steps)}; a tensor has one step count"
                )
            state["step"] = torch.tensor(
                steps.pop(),
                dtype=torch.float64
                if torch.get_default_dtype() == torch.float64
                else torch.float32,  # what torch's _get_scalar_dtype() gives
                device=t.device if on_device else None,
            )
        else:
            flat = [0.0] * t.numel()
            for j, v in entries:
                flat[j] = v
            state[field] = torch.tensor(flat, dtype=t.dtype, device=t.device).reshape(t.shape)
    return state


def _group_states(
    torch: Any, owner: str, opt: _optim.Optimizer, k: int, tensors: list[Any]
) -> list[tuple[Any, dict[str, Any]]]:
    """(tensor, torch state) for each tensor of ``opt``'s param group ``k``."""
    group = opt.param_groups[k]
    order = _pairs(torch, owner, group["params"], tensors, k)
    names = set(type(opt).state_names)
    fields_of: list[dict[str, list[tuple[int, float]]]] = [{} for _ in tensors]
    keys_of: list[set[frozenset[str]]] = [set() for _ in tensors]
    for p, (i, j) in zip(group["params"], order, strict=True):
        state = opt.state.get(p) or {}
        unknown = set(state) - names
        if unknown:
            raise ValueError(
                f"{owner}: {type(opt).__name__} state has unknown fields {sorted(unknown)}"
            )
        keys_of[i].add(frozenset(state))
        for field, v in state.items():
            fields_of[i].setdefault(field, []).append((j, v))
    on_device = bool(group.get("capturable") or group.get("fused"))
    states = []
    for i, t in enumerate(tensors):
        where = f"{owner}: the scalars of tensor {i} in group {k}"
        if len(keys_of[i]) > 1:
            raise ValueError(
                f"{where} have different state fields "
                f"{sorted(sorted(s) for s in keys_of[i])}; a tensor has one state"
            )
        states.append((t, _tensor_state(torch, where, t, fields_of[i], on_device)))
    return states


def optimizer_to_torch(opt: _optim.Optimizer, torch_params: Any) -> Any:
    """The ``torch.optim`` twin of ``opt`` over ``torch_params``, with its state carried over.

    ``torch_params`` is what you would give torch's constructor: the exported model's
    ``parameters()`` (or the model itself), or one ``{"params": [...]}`` dict per group of
    ``opt``. Its numbers, read in nn order (see the module docstring), must equal ``opt``'s
    parameters one for one. ``opt`` must be of a class in ``nn.optim.OPTIMIZERS``; the result
    is of its torch twin, with the same defaults, every group's hyperparameters (``initial_lr``
    of a schedule too) and, per tensor, the state of its scalars: each field of the class's
    ``state_names`` (``momentum_buffer``, ``exp_avg``, ...) as a tensor of the parameter's
    shape and dtype, ``step`` as torch's scalar tensor. The scalars of one tensor must agree
    on ``step`` and on which fields they have. ``opt`` is not changed.
    """
    torch = _torch()
    owner = "optimizer_to_torch"
    ours = _registered(torch, opt, owner, "engine")
    groups = _torch_groups(torch, owner, torch_params, [len(g["params"]) for g in opt.param_groups])
    torch_groups, states = [], []
    for k, (group, tensors) in enumerate(zip(opt.param_groups, groups, strict=True)):
        states += _group_states(torch, owner, opt, k, tensors)
        hyper = {key: copy.copy(v) for key, v in group.items() if key != "params"}
        torch_groups.append({"params": tensors, **hyper})
    cls = getattr(torch.optim, str(ours.torch_name))
    accepted = inspect.signature(cls).parameters
    defaults = {key: v for key, v in opt.defaults.items() if key in accepted}
    torch_opt = cls(torch_groups, **defaults)
    torch_opt.state.clear()  # Adagrad builds state in its constructor: ours replaces it
    for t, state in states:
        if state:
            torch_opt.state[t] = state
    if getattr(opt, "stepped", False):
        torch_opt._opt_called = True  # read by torch's schedules, as ours
    return torch_opt


def _engine_groups(
    owner: str, params: Any, torch_groups: list[dict[str, Any]]
) -> list[list[Value]]:
    """``params`` (Values, a Module, or ``{"params": [...]}`` dicts) as one list per torch
    group: flat Values are split by the torch groups' sizes."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(
            f"{owner}: params must be an iterable of Values or of {{'params': [...]}} dicts, "
            f"got {type(params).__name__}"
        )
    items = list(params)
    groups: list[list[Any]] = []
    if items and all(isinstance(g, dict) for g in items):
        for k, g in enumerate(items):
            if set(g) != {"params"}:
                raise ValueError(
                    f"{owner}: params[{k}] must be {{'params': [...]}} only "
                    f"(hyperparameters come from the torch optimizer), got keys {sorted(g)}"
                )
            groups.append(list(g["params"]))
        if len(groups) != len(torch_groups):
            raise ValueError(
                f"{owner}: the torch optimizer has {len(torch_groups)} param groups, "
                f"params {len(groups)}"
            )
    else:
        sizes = [sum(t.numel() for t in g["params"]) for g in torch_groups]
        if len(items) != sum(sizes):
            raise ValueError(
                f"{owner}: the torch optimizer has {sum(sizes)} numbers, params has "
                f"{len(items)} Values"
            )
        start = 0
        for size in sizes:
            groups.append(items[start : start + size])
            start += size
    for k, values in enumerate(groups):
        for i, p in enumerate(values):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{owner}: group {k} item {i} must be a Value, got {type(p).__name__}"
                )
    return groups


def _fields_from_torch(
    torch: Any, owner: str, cls: type[_optim.Optimizer], t: Any, tstate: dict[str, Any]
) -> dict[str, Any]:
    """Tensor ``t``'s torch state as field -> ``step`` (a float) or the flat list of values."""
    fields: dict[str, Any] = {}
    for field, v in tstate.items():
        if v is None:  # torch keeps None for a buffer it has not made yet
            continue
        if field not in cls.state_names:
            raise ValueError(
                f"{owner}: torch {cls.torch_name} state has an unknown field {field!r}"
            )
        if field == "step":
            fields[field] = float(v.item() if isinstance(v, torch.Tensor) else v)
        elif tuple(v.shape) != tuple(t.shape):
            raise ValueError(
                f"{owner}: state {field!r} of a {tuple(t.shape)} parameter has "
                f"shape {tuple(v.shape)}"
            )
        else:
            fields[field] = v.detach().cpu().to(torch.float64).reshape(-1).tolist()
    return fields


def optimizer_from_torch(torch_opt: Any, params: Any) -> _optim.Optimizer:
    """The ``nn.optim`` twin of ``torch_opt`` over the engine ``params``, state carried over.

    ``params`` are the engine parameters in nn order: an iterable of Values (split between
    groups by the torch groups' sizes), a Module (its ``parameters()``), or one
    ``{"params": [...]}`` dict per torch group. They must equal the torch parameters' numbers
    one for one (import the model with ``from_torch`` first). ``torch_opt`` must be the twin
    of a class in ``nn.optim.OPTIMIZERS``; the result is of that class, with the same
    defaults, per-group hyperparameters (``initial_lr`` too) and state, each tensor's state
    split into its scalars; torch's implementation switches (``foreach``, ``fused``,
    ``capturable``, ``differentiable``) are dropped. Everything is checked by the engine
    optimizer's constructor and ``load_state_dict`` before it is returned; ``torch_opt`` is
    not changed.
    """
    torch = _torch()
    owner = "optimizer_from_torch"
    cls = _registered(torch, torch_opt, owner, "torch")
    torch_groups = torch_opt.param_groups
    groups = _engine_groups(owner, params, torch_groups)
    our_groups: list[dict[str, Any]] = []
    state: dict[int, dict[str, float]] = {}
    index = 0
    for k, (tgroup, values) in enumerate(zip(torch_groups, groups, strict=True)):
        tensors = list(tgroup["params"])
        order = _pairs(torch, owner, values, tensors, k)
        per_tensor = [
            _fields_from_torch(torch, owner, cls, t, torch_opt.state.get(t) or {}) for t in tensors
        ]
        for i, j in order:
            if fields := per_tensor[i]:
                state[index] = {f: (v if f == "step" else v[j]) for f, v in fields.items()}
            index += 1
        hyper = {
            key: _plain(torch, v)
            for key, v in tgroup.items()
            if key != "params" and key not in _IMPLEMENTATION_KEYS
        }
        our_groups.append({"params": values, **hyper})
    accepted = inspect.signature(cls).parameters
    defaults = {
        key: _plain(torch, v)
        for key, v in torch_opt.defaults.items()
        if key in accepted and key not in _IMPLEMENTATION_KEYS
    }
    opt = cls(our_groups, **defaults)
    packed = opt.state_dict()["param_groups"]
    opt.load_state_dict({"state": state, "param_groups": packed})
    opt.stepped = bool(getattr(torch_opt, "_opt_called", False))
    return opt


# -- schedules ----------------------------------------------------------------------


def _same_lrs(owner: str, source: Any, target: Any) -> None:
    ours = [float(g["lr"]) for g in source.param_groups]
    theirs = [float(g["lr"]) for g in target.param_groups]
    if ours != theirs:
        raise ValueError(
            f"{owner}: the schedule's optimizer has lrs {ours} but the target optimizer "
            f"{theirs}: carry the optimizer over first, at the same point"
        )


def _move_schedule(owner: str, sched: Any, target_cls: Any, target_opt: Any, name: str) -> Any:
    arguments, position = _SCHEDULES[name]
    kwargs = {key: getattr(sched, key) for key in arguments}
    if name == "ReduceLROnPlateau":
        default = sched.default_min_lr
        kwargs["min_lr"] = list(sched.min_lrs) if default is None else default
    new = target_cls(target_opt, **kwargs)
    for key in position:
        setattr(new, key, copy.deepcopy(getattr(sched, key)))
    return new


def scheduler_to_torch(sched: _schedules.LRScheduler, torch_opt: Any) -> Any:
    """The ``torch.optim.lr_scheduler`` twin of ``sched``, driving ``torch_opt``.

    ``torch_opt`` is ``optimizer_to_torch(sched.optimizer, ...)``: it already holds the lrs
    and ``initial_lr`` (checked: its lrs must equal ``sched.optimizer``'s). The result is
    built with ``sched``'s arguments (``step_size``, ``gamma``; ReduceLROnPlateau's ``mode``,
    ``factor``, ``patience``, ``threshold``, ``threshold_mode``, ``cooldown``, ``min_lr``,
    ``eps``), which leaves the lrs as they are, and then given ``sched``'s position:
    ``last_epoch``, ``base_lrs``, the step count and last lrs (StepLR, ExponentialLR), or
    ``best``, ``num_bad_epochs``, ``cooldown_counter`` and ``min_lrs`` (ReduceLROnPlateau).
    """
    torch = _torch()
    owner = "scheduler_to_torch"
    name = _class_name(sched, _schedules, _SCHEDULES, owner)
    if not isinstance(torch_opt, torch.optim.Optimizer):
        raise TypeError(
            f"{owner}: torch_opt must be a torch.optim.Optimizer, got {type(torch_opt).__name__}"
        )
    _same_lrs(owner, sched.optimizer, torch_opt)
    return _move_schedule(owner, sched, getattr(torch.optim.lr_scheduler, name), torch_opt, name)


def scheduler_from_torch(torch_sched: Any, opt: _optim.Optimizer) -> _schedules.LRScheduler:
    """The ``nn.schedules`` twin of ``torch_sched``, driving the engine optimizer ``opt``.

    ``opt`` is ``optimizer_from_torch(torch_sched.optimizer, ...)`` (its lrs must equal
    torch's). The mirror image of ``scheduler_to_torch``: same class, arguments and
    position, checked by the engine schedule's constructor.
    """
    torch = _torch()
    owner = "scheduler_from_torch"
    name = _class_name(torch_sched, torch.optim.lr_scheduler, _SCHEDULES, owner)
    if not isinstance(opt, _optim.Optimizer):
        raise TypeError(f"{owner}: opt must be an nn.optim Optimizer, got {type(opt).__name__}")
    _same_lrs(owner, torch_sched.optimizer, opt)
    new: _schedules.LRScheduler = _move_schedule(
        owner, torch_sched, getattr(_schedules, name), opt, name
    )
    if isinstance(new, _schedules.ReduceLROnPlateau):
        new.best = float(new.best)
    return new
