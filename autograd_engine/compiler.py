"""Compile a graph into the Python a person would write: ``compiled(fn, params, *args)``.

``fn`` is called once on Values; the graph it records becomes straight-line Python source,
one line a node for the forward pass, then the backward pass written out with the chain
rule, line by line in the order ``loss.backward()`` takes. The compiler knows no calculus:
each line is written by running the op row's own forward or ``vjp`` on symbols, so the
compiled step gives the engine's loss and gradients bit for bit (each compile checks this
on its example). It reads the graph only through the public API. What it assumes about
``fn`` and checks (``GuardError``), ``runtime_constant`` and ``runtime_guard``:
docs/engine.md, "Compiling a graph into plain Python"; a worked reading: notebook 11.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
import operator
import re
import struct
import threading
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from autograd_engine.core import ops
from autograd_engine.core.graph import topological_order
from autograd_engine.core.mode import enable_grad
from autograd_engine.core.ops import Op
from autograd_engine.core.value import Value
from autograd_engine.validation import label_note, raise_as

__all__ = [
    "compiled",
    "CompiledStep",
    "GuardError",
    "runtime_constant",
    "runtime_guard",
    "tracing",
]


class GuardError(ValueError):
    """The traced graph depends on the data through Python control flow: it cannot be compiled."""


class _Tracing(threading.local):
    constants: list[tuple[Value, Callable[..., float], tuple[Value, ...]]] | None = None
    guards: list[tuple[bool, Callable[..., bool], tuple[Value, ...], str]] = []
    explorer: _Explorer | None = None


_tracing = _Tracing()


def tracing() -> bool:
    """True while ``compiled`` is calling ``fn`` to record its graph (in this thread)."""
    return _tracing.constants is not None


def runtime_constant(
    value: float, rule: Callable[..., float], deps: Sequence[Value] = ()
) -> Value | float:
    """``value``, a number ``fn`` computes from the data or draws, made known to ``compiled``.

    Outside a trace it returns ``value`` itself (a float), so the graph is what it always
    was. While ``compiled`` traces, it returns a leaf Value holding ``value`` and records
    ``rule``: with ``deps`` (Values), ``value == rule(*[d.data for d in deps])`` and the
    compiled step computes it from those nodes; without ``deps``, ``rule()`` draws it
    (a dropout mask) and the compiled step calls it once per call, in the order ``fn``
    drew them. Use it for a number that enters the graph as a constant but changes from
    call to call; the leaf gets a gradient nobody reads, as a constant gets none.
    """
    if _tracing.constants is None:
        return value
    leaf = Value(value)
    _tracing.constants.append((leaf, rule, tuple(deps)))
    return leaf


def runtime_guard(value: bool, rule: Callable[..., bool], deps: Sequence[Value], what: str) -> None:
    """Record a branch ``fn`` takes on the data: ``value == rule(*[d.data for d in deps])``.

    Outside a trace it does nothing. While ``compiled`` traces, the compiled step evaluates
    ``rule`` on every call and raises ``GuardError`` (naming ``what``) where it differs from
    the traced ``value``: the call would have taken the other branch, a graph the code does
    not hold. For branches that are rare but possible (a clamp at an extreme value).
    """
    if _tracing.constants is not None:
        _tracing.guards.append((value, rule, tuple(deps), what))


# -- tracing ---------------------------------------------------------------------------


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


class _Trace:
    """One call of ``fn`` on Values, classified node by node (public API only)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        params: list[Value],
        args: tuple[Any, ...],
        statics: tuple[Any, ...],
    ) -> None:
        self.inputs, call_args = _leaf_arguments(args, statics)
        outputs = _checked_outputs(self._call(fn, params, call_args))
        self.outputs = outputs
        root = outputs[0] if len(outputs) == 1 else Value.sum(outputs)
        order = topological_order(root)
        if len(outputs) > 1:
            order.pop()  # the synthetic sum: the outputs are seeded one by one
        self.order = order
        # The forward also needs what a runtime constant's rule reads (a node that the
        # loss itself may not reach), so it walks the graph with those extra edges.
        self.extra = {id(leaf): deps for leaf, _, deps in self.constants}
        guarded = [d for guard in self.guards for d in guard[2]]
        self.forward = _forward_order([*outputs, *guarded], self.extra)
        self.param_index = {id(p): k for k, p in enumerate(params)}
        self.input_index = {id(x): k for k, x in enumerate(self.inputs)}
        self.constant_index = {id(c[0]): k for k, c in enumerate(self.constants)}
        self.frozen: list[Value] = []
        self.frozen_index: dict[int, int] = {}

    def _call(self, fn: Callable[..., Any], params: list[Value], call_args: list[Any]) -> Any:
        """``fn(*call_args)``, collecting its runtime constants and guards; a call that
        changed a parameter's ``.grad`` is refused, the gradients put back."""
        before = [p.grad for p in params]
        _tracing.constants, _tracing.guards = [], []
        try:
            with enable_grad():
                result = fn(*call_args)
        finally:
            self.constants, _tracing.constants = _tracing.constants, None
            self.guards, _tracing.guards = _tracing.guards, []
        if any(_bits(p.grad) != _bits(g) for p, g in zip(params, before, strict=True)):
            for p, g in zip(params, before, strict=True):
                p.grad = g
            raise ValueError(
                "compiled: fn changed a parameter's .grad (it called backward()); fn must "
                "only compute the loss: the compiled step does the backward pass"
            )
        return result

    def kind(self, node: Value) -> str:
        if id(node) in self.param_index:
            return "param"
        if id(node) in self.input_index:
            return "input"
        if id(node) in self.constant_index:
            return "runtime"
        if id(node) in self.frozen_index:
            return "frozen"
        return "node" if node.parents else "constant"

    def leaves(self) -> list[Value]:
        """The leaves that are neither parameters, inputs nor runtime constants, once each."""
        return [n for n in self.forward if self.kind(n) == "constant"]

    def freeze(self, frozen: list[Value]) -> None:
        """Classify these leaves (Values outside params, the same on every trace) as read
        from their ``.data`` at every call, by position in ``frozen``."""
        self.frozen = frozen
        self.frozen_index = {id(f): k for k, f in enumerate(frozen)}

    def signature(self) -> list[tuple[Any, ...]]:
        """One entry per node of the forward order, then per guard: what must not change."""
        position = {id(n): k for k, n in enumerate(self.forward)}
        sig: list[tuple[Any, ...]] = self._nodes(position)
        for value, rule, deps, what in self.guards:
            code = getattr(rule, "__code__", rule)
            sig.append(("guard", what, value, code, tuple(position[id(d)] for d in deps)))
        return sig

    def _nodes(self, position: dict[int, int]) -> list[tuple[Any, ...]]:
        sig: list[tuple[Any, ...]] = []
        for node in self.forward:
            kind = self.kind(node)
            if kind == "param":
                sig.append((kind, self.param_index[id(node)]))
            elif kind == "input":
                sig.append((kind, self.input_index[id(node)]))
            elif kind == "runtime":
                k = self.constant_index[id(node)]
                _, rule, deps = self.constants[k]
                code = getattr(rule, "__code__", rule)
                sig.append((kind, k, code, tuple(position[id(d)] for d in deps)))
            elif kind == "frozen":
                sig.append((kind, self.frozen_index[id(node)]))
            elif kind == "constant":
                sig.append((kind, _bits(node.data)))
            else:
                sig.append((kind, id(node.op), tuple(position[id(p)] for p in node.parents)))
        return sig


def _leaf_arguments(
    args: tuple[Any, ...], statics: tuple[Any, ...]
) -> tuple[list[Value], list[Any]]:
    """fn's arguments on Values: a float becomes a leaf, a list a list of leaves, a static
    argument stays as it is. Returns ``(the leaves in order, the arguments)``."""
    inputs: list[Value] = []
    call_args: list[Any] = []
    for i, arg in enumerate(args):
        if statics[i] is not None:
            call_args.append(arg)
        elif isinstance(arg, float):
            leaf = Value(arg)
            inputs.append(leaf)
            call_args.append(leaf)
        else:
            leaves = [Value(float(x)) for x in arg]
            inputs.extend(leaves)
            call_args.append(leaves)
    return inputs, call_args


def _checked_outputs(result: Any) -> list[Value]:
    """fn's result as a list of distinct computed Values, or the error saying what it is."""
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    if not outputs or not all(isinstance(o, Value) for o in outputs):
        raise TypeError(
            "compiled: fn must return a Value (the loss) or a list of Values, got "
            f"{type(result).__name__}"
        )
    if len({id(o) for o in outputs}) != len(outputs):
        raise ValueError("compiled: fn returned the same Value twice")
    for o in outputs:
        if not o.parents:
            raise ValueError(
                "compiled: fn returned a leaf Value (an input, a parameter or a number "
                "made into a Value, or a result computed under no_grad): there is "
                "no graph to compile"
            )
    return outputs


def _forward_order(outputs: list[Value], extra: dict[int, tuple[Value, ...]]) -> list[Value]:
    """Every node the outputs need (parents, and a runtime constant's deps), each after them.

    Depth-first post-order, iterative, outputs and parents in order.
    """
    order: list[Value] = []
    placed: set[int] = set()
    for out in outputs:
        stack: list[tuple[Value, bool]] = [(out, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in placed:
                continue
            if expanded:
                placed.add(id(node))
                order.append(node)
                continue
            stack.append((node, True))
            before = (*node.parents, *extra.get(id(node), ()))
            stack.extend((p, False) for p in reversed(before) if id(p) not in placed)
    return order


def _node_words(trace: _Trace, node: Value, k: int) -> str:
    # How a message names node k of a trace: "node 3 (a parameter labelled 'w')".
    label = f" labelled {node.label!r}" if node.label else ""
    kind = trace.kind(node)
    what = {
        "param": "a parameter",
        "input": "an input",
        "runtime": "a runtime constant",
        "frozen": "a Value outside params",
        "constant": f"the constant {node.data!r}",
    }.get(kind, f"{'an' if str(node.op)[:1] in 'aeiou' else 'a'} {node.op} node")
    return f"node {k} ({what}{label})"


def _refuse_outside_nodes(first: _Trace, second: _Trace) -> None:
    """A node (not a leaf) that is the same object on both traces was computed before fn
    was called: fn on Values reuses its value, stale once a parameter moves, where the
    compiled code would compute it afresh. Refused (ValueError), not silently changed."""
    again = {id(node) for node in second.forward if node.parents}
    for k, node in enumerate(first.forward):
        if node.parents and id(node) in again:
            raise ValueError(
                f"compiled: {_node_words(first, node, k)} was computed before fn was called "
                "(the same node on both traces): fn on Values would reuse its old value, "
                "the compiled step would recompute it; build it inside fn, or pass its "
                "value as an input"
            )


def _compare(first: _Trace, second: _Trace) -> None:
    a, b = first.signature(), second.signature()
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y and (x[0] == "guard" or y[0] == "guard"):
            what = x[1] if x[0] == "guard" else y[1]
            raise GuardError(
                f"compiled: the graph depends on the data: tracing fn a second time on other "
                f"inputs takes another branch at {what}; such a function cannot be compiled "
                "(run it on Values instead)"
            )
        if x != y:
            why = (
                "a constant baked into the graph changed with the data (a number read "
                "from an input's or a parameter's .data, or another Value's: compute it "
                "with runtime_constant, or pass it as an input)"
                if x[0] == y[0] == "constant"
                else "the graph's structure changed with the data (Python control flow on "
                ".data, a comparison of Values, a branch)"
            )
            raise GuardError(
                f"compiled: the graph depends on the data: tracing fn a second time on other "
                f"inputs gives a different {_node_words(second, second.forward[k], k)} where "
                f"the first trace had {_node_words(first, first.forward[k], k)}: {why}; such a "
                "function cannot be compiled (run it on Values instead)"
            )
    if len(a) != len(b):
        raise GuardError(
            f"compiled: the graph depends on the data: tracing fn a second time on other "
            f"inputs gives {len(b)} nodes, the first trace {len(a)} (Python control flow on "
            ".data); such a function cannot be compiled (run it on Values instead)"
        )


# -- code generation -------------------------------------------------------------------

# Names the generated code calls: each op row's forward bound by the op's name (_exp is
# EXP.forward), so a derivative that calls cos(a) reads ``_cos(a)``.
_NAMESPACE_BASE: dict[str, Any] = {f"_{op}": op.forward for op in ops.ALL_OPS}
_NAMESPACE_BASE.update({"sum": builtins.sum, "__builtins__": {}})

_RESERVED = {"P", "A", "S", "C", "F", "R", "L", "push", "sum", "step", "forward", "rows"}


def _literal(x: float) -> str:
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


class _Names:
    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)

    def fresh(self, wanted: str) -> str:
        base = re.sub(r"[^0-9A-Za-z_]", "_", wanted).lstrip("_") or "v"  # ASCII: no NFKC
        if base[0].isdigit():
            base = "v" + base
        name, k = base, 1
        while name in self.used or keyword.iskeyword(name) or hasattr(builtins, name):
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name


class _Kernel:
    """The generated code of one trace: ``step`` (forward and backward) and ``forward``."""

    def __init__(
        self,
        trace: _Trace,
        params: list[Value],
        arg_names: Sequence[str],
        shapes: Sequence[Any],
        statics: tuple[Any, ...],
    ) -> None:
        self.trace = trace
        names = _Names()
        var: dict[int, str] = {}
        ns = dict(_NAMESPACE_BASE)
        self.impure = [k for k, c in enumerate(trace.constants) if not c[2]]
        # Names: the signature first (parameters, arguments), then nodes in forward order.
        frozen_unpack = self._name_leaves(trace, params, var, names)
        ns["F"] = tuple(trace.frozen)
        args, unpack = self._name_arguments(trace, arg_names, shapes, statics, var, names)
        self._name_nodes(trace, var, names)
        forward_lines = self._forward(trace, var, ns)
        grads, backward_lines = self._backward(trace, var, names, ns, params)
        signature = "".join(f", {a}" for a in args)
        head = ["    " + _unpack([var[id(p)] for p in params], "P")] if params else []
        head += frozen_unpack
        outs = [var[id(o)] for o in trace.outputs]
        accs = [grads[id(p)] for p in params]
        self.forward_source = _forward_source(signature, head, unpack + forward_lines, outs)
        self.source = _step_source(
            signature, head, accs, self.seed_names, unpack + forward_lines, backward_lines, outs
        )
        body = [*unpack, *forward_lines, *backward_lines]
        self.rows_source = (
            _rows_source(signature, head, accs, self.seed_names, body, outs[0])
            if len(trace.outputs) == 1
            else ""
        )
        self.namespace = ns
        self.draw: list[Callable[[], float]] = [trace.constants[k][1] for k in self.impure]
        self.step: Callable[..., Any] = self._compiled(self.source, "step")

    @staticmethod
    def _name_leaves(
        trace: _Trace, params: list[Value], var: dict[int, str], names: _Names
    ) -> list[str]:
        """Name the parameters, then the Values outside params (``trace.frozen``); returns
        the lines that read the latter."""
        for k, p in enumerate(params):
            var[id(p)] = names.fresh(p.label or f"p{k}")
        # A Value outside params: read from its .data at every call, as fn would read it.
        frozen_unpack = []
        for k, f in enumerate(trace.frozen):
            var[id(f)] = names.fresh(f.label or f"f{k}")
            frozen_unpack.append(
                f"    {var[id(f)]} = F[{k}].data  # not in params: read at each call, no gradient"
            )
        return frozen_unpack

    def _name_arguments(
        self,
        trace: _Trace,
        arg_names: Sequence[str],
        shapes: Sequence[Any],
        statics: tuple[Any, ...],
        var: dict[int, str],
        names: _Names,
    ) -> tuple[list[str], list[str]]:
        """Name the arguments, their items (a list argument) and the constants drawn anew
        on every call; returns the arguments' names and the lines that unpack them."""
        args: list[str] = []
        unpack: list[str] = []
        inputs = iter(trace.inputs)
        for name, shape, static in zip(arg_names, shapes, statics):
            arg = names.fresh(name)
            args.append(arg)
            if static is not None:
                unpack.append(f"    # {arg} = {static!r}: an int, static (this code is for it)")
            elif shape == "float":
                var[id(next(inputs))] = arg
            else:
                items = [names.fresh(f"{arg}{j}") for j in range(shape)]
                for item in items:
                    var[id(next(inputs))] = item
                unpack.append("    " + _unpack(items, arg))
        drawn = []
        for k in self.impure:
            leaf = trace.constants[k][0]
            var[id(leaf)] = names.fresh(leaf.label or f"c{k}")
            drawn.append(var[id(leaf)])
        if drawn:
            unpack.append("    " + _unpack(drawn, "C") + "  # drawn anew on every call")
        return args, unpack

    @staticmethod
    def _name_nodes(trace: _Trace, var: dict[int, str], names: _Names) -> None:
        """Name the other nodes in forward order (a constant leaf: its literal)."""
        for node in trace.forward:
            if id(node) in var:
                continue
            if trace.kind(node) == "constant":
                var[id(node)] = _literal(node.data)
            else:
                var[id(node)] = names.fresh(node.label or f"v{len(var)}")

    def _compiled(self, source: str, name: str) -> Callable[..., Any]:
        code = compile(source, f"<compiled {name}>", "exec")
        exec(code, self.namespace)  # noqa: S102  # our own generated source, nothing else
        fn: Callable[..., Any] = self.namespace[name]
        return fn

    @property
    def forward(self) -> Callable[..., Any]:
        """``forward(P, C, *args) -> outputs``, compiled on first use."""
        if "forward" not in self.namespace:
            self._compiled(self.forward_source, "forward")
        fn: Callable[..., Any] = self.namespace["forward"]
        return fn

    @property
    def rows(self) -> Callable[..., Any] | None:
        """``rows(P, A, S, R) -> (losses, A)``, compiled on first use (one output only)."""
        if not self.rows_source:
            return None
        if "rows" not in self.namespace:
            self._compiled(self.rows_source, "rows")
        fn: Callable[..., Any] = self.namespace["rows"]
        return fn

    def _forward(self, trace: _Trace, var: dict[int, str], ns: dict[str, Any]) -> list[str]:
        lines = ["    # forward: one line a node"]
        # Each guard is checked as soon as the values it reads exist, before the nodes of the
        # branch it guards run on data from the other branch (log(0) after a clamp's guard).
        position = {id(node): i for i, node in enumerate(trace.forward)}
        ready: dict[int, list[int]] = {}
        for k, (_, _, deps, _) in enumerate(trace.guards):
            ready.setdefault(max((position[id(d)] for d in deps), default=-1), []).append(k)
        lines.extend(self._guard_lines(trace, ready.get(-1, []), var, ns))
        for i, node in enumerate(trace.forward):
            lines.extend(self._node_line(trace, node, var, ns, len(lines)))
            lines.extend(self._guard_lines(trace, ready.get(i, []), var, ns))
        return lines

    def _node_line(
        self, trace: _Trace, node: Value, var: dict[int, str], ns: dict[str, Any], at: int
    ) -> list[str]:
        kind = trace.kind(node)
        if kind in ("param", "input", "frozen", "constant"):
            return []
        name = var[id(node)]
        if kind == "runtime":
            k = trace.constant_index[id(node)]
            _, rule, deps = trace.constants[k]
            if not deps:
                return []  # drawn by the caller, passed in as an input
            ns[f"_rule{k}"] = rule
            args = ", ".join(var[id(d)] for d in deps)
            return [f"    {name} = _rule{k}({args})  # runtime constant"]
        xs = [var[id(p)] for p in node.parents]
        return _forward_line(node, name, xs, ns, at)

    @staticmethod
    def _guard_lines(
        trace: _Trace, ks: list[int], var: dict[int, str], ns: dict[str, Any]
    ) -> list[str]:
        lines = []
        for k in ks:
            value, rule, deps, what = trace.guards[k]
            ns[f"_guard{k}"], ns["_diverged"] = rule, _diverged
            args = ", ".join(var[id(d)] for d in deps)
            lines.append(
                f"    if _guard{k}({args}) is not {value!r}:  # the branch taken when traced"
            )
            lines.append(f"        _diverged({what!r})")
        return lines

    def _backward(
        self,
        trace: _Trace,
        var: dict[int, str],
        names: _Names,
        ns: dict[str, Any],
        params: list[Value],
    ) -> tuple[dict[int, str], list[str]]:
        # A node needs a gradient if a parameter lies below it; nothing else is computed.
        needs: dict[int, bool] = {}
        for node in trace.order:
            if id(node) in trace.param_index:
                needs[id(node)] = True
            else:
                needs[id(node)] = any(needs.get(id(p), False) for p in node.parents)
        for node in trace.outputs:
            needs.setdefault(id(node), False)
        # Each node's gradient is written once, when its turn comes in the sweep: the sum of
        # what it received, in the order received (t1 + t2 + t3 is ((t1 + t2) + t3), the
        # engine's running sum); a parameter's adds to what it held before the call.
        grads: dict[int, str] = {id(p): names.fresh("g_" + var[id(p)]) for p in params}
        received: dict[int, list[str]] = {}
        lines: list[str] = []
        seeds = []
        for o in trace.outputs:
            seeds.append(names.fresh("g_" + var[id(o)]))
            received[id(o)] = [seeds[-1]]
        self.seed_names = seeds
        for node in reversed(trace.order):
            if not node.parents or not needs[id(node)]:
                continue
            terms_in = received.pop(id(node))
            name = var[id(node)]
            if len(terms_in) == 1 and terms_in[0].isidentifier():
                g = terms_in[0]  # received one gradient, as it is: no line
            else:
                g = names.fresh("g_" + name)
                lines.extend(_sum_lines(g, terms_in, first=True))
            xs = [var[id(p)] for p in node.parents]
            wanted = [needs.get(id(p), False) for p in node.parents]
            terms, pre = _vjp_terms(node, g, name, xs, wanted, ns, len(ns))
            passes = "  (passes its gradient on unchanged)" if g in terms else ""
            lines.append(f"    # {name} = {_formula(node, xs)}{passes}")
            lines.extend(pre)
            for parent, term in zip(node.parents, terms):
                if term is not None:
                    received.setdefault(id(parent), []).append(term)
        lines.append("    # each parameter: what it held, plus what it received, in order")
        for p in params:
            if id(p) in received:
                lines.extend(_sum_lines(grads[id(p)], received.pop(id(p)), first=False))
        return grads, lines


def _forward_source(signature: str, head: list[str], body: list[str], outs: list[str]) -> str:
    """``forward(P, C, *args) -> outputs``."""
    lines = [f"def forward(P, C{signature}):", *head, *body]
    lines.append(f"    return ({', '.join(outs)},)")
    return "\n".join(lines) + "\n"


def _step_source(
    signature: str,
    head: list[str],
    accs: list[str],
    seeds: list[str],
    forward: list[str],
    backward: list[str],
    outs: list[str],
) -> str:
    """``step(P, A, S, C, *args) -> (outputs, A)``."""
    lines = [f"def step(P, A, S, C{signature}):", *head]
    if accs:
        lines.append("    " + _unpack(accs, "A") + "  # each d out / d p so far")
    lines += forward
    lines.append("    # backward: the chain rule, from the output back to the parameters")
    lines.append("    " + _unpack(seeds, "S") + "  # d loss / d output, given")
    lines += backward
    lines.append(f"    return ({', '.join(outs)},), {_tuple(accs)}")
    return "\n".join(lines) + "\n"


def _rows_source(
    signature: str, head: list[str], accs: list[str], seeds: list[str], body: list[str], out: str
) -> str:
    """``rows(P, A, S, R) -> (outputs, A)``: step on every row of R = [(C, *args), ...] in
    turn, parameters unpacked once (one output only; S the same for every row)."""
    lines = [
        "def rows(P, A, S, R):",
        *head,
        *(["    " + _unpack(accs, "A")] if accs else []),
        "    " + _unpack(seeds, "S"),
        "    L = []",
        "    push = L.append",
        f"    for C{signature} in R:",
        *["    " + line for line in body],
        f"        push({out})",
        f"    return L, {_tuple(accs)}",
    ]
    return "\n".join(lines) + "\n"


def _sum_lines(target: str, terms: list[str], first: bool) -> list[str]:
    """``target = t1 + t2 + ...`` (``target + t1 + ...`` unless ``first``), 32 terms a line."""
    lines = []
    for k in range(0, len(terms), 32):
        chunk = terms[k : k + 32]
        head = [] if first and k == 0 else [target]
        lines.append(f"    {target} = {' + '.join(head + chunk)}")
    return lines


def _formula(node: Value, xs: list[str]) -> str:
    op = node.op
    if op is ops.ADD or op is ops.MUL or op is ops.DIV or op is ops.POW:
        return f"{xs[0]} {op.symbol} {xs[1]}"
    if op is ops.SUM and len(xs) > 4:
        return f"sum({', '.join(xs[:2])}, ..., {xs[-1]})"
    if op is ops.DOT:
        n = len(xs) // 2
        if n > 2:
            return f"dot([{xs[0]}, ..., {xs[n - 1]}], [{xs[n]}, ..., {xs[-1]}])"
        return f"dot([{', '.join(xs[:n])}], [{', '.join(xs[n:])}])"
    return f"{_shown(op)}({', '.join(xs)})"


def _shown(op: Op) -> str:
    """The op's name as a comment may hold it: a line break or other control character
    escaped (a custom op's name is any str; it must not end the comment and become code)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in op)


def _tuple(names: list[str]) -> str:
    """``(a, b, c,)``, wrapped over several lines when long."""
    text = _unpack([*names, "_"], "_")  # the same wrapping, then cut to the tuple
    if len(names) <= 1 or "\n" not in text:
        return f"({', '.join(names)}{',' if names else ''})"
    body = text[text.index("(") + 1 : text.rindex(")")].replace("_,", "").rstrip()
    return f"({body}\n    )"


def _unpack(names: list[str], source: str, indent: str = "    ") -> str:
    """``a, b, c = source``, wrapped in parentheses over several lines when long."""
    if len(names) == 1:
        return f"{names[0]}, = {source}"
    flat = f"{', '.join(names)} = {source}"
    if len(flat) <= 88:
        return flat
    lines, line = [], ""
    for name in names:
        if line and len(line) + len(name) + 2 > 88:
            lines.append(line.rstrip())
            line = ""
        line += name + ", "
    lines.append(line.rstrip())
    inner = "".join(f"\n{indent}    {text}" for text in lines)
    return f"({inner}\n{indent}) = {source}"


# -- the op table's own formulas, written out -------------------------------------------
#
# The compiler knows no calculus. To write a row's forward or derivative as Python, it runs
# the row's own function on symbols (_Sym) instead of floats: each arithmetic operation the
# row performs appends itself to the expression, in the row's order and grouping, so the
# text computes exactly the float operations the row computes. A comparison (relu' is 1 for
# a > 0) is explored both ways and becomes a conditional expression. A row whose function
# does anything else with a symbol (math.exp(a), float(a)) is called by name instead; so is
# every custom op, through its own forward and vjp.


class _Untraceable(Exception):
    """The function did something with a symbol that cannot be written as an expression."""


_ATOM, _POWER, _UNARY, _PRODUCT, _SUMS = 100, 8, 7, 6, 5


def _text(x: Any) -> tuple[str, int]:
    if isinstance(x, _Sym):
        return x.text(), x.prec
    if type(x) is _Constant:
        x = float(x)
    if type(x) is float or (type(x) is int and not isinstance(x, bool)):
        text = _literal(float(x)) if type(x) is float else repr(x)
        return text, (_UNARY if text.startswith(("-", "(-")) else _ATOM)
    raise _Untraceable(f"a {type(x).__name__} in an expression")


def _operand(x: Any, least: int) -> str:
    text, prec = _text(x)
    return text if prec >= least else f"({text})"


def _binary(a: Any, symbol: str, b: Any, prec: int) -> _Sym:
    if symbol == "**":  # right-associative, binds tighter than a unary minus on its left
        return _Sym(f"{_operand(a, _ATOM)} ** {_operand(b, _POWER)}", _POWER)
    return _Sym(f"{_operand(a, prec)} {symbol} {_operand(b, prec + 1)}", prec)


class _Sym:
    """A symbol or expression standing for a float while a row's function runs on it."""

    def __init__(self, text: str, prec: int = _ATOM) -> None:
        self._text, self.prec = text, prec

    def text(self) -> str:
        return self._text

    def __add__(self, o: Any) -> _Sym:
        return _binary(self, "+", o, _SUMS)

    def __radd__(self, o: Any) -> _Sym:
        if type(o) is int and o == 0:  # Python's sum() starting: sum it as Python does
            return _Partial([self])
        return _binary(o, "+", self, _SUMS)

    def __sub__(self, o: Any) -> _Sym:
        return _binary(self, "-", o, _SUMS)

    def __rsub__(self, o: Any) -> _Sym:
        return _binary(o, "-", self, _SUMS)

    def __mul__(self, o: Any) -> _Sym:
        return _binary(self, "*", o, _PRODUCT)

    def __rmul__(self, o: Any) -> _Sym:
        return _binary(o, "*", self, _PRODUCT)

    def __truediv__(self, o: Any) -> _Sym:
        return _binary(self, "/", o, _PRODUCT)

    def __rtruediv__(self, o: Any) -> _Sym:
        return _binary(o, "/", self, _PRODUCT)

    def __pow__(self, o: Any) -> _Sym:
        return _binary(self, "**", o, _POWER)

    def __rpow__(self, o: Any) -> _Sym:
        return _binary(o, "**", self, _POWER)

    def __neg__(self) -> _Sym:
        text = _operand(self, _UNARY)
        return _Sym(f"-({text})" if text.startswith("-") else f"-{text}", _UNARY)

    def _compare(self, symbol: str, o: Any) -> _Cond:
        return _Cond(f"{_operand(self, _SUMS)} {symbol} {_operand(o, _SUMS)}")

    def __gt__(self, o: Any) -> _Cond:
        return self._compare(">", o)

    def __ge__(self, o: Any) -> _Cond:
        return self._compare(">=", o)

    def __lt__(self, o: Any) -> _Cond:
        return self._compare("<", o)

    def __le__(self, o: Any) -> _Cond:
        return self._compare("<=", o)

    def __eq__(self, o: object) -> _Cond:  # type: ignore[override]
        return self._compare("==", o)

    def __ne__(self, o: object) -> _Cond:  # type: ignore[override]
        return self._compare("!=", o)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise _Untraceable("a symbol used as a truth value")

    # What the rows call on a Value (ops._cos and friends dispatch on these): the row of
    # that name, applied to the float, exactly as the float path calls it.
    def _call(self, name: str) -> _Sym:
        return _Sym(f"_{name}({self.text()})")

    def exp(self) -> _Sym:
        return self._call("exp")

    def log(self) -> _Sym:
        return self._call("log")

    def sin(self) -> _Sym:
        return self._call("sin")

    def cos(self) -> _Sym:
        return self._call("cos")

    def tanh(self) -> _Sym:
        return self._call("tanh")

    def sigmoid(self) -> _Sym:
        return self._call("sigmoid")


class _Constant(float):
    """A constant input of a row run on symbols: its float, and what it computes with other
    numbers is a ``_Constant`` too (folded, as the row folds it), so that a ``sum()`` whose
    first item is a constant (``sum((2.0, a))``, or a dot's ``2.0 * 3.0``) is seen starting
    (``0 + c``) and written as the ``sum`` call the row makes, whatever its items."""

    def __radd__(self, o: Any) -> Any:
        if type(o) is int and o == 0:  # Python's sum() starting: sum it as Python does
            return _Partial([self])
        return _folded(float.__radd__(self, o))

    def __add__(self, o: Any) -> Any:
        return _folded(float.__add__(self, o))

    def __sub__(self, o: Any) -> Any:
        return _folded(float.__sub__(self, o))

    def __rsub__(self, o: Any) -> Any:
        return _folded(float.__rsub__(self, o))

    def __mul__(self, o: Any) -> Any:
        return _folded(float.__mul__(self, o))

    def __rmul__(self, o: Any) -> Any:
        return _folded(float.__rmul__(self, o))

    def __truediv__(self, o: Any) -> Any:
        return _folded(float.__truediv__(self, o))

    def __rtruediv__(self, o: Any) -> Any:
        return _folded(float.__rtruediv__(self, o))

    def __pow__(self, o: Any, mod: None = None) -> Any:
        return _folded(float.__pow__(self, o))

    def __rpow__(self, o: Any, mod: None = None) -> Any:
        return _folded(float.__rpow__(self, o))

    def __neg__(self) -> Any:
        return _Constant(-float(self))


def _folded(x: Any) -> Any:
    """A constant's arithmetic with a number, still a ``_Constant``; NotImplemented (a
    symbol on the other side, which then writes the operation) as it is."""
    return _Constant(x) if type(x) is float else x


class _Partial(_Sym):
    """Python's ``sum()`` under way on symbols: written as ``sum((a, b, ...))`` on floats.

    ``sum`` adds from the int 0, item by item; the generated code calls ``sum`` itself, on
    the same items, so it sums exactly as the row does on this Python (compensated from
    3.12 on), whatever the items (a constant first item is a ``_Constant``, which starts a
    ``_Partial`` too). (A row that wrote ``0 + a + b`` itself would be taken for a sum:
    none of ops.py does.)
    """

    def __init__(self, items: list[_Sym | float]) -> None:
        super().__init__("", _ATOM)
        self.items = items

    def text(self) -> str:
        return f"sum(({', '.join(_text(x)[0] for x in self.items)},))"

    def __add__(self, o: Any) -> _Sym:
        return _Partial([*self.items, o])


class _Cond:
    """A comparison of symbols; its truth is decided by the explorer running the function."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __bool__(self) -> bool:
        explorer = _tracing.explorer
        if explorer is None:
            raise _Untraceable("a comparison outside an exploration")
        return explorer.decide(self.text)


class _Explorer:
    """Runs a function once per path through its comparisons (at most 16 paths)."""

    def __init__(self) -> None:
        self.prefix: list[bool] = []
        self.taken: list[tuple[str, bool]] = []

    def decide(self, text: str) -> bool:
        i = len(self.taken)
        value = self.prefix[i] if i < len(self.prefix) else True
        self.taken.append((text, value))
        return value

    def run(self, fn: Callable[[], Any]) -> Any:
        """A tree: a result, or ("?", condition, tree if true, tree if false)."""
        results: list[tuple[list[tuple[str, bool]], Any]] = []
        prefix: list[bool] = []
        while True:
            self.prefix, self.taken = prefix, []
            _tracing.explorer = self
            try:
                value = fn()
            finally:
                _tracing.explorer = None
            results.append((self.taken, value))
            taken = list(self.taken)
            while taken and taken[-1][1] is False:
                taken.pop()
            if not taken:
                break
            taken.pop()
            prefix = [b for _, b in taken] + [False]
            if len(results) >= 16:
                raise _Untraceable("too many branches")
        return _tree(results, 0)


def _tree(results: list[tuple[list[tuple[str, bool]], Any]], depth: int) -> Any:
    taken, value = results[0]
    if len(results) == 1 and len(taken) == depth:
        return ("=", value)
    text = taken[depth][0]
    yes = [r for r in results if r[0][depth][1]]
    no = [r for r in results if not r[0][depth][1]]
    return ("?", text, _tree(yes, depth + 1), _tree(no, depth + 1))


def _render(tree: Any, pick: Callable[[Any], Any]) -> tuple[str, int]:
    if tree[0] == "=":
        return _text(pick(tree[1]))
    _, cond, yes, no = tree
    a, b = _render(yes, pick), _render(no, pick)
    if a[0] == b[0]:
        return a
    return f"({a[0]} if {cond} else {b[0]})", _ATOM


def _pattern(node: Value, names: list[str]) -> tuple[Any, ...]:
    """Per parent: the bits of a constant (a literal in the code), else None (a symbol)."""
    return tuple(
        _bits(p.data) if not p.parents and not name.isidentifier() else None
        for p, name in zip(node.parents, names)
    )


def _symbols(node: Value, pattern: tuple[Any, ...]) -> list[Any]:
    """Each parent as a placeholder symbol, or (a constant) as its float."""
    return [
        _Sym(f"\x01{i}\x01") if bits is None else _Constant(p.data)
        for i, (p, bits) in enumerate(zip(node.parents, pattern))
    ]


# Expressions already worked out, by (forward or vjp, op, constants): most nodes of a graph
# are a few kinds (mul, add, relu with a symbol each side), so each is traced once.
_TEMPLATES: dict[tuple[Any, ...], Any] = {}
_PLACEHOLDER = re.compile("\x01([0-9]+|g|o)\x01")


def _fill(template: str, names: list[str], g: str = "", out: str = "") -> str:
    def name(m: re.Match[str]) -> str:
        key = m.group(1)
        return g if key == "g" else out if key == "o" else names[int(key)]

    return _PLACEHOLDER.sub(name, template)


def _remember(key: tuple[Any, ...], work: Callable[[], Any]) -> Any:
    if key not in _TEMPLATES:
        if len(_TEMPLATES) > 10_000:
            _TEMPLATES.clear()
        try:
            _TEMPLATES[key] = work()
        except Exception:  # noqa: BLE001  # anything a symbol cannot do: call the row
            _TEMPLATES[key] = None
    return _TEMPLATES[key]


def _is_row(op: Op) -> bool:
    return any(op is row for row in ops.ALL_OPS)


def _bind(ns: dict[str, Any], name: str, fn: Any) -> str:
    """A name in ``ns`` for ``fn`` (``_exp`` for EXP.forward), unique if another has it."""
    base = "_" + re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_")
    key, k = base, 1
    while key in ns and ns[key] is not fn:
        k += 1
        key = f"{base}_{k}"
    ns[key] = fn
    return key


def _forward_line(node: Value, name: str, xs: list[str], ns: dict[str, Any], k: int) -> list[str]:
    op = node.op
    lines = []
    args = ", ".join(xs)
    # Python raises for these rows' bad inputs itself (math.log(-1), 1 / 0); every other
    # domain is checked by the row's own domain function (a negative base of a fractional
    # power would otherwise give a complex number, silently).
    python_checks = (ops.LOG, ops.SQRT, ops.LOG1P, ops.DIV)
    if op.domain is not None and not any(op is o for o in python_checks):
        if not (op is ops.POW and float(node.parents[1].data).is_integer()):
            ns["_refuse"] = _refuse
            check = _bind(ns, f"{op}_domain", op.domain)
            lines.append(f"    _refuse({str(op)!r}, {check}({args}))  # the row's domain")
    if _is_row(op):
        pattern = _pattern(node, xs)

        def work() -> str:
            tree = _Explorer().run(lambda: op.forward(*_symbols(node, pattern)))
            return _render(tree, lambda v: v)[0]

        template = _remember(("forward", id(op), pattern), work)
        if template is not None:
            return [*lines, f"    {name} = {_fill(template, xs)}  # {_shown(op)}"]
    call = _bind(ns, str(op), op.forward)
    note = "" if _is_row(op) else ": its own forward"
    return [*lines, f"    {name} = {call}({args})  # {_shown(op)}{note}"]


def _diverged(what: str) -> None:
    raise GuardError(
        f"compiled step: this call takes another branch than the traced one at {what}; "
        "the compiled code does not hold that graph (run fn on Values for such data)"
    )


def _refuse(op: str, problem: BaseException | None) -> None:
    if problem is not None:
        problem.args = (f"{op}: {problem} (in a compiled step)",)
        raise problem


def _vjp_terms(
    node: Value,
    g: str,
    out: str,
    xs: list[str],
    wanted: list[bool],
    ns: dict[str, Any],
    k: int,
) -> tuple[list[str | None], list[str]]:
    """One expression per parent (None where no gradient is needed), and lines to run first."""
    op = node.op
    n = len(xs)
    if _is_row(op):
        pattern = _pattern(node, xs)

        def work() -> list[str | None]:
            args = _symbols(node, pattern)
            g_sym, out_sym = _Sym("\x01g\x01"), _Sym("\x01o\x01")
            tree = _Explorer().run(lambda: tuple(op.vjp(g_sym, out_sym, *args)))
            _check_arity(tree, n)
            return [
                _summand(_render(tree, operator.itemgetter(i))) if wanted[i] else None
                for i in range(n)
            ]

        templates = _remember(("vjp", id(op), pattern, tuple(wanted)), work)
        if templates is not None:
            return [None if t is None else _fill(t, xs, g, out) for t in templates], []
    vjp = _bind(ns, f"{op}_vjp", op.vjp)
    t = f"_t{k}"
    note = "" if _is_row(op) else ": its own vjp"
    pre = [f"    {t} = {vjp}({g}, {out}, {', '.join(xs)})  # {_shown(op)}{note}"]
    return [f"{t}[{i}]" if w else None for i, w in enumerate(wanted)], pre


def _summand(rendered: tuple[str, int]) -> str:
    """A term as it can stand in ``t1 + t2 + ...`` (a sum or difference in parentheses)."""
    text, prec = rendered
    return text if prec > _SUMS else f"({text})"


def _check_arity(tree: Any, n: int) -> None:
    if tree[0] == "=":
        if len(tree[1]) != n:
            raise _Untraceable("a vjp with the wrong number of terms")
        return
    _check_arity(tree[2], n)
    _check_arity(tree[3], n)


# -- the public function -----------------------------------------------------------------


class CompiledStep:
    """``step(*args) -> float``: the loss of ``fn(*args)``, adding d loss / d p to each ``p.grad``.

    Exactly what ``loss = fn(*args); loss.backward()`` computes, bit for bit, without
    building a graph. ``source`` is the generated code; ``params`` the parameters, read by
    position (their ``.data`` at each call; so is any other leaf Value ``fn`` reaches, which
    gets no gradient). Integer arguments are static: the step is
    specialised on their values (one compiled kernel per distinct tuple of them, made and
    checked on first use). Float arguments and lists of floats are inputs.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        params: list[Value],
        example_args: tuple[Any, ...],
        check_args: tuple[Any, ...] | None,
        outputs: str,
    ) -> None:
        self.fn = fn
        self.params = params
        self._outputs = outputs
        self._shapes = [_shape(a, i) for i, a in enumerate(example_args)]
        self._arg_names = _arg_names(fn, len(example_args))
        self._kernels: dict[tuple[Any, ...], _Kernel] = {}
        self._kernel = self._build(example_args, check_args)
        self._key0 = _statics(example_args, self._shapes)

    @property
    def source(self) -> str:
        """The generated Python of the first kernel: forward, then backward, one line a node."""
        return self._kernel.source

    def _build(self, args: tuple[Any, ...], check_args: tuple[Any, ...] | None) -> _Kernel:
        args = _as_floats(args, self._shapes)
        statics = _statics(args, self._shapes)
        first = _Trace(self.fn, self.params, args, statics)
        if self._outputs == "scalar" and len(first.outputs) != 1:
            raise TypeError("compiled: fn must return one Value (the loss)")
        other = check_args if check_args is not None else _perturbed(args, statics)
        self._check_shapes(other, "check_args")
        other = _as_floats(other, self._shapes)
        # The parameters move too: the step reads them afresh at every call, so a number
        # fn reads from a parameter's .data (or a branch on it) must not be baked in. So do
        # the other leaves: one that is the same object on the second trace (a Value fn
        # closes over, outside params) is read afresh at every call as well.
        leaves = first.leaves()
        moving = [*self.params, *leaves]
        saved = [v.data for v in moving]
        try:
            for v in moving:
                v.data = _moved(v.data)
            second = _Trace(self.fn, self.params, other, _statics(other, self._shapes))
        except (ArithmeticError, ValueError) as error:
            raise GuardError(
                f"compiled: tracing fn a second time on other inputs failed ({error}); pass "
                "check_args=(...) with inputs valid for fn"
            ) from error
        finally:
            for v, data in zip(moving, saved, strict=True):
                v.data = data
        again = {id(leaf) for leaf in second.leaves()}
        frozen = [leaf for leaf in leaves if id(leaf) in again]
        first.freeze(frozen)
        second.freeze(frozen)
        _refuse_outside_nodes(first, second)
        _compare(first, second)
        kernel = _Kernel(first, self.params, self._arg_names, self._shapes, statics)
        _self_check(kernel, first, self.params, args)
        self._kernels[statics] = kernel
        return kernel

    def verify(self, *args: Any) -> None:
        """Trace ``fn`` on ``args`` too: GuardError if its graph differs from the compiled one.

        More examples checked, more confidence that ``fn`` does not branch on the data (a
        trace only ever sees the branches its inputs take). Leaves every ``.grad`` as it was.
        """
        kernel, ready = self.prepare(args)
        statics = _statics(ready, self._shapes)
        trace = _Trace(self.fn, self.params, ready, statics)
        trace.freeze(kernel.trace.frozen)
        _compare(kernel.trace, trace)

    def _check_shapes(self, args: tuple[Any, ...], what: str) -> None:
        if len(args) != len(self._shapes):
            raise TypeError(
                f"compiled step: expects {len(self._shapes)} arguments, got {len(args)} ({what})"
            )
        for i, (arg, shape) in enumerate(zip(args, self._shapes)):
            if _shape(arg, i) != shape:
                raise ValueError(
                    f"compiled step: argument {i} ({self._arg_names[i]}) must be "
                    f"{_shape_text(shape)} as when compiled, got {_shape_text(_shape(arg, i))}"
                )

    def prepare(self, args: tuple[Any, ...]) -> tuple[_Kernel, tuple[Any, ...]]:
        """The kernel for ``args`` (compiled on first use for new int values) and ``args`` as
        the kernel takes them: numbers as finite floats. Raises for a wrong shape or number."""
        self._check_shapes(args, "arguments")
        ready = []
        for i, (arg, shape) in enumerate(zip(args, self._shapes)):
            if shape == "int":
                ready.append(arg)
                continue
            items = [arg] if shape == "float" else arg
            if not all(type(x) is float and x - x == 0.0 for x in items):
                for x in items:
                    if not math.isfinite(x):
                        raise ValueError(
                            f"compiled step: argument {i} ({self._arg_names[i]}) holds "
                            f"{x!r}, not a finite number"
                        )
                items = [float(x) for x in items]
            ready.append(items[0] if shape == "float" else items)
        key = _statics(args, self._shapes)
        kernel = self._kernels.get(key)
        if kernel is None:
            kernel = self._build(tuple(ready), None)
        return kernel, tuple(ready)

    def __call__(self, *args: Any) -> float:
        """The loss; adds d loss / d p into each ``p.grad``, as ``fn(*args).backward()``."""
        kernel, ready = self.prepare(args)
        drawn = [draw() for draw in kernel.draw]
        P = [p.data for p in self.params]
        A = [-0.0] * len(self.params)  # -0.0 + x == x for every x, -0.0 included
        try:
            (loss,), A = kernel.step(P, A, (1.0,), drawn, *ready)
        except (ArithmeticError, ValueError) as error:
            _domain_error(error)
        if not math.isfinite(loss):
            raise OverflowError(
                f"compiled step: the loss is not finite ({loss!r}); no .grad was changed"
            )
        add_grads(self.params, A, "compiled step")
        return float(loss)

    def mean(self, rows: Sequence[Sequence[Any]]) -> float:
        """(1/n) sum_i fn(*rows[i]); adds its gradient into ``p.grad``, as nn's losses take a mean.

        Bit for bit what ``(Value.sum([fn(*r) for r in rows]) * (1.0 / n)).backward()``
        computes (the graph every nn loss builds), with one graph-free step per row.
        """
        if not rows:
            raise ValueError("compiled step mean: needs at least one row, got none")
        n = len(rows)
        scale = (1.0 / n,)
        calls = []
        kernels = set()
        for row in rows:  # checked, and their masks drawn, first to last as fn would
            kernel, ready = self.prepare(tuple(row))
            kernels.add(kernel)
            calls.append((kernel.step, [draw() for draw in kernel.draw], ready))
        P = [p.data for p in self.params]
        if len(kernels) == 1 and kernel.rows is not None:  # one kernel: its loop, rows reversed
            reverse = [(drawn, *ready) for _, drawn, ready in reversed(calls)]
            try:
                losses, A = kernel.rows(P, [-0.0] * len(self.params), scale, reverse)
            except (ArithmeticError, ValueError) as error:
                _domain_error(error)
            losses.reverse()
        else:
            losses = [0.0] * n
            A = [-0.0] * len(self.params)
            # The sweep of the batch graph reaches the rows last to first: so do we.
            for i in range(n - 1, -1, -1):
                step, drawn, ready = calls[i]
                try:
                    (losses[i],), A = step(P, A, scale, drawn, *ready)
                except (ArithmeticError, ValueError) as error:
                    _domain_error(error)
        total: float = sum(losses)  # the sum node's own forward, in row order
        if not math.isfinite(total):
            raise OverflowError(
                f"compiled step mean: the sum of the rows' losses is not finite ({total!r}); "
                "no .grad was changed"
            )
        add_grads(self.params, A, "compiled step mean")
        return total * scale[0]


def _domain_error(error: Exception) -> NoReturn:
    """Re-raise an error of the generated code (``math.log(-1.0)``) saying where it came from."""
    if isinstance(error, GuardError):
        raise error
    raise_as(
        error,
        f"compiled step: {error} (the data left an op's domain; calling fn on Values with "
        "these arguments names the node); no .grad was changed",
    )


def add_grads(params: Sequence[Value], A: Sequence[float], owner: str) -> None:
    """``p.grad = p.grad + a`` for each parameter, all or none.

    Raises FloatingPointError, changing no ``.grad``, if any new gradient is not finite.
    """
    totals = [p.grad + a for p, a in zip(params, A, strict=True)]
    if not math.isfinite(sum(totals)):
        for k, total in enumerate(totals):
            if not math.isfinite(total):
                raise FloatingPointError(
                    f"{owner}: the gradient of parameter {k}{label_note(params[k].label)} is not "
                    f"finite ({total!r}); no .grad was changed"
                )
    for p, total in zip(params, totals):
        p.grad = total


def _self_check(kernel: _Kernel, trace: _Trace, params: list[Value], args: tuple[Any, ...]) -> None:
    """Run the kernel on the traced inputs and compare with the engine's own backward."""
    from autograd_engine.core.derivatives import grad

    outputs = trace.outputs
    root = outputs[0] if len(outputs) == 1 else Value.sum(outputs)
    reached = {id(node) for node in trace.order}
    expected = [g.data if id(p) in reached else -0.0 for p, g in zip(params, grad(root, params))]
    P = [p.data for p in params]
    drawn = [trace.constants[k][0].data for k in kernel.impure]
    outs, A = kernel.step(P, [-0.0] * len(params), (1.0,) * len(outputs), drawn, *args)
    same = all(_bits(a) == _bits(o.data) for a, o in zip(outs, outputs)) and all(
        _bits(a) == _bits(e) for a, e in zip(A, expected)
    )
    if not same:  # pragma: no cover - a bug of the compiler, never of the user
        raise AssertionError(
            "compiled: the generated code disagrees with backward() on the traced inputs; "
            "please report this with the function"
        )


def _shape(arg: Any, i: int) -> Any:
    if isinstance(arg, bool) or isinstance(arg, Value):
        raise TypeError(
            f"compiled: argument {i} must be a number or a list of numbers (not "
            f"{type(arg).__name__}): the step takes data, the Values are made inside"
        )
    if isinstance(arg, int):
        return "int"
    if isinstance(arg, float):
        return "float"
    if isinstance(arg, (list, tuple)) and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in arg
    ):
        return len(arg)
    raise TypeError(
        f"compiled: argument {i} must be a number or a list of numbers, got "
        f"{type(arg).__name__} {arg!r}"[:200]
    )


def _as_floats(args: tuple[Any, ...], shapes: list[Any]) -> tuple[Any, ...]:
    return tuple(
        a if s == "int" else float(a) if s == "float" else [float(x) for x in a]
        for a, s in zip(args, shapes)
    )


def _shape_text(shape: Any) -> str:
    return {"int": "an int", "float": "a float"}.get(shape, f"a list of {shape} numbers")


def _statics(args: tuple[Any, ...], shapes: list[Any]) -> tuple[Any, ...]:
    return tuple(a if s == "int" else None for a, s in zip(args, shapes))


def _moved(x: float) -> float:
    """x moved away from itself for a second trace, its sign kept (0 goes to 0.25)."""
    x = float(x)
    return x * 0.6875 + math.copysign(0.125, x) if x else 0.25


def _perturbed(args: tuple[Any, ...], statics: tuple[Any, ...]) -> tuple[Any, ...]:
    """Other inputs for the second trace: each float moved away from itself, sign kept."""
    out: list[Any] = []
    for a, s in zip(args, statics):
        if s is not None:
            out.append(a)
        elif isinstance(a, (int, float)):
            out.append(_moved(a))
        else:
            out.append([_moved(x) for x in a])
    return tuple(out)


def _arg_names(fn: Callable[..., Any], n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:n]
    return names + [f"arg{i}" for i in range(len(names), n)]


def compiled(
    fn: Callable[..., Value],
    params: Sequence[Value],
    *example_args: Any,
    check_args: Sequence[Any] | None = None,
    create_graph: bool = False,
) -> CompiledStep:
    """Compile ``fn`` (data -> loss Value) into a graph-free ``step(*args) -> float``.

    ``fn`` is called on ``example_args`` with each float (or list of floats) made a leaf
    Value; the recorded graph becomes Python source (``step.source``): one line a node
    forward, then the chain rule backward (``g_z = g_out * (1.0 - out * out)``). The step
    returns the loss and adds d loss / d p into each ``p.grad`` of ``params``, bit for bit
    as ``fn(*args).backward()`` would. A leaf Value ``fn`` reaches that ``params`` omit is
    read from its ``.data`` at each call and gets no gradient (a frozen layer). A second
    trace (on ``check_args``, or on the example moved; the parameters and those leaves
    moved too) must give the same graph, or ``GuardError`` names the first node that differs.
    ``create_graph=True`` (a differentiable step, higher order) is refused: the compiled
    step computes floats, which cannot be differentiated again.

    >>> w = Value(2.0, label="w")
    >>> step = compiled(lambda x: (w * x).tanh(), [w], 0.5)   # y = tanh(w x)
    >>> round(step(0.5), 6)                                   # tanh(1)
    0.761594
    >>> round(w.grad, 6)                                      # dy/dw = x (1 - tanh^2(wx))
    0.209987
    """
    if create_graph:
        raise NotImplementedError(
            "compiled: create_graph=True is not supported: the compiled step computes plain "
            "floats, so its gradients cannot be differentiated again; use "
            "grad(..., create_graph=True) on Values for higher-order derivatives"
        )
    if not callable(fn):
        raise TypeError(f"compiled: fn must be a function returning a Value, got {fn!r}")
    params = _check_params(params)
    check = tuple(check_args) if check_args is not None else None
    return CompiledStep(fn, params, tuple(example_args), check, "scalar")


def _check_params(params: Sequence[Value]) -> list[Value]:
    if isinstance(params, Value) or not isinstance(params, (list, tuple)):
        raise TypeError(
            "compiled: params must be a list of Values (e.g. model.parameters()), got "
            f"{type(params).__name__}"
        )
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"compiled: params[{i}] must be a Value, got {type(p).__name__}")
        if p.parents:
            raise ValueError(
                f"compiled: params[{i}] is not a leaf (op {p.op!r}): a parameter is a leaf Value"
            )
    if len({id(p) for p in params}) != len(params):
        raise ValueError("compiled: params lists the same Value twice")
    return list(params)
