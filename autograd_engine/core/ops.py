"""Every primitive operation: its forward on floats and its local derivatives.

An ``Op`` row is all the calculus the engine knows. ``forward(*xs)`` computes the
output from the inputs' data. ``vjp(g, out, *xs)`` returns one contribution per
input, ``g * d out / d x_i``, given the upstream gradient ``g``. Each derivative is
written once with plain arithmetic, so the same function runs on floats (the fast
path of ``backward``) and on ``Value`` objects (``grad(..., create_graph=True)``,
where it builds a differentiable graph of the derivative).

``domain(*xs)`` returns ``None`` where the op is defined, or the error to raise
(a ``ValueError`` or ``ZeroDivisionError`` saying why it is not); the caller adds
the op and its operands to the message and raises it before any node is created.

A row also carries what the rest of the project needs to know about its op: the
player's text of each derivative, whether ``Value`` has a method of its name, its kinks,
and for the tests the points where its derivatives are checked (``samples``), its PyTorch
counterpart (``torch``) and its steps in the random expression graphs (``replay``).
``ALL_OPS`` and ``__all__`` are collected from the rows, and ``testing.py`` and the
``Value`` methods that value.py does not write are made from them: adding an op is adding
its row (``tests/test_op_table.py`` names any place a row misses).

Composites (``-`` and unary ``-``) are built from these rows in ``value.py`` and
have no rule of their own. Division is a row, not ``a * b**-1``: that composite
rounds twice and its gradient ``-a/b**2`` underflows to 0 where ``-out/b`` does not.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from autograd_engine.core.value import Value

# The rows' names are added at the end of the module, collected from the rows themselves.
__all__ = ["Op", "Replay", "ALL_OPS", "derivative_text"]


class Replay(NamedTuple):
    """One step kind of the random expression graphs (``testing.expressions``) using an op.

    ``formula`` is what ``str(expression)`` shows ({0}, {1}: the operands, {c}: the
    constant, {all}, {half}: the operands of an n-ary step). ``run(b, v, c)`` computes the
    step from a backend ``b`` (Values, floats or torch tensors), the operands ``v`` and the
    constant ``c`` with operators and backend functions only, and must be defined for every
    real operand. ``arity`` counts the operands (for an n-ary op, a range to draw the count
    from). ``const(d)`` is the strategy of ``c`` (``d`` is ``testing.STRATEGIES``; None: no
    constant). ``shift``: ``c`` is added to the operand, and is pushed ``RELU_MARGIN`` away
    from the op's kinks (otherwise a step whose operand is that near a kink becomes
    ``tanh``). ``kind`` names the step; "" is the op's name.
    """

    formula: str
    run: Callable[[Any, Sequence[Any], float], Any]
    arity: int | range = 1
    const: Callable[[Any], Any] | None = None
    shift: bool = False
    kind: str = ""


class Op(str):
    """A primitive: its name (the ``str`` itself), ``forward``, ``vjp``, ``domain``, and the
    rest of its row (what the player says, how the tests draw and replay it, its torch twin).

    ``Value.op`` holds an ``Op``, so ``y.op == "tanh"`` reads as it should; leaves
    hold the empty string. ``symbol`` is what graph drawings show. ``constants``
    lists the inputs that are constant numbers by definition (the exponent of
    ``pow``, the base of ``rpow``): their ``vjp`` term is 0, so ``apply_op``
    refuses a Value there rather than silently give it no gradient.
    """

    forward: Callable[..., float]
    vjp: Callable[..., Any]
    domain: Callable[..., ArithmeticError | ValueError | None] | None
    symbol: str
    constants: tuple[int, ...]
    derivative: Callable[[int, Sequence[str]], str] | None
    method: bool
    kinks: tuple[float, ...]
    samples: Callable[[Any], Any] | None
    torch: Callable[..., Any] | None
    replays: tuple[Replay, ...]

    def __new__(
        cls,
        name: str,
        forward: Callable[..., float],
        vjp: Callable[..., Any],
        domain: Callable[..., ArithmeticError | ValueError | None] | None = None,
        symbol: str | None = None,
        constants: tuple[int, ...] = (),
        derivative: Callable[[int, Sequence[str]], str] | None = None,
        *,
        method: bool = False,
        kinks: tuple[float, ...] = (),
        samples: Callable[[Any], Any] | None = None,
        torch: Callable[..., Any] | None = None,
        replay: Replay | tuple[Replay, ...] = (),
    ) -> Op:
        """Make the op named ``name``; ``vjp(g, out, *xs)`` returns one term per input.

        Raises TypeError for a name that is not a non-empty str, a forward, vjp or
        domain that is not callable, a symbol that is not a str, or constants that are
        not a tuple of input indices (ints >= 0).

        ``derivative(j, names)`` is the text of the local derivative d out / d input j
        that the backprop player shows (``"tanh'(z) = 1 - out^2"``), given the names
        of the inputs as drawn; None (the default) makes the player say
        "local derivative".

        The rest matters to the engine's own rows (``ALL_OPS``), which the tests iterate:
        ``method``: ``Value`` has a method of the op's name (``x.tan()``; made from the row
        unless value.py writes it) and a replay backend a function; ``kinks``: the points
        where it is not smooth; ``samples(d)``: the strategy of argument tuples where it is
        smooth, built from ``d = testing.STRATEGIES`` (so this module needs no hypothesis);
        ``torch(torch, F, *xs)``: the same function in PyTorch (torch and
        torch.nn.functional passed in; constant inputs as floats); ``replay``: its steps in
        the random expression graphs.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"Op: name must be a non-empty str, got {name!r}")
        for role, fn in (
            ("forward", forward),
            ("vjp", vjp),
            ("domain", domain),
            ("samples", samples),
            ("torch", torch),
        ):
            if not callable(fn) and not (role not in ("forward", "vjp") and fn is None):
                raise TypeError(f"Op {name!r}: {role} must be a function, got {fn!r}")
        if symbol is not None and (not isinstance(symbol, str) or not symbol):
            raise TypeError(f"Op {name!r}: symbol must be a non-empty str or None, got {symbol!r}")
        if not isinstance(constants, tuple) or not all(
            type(i) is int and i >= 0 for i in constants
        ):
            raise TypeError(
                f"Op {name!r}: constants must be a tuple of input indices (ints >= 0), "
                f"got {constants!r}"
            )
        if derivative is not None and not callable(derivative):
            raise TypeError(
                f"Op {name!r}: derivative must be a function (j, names) -> str or None, "
                f"got {derivative!r}"
            )
        replays = (replay,) if isinstance(replay, Replay) else replay
        if not isinstance(replays, tuple) or not all(isinstance(r, Replay) for r in replays):
            raise TypeError(f"Op {name!r}: replay must be a Replay or a tuple of them")
        if not isinstance(kinks, tuple) or not all(isinstance(k, float) for k in kinks):
            raise TypeError(f"Op {name!r}: kinks must be a tuple of floats, got {kinks!r}")
        op = super().__new__(cls, name)
        op.forward = forward
        op.vjp = vjp
        op.domain = domain
        op.symbol = symbol or name
        op.constants = constants
        op.derivative = derivative
        op.method = bool(method)
        op.kinks = kinks
        op.samples = samples
        op.torch = torch
        op.replays = tuple(r._replace(kind=r.kind or name) for r in replays)
        return op

    def __call__(self, *args: Value | float) -> Value:
        """The node ``self(*args)``: ``square(x)`` for ``square = Op("square", f, vjp)``.

        Built by the engine's own node builder, ``value.apply_op``: numbers become
        constant leaves, the domain is checked first and the result after, and a Value
        in a constant slot is refused. A ``str`` is not callable, so nothing that
        treats an ``Op`` as its name is affected.
        """
        # Imported here: value.py imports this module, so a top-level import would cycle.
        from autograd_engine.core.value import apply_op

        return apply_op(self, *args)

    # An op is pickled by name and copied as itself: its functions are code, not data.
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        """Pickle as a reference to the op of this name in ``ALL_OPS``; refuse any other."""
        return _registered(self)

    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self


# A leaf's op: the empty string, falsy and equal to "". Typed as an Op (which it is not)
# because only a node with parents reaches ``op.vjp`` or ``op.symbol``, a rule the type
# of ``Value.op`` cannot state; the alternative is a run-time check per node in backprop.
NO_OP: Op = ""  # type: ignore[assignment]


def _registered(op: Op) -> tuple[Any, tuple[str]]:
    import pickle  # only needed when pickling

    if not any(known is op for known in ALL_OPS):
        raise pickle.PicklingError(
            f"pickle: op {str(op)!r} is not one of ALL_OPS, so a graph that uses it cannot be "
            "pickled (its functions would have to be stored as code); save a model's "
            "parameters with Module.save (JSON) instead"
        )
    return (_op_named, (str(op),))


def _op_named(name: str) -> Op:
    """The op called ``name`` in ``ALL_OPS`` (used when unpickling a graph)."""
    for op in ALL_OPS:
        if op == name:
            return op
    raise ValueError(f"unpickle: no op named {name!r} in ALL_OPS")


def _sigmoid(x: float) -> float:
    # Never overflows: exp is only taken of -|x|.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _is_integer(x: float) -> bool:
    return float(x).is_integer()


def _pow_domain(a: float, k: float) -> ArithmeticError | ValueError | None:
    if a == 0.0 and k < 0.0:
        return ZeroDivisionError("zero cannot be raised to a negative power")
    if a < 0.0 and not _is_integer(k):
        return ValueError("a negative base needs an integer exponent (the result is complex)")
    return None


def _powv_domain(a: float, b: float) -> ArithmeticError | ValueError | None:
    # d(a**b)/db = a**b * log(a) needs a > 0; a == 0 is allowed for b >= 0 (limit 0).
    if a < 0.0:
        return ValueError("a negative base cannot have a Value exponent (d/db a**b = a**b log a)")
    if a == 0.0 and b < 0.0:
        return ZeroDivisionError("zero cannot be raised to a negative power")
    return None


def _div_domain(a: float, b: float) -> ZeroDivisionError | None:
    return ZeroDivisionError("division by zero") if b == 0.0 else None


def _log_domain(a: float) -> ValueError | None:
    return None if a > 0.0 else ValueError("log needs a positive input")


def _data(x: Any) -> float:
    """The float inside ``x``: ``x.data`` for a Value, ``x`` itself for a number."""
    data: float = getattr(x, "data", x)
    return data


def _log(x: Any) -> Any:
    """log on a float or on a Value, so ``vjp`` rules run on both."""
    return x.log() if hasattr(x, "log") else math.log(x)


def _sin(x: Any) -> Any:
    """sin on a float or on a Value."""
    return x.sin() if hasattr(x, "sin") else math.sin(x)


def _cos(x: Any) -> Any:
    """cos on a float or on a Value."""
    return x.cos() if hasattr(x, "cos") else math.cos(x)


def _sigmoid_of(x: Any) -> Any:
    """sigmoid on a float or on a Value."""
    return x.sigmoid() if hasattr(x, "sigmoid") else _sigmoid(x)


def _sign(x: float) -> float:
    # sign(0) = 0: abs'(0) = 0, PyTorch's choice (as relu'(0) = 0).
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def _leaky_relu(a: float, slope: float) -> float:
    return a if a > 0.0 else a * slope


def _leaky_relu_vjp(g: Any, out: Any, a: Any, slope: Any) -> tuple[Any, float]:
    # d/da = 1 for a > 0, else slope (slope at the kink, as PyTorch); the slope is a
    # constant of the op and gets no gradient.
    return (g * (1.0 if _data(a) > 0.0 else _data(slope)), 0.0)


SOFTPLUS_THRESHOLD = 20.0
"""Above it ``softplus(x)`` is ``x`` (PyTorch's ``threshold=20`` with ``beta=1``)."""


def _softplus(a: float) -> float:
    # PyTorch's formula: x above the threshold, else log1p(exp(x)). exp(x) <= e**20 never
    # overflows, and log1p keeps full precision where exp(x) is tiny (x very negative).
    return a if a > SOFTPLUS_THRESHOLD else math.log1p(math.exp(a))


def _softplus_vjp(g: Any, out: Any, a: Any) -> tuple[Any]:
    # d/da log(1 + e^a) = e^a / (1 + e^a) = sigmoid(a); 1 above the threshold, where
    # the forward is the identity (PyTorch's backward and double backward do the same).
    if _data(a) > SOFTPLUS_THRESHOLD:
        return (g,)
    return (g * _sigmoid_of(a),)


def _sqrt_domain(a: float) -> ValueError | None:
    return None if a >= 0.0 else ValueError("sqrt needs a non-negative input")


def _log1p_domain(a: float) -> ValueError | None:
    return None if a > -1.0 else ValueError("log1p needs an input > -1")


def _pow_vjp(g: Any, out: Any, a: Any, k: Any) -> tuple[Any, float]:
    # d/da a**k = k * a**(k-1). The exponent is a constant: it gets no gradient,
    # and it is read as a float so a second derivative stays a constant power.
    k = _data(k)
    if k == 0.0:
        return (g * 0.0, 0.0)
    return (g * k * a ** (k - 1.0), 0.0)


def _powv_vjp(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # d/da a**b = b * a**(b-1);  d/db a**b = a**b * log(a), taken as 0 at a == 0
    # (the limit of a**b log a for b > 0, as PyTorch does). At 0**0, d/da is taken
    # as 0 (PyTorch's value) rather than the undefined 0 * 0**-1.
    if _data(a) == 0.0 and _data(b) == 0.0:
        return (g * 0.0, g * 0.0)
    da = g * b * a ** (b - 1.0)
    db = g * out * _log(a) if _data(a) > 0.0 else g * 0.0
    return (da, db)


def _rpow_vjp(g: Any, out: Any, c: Any, b: Any) -> tuple[float, Any]:
    # c ** b for a constant number c: d/db = c**b * log(c) (0 at c == 0); the base
    # gets no gradient, so an infinite d/dc at c == 0 is never computed.
    c = _data(c)
    return (0.0, g * out * math.log(c) if c > 0.0 else g * 0.0)


def _says(text: str) -> Callable[[int, Sequence[str]], str]:
    """A derivative text that is the same for every input."""
    return lambda j, names: text


def _div_text(j: int, names: Sequence[str]) -> str:
    return f"1/b, b = {names[1]}" if j == 0 else f"-out/b, b = {names[1]}"


def _powv_text(j: int, names: Sequence[str]) -> str:
    return f"b a^(b-1), b = {names[1]}" if j == 0 else f"out log(a), a = {names[0]}"


def _lrelu_text(j: int, names: Sequence[str]) -> str:
    return "lrelu'(z) = 1 if z > 0 else slope" if j == 0 else "0 (the slope is a constant)"


def _dot_text(j: int, names: Sequence[str]) -> str:
    # out = sum_i w_i x_i over (w_1..w_n, x_1..x_n): d/dw_i = x_i, d/dx_i = w_i.
    n = len(names) // 2
    if j < n:
        return f"its input, {names[j + n]}"
    return f"its weight, {names[j - n]}"


def derivative_text(op: Op, j: int, names: Sequence[str]) -> str:
    """The text of d out / d input ``j`` of ``op``, its inputs named ``names``.

    The op's own ``derivative`` (every row of ``ALL_OPS`` has one); "local derivative"
    for an op made without one.
    """
    if op.derivative is None:
        return "local derivative"
    text = op.derivative(j, names)
    if not isinstance(text, str):
        raise TypeError(
            f"Op {str(op)!r}: derivative({j}, names) must return a str, got {type(text).__name__}"
        )
    return text


def _dot(*xs: float) -> float:
    n = len(xs) // 2
    total: float = sum(map(operator.mul, xs[:n], xs[n:]))
    return total


def _dot_vjp(g: Any, out: Any, *xs: Any) -> list[Any]:
    # out = sum_i w_i x_i over inputs (w_1..w_n, x_1..x_n): d/dw_i = x_i, d/dx_i = w_i.
    n = len(xs) // 2
    return [g * x for x in xs[n:]] + [g * w for w in xs[:n]]


# -- the rows ----------------------------------------------------------------------
# Each row: name, forward, vjp; where it is defined (domain) and how it is drawn (symbol,
# the player's derivative text); then how the tests know it: samples (where its
# derivatives are checked), torch (the cross-check), replay (its steps in the random
# graphs). ALL_OPS and __all__ are collected from these rows at the end of the module.

# Constant exponents of "pow" drawn by the tests: integers work for any non-zero base, the
# rest need a positive base. 0 and 1 exercise the special cases a**0 = 1 and a**1 = a.
_INTEGER_EXPONENTS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)
_REAL_EXPONENTS = (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3, 1.7)
# leaky_relu's slopes drawn by the tests: PyTorch's default, others, 0 (relu), negative, > 1.
_SLOPES = (0.01, 0.2, 0.0, -0.5, 1.5)

ADD = Op(
    "add",
    operator.add,
    lambda g, out, a, b: (g, g),
    symbol="+",
    derivative=lambda j, n: "1",
    samples=lambda d: d.tuples(d.floats(-100.0, 100.0), d.floats(-100.0, 100.0)),
    torch=lambda torch, F, a, b: a + b,
    replay=Replay("{0} + {1}", lambda b, v, c: v[0] + v[1], arity=2),
)
MUL = Op(
    "mul",
    operator.mul,
    lambda g, out, a, b: (g * b, g * a),
    symbol="*",
    derivative=lambda j, n: f"the other input, {n[1 - j]}",
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0), d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a, b: a * b,
    replay=Replay("{0} * {1}", lambda b, v, c: v[0] * v[1], arity=2),
)
# a / b: d/da = 1/b, d/db = -a/b^2 = -out/b. Tests keep |b| >= 0.25, clear of the pole.
DIV = Op(
    "div",
    operator.truediv,
    lambda g, out, a, b: (g / b, -g * (out / b)),  # PyTorch rounds d/db the same way
    domain=_div_domain,
    symbol="/",
    derivative=_div_text,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0), d.away_from_zero(0.25, 10.0)),
    torch=lambda torch, F, a, b: a / b,
    replay=Replay("{0} / (1 + {1}*{1})", lambda b, v, c: v[0] / (1.0 + v[1] * v[1]), arity=2),
)
# a ** k for a constant number k (the second parent holds k; it gets no gradient).
# Tests keep the base >= 0.25 from the pole of negative powers.
POW = Op(
    "pow",
    operator.pow,
    _pow_vjp,
    domain=_pow_domain,
    symbol="**",
    constants=(1,),
    derivative=lambda j, n: f"k a^(k-1), k = {n[1]}" if j == 0 else "0 (a constant exponent)",
    samples=lambda d: (
        d.tuples(d.away_from_zero(0.25, 4.0), d.sampled_from(_INTEGER_EXPONENTS))
        | d.tuples(d.floats(0.25, 4.0), d.sampled_from(_REAL_EXPONENTS))
    ),
    torch=lambda torch, F, a, k: a**k,
    replay=(  # non-negative integer powers of any base; any power of a base 1 + a^2 > 0
        Replay(
            "{0} ** {c}",
            lambda b, v, c: v[0] ** c,
            const=lambda d: d.sampled_from((0.0, 1.0, 2.0, 3.0)),
        ),
        Replay(
            "(1 + {0}*{0}) ** {c}",
            lambda b, v, c: (1.0 + v[0] * v[0]) ** c,
            const=lambda d: d.sampled_from((-1.5, -1.0, -0.5, 0.5, 1.5, 2.5)),
            kind="pow_pos",
        ),
    ),
)
# a ** b where the exponent b is a Value too; tests keep a > 0 (d/db needs log a).
POWV = Op(
    "powv",
    operator.pow,
    _powv_vjp,
    domain=_powv_domain,
    symbol="**",
    derivative=_powv_text,
    samples=lambda d: d.tuples(d.floats(0.25, 4.0), d.floats(-3.0, 3.0)),
    torch=lambda torch, F, a, b: a**b,
    replay=Replay("(1 + {0}*{0}) ** {1}", lambda b, v, c: (1.0 + v[0] * v[0]) ** v[1], arity=2),
)
# c ** b for a constant number c (the first parent holds c; it gets no gradient).
RPOW = Op(
    "rpow",
    operator.pow,
    _rpow_vjp,
    domain=_powv_domain,
    symbol="**",
    constants=(0,),
    derivative=lambda j, n: "0 (a constant base)" if j == 0 else f"out log(c), c = {n[0]}",
    samples=lambda d: d.tuples(d.floats(0.25, 4.0), d.floats(-3.0, 3.0)),
    torch=lambda torch, F, c, b: c**b,
    replay=Replay(
        "{c} ** {0}", lambda b, v, c: c ** v[0], const=lambda d: d.sampled_from((0.5, 2.0, 3.0))
    ),
)
EXP = Op(
    "exp",
    math.exp,
    lambda g, out, a: (g * out,),  # exp' = exp
    derivative=_says("exp'(z) = exp(z) = out"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a: torch.exp(a),
    replay=Replay("exp({0})", lambda b, v, c: b.exp(v[0])),
)
# Tests keep 0.05 from the pole: at distance d the central-difference error is (eps/d)**2 / 3.
LOG = Op(
    "log",
    math.log,
    lambda g, out, a: (g / a,),  # log' = 1/a
    domain=_log_domain,
    derivative=_says("log'(z) = 1/z"),
    method=True,
    samples=lambda d: d.tuples(d.floats(0.05, 100.0)),
    torch=lambda torch, F, a: torch.log(a),
    replay=Replay("log(1 + {0}*{0})", lambda b, v, c: b.log(1.0 + v[0] * v[0])),
)
TANH = Op(
    "tanh",
    math.tanh,
    lambda g, out, a: (g * (1.0 - out * out),),  # 1 - tanh^2
    derivative=_says("tanh'(z) = 1 - out^2"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a: torch.tanh(a),
    replay=Replay("tanh({0})", lambda b, v, c: b.tanh(v[0])),
)
SIGMOID = Op(
    "sigmoid",
    _sigmoid,
    lambda g, out, a: (g * out * (1.0 - out),),  # s(1-s)
    derivative=_says("sigma'(z) = out(1 - out)"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-20.0, 20.0)),
    torch=lambda torch, F, a: torch.sigmoid(a),
    replay=Replay("sigmoid({0})", lambda b, v, c: b.sigmoid(v[0])),
)
# relu'(a) = 1 for a > 0, else 0 (0 at the kink, as PyTorch). Tests keep 1e-3 (a thousand
# times the default eps) from the kink.
RELU = Op(
    "relu",
    _relu,
    lambda g, out, a: (g * (1.0 if _data(a) > 0.0 else 0.0),),
    derivative=_says("relu'(z) = 1 if z > 0 else 0"),
    method=True,
    kinks=(0.0,),
    samples=lambda d: d.tuples(d.away_from_zero(1e-3, 10.0)),
    torch=lambda torch, F, a: torch.relu(a),
    replay=Replay(
        "relu({0} + {c})",
        lambda b, v, c: b.relu(v[0] + c),
        const=lambda d: d.floats(-1.0, 1.0),
        shift=True,
    ),
)
SIN = Op(
    "sin",
    math.sin,
    lambda g, out, a: (g * _cos(a),),  # sin' = cos
    derivative=_says("sin'(z) = cos(z)"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a: torch.sin(a),
    replay=Replay("sin({0})", lambda b, v, c: b.sin(v[0])),
)
COS = Op(
    "cos",
    math.cos,
    lambda g, out, a: (-g * _sin(a),),  # cos' = -sin
    derivative=_says("cos'(z) = -sin(z)"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a: torch.cos(a),
    replay=Replay("cos({0})", lambda b, v, c: b.cos(v[0])),
)
# tan' = 1 + tan^2 (PyTorch's formula). No float is exactly a pole, so tan is finite
# everywhere; next to a pole it is large (|tan| <= 1.7e16) and so is its derivative.
# Tests keep 0.17 from the poles at +-pi/2 (|tan| <= 5.8); in the random graphs
# |tan| <= BOUND keeps it off them.
TAN = Op(
    "tan",
    math.tan,
    lambda g, out, a: (g * (1.0 + out * out),),
    derivative=_says("tan'(z) = 1 + out^2"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-1.4, 1.4)),
    torch=lambda torch, F, a: torch.tan(a),
    replay=Replay("tan({0})", lambda b, v, c: b.tan(v[0])),
)
# atan' = 1 / (1 + a^2): defined and smooth everywhere.
ATAN = Op(
    "atan",
    math.atan,
    lambda g, out, a: (g / (1.0 + a * a),),
    derivative=_says("atan'(z) = 1/(1 + z^2)"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a: torch.atan(a),
    replay=Replay("atan({0})", lambda b, v, c: b.atan(v[0])),
)

# sqrt' = 1 / (2 sqrt a): at a == 0 the division raises, as x ** 0.5 does at 0; tests keep
# 0.05 away, as for log, and the random graphs take sqrt of c + a*a with c >= 0.1.
SQRT = Op(
    "sqrt",
    math.sqrt,
    lambda g, out, a: (g / (2.0 * out),),
    domain=_sqrt_domain,
    derivative=_says("sqrt'(z) = 1/(2 out)"),
    method=True,
    samples=lambda d: d.tuples(d.floats(0.05, 100.0)),
    torch=lambda torch, F, a: torch.sqrt(a),
    replay=Replay(
        "sqrt({c} + {0}*{0})",
        lambda b, v, c: b.sqrt(c + v[0] * v[0]),
        const=lambda d: d.floats(0.1, 2.0),
    ),
)
# abs' = sign(a), 0 at the kink (PyTorch's value).
ABS = Op(
    "abs",
    abs,
    lambda g, out, a: (g * _sign(_data(a)),),
    derivative=_says("abs'(z) = sign(z)"),
    method=True,
    kinks=(0.0,),
    samples=lambda d: d.tuples(d.away_from_zero(1e-3, 10.0)),
    torch=lambda torch, F, a: torch.abs(a),
    replay=Replay(
        "abs({0} + {c})",
        lambda b, v, c: b.abs(v[0] + c),
        const=lambda d: d.floats(-1.0, 1.0),
        shift=True,
    ),
)
# leaky_relu(a, slope) = a for a > 0, else slope * a; the slope (second parent) is a
# constant, like pow's exponent. Drawn "lrelu": every op oval of a drawing is as wide as
# its longest symbol. In the random graphs c is the slope.
LEAKY_RELU = Op(
    "leaky_relu",
    _leaky_relu,
    _leaky_relu_vjp,
    symbol="lrelu",
    constants=(1,),
    derivative=_lrelu_text,
    method=True,
    kinks=(0.0,),
    samples=lambda d: d.tuples(d.away_from_zero(1e-3, 10.0), d.sampled_from(_SLOPES)),
    torch=lambda torch, F, a, slope: F.leaky_relu(a, slope),
    replay=Replay(
        "leaky_relu({0}, {c})",
        lambda b, v, c: b.leaky_relu(v[0], c),
        const=lambda d: d.sampled_from(_SLOPES),
    ),
)
# softplus(a) = log(1 + e^a), as torch.nn.functional.softplus(a) (beta=1, threshold=20).
# Its jump of 2e-9 at the threshold counts as a kink. In the random graphs c is a small
# shift or one near 20 (either side of the threshold); minus c again keeps the result
# within BOUND.
SOFTPLUS = Op(
    "softplus",
    _softplus,
    _softplus_vjp,
    derivative=_says("softplus'(z) = sigma(z)"),
    method=True,
    kinks=(SOFTPLUS_THRESHOLD,),
    samples=lambda d: d.tuples(d.floats(-40.0, 19.9) | d.floats(20.1, 40.0)),
    torch=lambda torch, F, a: F.softplus(a, beta=1.0, threshold=20.0),
    replay=Replay(
        "softplus({0} + {c}) - {c}",
        lambda b, v, c: b.softplus(v[0] + c) - c,
        const=lambda d: d.floats(-4.0, 4.0) | d.floats(17.0, 23.0),
        shift=True,
    ),
)
# log1p(a) = log(1 + a), accurate for small a; derivative 1 / (1 + a). Tests keep 0.05
# from the pole at -1; the random graphs take log1p of a*a - c with c < 1.
LOG1P = Op(
    "log1p",
    math.log1p,
    lambda g, out, a: (g / (1.0 + a),),
    domain=_log1p_domain,
    derivative=_says("log1p'(z) = 1/(1 + z)"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-0.95, 100.0)),
    torch=lambda torch, F, a: torch.log1p(a),
    replay=Replay(
        "log1p({0}*{0} - {c})",
        lambda b, v, c: b.log1p(v[0] * v[0] - c),
        const=lambda d: d.floats(0.0, 0.9),
    ),
)
# expm1(a) = e^a - 1, accurate for small a; derivative e^a = out + 1.
EXPM1 = Op(
    "expm1",
    math.expm1,
    lambda g, out, a: (g * (out + 1.0),),
    derivative=_says("expm1'(z) = exp(z) = out + 1"),
    method=True,
    samples=lambda d: d.tuples(d.floats(-10.0, 10.0)),
    torch=lambda torch, F, a: torch.expm1(a),
    replay=Replay("expm1({0})", lambda b, v, c: b.expm1(v[0])),
)
# n-ary sum: every input receives the upstream gradient unchanged. Tests: 1 to 6 summands.
SUM = Op(
    "sum",
    lambda *xs: sum(xs),
    lambda g, out, *xs: (g,) * len(xs),
    symbol="sum",
    derivative=_says("1"),
    method=True,
    samples=lambda d: d.n_ary(1, 6, d.floats(-100.0, 100.0)),
    torch=lambda torch, F, *xs: torch.stack(xs).sum(),
    replay=Replay("sum({all})", lambda b, v, c: b.sum(v), arity=range(1, 5)),
)
# n-ary dot product of (w_1..w_n) and (x_1..x_n): one node for a neuron's weighted sum.
# Tests: n = 1..4 pairs.
DOT = Op(
    "dot",
    _dot,
    _dot_vjp,
    symbol="dot",
    derivative=_dot_text,
    method=True,
    samples=lambda d: d.n_ary(1, 4, d.floats(-10.0, 10.0), times=2),
    torch=lambda torch, F, *xs: torch.dot(
        torch.stack(xs[: len(xs) // 2]), torch.stack(xs[len(xs) // 2 :])
    ),
    replay=Replay(
        "dot({half})",
        lambda b, v, c: b.dot(v[: len(v) // 2], v[len(v) // 2 :]),
        arity=range(2, 7, 2),  # 1 to 3 (w, x) pairs
    ),
)

# -- the table: every row above, in order ---------------------------------------------

ALL_OPS: tuple[Op, ...] = tuple(row for row in globals().values() if type(row) is Op)
"""Every primitive, in one table (the rows of this module, in order); tests iterate it."""

__all__ += [name for name, row in globals().items() if type(row) is Op]
