"""autograd-engine: a scalar reverse-mode autodiff engine for learning backpropagation.

>>> from autograd_engine import Value
>>> x = Value(2.0, label="x")
>>> y = x * x * 3 + 1          # y = 3x^2 + 1
>>> y.backward()
>>> x.grad                     # dy/dx = 6x
12.0

Importing the package loads the engine only (``core``): the pictures (``pictures``, and
graphviz with them) and gradient checking (``checking``) are imported the first time one of
their names is used (PEP 562's module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from autograd_engine.core.derivatives import grad, hessian
from autograd_engine.core.forward import jvp
from autograd_engine.core.graph import topological_order, zero_grad
from autograd_engine.core.mode import is_grad_enabled, no_grad
from autograd_engine.core.ops import ALL_OPS, Op
from autograd_engine.core.value import Value

if TYPE_CHECKING:  # for type checkers and editors; at run time these load on first use
    from autograd_engine.checking.gradient_check import GradcheckError, gradcheck
    from autograd_engine.compiler import CompiledStep, GuardError, compiled
    from autograd_engine.pictures.playback import Player, player
    from autograd_engine.pictures.viz import backward_steps, draw_dot, save_svg

# Name -> the module that defines it, imported on first use. Adding a lazy name is one line.
# A module or subpackage directly under this package must not share its name with a name
# exported here (``compiled`` lives in ``compiler``): importing it would set the package
# attribute to the module and hide the lazy function behind it.
_LAZY = {
    "CompiledStep": "autograd_engine.compiler",
    "GuardError": "autograd_engine.compiler",
    "compiled": "autograd_engine.compiler",
    "GradcheckError": "autograd_engine.checking.gradient_check",
    "gradcheck": "autograd_engine.checking.gradient_check",
    "Player": "autograd_engine.pictures.playback",
    "player": "autograd_engine.pictures.playback",
    "backward_steps": "autograd_engine.pictures.viz",
    "draw_dot": "autograd_engine.pictures.viz",
    "save_svg": "autograd_engine.pictures.viz",
}


def __getattr__(name: str) -> object:
    """Import a drawing name's module the first time the name is used, then keep the name."""
    if name not in _LAZY:
        raise AttributeError(f"module 'autograd_engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "ALL_OPS",
    "CompiledStep",
    "GradcheckError",
    "GuardError",
    "Op",
    "Player",
    "Value",
    "backward_steps",
    "compiled",
    "draw_dot",
    "gradcheck",
    "grad",
    "hessian",
    "is_grad_enabled",
    "jvp",
    "no_grad",
    "player",
    "save_svg",
    "topological_order",
    "zero_grad",
]
