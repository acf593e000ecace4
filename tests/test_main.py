"""`python -m autograd_engine`: the table of the worked example and its SVG graphs.

Expected numbers are the hand derivation of f = sigmoid(w0*x0 + w1*x1 + w2) at
w = (2, -3, -3), x = (-1, -2) (see tests/test_examples.py), to 6 significant digits:
f = 0.731059, f(1 - f) = 0.196612, dw = (-0.196612, -0.393224, 0.196612),
dx = (0.393224, -0.589836).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's `dot` binary is not installed"
)

# label -> (op, data, grad) in topological order, by hand.
TABLE = [
    ("w0", "leaf", "2", "-0.196612"),
    ("x0", "leaf", "-1", "0.393224"),
    ("w0x0", "mul", "-2", "0.196612"),
    ("w1", "leaf", "-3", "-0.393224"),
    ("x1", "leaf", "-2", "-0.589836"),
    ("w1x1", "mul", "6", "0.196612"),
    ("s", "add", "4", "0.196612"),
    ("w2", "leaf", "-3", "0.196612"),
    ("z", "add", "1", "0.196612"),
    ("f", "sigmoid", "0.731059", "1"),
]
FILES = [
    "sigmoid_backprop.html",
    "sigmoid_backward.dot",
    "sigmoid_backward.svg",
    "sigmoid_forward.dot",
    "sigmoid_forward.svg",
]


def run_demo(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m autograd_engine` in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "autograd_engine", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def table_rows(stdout: str) -> list[tuple[str, ...]]:
    """The rows of the printed table (lines starting with a node's position)."""
    rows = []
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) == 5 and cells[0].isdigit():
            rows.append(tuple(cells))
    return rows


def svg_texts(path: Path) -> list[str]:
    """All text elements of an SVG file (parsing it as XML checks it is valid SVG)."""
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return [(t.text or "").strip() for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_table_lists_every_node_in_topological_order_with_hand_values(tmp_path):
    """The printed table has all 10 nodes: position, label, op, data and grad as by hand."""
    run = run_demo(tmp_path, "--out", str(tmp_path / "graphs"))
    assert run.returncode == 0, run.stderr
    expected = [(str(i), *row) for i, row in enumerate(TABLE)]
    assert table_rows(run.stdout) == expected
    assert "dw = (-0.19661193324148185, -0.3932238664829637, 0.19661193324148185)" in run.stdout
    assert "dx = (0.3932238664829637, -0.5898357997244456)" in run.stdout
    assert "f  = 0.7310585786300049" in run.stdout


@needs_dot
def test_writes_valid_forward_and_backward_svgs_and_prints_their_paths(tmp_path):
    """--out DIR gets both graphs as .dot and valid .svg; each path is printed."""
    out = tmp_path / "nested" / "graphs"
    run = run_demo(tmp_path, "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == FILES
    for name in FILES:
        assert f"wrote {out / name}" in run.stdout
    forward = svg_texts(out / "sigmoid_forward.svg")
    backward = svg_texts(out / "sigmoid_backward.svg")
    # After backward(), the forward view shows the gradients too.
    for texts in (forward, backward):
        assert {"data 0.7311", "grad -0.1966", "grad 0.3932", "grad -0.5898"} <= set(texts)
    # Edge labels (the gradient each edge carries) only in the backward view.
    # The 5 op -> input edges carrying 0.1966 (value -> op edges would repeat the card).
    assert backward.count("0.1966") == 5
    assert "-0.5898" in backward and "-0.5898" not in forward


@needs_dot
def test_default_output_folder_is_out_in_the_working_directory(tmp_path):
    """Without --out the files go to ./out."""
    run = run_demo(tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == FILES


def test_without_dot_prints_table_writes_dot_sources_and_install_hint(tmp_path):
    """With no `dot` or graphviz-pure: exit 0, the table, the .dot files, no .svg, the hint."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {"PATH": str(empty), "AUTOGRAD_ENGINE_LAYOUT": "dot"}  # no graphviz-pure either
    run = run_demo(tmp_path, "--out", "graphs", env=env)
    assert run.returncode == 0, run.stderr
    assert len(table_rows(run.stdout)) == 10
    assert sorted(p.name for p in (tmp_path / "graphs").iterdir()) == [
        "sigmoid_backward.dot",
        "sigmoid_forward.dot",
    ]
    assert "apt-get install graphviz" in run.stderr and "brew install graphviz" in run.stderr
    assert "exit status 0" in run.stderr
    assert "sigmoid_backprop.html" not in run.stdout
    source = (tmp_path / "graphs" / "sigmoid_backward.dot").read_text()
    assert '<b>w1</b></td></tr><tr><td align="left">data -3</td></tr>' in source
    assert '<tr><td align="left">grad -0.3932</td></tr>' in source


def test_other_weights_and_inputs_from_the_command_line(tmp_path):
    """--w 1 1 1 --x 0 0: z = 1, so f is unchanged, dw = x * f(1-f) = (0, 0, 0.196612)."""
    run = run_demo(tmp_path, "--out", "g", "--w", "1", "1", "1", "--x", "0", "0")
    assert run.returncode == 0, run.stderr
    rows = {row[1]: row for row in table_rows(run.stdout)}
    assert rows["f"][3:] == ("0.731059", "1")
    assert (rows["w0"][4], rows["w1"][4], rows["w2"][4]) == ("0", "0", "0.196612")
    assert (rows["x0"][4], rows["x1"][4]) == ("0.196612", "0.196612")  # w * f(1-f)


def test_bad_arguments_exit_with_status_2_and_a_message(tmp_path):
    """A non-finite weight or an --out that is a file is a usage error naming the option."""
    run = run_demo(tmp_path, "--w", "nan", "1", "1", "--out", "g")
    assert run.returncode == 2
    assert "--w: values must be finite, got nan" in run.stderr
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    run = run_demo(tmp_path, "--out", str(blocker))
    assert run.returncode == 2
    assert "--out" in run.stderr and "is not a folder" in run.stderr
    assert blocker.read_text() == "not a folder"
    run = run_demo(tmp_path, "--out", str(blocker / "inside"))
    assert run.returncode == 2
    assert "--out" in run.stderr and "cannot create the folder" in run.stderr
    run = run_demo(tmp_path, "--w", "1e308", "1", "1", "--x", "10", "1")
    assert run.returncode == 2
    assert "mul: the result is not finite" in run.stderr and "Traceback" not in run.stderr


def test_every_flag_is_checked_before_any_work(tmp_path):
    """A folder where an output file goes is a usage error naming --out: exit 2, nothing
    printed on stdout, nothing written, no traceback."""
    out = tmp_path / "graphs"
    (out / "sigmoid_forward.dot").mkdir(parents=True)
    run = run_demo(tmp_path, "--out", str(out))
    assert run.returncode == 2
    assert "--out" in run.stderr and "sigmoid_forward.dot" in run.stderr
    assert "is a folder" in run.stderr and "Traceback" not in run.stderr
    assert run.stdout == ""
    assert [p.name for p in out.iterdir()] == ["sigmoid_forward.dot"]
    run = run_demo(tmp_path, "--out", str(out), "--x", "1", "inf")
    assert run.returncode == 2 and "--x: values must be finite" in run.stderr


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux's /sys")
def test_an_unwritable_out_folder_is_a_usage_error():
    """--out /sys (a folder nobody can create files in, root included) exits 2 naming --out."""
    run = run_demo(Path("/tmp"), "--out", "/sys")
    assert run.returncode == 2
    assert "--out '/sys': cannot write files in the folder" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


@needs_dot
def test_writes_the_backprop_player_beside_the_svgs(tmp_path):
    """sigmoid_backprop.html is a self-contained player of the worked example, path printed."""
    run = run_demo(tmp_path, "--out", "g")
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "g" / "sigmoid_backprop.html").read_text(encoding="utf-8")
    assert f"wrote {Path('g') / 'sigmoid_backprop.html'}" in run.stdout
    assert page.count("data-label=") == 10
    assert 'data-label="w1" data-kind="param" data-value="-3" data-grad="-0.3932"' in page
    assert 'data-label="x1" data-kind="input" data-value="-2" data-grad="-0.5898"' in page
    assert '<span data-role="step">20 / 20</span>' in page


def test_negative_numbers_in_scientific_notation_are_numbers(tmp_path):
    """--w -1e-3 1 1 and --x 1 -2.5e1 are weights and inputs, not unknown flags."""
    run = run_demo(tmp_path, "--out", "o", "--w", "-1e-3", "1", "1", "--x", "1", "-2.5e1")
    assert run.returncode == 0, run.stderr
    # z = -1e-3 * 1 + 1 * (-25) + 1 = -24.001, f = sigmoid(z)
    assert "w = (-0.001, 1, 1), x = (1, -25)" in run.stdout


def test_help_names_every_file_the_demo_writes(tmp_path):
    """--help names each of the five files (the player too), as the run writes them."""
    help_text = " ".join(run_demo(tmp_path, "--help").stdout.split())  # argparse wraps lines
    for name in FILES:
        assert name in help_text, name
    assert "player" in help_text


@needs_dot
def test_the_files_a_run_writes_are_the_ones_help_names(tmp_path):
    """Every file a default run leaves in ./out is named by --help (none is left unnamed)."""
    run = run_demo(tmp_path)
    assert run.returncode == 0, run.stderr
    help_text = " ".join(run_demo(tmp_path, "--help").stdout.split())
    written = [p.name for p in (tmp_path / "out").iterdir()]
    assert len(written) == 5 and all(name in help_text for name in written)
