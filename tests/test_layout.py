"""The layout program: Graphviz's `dot` when present, else graphviz-pure, else the install hint.

CI has both programs, so every test that needs `dot` missing hides it itself, by setting
PATH to an empty folder; graphviz-pure is hidden with AUTOGRAD_ENGINE_LAYOUT=dot or by
replacing the function that finds it. Expected texts are the worked example's numbers
by hand (tests/test_viz.py derives them): f = sigmoid(1) = 0.7311, df/dw1 = x1 * f(1 - f)
= -2 * 0.1966 = -0.3932, and the graph has 10 values, 5 ops and 9 + 5 = 14 edges.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest
from graphviz.backend import dot_command

from autograd_engine import draw_dot, save_svg, topological_order
from autograd_engine.examples import sigmoid_neuron
from autograd_engine.pictures import layout
from autograd_engine.pictures.layout import ENV_VAR, Engine, find_dot, graphviz_pure_path
from autograd_engine.pictures.viz import GRAPHVIZ_INSTALL_HINT, render_svg

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_layout", ROOT / "bench/compare_layout.py")
compare_layout = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_layout)

SVG = "{http://www.w3.org/2000/svg}"
PURE = graphviz_pure_path()
needs_pure = pytest.mark.skipif(PURE is None, reason="graphviz-pure is not installed")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is missing")


@pytest.fixture(autouse=True)
def fresh_lookup(monkeypatch):
    """Each test starts with an empty engine cache and no AUTOGRAD_ENGINE_LAYOUT."""
    monkeypatch.setattr(layout, "_cache", {})
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def no_dot(tmp_path, monkeypatch) -> Path:
    """PATH is an empty folder: Graphviz's `dot` cannot be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def nodes_and_edges(svg: str) -> tuple[dict[str, list[str]], list[str]]:
    """Node title -> texts, and edge titles, of a Graphviz SVG (parsing checks it is XML)."""
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    nodes, edges = {}, []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            nodes[g.findtext(SVG + "title")] = [t.text for t in g.iter(SVG + "text")]
        elif g.get("class") == "edge":
            edges.append(g.findtext(SVG + "title"))
    return nodes, edges


def assert_worked_example(svg: str) -> None:
    """The backward view of the worked example: 15 nodes, 14 edges, hand-derived texts."""
    nodes, edges = nodes_and_edges(svg)
    assert len(nodes) == 15 and len(edges) == 14
    texts = list(nodes.values())
    assert ["f", "data 0.7311", "grad 1"] in texts
    assert ["w1", "data -3", "grad -0.3932"] in texts


# -- which program ---------------------------------------------------------------


@needs_dot
def test_system_dot_is_preferred_when_present():
    """With `dot` on PATH, find_dot picks it, whether or not graphviz-pure is installed."""
    assert find_dot() == Engine("dot", os.path.abspath(shutil.which("dot")))


@needs_pure
def test_graphviz_pure_is_found_when_dot_is_hidden_and_rechecked_when_path_changes(
    no_dot, monkeypatch
):
    """An empty PATH gives the installed graphviz-pure; PATH back gives `dot` again."""
    engine = find_dot()
    assert engine == Engine("graphviz-pure", PURE)
    run = subprocess.run([engine.path, "-V"], capture_output=True, text=True)
    assert "graphviz-pure" in run.stderr + run.stdout
    if shutil.which("dot", path=os.defpath) is not None:
        monkeypatch.setenv("PATH", os.defpath)
        assert find_dot().name == "dot"


def test_the_environment_variable_chooses_and_is_checked(no_dot, monkeypatch):
    """AUTOGRAD_ENGINE_LAYOUT=dot never falls back; an unknown value is a ValueError."""
    monkeypatch.setenv(ENV_VAR, "dot")
    assert find_dot() is None
    monkeypatch.setenv(ENV_VAR, "neato")
    with pytest.raises(
        ValueError, match=f"autograd_engine.pictures.layout: {ENV_VAR} must be one of"
    ):
        find_dot()
    target = no_dot.parent / "g.svg"
    f, _ = sigmoid_neuron()
    with pytest.raises(ValueError, match="'neato'"):
        save_svg(draw_dot(f), target)
    assert not target.exists()


@needs_pure
@needs_dot
def test_graphviz_pure_can_be_forced_even_with_dot_present(monkeypatch):
    """AUTOGRAD_ENGINE_LAYOUT=graphviz-pure renders with the port although `dot` is on PATH."""
    monkeypatch.setenv(ENV_VAR, "graphviz-pure")
    f, _ = sigmoid_neuron()
    svg = render_svg(draw_dot(f, backward=True))
    assert "(graphviz-pure)" in svg  # its generator comment
    assert_worked_example(svg)


def test_forcing_a_missing_graphviz_pure_says_how_to_install_it(monkeypatch):
    """AUTOGRAD_ENGINE_LAYOUT=graphviz-pure without the package: RuntimeError naming pip."""
    monkeypatch.setenv(ENV_VAR, "graphviz-pure")
    monkeypatch.setattr(layout, "graphviz_pure_path", lambda: None)
    f, _ = sigmoid_neuron()
    with pytest.raises(RuntimeError, match=r'pip install "autograd-engine\[layout\]"'):
        render_svg(draw_dot(f))


# -- drawing with dot hidden --------------------------------------------------------


@needs_pure
def test_every_rendering_path_works_through_graphviz_pure_when_dot_is_hidden(no_dot):
    """render_svg, save_svg, Jupyter's bundle, pipe and render all use graphviz-pure."""
    out = no_dot.parent
    f, _ = sigmoid_neuron()
    dot = draw_dot(f, backward=True)
    svg = render_svg(dot)
    assert "(graphviz-pure)" in svg
    assert_worked_example(svg)
    assert_worked_example(save_svg(dot, out / "g.svg").read_text(encoding="utf-8"))
    assert_worked_example(dot._repr_mimebundle_()["image/svg+xml"])
    assert dot.pipe(format="png").startswith(b"\x89PNG\r\n\x1a\n")
    rendered = dot.render(out / "r", format="svg")
    assert_worked_example(Path(rendered).read_text(encoding="utf-8"))
    # A plain graphviz.Digraph (not our Drawing) renders through render_svg too.
    plain = graphviz.Digraph()
    plain.edge("a", "b")
    assert nodes_and_edges(render_svg(plain))[1] == ["a->b"]
    # graphviz's module-level program is its default again afterwards.
    assert dot_command.DOT_BINARY == Path("dot")


@needs_pure
def test_a_format_graphviz_pure_lacks_fails_with_a_note_saying_so(no_dot):
    """pdf through graphviz-pure: graphviz's CalledProcessError, with a note naming the formats."""
    f, _ = sigmoid_neuron()
    with pytest.raises(graphviz.CalledProcessError) as error:
        draw_dot(f).pipe(format="pdf")
    note = " ".join(error.value.__notes__)
    assert "graphviz-pure" in note and "not pdf" in note
    assert dot_command.DOT_BINARY == Path("dot")


@needs_pure
@pytest.mark.skipif(os.name == "nt", reason="the stand-in program is a POSIX shell script")
def test_a_dot_binary_the_user_set_is_kept(no_dot, monkeypatch):
    """If the user pointed graphviz.DOT_BINARY at a program, that program renders."""
    used = no_dot.parent / "used"
    mine = no_dot.parent / "my-dot"
    mine.write_text(f'#!/bin/sh\n: > "{used}"\nexec "{PURE}" "$@"\n')
    mine.chmod(0o755)
    monkeypatch.setattr(dot_command, "DOT_BINARY", mine)
    f, _ = sigmoid_neuron()
    assert_worked_example(render_svg(draw_dot(f, backward=True)))
    assert used.exists()
    assert dot_command.DOT_BINARY == mine


@needs_pure
def test_python_m_autograd_engine_draws_through_graphviz_pure_without_dot(tmp_path):
    """The demo with PATH empty writes both SVGs, laid out by graphviz-pure, and no hint."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {"PATH": str(empty)}
    run = subprocess.run(
        [sys.executable, "-m", "autograd_engine", "--out", "graphs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "install" not in run.stderr
    graphs = tmp_path / "graphs"
    assert sorted(p.name for p in graphs.iterdir()) == [
        "sigmoid_backprop.html",
        "sigmoid_backward.dot",
        "sigmoid_backward.svg",
        "sigmoid_forward.dot",
        "sigmoid_forward.svg",
    ]
    svg = (graphs / "sigmoid_backward.svg").read_text(encoding="utf-8")
    assert "(graphviz-pure)" in svg
    assert_worked_example(svg)


# -- neither -------------------------------------------------------------------------


def test_with_neither_program_the_error_gives_pip_first(no_dot, monkeypatch):
    """Not found by the lookup (no env var involved): the install hint, pip before apt."""
    monkeypatch.setattr(layout, "graphviz_pure_path", lambda: None)
    assert find_dot() is None
    f, _ = sigmoid_neuron()
    with pytest.raises(RuntimeError) as error:
        render_svg(draw_dot(f))
    message = str(error.value)
    assert message == GRAPHVIZ_INSTALL_HINT
    assert isinstance(error.value.__cause__, graphviz.ExecutableNotFound)
    assert message.index('pip install "autograd-engine[layout]"') < message.index("apt-get")
    for hint in ("brew install graphviz", "conda install", "winget install graphviz"):
        assert hint in message


def test_python_m_autograd_engine_with_neither_keeps_its_message(tmp_path):
    """The demo without either program: exit 0, .dot files only, the hint on stderr."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "autograd_engine", "--out", "graphs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": str(empty), ENV_VAR: "dot"},
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "graphs").iterdir()) == [
        "sigmoid_backward.dot",
        "sigmoid_forward.dot",
    ]
    assert "SVG files and the player were not written" in run.stderr
    assert GRAPHVIZ_INSTALL_HINT in run.stderr


# -- the two programs agree ------------------------------------------------------------


@needs_pure
@needs_dot
@pytest.mark.parametrize("name", list(compare_layout.drawings()))
def test_both_programs_draw_the_same_nodes_edges_labels_and_ids(name):
    """Each drawing has the same nodes (ids, texts, fills), edges and clusters with both."""
    source = compare_layout.drawings()[name]
    with_dot = compare_layout.structure(compare_layout.render(shutil.which("dot"), source))
    with_pure = compare_layout.structure(compare_layout.render(PURE, source))
    assert with_pure == with_dot
    assert with_dot["node"] and with_dot["edge"]  # a comparison of two empty sets proves nothing


def test_structure_sees_a_changed_label():
    """The comparison is not blind: a changed edge label changes the structure."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><g id="edge1" class="edge"><title>a-&gt;b'
        "</title><text>0.5</text></g></svg>"
    )
    assert compare_layout.structure(svg)["edge"] == [("a->b", "edge1", ("0.5",))]
    assert compare_layout.structure(svg) != compare_layout.structure(svg.replace("0.5", "0.6"))


# -- the player ---------------------------------------------------------------------------


@needs_pure
def test_player_renders_through_fallback(no_dot):
    """With `dot` hidden, player(y) saves a page whose SVG has a node for every value."""
    from autograd_engine import player

    f, nodes = sigmoid_neuron()
    page = no_dot.parent / "f.html"
    player(f).save(page)
    html = page.read_text(encoding="utf-8")
    labels = {node.label for node in topological_order(f)}
    assert labels == set(nodes)
    drawn = []
    for block in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        try:
            root = ET.fromstring(block)
        except ET.ParseError:
            continue  # e.g. an SVG inside a JSON string, with escaped quotes
        texts = {
            t.text
            for g in root.iter(SVG + "g")
            if g.get("class") == "node"
            for t in g.iter(SVG + "text")
        }
        drawn.append(texts)
    assert drawn, "the page holds no SVG that parses"
    assert any(labels <= texts for texts in drawn)
