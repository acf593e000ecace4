"""Graph drawings with Graphviz: the forward view, the backward-pass view, groups and steps.

Every drawing has one card per Value (its label, ``data`` and ``grad``, numbers to
4 significant digits) and one circle per operation (its ``op.symbol``; every circle
of a drawing has the same size), as in micrograd. Constant leaves (unlabelled leaves,
made from numbers) show just their number. Node ids are positions in
``topological_order(root)`` (``n3`` is the value at index 3, ``op3`` the operation
that made it, ``e3`` the edge between them, ``e3_1`` the edge of its input 1), never
``id()``, so the same graph gives byte-identical DOT source in every run and process.

Which gradients are shown:

- the forward view (``draw_dot(root)``) shows each node's current ``.grad``, i.e.
  whatever the last ``backward()`` calls accumulated (0 before any);
- the backward view (``draw_dot(root, backward=True)``) shows d root / d node,
  computed afresh by ``graph.backprop(root, 1.0)``: it is always the gradient of
  this root, whatever ``.grad`` holds, and drawing writes no ``.grad``;
- ``backward_steps(root)`` shows the same gradients, revealed one node at a time
  (``autograd_engine.pictures.playback`` does it in the browser).

In the backward view the arrows run from each value to the operation that made it
and on to that operation's inputs. The edge ``op -> input_i`` is labelled with
``g * d value / d input_i``, the contribution that ``op.vjp`` computes, so an input
used along several edges receives their sum (the edge ``value -> op`` would only
repeat the value's own gradient, and an edge into a constant carries nothing anyone
uses, so neither is labelled).

Kinds of leaves, drawn the same way everywhere (CLI, notebooks, player): parameters
filled blue (``PARAM_COLOR``): ``params=`` (e.g. ``model.parameters()``), or by
default every labelled leaf; other labelled leaves are inputs, filled green
(``INPUT_COLOR``); unlabelled leaves are constants, a bare number. One legend line
under the drawing says so.

Groups: nodes whose labels share a dotted prefix (``L0.n1.w0``, ``L0.n1.out``: the
prefix ``L0.n1``) are drawn in one box titled by it; an unlabelled constant used only
inside one group belongs to it. ``collapse=True`` draws each group with a single
output (one node consumed outside it, or the root) as ONE node showing that output's
value and gradient, its edges carrying what flows in and out of the whole group: for
an ``nn.MLP`` a network diagram. On a batch a neuron's group has one output per
example (copies of one label, e.g. ``L0.n1.out``); it collapses too, into one node
showing example 0's output (``data[0]``) and the gradient summed over the examples
(``grad (sum)``). This knows nothing of ``nn``: any dotted labels group.

What is drawn (nodes, groups, examples, each edge's term and local derivative) is the
public drawing model of ``autograd_engine.pictures.drawing``, which the player draws too;
``graphviz_drawing(model, grads)`` is this module's renderer of it.

Labels and symbols are shown verbatim, on one line: Graphviz's own syntax
(``& < > { | }``, entities such as ``&amp;``) is escaped, and a newline, tab, control
character or other character that XML cannot hold is shown as its escape (``\\n``,
``\\t``, ``\\x01``), so every SVG parses as XML.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import graphviz

from autograd_engine.core.value import Value
from autograd_engine.files import write_atomic
from autograd_engine.pictures.drawing import (
    DEFAULT_MAX_NODES,
    Model,
    Node,
    build_model,
    fmt,
    plain,
)
from autograd_engine.pictures.layout import FALLBACK, use_engine
from autograd_engine.validation import show

__all__ = [
    "Drawing",
    "draw_dot",
    "backward_steps",
    "render_svg",
    "save_svg",
    "GRAPHVIZ_INSTALL_HINT",
    "PARAM_COLOR",
    "INPUT_COLOR",
    "GROUP_COLOR",
    "CURRENT_COLOR",
    "check_flag",
    "graphviz_drawing",
]

UNNAMED_COLOR = "#777777"
"""Text colour of an unlabelled value's name, ``#k`` (its position in topological order)."""

PARAM_COLOR = "#cfe8ff"
"""Fill colour of parameter leaves (light blue)."""

INPUT_COLOR = "#dff3d4"
"""Fill colour of labelled leaves that are not parameters: the inputs (light green)."""

GROUP_COLOR = "#fff4d6"
"""Fill colour of a collapsed group's node (light yellow)."""

CURRENT_COLOR = "#ffd27f"
"""Fill colour of the node just processed in ``backward_steps`` and the player (orange)."""

OP_COLOR = "#eeeeee"
"""Fill colour of operation circles (light grey)."""

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

_FONT = "Helvetica"
_FONTSIZE = 11
# Above this many labelled edges a collapsed drawing puts gradients in tooltips (hover an
# arrow): a dense layer-to-layer wiring of hundreds of numbers is unreadable as text.
_MAX_EDGE_LABELS = 64


class Drawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz ships no type information
    """A ``graphviz.Digraph`` that renders without Graphviz too, or says how to install it.

    Jupyter shows it as SVG through ``_repr_mimebundle_``; that, ``render``, ``pipe``
    and ``view`` use Graphviz's ``dot`` when it is on PATH, else the ``graphviz-pure``
    program if that package is installed (``autograd_engine.pictures.layout.find_dot``), and
    raise ``RuntimeError(GRAPHVIZ_INSTALL_HINT)`` when there is neither, instead of
    graphviz's bare "failed to execute" error. Everything else is ``Digraph``.
    """

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        with _install_hint():
            bundle: dict[str, Any] = super()._repr_mimebundle_(
                include=include, exclude=exclude, **kwargs
            )
            return bundle

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """``Digraph.render``; without ``dot``, through ``graphviz-pure`` or the install hint."""
        with _install_hint():
            return super().render(*args, **kwargs)

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """``Digraph.pipe``; without ``dot``, through ``graphviz-pure`` or the install hint."""
        with _install_hint():
            return super().pipe(*args, **kwargs)

    def view(self, *args: Any, **kwargs: Any) -> Any:
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


_DEFAULT_MAX_NODES = DEFAULT_MAX_NODES


def draw_dot(
    root: Value,
    backward: bool = False,
    rankdir: str | None = None,
    params: Iterable[Value] | None = None,
    max_nodes: int | None = _DEFAULT_MAX_NODES,
    collapse: bool = False,
) -> Drawing:
    """The graph of ``root`` as a ``graphviz.Digraph`` (a ``Drawing``; inline SVG in Jupyter).

    Forward view (default): inputs -> op -> output, cards show the current
    ``.grad``. ``backward=True``: arrows reversed, cards show d root / d node from
    ``backprop(root, 1.0)`` (writes no ``.grad``) and each edge out of an op is
    labelled with the gradient it carries, ``g * d out / d input``.
    ``params`` (default: every labelled leaf) are filled in ``PARAM_COLOR``, other
    labelled leaves in ``INPUT_COLOR``. Nodes sharing a dotted label prefix are boxed
    together; ``collapse=True`` draws each such group as one node (see the module
    docstring). ``rankdir`` is Graphviz's layout direction (LR, RL, TB, BT); None
    (default) picks TB or LR, whichever makes the narrower picture. Graphs with more
    than ``max_nodes`` values raise ``ValueError`` (``None`` disables the guard:
    building DOT is linear, but ``dot``'s layout of thousands of nodes is slow).
    """
    check_flag(collapse, "collapse", "draw_dot")
    check_flag(backward, "backward", "draw_dot")
    model = build_model(root, params, collapse, backward, max_nodes, "draw_dot", rankdir)
    if not backward:
        grads = {
            item.index: math.fsum(o.grad for o in item.outputs) if item.outputs else item.value.grad
            for item in model.nodes
        }
        return graphviz_drawing(model, grads, False, None, rankdir)
    return graphviz_drawing(model, model.grads, True, None, rankdir)


def backward_steps(
    root: Value,
    rankdir: str | None = None,
    params: Iterable[Value] | None = None,
    max_nodes: int | None = _DEFAULT_MAX_NODES,
) -> Iterator[Drawing]:
    """One backward-view drawing per step of the reverse sweep, for stepping through backprop.

    Step ``k`` processes the ``k``-th node of ``reversed(topological_order(root))``
    (step 0 is ``root``, with gradient 1): that node is filled in ``CURRENT_COLOR``,
    the nodes processed so far show their gradient d root / d node (final by then,
    since all their consumers come earlier), the rest show ``grad -``, and only
    edges out of processed nodes carry their gradient. There are as many steps as
    nodes; the last drawing shows what ``draw_dot(root, backward=True)`` shows.
    Writes no ``.grad``. Arguments are checked before the first drawing is made.
    In a notebook: ``steps = backward_steps(f)``, then run ``next(steps)`` cell by
    cell; ``autograd_engine.player(f)`` shows the same in a page with buttons.
    """
    model = build_model(root, params, False, True, max_nodes, "backward_steps", rankdir)
    rankdir = rankdir or _auto_rankdir(model)

    def steps() -> Iterator[Drawing]:
        shown: dict[int, float] = {}
        for item in reversed(model.nodes):
            shown[item.index] = model.grads[item.index]
            yield graphviz_drawing(model, shown, True, item.index, rankdir)

    return steps()


def render_svg(dot: graphviz.Digraph) -> str:
    """The drawing rendered by Graphviz's ``dot`` (else ``graphviz-pure``) as SVG text.

    Without ``dot`` on PATH the ``graphviz-pure`` program renders it, if that package
    is installed; with neither, raises ``RuntimeError`` with ``GRAPHVIZ_INSTALL_HINT``
    (pip, apt, brew, conda).
    """
    if not isinstance(dot, graphviz.Digraph | graphviz.Graph):
        raise TypeError(f"render_svg: dot must be a graphviz.Digraph (draw_dot's), got {show(dot)}")
    with _install_hint():  # for a plain Digraph too, not only a Drawing
        svg: str = dot.pipe(format="svg", encoding="utf-8")
        return svg


def save_svg(dot: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Render the drawing to an SVG file at ``path`` and return the path.

    The file is written whole or not at all (temp file, then rename); parent
    folders must exist. Rendered as ``render_svg`` does; raises ``RuntimeError`` with
    the install hint if neither ``dot`` nor ``graphviz-pure`` is there, and then
    writes nothing.
    """
    if not isinstance(dot, graphviz.Digraph | graphviz.Graph):
        raise TypeError(f"save_svg: dot must be a graphviz.Digraph (draw_dot's), got {show(dot)}")
    return write_atomic(path, render_svg(dot), owner="save_svg")


# -- Graphviz ---------------------------------------------------------------------


def check_flag(value: object, name: str, caller: str) -> None:
    """Raise TypeError naming ``caller`` unless ``value`` is True or False."""
    if not isinstance(value, bool):
        raise TypeError(f"{caller}: {name} must be True or False, got {type(value).__name__}")


def graphviz_drawing(
    model: Model,
    grads: dict[int, float],
    backward: bool = True,
    current: int | None = None,
    rankdir: str | None = None,
    widest: dict[int, str] | None = None,
) -> Drawing:
    """The Graphviz drawing of a drawing model (``autograd_engine.pictures.drawing``).

    Nodes show the gradients in ``grads`` (drawn node index -> gradient); in the backward
    view (arrows from each value to its inputs) only nodes present in ``grads`` show
    one, and only their outgoing edges carry labels (``backward_steps`` passes a
    partial dict). ``current`` is filled in ``CURRENT_COLOR``. ``widest`` maps a node
    to the longest ``grad`` line it will ever show (the player's running sums), so
    its card is laid out wide enough for it. Node ids: ``n<i>`` the value at position
    i, ``op<i>`` the op that made it, ``e<i>`` the edge between them, ``e<i>_<j>`` the
    edge of its input j.
    """
    rankdir = rankdir or _auto_rankdir(model)
    dense = sum(len(item.parents) for item in model.nodes if item.kind == "group") > 32
    # Arrows out of collapsed groups (a layer's wiring) carry their gradient as a tooltip
    # when there are too many of them to label legibly; the few others keep labels.
    wiring = sum(
        1
        for item in model.nodes
        if item.kind == "group"
        for p in item.parents
        if model.by_index[p].kind == "group"
    )
    tooltips = wiring > _MAX_EDGE_LABELS
    dot = Drawing(
        name="backward" if backward else "forward",
        graph_attr={
            "rankdir": rankdir,
            "nodesep": "0.15",
            # A dense layer-to-layer wiring needs room between the layers to be followed.
            "ranksep": "0.3" if dense else "0.25",
            **({"ordering": "out"} if dense else {}),
            "fontname": _FONT,
            "fontsize": str(_FONTSIZE - 1),
            "labelloc": "b",
            "label": _legend(model, backward, tooltips),
        },
        node_attr={"fontname": _FONT, "fontsize": str(_FONTSIZE)},
        edge_attr={"fontname": _FONT, "fontsize": str(_FONTSIZE - 1), "arrowsize": "0.6"},
    )
    op_width = _op_width(model)
    boxes: dict[str | None, graphviz.Digraph] = {None: dot}
    for k, (name, _) in enumerate(sorted(model.groups.items(), key=lambda g: g[1][0])):
        box = Drawing(
            name=f"cluster_{k}",
            graph_attr={
                "label": _html_label(_text(name)),
                "id": f"c{k}",
                "style": "rounded",
                "color": "#b0b0b0",
                "labeljust": "l",
                "labelloc": "t",
                "margin": "6",
            },
        )
        boxes[name] = box
    for item in model.nodes:
        box = boxes[item.group]
        i = item.index
        fill = CURRENT_COLOR if i == current else _fill(item.kind)
        wide = None if widest is None else widest.get(i)
        card = _card(item, grads, fill, wide, model.tags.get(i, ""))
        box.node(f"n{i}", card, shape="plain", id=f"n{i}")
        if item.parents and item.kind != "group":
            box.node(
                f"op{i}",
                _html_label(_text(item.value.op.symbol)),
                id=f"op{i}",
                shape="ellipse",
                height="0.28",
                style="filled",
                fillcolor=OP_COLOR,
                width=op_width,
                fixedsize="shape",
            )
    for group_name, box in boxes.items():
        if group_name is not None:
            dot.subgraph(box)
    # Left to right, the computation after the last group (a loss) would add a column per
    # node; stacked in one rank it reads top to bottom beside the network.
    groups = [item.index for item in model.nodes if item.kind == "group"]
    column: set[int] = set()
    if groups and rankdir in ("LR", "RL"):
        column = {
            item.index
            for item in model.nodes
            if item.parents and item.kind != "group" and item.index > max(groups)
        }
        if len(column) < 2:
            column = set()
    for item in model.nodes:
        i = item.index
        if not item.parents:
            continue
        group = item.kind == "group"
        head = f"n{i}" if group else f"op{i}"
        if not group:
            if backward:
                dot.edge(f"n{i}", f"op{i}", id=f"e{i}")
            else:
                dot.edge(f"op{i}", f"n{i}", id=f"e{i}")
        for j, p in enumerate(item.parents):
            attrs = {"id": f"e{i}_{j}"}
            if dense and group:
                attrs.update(color="#8a8a8a", penwidth="0.6", arrowsize="0.4")
            if not backward:
                dot.edge(f"n{p}", head, **attrs)
                continue
            shown = i in grads and model.by_index[p].kind != "constant"
            if shown and model.edges:
                text = _num(model.edges[i][j].term)
                if tooltips and group:
                    attrs["tooltip"] = _escape_attr(f"{text} from {item.title or i}")
                elif i in column:
                    # A label on an edge within one rank would take a rank of its own.
                    attrs["xlabel"] = text
                else:
                    attrs["label"] = text
            dot.edge(head, f"n{p}", **attrs)
    if column:
        same = graphviz.Digraph(graph_attr={"rank": "same"})
        for i in sorted(column):
            same.node(f"n{i}")
            same.node(f"op{i}")
        dot.subgraph(same)
    return dot


def _fill(kind: str) -> str | None:
    return {"param": PARAM_COLOR, "input": INPUT_COLOR, "group": GROUP_COLOR}.get(kind)


# Room above a card's title: Graphviz sizes the cell to the text's line height, so a
# bold label's glyphs would touch the card's top border.
_TOP = ' cellpadding="4"'


def _card(
    item: Node, grads: dict[int, float], fill: str | None, wide: str | None = None, tag: str = ""
) -> str:
    """The HTML-like label of a value: its label on top, then ``data`` and ``grad``.

    ``wide``: a longer line the card must have room for (Graphviz's width is a minimum);
    ``tag``: the example of a value drawn once per example of a batch (`` [1]``), in grey.
    """
    # Always a background (white by default): the player recolours the first polygon.
    bg = f' bgcolor="{fill or "#ffffff"}"'
    if item.kind == "constant":
        return _html_label(
            f'<table border="0" cellborder="0" cellpadding="1"{bg}>'
            f"<tr><td>{_num(item.value.data)}</td></tr></table>"
        )
    grad = _num(grads[item.index]) if item.index in grads else "-"
    rows = []
    if item.title:
        example = f'<font color="{UNNAMED_COLOR}">{_text(tag)}</font>' if tag else ""
        rows.append(f"<tr><td{_TOP}><b>{_text(item.title)}</b>{example}</td></tr>")
    else:  # unlabelled: its position, the name the player's explanations use for it
        rows.append(f'<tr><td{_TOP}><font color="{UNNAMED_COLOR}">#{item.index}</font></td></tr>')
    # A group with one output per example of a batch: example 0's output, the summed grad.
    batch = len(item.outputs) > 1
    data = "data[0]" if batch else "data"
    rows.append(f'<tr><td align="left">{data} {_num(item.value.data)}</td></tr>')
    width = f' width="{math.ceil(6.2 * len(wide) + 4)}"' if wide else ""
    total = "grad (sum)" if batch else "grad"
    rows.append(f'<tr><td align="left"{width}>{total} {grad}</td></tr>')
    style = ' style="rounded"' if item.kind == "group" else ""
    return _html_label(
        f'<table border="1" cellborder="0" cellspacing="0" cellpadding="1"{style}{bg}>'
        + "".join(rows)
        + "</table>"
    )


def _legend(view: Model, backward: bool, tooltips: bool) -> str:
    """One line saying what the colours (and the numbers on arrows) mean."""
    kinds = {item.kind for item in view.nodes}
    cells = []
    for kind, colour, text in (
        ("param", PARAM_COLOR, "parameter"),
        ("input", INPUT_COLOR, "input"),
        (
            "group",
            GROUP_COLOR,
            "group (its output; data[0]: example 0's, grad: summed)"
            if any(len(item.outputs) > 1 for item in view.nodes)
            else "group (its output)",
        ),
    ):
        if kind in kinds:
            cells.append(f'<td bgcolor="{colour}" border="1">{text}</td>')
    if "constant" in kinds:
        cells.append("<td>bare number: constant</td>")
    if backward:
        hover = " (hover an arrow for its number)" if tooltips else ""
        cells.append(f"<td>gradients flow along the arrows{hover}</td>")
    return _html_label(
        '<table border="0" cellspacing="4" cellpadding="2"><tr>' + "".join(cells) + "</tr></table>"
    )


def _auto_rankdir(view: Model) -> str:
    """TB or LR: whichever the estimated picture width is smaller for (TB on a tie).

    Levels are longest paths from the leaves; a leaf sits just before its first
    consumer, as ``dot`` places it. Widths are estimated from the text lengths.
    """
    level: dict[int, int] = {}
    for item in view.nodes:
        level[item.index] = 1 + max((level[p] for p in item.parents), default=-1)
    consumers: dict[int, list[int]] = {}
    for item in view.nodes:
        for p in item.parents:
            consumers.setdefault(p, []).append(item.index)
    for item in view.nodes:
        if not item.parents and item.index in consumers:
            level[item.index] = min(level[c] for c in consumers[item.index]) - 1
    width = {item.index: _card_width(item) for item in view.nodes}
    op = 30.0
    rows: dict[int, list[int]] = {}
    for i, lv in level.items():
        rows.setdefault(lv, []).append(i)
    gap = 11.0
    tb = max(sum(width[i] + gap for i in row) for row in rows.values())
    lr = sum(max(width[i] for i in row) + op + 2 * 18.0 for row in rows.values())
    return "LR" if lr < tb else "TB"


def _card_width(item: Node) -> float:
    if item.kind == "constant":
        return 6.2 * len(_num(item.value.data)) + 4
    longest = max(len(item.title), len("data ") + 8, len("grad ") + 8)
    return 6.2 * longest + 10


def _op_width(view: Model) -> str:
    """One circle size for every op of the drawing: wide enough for its longest symbol."""
    symbols = [item.value.op.symbol for item in view.nodes if item.parents and item.kind != "group"]
    longest = max((len(_text_plain(s)) for s in symbols), default=1)
    return f"{max(0.3, (6.5 * longest + 12) / 72):.2f}"


_num = fmt
_text_plain = plain


def _text(text: str) -> str:
    """``text`` for an HTML-like Graphviz label, shown verbatim (see ``_text_plain``)."""
    # Graphviz reads two backslashes as one, even in HTML-like labels: double each.
    return (
        _text_plain(text)
        .replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        # Graphviz 2.43 fails on "]" just before the label's closing ">" ("]>" ends a CDATA
        # section to its HTML lexer); a character reference is the same text to both engines.
        .replace("]", "&#93;")
    )


def _html_label(markup: str) -> str:
    # The graphviz package passes a string wrapped in < > to Graphviz as an HTML-like label.
    return f"<{markup}>"


def _escape_attr(text: str) -> str:
    """A plain (quoted) attribute: Graphviz reads backslash escapes in it."""
    return _text_plain(text).replace("\\", "\\\\").replace('"', '\\"')
