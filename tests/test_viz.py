"""Graph drawings: rendered SVG content, reversed backward edges, determinism, missing `dot`.

The worked example is f = sigmoid(w0*x0 + w1*x1 + w2) at w = (2, -3, -3), x = (-1, -2).
By hand: w0x0 = -2, w1x1 = 6, s = 4, z = 1, f = sigmoid(1) = 0.7311 and
sigma'(1) = f(1 - f) = 0.1966, so every add node and z, s, w0x0, w1x1, w2 have gradient
0.1966; dw0 = x0 * 0.1966 = -0.1966, dx0 = w0 * 0.1966 = 0.3932,
dw1 = x1 * 0.1966 = -0.3932, dx1 = w1 * 0.1966 = -0.5898. The strings below are those
numbers to 4 significant digits, typed from this derivation.
"""

from __future__ import annotations

import html
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from worked_example import HAND

from autograd_engine import Value, backward_steps, draw_dot, save_svg, topological_order
from autograd_engine.core.value import apply_op
from autograd_engine.examples import sigmoid_neuron
from autograd_engine.pictures.viz import CURRENT_COLOR, PARAM_COLOR, _num, render_svg
from nn.module import ACTIVATIONS

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` binary is not installed"
)

SVG = "{http://www.w3.org/2000/svg}"

# Each node's inputs, in argument order, read off the formula.
INPUTS = {
    "w0x0": ("w0", "x0"),
    "w1x1": ("w1", "x1"),
    "s": ("w0x0", "w1x1"),
    "z": ("s", "w2"),
    "f": ("z",),
}
# Backward edge op(out) -> input: upstream gradient times the local derivative, by hand.
CARRIED = {
    ("f", "z"): "0.1966",  # 1 * f(1 - f)
    ("z", "s"): "0.1966",
    ("z", "w2"): "0.1966",
    ("s", "w0x0"): "0.1966",
    ("s", "w1x1"): "0.1966",
    ("w0x0", "w0"): "-0.1966",  # 0.1966 * x0
    ("w0x0", "x0"): "0.3932",  # 0.1966 * w0
    ("w1x1", "w1"): "-0.3932",  # 0.1966 * x1
    ("w1x1", "x1"): "-0.5898",  # 0.1966 * w1
}


def parse_svg(svg: str) -> tuple[dict[str, dict], list[tuple[str, str, list[str]]]]:
    """Nodes {id: {"texts", "fill"}} and edges [(tail, head, texts)] of a Graphviz SVG."""
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    nodes, edges = {}, []
    for g in root.iter(SVG + "g"):
        kind = g.get("class")
        if kind not in ("node", "edge"):
            continue
        title = g.find(SVG + "title").text
        texts = [(t.text or "").strip() for t in g.findall(SVG + "text")]
        if kind == "node":
            shape = g.find(SVG + "polygon")
            if shape is None:
                shape = g.find(SVG + "ellipse")
            nodes[title] = {"texts": texts, "fill": None if shape is None else shape.get("fill")}
        else:
            tail, head = title.split("->")
            edges.append((tail, head, texts))
    return nodes, edges


def card(source: str, node_id: str) -> str:
    """The card of value ``node_id`` in DOT source, as "label | data X | grad Y"."""
    line = next(x for x in source.splitlines() if x.startswith(f"\t{node_id} [label=<"))
    texts = re.findall(r"<td[^>]*>(?:<b>)?(.*?)(?:</b>)?</td>", line)
    return " | ".join(html.unescape(t) for t in texts)


def card_of(source: str, label: str) -> str:
    """The card whose label is ``label`` (see ``card``)."""
    for line in source.splitlines():
        match = re.match(r"\t(n\d+) \[label=<", line)
        if match and f"<b>{label}</b>" in line:
            return card(source, match.group(1))
    raise AssertionError(f"no card labelled {label!r}")


def ids_by_label(nodes: dict[str, dict]) -> dict[str, str]:
    """Map each record's label (its first text) to its node id."""
    return {
        n["texts"][0]: i for i, n in nodes.items() if i.startswith("n") and len(n["texts"]) == 3
    }


def op_of(node_id: str) -> str:
    """The id of the operation node that produced value ``n<k>``."""
    return "op" + node_id[1:]


@needs_dot
def test_forward_svg_shows_label_data_and_grad_of_every_node():
    """After backward(), each record of the forward SVG reads label | data | grad, as by hand."""
    f, _ = sigmoid_neuron()
    f.backward()
    nodes, _ = parse_svg(render_svg(draw_dot(f)))
    ids = ids_by_label(nodes)
    assert set(ids) == set(HAND)
    for label, (data, grad) in HAND.items():
        assert nodes[ids[label]]["texts"] == [label, f"data {data}", f"grad {grad}"]
    ops = sorted(n["texts"][0] for i, n in nodes.items() if i.startswith("op"))
    assert ops == sorted(["*", "*", "+", "+", "sigmoid"])


@needs_dot
def test_forward_edges_are_one_per_parent_link_plus_one_per_op():
    """The forward SVG has 9 input edges (one per parent link) and 5 op -> output edges."""
    f, _ = sigmoid_neuron()
    nodes, edges = parse_svg(render_svg(draw_dot(f)))
    ids = ids_by_label(nodes)
    label_of = {i: label for label, i in ids.items()}
    assert len(edges) == 9 + 5
    assert all(texts == [] for _, _, texts in edges)  # forward edges carry no label
    for out, inputs in INPUTS.items():
        op = op_of(ids[out])
        assert sorted(label_of[t] for t, h, _ in edges if h == op) == sorted(inputs)
        assert [h for t, h, _ in edges if t == op] == [ids[out]]


@needs_dot
def test_forward_view_shows_current_grad_which_is_zero_before_backward():
    """Before any backward() the forward view shows grad 0 on every record."""
    f, _ = sigmoid_neuron()
    nodes, _ = parse_svg(render_svg(draw_dot(f)))
    for node_id, node in nodes.items():
        if node_id.startswith("n"):
            assert node["texts"][2] == "grad 0"


@needs_dot
def test_backward_edges_are_reversed_and_carry_hand_computed_gradients():
    """Backward edges are the forward edges reversed, labelled g into an op and g*local out."""
    f, _ = sigmoid_neuron()
    _, forward_edges = parse_svg(render_svg(draw_dot(f)))
    nodes, edges = parse_svg(render_svg(draw_dot(f, backward=True)))
    ids = ids_by_label(nodes)
    assert sorted((h, t) for t, h, _ in forward_edges) == sorted((t, h) for t, h, _ in edges)
    labels = {(t, h): texts for t, h, texts in edges}
    for out in INPUTS:
        # value -> its op would only repeat the value's own gradient, shown on its card.
        assert labels[(ids[out], op_of(ids[out]))] == []
    for (out, inp), carried in CARRIED.items():
        assert labels[(op_of(ids[out]), ids[inp])] == [carried]
    for label, (data, grad) in HAND.items():
        assert nodes[ids[label]]["texts"] == [label, f"data {data}", f"grad {grad}"]


def test_backward_view_is_pure_and_ignores_stale_grad():
    """The backward view shows d f / d node even if .grad holds junk, and writes no .grad."""
    f, named = sigmoid_neuron()
    for node in topological_order(f):
        node.grad = 5.0
    source = draw_dot(f, backward=True).source
    assert all(node.grad == 5.0 for node in topological_order(f))
    assert card_of(source, "w1") == "w1 | data -3 | grad -0.3932"
    assert card_of(source, "f") == "f | data 0.7311 | grad 1"
    assert "grad 5" not in source
    # The forward view shows .grad.
    assert card_of(draw_dot(f).source, "w1") == "w1 | data -3 | grad 5"


@needs_dot
def test_a_value_used_twice_gets_two_edges_and_their_sum():
    """For y = x*x at x = 3 each of the two edges carries 3 and x's gradient is 2x = 6."""
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    nodes, edges = parse_svg(render_svg(draw_dot(y, backward=True)))
    ids = ids_by_label(nodes)
    into_x = [texts for t, h, texts in edges if h == ids["x"]]
    assert into_x == [["3"], ["3"]]
    assert nodes[ids["x"]]["texts"] == ["x", "data 3", "grad 6"]
    _, forward_edges = parse_svg(render_svg(draw_dot(y)))
    assert [t for t, h, _ in forward_edges if h == op_of(ids["y"])] == [ids["x"], ids["x"]]


@needs_dot
def test_constants_show_only_their_number():
    """Unlabelled leaves made from numbers are drawn as the bare number, not a record."""
    x = Value(4.0, label="x")
    y = x * 2 + 1
    nodes, edges = parse_svg(render_svg(draw_dot(y, backward=True)))
    texts = sorted(n["texts"] for n in nodes.values())
    assert ["1"] in texts and ["2"] in texts
    ids = ids_by_label(nodes)
    assert nodes[ids["x"]]["texts"] == ["x", "data 4", "grad 2"]  # d(2x+1)/dx = 2
    constant_2 = next(i for i, n in nodes.items() if n["texts"] == ["2"])
    # d(x*2)/d2 = 4 is of no use to anyone: edges into constants carry no label.
    assert [texts for t, h, texts in edges if h == constant_2] == [[]]
    assert [texts for t, h, texts in edges if h == ids["x"]] == [["2"]]


@needs_dot
def test_parameters_are_highlighted_by_default_labelled_leaves_or_params():
    """Labelled leaves are filled by default; params= highlights exactly the given nodes."""
    f, named = sigmoid_neuron()
    nodes, _ = parse_svg(render_svg(draw_dot(f, backward=True)))
    ids = ids_by_label(nodes)
    filled = {label for label, i in ids.items() if nodes[i]["fill"] == PARAM_COLOR}
    assert filled == {"w0", "w1", "w2", "x0", "x1"}
    weights = [named["w0"], named["w1"], named["w2"]]
    nodes, _ = parse_svg(render_svg(draw_dot(f, backward=True, params=weights)))
    filled = {label for label, i in ids.items() if nodes[i]["fill"] == PARAM_COLOR}
    assert filled == {"w0", "w1", "w2"}


def test_node_ids_are_positions_in_topological_order():
    """Record n<k> describes the k-th node of topological_order and op<k> its operation."""
    f, _ = sigmoid_neuron()
    source = draw_dot(f).source
    for k, node in enumerate(topological_order(f)):
        assert card(source, f"n{k}") == f"{node.label} | data {_num(node.data)} | grad 0"
        assert (f"\top{k} [label=" in source) == bool(node.parents)


def test_dot_source_is_byte_identical_across_builds_and_processes():
    """The same graph gives the same DOT bytes twice in-process and in fresh processes."""
    script = textwrap.dedent(
        """
        import sys
        from autograd_engine import draw_dot
        from autograd_engine.examples import sigmoid_neuron
        f, _ = sigmoid_neuron()
        f.backward()
        sys.stdout.write(draw_dot(f).source + "=====" + draw_dot(f, backward=True).source)
        """
    )
    f, _ = sigmoid_neuron()
    f.backward()
    here = draw_dot(f).source + "=====" + draw_dot(f, backward=True).source
    f2, _ = sigmoid_neuron()
    f2.backward()
    assert draw_dot(f2).source + "=====" + draw_dot(f2, backward=True).source == here
    for seed in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, env=env, check=True
        )
        assert run.stdout == here.encode()


def test_max_nodes_guard_names_the_count_and_the_argument():
    """A graph with more values than max_nodes raises a ValueError saying both numbers."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(30):
        y = y + 1  # each step adds a constant and a sum: 61 values in all
    with pytest.raises(ValueError, match=r"61 values, more than max_nodes=50"):
        draw_dot(y, max_nodes=50)
    with pytest.raises(ValueError, match="max_nodes=50"):
        backward_steps(y, max_nodes=50)
    assert draw_dot(y, max_nodes=61).source.count("->") == 30 * 3


def test_deep_chain_builds_without_recursion():
    """A 5,000-deep chain (five times the recursion limit) builds its DOT source."""
    x = Value(0.5, label="x")
    y = x
    for _ in range(5_000):
        y = y + 1
    source = draw_dot(y, backward=True, max_nodes=None).source
    assert source.count("->") == 5_000 * 3
    assert card_of(source, "x") == "x | data 0.5 | grad 1"  # d(x + 5000)/dx = 1


def test_bad_arguments_raise_clear_errors():
    """Wrong root, rankdir, params or max_nodes raise errors naming the argument and value."""
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match="draw_dot: root must be a Value, got float 1.0"):
        draw_dot(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of .* or None, got 'XY'"):
        draw_dot(x, rankdir="XY")
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value, got str 'w'"):
        draw_dot(x, params=[x, "w"])
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None, got 0"):
        draw_dot(x, max_nodes=0)
    with pytest.raises(TypeError, match="backward_steps: root must be a Value"):
        backward_steps([x])
    with pytest.raises(TypeError, match="render_svg: dot must be a graphviz.Digraph"):
        render_svg("digraph {}")


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_rankdir_is_passed_on_and_cards_read_top_to_bottom(rankdir):
    """rankdir becomes the graph attribute; a card reads label, data, grad from the top."""
    x = Value(1.0, label="x")
    dot = draw_dot(x.exp(), rankdir=rankdir)
    assert f"rankdir={rankdir}" in dot.source
    root = ET.fromstring(render_svg(dot))
    for g in root.iter(SVG + "g"):
        texts = g.findall(SVG + "text")
        if g.get("class") == "node" and len(texts) == 3:
            # an unlabelled value shows its position; e^1 = 2.718
            cards = {"n0": ["x", "data 1", "grad 0"], "n1": ["#1", "data 2.718", "grad 0"]}
            assert [t.text for t in texts] == cards[g.get("id")]
            ys = [float(t.get("y")) for t in texts]
            assert ys == sorted(ys) and len(set(ys)) == 3


@needs_dot
def test_labels_with_record_syntax_render_literally():
    """A label with { } | < > quote and backslash is shown as written, as one field."""
    label = 'a{b}|<c>"d\\e'
    x = Value(1.0, label=label)
    nodes, _ = parse_svg(render_svg(draw_dot(x * 2)))
    records = [n["texts"] for n in nodes.values() if len(n["texts"]) == 3]
    assert [label, "data 1", "grad 0"] in records


@needs_dot
def test_backward_steps_reveal_one_gradient_per_step_without_writing_grad():
    """Step k highlights the k-th node of the reverse sweep; only nodes swept so far show grads."""
    f, _ = sigmoid_neuron()
    order = topological_order(f)
    for node in order:
        node.grad = 7.0
    steps = list(backward_steps(f))
    assert all(node.grad == 7.0 for node in order)
    assert len(steps) == len(order) == 10
    swept = list(reversed([node.label for node in order]))
    for k, step in enumerate(steps):
        nodes, edges = parse_svg(render_svg(step))
        ids = ids_by_label(nodes)
        current = [label for label, i in ids.items() if nodes[i]["fill"] == CURRENT_COLOR]
        assert current == [swept[k]]
        for label, (data, grad) in HAND.items():
            shown = f"grad {grad}" if label in swept[: k + 1] else "grad -"
            assert nodes[ids[label]]["texts"] == [label, f"data {data}", shown]
        for (out, inp), carried in CARRIED.items():
            expected = [carried] if out in swept[: k + 1] else []
            assert [texts for t, h, texts in edges if (t, h) == (op_of(ids[out]), ids[inp])] == [
                expected
            ]
    # Step 0 is the root alone: grad 1 on its card, 0.1966 on the edge from sigmoid to z.
    nodes, edges = parse_svg(render_svg(steps[0]))
    assert [texts for _, _, texts in edges if texts] == [["0.1966"]]


def test_last_backward_step_has_the_backward_view_edges():
    """After the last step every edge carries what draw_dot(backward=True) shows."""
    f, _ = sigmoid_neuron()
    *_, last = backward_steps(f)
    edge_lines = [line for line in last.source.splitlines() if "->" in line]
    full = [line for line in draw_dot(f, backward=True).source.splitlines() if "->" in line]
    assert edge_lines == full


def test_missing_dot_builds_source_and_rendering_says_how_to_install(tmp_path, monkeypatch):
    """Without `dot` or graphviz-pure the source builds; rendering raises the install hints."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("AUTOGRAD_ENGINE_LAYOUT", "dot")  # no graphviz-pure fallback either
    f, _ = sigmoid_neuron()
    dot = draw_dot(f, backward=True)
    assert card_of(dot.source, "f") == "f | data 0.7311 | grad 1"
    with pytest.raises(RuntimeError) as error:
        render_svg(dot)
    message = str(error.value)
    for hint in ("Graphviz", "apt-get install graphviz", "brew install graphviz", "conda install"):
        assert hint in message
    assert isinstance(error.value.__cause__, graphviz.ExecutableNotFound)
    target = tmp_path / "graph.svg"
    with pytest.raises(RuntimeError, match="brew install graphviz"):
        save_svg(dot, target)
    with pytest.raises(RuntimeError, match="brew install graphviz"):
        dot._repr_mimebundle_()  # what Jupyter calls to show it inline
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        dot.pipe(format="svg")  # graphviz's own API on the returned Digraph
    with pytest.raises(RuntimeError, match="conda install"):
        dot.render(tmp_path / "rendered", format="svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([empty.name, "rendered"])


@needs_dot
def test_save_svg_writes_a_valid_svg_file(tmp_path):
    """save_svg writes a parseable SVG holding the drawing and returns its path."""
    f, _ = sigmoid_neuron()
    path = save_svg(draw_dot(f, backward=True), tmp_path / "g.svg")
    assert path == tmp_path / "g.svg"
    nodes, edges = parse_svg(path.read_text(encoding="utf-8"))
    assert len(edges) == 14
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.svg"]


@needs_dot
def test_jupyter_displays_a_drawing_as_inline_svg():
    """A Digraph's _repr_mimebundle_ (what Jupyter calls) gives SVG of the drawing."""
    f, _ = sigmoid_neuron()
    dot = draw_dot(f)
    assert isinstance(dot, graphviz.Digraph)
    bundle = dot._repr_mimebundle_()
    nodes, _ = parse_svg(bundle["image/svg+xml"])
    assert ["f", "data 0.7311", "grad 0"] in [n["texts"] for n in nodes.values()]


# -- labels shown verbatim, every SVG valid XML ------------------------------------


def shown(label: str) -> str:
    """What a drawing shows for ``label``, read independently of viz: invisible and
    XML-impossible characters as Python-style escapes, everything else as written."""
    out = []
    for c in label:
        o = ord(c)
        if c in "\t\n\r":
            out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r"}[c])
        elif o < 0x20 or 0x7F <= o <= 0x9F:
            out.append(f"\\x{o:02x}")
        elif 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF):
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    return "".join(out)


def card_lines(svg: str) -> list[list[str]]:
    """The text lines of every node of an SVG, spaces as written (Graphviz writes runs of
    spaces with no-break spaces so that they survive)."""
    root = ET.fromstring(svg)
    cards = []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            cards.append([(t.text or "").replace("\xa0", " ") for t in g.findall(SVG + "text")])
    return cards


@needs_dot
@pytest.mark.parametrize(
    "label",
    ["&#x1;", "&amp;", "&#0;", "a\tb", "\x01\x7f", "<b>x</b>", "</script><script>alert(1)//",
     'q"uo\'te', "a{b}|<c>", "line1\nline2", "back\\slash \\n", "  two  spaces"],
)  # fmt: skip
def test_hostile_labels_are_shown_as_written_and_the_svg_is_xml(label):
    """Entities, markup, tabs, control characters and quotes in a label are shown as text."""
    x = Value(2.0, label=label)
    svg = render_svg(draw_dot(x * 3, backward=True))
    assert [shown(label), "data 2", "grad 3"] in card_lines(svg)
    assert "<script" not in svg and "<b>" not in svg


@needs_dot
def test_op_symbols_with_markup_are_shown_as_written():
    """A custom op symbol like <b>x</b> is text, not markup, and renders (no CalledProcessError)."""
    from autograd_engine import Op

    bold = Op("bold", lambda a: 2 * a, lambda g, out, a: (2 * g,), symbol="<b>x</b> & \x01")
    y = apply_op(bold, Value(1.0, label="a"))
    svg = render_svg(draw_dot(y, backward=True))
    assert ["<b>x</b> & \\x01"] in card_lines(svg)


@needs_dot
@settings(max_examples=40)
@given(label=st.text(max_size=12), symbol=st.text(min_size=1, max_size=6))
def test_any_label_and_symbol_render_to_valid_xml_showing_them(label, symbol):
    """For arbitrary text, the SVG parses as XML and shows the label and symbol verbatim."""
    from autograd_engine import Op

    op = Op("custom", lambda a: a + 1, lambda g, out, a: (g,), symbol=symbol)
    y = apply_op(op, Value(1.0, label=label))
    y.label = "y"
    svg = render_svg(draw_dot(y))
    cards = card_lines(svg)
    # Graphviz writes runs of spaces with no-break spaces; compare with both as spaces.
    label, symbol = label.replace("\xa0", " "), symbol.replace("\xa0", " ")
    # A label of spaces only is no text at all; otherwise the whole label on one line.
    if label.strip(" "):
        assert [shown(label), "data 1", "grad 0"] in cards, cards
    if symbol.strip(" "):
        assert [shown(symbol)] in cards, cards


# -- groups, collapse, sizes ------------------------------------------------------


def mlp_loss(sizes, activation="tanh", labelled_inputs=True, mse=False, seed=0):
    """Squared error of an nn.MLP on one example (written out, or nn's mse_loss);
    returns (loss, model, out, y)."""
    from nn import MLP
    from nn.losses import mse_loss

    model = MLP(2, sizes, activation=activation, seed=seed)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")] if labelled_inputs else [0.5, -1.0]
    y = Value(1.0, label="y")
    out = model(x)
    return (mse_loss([out], [y]) if mse else (out - y) ** 2), model, out, y


def svg_size(svg: str) -> tuple[float, float]:
    """The SVG's natural width and height in pt; asserts nothing is scaled down."""
    root = ET.fromstring(svg)
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    graph = next(g for g in root.iter(SVG + "g") if g.get("class") == "graph")
    assert graph.get("transform").startswith("scale(1 1)")
    view_box = [float(v) for v in root.get("viewBox").split()]
    assert view_box[2:] == pytest.approx([width, height], abs=1)
    return width, height


def clusters(source: str) -> dict[str, list[str]]:
    """Box title -> the ids of the nodes declared inside it, read off the DOT source."""
    boxes, title, inside = {}, None, False
    for line in source.splitlines():
        if line.strip().startswith("subgraph cluster_"):
            inside = True
        elif inside and title is None and line.strip().startswith("graph [") and "label=<" in line:
            title = html.unescape(re.search(r"label=<(.*?)>", line).group(1))
            boxes[title] = []
        elif title is not None and re.match(r"\s+(n\d+) \[", line):
            boxes[title].append(re.match(r"\s+(n\d+) \[", line).group(1))
        if line.strip() == "}":
            title, inside = None, False
    return boxes


def test_nodes_sharing_a_dotted_prefix_are_boxed_together():
    """Each neuron of an MLP is one box titled L<k>.n<j>, holding exactly its own nodes."""
    loss, model, _, _ = mlp_loss([2, 1], labelled_inputs=False)
    order = topological_order(loss)
    boxes = clusters(draw_dot(loss).source)
    assert sorted(boxes) == ["L0.n0", "L0.n1", "L1.n0"]
    for title, ids in boxes.items():
        nodes = [order[int(i[1:])] for i in ids]
        labelled = sorted(n.label for n in nodes if n.label)
        ends = ["b", "dot", "out", "w0", "w1"] + ([] if title == "L1.n0" else ["z"])
        assert labelled == sorted(f"{title}.{e}" for e in ends)
        # The two input numbers each neuron copies into its dot product belong to it.
        assert sorted(n.data for n in nodes if not n.label) == ([-1.0, 0.5] if title < "L1" else [])


def test_grouping_knows_nothing_of_nn():
    """Any dotted labels group; an undotted or trailing-dot label is in no box."""
    a, b = Value(1.0, label="g.a"), Value(2.0, label="g.b")
    c = a * b
    c.label = "g.c"
    d = c + Value(3.0, label="h.")
    assert sorted(clusters(draw_dot(d).source)) == ["g"]


@needs_dot
def test_collapsed_mlp_shows_one_node_per_neuron_with_gradients_on_edges():
    """collapse=True: a node per neuron showing its output's data and grad; edges carry
    d loss/d out(consumer) * d out(consumer)/d out(input), computed here by hand."""
    loss, model, out, y = mlp_loss([2, 1])
    svg = render_svg(draw_dot(loss, backward=True, collapse=True))
    nodes, edges = parse_svg(svg)
    cards = {n["texts"][0]: (i, n["texts"][1:]) for i, n in nodes.items() if len(n["texts"]) == 3}
    assert {"L0.n0", "L0.n1", "L1.n0", "x0", "x1", "y"} <= set(cards)
    assert not any(label.endswith((".w0", ".b", ".dot")) for label in cards)
    hidden = [layer.neurons for layer in model.layers]
    d_out = 2 * (out.data - y.data)  # d (out - y)^2 / d out
    assert cards["L1.n0"][1] == [f"data {_num(out.data)}", f"grad {_num(d_out)}"]
    for j, neuron in enumerate(hidden[0]):
        h = math.tanh(sum(w.data * x for w, x in zip(neuron.w, [0.5, -1.0])) + neuron.b.data)
        carried = d_out * hidden[1][0].w[j].data  # the output layer is linear
        node_id, texts = cards[f"L0.n{j}"]
        assert texts == [f"data {_num(h)}", f"grad {_num(carried)}"]
        assert [t for a, b, t in edges if (a, b) == (cards["L1.n0"][0], node_id)] == [
            [_num(carried)]
        ]
    # The inputs receive from both hidden neurons: (1 - h^2) * w * grad(h) summed.
    for k in range(2):
        total = 0.0
        for j, neuron in enumerate(hidden[0]):
            h = math.tanh(sum(w.data * x for w, x in zip(neuron.w, [0.5, -1.0])) + neuron.b.data)
            total += d_out * hidden[1][0].w[j].data * (1 - h * h) * neuron.w[k].data
        assert cards[f"x{k}"][1][1] == f"grad {_num(total)}"


def test_a_group_with_two_outputs_is_not_collapsed():
    """A group is one node only if one of its nodes is used outside it (or is the root)."""
    a, b = Value(1.0, label="g.a"), Value(2.0, label="g.b")
    p, q = a * b, a + b
    p.label, q.label = "g.p", "g.q"
    source = draw_dot(p * q, collapse=True).source
    assert "<b>g.p</b>" in source and "<b>g.q</b>" in source and "<b>g</b>" not in source


@needs_dot
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])  # leaky: 917pt
@pytest.mark.parametrize("mse", [False, True], ids=["square", "mse_loss"])
def test_full_view_of_a_2_2_1_mlp_loss_fits_900pt(activation, mse):
    """The full backward view of MLP 2-2-1's squared error is at most 900pt wide, unscaled."""
    for labelled, seed in ((True, 0), (False, 1), (True, 2)):
        loss, model, _, _ = mlp_loss([2, 1], activation, labelled, mse, seed)
        svg = render_svg(draw_dot(loss, backward=True, params=model.parameters()))
        width, _ = svg_size(svg)
        assert width <= 900
        labels = {n["texts"][0] for n in parse_svg(svg)[0].values() if len(n["texts"]) == 3}
        assert {p.label for p in model.parameters()} <= labels


@needs_dot
@pytest.mark.parametrize("activation", sorted(set(ACTIVATIONS) - {"linear"}))
@pytest.mark.parametrize("mse", [False, True], ids=["square", "mse_loss"])
def test_collapsed_view_of_a_2_16_16_1_mlp_loss_fits_750pt_with_every_neuron(activation, mse):
    """The collapsed view of MLP 2-16-16-1's squared error is at most 750pt wide, every
    one of its 33 neurons a node."""
    for labelled, seed in ((True, 0), (False, 1)):
        loss, model, _, _ = mlp_loss([16, 16, 1], activation, labelled, mse, seed)
        for backward in (False, True):
            svg = render_svg(draw_dot(loss, backward=backward, collapse=True))
            width, height = svg_size(svg)
            assert width <= 750
            assert height <= 1400  # 16 neurons stacked, not stretched by edge labels
            titles = {n["texts"][0] for n in parse_svg(svg)[0].values() if n["texts"]}
            neurons = {f"L{k}.n{j}" for k, size in enumerate([16, 16, 1]) for j in range(size)}
            assert neurons <= titles


def test_layout_direction_follows_the_shape_of_the_graph():
    """A deep chain is drawn top to bottom, a wide collapsed layer left to right."""
    x = Value(1.0, label="x")
    y = x
    for _ in range(12):
        y = (y * 1.5).tanh()
    assert "rankdir=TB" in draw_dot(y).source
    loss, _, _, _ = mlp_loss([16, 16, 1], activation="relu")
    assert "rankdir=LR" in draw_dot(loss, collapse=True).source
    assert "rankdir=BT" in draw_dot(y, rankdir="BT").source


@needs_dot
def test_one_legend_line_names_the_colours_in_use():
    """The legend lists parameter and input when both are drawn, and sits on one line."""
    f, named = sigmoid_neuron()
    svg = render_svg(draw_dot(f, backward=True, params=[named[k] for k in ("w0", "w1", "w2")]))
    root = ET.fromstring(svg)
    graph = next(g for g in root.iter(SVG + "g") if g.get("class") == "graph")
    legend = [t for t in graph.findall(SVG + "text")]
    assert [t.text for t in legend][:2] == ["parameter", "input"]
    assert len({t.get("y") for t in legend}) == 1
    nodes, _ = parse_svg(svg)
    ids = ids_by_label(nodes)
    assert nodes[ids["x0"]]["fill"] != nodes[ids["w0"]]["fill"]


def test_op_nodes_have_one_size():
    """Every operation ellipse of a drawing has the same fixed width, however long its symbol."""
    f, _ = sigmoid_neuron()
    widths = set(re.findall(r"\top\d+ \[.*fixedsize=shape.*width=([\d.]+)", draw_dot(f).source))
    assert len(widths) == 1 and float(widths.pop()) >= 0.5  # room for "sigmoid"


def test_collapse_and_bad_params_are_checked():
    """collapse must be a bool; params must be an iterable of Values, not a Value."""
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match="draw_dot: collapse must be True or False"):
        draw_dot(x, collapse="yes")
    with pytest.raises(TypeError, match="draw_dot: params must be an iterable of Values"):
        draw_dot(x, params=x)


@needs_dot
def test_every_node_and_edge_of_the_svg_has_an_id_from_topological_order():
    """Value n<k>, operation op<k>, edge e<k> (value-op) and e<k>_<j> (op-input j)."""
    f, _ = sigmoid_neuron()
    order = topological_order(f)
    root = ET.fromstring(render_svg(draw_dot(f, backward=True)))
    ids = {g.get("id") for g in root.iter(SVG + "g") if g.get("class") in ("node", "edge")}
    expected = {f"n{k}" for k in range(len(order))}
    for k, node in enumerate(order):
        if node.parents:
            expected |= {f"op{k}", f"e{k}"} | {f"e{k}_{j}" for j in range(len(node.parents))}
    assert ids == expected


def test_a_dense_collapsed_view_puts_gradients_in_tooltips():
    """MLP 2-16-16-1 collapsed: the 300-odd arrows carry their gradient as a tooltip (the
    legend says to hover); output neuron -> L1.n<j> carries 2 (out - y) * w_j, by hand."""
    loss, model, out, y = mlp_loss([16, 16, 1], activation="relu")
    source = draw_dot(loss, backward=True, collapse=True).source
    assert "hover an arrow for its number" in source
    edges = [line for line in source.splitlines() if "->" in line]
    # Arrows out of neurons (16 x 2 + 16 x 16 + 16) have tooltips; the loss's keep labels.
    wiring = [line for line in edges if "tooltip=" in line]
    assert len(wiring) == 16 * 2 + 16 * 16 + 16
    assert not any("label=" in line for line in wiring)
    d_out = 2 * (out.data - y.data)
    labelled = [line for line in edges if "label=" in line]
    # From the square (stacked beside the network, so an xlabel: it takes no rank).
    carried = re.escape(_num(d_out))
    assert any(re.search(rf'label="?{carried}"?[\] ]', line) for line in labelled)
    w = model.layers[2].neurons[0].w
    tips = re.findall(r'tooltip="([^"]*) from L2\.n0"', source)
    assert sorted(tips) == sorted(_num(d_out * w[j].data) for j in range(16))


def test_collapsed_and_grouped_dot_is_byte_identical_across_processes():
    """Boxes, collapsed groups and the stacked loss column come out in the same order under
    any hash seed."""
    script = textwrap.dedent(
        """
        import sys
        from autograd_engine import Value, draw_dot
        from nn import MLP
        model = MLP(2, [16, 16, 1], activation="relu", seed=0)
        x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
        loss = (model(x) - Value(1.0, label="y")) ** 2
        sys.stdout.write(draw_dot(loss, backward=True, collapse=True).source)
        sys.stdout.write(draw_dot(loss).source)
        """
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            env=dict(os.environ, PYTHONHASHSEED=seed),
            check=True,
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(runs) == 1 and b"cluster_" in runs.pop()


# -- the drawing model: local derivatives, batches -----------------------------------


def _number_in(text: str) -> float:
    """The number a step text ends with: "x tanh'(z) = 1 - out^2 = 0.8758" -> 0.8758."""
    return float(text.rsplit(" ", 1)[1])


@pytest.mark.parametrize("op", __import__("autograd_engine").ALL_OPS, ids=str)
def test_every_op_row_says_its_local_derivative_and_the_number_is_right(op):
    """Each built-in row carries its derivative text; the number the player shows after it
    equals d out / d input by central finite differences of the row's own forward."""
    from autograd_engine.pictures.drawing import build_model

    xs = [0.7, 1.3, 0.4, 0.9]
    arity = 4 if op in ("sum", "dot") else 1
    if arity == 1:
        try:
            op.forward(*xs[:1])
        except TypeError:
            arity = 2
    args: list = [
        x if j in op.constants else Value(x, label=f"x{j}") for j, x in enumerate(xs[:arity])
    ]
    y = apply_op(op, *args)
    model = build_model(y)
    top = model.position[y]
    assert op.derivative is not None
    for edge in model.edges[top]:
        if edge.slot in op.constants:
            continue
        text = model.step_text(edge)
        assert text.startswith("x ") and "local derivative" not in text
        h = 1e-6
        up = list(xs[:arity])
        down = list(xs[:arity])
        up[edge.slot] += h
        down[edge.slot] -= h
        expected = (op.forward(*up) - op.forward(*down)) / (2 * h)
        assert _number_in(text) == pytest.approx(expected, rel=1e-3, abs=1e-9), text


def test_named_derivative_texts_as_the_issue_asks():
    """tanh, sigmoid, * and + read as a learner would write them (numbers by hand:
    tanh'(z) = 1 - tanh(0.5)^2 = 0.7864, sigma'(1) = 0.1966, d(ab)/da = b = -2)."""
    from autograd_engine.pictures.drawing import build_model

    z = Value(0.5, label="z")
    model = build_model(z.tanh())
    assert model.step_text(model.edges[1][0]) == "x tanh'(z) = 1 - out^2 = 0.7864"
    z = Value(1.0, label="z")
    model = build_model(z.sigmoid())
    assert model.step_text(model.edges[1][0]) == "x sigma'(z) = out(1 - out) = 0.1966"
    a, b = Value(3.0, label="a"), Value(-2.0, label="x1")
    y = a * b
    model = build_model(y)
    texts = {model.name(e.tail): model.step_text(e) for e in model.edges[model.position[y]]}
    assert texts["a"] == "x the other input, x1 = -2"
    y = a + b
    model = build_model(y)
    assert {model.step_text(e) for e in model.edges[model.position[y]]} == {"x 1"}


def test_a_custom_op_without_a_derivative_text_says_local_derivative():
    from autograd_engine import Op
    from autograd_engine.pictures.drawing import build_model

    square = Op("square", lambda a: a * a, lambda g, out, a: (g * 2 * a,))
    x = Value(3.0, label="x")
    model = build_model(square(x))
    assert model.step_text(model.edges[1][0]) == "x local derivative = 6"


def _batch_loss(n: int):
    from nn import MLP
    from nn.losses import mse_loss

    model = MLP(2, [4, 1], activation="tanh", seed=0)
    xs = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]][:n]
    ys = [1.0, -1.0, 1.0][:n]
    return model, mse_loss([model(x) for x in xs], ys)


def test_collapse_groups_a_batch_loss_into_one_card_per_neuron():
    """The issue's example: on 2 examples collapse=True draws each neuron once (one card
    whose grad is the sum over the examples, equal to backward()'s), much shorter than the
    uncollapsed source."""
    model, loss = _batch_loss(2)
    full = draw_dot(loss, backward=True).source
    collapsed = draw_dot(loss, backward=True, collapse=True).source
    assert collapsed != full and len(collapsed) < len(full) / 3
    for name in ("L0.n0", "L0.n1", "L0.n2", "L0.n3", "L1.n0"):
        assert collapsed.count(f"<b>{name}</b>") == 1
    assert "<b>loss</b>" in collapsed
    order = topological_order(loss)
    for node in order:
        node.grad = 0.0
    loss.backward()
    outs = [v for v in order if v.label == "L1.n0.out"]
    assert len(outs) == 2
    total = _num(outs[0].grad + outs[1].grad)
    assert re.search(rf"<b>L1.n0</b>.*?grad \(sum\) {re.escape(total)}<", collapsed, re.S)


def test_the_network_level_sums_gradients_over_the_batch_as_backward_does():
    from autograd_engine.pictures.drawing import build_model, network

    model, loss = _batch_loss(3)
    net = network(build_model(loss, collapse=True))
    assert net.examples == 3
    order = topological_order(loss)
    for node in order:
        node.grad = 0.0
    loss.backward()
    neurons = {card.label: card for card in net.cards if card.kind == "neuron"}
    assert sorted(neurons) == ["L0.n0", "L0.n1", "L0.n2", "L0.n3", "L1.n0"]
    for label, card in neurons.items():
        outs = [v for v in order if v.label == f"{label}.out"]
        assert card.values == [v.data for v in outs]
        assert card.grad == pytest.approx(sum(v.grad for v in outs), rel=1e-12)
        for name, _, g in card.params:
            assert g == next(p.grad for p in model.parameters() if p.label == name)
    assert [c.kind for c in net.cards].count("loss") == 1
    assert sum(1 for c in net.cards if c.kind == "example") == 3
    # Backward order: the loss first, each neuron after every card it feeds.
    rank = {k: r for r, k in enumerate(net.backward)}
    assert net.cards[net.backward[0]].kind == "loss"
    for k, card in enumerate(net.cards):
        for d in card.inputs:
            assert rank[d] > rank[k]


def test_with_dropout_each_hidden_neuron_of_a_batch_is_one_card():
    """In training mode dropout labels each example's copy of a hidden unit .kept or
    .dropped, as its mask fell: the unit is still one card over the batch, its gradient
    the sum over the examples of d loss / d (masked output), as backward() computes them."""
    from autograd_engine.pictures.drawing import build_model, network
    from nn import MLP
    from nn.losses import mse_loss

    model = MLP(2, [6, 1], activation="tanh", seed=3, dropout=0.5)
    xs = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8], [0.2, 0.1]]
    loss = mse_loss([model(x) for x in xs], [1.0, -1.0, 1.0, -1.0])
    order = topological_order(loss)
    masked = {}  # unit -> the labels of its copies, example by example
    for v in order:
        if v.label.endswith((".kept", ".dropped")):
            masked.setdefault(v.label.rpartition(".")[0], []).append(v)
    assert any(len({v.label for v in vs}) == 2 for vs in masked.values())  # mixed masks
    for node in order:
        node.grad = 0.0
    loss.backward()
    neurons = {c.label: c for c in network(build_model(loss, collapse=True)).cards}
    assert sorted(masked) == [f"L0.n{j}" for j in range(6)]
    for unit, copies in masked.items():
        card = neurons[unit]
        assert card.kind == "neuron" and card.values == [v.data for v in copies]
        assert card.grad == pytest.approx(math.fsum(v.grad for v in copies), rel=1e-12)
    collapsed = draw_dot(loss, backward=True, collapse=True).source
    for unit in masked:
        assert collapsed.count(f"<b>{unit}</b>") == 1


def _evaluate(text: str, env: dict) -> float:
    """Evaluate a derivative text the way a reader would: "tanh'(z) = 1 - out^2" at z and
    out; "the other input, x1" is x1's value; "1/b, b = x1" is 1/x1."""
    import math as m

    if ", " in text:
        head, tail = text.split(", ", 1)
        if " = " in tail:
            var, name = tail.split(" = ")
            env = {**env, var: env[name] if name in env else float(name)}
        elif head.startswith(("the ", "its ")):
            return env[tail]
        text = head
    expr = text.split(" = ")[-1] if "'(z) = " in text else text
    expr = expr.split(" (")[0].replace("^", "**").replace("out(", "out*(")
    tokens = expr.split(" ")
    joined = tokens[0]
    for a, b in zip(tokens, tokens[1:], strict=False):
        glue = (
            (a[-1].isalnum() or a[-1] == ")")
            and (b[0].isalpha() or b[0] == "(")
            and a not in ("if", "else")
            and b not in ("if", "else")
        )
        joined += ("*" if glue else " ") + b
    functions = {
        "exp": m.exp, "log": m.log, "cos": m.cos, "sin": m.sin,
        "sigma": lambda t: 1 / (1 + m.exp(-t)), "sign": lambda t: (t > 0) - (t < 0),
    }  # fmt: skip
    return float(eval(joined, {"__builtins__": {}}, {**functions, **env}))


@pytest.mark.parametrize("op", __import__("autograd_engine").ALL_OPS, ids=str)
def test_every_op_rows_derivative_formula_evaluates_to_its_number(op):
    """The formula of each row, read and evaluated at the inputs (z, a, b, k, slope, out,
    the named inputs), gives the number the player prints after it, and that number is
    the central finite difference of the row's forward."""
    from autograd_engine.pictures.drawing import build_model

    xs = [0.7, 1.3, 0.4, 0.9]
    arity = 4 if op in ("sum", "dot") else 1
    if arity == 1:
        try:
            op.forward(*xs[:1])
        except TypeError:
            arity = 2
    args = [x if j in op.constants else Value(x, label=f"x{j}") for j, x in enumerate(xs[:arity])]
    y = apply_op(op, *args)
    model = build_model(y)
    env = {f"x{j}": x for j, x in enumerate(xs[:arity])}
    env.update(out=y.data, a=xs[0], b=xs[1] if arity > 1 else 0.0, k=xs[1] if arity > 1 else 0.0)
    env.update(slope=xs[1] if arity > 1 else 0.0)
    checked = 0
    for edge in model.edges[model.position[y]]:
        if edge.slot in op.constants:
            continue
        env["z"] = xs[edge.slot]
        h = 1e-6
        up, down = list(xs[:arity]), list(xs[:arity])
        up[edge.slot] += h
        down[edge.slot] -= h
        expected = (op.forward(*up) - op.forward(*down)) / (2 * h)
        assert _evaluate(edge.text, env) == pytest.approx(expected, rel=1e-5), edge.text
        assert _number_in(model.step_text(edge)) == pytest.approx(expected, rel=1e-3)
        checked += 1
    assert checked >= 1


def test_on_a_batch_a_label_drawn_once_per_example_shows_its_example():
    """Uncollapsed, a 2-example loss draws L0.n1.z twice: as "L0.n1.z [0]" and "[1]", where
    [e] is the example whose input it was computed from (the first copy in topological
    order is example 0's); a parameter, shared by both, has no tag."""
    from autograd_engine.pictures.drawing import build_model

    model, loss = _batch_loss(2)
    drawn = build_model(loss)
    order = topological_order(loss)
    zs = [i for i, v in enumerate(order) if v.label == "L0.n1.z"]
    assert [drawn.name(i) for i in zs] == ["L0.n1.z [0]", "L0.n1.z [1]"]
    neuron = model.layers[0].neurons[1]
    for i, x in zip(zs, [[0.5, -1.0], [1.0, 2.0]], strict=True):  # the inputs of examples 0, 1
        z = neuron.w[0].data * x[0] + neuron.w[1].data * x[1] + neuron.b.data
        assert order[i].data == pytest.approx(z, rel=1e-12)
    w = order.index(model.parameters()[0])
    assert drawn.name(w) == model.parameters()[0].label
    source = draw_dot(loss, backward=True).source
    assert source.count('<b>L0.n1.z</b><font color="#777777"> [1&#93;</font>') == 1
    # A single example has nothing to tell apart.
    _, one = _batch_loss(1)
    assert all(" [" not in build_model(one).name(i) for i in range(len(topological_order(one))))


def test_a_derivative_text_that_is_not_a_function_or_not_text_is_refused():
    from autograd_engine import Op
    from autograd_engine.core.ops import derivative_text

    with pytest.raises(TypeError, match="Op 'sq': derivative must be a function"):
        Op("sq", lambda a: a * a, lambda g, out, a: (g * 2 * a,), derivative="2a")
    sq = Op("sq", lambda a: a * a, lambda g, out, a: (g * 2 * a,), derivative=lambda j, n: 2)
    with pytest.raises(TypeError, match=r"Op 'sq': derivative\(0, names\) must return a str"):
        derivative_text(sq, 0, ["x"])


def test_leaves_sharing_a_dotted_label_are_no_batch():
    """Two inputs both labelled "0.0" (group "0") are not a neuron applied to two examples:
    nothing collapses and the player stays at the op level (hypothesis found this)."""
    xs = [Value(1.0, label="0.0"), Value(2.0, label="0.0")]
    y = Value.sum(xs) * 2
    assert draw_dot(y, collapse=True).source.count("<b>0.0</b>") == 2
    assert __import__("autograd_engine").player(y).level == "op"


def test_the_drawn_terms_are_the_ones_the_sweep_summed_from_one_vjp_call_each():
    """Each edge's term comes from the sweep itself (graph.backprop_terms), not from a
    second call of the vjp: with a vjp that answers differently on every call, the terms
    drawn into a leaf still sum to its drawn gradient, and the model costs one call at g
    and one at g = 1 per node (the term and the local derivative), no more."""
    from autograd_engine import Op
    from autograd_engine.pictures.drawing import build_model

    calls = []

    def vjp(g, out, a):
        calls.append(g)
        return (g * (2.0 + len(calls)),)  # a different "derivative" on every call

    odd = Op("odd", lambda a: 2 * a, vjp)
    x = Value(1.5, label="x")
    y = odd(x) + odd(x)
    model = build_model(y)
    assert len(calls) == 4  # two odd nodes, one call at g and one at g = 1 each
    into_x = [e.term for edges in model.edges.values() for e in edges if e.tail == 0]
    assert len(into_x) == 2
    assert sum(into_x) == model.grads[0]


def test_a_loss_plus_a_penalty_on_the_parameters_keeps_the_network_level():
    """fit(penalty=) trains on mse + l2_penalty(parameters): the parameters are read by the
    penalty too, yet each neuron stays one card (the player opens at the network level),
    every gradient equals backward()'s, and the penalty card passes each neuron's
    parameters 2 * weight * w (by hand: d/dw of weight * sum w^2)."""
    from autograd_engine import player
    from autograd_engine.pictures.drawing import build_model, network
    from nn import MLP
    from nn.losses import l2_penalty, mse_loss

    model = MLP(2, [4, 1], activation="tanh", seed=0)
    xs = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]]
    loss = mse_loss([model(x) for x in xs], [1.0, -1.0, 1.0]) + l2_penalty(model.parameters(), 1e-2)
    assert player(loss).level == "network"
    order = topological_order(loss)
    for node in order:
        node.grad = 0.0
    loss.backward()
    net = network(build_model(loss, collapse=True))
    neurons = {c.label: c for c in net.cards if c.kind == "neuron"}
    assert sorted(neurons) == ["L0.n0", "L0.n1", "L0.n2", "L0.n3", "L1.n0"]
    grads = {p.label: p.grad for p in model.parameters()}
    for label, card in neurons.items():
        outs = [v for v in order if v.label == f"{label}.out"]
        assert len(outs) == 3
        assert card.grad == pytest.approx(sum(v.grad for v in outs), rel=1e-12)
        assert {name: g for name, _, g in card.params} == {
            name: grads[name] for name in grads if name.startswith(label + ".")
        }
    (penalty,) = [c for c in net.cards if c.kind == "penalty"]
    for d, terms in zip(penalty.inputs, penalty.terms, strict=True):
        label = net.cards[d].label
        own = [p.data for p in model.parameters() if p.label.startswith(label + ".")]
        assert sum(terms) == pytest.approx(2 * 1e-2 * sum(own), rel=1e-12)
    assert net.cards[net.backward[0]].kind == "loss"  # the sweep starts at the root
    # Every arrow's factor (a product of local derivatives along the paths inside its
    # card) times the card's gradient is what the sweep's own terms passed along it.
    for card in net.cards:
        for k in range(len(card.inputs)):
            for e in range(net.examples):
                g = card.grads[e] if card.kind == "neuron" else card.grads[0]
                assert card.terms[k][e] == pytest.approx(g * card.factors[k][e], rel=1e-12)
            assert card.factor_texts[k]
    collapsed = draw_dot(loss, backward=True, collapse=True).source
    for label in neurons:
        assert collapsed.count(f"<b>{label}</b>") == 1


def test_card_order_puts_each_card_after_its_inputs_ties_by_index():
    """One topological order of cards for the network level's steps and its layout
    (by hand: 2 needs 0, 1 needs 2 and 0, 3 needs nothing; always the smallest ready
    card next: 0, then 2 (ready: 2, 3), then 1 (ready: 1, 3), then 3); a cycle falls
    back to index order."""
    from autograd_engine.pictures.drawing import card_order

    assert card_order([[], [2, 0], [0], []]) == [0, 2, 1, 3]
    assert card_order([[1], [0]]) == [0, 1]


def test_the_model_keeps_the_parameters_its_arguments_named():
    """Model.params is the set check_arguments made (given params, or every labelled
    leaf), so the player's op levels mark the same parameters as the drawing."""
    from autograd_engine.pictures.drawing import build_model

    model, loss = _batch_loss(2)
    assert build_model(loss).params == {
        v for v in topological_order(loss) if not v.parents and v.label
    }
    some = model.parameters()[:3]
    assert build_model(loss, params=some).params == set(some)
