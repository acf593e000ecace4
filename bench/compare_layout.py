"""Graphviz's ``dot`` against ``graphviz-pure``, run on demand: python bench/compare_layout.py

Renders every kind of drawing the tests make (the worked sigmoid example's forward and
backward views and a backward step, an MLP 2-2-1's MSE loss, constants, unlabelled
nodes, record-syntax labels, and a hand-written graph with clusters, record ports,
edge labels and ``id=`` attributes) with both programs, ``-Kdot -Tsvg``, and compares
what a reader or a test sees: the nodes (title, ``id``, texts, fill colour), the edges
(title, ``id``, texts) and the clusters. Prints one row per drawing: the counts, the
width and height of each layout in points, whether the structures are identical, and
whether the nodes fall into the same ranks in the same order (coordinates aside).
Exits with status 1 if any structure differs, 2 if either program is missing.

``tests/test_layout.py`` imports ``drawings`` and ``structure`` from here, so the test
and this table cover the same drawings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd_engine import Value, backward_steps, draw_dot  # noqa: E402
from autograd_engine.examples import sigmoid_neuron  # noqa: E402
from autograd_engine.pictures.layout import graphviz_pure_path  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"

# Clusters, record ports, an edge label, explicit ids and an HTML-escaped label: features
# our drawings may grow into (neuron groups, the player's ids) that draw_dot does not use yet.
HAND_WRITTEN = r"""digraph clusters {
  rankdir=LR; node [fontname=Helvetica fontsize=11]; edge [fontname=Helvetica fontsize=10];
  subgraph cluster_L0 { label="L0"; style=filled; fillcolor="#f4f4f4";
    w0 [id="value-w0" shape=record label="{ L0.n0.w0 | data 0.5 | grad -1 }"];
    b [id="value-b" shape=record label="{ <l> L0.n0.b | <d> data 0 | <g> grad 1 }"];
    mul [id="op-mul" shape=circle label="*"];
  }
  subgraph cluster_out { label="out & loss";
    out [id="value-out" shape=record label="{ out | data 1.5 | grad 1 }"];
  }
  x [label="3" shape=plaintext];
  w0 -> mul [id="edge-w0-mul" label="-1"];
  x -> mul [label="0.5"];
  mul -> out [id="edge-mul-out"];
  b:g -> out [label="1 <&> 2"];
}
"""


def drawings() -> dict[str, str]:
    """name -> DOT source of every kind of drawing the tests make, plus a hand-written one."""
    import nn
    from nn.losses import mse_loss

    f, _ = sigmoid_neuron()
    f.backward()
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    xs, ys = [[1.0, -2.0], [0.5, 3.0]], [1.0, -1.0]
    loss = mse_loss([model(x) for x in xs], ys)
    loss.backward()
    c = Value(1.5, label="c")
    constants = ((c * 2 + 1) ** 2 / 3).exp()  # unlabelled constants and intermediates
    a, b = Value(0.5), Value(-2.0)  # unlabelled leaves draw as bare numbers
    unlabelled = (a * b + a).tanh()
    tricky = Value(2.0, label='a|b {c} <d> "e"') * 2
    return {
        "sigmoid forward": draw_dot(f).source,
        "sigmoid backward": draw_dot(f, backward=True).source,
        "sigmoid backward TB": draw_dot(f, backward=True, rankdir="TB").source,
        "sigmoid step 4": list(backward_steps(f))[4].source,
        "MLP 2-2-1 loss fwd": draw_dot(loss, params=model.parameters()).source,
        "MLP 2-2-1 loss bwd": draw_dot(loss, backward=True, params=model.parameters()).source,
        "constants": draw_dot(constants, backward=True).source,
        "unlabelled": draw_dot(unlabelled, backward=True).source,
        "record syntax": draw_dot(tricky, backward=True).source,
        "clusters, ids": HAND_WRITTEN,
    }


def render(program: str, source: str) -> str:
    """SVG text of ``source`` laid out by ``program`` (a full path) with -Kdot -Tsvg."""
    run = subprocess.run(
        [program, "-Kdot", "-Tsvg"], input=source.encode(), capture_output=True, check=True
    )
    return run.stdout.decode("utf-8")


def structure(svg: str) -> dict[str, list[tuple]]:
    """What a reader sees, layout aside: sorted nodes, edges and clusters of a Graphviz SVG.

    A node is (title, id, texts, fill of its first shape); an edge (title, id, texts);
    a cluster (title, texts). Texts are whitespace-normalised.
    """
    root = ET.fromstring(svg)
    found: dict[str, list[tuple]] = {"node": [], "edge": [], "cluster": []}
    for g in root.iter(SVG + "g"):
        kind = g.get("class")
        if kind not in found:
            continue
        title = g.findtext(SVG + "title")
        texts = tuple(" ".join((t.text or "").split()) for t in g.iter(SVG + "text"))
        if kind == "node":
            shape = next((e for e in g if e.tag in (SVG + "polygon", SVG + "ellipse")), None)
            fill = None if shape is None else shape.get("fill")
            found[kind].append((title, g.get("id"), texts, fill))
        elif kind == "edge":
            found[kind].append((title, g.get("id"), texts))
        else:
            found[kind].append((title, texts))
    return {kind: sorted(items, key=repr) for kind, items in found.items()}


def placement(svg: str, rank_axis: int) -> list[list[str]]:
    """Node titles rank by rank, each rank in drawing order: the layout without coordinates.

    A node's place is the centre of its shape's bounding box; nodes whose centres share
    the coordinate along ``rank_axis`` (0: x for LR, 1: y for TB) form a rank.
    """
    root = ET.fromstring(svg)
    centres = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "node":
            continue
        points = []
        for e in g.iter():
            if e.tag == SVG + "ellipse":
                points.append((float(e.get("cx")), float(e.get("cy"))))
            elif e.tag == SVG + "polygon":
                points += [tuple(map(float, p.split(","))) for p in e.get("points").split()]
            elif e.tag == SVG + "text":  # plaintext nodes have only their text
                points.append((float(e.get("x")), float(e.get("y"))))
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        centres[g.findtext(SVG + "title")] = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    ranks: dict[int, list[str]] = {}
    for title, centre in sorted(centres.items(), key=lambda item: item[1][1 - rank_axis]):
        ranks.setdefault(round(centre[rank_axis]), []).append(title)
    return [ranks[key] for key in sorted(ranks)]


def size(svg: str) -> tuple[float, float]:
    """Width and height of the layout in points."""
    root = ET.fromstring(svg)
    return tuple(float(root.get(k).removesuffix("pt")) for k in ("width", "height"))


def main() -> int:
    """Print the comparison table; 0 if every structure matches."""
    dot, pure = shutil.which("dot"), graphviz_pure_path()
    if dot is None or pure is None:
        print(f"needs both programs: dot={dot}, graphviz-pure={pure}", file=sys.stderr)
        return 2
    for program in (dot, pure):
        print(subprocess.run([program, "-V"], capture_output=True, text=True).stderr.strip())
    header = (
        f"{'drawing':<20} {'nodes':>5} {'edges':>5} {'clust':>5}  "
        f"{'dot w x h (pt)':>15}  {'pure w x h (pt)':>15}  {'width':>6}  structure  ranks"
    )
    print(header)
    print("-" * len(header))
    all_same = True
    for name, source in drawings().items():
        a, b = render(dot, source), render(pure, source)
        sa, sb = structure(a), structure(b)
        same = sa == sb
        all_same &= same
        (wa, ha), (wb, hb) = size(a), size(b)
        axis = 1 if re.search(r"rankdir=\"?(TB|BT)", source) else 0
        ranks = "same" if placement(a, axis) == placement(b, axis) else "differ"
        print(
            f"{name:<20} {len(sa['node']):>5} {len(sa['edge']):>5} {len(sa['cluster']):>5}  "
            f"{wa:>7.0f} x {ha:<5.0f}  {wb:>7.0f} x {hb:<5.0f}  {wb / wa:>6.1%}  "
            f"{'same' if same else 'DIFFERS':<9}  {ranks}"
        )
        if not same:
            for kind in sa:
                only_a = set(sa[kind]) - set(sb[kind])
                only_b = set(sb[kind]) - set(sa[kind])
                for item in sorted(only_a, key=repr):
                    print(f"    {kind} only with dot:           {item}")
                for item in sorted(only_b, key=repr):
                    print(f"    {kind} only with graphviz-pure: {item}")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
