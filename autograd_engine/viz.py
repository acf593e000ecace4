"""Graph drawings with Graphviz: the forward view, the backward-pass view, and a step-through.

Every drawing has one record per Value (``label | data | grad``, numbers rounded to
4 significant digits) and one small node per operation (its ``op.symbol``), as in
micrograd. Constant leaves (unlabelled leaves, made from numbers) show just their
number. Node ids are positions in ``topological_order(root)`` (``n3`` is the value
at index 3, ``op3`` the operation that made it), never ``id()``, so the same graph
gives byte-identical DOT source in every run and every process.

Which gradients are shown:

- the forward view (``draw_dot(root)``) shows each node's current ``.grad``, i.e.
  whatever the last ``backward()`` calls accumulated (0 before any);
- the backward view (``draw_dot(root, backward=True)``) shows d root / d node,
  computed afresh by ``graph.backprop(root, 1.0)``: it is always the gradient of
  this root, whatever ``.grad`` holds, and drawing writes no ``.grad``;
- ``backward_steps(root)`` shows the same gradients, revealed one node at a time.

In the backward view the arrows run from each value to the operation that made it
and on to that operation's inputs. The edge ``value -> op`` carries the value's
gradient ``g``; the edge ``op -> input_i`` carries ``g * d value / d input_i``, the
contribution that ``op.vjp`` computes, so an input used along several edges receives
their sum.

"Parameters" are highlighted: by default every labelled leaf (a named input or
weight); pass ``params=`` (e.g. ``model.parameters()``) to highlight exactly those.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import graphviz

from autograd_engine.files import write_atomic
from autograd_engine.graph import backprop, topological_order
from autograd_engine.layout import FALLBACK, use_engine
from autograd_engine.validation import check_sequence
from autograd_engine.value import Value

__all__ = [
    "Drawing",
    "draw_dot",
    "backward_steps",
    "render_svg",
    "save_svg",
    "GRAPHVIZ_INSTALL_HINT",
    "PARAM_COLOR",
    "CURRENT_COLOR",
]

PARAM_COLOR = "#cfe8ff"
"""Fill colour of parameter leaves (light blue)."""

CURRENT_COLOR = "#ffd27f"
"""Fill colour of the node just processed in ``backward_steps`` (orange)."""

GRAPHVIZ_INSTALL_HINT = (
    "No layout program was found, so the drawing cannot be rendered (its DOT source is "
    "still available as `.source`): Graphviz's `dot` program is not on PATH and the "
    "graphviz-pure package is not installed. Either one is enough:\n"
    '  pip (no administrator rights):  pip install "autograd-engine[layout]"'
    '  (or: pip install "graphviz-pure>=0.2.2,<0.3")\n'
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  conda:          conda install -c conda-forge graphviz\n"
    "  Windows:        winget install graphviz  (then add its bin folder to PATH)"
)
"""The message raised when neither Graphviz's ``dot`` nor ``graphviz-pure`` is installed."""

_RANKDIRS = ("LR", "RL", "TB", "BT")


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders without Graphviz too, or says how to install it.

    Jupyter shows it as SVG through ``_repr_mimebundle_``; that, ``render``, ``pipe``
    and ``view`` use Graphviz's ``dot`` when it is on PATH, else the ``graphviz-pure``
    program if that package is installed (``autograd_engine.layout.find_dot``), and
    raise ``RuntimeError(GRAPHVIZ_INSTALL_HINT)`` when there is neither, instead of
    graphviz's bare "failed to execute" error. Everything else is ``Digraph``.
    """

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        with _install_hint():
            return super()._repr_mimebundle_(include=include, exclude=exclude, **kwargs)

    def render(self, *args, **kwargs):
        """``Digraph.render``; without ``dot``, through ``graphviz-pure`` or the install hint."""
        with _install_hint():
            return super().render(*args, **kwargs)

    def pipe(self, *args, **kwargs):
        """``Digraph.pipe``; without ``dot``, through ``graphviz-pure`` or the install hint."""
        with _install_hint():
            return super().pipe(*args, **kwargs)

    def view(self, *args, **kwargs):
        """``Digraph.view``; without ``dot``, through ``graphviz-pure`` or the install hint."""
        with _install_hint():
            return super().view(*args, **kwargs)


@contextmanager
def _install_hint() -> Iterator[None]:
    """Render with the program ``find_dot`` picks; the install hint when there is none."""
    with use_engine() as engine:
        try:
            yield
        except graphviz.ExecutableNotFound as error:
            raise RuntimeError(GRAPHVIZ_INSTALL_HINT) from error
        except graphviz.CalledProcessError as error:
            if engine is not None and engine.name == FALLBACK:
                error.add_note(
                    f"(rendered with graphviz-pure, {engine.path}: it writes svg, png, "
                    "jpeg, json, plain and dot, not pdf, ps or gif; Graphviz's `dot` does)"
                )
            raise


_DEFAULT_MAX_NODES = 1000
# Characters with a meaning inside a Graphviz record label; a backslash escapes them.
_RECORD_SPECIAL = set('\\{}|<>"')


def draw_dot(
    root: Value,
    backward: bool = False,
    rankdir: str = "LR",
    params: Iterable[Value] | None = None,
    max_nodes: int | None = _DEFAULT_MAX_NODES,
) -> graphviz.Digraph:
    """The graph of ``root`` as a ``graphviz.Digraph`` (a ``Drawing``; inline SVG in Jupyter).

    Forward view (default): inputs -> op -> output, records show the current
    ``.grad``. ``backward=True``: arrows reversed, records show d root / d node from
    ``backprop(root, 1.0)`` (writes no ``.grad``) and each edge is labelled with the
    gradient it carries: ``g`` into an op, ``g * d out / d input`` out of it.
    ``params`` (default: every labelled leaf) are filled in ``PARAM_COLOR``.
    ``rankdir`` is Graphviz's layout direction (LR, RL, TB, BT). Graphs with more
    than ``max_nodes`` values raise ``ValueError`` (``None`` disables the guard:
    building DOT is linear, but ``dot``'s layout of thousands of nodes is slow).
    """
    order, highlighted = _check(root, rankdir, params, max_nodes, "draw_dot")
    if not backward:
        grads = {node: node.grad for node in order}
        return _drawing(order, grads, None, highlighted, None, rankdir)
    grads, contributions = _sweep(root, order)
    return _drawing(order, grads, contributions, highlighted, None, rankdir)


def backward_steps(
    root: Value,
    rankdir: str = "LR",
    params: Iterable[Value] | None = None,
    max_nodes: int | None = _DEFAULT_MAX_NODES,
) -> Iterator[graphviz.Digraph]:
    """One backward-view drawing per step of the reverse sweep, for stepping through backprop.

    Step ``k`` processes the ``k``-th node of ``reversed(topological_order(root))``
    (step 0 is ``root``, with gradient 1): that node is filled in ``CURRENT_COLOR``,
    the nodes processed so far show their gradient d root / d node (final by then,
    since all their consumers come earlier), the rest show an empty ``grad``, and
    only edges out of processed nodes carry their gradient. There are as many steps
    as nodes; the last drawing shows what ``draw_dot(root, backward=True)`` shows.
    Writes no ``.grad``. Arguments are checked before the first drawing is made.
    In a notebook: ``steps = backward_steps(f)``, then run ``next(steps)`` cell by cell.
    """
    order, highlighted = _check(root, rankdir, params, max_nodes, "backward_steps")
    grads, contributions = _sweep(root, order)

    def steps() -> Iterator[graphviz.Digraph]:
        shown: dict[Value, float] = {}
        for node in reversed(order):
            shown[node] = grads[node]
            yield _drawing(order, shown, contributions, highlighted, node, rankdir)

    return steps()


def render_svg(dot: graphviz.Digraph) -> str:
    """The drawing rendered by Graphviz's ``dot`` (else ``graphviz-pure``) as SVG text.

    Without ``dot`` on PATH the ``graphviz-pure`` program renders it, if that package
    is installed; with neither, raises ``RuntimeError`` with ``GRAPHVIZ_INSTALL_HINT``
    (pip, apt, brew, conda).
    """
    if not isinstance(dot, graphviz.Digraph | graphviz.Graph):
        raise TypeError(f"render_svg: expects a graphviz.Digraph, got {type(dot).__name__}")
    with _install_hint():  # for a plain Digraph too, not only a Drawing
        return dot.pipe(format="svg", encoding="utf-8")


def save_svg(dot: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render the drawing to an SVG file at ``path`` and return the path.

    The file is written whole or not at all (temp file, then rename); parent
    folders must exist. Rendered as ``render_svg`` does; raises ``RuntimeError`` with
    the install hint if neither ``dot`` nor ``graphviz-pure`` is there, and then
    writes nothing.
    """
    return write_atomic(path, render_svg(dot))


# -- internals ----------------------------------------------------------------


def _check(
    root: object,
    rankdir: object,
    params: Iterable[Value] | None,
    max_nodes: int | None,
    caller: str,
) -> tuple[list[Value], set[Value]]:
    """Validate the arguments; return the topological order and the nodes to highlight."""
    if not isinstance(root, Value):
        raise TypeError(f"{caller}: root must be a Value, got {type(root).__name__} {root!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"{caller}: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if max_nodes is not None and (
        not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1
    ):
        raise ValueError(f"{caller}: max_nodes must be a positive int or None, got {max_nodes!r}")
    highlighted: set[Value] | None = None
    if params is not None:
        highlighted = set()
        items = check_sequence(caller, "params", params, what="Values", forbid=(Value,))
        for i, p in enumerate(items):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{caller}: params[{i}] must be a Value, got {type(p).__name__} {p!r}"
                )
            highlighted.add(p)
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"{caller}: the graph has {len(order)} values, more than max_nodes={max_nodes}; "
            "Graphviz would be very slow to lay it out. Draw a smaller graph, or pass a "
            "larger max_nodes (or max_nodes=None) to draw it anyway."
        )
    if highlighted is None:
        highlighted = {node for node in order if not node.parents and node.label}
    return order, highlighted


def _sweep(root: Value, order: list[Value]) -> tuple[dict[Value, float], dict[Value, list[float]]]:
    """d root / d node for every node, and each node's vjp contributions to its parents."""
    _, grads = backprop(root, 1.0)
    contributions = {}
    for node in order:
        if node.parents:
            xs = [p.data for p in node.parents]
            contributions[node] = list(node.op.vjp(grads[node], node.data, *xs))
    return grads, contributions


def _drawing(
    order: list[Value],
    grads: dict[Value, float],
    contributions: dict[Value, list[float]] | None,
    highlighted: set[Value],
    current: Value | None,
    rankdir: str,
) -> graphviz.Digraph:
    """Build the Digraph. ``contributions`` is None for the forward view.

    In the backward view only nodes present in ``grads`` show a gradient, and only
    their outgoing edges carry labels (``backward_steps`` passes a partial dict).
    """
    backward = contributions is not None
    index = {node: i for i, node in enumerate(order)}
    dot = Drawing(
        name="backward" if backward else "forward",
        graph_attr={"rankdir": rankdir},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10"},
    )
    for i, node in enumerate(order):
        attrs = {}
        fill = CURRENT_COLOR if node is current else PARAM_COLOR if node in highlighted else None
        if fill is not None:
            attrs = {"style": "filled", "fillcolor": fill}
        if not node.parents and not node.label:
            # A constant: its number is all there is to say.
            dot.node(f"n{i}", _num(node.data), shape="plaintext", **attrs)
        else:
            grad = _num(grads[node]) if node in grads else ""
            fields = [_escape(node.label)] if node.label else []
            fields += [f"data {_num(node.data)}", f"grad {grad}"]
            record = " | ".join(fields)
            if rankdir in ("LR", "RL"):
                # Records lay fields out across the rank direction; braces flip them
                # back, so label | data | grad always reads left to right.
                record = "{ " + record + " }"
            dot.node(f"n{i}", record, shape="record", **attrs)
        if node.parents:
            dot.node(f"op{i}", _escape_plain(node.op.symbol), shape="circle", **_op_style())
    for i, node in enumerate(order):
        if not node.parents:
            continue
        if not backward:
            for parent in node.parents:
                dot.edge(f"n{index[parent]}", f"op{i}")
            dot.edge(f"op{i}", f"n{i}")
            continue
        done = node in grads
        dot.edge(f"n{i}", f"op{i}", label=_num(grads[node]) if done else "")
        for parent, contribution in zip(node.parents, contributions[node], strict=True):
            dot.edge(f"op{i}", f"n{index[parent]}", label=_num(contribution) if done else "")
    return dot


def _op_style() -> dict[str, str]:
    return {"width": "0.3", "height": "0.3", "fixedsize": "false", "margin": "0.02"}


def _num(x: float) -> str:
    """x to 4 significant digits; -0 reads as 0."""
    if x == 0.0 or not math.isfinite(x):
        return "0" if x == 0.0 else repr(x)
    return f"{x:.4g}"


def _escape(text: str) -> str:
    """Escape a string for a record field (where { } | < > have a meaning)."""
    text = "".join("\\" + c if c in _RECORD_SPECIAL else c for c in text)
    return text.replace("\n", "\\n")


def _escape_plain(text: str) -> str:
    """Escape a string for an ordinary label (backslash and double quote only)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
