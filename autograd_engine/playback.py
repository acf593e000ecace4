"""The backprop player: one self-contained HTML page that steps through a forward and backward pass.

``player(root)`` lays the backward view of ``root``'s graph out once with Graphviz (an SVG
with an id on every node and edge), writes the steps as JSON and adds a small script of
our own in plain JavaScript: no network request of any kind, so the page opens from
``file://``, offline, and can be mailed or committed. Where scripts do not run (GitHub's
notebook view, a sanitising viewer) the SVG as written already shows the finished
backward view; the script resets it to step 0 when it runs.

The steps, for a graph of ``N`` drawn values (so ``n = 2N``):

- step 0: the graph, nothing computed yet;
- steps 1..N, the forward pass: one value per step, in topological order: a leaf
  (parameter, input or constant) shows its given value, a computed value the
  arithmetic that made it (``s = w0x0 + w1x1 = -2 + 6 = 4``);
- steps N+1..2N, the reverse sweep: one value per step, in the order ``backward()``
  processes them (``reversed(topological_order(root))``). The step's value has its
  final gradient, shown as the sum of what it received (``a.grad = 1 + 3 + 3 = 7``),
  and passes ``g x local derivative`` to each input (``to w2: 0.1966 x 1 = 0.1966``);
  an input that has received only part of its gradient shows the running sum, in
  italics. A value the sweep has not reached shows ``grad -`` (never 0).

The last step shows exactly the gradients ``graph.backprop`` computes (what
``backward()`` adds); the player writes no ``.grad``.

DOM contract (public, stable; tests drive it in headless Chromium): buttons with
``data-action="first|prev|next|last|play"``; ``[data-role="step"]`` holds ``k / n``;
``[data-role="explain"]`` the explanation; every value node of the SVG is an element with
``data-label`` (its label as drawn, "" for none), ``data-value`` (the value shown, "" before
the forward pass reaches it) and ``data-grad`` (the gradient shown, "" until the sweep
reaches it; a running sum before it is final, marked ``data-grad-state="partial"``),
numbers as the drawings write them (4 significant digits). Keys: ArrowLeft, ArrowRight,
Home, End, Space (play/pause). ``page.html#step=k`` opens the page's first player at step k.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autograd_engine import ops
from autograd_engine.files import write_atomic
from autograd_engine.value import Value
from autograd_engine.viz import (
    _DEFAULT_MAX_NODES,
    CURRENT_COLOR,
    _check,
    _check_flag,
    _drawing,
    _Item,
    _num,
    _sweep,
    _text_plain,
    _View,
    _view,
    render_svg,
)

__all__ = ["Player", "player"]

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_instances = itertools.count(1)  # makes each inline (Jupyter) player's ids unique on its page


def player(
    root: Value,
    params: Iterable[Value] | None = None,
    title: str | None = None,
    collapse: bool = False,
    max_nodes: int | None = _DEFAULT_MAX_NODES,
) -> Player:
    """A ``Player`` stepping through the forward pass and the reverse sweep of ``root``.

    ``params`` are highlighted as parameters (default: every labelled leaf), as in
    ``draw_dot``; ``title`` heads the page (default: the root's label); ``collapse``
    draws each dotted-label group as one node (see ``draw_dot``). Arguments are
    checked as ``draw_dot`` checks them (same messages, owner ``player``). Lays the
    graph out with Graphviz now, so a missing ``dot`` raises ``RuntimeError`` with the
    install hint here. Writes no ``.grad``.
    """
    order, highlighted = _check(root, None, params, max_nodes, "player")
    _check_flag(collapse, "collapse", "player")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"player: title must be a str or None, got {type(title).__name__}")
    view = _view(order, highlighted, collapse)
    grads, contributions = _sweep(root, view)
    steps = _steps(view, grads, contributions)
    # Room on each card for the longest running sum it will show, not only the final value.
    widest: dict[int, str] = {}
    for step in steps:
        for k, what, text in step["set"]:
            i = view.items[k].index
            line = f"grad {text}"
            if what != "v" and len(line) > len(widest.get(i, f"grad {_num(grads[i])}")):
                widest[i] = line
    svg = render_svg(_drawing(view, grads, contributions, None, None, widest))
    if title is None:
        root_label = view.items[-1].title
        title = (
            f"Backpropagation through {_text_plain(root_label)}"
            if root_label
            else ("Backpropagation, step by step")
        )
    return Player(svg, view, grads, steps, title)


class Player:
    """A backprop player page for one graph: ``html()``, ``save(path)``, ``_repr_html_()``.

    Made by ``player(root)``; holds the rendered SVG and the steps, not the graph's
    ``.grad`` (later changes to the graph do not change the page).
    """

    def __init__(
        self,
        svg: str,
        view: _View,
        grads: dict[int, float],
        steps: list[dict[str, Any]],
        title: str,
    ) -> None:
        self._svg = svg
        self._view = view
        self._grads = grads
        self._steps = steps
        self.title = title

    @property
    def steps(self) -> int:
        """n, the number of the last step (step 0 is the start): ``k / n`` in the counter."""
        return len(self._steps) - 1

    def html(self) -> str:
        """The whole page as a string: self-contained, deterministic, no network request."""
        body = self._fragment(self._token())
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<link rel="icon" href="data:,">\n'
            f"<title>{html.escape(_text_plain(self.title))}</title>\n"
            "<style>body{margin:12px;font-family:Helvetica,Arial,sans-serif;}</style>\n"
            f"</head>\n<body>\n{body}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``html()`` to ``path`` whole or not at all (temp file, then rename)."""
        return write_atomic(path, self.html(), owner="Player.save")

    def _repr_html_(self) -> str:
        """The player inline in Jupyter; each display gets ids of its own."""
        return self._fragment(f"{self._token()}-{next(_instances)}")

    def _token(self) -> str:
        digest = hashlib.sha1(self._svg.encode("utf-8", "surrogatepass"))
        digest.update(json.dumps(self._steps).encode())
        return "agp" + digest.hexdigest()[:10]

    def _fragment(self, token: str) -> str:
        """The player's markup, its style and script scoped to the element ``#token``."""
        svg = _tag_svg(self._svg, self._view, self._grads, token + "-")
        n = self.steps
        data = {"prefix": token + "-", "nodes": _node_table(self._view), "steps": self._steps}
        # Inside <script>, "</" or "<!--" would end or confuse the element: escape < > &.
        blob = (
            json.dumps(data, ensure_ascii=True, separators=(",", ":"))
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )
        final = html.escape(self._steps[-1]["explain"])
        css = _CSS.replace("#ROOT", f"#{token}")
        title = html.escape(_text_plain(self.title))
        return (
            f'<div class="agp" id="{token}" tabindex="0">\n'
            f"<style>{css}</style>\n"
            f'<div class="agp-title">{title}</div>\n'
            '<div class="agp-controls">'
            '<button type="button" data-action="first" title="first step (Home)">'
            "&#x25C0;&#x25C0; first</button>"
            '<button type="button" data-action="prev" title="previous step (ArrowLeft)">'
            "&#x25C0; prev</button>"
            '<button type="button" data-action="play" title="play / pause (Space)" '
            'aria-pressed="false">play</button>'
            '<button type="button" data-action="next" title="next step (ArrowRight)">'
            "next &#x25B6;</button>"
            '<button type="button" data-action="last" title="last step (End)">'
            "last &#x25B6;&#x25B6;</button>"
            f'<input type="range" min="0" max="{n}" value="{n}" data-role="slider" '
            'aria-label="step">'
            f'<span class="agp-counter">step <span data-role="step">{n} / {n}</span></span>'
            "</div>\n"
            f'<div class="agp-explain" data-role="explain">{final}</div>\n'
            f'<div class="agp-legend">{_LEGEND}</div>\n'
            f'<div class="agp-svg">{svg}</div>\n'
            f'<script type="application/json" class="agp-data">{blob}</script>\n'
            f"<script>{_JS.replace('ROOT_ID', json.dumps(token))}</script>\n"
            "</div>"
        )


# -- the steps --------------------------------------------------------------------


def _name(item: _Item) -> str:
    """How an explanation names a drawn value: its label, its number, or #position."""
    if item.title:
        return _text_plain(item.title)
    if item.kind == "constant":
        return _num(item.node.data)
    return f"#{item.index}"


def _forward_text(view: _View, item: _Item) -> str:
    """``name = formula = numbers = value`` for the forward step that computes ``item``."""
    name = _name(item)
    value = _num(item.node.data)
    if item.kind == "group":
        inputs = ", ".join(_name(view.by_index[p]) for p in item.parents) or "its own leaves"
        return (
            f"forward: the group {name} computes {_text_plain(item.node.label) or 'its output'} "
            f"= {value} from {inputs} ({len(item.members)} nodes inside)"
        )
    parents = [view.by_index[p] for p in item.parents]
    names = [_name(p) for p in parents]
    numbers = [_num(p.node.data) for p in parents]
    op = item.node.op
    symbol = _text_plain(op.symbol)
    if op is ops.DOT and len(parents) <= 8:
        half = len(parents) // 2
        formula = " + ".join(f"{names[k]}*{names[k + half]}" for k in range(half))
        numeric = " + ".join(f"{numbers[k]}*{numbers[k + half]}" for k in range(half))
    elif op is ops.DOT:
        formula = f"sum of {len(parents) // 2} products of weights and inputs"
        numeric = ""
    elif len(parents) == 2 and symbol in ("+", "*", "/", "**", "-"):
        formula = f" {symbol} ".join(names)
        numeric = f" {symbol} ".join(numbers)
    else:
        formula = f"{symbol}({', '.join(names)})"
        numeric = f"{symbol}({', '.join(numbers)})"
    parts = [name, formula] + ([numeric] if numeric and numeric != formula else []) + [value]
    return "forward: " + " = ".join(parts)


def _given_text(item: _Item) -> str:
    """The forward step of a leaf: its value is given, not computed."""
    what = {"param": "a parameter", "input": "an input", "constant": "a constant"}[item.kind]
    if item.kind == "constant":
        return f"forward: {_name(item)} is {what}"
    return f"forward: {_name(item)} = {_num(item.node.data)}, {what} (a leaf: given, not computed)"


def _steps(
    view: _View, grads: dict[int, float], contributions: dict[int, list[float]]
) -> list[dict[str, Any]]:
    """The steps as JSON-ready dicts: which node, what changes, what to say.

    Each step has ``node`` (position in ``view.items``, -1 for none), ``phase``,
    ``set`` (``[item, "v"|"g"|"p", text]``: value, final gradient, partial sum; a gradient
    is final once every arrow into its value has delivered),
    ``edges`` (ids to highlight), ``reveal`` (ids of edges whose label now shows) and
    ``explain`` (plain text).
    """
    items = view.items
    slot = {item.index: k for k, item in enumerate(items)}
    computed = [item for item in items if item.parents]
    root = items[-1]
    steps: list[dict[str, Any]] = [
        {
            "node": -1,
            "phase": "start",
            "set": [],
            "edges": [],
            "reveal": [],
            "explain": (
                f"start: {len(items)} values, {len(computed)} of them computed. The forward "
                "pass visits them one per step in topological order (each after its inputs); "
                f"then the backward sweep sends d {_name(root)} / d value back along every "
                "arrow, one value per step."
            ),
        }
    ]
    for item in items:
        i = item.index
        steps.append(
            {
                "node": slot[i],
                "phase": "forward",
                "set": [[slot[i], "v", _num(item.node.data)]],
                "edges": _edges_of(item),
                "reveal": [],
                "explain": (
                    _given_text(item)
                    if not item.parents and item.kind != "group"
                    else _forward_text(view, item)
                ),
            }
        )
    # The arrows that bring each value its gradient (from each consumer, one per input slot).
    delivered: dict[int, list[str]] = {}
    for item in items:
        for j, p in enumerate(item.parents):
            delivered.setdefault(p, []).append(f"e{item.index}_{j}")
    received: dict[int, list[tuple[float, str]]] = {}
    running: dict[int, float] = {}
    for n_done, item in enumerate(reversed(items), start=1):
        i = item.index
        name = _name(item)
        changes = [[slot[i], "g", _num(grads[i])]]
        lines = []
        if item is root:
            lines.append(f"backward: {name}.grad = 1 (d {name} / d {name}: the sweep starts here)")
        else:
            terms = received.get(i, [])
            sources = ", ".join(source for _, source in terms)
            if len(terms) > 1:
                total = " + ".join(_num(t) for t, _ in terms)
                lines.append(f"backward: {name}.grad = {total} = {_num(grads[i])}")
                lines.append(f"received from: {sources} (one term per arrow, summed)")
            else:
                lines.append(f"backward: {name}.grad = {_num(grads[i])} received from {sources}")
        reveal = []
        if item.parents:
            node = item.node
            if item.kind == "group":
                local = None
            else:
                local = node.op.vjp(1.0, node.data, *[p.data for p in node.parents])
            if local is None:
                lines.append(f"passes to each input the sum over the paths inside {name}:")
            sends = []
            for j, p in enumerate(item.parents):
                term = contributions[i][j]
                target = view.by_index[p]
                what = _name(target)
                if target.kind == "constant":
                    what = f"the constant {what}"
                if local is None:
                    sends.append(f"to {what}: {_num(term)}")
                else:
                    sends.append(f"to {what}: {_num(grads[i])} x {_num(local[j])} = {_num(term)}")
                running[p] = term if p not in running else running[p] + term
                received.setdefault(p, []).append((term, name))
                # Once every arrow into p has delivered, its gradient is final (the sum is
                # backward()'s own); until then it is a running sum.
                if len(received[p]) == len(delivered[p]):
                    changes.append([slot[p], "g", _num(grads[p])])
                else:
                    changes.append([slot[p], "p", _num(running[p])])
                if target.kind != "constant":
                    reveal.append(f"e{i}_{j}")
            # A wide fan-in (a neuron of a wide layer) reads better four to a line.
            per_line = 1 if len(sends) <= 6 else 4
            for k in range(0, len(sends), per_line):
                lines.append(";  ".join(sends[k : k + per_line]))
        elif item.kind == "group":
            lines.append(f"{name} has no inputs outside it: nothing to pass on.")
        elif item.kind != "constant":
            lines.append(f"{name} is a leaf: d {_name(root)} / d {name} = {_num(grads[i])}.")
        else:
            lines.append(f"{name} is a constant: nothing to pass on.")
        if n_done == len(items):
            lines.append(
                f"done: every value shows d {_name(root)} / d value, as backward() computes it."
            )
        steps.append(
            {
                "node": slot[i],
                "phase": "backward",
                "set": changes,
                "edges": delivered.get(i, []) + _edges_of(item),
                "reveal": reveal,
                "explain": "\n".join(lines),
            }
        )
    return steps


def _edges_of(item: _Item) -> list[str]:
    i = item.index
    own = [] if item.kind == "group" or not item.parents else [f"e{i}"]
    return own + [f"e{i}_{j}" for j in range(len(item.parents))]


def _node_table(view: _View) -> list[dict[str, Any]]:
    """Per drawn value: its id and whether its card has ``data``/``grad`` lines."""
    return [{"id": f"n{item.index}", "card": item.kind != "constant"} for item in view.items]


# -- the SVG ----------------------------------------------------------------------


def _tag_svg(svg: str, view: _View, grads: dict[int, float], prefix: str) -> str:
    """Graphviz's SVG with the DOM contract's data attributes and ids prefixed for the page."""
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", _XLINK)
    root = ET.fromstring(svg)
    for element in root.iter():
        if "id" in element.attrib:
            element.set("id", prefix + element.attrib["id"])
    for g in root.iter(f"{{{_SVG}}}g"):
        node_id = g.get("id", "")[len(prefix) :]
        if g.get("class") != "node" or not node_id.startswith("n"):
            continue
        item = view.by_index[int(node_id[1:])]
        texts = g.findall(f".//{{{_SVG}}}text")
        g.set("data-label", _text_plain(item.title) if item.kind == "group" else _label(item))
        g.set("data-kind", item.kind)
        g.set("data-value", _num(item.node.data))
        g.set("data-grad", _num(grads[item.index]))
        g.set("data-grad-state", "final")
        if item.kind == "constant":
            texts[-1].set("data-field", "value")
        else:
            texts[-2].set("data-field", "value")
            texts[-1].set("data-field", "grad")
    root.set("class", "agp-graph")
    return ET.tostring(root, encoding="unicode")


def _label(item: _Item) -> str:
    return _text_plain(item.node.label)


# -- page assets ------------------------------------------------------------------

_LEGEND = (
    f'<span class="agp-key" style="background:{CURRENT_COLOR}">current step</span>'
    '<span class="agp-key"><i style="color:#b45309">grad 3</i>: running sum, not final</span>'
    '<span class="agp-key">grad -: not reached yet</span>'
)

_CSS = f"""
#ROOT{{font-family:Helvetica,Arial,sans-serif;font-size:14px;outline:none;color:#222;}}
#ROOT .agp-title{{font-weight:bold;margin:4px 0;}}
#ROOT .agp-controls{{display:flex;align-items:center;gap:6px;flex-wrap:wrap;margin:4px 0;}}
#ROOT button{{font-size:14px;min-width:38px;padding:3px 8px;cursor:pointer;}}
#ROOT input[type=range]{{flex:1 1 200px;max-width:420px;}}
#ROOT .agp-counter{{font-variant-numeric:tabular-nums;white-space:nowrap;}}
#ROOT .agp-explain{{white-space:pre-line;background:#f7f7f7;border-left:4px solid {CURRENT_COLOR};
  padding:6px 10px;margin:6px 0;min-height:3.6em;font-family:Menlo,Consolas,monospace;
  font-size:13px;}}
#ROOT .agp-legend{{font-size:12px;margin:4px 0;display:flex;gap:8px;flex-wrap:wrap;}}
#ROOT .agp-key{{padding:1px 6px;border:1px solid #ccc;border-radius:3px;}}
#ROOT .agp-svg{{overflow:auto;max-width:100%;}}
#ROOT .agp-svg svg{{display:block;}}
#ROOT g.node.agp-pending{{opacity:0.45;}}
#ROOT g.node.agp-current polygon:first-of-type,#ROOT g.node.agp-current path:first-of-type,
#ROOT g.node.agp-current ellipse{{fill:{CURRENT_COLOR};}}
#ROOT g.edge.agp-current path{{stroke:#d9480f;stroke-width:2.2px;}}
#ROOT g.edge.agp-current polygon{{fill:#d9480f;stroke:#d9480f;}}
#ROOT g.edge.agp-current text{{fill:#d9480f;font-weight:bold;}}
#ROOT g.edge text.agp-hidden{{visibility:hidden;}}
#ROOT .agp-forward g.edge polygon{{visibility:hidden;}}
#ROOT text.agp-partial{{fill:#b45309;font-style:italic;}}
"""

_JS = r"""
(function () {
  "use strict";
  var root = document.getElementById(ROOT_ID);
  if (!root || root.getAttribute("data-ready") === "1") return;
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(root.querySelector("script.agp-data").textContent);
  var steps = data.steps, n = steps.length - 1, prefix = data.prefix;
  var svg = root.querySelector("svg");
  var byId = {};
  var all = svg.querySelectorAll("[id]");
  for (var a = 0; a < all.length; a++) {
    var id = all[a].getAttribute("id");
    if (id.indexOf(prefix) === 0) byId[id.slice(prefix.length)] = all[a];
  }
  var nodes = data.nodes.map(function (d) {
    var g = byId[d.id];
    return {
      g: g, card: d.card, op: byId["op" + d.id.slice(1)] || null,
      value: g.querySelector('[data-field="value"]'),
      grad: g.querySelector('[data-field="grad"]')
    };
  });
  var edges = [];
  svg.querySelectorAll("g.edge").forEach(function (g) {
    edges.push({ g: g, id: g.getAttribute("id").slice(prefix.length),
                 labels: g.querySelectorAll("text") });
  });
  var counter = root.querySelector('[data-role="step"]');
  var explain = root.querySelector('[data-role="explain"]');
  var slider = root.querySelector('[data-role="slider"]');
  var playButton = root.querySelector('[data-action="play"]');
  var current = 0, timer = null;

  function show(k) {
    k = Math.max(0, Math.min(n, k));
    current = k;
    var values = [], grads = [], states = [], revealed = {}, i, s;
    for (i = 0; i < nodes.length; i++) { values.push(""); grads.push(""); states.push(""); }
    for (s = 0; s <= k; s++) {
      var step = steps[s];
      for (i = 0; i < step.set.length; i++) {
        var c = step.set[i];
        if (c[1] === "v") { values[c[0]] = c[2]; }
        else if (c[1] === "g") { grads[c[0]] = c[2]; states[c[0]] = "final"; }
        else if (states[c[0]] !== "final") { grads[c[0]] = c[2]; states[c[0]] = "partial"; }
      }
      for (i = 0; i < step.reveal.length; i++) revealed[step.reveal[i]] = true;
    }
    var here = steps[k], lit = {};
    for (i = 0; i < here.edges.length; i++) lit[here.edges[i]] = true;
    for (i = 0; i < nodes.length; i++) {
      var node = nodes[i], isCurrent = here.node === i;
      node.g.setAttribute("data-value", values[i]);
      node.g.setAttribute("data-grad", grads[i]);
      node.g.setAttribute("data-grad-state", states[i] || "none");
      if (node.value) {
        node.value.textContent = node.card ? "data " + (values[i] || "-") : (values[i] || "-");
      }
      if (node.grad) {
        node.grad.textContent = "grad " + (grads[i] || "-");
        node.grad.classList.toggle("agp-partial", states[i] === "partial");
      }
      node.g.classList.toggle("agp-pending", values[i] === "");
      node.g.classList.toggle("agp-current", isCurrent);
      if (node.op) node.op.classList.toggle("agp-current", isCurrent);
    }
    edges.forEach(function (e) {
      e.g.classList.toggle("agp-current", lit[e.id] === true);
      for (var t = 0; t < e.labels.length; t++) {
        e.labels[t].classList.toggle("agp-hidden", revealed[e.id] !== true);
      }
    });
    svg.classList.toggle("agp-forward", here.phase !== "backward");
    counter.textContent = k + " / " + n;
    explain.textContent = here.explain;
    slider.value = String(k);
    if (k === n) pause();
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.setAttribute("aria-pressed", "false");
    playButton.textContent = "play";
  }
  function play() {
    if (timer !== null) { pause(); return; }
    if (current === n) show(0);
    playButton.setAttribute("aria-pressed", "true");
    playButton.textContent = "pause";
    timer = setInterval(function () { show(current + 1); }, 800);
  }
  var actions = {
    first: function () { pause(); show(0); },
    prev: function () { pause(); show(current - 1); },
    next: function () { pause(); show(current + 1); },
    last: function () { pause(); show(n); },
    play: play
  };
  root.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-action")](); });
  });
  slider.addEventListener("input", function () { pause(); show(parseInt(slider.value, 10)); });
  var keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "last", " ": "play" };
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    var mine = root.contains(t);
    var first = document.querySelector(".agp") === root;
    var free = t === document.body || t === document.documentElement || t === null;
    if (!(mine || (free && first))) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var action = keys[event.key];
    if (!action) return;
    if (t === slider && action !== "play") return;  // the slider moves itself
    if (t && t.tagName === "BUTTON" && event.key === " ") return;  // a button clicks itself
    event.preventDefault();
    actions[action]();
  });
  // A link can open the page's first player at a step: page.html#step=12; a link to
  // another step on the same page (a changed #step=k) moves it there.
  function wantedStep() {
    var wanted = /(?:^#|&)step=(\d+)/.exec(window.location.hash || "");
    return wanted && document.querySelector(".agp") === root ? parseInt(wanted[1], 10) : null;
  }
  var opened = wantedStep();
  show(opened === null ? 0 : opened);
  window.addEventListener("hashchange", function () {
    var k = wantedStep();
    if (k !== null) { pause(); show(k); }
  });
})();
"""
