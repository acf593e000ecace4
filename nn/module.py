"""Module, Neuron, Layer, MLP: a tiny neural-network layer built only from ``Value`` arithmetic.

A neuron computes ``act(w . x + b)``; its weighted sum is one fused ``dot`` node
(``Value.dot``), so a neuron adds three nodes to the graph (dot, add, activation)
whatever its fan-in, which is what keeps training fast.

Initialisation (the rule ``torch.nn.Linear`` uses by default): every weight and
bias of a neuron with ``nin`` inputs is drawn from ``uniform(-1/sqrt(nin),
1/sqrt(nin))``, in ``parameters()`` order, from ``random.Random(seed)``: never the
global random state, so the same seed gives the same network everywhere.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd_engine import Value
from autograd_engine.compiler import runtime_constant
from autograd_engine.files import write_atomic
from autograd_engine.validation import (
    array_as_list,
    check_choice,
    check_instance,
    check_int,
    check_keys,
    check_mapping,
    check_real,
    check_sequence,
    is_real,
    seeded,
    show,
)

__all__ = ["ACTIVATIONS", "ARCHITECTURES", "Module", "Neuron", "Layer", "MLP", "load"]

ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,  # negative_slope 0.01, as torch.nn.LeakyReLU()
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": lambda v: v,
}
"""Activation name -> function on a Value: relu = max(x, 0), tanh, sigmoid = 1/(1+e^-x),
linear = x."""


MAX_LAYER_PARAMETERS = 10**7
"""The most parameters one layer may have (about 1 GB of Values): a larger size is a
ValueError at once rather than an allocation that never finishes."""


def _check_count(n: object, argument: str) -> int:
    owner, _, arg = argument.partition(": ")
    return check_int(owner, arg, n, min=1, max=MAX_LAYER_PARAMETERS)


def _check_layer_size(owner: str, nin: int, nout: int) -> None:
    if (nin + 1) * nout > MAX_LAYER_PARAMETERS:
        raise ValueError(
            f"{owner}: nin={nin}, nout={nout} make {(nin + 1) * nout} parameters, more than "
            f"MAX_LAYER_PARAMETERS={MAX_LAYER_PARAMETERS}"
        )


def _check_inputs(owner: str, x: object, nin: int) -> Sequence[Any]:
    """``x`` (a list, tuple or numpy array of ``nin`` numbers or Values) as a sequence."""
    x = array_as_list(x)
    if not isinstance(x, Sequence) or isinstance(x, str):
        raise TypeError(
            f"{owner}: expected a list of {nin} inputs (numbers or Values), got {show(x)}"
        )
    if len(x) != nin:
        raise ValueError(f"{owner}: expected {nin} inputs, got {len(x)}")
    types = set(map(type, x))
    if types <= {Value}:  # Values are always finite: nothing to check
        return x
    if types <= {Value, float} and all(v - v == 0.0 for v in x if type(v) is float):
        return x  # finite floats and Values: the common case, checked cheaply
    for i, v in enumerate(x):
        if not isinstance(v, Value):
            if not is_real(v):
                raise TypeError(
                    f"{owner}: input x[{i}] must be a Value or a real number, got {show(v)}"
                )
            check_real(owner, f"input x[{i}]", v)
    return x


def _rng(seed: int | None, rng: random.Random | None) -> random.Random:
    if rng is not None:
        return check_instance("Module", "rng", rng, random.Random)
    return seeded("Module", seed)


class Module:
    """Base class: anything with parameters.

    A subclass defines ``named_parameters()`` (names in ``parameters()`` order) and
    ``architecture()`` (a JSON-friendly description checked on load). Everything
    else (``parameters``, ``zero_grad``, ``state_dict``, ``load_state_dict``,
    ``save``, ``load``) is built on those two.

    ``training`` says whether the module is in training mode (True, the default, as
    in PyTorch) or evaluation mode; ``train()`` and ``eval()`` switch it for the
    module and every submodule. Only dropout (``MLP(..., dropout=p)``) behaves
    differently in the two modes.
    """

    training: bool = True

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(name, parameter)], in ``parameters()`` order."""
        raise NotImplementedError

    def architecture(self) -> dict[str, Any]:
        """The shape of the model as a JSON-friendly dict (saved with the parameters)."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every trainable Value: layer by layer, neuron by neuron, weights then bias."""
        return [p for _, p in self.named_parameters()]

    def children(self) -> list[Module]:
        """The direct submodules: attributes that are Modules, or lists/tuples of Modules."""
        found: list[Module] = []
        for value in vars(self).values():
            if isinstance(value, Module):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                found.extend(v for v in value if isinstance(v, Module))
        return found

    def modules(self) -> list[Module]:
        """This module and every submodule below it, depth first, in attribute order."""
        # An explicit stack, not recursion (the project never recurses over structures).
        # Each module once, even if two attributes (or a cycle) reach it.
        order: list[Module] = []
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            order.append(module)
            stack.extend(reversed(module.children()))
        return order

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode, here and in every submodule.

        As ``torch.nn.Module.train``: sets ``training = mode`` on ``modules()`` and
        returns the module itself, so ``model = MLP(...).eval()`` works.
        """
        if not isinstance(mode, bool):
            raise TypeError(
                f"{type(self).__name__}.train: mode must be a bool, got {type(mode).__name__} "
                f"{mode!r}"
            )
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``. Dropout is off: the network is deterministic."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set ``p.grad = 0.0`` for every parameter (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, Any]:
        """{"architecture": {...}, "parameters": {name: float}}: plain JSON-friendly data."""
        return {
            "architecture": self.architecture(),
            "parameters": {name: p.data for name, p in self.named_parameters()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy the parameter values in ``state`` into this model.

        ``state`` is what ``state_dict()`` returns: its ``"parameters"`` must have
        exactly this model's names, each a finite real number, and its
        ``"architecture"`` (if present) must describe this model. Anything else
        raises ValueError/TypeError naming the problem, before any parameter is
        changed: the model is left exactly as it was.
        """
        named = self.named_parameters()
        values = _validated(state, self.architecture(), [name for name, _ in named])
        for (_, p), v in zip(named, values, strict=True):
            p.data = v

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` to ``path`` as JSON, atomically (``write_atomic``).

        The JSON goes to a temporary file in the same directory, is flushed and
        fsynced, then renamed over ``path`` (``os.replace``): a reader sees the old
        file or the new one, never half of one, even if writing fails midway. An
        existing file keeps its permissions. A parameter that is not finite (set by
        hand: arithmetic never makes one) raises ValueError naming it; nothing is written.
        JSON is also the safe format for models from others (``pickle`` runs code).
        """
        check_instance("save", "path", path, (str, os.PathLike))
        for name, p in self.named_parameters():
            check_real("save", f"parameter {name!r}", p.data, label=p.label)
        try:
            text = json.dumps(self.state_dict(), indent=1, allow_nan=False)
        except ValueError as error:  # a user's architecture() holding nan or inf
            raise ValueError(
                f"save: the model's state_dict() is not JSON: {error} (a nan or inf outside "
                "the parameters, in architecture()?); nothing was written"
            ) from error
        write_atomic(path, text, owner="save")

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load parameters saved by ``save`` into this model; returns the model.

        A file that is not JSON or does not fit this model (another architecture,
        missing, extra or non-finite parameters) raises ValueError/TypeError naming
        the file, and the model is left exactly as it was. ``nn.load(path)`` builds
        the model the file describes instead.
        """
        state = read_state(path, "load")
        try:
            self.load_state_dict(state)
        except (TypeError, ValueError) as error:
            raise _in_file(error, f"load: {os.fspath(path)!r} does not fit this model") from error
        return self

    # -- pickle and deepcopy: the parameters, not any cached function --------------------

    def __getstate__(self) -> dict[str, Any]:
        # Bound functions chosen from ACTIVATIONS are rebuilt from the name on unpickling,
        # so an activation written as a lambda never makes a model unpicklable.
        state = dict(self.__dict__)
        if "_act" in state:
            state["_act"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_act" in state and state["_act"] is None:
            self._act = ACTIVATIONS[state["activation"]]


def _in_file(error: Exception, where: str) -> Exception:
    # The same kind of error with the file named first; a subclass with its own
    # constructor (UnicodeDecodeError...) becomes a plain ValueError.
    kind = type(error) if type(error) in (TypeError, ValueError) else ValueError
    message = str(error)
    if message.startswith("load: "):  # already says "load: <what>": put the file in between
        message = message[len("load: ") :]
    return kind(f"{where}: {message}")


class _HugeInt(int):
    """An integer too long for Python to read from text (thousands of digits).

    It stands in with a value beyond every float (so a parameter check says "not
    finite" and a size check finds far too many parameters) and shows its length.
    """

    digits: int

    def __repr__(self) -> str:
        return f"of {self.digits} digits"


_HugeInt.__name__ = "int"  # messages read "got int of 5000 digits"


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits < 4000:  # below Python's int-from-text limit (4300 digits by default)
        return int(text)
    huge = _HugeInt(-(10**4000) if text.startswith("-") else 10**4000)
    huge.digits = digits
    return huge


def read_state(path: str | os.PathLike[str], owner: str = "load") -> Any:
    """The JSON object in the file at ``path``, or a ValueError naming the file.

    Python's JSON reader recurses, so a deeply nested file is reported as such
    (never a RecursionError); an integer of thousands of digits is read as an
    infinite number (named later by the parameter check, never Python's
    int-conversion limit); NaN and Infinity are read, to be rejected by name.
    """
    check_instance(owner, "path", path, (str, os.PathLike))
    shown = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_parse_int)
    except UnicodeDecodeError as error:
        raise ValueError(f"{owner}: {shown!r} is not UTF-8 text ({error})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{owner}: {shown!r} is not valid JSON ({error})") from None
    except RecursionError:
        raise ValueError(f"{owner}: {shown!r} is nested too deeply to be a saved model") from None
    except ValueError as error:  # e.g. an int literal past sys.get_int_max_str_digits()
        raise ValueError(f"{owner}: {shown!r} cannot be read as JSON ({error})") from None


def _validated(state: object, architecture: dict[str, Any], names: list[str]) -> list[float]:
    """The parameter values of ``state`` in ``names`` order, or an error naming the misfit."""
    owner = "load_state_dict"
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}: expected a dict, got {show(state)}")
    unknown = sorted((k for k in state if k not in ("architecture", "parameters")), key=repr)
    if unknown:
        raise ValueError(f"{owner}: unexpected top-level keys {unknown[:5]}")
    if "parameters" not in state:
        raise ValueError(f"{owner}: missing the 'parameters' key")
    if "architecture" in state:
        saved = state["architecture"]
        kind = saved.get("type") if isinstance(saved, Mapping) else None
        if isinstance(kind, str) and kind in ARCHITECTURES:  # ours: checked, defaults filled
            saved = check_architecture(saved, owner)
            if architecture.get("type") == kind:  # both sides with defaults filled in
                architecture = check_architecture(architecture, owner)
        if saved != architecture:  # a user's own Module subclass is compared as saved
            raise ValueError(
                f"{owner}: architecture {saved!r} does not match this model's {architecture!r}"
            )
    params = state["parameters"]
    if not isinstance(params, Mapping):
        raise TypeError(f"{owner}: 'parameters' must be a dict, got {show(params)}")
    known = set(names)
    missing = [n for n in names if n not in params]
    unexpected = [k for k in params if k not in known]
    if missing or unexpected:
        raise ValueError(
            f"{owner}: expected {len(names)} parameters, got {len(params)}; "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    return [check_real(owner, f"parameter {n!r}", params[n]) for n in names]


class Neuron(Module):
    """One unit: ``act(w . x + b)`` with ``w . x = sum_i w_i x_i`` as one fused node.

    Weights and bias start as ``uniform(-1/sqrt(nin), 1/sqrt(nin))`` draws (weights in
    input order, then the bias) from ``rng`` if given, else ``random.Random(seed)``.
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        seed: int | None = 0,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count(nin, "Neuron: nin")
        self.activation = _activation("Neuron", "activation", activation)
        self._act = ACTIVATIONS[activation]
        rng = _rng(seed, rng)
        bound = 1.0 / math.sqrt(self.nin)
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(self.nin)]
        self.b = Value(rng.uniform(-bound, bound))
        self._name("n0")

    def _name(self, prefix: str) -> None:
        """Label every node this neuron makes by its place: ``{prefix}.w0``, ``.b``, ``.out``.

        A Layer renames its neurons ``L0.n{j}`` and an MLP its layers ``L{k}``, so in a
        drawing of an MLP each neuron is one group (``viz`` clusters a dotted prefix) and
        an optimizer error names one parameter, never one of several ``w0``. The strings
        are made here, once, so the forward pass only assigns them.
        """
        for i, w in enumerate(self.w):
            w.label = f"{prefix}.w{i}"
        self.b.label = f"{prefix}.b"
        self._labels = (f"{prefix}.dot", f"{prefix}.z", f"{prefix}.out")

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """act(dot(w, x) + b); ``x`` holds ``nin`` floats or Values.

        The nodes are labelled ``{prefix}.dot`` (w . x), ``{prefix}.z`` (+ b) and
        ``{prefix}.out`` (the activation; for "linear" z is the output and is so named).
        """
        x = _check_inputs("Neuron", x, self.nin)
        dot_label, z_label, out_label = self._labels
        d = Value.dot(self.w, x)
        d.label = dot_label
        z = d + self.b
        z.label = z_label
        out = self._act(z)
        out.label = out_label  # the same node as z for "linear"
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[("w.0", w_0), ..., ("w.{nin-1}", w_{nin-1}), ("b", b)]."""
        return [(f"w.{i}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

    def architecture(self) -> dict[str, Any]:
        """{"type": "Neuron", "nin": ..., "activation": ...}."""
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; calling it always returns a list."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        seed: int | None = 0,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.nin = _check_count(nin, "Layer: nin")
        self.nout = _check_count(nout, "Layer: nout")
        _check_layer_size("Layer", self.nin, self.nout)
        self.activation = _activation("Layer", "activation", activation)
        rng = _rng(seed, rng)
        self.neurons = [Neuron(self.nin, activation, rng=rng) for _ in range(self.nout)]
        self._name("L0")

    def _name(self, prefix: str) -> None:
        """Label neuron ``j``'s nodes ``{prefix}.n{j}.*`` (see ``Neuron._name``)."""
        for j, neuron in enumerate(self.neurons):
            neuron._name(f"{prefix}.n{j}")

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """[neuron(x) for each neuron]: a list even when ``nout == 1``."""
        x = _check_inputs("Layer", x, self.nin)
        return [n(x) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Neuron by neuron: "neurons.{j}.w.{i}" then "neurons.{j}.b"."""
        return [
            (f"neurons.{j}.{name}", p)
            for j, n in enumerate(self.neurons)
            for name, p in n.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        """{"type": "Layer", "nin": ..., "nout": ..., "activation": ...}."""
        return {
            "type": "Layer",
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
        }

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multilayer perceptron: ``Layer``s of sizes ``nouts`` applied in turn.

    Hidden layers use ``activation``; the last layer uses ``output_activation``
    ("linear" by default, so the model outputs scores/logits; "sigmoid" gives
    probabilities for ``binary_cross_entropy``). Calling it returns a single Value
    when the last layer has one output, else a list. ``seed`` seeds one
    ``random.Random`` shared, in order, by all layers.

    ``dropout=p`` (inverted dropout, as ``torch.nn.Dropout``): in training mode
    each hidden activation h (every layer's output but the last) is dropped with
    probability p and kept otherwise, the kept ones scaled so the expectation is
    unchanged::

        out = h * 0.0            if u < p   (label "<prefix>.dropped": passes no gradient)
        out = h * (1 / (1 - p))  otherwise  (label "<prefix>.kept")

    with one ``u = dropout_rng.random()`` per hidden unit per call, layer by layer,
    neuron by neuron. ``dropout_rng`` is the model's own ``random.Random``, seeded
    from ``seed`` (never the global random state), so a seeded run drops the same
    units every time. ``<prefix>`` is the unit's output label without its ``.out``
    (e.g. ``L0.n1``), so drawings name the dropped units. In evaluation mode
    (``model.eval()``), and whenever p = 0, no node is added: the output is exactly
    that of the same network without dropout.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = 0,
        dropout: float = 0.0,
    ) -> None:
        self.nin = _check_count(nin, "MLP: nin")
        self.dropout = _check_dropout(dropout)
        nouts = check_sequence("MLP", "nouts", nouts, what="layer sizes", min_len=1)
        self.nouts = [_check_count(n, "MLP: each layer size in nouts") for n in nouts]
        self.activation = _activation("MLP", "activation", activation)
        self.output_activation = _activation("MLP", "output_activation", output_activation)
        rng = _rng(seed, None)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng=rng)
            for i in range(len(self.nouts))
        ]
        for k, layer in enumerate(self.layers):
            layer._name(f"L{k}")
        # Drawn after every parameter, so dropout never changes the initial weights.
        self.dropout_rng = random.Random(rng.getrandbits(64))

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The last layer's outputs; a single Value if it has one output.

        In training mode with ``dropout > 0``, hidden activations go through dropout
        first (see the class docstring).
        """
        x = _check_inputs("MLP", x, self.nin)
        last = len(self.layers) - 1
        drop = self.training and self.dropout > 0.0
        h, out = x, []
        for k, layer in enumerate(self.layers):
            out = layer(h)
            if drop and k < last:
                out = self._drop(out, k)
            h = out
        return out[0] if len(out) == 1 else out

    def _drop(self, hidden: list[Value], k: int) -> list[Value]:
        # Inverted dropout on layer k's outputs. A dropped unit is multiplied by 0.0, not
        # removed, so it stays in the graph (and in drawings) and its gradient is exactly 0.
        p, rng = self.dropout, self.dropout_rng
        scale = 1.0 / (1.0 - p)  # torch: input * (bernoulli(1 - p) / (1 - p))

        def draw() -> float:  # the factor drawn anew on each call of a compiled step
            return 0.0 if rng.random() < p else scale

        out = []
        for j, h in enumerate(hidden):
            label = h.label
            prefix = label[: -len(".out")] if label.endswith(".out") else label or f"L{k}.n{j}"
            if rng.random() < p:
                v = h * runtime_constant(0.0, draw)
                v.label = f"{prefix}.dropped"
            else:
                v = h * runtime_constant(scale, draw)
                v.label = f"{prefix}.kept"
            out.append(v)
        return out

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Layer by layer: "layers.{k}.neurons.{j}.w.{i}" then "layers.{k}.neurons.{j}.b"."""
        return [
            (f"layers.{k}.{name}", p)
            for k, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        """{"type": "MLP", "nin", "nouts", "activation", "output_activation"}, plus
        "dropout" when it is not 0 (so files saved without dropout still load)."""
        arch: dict[str, Any] = {
            "type": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }
        if self.dropout:
            arch["dropout"] = self.dropout
        return arch

    def __repr__(self) -> str:
        extra = f", dropout={self.dropout!r}" if self.dropout else ""
        return (
            f"MLP(nin={self.nin}, nouts={self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}{extra})"
        )


def _dropout(owner: str, name: str, p: object) -> float:
    """The dropout probability as a float in [0, 1), or a TypeError/ValueError naming it."""
    return check_real(owner, name, p, min=0.0, max=1.0, max_open=True)


def _check_dropout(p: object) -> float:
    return _dropout("MLP", "dropout", p)


# -- models from files --------------------------------------------------------------------

_REQUIRED = object()


def _size(owner: str, name: str, x: object) -> int:
    return check_int(owner, name, x, min=1)


def _sizes(owner: str, name: str, x: object) -> list[int]:
    items = check_sequence(owner, name, x, what="layer sizes", min_len=1)
    return [_size(owner, f"{name}[{i}]", n) for i, n in enumerate(items)]


def _activation(owner: str, name: str, x: object) -> str:
    return check_choice(owner, name, x, ACTIVATIONS)


def _mlp_parameters(a: Mapping[str, Any]) -> int:
    sizes = [a["nin"], *a["nouts"]]
    return sum((sizes[k] + 1) * sizes[k + 1] for k in range(len(a["nouts"])))


ARCHITECTURES: dict[str, tuple[type[Module], dict[str, Any], Callable[..., int]]] = {
    # type: (class, {field: checker or (checker, default)}, number of parameters)
    "Neuron": (Neuron, {"nin": _size, "activation": _activation}, lambda a: a["nin"] + 1),
    "Layer": (
        Layer,
        {"nin": _size, "nout": _size, "activation": _activation},
        lambda a: (a["nin"] + 1) * a["nout"],
    ),
    "MLP": (
        MLP,
        {
            "nin": _size,
            "nouts": _sizes,
            "activation": _activation,
            "output_activation": _activation,
            "dropout": (_dropout, 0.0),  # files written before dropout existed lack it
        },
        _mlp_parameters,
    ),
}
"""What a saved architecture may say, one row per model type, read by ``nn.load``.

Each field maps to a checker ``(owner, name, value) -> value`` or to a pair
``(checker, default)`` for a field that older files may lack; the class is built as
``cls(**fields)``. The third entry counts the parameters the architecture has, so a
file is checked against its own parameter list before anything is allocated.
A new option is one more field here (and in the class's ``architecture()``).
"""


def check_architecture(architecture: object, owner: str = "load") -> dict[str, Any]:
    """The architecture dict normalised (defaults filled in), or an error naming the field."""
    arch = check_mapping(owner, "architecture", architecture)
    kind = check_choice(owner, "architecture['type']", arch.get("type"), ARCHITECTURES)
    _, fields, _ = ARCHITECTURES[kind]
    required = [k for k, f in fields.items() if not isinstance(f, tuple)]
    check_keys(owner, f"architecture of type {kind!r}", arch, ["type", *required], fields)
    out: dict[str, Any] = {"type": kind}
    for key, field in fields.items():
        check, default = field if isinstance(field, tuple) else (field, _REQUIRED)
        out[key] = check(owner, f"architecture[{key!r}]", arch[key]) if key in arch else default
    return out


def _many(n: int) -> str:
    """``n`` for a message; about ``10^k`` past 30 digits (a crafted file's count can have
    thousands, more than ``str`` of an int may print)."""
    if n < 10**30:
        return str(n)
    return f"about 10^{int(n.bit_length() * math.log10(2))}"


def load(path: str | os.PathLike[str]) -> Module:
    """Build the model that the file at ``path`` describes and load its parameters.

    The file is what ``Module.save`` writes: ``{"architecture": {"type": "MLP", ...},
    "parameters": {name: float}}``. The architecture is checked field by field
    (``ARCHITECTURES``) and against the number of parameters the file holds before
    any model is built, so a hostile size (``nin=10**9``) allocates nothing. Any
    misfit raises ValueError/TypeError naming the file. ``model.load(path)`` loads
    into an existing model instead.
    """
    state = read_state(path, "load")
    where = f"load: {os.fspath(path)!r}"
    try:
        state = check_mapping("load", "the file's content", state)
        if "architecture" not in state:
            raise ValueError(
                "load: the file has no 'architecture', so it cannot say which model to build; "
                "use model.load(path) on a model of the right shape"
            )
        arch = check_architecture(state["architecture"], "load")
        params = check_mapping("load", "'parameters'", state.get("parameters"))
        cls, _, count = ARCHITECTURES[arch["type"]]
        expected = count(arch)
        if expected != len(params):
            raise ValueError(
                f"load: the architecture has {_many(expected)} parameters but the file holds "
                f"{len(params)}"
            )
        model = cls(**{k: v for k, v in arch.items() if k != "type"})
        model.load_state_dict(state)
    except (TypeError, ValueError) as error:
        raise _in_file(error, where) from error
    return model
