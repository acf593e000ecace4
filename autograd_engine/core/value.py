"""Value: a scalar that remembers how it was computed, so it can be differentiated."""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from autograd_engine.core import graph, ops
from autograd_engine.core.graph import data_of, decode_inputs, inputs_of, is_finite
from autograd_engine.core.mode import grad_mode, no_grad_blocks
from autograd_engine.core.ops import ADD, DIV, MUL, NO_OP, Op
from autograd_engine.validation import check_real, check_sequence, is_real, raise_as, show

__all__ = ["Value", "Constant", "apply_op"]

Number = int | float
V = TypeVar("V", bound="Value")
_EXACT_INT = 2**53  # every int of at most this size is a float exactly


class Value:
    """A scalar node of a computation graph.

    ``data`` is the float it holds (always finite), ``grad`` the derivative of the
    last ``backward()`` root with respect to it (accumulated, see ``backward``),
    ``label`` a name for drawings and error messages, ``op`` the ``Op`` that made
    it ("" for a leaf) and ``parents`` its inputs, in argument order.

    Arithmetic ``+ - * / **`` and unary ``-`` accept Values or numbers on either
    side; numbers become constants. One rule for constants: a number operand never
    gets a gradient and never takes part in the sweep, as a number gets none in
    PyTorch. A node stores it as the bare float; ``parents`` shows it as a
    ``Constant``, a leaf Value made the first time it is read and kept, so every read
    returns the same objects (drawings show it as a bare number). Reading ``parents``,
    drawing or pickling never changes a gradient.
    ``0 + x`` is ``x`` itself, so Python's ``sum(values)`` adds no ``0 + x`` node.

    Setting ``data`` by hand is checked as ``Value(data)`` is: a finite real number.

    Equality and hashing are by identity, so Values can key dicts and sets (optimizer
    state does); ``< <= > >=`` compare ``data``.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b + a          # c = ab + a
    >>> c.data
    -4.0
    >>> c.backward()           # dc/da = b + 1, dc/db = a
    >>> a.grad, b.grad
    (-2.0, 2.0)
    >>> c.backward()           # a second call adds the same again
    >>> a.grad, b.grad
    (-4.0, 4.0)
    """

    # _data holds the float (``data`` checks what is set by hand). The inputs live in
    # two slots, not a tuple (56 bytes less per node), read by ``graph.inputs_of``: a
    # leaf has _a = _b = None, a unary node _a = x, a binary node _a, _b = x, y, and a
    # node of three or more inputs the tuple in _a. A constant input is its float (or
    # its Constant once parents has shown it). _received is the fast backward sweep's
    # scratch (its mark, then the gradient received so far; see graph.py).
    __slots__ = ("_data", "grad", "label", "op", "_a", "_b", "_received")

    _data: float
    grad: float
    label: str
    op: Op  # NO_OP, the empty string, for a leaf
    _a: Any
    _b: Any
    _received: Any

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {show(label)}")
        _fill(self, _finite_float(data, label), NO_OP, None, None, label)

    @property
    def data(self) -> float:
        """The float this node holds (always finite)."""
        return self._data

    @data.setter
    def data(self, x: Number) -> None:
        self._data = _finite_float(x, self.label)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this node, in argument order (``()`` for a leaf).

        A constant input, stored as its float, is shown as a ``Constant`` leaf, made
        here the first time and kept in the input slot, so every later read returns
        the same objects. A Constant is a constant like its float: the sweep passes
        both by, so reading this never changes a gradient.
        """
        inputs = inputs_of(self)
        if float in map(type, inputs):
            self._a, self._b = _slots(
                tuple(_constant(x) if type(x) is float else x for x in inputs)
            )
            inputs = inputs_of(self)  # what is stored now (if two threads raced, the winner)
        return inputs

    @parents.setter
    def parents(self, inputs: tuple[Value | float, ...]) -> None:
        inputs = tuple(inputs)
        for i, x in enumerate(inputs):
            if not isinstance(x, Value) and not (type(x) is float and is_finite(x)):
                raise TypeError(
                    f"parents: input {i} must be a Value or a finite float, got {show(x)}"
                )
        self._a, self._b = _slots(inputs)

    # -- arithmetic -------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """self + other; d/dself = d/dother = 1."""
        if type(other) is Value:  # the common case: ADD.forward inline, straight to the builder
            return _node(ADD, self._data + other._data, self, other)
        if type(other) is float and is_finite(other):  # the next: a constant float
            return _node(ADD, self._data + other, self, other)
        return _binary(ADD, self, other, "add") or NotImplemented

    def __radd__(self, other: Number) -> Value:
        """other + self; ``0 + self`` is ``self`` (``sum(values)`` starts from the int 0)."""
        if type(other) is int and other == 0:
            return self
        if type(other) is float and is_finite(other):  # the common case: a constant float
            return _node(ADD, other + self._data, other, self)
        return _binary(ADD, self, other, "add", reflected=True) or NotImplemented

    def __mul__(self, other: Value | Number) -> Value:
        """self * other; d/dself = other, d/dother = self."""
        if type(other) is Value:  # the common case: MUL.forward inline, straight to the builder
            return _node(MUL, self._data * other._data, self, other)
        if type(other) is float and is_finite(other):  # the next: a constant float
            return _node(MUL, self._data * other, self, other)
        return _binary(MUL, self, other, "mul") or NotImplemented

    def __rmul__(self, other: Number) -> Value:
        """other * self."""
        if type(other) is float and is_finite(other):  # the common case: a constant float
            return _node(MUL, other * self._data, other, self)
        return _binary(MUL, self, other, "mul", reflected=True) or NotImplemented

    def __neg__(self) -> Value:
        """-self, as self * -1."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """self - other, as self + (-other) (negation is exact, so nothing is lost)."""
        if isinstance(other, Value):
            return self + (-other)
        if type(other) is float and is_finite(other):  # the common case: a finite float
            return self + (-other)
        c = _operand(other, "sub", self)
        if c is None:
            return NotImplemented
        return self + (-c)  # c is a float: other was not a Value

    def __rsub__(self, other: Number) -> Value:
        """other - self, as other + (-self)."""
        c = _operand(other, "sub", self)
        if c is None:
            return NotImplemented
        return (-self) + data_of(c)

    def __truediv__(self, other: Value | Number) -> Value:
        """self / other; d/dself = 1/other, d/dother = -self/other^2. Raises on other == 0."""
        if type(other) is Value and other._data != 0.0:  # the common case (DIV's domain)
            return _node(DIV, self._data / other._data, self, other)
        if type(other) is float and is_finite(other) and other != 0.0:  # a constant float
            return _node(DIV, self._data / other, self, other)
        return _binary(DIV, self, other, "div") or NotImplemented

    def __rtruediv__(self, other: Number) -> Value:
        """other / self for a number other."""
        if type(other) is float and is_finite(other) and self._data != 0.0:  # the common case
            return _node(DIV, other / self._data, other, self)
        return _binary(DIV, self, other, "div", reflected=True) or NotImplemented

    def __pow__(self, exponent: Value | Number) -> Value:
        """self ** exponent; d/dself = k self^(k-1); a Value exponent also gets self^k ln self.

        A number exponent is a constant (``pow``); a Value exponent (``powv``) needs
        self >= 0, since d/dk self^k = self^k ln(self).
        """
        if type(exponent) is int and -_EXACT_INT <= exponent <= _EXACT_INT:  # x ** 2
            exponent = float(exponent)  # the same constant the general path stores
        if type(exponent) is float and is_finite(exponent):  # the common case: a constant
            return _apply(ops.POW, (self, exponent), (self._data, exponent))
        op = ops.POWV if isinstance(exponent, Value) else ops.POW
        return _binary(op, self, exponent, "pow") or NotImplemented

    def __rpow__(self, base: Number) -> Value:
        """base ** self for a number base >= 0; d/dself = base^self ln(base)."""
        return _binary(ops.RPOW, self, base, "rpow", reflected=True) or NotImplemented

    # -- functions --------------------------------------------------------

    def exp(self) -> Value:
        """e ** self; derivative e ** self."""
        return _apply(ops.EXP, (self,), (self._data,))

    def log(self) -> Value:
        """Natural logarithm; self must be positive; derivative 1/self."""
        return _apply(ops.LOG, (self,), (self._data,))

    def tanh(self) -> Value:
        """tanh(self) = (e^2x - 1) / (e^2x + 1); derivative 1 - tanh^2."""
        # Straight to the builder: TANH has no domain and a finite result for every float.
        return _node(ops.TANH, ops.TANH.forward(self._data), self, None)

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), computed without overflow; derivative s * (1 - s)."""
        # Straight to the builder: SIGMOID has no domain and a finite result for every float.
        return _node(ops.SIGMOID, ops.SIGMOID.forward(self._data), self, None)

    def relu(self) -> Value:
        """max(self, 0); derivative 1 for x > 0, else 0 (0 at the kink)."""
        # Straight to the builder: RELU has no domain and a finite result for every float.
        return _node(ops.RELU, ops.RELU.forward(self._data), self, None)

    def sin(self) -> Value:
        """sin(self); derivative cos(self)."""
        return _apply(ops.SIN, (self,), (self._data,))

    def cos(self) -> Value:
        """cos(self); derivative -sin(self)."""
        return _apply(ops.COS, (self,), (self._data,))

    def tan(self) -> Value:
        """tan(self) = sin/cos; derivative 1 + tan^2 (finite for every float, huge near poles)."""
        return _apply(ops.TAN, (self,), (self._data,))

    def sqrt(self) -> Value:
        """sqrt(self) for self >= 0; derivative 1 / (2 sqrt(self)), which raises at 0."""
        return _apply(ops.SQRT, (self,), (self._data,))

    def abs(self) -> Value:
        """|self|; derivative sign(self), 0 at the kink (as PyTorch). Also ``abs(x)``."""
        return _apply(ops.ABS, (self,), (self._data,))

    def __abs__(self) -> Value:
        """abs(self) = |self|, the ``abs`` op."""
        return _apply(ops.ABS, (self,), (self._data,))

    def leaky_relu(self, negative_slope: Number = 0.01) -> Value:
        """self if self > 0 else negative_slope * self; derivative 1, else negative_slope.

        At the kink the derivative is ``negative_slope`` (as PyTorch). The slope is a
        constant of the op (its second parent, a constant leaf): it gets no gradient.
        """
        if not is_real(negative_slope):
            raise TypeError(
                f"leaky_relu: negative_slope must be a real number, got "
                f"{type(negative_slope).__name__} {negative_slope!r}"
            )
        slope = float(negative_slope)
        if not math.isfinite(slope):
            raise ValueError(f"leaky_relu: negative_slope must be finite, got {negative_slope!r}")
        return _apply(ops.LEAKY_RELU, (self, slope), (self._data, slope))

    def softplus(self) -> Value:
        """log(1 + e^self), as torch's softplus (self above 20); derivative sigmoid(self).

        Never overflows; above ``ops.SOFTPLUS_THRESHOLD = 20`` it is ``self`` with
        derivative 1, exactly as ``torch.nn.functional.softplus`` (beta=1, threshold=20).
        """
        return _apply(ops.SOFTPLUS, (self,), (self._data,))

    def log1p(self) -> Value:
        """log(1 + self), accurate for small self; self > -1; derivative 1 / (1 + self)."""
        return _apply(ops.LOG1P, (self,), (self._data,))

    def expm1(self) -> Value:
        """e^self - 1, accurate for small self; derivative e^self."""
        return _apply(ops.EXPM1, (self,), (self._data,))

    def conjugate(self) -> Value:
        """self: a real number is its own complex conjugate (numpy's ``var`` asks for it)."""
        return self

    @property
    def real(self) -> Value:
        """self: the real part of a real number (numpy's ``var`` asks for it)."""
        return self

    @staticmethod
    def sum(values: Iterable[Value | Number]) -> Value:
        """sum_i values_i as one node (each input's local derivative is 1)."""
        parents = _values_tuple(_sequence(values, "sum", "values"), "sum")
        if not parents:
            raise ValueError("sum: needs at least one value, got an empty sequence")
        return _apply(ops.SUM, parents, [data_of(p) for p in parents])

    @staticmethod
    def dot(weights: Sequence[Value | Number], inputs: Sequence[Value | Number]) -> Value:
        """sum_i weights_i * inputs_i as one node (d/dw_i = x_i, d/dx_i = w_i)."""
        ws = _sequence(weights, "dot", "weights")
        xs = _sequence(inputs, "dot", "inputs")
        if len(ws) != len(xs):
            raise ValueError(f"dot: needs sequences of equal length, got {len(ws)} and {len(xs)}")
        if not ws:
            raise ValueError("dot: needs at least one pair, got empty sequences")
        parents = _values_tuple((*ws, *xs), "dot")
        return _apply(ops.DOT, parents, [data_of(p) for p in parents])

    # -- differentiation --------------------------------------------------

    def backward(self, gradient: Number = 1.0) -> None:
        """Add d self / d node, times ``gradient``, to ``.grad`` of every node reachable.

        Gradients accumulate, as in PyTorch: a second call adds exactly the same
        amounts again, on interior nodes too, because each call computes every
        gradient afresh before adding it; call ``zero_grad`` between steps. If any
        gradient is not finite it raises and no ``.grad`` changes.
        """
        if type(gradient) is float and is_finite(gradient):
            seed = gradient
        else:
            seed = check_real("backward", "gradient", gradient, label=self.label)
        graph.backward(self, seed)

    # -- conveniences -----------------------------------------------------

    def __float__(self) -> float:
        """The data, as a float."""
        return self._data

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"`` formats the data; an empty spec gives ``str(self)``."""
        return format(self._data, spec) if spec else str(self)

    def __lt__(self, other: Value | Number) -> bool:
        return self._data < _compared(other)

    def __le__(self, other: Value | Number) -> bool:
        return self._data <= _compared(other)

    def __gt__(self, other: Value | Number) -> bool:
        return self._data > _compared(other)

    def __ge__(self, other: Value | Number) -> bool:
        return self._data >= _compared(other)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- pickle and copy: whole graphs, iteratively, sharing kept --------------------------

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle this node with its whole graph, at any depth, keeping shared nodes shared.

        A node's state is ``(data, grad, label, op, parents)``. Pickling that alone would
        recurse once per level of the graph; so the first node pickled (the root) also
        carries every interior ancestor, in topological order: each of those is then
        pickled when its parents already are, and the pickler never goes deeper than one
        level. Ops are pickled by name (a graph with an op outside ``ALL_OPS`` is refused
        with ``pickle.PicklingError`` before anything is written). Unpickling runs no
        code but ours; still, unpickle only files you trust (JSON ``Module.save`` /
        ``nn.load`` is the safe format for files from others).
        """
        state = (self._data, self.grad, self.label, self.op, _stored(self))
        # Nodes whose graph is being pickled, by id; the node itself is kept with its id
        # so that an id left here by an interrupted pickle can never name another node.
        pending = _pickling.__dict__.setdefault("pending", {})
        if self._a is None or pending.pop(id(self), None) is not None:
            return (_blank_value, (), state)
        inner = [node for node in graph.sweep_order(self)[:-1] if node._a is not None]
        for node in (*inner, self):
            if isinstance(node.op, Op):
                node.op.__reduce__()  # raises now, not halfway through, for a custom op
        ids = [id(node) for node in inner]
        pending.update(zip(ids, inner))
        return (_blank_value, (), (inner, _Release(ids), *state))

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        data, grad, label, op, inputs = state[-5:]
        _fill(self, data, op, None, None, label, grad)
        self.parents = inputs

    def __copy__(self) -> Value:
        """A new node with the same data, grad, label, op and (the same) inputs."""
        return _fill(
            _new_value(type(self)), self._data, self.op, self._a, self._b, self.label, self.grad
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the whole graph below this node, made iteratively; sharing is kept.

        Nodes already copied in this ``deepcopy`` (``memo``) are reused, so copying a
        model or a list of outputs keeps one copy of each shared node. Ops are shared;
        constants stay constants.
        """
        for node in graph.sweep_order(self):
            if id(node) not in memo:
                new = _fill(
                    _new_value(Value), node._data, node.op, None, None, node.label, node.grad
                )
                new._a, new._b = _slots(
                    tuple(memo[id(x)] if type(x) is Value else x for x in _stored(node))
                )
                memo[id(node)] = new
        copied: Value = memo[id(self)]
        return copied


class Constant(Value):
    """A number operand shown as a leaf Value (by ``parents``): it never gets a gradient.

    The sweep passes a Constant by exactly as it passes the float it stands for, so
    its ``grad`` stays 0.0. Used as an operand again, it is a constant there too.
    """

    __slots__ = ()


def _finite_float(x: object, label: object) -> float:
    """``x`` as a finite float, or a TypeError/ValueError naming it (and its label)."""
    if type(x) is float and is_finite(x):  # the common case
        return x
    if type(x) is int:  # the next (1 - x, x ** 2): finite unless beyond the float range
        try:
            return float(x)
        except OverflowError:
            pass  # check_real names it
    return check_real("Value", "data", x, label=label)


# Numbers that are not real (complex, Decimal, bool) and built-in containers, None, str:
# Value + x raises for these at once, naming the Value; any other type (a numpy array,
# a class of the user's) gets its own reflected method tried first (NotImplemented).
def _defer_to(x: object) -> bool:
    return not isinstance(x, numbers.Number) and type(x).__module__ != "builtins"


def _operand(x: object, op: str, owner: Value | None = None) -> Value | float | None:
    """``x`` if a Value, a float if a finite real number (a constant input), None (defer)
    for a foreign type that may know how to combine with a Value, else a clear error.

    A number that is not finite is a ValueError, a bool, complex, str, None or
    container a TypeError; both name ``op`` and the Value on the other side.
    """
    if isinstance(x, Value):
        return x
    if type(x) is float and is_finite(x):
        return x
    if type(x) is int or is_real(x):  # an int first: is_real asks the numbers ABCs, slowly
        try:
            return _finite_float(x, "")
        except ValueError:
            other = f" (the other operand is {_describe(owner)})" if owner is not None else ""
            raise ValueError(
                f"{op}: operand must be a finite number, got {show(x)}{other}"
            ) from None
    if _defer_to(x):
        return None
    other = f" with the Value {_describe(owner)}" if owner is not None else ""
    raise TypeError(
        f"{op}: unsupported operand {show(x)}{other}: the other operand must be a "
        "Value or a real number (not bool)"
    )


def _binary(
    op: Op, value: Value, other: object, name: str, reflected: bool = False
) -> Value | None:
    """The node ``op(value, other)`` (``op(other, value)`` if ``reflected``), a number
    ``other`` kept as a constant float; None for a foreign type that may know better (the
    operator method then returns NotImplemented)."""
    if isinstance(other, Value):  # the hot path: two Values
        od = other._data
    elif type(other) is float and is_finite(other):  # the next: a finite float
        od = other
    else:
        maybe = _operand(other, name, value)
        if maybe is None:
            return None
        other = maybe
        od = data_of(maybe)
    if reflected:
        return _apply(op, (other, value), (od, value._data))
    return _apply(op, (value, other), (value._data, od))


def _constant(x: float) -> Constant:
    """The Constant leaf holding ``x`` (already a finite float)."""
    return _fill(_new_value(Constant), x, NO_OP, None, None)


def _stored(node: Value) -> tuple[Value | float, ...]:
    """``node``'s inputs as a new node would store them: each constant as its float."""
    return tuple(x._data if type(x) is Constant else x for x in inputs_of(node))


def _slots(inputs: tuple[Value | float, ...]) -> tuple[Any, Any]:
    """``inputs`` as the pair (_a, _b) a node stores (see ``Value.__slots__``)."""
    n = len(inputs)
    if n == 2:
        return inputs[0], inputs[1]
    if n == 1:
        return inputs[0], None
    return (inputs or None), None


def _sequence(xs: object, op: str, name: str) -> tuple[object, ...]:
    # A list or tuple as it is (the common case, no checks); anything else through the
    # validation module, which refuses a str, a dict, a single Value or a number.
    if type(xs) is list or type(xs) is tuple:
        return tuple(xs)
    return tuple(check_sequence(op, name, xs, what="Values or numbers", forbid=(Value,)))


def _values_tuple(xs: Iterable[object], op: str) -> tuple[Value | float, ...]:
    """``xs`` as a tuple of Values and constant floats, or an error naming the entry."""
    xs = tuple(xs)
    if set(map(type, xs)) <= {Value}:  # the common case, checked at C speed
        return xs  # type: ignore[return-value]  # every item is a Value
    values: list[Value | float] = []
    for i, x in enumerate(xs):
        if type(x) is float and is_finite(x):  # a finite float: a constant, no checks
            values.append(x)
        elif isinstance(x, Value):
            values.append(x)
        elif is_real(x):
            values.append(check_real(op, f"input {i}", x))
        else:
            raise TypeError(f"{op}: input {i} must be a Value or a real number, got {show(x)}")
    return tuple(values)


def _compared(x: object) -> float:
    if isinstance(x, Value):
        return x._data
    if is_real(x):
        return x  # type: ignore[return-value]  # float vs int compares exactly, any size
    raise TypeError(f"compare: a Value can be compared with a Value or a number, got {show(x)}")


def _describe(v: Value) -> str:
    return f"{v.label} = {v._data!r}" if v.label else repr(v._data)


def apply_op(op: Op, *args: Value | Number) -> Value:
    """The node ``op(*args)``, built exactly as ``Value``'s own methods build theirs.

    For an ``Op`` that ``Value`` has no method for, such as a home-made one in a test.
    Numbers become constant leaves. Raises TypeError for a non-Op, a non-number
    argument or a Value where the op takes a constant (``op.constants``), and
    whatever the op's domain check or forward raises.
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply_op: op must be an Op, got {type(op).__name__} {op!r}")
    for i in op.constants:
        if i < len(args) and isinstance(args[i], Value):
            raise TypeError(
                f"{op}: input {i} is a constant of {op} and gets no gradient; "
                f"pass a number, not a Value ({args[i]!r})"
            )
    parents = _values_tuple(args, str(op))
    return _apply(op, parents, [data_of(p) for p in parents])


def _apply(op: Op, parents: tuple[Value | float, ...], xs: Sequence[float]) -> Value:
    """Run ``op`` on ``parents``, whose data are ``xs``; check the domain first, the result after.

    Raises (and creates nothing) if the inputs are outside the op's domain or the
    result is not finite. Inside ``no_grad`` the result is a leaf.
    """
    if op.domain is not None:
        problem = op.domain(*xs)
        if problem is not None:
            raise_as(problem, f"{op}: {problem}; got {_operands(parents)}", chain=False)
    try:
        data = op.forward(*xs)
    except OverflowError:
        data = math.inf
    if type(data) is not float:  # the built-in ops always return floats
        raise TypeError(f"{op}: forward must return a float, got {show(data)}")
    return _node(op, data, *_slots(parents))


def _node(op: Op, data: float, a: Any, b: Any) -> Value:
    """The node ``op`` made with inputs ``a, b`` (the slots, see ``Value.__slots__``) and
    result ``data``: the one place an op's node is built. Raises OverflowError (and
    creates nothing) if ``data`` is not finite. Inside ``no_grad`` the node is a leaf.
    """
    if data - data != 0.0:  # not is_finite(data), inline: the hottest test of a step
        shown = _operands(decode_inputs(a, b))
        raise OverflowError(f"{op}: the result is not finite ({data!r}); got {shown}")
    # Every slot, as _fill fills them, inline: this is the hottest code of a step.
    out = _new_value(Value)
    out._data = data
    out.grad = 0.0
    out.label = ""
    out._received = None
    if not no_grad_blocks or grad_mode.enabled:  # no thread, or not this one, in no_grad
        out.op = op
        out._a = a
        out._b = b
    else:  # inside no_grad: a leaf
        out.op = NO_OP
        out._a = out._b = None
    return out


def _fill(node: V, data: float, op: Op, a: Any, b: Any, label: str = "", grad: float = 0.0) -> V:
    """Fill every slot of ``node``: the one place a node is built (see ``Value.__slots__``)."""
    node._data = data
    node.grad = grad
    node.label = label
    node.op = op
    node._a = a
    node._b = b
    node._received = None
    return node


_new_value = object.__new__

_pickling = threading.local()  # ids of nodes whose graph is already being pickled


def _blank_value() -> Value:
    # What unpickling starts from; __setstate__ then fills every slot.
    return _new_value(Value)


class _Release:
    """Pickled right after a root's ancestors: they no longer need the one-level form."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        pending = _pickling.__dict__.setdefault("pending", {})
        for i in self.ids:
            pending.pop(i, None)
        return (type(None), ())


def _operands(parents: tuple[Value | float, ...]) -> str:
    shown = ", ".join(_describe(p) if isinstance(p, Value) else repr(p) for p in parents[:4])
    return shown + (", ..." if len(parents) > 4 else "")


def _method_of(op: Op) -> Any:
    """``Value``'s method for a row that asks for one (``op.method``) and has none above."""

    def method(self: Value, *constants: Number) -> Value:
        return apply_op(op, self, *constants)

    method.__name__ = str(op)
    method.__qualname__ = f"Value.{op}"
    method.__doc__ = (
        f"{op}(self), made from its row in ops.py; {ops.derivative_text(op, 0, ['z'])}."
    )
    return method


# A new row needs no edit here: its method is made from the row (the tests check that the
# methods written above build their own rows).
for _row in ops.ALL_OPS:
    if _row.method and str(_row) not in vars(Value):
        setattr(Value, str(_row), _method_of(_row))
