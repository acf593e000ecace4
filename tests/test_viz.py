"""Graph drawings: rendered SVG content, reversed backward edges, determinism, missing `dot`.

The worked example is f = sigmoid(w0*x0 + w1*x1 + w2) at w = (2, -3, -3), x = (-1, -2).
By hand: w0x0 = -2, w1x1 = 6, s = 4, z = 1, f = sigmoid(1) = 0.7311 and
sigma'(1) = f(1 - f) = 0.1966, so every add node and z, s, w0x0, w1x1, w2 have gradient
0.1966; dw0 = x0 * 0.1966 = -0.1966, dx0 = w0 * 0.1966 = 0.3932,
dw1 = x1 * 0.1966 = -0.3932, dx1 = w1 * 0.1966 = -0.5898. The strings below are those
numbers to 4 significant digits, typed from this derivation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import graphviz
import pytest

from autograd_engine import Value, backward_steps, draw_dot, save_svg, topological_order
from autograd_engine.examples import sigmoid_neuron
from autograd_engine.viz import CURRENT_COLOR, PARAM_COLOR, render_svg

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` binary is not installed"
)

SVG = "{http://www.w3.org/2000/svg}"

# label -> (data, grad) of the worked example, by hand (see the module docstring).
HAND = {
    "w0": ("2", "-0.1966"),
    "x0": ("-1", "0.3932"),
    "w0x0": ("-2", "0.1966"),
    "w1": ("-3", "-0.3932"),
    "x1": ("-2", "-0.5898"),
    "w1x1": ("6", "0.1966"),
    "s": ("4", "0.1966"),
    "w2": ("-3", "0.1966"),
    "z": ("1", "0.1966"),
    "f": ("0.7311", "1"),
}
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
        # value -> its op carries the value's own gradient.
        assert labels[(ids[out], op_of(ids[out]))] == [HAND[out][1]]
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
    assert "{ w1 | data -3 | grad -0.3932 }" in source
    assert "{ f | data 0.7311 | grad 1 }" in source
    assert "grad 5" not in source
    assert "{ w1 | data -3 | grad 5 }" in draw_dot(f).source  # the forward view shows .grad


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
    # d(x*2)/d2 = x = 4, times the upstream gradient 1.
    assert [texts for t, h, texts in edges if h == constant_2] == [["4"]]


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
        assert f'\tn{k} [label="{{ {node.label} | data' in source
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
    assert "{ x | data 0.5 | grad 1 }" in source  # d(x + 5000)/dx = 1


def test_bad_arguments_raise_clear_errors():
    """Wrong root, rankdir, params or max_nodes raise errors naming the argument and value."""
    x = Value(1.0, label="x")
    with pytest.raises(TypeError, match="draw_dot: root must be a Value, got float 1.0"):
        draw_dot(1.0)
    with pytest.raises(ValueError, match="rankdir must be one of .* got 'XY'"):
        draw_dot(x, rankdir="XY")
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value, got str 'w'"):
        draw_dot(x, params=[x, "w"])
    with pytest.raises(ValueError, match="max_nodes must be a positive int or None, got 0"):
        draw_dot(x, max_nodes=0)
    with pytest.raises(TypeError, match="backward_steps: root must be a Value"):
        backward_steps([x])
    with pytest.raises(TypeError, match="render_svg: expects a graphviz.Digraph, got str"):
        render_svg("digraph {}")


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_rankdir_is_passed_on_and_records_read_left_to_right(rankdir):
    """rankdir becomes the graph attribute; a record's fields stay side by side on one line."""
    x = Value(1.0, label="x")
    dot = draw_dot(x.exp(), rankdir=rankdir)
    assert f"rankdir={rankdir}" in dot.source
    root = ET.fromstring(render_svg(dot))
    for g in root.iter(SVG + "g"):
        texts = g.findall(SVG + "text")
        if g.get("class") == "node" and len(texts) == 3:
            assert [t.text for t in texts] == ["x", "data 1", "grad 0"]
            assert len({t.get("y") for t in texts}) == 1
            xs = [float(t.get("x")) for t in texts]
            assert xs == sorted(xs)


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
            shown = f"grad {grad}" if label in swept[: k + 1] else "grad"
            assert nodes[ids[label]]["texts"] == [label, f"data {data}", shown]
        for (out, inp), carried in CARRIED.items():
            expected = [carried] if out in swept[: k + 1] else []
            assert [texts for t, h, texts in edges if (t, h) == (op_of(ids[out]), ids[inp])] == [
                expected
            ]
    # Step 0 is the root alone: grad 1, into the sigmoid node.
    nodes, edges = parse_svg(render_svg(steps[0]))
    assert sum(texts != [] for _, _, texts in edges) == 2


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
    assert "{ f | data 0.7311 | grad 1 }" in dot.source
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
