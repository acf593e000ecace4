"""Hypothesis strategies for property-testing gradients: op domains and random graphs.

Two things to ``@given`` in your own tests:

``DOMAINS[op]`` — for every op of ``ops.ALL_OPS`` (keyed by name: ``"add"``, ...,
``"sum"``, ``"dot"``), a strategy of argument tuples where the op and its
derivatives are defined, finite and smooth, at least a margin away from kinks
(relu at 0) and poles (log at 0, negative powers at 0), so central differences
are accurate there.

``expressions()`` — random expression graphs over the engine's ops: several
inputs, any depth, shared sub-expressions (a node may be used many times), each
with an input point. An ``Expression`` is a straight-line program (a list of
``Instruction``), so it can be replayed on Values, on floats or on PyTorch tensors
and the results compared::

    from hypothesis import given
    from autograd_engine import gradcheck
    from autograd_engine.testing import expressions

    @given(expressions())
    def test_backward_matches_finite_differences(expr):
        assert gradcheck(expr, expr.inputs)

Every instruction keeps its ops inside their domains for *all* inputs, by
construction: ``log`` is taken of ``1 + a*a``, division is by ``1 + b*b``, a
non-integer or Value exponent has base ``1 + a*a``, integer powers are
non-negative, ``sqrt`` is taken of ``c + a*a`` with ``c >= 0.1``, ``log1p`` of
``a*a - c`` with ``c <= 0.9``. While drawing, the program is run on the input point: a step whose
value would leave ``[-BOUND, BOUND]`` is replaced by ``tanh`` of its operand (so
numbers stay moderate and finite differences stay accurate; ``|tan| <= BOUND``
keeps ``tan`` off its poles); ``relu`` and ``abs`` are applied to ``a + c`` with
``c`` chosen so the argument is at least ``RELU_MARGIN`` from the kink,
``softplus`` likewise from PyTorch's threshold 20, and a ``leaky_relu`` step
(``c`` is its slope) whose operand is within ``RELU_MARGIN`` of 0 becomes ``tanh``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, NamedTuple

from hypothesis import strategies as st

from autograd_engine.core import ops
from autograd_engine.core.value import Value, apply_op

__all__ = [
    "BOUND",
    "DOMAINS",
    "RELU_MARGIN",
    "TORCH_OP_NAMES",
    "Expression",
    "Instruction",
    "KINDS",
    "apply_op",
    "expressions",
    "finite_floats",
    "float_backend",
    "torch_backend",
    "torch_ops",
    "value_backend",
]

BOUND = 16.0
"""Every intermediate value of a drawn ``Expression`` lies in [-BOUND, BOUND] at its point."""

RELU_MARGIN = 0.05
"""A drawn relu argument is at least this far from the kink at 0 (much more than eps)."""


def finite_floats(min_value: float, max_value: float) -> st.SearchStrategy[float]:
    """Finite floats in [min_value, max_value], no nan, no infinity, no subnormals."""
    return st.floats(
        min_value=min_value,
        max_value=max_value,
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


def _away_from_zero(margin: float, limit: float) -> st.SearchStrategy[float]:
    # [-limit, -margin] or [margin, limit]: clear of a kink or pole at 0.
    return finite_floats(margin, limit) | finite_floats(-limit, -margin)


def _tuples(n: int, element: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*[element] * n)


# Constant exponents for "pow": integers work for any non-zero base, the rest need a
# positive base. 0 and 1 exercise the special cases a**0 = 1 and a**1 = a.
_INTEGER_EXPONENTS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)
_REAL_EXPONENTS = (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3, 1.7)

_POW_ARGS = st.tuples(_away_from_zero(0.25, 4.0), st.sampled_from(_INTEGER_EXPONENTS)) | st.tuples(
    finite_floats(0.25, 4.0), st.sampled_from(_REAL_EXPONENTS)
)


# leaky_relu's constant slopes: PyTorch's default, others, 0 (relu), negative, > 1.
_SLOPES = (0.01, 0.2, 0.0, -0.5, 1.5)


def _dot_args(n: int) -> st.SearchStrategy[tuple[float, ...]]:
    return _tuples(2 * n, finite_floats(-10.0, 10.0))


DOMAINS: dict[str, st.SearchStrategy[tuple[float, ...]]] = {
    # Each entry: argument tuples (in the op's parent order) where the op is smooth.
    # An op's constant inputs (op.constants: pow's exponent, rpow's base) must stay
    # numbers (apply_op refuses a Value there), e.g.
    # gradcheck(lambda a: apply_op(POW, a, k), [base]).
    "add": _tuples(2, finite_floats(-100.0, 100.0)),
    "mul": _tuples(2, finite_floats(-10.0, 10.0)),
    # (a, b) with |b| >= 0.25, clear of the pole at b = 0.
    "div": st.tuples(finite_floats(-10.0, 10.0), _away_from_zero(0.25, 10.0)),
    # (base, constant exponent); the base is >= 0.25 from the pole of negative powers.
    "pow": _POW_ARGS,
    # (base, exponent), base > 0: d/db a**b = a**b log a needs log a.
    "powv": st.tuples(finite_floats(0.25, 4.0), finite_floats(-3.0, 3.0)),
    # (constant base c > 0, exponent b): d/db c**b = c**b log c; c gets no gradient.
    "rpow": st.tuples(finite_floats(0.25, 4.0), finite_floats(-3.0, 3.0)),
    "exp": _tuples(1, finite_floats(-10.0, 10.0)),
    # At distance d from the pole the central-difference error is (eps/d)**2 / 3.
    "log": _tuples(1, finite_floats(0.05, 100.0)),
    "tanh": _tuples(1, finite_floats(-10.0, 10.0)),
    "sigmoid": _tuples(1, finite_floats(-20.0, 20.0)),
    # Clear of the kink at 0 by 1e-3, a thousand times the default eps.
    "relu": _tuples(1, _away_from_zero(1e-3, 10.0)),
    "sin": _tuples(1, finite_floats(-10.0, 10.0)),
    "cos": _tuples(1, finite_floats(-10.0, 10.0)),
    # Clear of the poles at +-pi/2 by 0.17: |tan| <= 5.8 there.
    "tan": _tuples(1, finite_floats(-1.4, 1.4)),
    # sqrt' = 1 / (2 sqrt a) is infinite at 0: keep 0.05 away, as for log.
    "sqrt": _tuples(1, finite_floats(0.05, 100.0)),
    "abs": _tuples(1, _away_from_zero(1e-3, 10.0)),
    # (a, constant negative_slope), a clear of the kink at 0 by 1e-3.
    "leaky_relu": st.tuples(_away_from_zero(1e-3, 10.0), st.sampled_from(_SLOPES)),
    # Both sides of PyTorch's threshold 20, 0.1 away from its jump of 2e-9.
    "softplus": _tuples(1, finite_floats(-40.0, 19.9) | finite_floats(20.1, 40.0)),
    # log1p is defined for a > -1: keep 0.05 from the pole.
    "log1p": _tuples(1, finite_floats(-0.95, 100.0)),
    "expm1": _tuples(1, finite_floats(-10.0, 10.0)),
    # n-ary: 1 to 6 summands.
    "sum": st.integers(1, 6).flatmap(lambda n: _tuples(n, finite_floats(-100.0, 100.0))),
    # n-ary: (w_1..w_n, x_1..x_n) for n = 1..4.
    "dot": st.integers(1, 4).flatmap(_dot_args),
}
"""Safe argument tuples per op name, covering every op of ``ops.ALL_OPS``.

Example: ``@given(DOMAINS["log"])`` draws ``(x,)`` with ``0.05 <= x <= 100``.
"""


# ``apply_op`` (re-exported above) builds a node for any Op, e.g. a home-made one::
#
#     BAD_EXP = Op("bad_exp", math.exp, lambda g, out, a: (2 * g * out,))
#     gradcheck(lambda x: apply_op(BAD_EXP, x), [1.0])   # raises GradcheckError


# -- backends: the same program on Values, floats or torch tensors ---------------


# The functions the templates call through a backend, each named as its op and its method.
BACKEND_FUNCTIONS = (
    "exp", "log", "tanh", "sigmoid", "relu", "sin", "cos", "tan", "sqrt", "abs",
    "leaky_relu", "softplus", "log1p", "expm1",
)  # fmt: skip


def value_backend() -> SimpleNamespace:
    """Functions to replay an ``Expression`` on ``Value`` objects (the engine's ops)."""
    functions = {name: getattr(Value, name) for name in BACKEND_FUNCTIONS}
    functions["abs"] = abs  # Python's abs(x), through Value.__abs__
    return SimpleNamespace(**functions, sum=Value.sum, dot=Value.dot)


def float_backend() -> SimpleNamespace:
    """Functions to replay an ``Expression`` on plain floats (the op table's forwards)."""
    by_name = {str(op): op for op in ops.ALL_OPS}
    return SimpleNamespace(
        **{name: by_name[name].forward for name in BACKEND_FUNCTIONS},
        sum=lambda xs: ops.SUM.forward(*xs),
        dot=lambda ws, xs: ops.DOT.forward(*ws, *xs),
    )


def torch_backend() -> SimpleNamespace:
    """Functions to replay an ``Expression`` on 0-d PyTorch tensors (imports torch).

    ``leaky_relu`` and ``softplus`` (beta=1, threshold=20, as ``ops.SOFTPLUS``) come from
    ``torch.nn.functional``, the others from ``torch``.
    """
    import torch
    import torch.nn.functional as F

    return SimpleNamespace(
        **{
            name: getattr(F if name in ("leaky_relu", "softplus") else torch, name)
            for name in BACKEND_FUNCTIONS
        },
        sum=lambda xs: torch.stack(list(xs)).sum(),
        dot=lambda ws, xs: torch.dot(torch.stack(list(ws)), torch.stack(list(xs))),
    )


# Each op of ALL_OPS as a PyTorch function of its parents, in the op's parent order;
# ``torch`` and ``F`` (torch.nn.functional) are passed in, so this table needs no torch.
# Constant inputs (pow's exponent, rpow's base, leaky_relu's slope) arrive as floats.
_TORCH_OPS: dict[str, Callable[..., Any]] = {
    "add": lambda torch, F, a, b: a + b,
    "mul": lambda torch, F, a, b: a * b,
    "div": lambda torch, F, a, b: a / b,
    "pow": lambda torch, F, a, k: a**k,
    "powv": lambda torch, F, a, b: a**b,
    "rpow": lambda torch, F, c, b: c**b,
    "exp": lambda torch, F, a: torch.exp(a),
    "log": lambda torch, F, a: torch.log(a),
    "tanh": lambda torch, F, a: torch.tanh(a),
    "sigmoid": lambda torch, F, a: torch.sigmoid(a),
    "relu": lambda torch, F, a: torch.relu(a),
    "sin": lambda torch, F, a: torch.sin(a),
    "cos": lambda torch, F, a: torch.cos(a),
    "tan": lambda torch, F, a: torch.tan(a),
    "sqrt": lambda torch, F, a: torch.sqrt(a),
    "abs": lambda torch, F, a: torch.abs(a),
    "leaky_relu": lambda torch, F, a, slope: F.leaky_relu(a, slope),
    "softplus": lambda torch, F, a: F.softplus(a, beta=1.0, threshold=20.0),
    "log1p": lambda torch, F, a: torch.log1p(a),
    "expm1": lambda torch, F, a: torch.expm1(a),
    "sum": lambda torch, F, *xs: torch.stack(xs).sum(),
    "dot": lambda torch, F, *xs: torch.dot(
        torch.stack(xs[: len(xs) // 2]), torch.stack(xs[len(xs) // 2 :])
    ),
}

TORCH_OP_NAMES: frozenset[str] = frozenset(_TORCH_OPS)
"""The op names ``torch_ops()`` maps (a test checks it is every op of ``ALL_OPS``)."""


def torch_ops() -> dict[str, Callable[..., Any]]:
    """Op name -> the same function on 0-d PyTorch tensors, parents in the op's order.

    Constant inputs (``op.constants``) are passed as plain floats. Imports torch.
    """
    import torch
    import torch.nn.functional as F

    return {name: functools.partial(f, torch, F) for name, f in _TORCH_OPS.items()}


# -- instructions -------------------------------------------------------------------

# kind -> (formula shown by str(), number of operands or None for n-ary, template).
# A template computes the step from the backend ``b``, the operands ``v`` and the
# constant ``c``, using only operators and backend functions, so it runs unchanged
# on Values, floats and tensors. Each is defined for every real operand.
_Template = Callable[[Any, Sequence[Any], float], Any]
TEMPLATES: dict[str, tuple[str, int | None, _Template]] = {
    "add": ("{0} + {1}", 2, lambda b, v, c: v[0] + v[1]),
    "sub": ("{0} - {1}", 2, lambda b, v, c: v[0] - v[1]),
    "mul": ("{0} * {1}", 2, lambda b, v, c: v[0] * v[1]),
    "div": ("{0} / (1 + {1}*{1})", 2, lambda b, v, c: v[0] / (1.0 + v[1] * v[1])),
    "neg": ("-{0}", 1, lambda b, v, c: -v[0]),
    "scale": ("{c} * {0}", 1, lambda b, v, c: c * v[0]),
    "shift": ("{0} + {c}", 1, lambda b, v, c: v[0] + c),
    "pow": ("{0} ** {c}", 1, lambda b, v, c: v[0] ** c),  # c in {0, 1, 2, 3}
    "pow_pos": ("(1 + {0}*{0}) ** {c}", 1, lambda b, v, c: (1.0 + v[0] * v[0]) ** c),
    "powv": ("(1 + {0}*{0}) ** {1}", 2, lambda b, v, c: (1.0 + v[0] * v[0]) ** v[1]),
    "rpow": ("{c} ** {0}", 1, lambda b, v, c: c ** v[0]),  # c in {0.5, 2, 3}
    "exp": ("exp({0})", 1, lambda b, v, c: b.exp(v[0])),
    "log": ("log(1 + {0}*{0})", 1, lambda b, v, c: b.log(1.0 + v[0] * v[0])),
    "tanh": ("tanh({0})", 1, lambda b, v, c: b.tanh(v[0])),
    "sigmoid": ("sigmoid({0})", 1, lambda b, v, c: b.sigmoid(v[0])),
    "relu": ("relu({0} + {c})", 1, lambda b, v, c: b.relu(v[0] + c)),
    "sin": ("sin({0})", 1, lambda b, v, c: b.sin(v[0])),
    "cos": ("cos({0})", 1, lambda b, v, c: b.cos(v[0])),
    "tan": ("tan({0})", 1, lambda b, v, c: b.tan(v[0])),  # |tan| <= BOUND keeps off poles
    "sqrt": ("sqrt({c} + {0}*{0})", 1, lambda b, v, c: b.sqrt(c + v[0] * v[0])),  # c > 0
    "abs": ("abs({0} + {c})", 1, lambda b, v, c: b.abs(v[0] + c)),  # kink margin as relu
    # c is the slope; the operand is kept RELU_MARGIN from the kink (else the step is tanh).
    "leaky_relu": ("leaky_relu({0}, {c})", 1, lambda b, v, c: b.leaky_relu(v[0], c)),
    # c shifts the argument to both sides of the threshold 20, kept RELU_MARGIN from it.
    # (minus c again, so a result past the threshold stays within BOUND).
    "softplus": ("softplus({0} + {c}) - {c}", 1, lambda b, v, c: b.softplus(v[0] + c) - c),
    "log1p": ("log1p({0}*{0} - {c})", 1, lambda b, v, c: b.log1p(v[0] * v[0] - c)),  # c < 1
    "expm1": ("expm1({0})", 1, lambda b, v, c: b.expm1(v[0])),
    "sum": ("sum({all})", None, lambda b, v, c: b.sum(v)),
    "dot": ("dot({half})", None, lambda b, v, c: b.dot(v[: len(v) // 2], v[len(v) // 2 :])),
}

KINDS: tuple[str, ...] = tuple(TEMPLATES)
"""The instruction kinds an ``Expression`` is built from (they use every op of ALL_OPS)."""

_KINKED = ("relu", "abs", "softplus")  # a shift c keeps the argument clear of the kink
_KINKS = {"relu": 0.0, "abs": 0.0, "softplus": ops.SOFTPLUS_THRESHOLD}
_INTEGER_POWERS = (0.0, 1.0, 2.0, 3.0)
_POS_POWERS = (-1.5, -1.0, -0.5, 0.5, 1.5, 2.5)
_POS_BASES = (0.5, 2.0, 3.0)


class Instruction(NamedTuple):
    """One step of an ``Expression``: ``kind`` applied to earlier registers ``args``.

    ``const`` is the step's constant (a factor, a shift, an exponent), 0.0 if none.
    """

    kind: str
    args: tuple[int, ...]
    const: float = 0.0


@dataclass(frozen=True)
class Expression:
    """A random expression graph as a straight-line program, with an input point.

    Registers ``v0 .. v{n_inputs-1}`` are the inputs; instruction ``k`` writes
    register ``n_inputs + k`` from earlier registers (a register may be read many
    times: shared sub-expressions). The output is the last register. Calling the
    expression on Values builds the graph: ``expr(*values) -> Value``; ``replay``
    runs the same program on any backend (floats, torch tensors).
    """

    n_inputs: int
    instructions: tuple[Instruction, ...]
    inputs: tuple[float, ...]

    def __call__(self, *xs: Value) -> Value:
        """The expression on Values: f(x_0, ..., x_{n-1}) with the engine's ops."""
        out: Value = self.replay(xs, value_backend())
        return out

    def replay(self, xs: Sequence[Any], backend: SimpleNamespace) -> Any:
        """Run the program on ``xs`` with ``backend``'s functions; return the output."""
        return self.trace(xs, backend)[-1]

    def trace(self, xs: Sequence[Any], backend: SimpleNamespace) -> list[Any]:
        """Every register: the inputs ``xs``, then each instruction's result, in order."""
        if len(xs) != self.n_inputs:
            raise ValueError(f"Expression: expects {self.n_inputs} inputs, got {len(xs)}")
        registers = list(xs)
        for step in self.instructions:
            template = TEMPLATES[step.kind][2]
            registers.append(template(backend, [registers[i] for i in step.args], step.const))
        return registers

    def __str__(self) -> str:
        lines = [f"inputs v0..v{self.n_inputs - 1} = {list(self.inputs)}"]
        for k, step in enumerate(self.instructions):
            names = [f"v{i}" for i in step.args]
            half = len(names) // 2
            formula = TEMPLATES[step.kind][0].format(
                *names,
                c=step.const,
                all=", ".join(names),
                half=f"[{', '.join(names[:half])}], [{', '.join(names[half:])}]",
            )
            lines.append(f"v{self.n_inputs + k} = {formula}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "Expression(\n  " + str(self).replace("\n", "\n  ") + "\n)"


def _in_bounds(x: Any) -> bool:
    return isinstance(x, float) and math.isfinite(x) and abs(x) <= BOUND


@st.composite
def expressions(
    draw: st.DrawFn,
    min_inputs: int = 1,
    max_inputs: int = 4,
    max_instructions: int = 12,
    kinds: Sequence[str] = KINDS,
) -> Expression:
    """Random ``Expression`` graphs with a valid input point (a hypothesis strategy).

    Inputs lie in [-3, 3]; operands are drawn from all earlier registers (biased
    to recent ones, so graphs get deep, and with repeats, so nodes are shared).
    Restrict the instruction set with ``kinds`` (a subset of ``KINDS``). Example::

        @given(expressions(max_inputs=2))
        def test_hessian_is_symmetric(expr):
            xs = [Value(x) for x in expr.inputs]
            h = hessian(expr(*xs), xs)
            assert h[0][-1] == pytest.approx(h[-1][0])
    """
    unknown = [kind for kind in kinds if kind not in TEMPLATES]
    if unknown or not kinds:
        raise ValueError(f"expressions: kinds must be a non-empty subset of {KINDS}, got {kinds}")
    if not 1 <= min_inputs <= max_inputs:
        raise ValueError(
            f"expressions: need 1 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}"
        )
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    point = tuple(draw(finite_floats(-3.0, 3.0)) for _ in range(n_inputs))
    floats = float_backend()
    registers = list(point)
    instructions = []
    for _ in range(draw(st.integers(1, max_instructions))):
        kind = draw(st.sampled_from(kinds))
        arity = TEMPLATES[kind][1]
        if arity is None:  # n-ary: sum of 1..4 registers, dot of 1..3 pairs
            arity = draw(st.integers(1, 4)) if kind == "sum" else 2 * draw(st.integers(1, 3))
        # Index back from the newest register: shrinking goes towards deep chains.
        args = tuple(
            len(registers) - 1 - draw(st.integers(0, len(registers) - 1)) for _ in range(arity)
        )
        const = _draw_const(draw, kind, [registers[i] for i in args])
        step = Instruction(kind, args, const)
        try:
            value = TEMPLATES[kind][2](floats, [registers[i] for i in args], const)
        except (ArithmeticError, ValueError):
            value = math.inf
        near_kink = kind == "leaky_relu" and abs(registers[args[0]]) < RELU_MARGIN
        if near_kink or not _in_bounds(value):
            # Too large here (or at leaky_relu's kink): squash the first operand instead.
            step = Instruction("tanh", args[:1])
            value = floats.tanh(registers[args[0]])
        instructions.append(step)
        registers.append(value)
    # Sum the results nothing reads into the output, so every step reaches it (unless
    # that sum would leave the bounds; then the unread steps are simply dead code).
    read = {i for step in instructions for i in step.args}
    dead = [i for i in range(n_inputs, len(registers) - 1) if i not in read]
    if dead:
        args = (len(registers) - 1, *dead)
        total = floats.sum([registers[i] for i in args])
        if _in_bounds(total):
            instructions.append(Instruction("sum", args))
    return Expression(n_inputs, tuple(instructions), point)


def _draw_const(draw: st.DrawFn, kind: str, operands: list[float]) -> float:
    if kind == "scale":
        return draw(finite_floats(-2.0, 2.0))
    if kind == "shift":
        return draw(finite_floats(-2.0, 2.0))
    if kind == "pow":
        return draw(st.sampled_from(_INTEGER_POWERS))
    if kind == "pow_pos":
        return draw(st.sampled_from(_POS_POWERS))
    if kind == "rpow":
        return draw(st.sampled_from(_POS_BASES))
    if kind == "sqrt":
        return draw(finite_floats(0.1, 2.0))
    if kind == "log1p":
        return draw(finite_floats(0.0, 0.9))
    if kind == "leaky_relu":
        return draw(st.sampled_from(_SLOPES))
    if kind in _KINKED:
        # softplus: a small shift, or one near 20 that puts the argument on either side of
        # PyTorch's threshold (softplus(x + c) - c stays within BOUND either way).
        softplus_shifts = finite_floats(-4.0, 4.0) | finite_floats(17.0, 23.0)
        c = draw(softplus_shifts if kind == "softplus" else finite_floats(-1.0, 1.0))
        t = operands[0] + c - _KINKS[kind]
        if abs(t) < RELU_MARGIN:
            # Push the argument 2 margins further from the kink, keeping its side.
            c += 2 * RELU_MARGIN if t >= 0.0 else -2 * RELU_MARGIN
        return c
    return 0.0
