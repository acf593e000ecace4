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
import numbers
import os
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd_engine import Value
from autograd_engine.files import write_atomic

__all__ = ["ACTIVATIONS", "Module", "Neuron", "Layer", "MLP"]

ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": lambda v: v,
}
"""Activation name -> function on a Value: relu = max(x, 0), tanh, sigmoid = 1/(1+e^-x),
linear = x."""


def _check_activation(name: object, argument: str) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        choices = ", ".join(repr(k) for k in ACTIVATIONS)
        raise ValueError(f"{argument}: unknown activation {name!r}; choose one of {choices}")
    return name


def _check_count(n: object, argument: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{argument} must be a positive int, got {n!r}")
    return int(n)


def _check_inputs(owner: str, x: object, nin: int) -> None:
    if not isinstance(x, Sequence) or isinstance(x, str):
        raise TypeError(
            f"{owner}: expected a list of {nin} inputs (numbers or Values), "
            f"got {type(x).__name__} {x!r}"
        )
    if len(x) != nin:
        raise ValueError(f"{owner}: expected {nin} inputs, got {len(x)}")


def _rng(seed: int | None, rng: random.Random | None) -> random.Random:
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    return random.Random(seed)


class Module:
    """Base class: anything with parameters.

    A subclass defines ``named_parameters()`` (names in ``parameters()`` order) and
    ``architecture()`` (a JSON-friendly description checked on load). Everything
    else (``parameters``, ``zero_grad``, ``state_dict``, ``load_state_dict``,
    ``save``, ``load``) is built on those two.
    """

    def named_parameters(self) -> list[tuple[str, Value]]:
        """[(name, parameter)], in ``parameters()`` order."""
        raise NotImplementedError

    def architecture(self) -> dict[str, Any]:
        """The shape of the model as a JSON-friendly dict (saved with the parameters)."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every trainable Value: layer by layer, neuron by neuron, weights then bias."""
        return [p for _, p in self.named_parameters()]

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
        ``"architecture"`` (if present) must equal this model's. Anything else
        raises ValueError/TypeError naming the problem, before any parameter is
        changed: the model is left exactly as it was.
        """
        named = self.named_parameters()
        values = _validated(state, self.architecture(), [name for name, _ in named])
        for (_, p), v in zip(named, values, strict=True):
            p.data = v

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` to ``path`` as JSON, atomically.

        The JSON goes to a temporary file in the same directory, is flushed and
        fsynced, then renamed over ``path`` (``os.replace``): a reader sees the old
        file or the new one, never half of one, even if writing fails midway.
        """
        write_atomic(path, json.dumps(self.state_dict(), indent=1, allow_nan=False))

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load parameters saved by ``save`` into this model; returns the model.

        A file that is not JSON or does not fit this model raises ValueError naming
        the file, and the model is left exactly as it was.
        """
        path = os.fspath(path)
        try:
            with open(path, encoding="utf-8") as f:
                state = json.loads(f.read())
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"load: {path!r} is not valid JSON ({error})") from error
        try:
            self.load_state_dict(state)
        except (TypeError, ValueError) as error:
            raise type(error)(f"load: {path!r} does not fit this model: {error}") from error
        return self


def _validated(state: object, architecture: dict[str, Any], names: list[str]) -> list[float]:
    """The parameter values of ``state`` in ``names`` order, or an error naming the misfit."""
    if not isinstance(state, Mapping):
        raise TypeError(f"load_state_dict: expected a dict, got {type(state).__name__}")
    unknown = sorted(set(state) - {"architecture", "parameters"})
    if unknown:
        raise ValueError(f"load_state_dict: unexpected top-level keys {unknown}")
    if "parameters" not in state:
        raise ValueError("load_state_dict: missing the 'parameters' key")
    if "architecture" in state and state["architecture"] != architecture:
        raise ValueError(
            f"load_state_dict: architecture {state['architecture']!r} does not match "
            f"this model's {architecture!r}"
        )
    params = state["parameters"]
    if not isinstance(params, Mapping):
        raise TypeError(
            f"load_state_dict: 'parameters' must be a dict, got {type(params).__name__}"
        )
    known = set(names)
    missing = [n for n in names if n not in params]
    unexpected = [k for k in params if k not in known]
    if missing or unexpected:
        raise ValueError(
            f"load_state_dict: expected {len(names)} parameters, got {len(params)}; "
            f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    values = []
    for n in names:
        v = params[n]
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(
                f"load_state_dict: parameter {n!r} must be a real number, "
                f"got {type(v).__name__} {v!r}"
            )
        try:
            v = float(v)
        except OverflowError:  # an integer beyond the float range
            v = math.inf
        if not math.isfinite(v):
            raise ValueError(f"load_state_dict: parameter {n!r} must be finite, got {v!r}")
        values.append(v)
    return values


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
        self.activation = _check_activation(activation, "Neuron: activation")
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
        _check_inputs("Neuron", x, self.nin)
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
        self.activation = _check_activation(activation, "Layer: activation")
        rng = _rng(seed, rng)
        self.neurons = [Neuron(self.nin, activation, rng=rng) for _ in range(self.nout)]
        self._name("L0")

    def _name(self, prefix: str) -> None:
        """Label neuron ``j``'s nodes ``{prefix}.n{j}.*`` (see ``Neuron._name``)."""
        for j, neuron in enumerate(self.neurons):
            neuron._name(f"{prefix}.n{j}")

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        """[neuron(x) for each neuron]: a list even when ``nout == 1``."""
        _check_inputs("Layer", x, self.nin)
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
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = 0,
    ) -> None:
        self.nin = _check_count(nin, "MLP: nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        self.nouts = [_check_count(n, "MLP: each layer size in nouts") for n in nouts]
        self.activation = _check_activation(activation, "MLP: activation")
        self.output_activation = _check_activation(output_activation, "MLP: output_activation")
        rng = random.Random(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], output_activation if i == last else activation, rng=rng)
            for i in range(len(self.nouts))
        ]
        for k, layer in enumerate(self.layers):
            layer._name(f"L{k}")

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The last layer's outputs; a single Value if it has one output."""
        _check_inputs("MLP", x, self.nin)
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Layer by layer: "layers.{k}.neurons.{j}.w.{i}" then "layers.{k}.neurons.{j}.b"."""
        return [
            (f"layers.{k}.{name}", p)
            for k, layer in enumerate(self.layers)
            for name, p in layer.named_parameters()
        ]

    def architecture(self) -> dict[str, Any]:
        """{"type": "MLP", "nin", "nouts", "activation", "output_activation"}."""
        return {
            "type": "MLP",
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": self.output_activation,
        }

    def __repr__(self) -> str:
        return (
            f"MLP(nin={self.nin}, nouts={self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r})"
        )
