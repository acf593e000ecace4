"""The backprop player: one self-contained HTML page that steps through a forward and backward pass.

Two levels, one page: the **network level** (the default when dotted labels group the graph
into neurons, as ``nn`` labels them): one card per neuron over the whole batch, stepped neuron
by neuron; and the **op level**: every value, one per step, forward in topological order, then
backward in the order ``backward()`` processes them, each backward step showing the sum the
value received and what it passes to each input, with the local derivative from the op's
own row (``to z: 1 x 0.1966 = 0.1966  (x sigma'(z) = out(1 - out) = 0.1966)``). A click on
a neuron opens its op level on the selected example. The last step shows exactly the
gradients ``graph.backprop`` computes; the player writes no ``.grad``. ``network_player``
builds a network level from plain numbers (a ``drawing.Network``).

The page's DOM contract (``data-action``, ``data-role``, ``data-label``, ``data-value``,
``data-grad``, ``data-current``, ``#step=k``) and its keys are listed in docs/pictures.md;
tests drive them in headless Chromium.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from autograd_engine.core import ops
from autograd_engine.core.value import Value
from autograd_engine.files import html_page, write_atomic
from autograd_engine.pictures.drawing import (
    DEFAULT_MAX_NODES,
    Model,
    Network,
    Node,
    build_model,
    card_order,
    check_arguments,
    fmt,
    network,
    op_model,
    plain,
)
from autograd_engine.pictures.viz import CURRENT_COLOR, check_flag, graphviz_drawing, render_svg
from autograd_engine.validation import counted

__all__ = ["Player", "player", "network_player"]

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_instances = itertools.count(1)  # makes each inline (Jupyter) player's ids unique on its page
_LEVELS = ("network", "op")
_LIST = 6  # per-example terms listed in an explanation before "... (k more)"


def player(
    root: Value,
    params: Iterable[Value] | None = None,
    title: str | None = None,
    collapse: bool = False,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    level: str | None = None,
    examples: Sequence[int] | None = None,
    expand: str | None = None,
) -> Player:
    """A ``Player`` stepping through the forward pass and the reverse sweep of ``root``.

    ``level``: ``"network"`` (one card per neuron over the batch; the default when dotted
    labels group the graph, as ``nn`` labels it) or ``"op"`` (every value; the default
    otherwise). ``examples``: the examples whose op level is embedded at the network level
    (default ``[0]``; each neuron's ops on that example). ``expand``: the label of a
    neuron (``"L0.n1"``) whose op level, on the first of ``examples``, the page opens at.
    ``params`` are highlighted as
    parameters (default: every labelled leaf), as in ``draw_dot``; ``title`` heads the
    page (default: the root's label); ``collapse`` draws each group as one node at the op
    level. ``max_nodes`` bounds each op-level drawing (the whole graph at the op level,
    one neuron on one example at the network level). Arguments are checked as
    ``draw_dot`` checks them (owner ``player``). Lays the graph out with Graphviz now, so
    a missing ``dot`` raises ``RuntimeError`` with the install hint here. Writes no
    ``.grad``.
    """
    if level is not None and level not in _LEVELS:
        raise ValueError(f"player: level must be 'network', 'op' or None, got {level!r}")
    check_flag(collapse, "collapse", "player")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"player: title must be a str or None, got {type(title).__name__}")
    _, highlighted = check_arguments(root, None, params, max_nodes, "player", order=[])
    params = list(highlighted) if params is not None else None
    if level != "op":
        model = build_model(root, params, True, True, None, "player")
        if level == "network" or any(node.kind == "group" for node in model.nodes):
            if not any(node.kind == "group" for node in model.nodes):
                raise ValueError(
                    "player: level='network' needs groups (values labelled with a dotted "
                    "prefix, as nn labels its neurons); this graph has none"
                )
            return _network_player(model, title, max_nodes, examples, expand)
    if expand is not None:
        raise ValueError("player: expand= is for the network level (level='op' has no neurons)")
    if examples is not None:
        raise ValueError("player: examples= is for the network level (level='op' has none)")
    model = build_model(root, params, collapse, True, max_nodes, "player")
    level_data = _op_level(model, None, model.nodes[-1].index)
    if title is None:
        root_label = model.nodes[-1].title
        title = f"Backpropagation through {plain(root_label)}" if root_label else None
    return Player(title or "Backpropagation, step by step", op=level_data)


def network_player(net: Network, title: str | None = None) -> Player:
    """A player of a network level built from plain numbers (``drawing.Network``).

    Each card's ``values`` and ``grads`` are per example, ``terms`` what flows back along
    each input arrow per example; ``forward`` and ``backward`` give the step order. No op
    level (nothing to expand). Used by ``player`` for a graph; a training replay can
    build the ``Network`` itself.
    """
    if not isinstance(net, Network):
        raise TypeError(f"network_player: net must be a drawing.Network, got {type(net).__name__}")
    return Player(title or f"Backpropagation through {net.loss}", network=_network_level(net, {}))


class Player:
    """A backprop player page: ``html()``, ``save(path)``, ``_repr_html_()``, ``steps``.

    Made by ``player(root)`` or ``network_player(net)``; holds the rendered drawings and
    the steps, not the graph's ``.grad`` (later changes to the graph do not change it).
    """

    def __init__(
        self,
        title: str,
        op: dict[str, Any] | None = None,
        network: dict[str, Any] | None = None,
        ops_levels: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.title = title
        self._op = op
        self._network = network
        self._ops = ops_levels or {}

    @property
    def level(self) -> str:
        """The level the page opens at: ``"network"`` or ``"op"``."""
        return "network" if self._network is not None else "op"

    @property
    def steps(self) -> int:
        """n, the number of the last step of the opening level (step 0 is the start)."""
        main = self._network if self._network is not None else self._op
        assert main is not None
        return len(main["steps"]) - 1

    def html(self) -> str:
        """The whole page as a string: self-contained, deterministic, no network request."""
        body = self._fragment(self._token(), page=True)
        return html_page(plain(self.title), body, "html,body{margin:0;height:100%;}")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``html()`` to ``path`` whole or not at all (temp file, then rename)."""
        return write_atomic(path, self.html(), owner="Player.save")

    def _repr_html_(self) -> str:
        """The player inline in Jupyter; each display gets ids of its own."""
        return self._fragment(f"{self._token()}-{next(_instances)}", page=False)

    def _token(self) -> str:
        digest = hashlib.sha1(self.title.encode("utf-8", "surrogatepass"))
        digest.update(json.dumps([self._op, self._network, self._ops], sort_keys=True).encode())
        return "agp" + digest.hexdigest()[:10]

    def _fragment(self, token: str, page: bool) -> str:
        """The player's markup, its style and script scoped to the element ``#token``."""
        prefix = token + "-"
        main = self._network if self._network is not None else self._op
        assert main is not None
        if self._network is not None:
            drawing = _network_svg(self._network, prefix)
        else:
            assert self._op is not None
            drawing = _tag_svg(self._op["svg"], self._op, prefix)
        data = {
            "prefix": prefix,
            "level": self.level,
            "main": {k: v for k, v in main.items() if k != "svg"},
            "ops": self._ops,
        }
        # Inside <script>, "</" or "<!--" would end or confuse the element: escape < > &.
        blob = (
            json.dumps(data, ensure_ascii=True, separators=(",", ":"))
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        n = len(main["steps"]) - 1
        final = html.escape(main["steps"][-1]["explain"])
        css = _asset("player.css").replace("#ROOT", f"#{token}")
        css = css.replace("CURRENT_COLOR", CURRENT_COLOR)
        title = html.escape(plain(self.title))
        select = ""
        if self._network is not None:
            count = self._network["examples"]
            available = {int(key.split("e")[-1]) for key in self._ops}
            options = "".join(
                f'<option value="{e}">example {e}'
                + (" (ops)" if e in available else "")
                + "</option>"
                for e in range(count)
            )
            select = (
                '<label class="agp-example">example '
                f'<select data-role="example" aria-label="example">{options}</select></label>'
            )
        return (
            f'<div class="agp{" agp-page" if page else ""}" id="{token}" tabindex="0">\n'
            f"<style>{css}</style>\n"
            '<div class="agp-head">\n'
            f'<div class="agp-title">{title}</div>\n'
            '<div class="agp-controls" data-role="controls">'
            '<button type="button" data-action="up" title="back to the network level" '
            "hidden>&#x2191; network</button>"
            '<button type="button" data-action="first" title="first step (Home)">'
            "&#x25C0;&#x25C0;</button>"
            '<button type="button" data-action="prev" title="previous step (ArrowLeft)">'
            "&#x25C0; prev</button>"
            '<button type="button" data-action="play" title="play / pause (Space)" '
            'aria-pressed="false">play</button>'
            '<button type="button" data-action="next" title="next step (ArrowRight)">'
            "next &#x25B6;</button>"
            '<button type="button" data-action="last" title="last step (End)">'
            "&#x25B6;&#x25B6;</button>"
            f'<input type="range" min="0" max="{n}" value="{n}" data-role="slider" '
            'aria-label="step">'
            f'<span class="agp-counter">step <span data-role="step">{n} / {n}</span></span>'
            '<button type="button" data-action="zoom-out" title="zoom out (-)">&#x2212;</button>'
            '<button type="button" data-action="zoom-in" title="zoom in (+)">+</button>'
            '<button type="button" data-action="fit" title="fit to the window (0)">fit</button>'
            f"{select}"
            "</div>\n"
            f'<div class="agp-explain" data-role="explain">{final}</div>\n'
            f'<div class="agp-legend">{_LEGEND}</div>\n'
            "</div>\n"
            '<div class="agp-stage" data-role="stage">'
            f'<div class="agp-drawing" data-role="drawing" data-level="{self.level}" '
            f'data-scale="1">{drawing}</div>'
            '<div class="agp-minimap" data-role="minimap" aria-hidden="true"></div>'
            "</div>\n"
            f'<script type="application/json" class="agp-data">{blob}</script>\n'
            f"<script>{_asset('player.js').replace('ROOT_ID', json.dumps(token))}</script>\n"
            "</div>"
        )


def _asset(name: str) -> str:
    """A file of the page (JavaScript, CSS), shipped as package data."""
    return resources.files("autograd_engine.pictures").joinpath("assets", name).read_text("utf-8")


# -- the op level -------------------------------------------------------------------


def _forward_text(model: Model, item: Node) -> str:
    """``name = formula = numbers = value`` for the forward step that computes ``item``."""
    name = model.name(item.index)
    value = fmt(item.value.data)
    if item.kind == "group":
        inputs = ", ".join(model.name(p) for p in item.parents) or "its own leaves"
        return (
            f"forward: the group {name} computes {plain(item.value.label) or 'its output'} "
            f"= {value} from {inputs} ({len(item.members)} nodes inside)"
        )
    names = [model.name(p) for p in item.parents]
    numbers = [fmt(model.by_index[p].value.data) for p in item.parents]
    op = item.value.op
    symbol = plain(op.symbol)
    if op is ops.DOT and len(names) <= 8:
        half = len(names) // 2
        formula = " + ".join(f"{names[k]}*{names[k + half]}" for k in range(half))
        numeric = " + ".join(f"{numbers[k]}*{numbers[k + half]}" for k in range(half))
    elif op is ops.DOT:
        formula = f"sum of {len(names) // 2} products of weights and inputs"
        numeric = ""
    elif len(names) == 2 and symbol in ("+", "*", "/", "**", "-"):
        formula = f" {symbol} ".join(names)
        numeric = f" {symbol} ".join(numbers)
    else:
        formula = f"{symbol}({', '.join(names)})"
        numeric = f"{symbol}({', '.join(numbers)})"
    parts = [name, formula] + ([numeric] if numeric and numeric != formula else []) + [value]
    return "forward: " + " = ".join(parts)


def _given_text(model: Model, item: Node, outside: bool) -> str:
    """The forward step of a leaf: its value is given, not computed."""
    name = model.name(item.index)
    if outside:
        return f"forward: {name} = {fmt(item.value.data)}, computed outside this neuron"
    what = {"param": "a parameter", "input": "an input"}.get(item.kind, "a value")
    return f"forward: {name} = {fmt(item.value.data)}, {what} (a leaf: given, not computed)"


def _uses(model: Model) -> dict[int, int]:
    """How many arrows deliver to each value in the whole graph (one per consumer slot)."""
    uses: dict[int, int] = {}
    position = model.position
    for node in model.order:
        for p in node.parents:
            q = position[p]
            uses[q] = uses.get(q, 0) + 1
    return uses


def _op_level(
    model: Model, context: str | None, top: int, uses: dict[int, int] | None = None
) -> dict[str, Any]:
    """The op level of ``model`` (the whole graph, or one neuron on one example): its SVG,
    node table and steps (JSON-ready).

    ``context`` is None for the whole graph; else what to say of the top value's gradient
    (which comes from outside) and of the leaves' (their gradient sums more than this).
    Each step has ``node`` (position in the node table, -1 for none), ``phase``, ``set``
    (``[node, "v"|"g"|"p", text]``: value, final gradient, partial sum; a gradient is final
    once every arrow into its value has delivered), ``edges`` (ids to highlight),
    ``reveal`` (ids of edges whose label now shows) and ``explain`` (plain text).
    """
    items = model.nodes
    slot = {item.index: k for k, item in enumerate(items)}
    if uses is None:
        uses = _uses(model) if context is not None else {}
    stepped = [item for item in items if item.kind != "constant"]
    root_name = model.name(top) if context is None else "loss"
    steps = [_start_step(model, slot, stepped, root_name, context)]
    steps += [_forward_step(model, slot, item, context) for item in stepped]
    backward = _BackwardSteps(model, slot, uses, context, top, root_name)
    for n_done, item in enumerate(reversed(stepped), start=1):
        steps.append(backward.step(item, last=n_done == len(stepped)))
    final = _final_grads(model, steps, backward.running, partial=context is not None)
    widest = _widest_sums(model, steps)
    svg = render_svg(graphviz_drawing(model, final, True, None, None, widest))
    return {
        "svg": svg,
        "nodes": [
            {
                "id": f"n{item.index}",
                "card": item.kind != "constant",
                "label": plain(item.title) if item.kind == "group" else plain(item.value.label),
                "kind": item.kind,
                "value": fmt(item.value.data),
                "grad": fmt(final[item.index]),
            }
            for item in items
        ],
        "steps": steps,
    }


def _start_step(
    model: Model, slot: dict[int, int], stepped: list[Node], root_name: str, context: str | None
) -> dict[str, Any]:
    """The op level's first step: the constants' values, and what the steps will do."""
    constants = [item for item in model.nodes if item.kind == "constant"]
    return {
        "node": -1,
        "phase": "start",
        "set": [[slot[c.index], "v", fmt(c.value.data)] for c in constants],
        "edges": [],
        "reveal": [],
        "explain": (
            f"start: {len(stepped)} values"
            + (f" and {len(constants)} constants" if constants else "")
            + ". The forward pass visits the values one per step in topological order "
            "(each after its inputs); then the backward sweep sends d "
            f"{root_name} / d value back along every arrow, one value per step "
            "(constants get no gradient)." + (f"\n{context}" if context else "")
        ),
    }


def _forward_step(
    model: Model, slot: dict[int, int], item: Node, context: str | None
) -> dict[str, Any]:
    """The forward step of ``item``: its value, given (a leaf) or computed from its inputs."""
    outside = context is not None and item.kind == "input" and item.value.parents != ()
    leaf = not item.parents and item.kind != "group"
    return {
        "node": slot[item.index],
        "phase": "forward",
        "set": [[slot[item.index], "v", fmt(item.value.data)]],
        "edges": _edges_of(item),
        "reveal": [],
        "explain": _given_text(model, item, outside) if leaf else _forward_text(model, item),
    }


class _BackwardSteps:
    """The op level's backward steps, one value at a time, from the top value down.

    Keeps what each value has received so far (``received``, ``running``): a value's
    gradient is final once every arrow into it has delivered (all its consumers, or, on
    one neuron, its ``uses`` there), and a running sum until then.
    """

    def __init__(
        self,
        model: Model,
        slot: dict[int, int],
        uses: dict[int, int],
        context: str | None,
        top: int,
        root_name: str,
    ) -> None:
        self.model, self.slot, self.uses, self.context = model, slot, uses, context
        self.top, self.root_name = top, root_name
        self.delivered: dict[int, list[str]] = {}  # value -> ids of the arrows into it
        for item in model.nodes:
            for j, p in enumerate(item.parents):
                self.delivered.setdefault(p, []).append(f"e{item.index}_{j}")
        self.received: dict[int, list[tuple[float, str]]] = {}
        self.running: dict[int, float] = {}

    def step(self, item: Node, last: bool) -> dict[str, Any]:
        """``item``'s backward step: its gradient, then what it sends to each input."""
        i = item.index
        terms = self.received.get(i, [])
        whole = self.context is None or self.uses.get(i, 0) == len(terms)
        changes, lines = self._own_gradient(item, terms, whole)
        reveal: list[str] = []
        if item.parents:
            lines += self._send(item, changes, reveal)
        elif whole and item.kind != "group":
            name, grad = self.model.name(i), fmt(self.model.grads[i])
            lines.append(f"{name} is a leaf: d {self.root_name} / d {name} = {grad}.")
        if last and self.context is None:
            lines.append(
                f"done: every value shows d {self.root_name} / d value, as backward() computes it."
            )
        return {
            "node": self.slot[i],
            "phase": "backward",
            "set": changes,
            "edges": self.delivered.get(i, []) + _edges_of(item),
            "reveal": reveal,
            "explain": "\n".join(lines),
        }

    def _own_gradient(
        self, item: Node, terms: list[tuple[float, str]], whole: bool
    ) -> tuple[list[list[Any]], list[str]]:
        # The value's own gradient (seeded, summed from its terms, or a partial share).
        i, name, grads = item.index, self.model.name(item.index), self.model.grads
        if i == self.top:
            if self.context is None:
                line = f"backward: {name}.grad = 1 (d {name} / d {name}: the sweep starts here)"
            else:
                line = (
                    f"backward: {name}.grad = {fmt(grads[i])}, received from outside this "
                    "neuron (what its consumers pass back on this example)"
                )
            return [[self.slot[i], "g", fmt(grads[i])]], [line]
        if whole:
            sources = ", ".join(source for _, source in terms)
            if len(terms) > 1:
                total = " + ".join(fmt(t) for t, _ in terms)
                lines = [
                    f"backward: {name}.grad = {total} = {fmt(grads[i])}",
                    f"received from: {sources} (one term per arrow, summed)",
                ]
            else:
                lines = [f"backward: {name}.grad = {fmt(grads[i])} received from {sources}"]
            return [[self.slot[i], "g", fmt(grads[i])]], lines
        share = " + ".join(fmt(t) for t, _ in terms) or "0"
        line = (
            f"backward: {name} receives {share} from this neuron on this example; its "
            f"whole gradient sums every example and consumer: {fmt(grads[i])}"
        )
        return [[self.slot[i], "p", fmt(self.running.get(i, 0.0))]], [line]

    def _send(self, item: Node, changes: list[list[Any]], reveal: list[str]) -> list[str]:
        # Each arrow's term to its input (a constant gets none), and the input's new sum.
        i, name, grads = item.index, self.model.name(item.index), self.model.grads
        lines = []
        if item.kind == "group":
            lines.append(f"passes to each input the sum over the paths inside {name}:")
        sends = []
        for edge in self.model.edges.get(i, []):
            p = edge.tail
            if self.model.by_index[p].kind == "constant":
                continue  # a constant gets no gradient: nothing is sent
            what = self.model.name(p)
            if edge.local is None:
                sends.append(f"to {what}: {fmt(edge.term)}")
            else:
                sends.append(
                    f"to {what}: {fmt(grads[i])} x {fmt(edge.local)} = {fmt(edge.term)}"
                    f"  ({self.model.step_text(edge)})"
                )
            self.running[p] = edge.term if p not in self.running else self.running[p] + edge.term
            self.received.setdefault(p, []).append((edge.term, name))
            # Once every arrow into p has delivered, its gradient is final (the sum is
            # backward()'s own); until then it is a running sum.
            needed = len(self.delivered[p]) if self.context is None else self.uses.get(p, 0)
            if len(self.received[p]) == needed:
                changes.append([self.slot[p], "g", fmt(grads[p])])
            else:
                changes.append([self.slot[p], "p", fmt(self.running[p])])
            reveal.append(f"e{i}_{edge.slot}")
        # A wide fan-in (a neuron of a wide layer) reads better four to a line.
        per_line = 1 if len(sends) <= 6 else 4
        for k in range(0, len(sends), per_line):
            lines.append(";  ".join(sends[k : k + per_line]))
        return lines


def _widest_sums(model: Model, steps: list[dict[str, Any]]) -> dict[int, str]:
    """Room on each card for the longest running sum it will show, not only the final value."""
    widest: dict[int, str] = {}
    for step in steps:
        for k, what, text in step["set"]:
            i = model.nodes[k].index
            line = f"grad {text}"
            if what != "v" and len(line) > len(widest.get(i, f"grad {fmt(model.grads[i])}")):
                widest[i] = line
    return widest


def _final_grads(
    model: Model, steps: list[dict[str, Any]], running: dict[int, float], partial: bool
) -> dict[int, float]:
    """The gradient each card shows after the last step; with ``partial`` (one neuron on
    one example) a value whose last change was a partial sum keeps that sum."""
    items = model.nodes
    final = {item.index: model.grads[item.index] for item in items}
    if partial:
        last: dict[int, str] = {}
        for step in steps:
            for k, what, _ in step["set"]:
                if what != "v" and last.get(k) != "g":
                    last[k] = what
        for k, what in last.items():
            if what == "p":
                final[items[k].index] = running.get(items[k].index, 0.0)
    return final


def _edges_of(item: Node) -> list[str]:
    i = item.index
    own = [] if item.kind == "group" or not item.parents else [f"e{i}"]
    return own + [f"e{i}_{j}" for j in range(len(item.parents))]


def _tag_svg(svg: str, level: dict[str, Any], prefix: str) -> str:
    """Graphviz's SVG with the DOM contract's data attributes and ids prefixed for the page."""
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(svg)
    for element in root.iter():
        if "id" in element.attrib:
            element.set("id", prefix + element.attrib["id"])
    by_id = {node["id"]: node for node in level["nodes"]}
    for g in root.iter(f"{{{_SVG}}}g"):
        node_id = g.get("id", "")[len(prefix) :]
        if g.get("class") != "node" or node_id not in by_id:
            continue
        node = by_id[node_id]
        texts = g.findall(f".//{{{_SVG}}}text")
        g.set("data-label", node["label"])
        g.set("data-kind", node["kind"])
        g.set("data-value", node["value"])
        g.set("data-grad", "" if node["kind"] == "constant" else node["grad"])
        g.set("data-grad-state", "final")
        if not node["card"]:
            texts[-1].set("data-field", "value")
        else:
            texts[-2].set("data-field", "value")
            texts[-1].set("data-field", "grad")
    root.set("class", "agp-graph")
    return ET.tostring(root, encoding="unicode")


# -- the network level ------------------------------------------------------------


def _network_player(
    model: Model,
    title: str | None,
    max_nodes: int | None,
    chosen: Sequence[int] | None,
    expand: str | None,
) -> Player:
    net = network(model)
    if chosen is None:
        chosen = [0]
    if isinstance(chosen, str) or not isinstance(chosen, Sequence):
        raise TypeError(f"player: examples must be a list of example numbers, got {chosen!r}")
    for e in chosen:
        if type(e) is not int or not 0 <= e < net.examples:
            raise ValueError(
                f"player: examples holds {e!r}, not an example number in 0..{net.examples - 1} "
                f"(the batch has {net.examples} examples)"
            )
    groups = [node for node in model.nodes if node.kind == "group"]
    levels: dict[str, dict[str, Any]] = {}
    uses = _uses(model)
    for k, node in enumerate(groups):  # the network's neuron cards come first, in this order
        for e in sorted(set(chosen)):
            if e >= len(node.outputs):
                continue
            sub = op_model(model, node, e, model.params)
            if max_nodes is not None and len(sub.nodes) > max_nodes:
                raise ValueError(
                    f"player: the op level of {node.title} on example {e} has "
                    f"{len(sub.nodes)} values, more than max_nodes={max_nodes}; pass a "
                    "larger max_nodes (or None)"
                )
            top = model.position[node.outputs[e]]
            context = (
                f"The operations of {plain(node.title)} on example {e}. Its parameters' "
                "gradients (and those of the values it reads) sum every example: here "
                "they show this example's share, in italics."
            )
            level = _op_level(sub, context, top, uses)
            level["svg"] = _tag_svg(level["svg"], level, "PREFIX")
            levels[f"c{k}e{e}"] = level
    main = _network_level(net, levels)
    if expand is not None:
        names = [card.label for card in net.cards if card.kind == "neuron"]
        if expand not in names:
            raise ValueError(
                f"player: expand={expand!r} is not a neuron of this network "
                f"({', '.join(names[:6])}{', ...' if len(names) > 6 else ''})"
            )
        if not chosen:
            raise ValueError(
                f"player: expand={expand!r} opens a neuron's operations on an example, but "
                "examples=[] embeds none; pass examples=[e] for the example to open"
            )
        main["open"] = f"c{names.index(expand)}e{chosen[0]}"  # the first of examples
    if title is None:
        title = f"Backpropagation through {net.loss}"
    return Player(title, network=main, ops_levels=levels)


def _listing(numbers: Sequence[float]) -> str:
    shown = " + ".join(fmt(x) for x in numbers[:_LIST])
    more = len(numbers) - _LIST
    return shown + (f" + ... ({more} more)" if more > 0 else "")


def _network_level(net: Network, levels: dict[str, Any]) -> dict[str, Any]:
    """The network level's cards, per-example values and steps (JSON-ready)."""
    cards = net.cards
    steps = [_network_start(net)]
    steps += [_network_forward_step(net, k) for k in net.forward]
    backward = _NetworkBackward(net)
    for position, k in enumerate(net.backward):
        steps.append(backward.step(k, first=position == 0, last=position == len(net.backward) - 1))
    return {
        "examples": net.examples,
        "cards": [
            {
                "id": f"c{k}",
                "label": card.label,
                "kind": card.kind,
                "values": [fmt(v) for v in card.values],
                "grad": fmt(card.grad),
                "expand": [key for key in levels if key.startswith(f"c{k}e")],
                "inputs": card.inputs,
            }
            for k, card in enumerate(cards)
        ],
        "steps": steps,
    }


def _network_start(net: Network) -> dict[str, Any]:
    """The network level's first step: what the cards are and what the steps will do."""
    neurons = sum(1 for c in net.cards if c.kind == "neuron")
    return {
        "node": -1,
        "phase": "start",
        "set": [],
        "edges": [],
        "explain": (
            f"start: the network level of {net.loss}: {counted(neurons, 'neuron')}, each one "
            f"card over the {counted(net.examples, 'example')} of the batch. The forward pass "
            "computes them one per step, each after its inputs; then the backward sweep "
            "completes them one per step. Pick an example in the list (the cards show "
            "its values); click a neuron to see its operations on that example."
        ),
    }


def _network_forward_step(net: Network, k: int) -> dict[str, Any]:
    """Card ``k``'s forward step: its output on each example, from its inputs."""
    cards = net.cards
    card = cards[k]
    inputs = ", ".join(cards[d].label for d in card.inputs) or "its inputs"
    if card.kind == "neuron":
        text = (
            f"forward: {card.label} computes its output from {inputs} "
            + (f"and its {counted(len(card.params), 'parameter')} " if card.params else "")
            + f"on each example: {_listing(card.values).replace(' + ', ', ')}"
        )
    elif card.kind == "example":
        text = f"forward: example {card.example}'s term of the loss, from {inputs}: " + fmt(
            card.values[0]
        )
    else:
        text = f"forward: {card.label} = {fmt(card.values[0])}, from {inputs}"
    return {
        "node": k,
        "phase": "forward",
        "set": [[k, "v", ""]],
        "edges": [f"a{k}_{j}" for j in range(len(card.inputs))],
        "explain": text,
    }


class _NetworkBackward:
    """The network level's backward steps, one card at a time in the order of the sweep.

    A card's gradient is final once every card it feeds has passed back into it
    (``consumers``; a penalty passes into parameters, not outputs), a running sum until then.
    """

    def __init__(self, net: Network) -> None:
        self.net = net
        self.consumers: dict[int, list[int]] = {}  # the cards passing back into a card's output
        for k, card in enumerate(net.cards):
            if card.kind == "penalty":  # it passes back into parameters, not the neuron's output
                continue
            for d in card.inputs:
                self.consumers.setdefault(d, []).append(k)
        self.running: dict[int, float] = {}
        self.delivered: dict[int, int] = {}

    def step(self, k: int, first: bool, last: bool) -> dict[str, Any]:
        """Card ``k``'s step: its gradient, its local derivatives, what it passes back."""
        cards, n = self.net.cards, self.net.examples
        card = cards[k]
        lines = self._own_gradient(k, first)
        changes: list[list[Any]] = [[k, "g", fmt(card.grad)]]
        sends = [self._send(k, j, d, changes) for j, d in enumerate(card.inputs)]
        if sends:
            # A neuron's arrows sum its examples; an example's term, or the loss, passes
            # back per example (one number an arrow, on one example).
            summed = card.kind == "neuron" and n > 1
            lines.append("passes back, summed over the examples:" if summed else "passes back:")
            per_line = 1 if len(sends) <= 4 or card.factor_texts else (2 if n > 1 else 4)
            for s in range(0, len(sends), per_line):
                lines.append(";  ".join(sends[s : s + per_line]))
        if card.params:
            lines.append(
                "its parameters' gradients"
                + (" (summed over the examples)" if n > 1 else "")
                + ": "
                + ", ".join(f"{label} = {fmt(g)}" for label, _, g in card.params[:8])
                + (f", ... ({len(card.params) - 8} more)" if len(card.params) > 8 else "")
            )
        if last:
            lines.append(
                "done: every card shows its gradient summed over the batch, as backward() adds it."
            )
        return {
            "node": k,
            "phase": "backward",
            "set": changes,
            "edges": [f"a{c}_{cards[c].inputs.index(k)}" for c in self.consumers.get(k, [])]
            + [f"a{k}_{j}" for j in range(len(card.inputs))],
            "explain": "\n".join(lines),
        }

    def _own_gradient(self, k: int, first: bool) -> list[str]:
        # The card's gradient (summed over the examples), where from, and its local derivatives.
        cards, n, loss = self.net.cards, self.net.examples, self.net.loss
        card = cards[k]
        total = fmt(card.grad)
        if first:
            lines = [f"backward: {card.label}.grad = 1 (the sweep starts here)"]
        elif card.kind == "neuron" and n > 1:
            lines = [
                f"backward: {card.label}.grad = sum over the {n} examples of "
                f"d {loss} / d {card.label} = {_listing(card.grads)} = {total}"
            ]
        else:
            lines = [f"backward: {card.label}.grad = {total}"]
        sources = ", ".join(cards[c].label for c in self.consumers.get(k, []))
        if sources:
            lines.append(f"received from: {sources}")
        if card.chain:  # the activation's derivative first, then (dropout) the mask's
            lines.append(
                "inside, on each example: "
                + ";  then ".join(
                    f"x {text}: {_listing(numbers).replace(' + ', ', ')}"
                    for text, numbers in card.chain
                )
            )
        elif card.local:
            lines.append(
                f"inside, on each example: x {card.local}: "
                + _listing(card.locals).replace(" + ", ", ")
            )
        return lines

    def _send(self, k: int, j: int, d: int, changes: list[list[Any]]) -> str:
        # What card k passes along its arrow j to card d (or, a penalty, to d's parameters).
        cards, n = self.net.cards, self.net.examples
        card = cards[k]
        term = math.fsum(card.terms[j])
        # Per-example terms of each arrow for a small batch; for a large one the sums.
        per = f" ({_listing(card.terms[j])})" if card.kind == "neuron" and 1 < n <= 4 else ""
        factor = ""
        shown = fmt(term)
        if card.factor_texts:  # x the factor, as a formula and a number
            if card.kind == "neuron" and n > 1:
                numbers = (  # one number if the factor is a weight, the same everywhere
                    fmt(card.factors[j][0])
                    if len(set(card.factors[j])) == 1
                    else _listing(card.factors[j]).replace(" + ", ", ")
                )
                factor = f"  (x {card.factor_texts[j]}: {numbers})"
            else:
                f = math.fsum(card.factors[j])
                shown = f"{fmt(card.grads[0])} x {fmt(f)} = {fmt(term)}"
                formula = card.factor_texts[j]
                same = formula == fmt(f) or formula.endswith((f" = {fmt(f)}", f", {fmt(f)}"))
                factor = f"  (x {formula}{'' if same else f' = {fmt(f)}'})"
        if card.kind == "penalty":
            return f"to the parameters of {cards[d].label}: {shown}{factor}"
        self.running[d] = self.running.get(d, 0.0) + term
        self.delivered[d] = self.delivered.get(d, 0) + 1
        # Final once every card it feeds has passed back (the sum is backward()'s own).
        if self.delivered[d] == len(self.consumers.get(d, [])):
            changes.append([d, "g", fmt(cards[d].grad)])
        else:
            changes.append([d, "p", fmt(self.running[d])])
        return f"to {cards[d].label}: {shown}{per}{factor}"


_W, _H, _GAP, _VGAP, _ROWS = 150.0, 52.0, 90.0, 12.0, 18


def _network_svg(level: dict[str, Any], prefix: str) -> str:
    """The network level drawn by us (no Graphviz): one column per depth, arrows between."""
    cards = level["cards"]
    depth: list[int] = [0] * len(cards)
    for k in card_order([card["inputs"] for card in cards]):
        depth[k] = 1 + max((depth[d] for d in cards[k]["inputs"]), default=-1)
    columns: dict[int, list[int]] = {}
    for k in range(len(cards)):
        columns.setdefault(depth[k], []).append(k)
    # A column of more than _ROWS cards (the examples of a large batch) wraps.
    x = 20.0
    place: dict[int, tuple[float, float]] = {}
    tallest = max(min(len(c), _ROWS) for c in columns.values())
    height = tallest * (_H + _VGAP)
    for d in sorted(columns):
        column = columns[d]
        for start in range(0, len(column), _ROWS):
            chunk = column[start : start + _ROWS]
            top = 30.0 + (height - len(chunk) * (_H + _VGAP)) / 2
            for r, k in enumerate(chunk):
                place[k] = (x, top + r * (_H + _VGAP))
            x += _W + (_GAP if start + _ROWS >= len(column) else 24.0)
    width = x + 10
    total_h = height + 60
    parts = [
        f'<svg xmlns="{_SVG}" class="agp-graph agp-net" width="{width:.0f}pt" '
        f'height="{total_h:.0f}pt" viewBox="0 0 {width:.0f} {total_h:.0f}">',
        '<g class="agp-edges">',
    ]
    for k, card in enumerate(cards):
        hx, hy = place[k]
        for j, d in enumerate(card["inputs"]):
            tx, ty = place[d]
            x1, y1, x2, y2 = tx + _W, ty + _H / 2, hx, hy + _H / 2
            mid = (x1 + x2) / 2
            faint = (
                " agp-faint" if cards[d]["kind"] == "neuron" and card["kind"] != "neuron" else ""
            )
            parts.append(
                f'<g class="edge{faint}" id="{prefix}a{k}_{j}"><path d="M{x1:.1f},{y1:.1f} '
                f'C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"/></g>'
            )
    parts.append("</g>")
    fills = {"neuron": "#fff4d6", "example": "#eef2ff", "loss": "#ffffff"}
    for k, card in enumerate(cards):
        cx, cy = place[k]
        label = html.escape(card["label"])
        expand = (
            f'<g class="agp-expand" data-action="expand" role="button" tabindex="-1">'
            f'<rect x="{cx + _W - 22:.1f}" y="{cy + 4:.1f}" width="18" height="16" rx="3"/>'
            f'<text x="{cx + _W - 13:.1f}" y="{cy + 16:.1f}" text-anchor="middle">+</text></g>'
            if card["kind"] == "neuron"
            else ""
        )
        value = card["values"][0]
        parts.append(
            f'<g class="node agp-card" id="{prefix}c{k}" data-label="{label}" '
            f'data-kind="{card["kind"]}" data-value="{value}" data-grad="{card["grad"]}" '
            f'data-grad-state="final">'
            f'<rect x="{cx:.1f}" y="{cy:.1f}" width="{_W:.0f}" height="{_H:.0f}" rx="6" '
            f'fill="{fills.get(card["kind"], "#fff")}"/>'
            f'<text x="{cx + 8:.1f}" y="{cy + 16:.1f}" class="agp-label">{label}</text>'
            f'<text x="{cx + 8:.1f}" y="{cy + 32:.1f}" data-field="value">data {value}</text>'
            f'<text x="{cx + 8:.1f}" y="{cy + 47:.1f}" data-field="grad">grad {card["grad"]}'
            f"</text>{expand}</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


_LEGEND = (
    f'<span class="agp-key" style="background:{CURRENT_COLOR}">current step</span>'
    '<span class="agp-key"><i style="color:#b45309">grad 3</i>: running sum, not final</span>'
    '<span class="agp-key">grad -: not reached yet</span>'
    '<span class="agp-key">drag or wheel: pan; + - 0: zoom, fit</span>'
)
