"""Weight constraints applied after an optimizer step: the max-norm constraint.

Max-norm (Srivastava et al., 2014, used with dropout) bounds the length of each
neuron's incoming weight vector w = (w_0, ..., w_{nin-1}) (the bias is not part
of it): after every update, a vector longer than c is scaled back onto the ball
of radius c. ``fit(..., max_norm=c)`` calls ``max_norm_`` after each step.
"""

from __future__ import annotations

import math

from autograd_engine.validation import check_real
from nn.module import Module, Neuron

__all__ = ["max_norm_"]

RENORM_EPS = 1e-7
"""torch.renorm divides by (norm + 1e-7); so does max_norm_, to give the same numbers."""


def check_max_norm(max_norm: object, owner: str = "max_norm_") -> float:
    """``max_norm`` as a float, or a TypeError/ValueError starting with ``owner``."""
    return check_real(owner, "max_norm", max_norm, min=0.0)


def max_norm_(model: Module, max_norm: float) -> int:
    """Rescale, in place, every neuron's incoming weights to a 2-norm of at most ``max_norm``.

    For each ``Neuron`` in ``model.modules()`` (every layer, the output layer too),
    with ``norm = sqrt(sum_i w_i^2)`` over its weights (not its bias)::

        w_i <- w_i * (max_norm / (norm + 1e-7))   if norm > max_norm, else unchanged

    exactly what ``torch.renorm(W, p=2, dim=0, maxnorm=max_norm)`` does to a
    ``torch.nn.Linear`` weight matrix W (one row per neuron). The 1e-7 makes the
    new norm a hair below ``max_norm``. Only ``.data`` changes: no graph, no
    gradient. Returns how many neurons were rescaled.
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"max_norm_: model must be an nn Module (Neuron, Layer, MLP), "
            f"got {type(model).__name__}"
        )
    c = check_max_norm(max_norm)
    rescaled = 0
    for neuron in model.modules():
        if not isinstance(neuron, Neuron):
            continue
        norm = math.sqrt(sum(w.data * w.data for w in neuron.w))
        if norm > c:
            factor = c / (norm + RENORM_EPS)
            for w in neuron.w:
                w.data = w.data * factor
            rescaled += 1
    return rescaled
