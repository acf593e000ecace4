"""autograd-engine: a scalar reverse-mode autodiff engine for learning backpropagation.

>>> from autograd_engine import Value
>>> x = Value(2.0, label="x")
>>> y = x * x * 3 + 1          # y = 3x^2 + 1
>>> y.backward()
>>> x.grad                     # dy/dx = 6x
12.0
"""

from autograd_engine.derivatives import grad, hessian
from autograd_engine.forward import jvp
from autograd_engine.gradcheck import GradcheckError, gradcheck
from autograd_engine.graph import topological_order, zero_grad
from autograd_engine.mode import is_grad_enabled, no_grad
from autograd_engine.ops import ALL_OPS, Op
from autograd_engine.value import Value
from autograd_engine.viz import backward_steps, draw_dot, save_svg

__all__ = [
    "ALL_OPS",
    "GradcheckError",
    "Op",
    "Value",
    "backward_steps",
    "draw_dot",
    "gradcheck",
    "grad",
    "hessian",
    "is_grad_enabled",
    "jvp",
    "no_grad",
    "save_svg",
    "topological_order",
    "zero_grad",
]
