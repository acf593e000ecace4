"""The functional interface: ``grad`` and ``hessian``, which write no ``.grad``."""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd_engine.core.graph import backprop
from autograd_engine.core.value import Value
from autograd_engine.validation import check_bool, check_instance, check_sequence

__all__ = ["grad", "hessian"]


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Value]:
    """[d output / d x for x in inputs], as Values; touches no ``.grad``.

    An input that ``output`` does not depend on gets 0. With ``create_graph=True``
    the results carry their own graph (built from the same ``vjp`` rules, run on
    Values), so they can be differentiated again, to any order; otherwise they are
    constant leaves.

    >>> x = Value(3.0)
    >>> y = x * x * x                           # y = x^3
    >>> [d.data for d in grad(y, [x])]          # 3x^2
    [27.0]
    >>> (dy,) = grad(y, [x], create_graph=True)
    >>> [d.data for d in grad(dy, [x])]         # 6x
    [18.0]
    >>> x.grad                                  # no .grad was written
    0.0
    """
    inputs = _check("grad", output, inputs)
    check_bool("grad", "create_graph", create_graph)
    seed = Value(1.0) if create_graph else 1.0
    _, grads = backprop(output, seed, create_graph=create_graph)
    results = []
    for i, x in enumerate(inputs):
        g = grads.get(x, 0.0)
        if isinstance(g, Value):
            results.append(g)
        elif math.isfinite(g):
            results.append(Value(g))
        else:
            raise FloatingPointError(
                f"grad: d output / d inputs[{i}] is not finite ({g!r})"
                + (f" (label {x.label!r})" if x.label else "")
            )
    return results


def hessian(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """H[i][j] = d^2 output / d x_i d x_j, by double backward.

    The gradient is built with ``create_graph=True``; each of its entries is then
    differentiated once more. Costs one backward sweep per input.

    >>> x, y = Value(1.0), Value(2.0)
    >>> hessian(x * x * y, [x, y])              # [[2y, 2x], [2x, 0]]
    [[4.0, 2.0], [2.0, 0.0]]
    """
    inputs = _check("hessian", output, inputs)
    first = grad(output, inputs, create_graph=True)
    return [[g.data for g in grad(d, inputs)] for d in first]


def _check(owner: str, output: object, inputs: object) -> list[Value]:
    """``inputs`` as a list of Values, or a TypeError naming ``owner`` and the argument."""
    check_instance(owner, "output", output, Value)
    if isinstance(inputs, Value):
        raise TypeError(
            f"{owner}: inputs must be a list of Values, e.g. [x], got one Value {inputs!r}"
        )
    items = check_sequence(owner, "inputs", inputs, what="Values")
    for i, x in enumerate(items):
        check_instance(owner, f"inputs[{i}]", x, Value)
    return items
