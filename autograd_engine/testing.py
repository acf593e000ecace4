"""Hypothesis strategies for property-testing gradients: op domains and random graphs.

``DOMAINS[op]``: for every op of ``ALL_OPS`` (by name), argument tuples where the op and its
derivatives are defined, finite and smooth, a margin away from kinks and poles, so central
differences are accurate there (drawn from each row's ``samples``). ``expressions()``: random
expression graphs over the engine's ops (shared sub-expressions, any depth) with an input
point; an ``Expression`` is a straight-line program that replays on Values, floats or
PyTorch tensors. Every instruction keeps its op inside its domain for all inputs, by
construction (docs/engine.md says how)::

    from hypothesis import given
    from autograd_engine import gradcheck
    from autograd_engine.testing import expressions

    @given(expressions())
    def test_backward_matches_finite_differences(expr):
        assert gradcheck(expr, expr.inputs)
"""

from __future__ import annotations

import functools
import itertools
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
    "STRATEGIES",
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


def _n_ary(
    least: int, most: int, element: st.SearchStrategy[float], times: int = 1
) -> st.SearchStrategy[tuple[float, ...]]:
    # n = least..most groups of `times` inputs: a sum's summands, a dot's (w, x) pairs.
    return st.integers(least, most).flatmap(lambda n: _tuples(times * n, element))


STRATEGIES = SimpleNamespace(
    floats=finite_floats,
    away_from_zero=_away_from_zero,
    sampled_from=st.sampled_from,
    tuples=st.tuples,
    n_ary=_n_ary,
)
"""What an op's row builds its ``samples`` and replay constants from (its ``d``).

``floats(lo, hi)``: finite floats in [lo, hi]; ``away_from_zero(margin, limit)``: in
[-limit, -margin] or [margin, limit]; ``sampled_from(values)``; ``tuples(*strategies)``;
``n_ary(least, most, element, times=1)``: tuples of ``times * n`` elements for n in
[least, most]. Strategies combine with ``|``.
"""


DOMAINS: dict[str, st.SearchStrategy[tuple[float, ...]]] = {
    str(op): op.samples(STRATEGIES) for op in ops.ALL_OPS if op.samples is not None
}
"""Safe argument tuples per op name (the ``samples`` of each row of ``ops.ALL_OPS``).

Argument tuples are in the op's parent order; an op's constant inputs
(``op.constants``: pow's exponent, rpow's base) must stay numbers (``apply_op``
refuses a Value there), e.g. ``gradcheck(lambda a: apply_op(POW, a, k), [base])``.
Example: ``@given(DOMAINS["log"])`` draws ``(x,)`` with ``0.05 <= x <= 100``.
"""


# ``apply_op`` (re-exported above) builds a node for any Op, e.g. a home-made one::
#
#     BAD_EXP = Op("bad_exp", math.exp, lambda g, out, a: (2 * g * out,))
#     gradcheck(lambda x: apply_op(BAD_EXP, x), [1.0])   # raises GradcheckError


# -- backends: the same program on Values, floats or torch tensors ---------------


def _n_ary_rows() -> set[str]:
    # Ops whose replay steps take any number of operands: a backend passes them sequences.
    return {str(op) for op in ops.ALL_OPS if any(isinstance(r.arity, range) for r in op.replays)}


# The functions the templates call through a backend: every row with a Value method,
# named as the op and its method. An n-ary one takes sequences (``b.dot(ws, xs)``).
BACKEND_FUNCTIONS: tuple[str, ...] = tuple(str(op) for op in ops.ALL_OPS if op.method)


def _flat(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` of the items of sequences: ``dot(ws, xs)`` is ``f(*ws, *xs)``."""
    return lambda *sequences: f(*itertools.chain.from_iterable(sequences))


def value_backend() -> SimpleNamespace:
    """Functions to replay an ``Expression`` on ``Value`` objects (the engine's ops)."""
    functions = {name: getattr(Value, name) for name in BACKEND_FUNCTIONS}
    functions["abs"] = abs  # Python's abs(x), through Value.__abs__
    return SimpleNamespace(**functions)


def float_backend() -> SimpleNamespace:
    """Functions to replay an ``Expression`` on plain floats (the op table's forwards)."""
    n_ary = _n_ary_rows()
    return SimpleNamespace(
        **{
            str(op): _flat(op.forward) if op in n_ary else op.forward
            for op in ops.ALL_OPS
            if op.method
        }
    )


def torch_backend() -> SimpleNamespace:
    """Functions to replay an ``Expression`` on 0-d PyTorch tensors (imports torch).

    Each is the ``torch`` function of the op's row (``softplus`` with beta=1,
    threshold=20, as ``ops.SOFTPLUS``).
    """
    n_ary = _n_ary_rows()
    functions = torch_ops()
    return SimpleNamespace(
        **{
            name: _flat(functions[name]) if name in n_ary else functions[name]
            for name in BACKEND_FUNCTIONS
            if name in functions  # a row without torch: only its own steps fail
        }
    )


TORCH_OP_NAMES: frozenset[str] = frozenset(str(op) for op in ops.ALL_OPS if op.torch is not None)
"""The op names ``torch_ops()`` maps (a test checks it is every op of ``ALL_OPS``)."""


def torch_ops() -> dict[str, Callable[..., Any]]:
    """Op name -> the same function on 0-d PyTorch tensors, parents in the op's order.

    The ``torch`` function of each row of ``ops.ALL_OPS``. Constant inputs
    (``op.constants``) are passed as plain floats. Imports torch.
    """
    import torch
    import torch.nn.functional as F

    return {
        str(op): functools.partial(op.torch, torch, F) for op in ops.ALL_OPS if op.torch is not None
    }


# -- instructions -------------------------------------------------------------------

# The steps that are not an op of their own: composites of the rows' operators.
_COMPOSITES = (
    ops.Replay("{0} - {1}", lambda b, v, c: v[0] - v[1], arity=2, kind="sub"),
    ops.Replay("-{0}", lambda b, v, c: -v[0], kind="neg"),
    ops.Replay(
        "{c} * {0}", lambda b, v, c: c * v[0], const=lambda d: d.floats(-2.0, 2.0), kind="scale"
    ),
    ops.Replay(
        "{0} + {c}", lambda b, v, c: v[0] + c, const=lambda d: d.floats(-2.0, 2.0), kind="shift"
    ),
)
# kind -> (its step, the op whose row it is; None for a composite).
_STEPS: dict[str, tuple[ops.Replay, ops.Op | None]] = {
    **{r.kind: (r, op) for op in ops.ALL_OPS for r in op.replays},
    **{r.kind: (r, None) for r in _COMPOSITES},
}

# kind -> (formula shown by str(), number of operands or None for n-ary, template).
# A template computes the step from the backend ``b``, the operands ``v`` and the
# constant ``c``, using only operators and backend functions, so it runs unchanged
# on Values, floats and tensors. Each is defined for every real operand.
_Template = Callable[[Any, Sequence[Any], float], Any]
TEMPLATES: dict[str, tuple[str, int | None, _Template]] = {
    kind: (step.formula, None if isinstance(step.arity, range) else step.arity, step.run)
    for kind, (step, _) in _STEPS.items()
}
"""Every step kind: the ``replay`` steps of the rows of ``ops.ALL_OPS``, then composites."""

KINDS: tuple[str, ...] = tuple(TEMPLATES)
"""The instruction kinds an ``Expression`` is built from (they use every op of ALL_OPS)."""


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
        arity = _STEPS[kind][0].arity
        if isinstance(arity, range):  # n-ary: sum of 1..4 registers, dot of 1..3 pairs
            arity = draw(st.sampled_from(arity))
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
        if _near_a_kink(kind, [registers[i] for i in args]) or not _in_bounds(value):
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
    step, op = _STEPS[kind]
    if step.const is None:
        return 0.0
    c: float = draw(step.const(STRATEGIES))
    if step.shift and op is not None:
        for kink in op.kinks:
            t = operands[0] + c - kink
            if abs(t) < RELU_MARGIN:
                # Push the argument 2 margins further from the kink, keeping its side.
                c += 2 * RELU_MARGIN if t >= 0.0 else -2 * RELU_MARGIN
    return c


def _near_a_kink(kind: str, operands: list[float]) -> bool:
    """A step that cannot shift its operand (leaky_relu's c is its slope) is that near a kink."""
    step, op = _STEPS[kind]
    if op is None or step.shift:
        return False
    return any(abs(operands[0] - kink) < RELU_MARGIN for kink in op.kinks)
