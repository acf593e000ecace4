"""Worked examples that people check with pen and paper.

``sigmoid_neuron`` is the worked example 3.1.2 of the lecture notes "Backpropagation
and Optimization" (section 3, notes by Philippe Laban):
``f = sigmoid(w0*x0 + w1*x1 + w2)`` at ``w = (2, -3, -3)``, ``x = (-1, -2)``.

By hand: ``z = 2*(-1) + (-3)*(-2) + (-3) = 1``, ``f = sigmoid(1) = 0.7311``,
``df/dz = f(1 - f) = 0.1966``; then ``df/dw0 = x0 df/dz = -0.1966``,
``df/dw1 = x1 df/dz = -0.3932``, ``df/dw2 = df/dz = 0.1966``,
``df/dx0 = w0 df/dz = 0.3932``, ``df/dx1 = w1 df/dz = -0.5898``
(the notes round them to ``dw = (-0.20, -0.4, 0.2)``).
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd_engine.core.value import Value
from autograd_engine.validation import is_real

__all__ = ["sigmoid_neuron"]


def sigmoid_neuron(
    w: Sequence[float] = (2.0, -3.0, -3.0), x: Sequence[float] = (-1.0, -2.0)
) -> tuple[Value, dict[str, Value]]:
    """Build f = sigmoid(w0*x0 + w1*x1 + w2); return ``(f, nodes by label)``.

    Every node is labelled: the leaves ``w0 w1 w2 x0 x1`` and the intermediates
    ``w0x0 = w0*x0``, ``w1x1 = w1*x1``, ``s = w0x0 + w1x1``, ``z = s + w2`` and
    ``f = sigmoid(z)``; the dict maps each label to its node. Gradients are left at
    0: call ``f.backward()`` to fill them.
    """
    w = _numbers(w, 3, "w")
    x = _numbers(x, 2, "x")
    w0, w1, w2 = (Value(v, label=f"w{i}") for i, v in enumerate(w))
    x0, x1 = (Value(v, label=f"x{i}") for i, v in enumerate(x))
    nodes = {"w0": w0, "w1": w1, "w2": w2, "x0": x0, "x1": x1}
    for name, node in (("w0x0", w0 * x0), ("w1x1", w1 * x1)):
        node.label = name
        nodes[name] = node
    s = nodes["w0x0"] + nodes["w1x1"]
    s.label = "s"
    z = s + w2
    z.label = "z"
    f = z.sigmoid()
    f.label = "f"
    nodes.update(s=s, z=z, f=f)
    return f, nodes


def _numbers(values: object, n: int, name: str) -> list[float]:
    """``values`` as a list of ``n`` real numbers, or a clear error naming ``name``."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise TypeError(
            f"sigmoid_neuron: {name} must be a sequence of {n} numbers, got "
            f"{type(values).__name__} {values!r}"
        )
    if len(values) != n:
        raise ValueError(
            f"sigmoid_neuron: {name} must have {n} numbers, got {len(values)}: {values!r}"
        )
    for i, v in enumerate(values):
        if not is_real(v):
            raise TypeError(
                f"sigmoid_neuron: {name}[{i}] must be a real number, got {type(v).__name__} {v!r}"
            )
    return [float(v) for v in values]
