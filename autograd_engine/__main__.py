"""``python -m autograd_engine``: the worked sigmoid example, as a table and as graphs.

Prints every node of f = sigmoid(w0*x0 + w1*x1 + w2) in topological order (label, op,
data, grad after ``f.backward()``), then writes the forward and backward-pass graphs
as DOT sources and SVG files, and the backprop player ``sigmoid_backprop.html``, into
``--out`` (default ``./out``) and prints their paths. Without Graphviz's ``dot``
program it still prints the table and writes the DOT sources, prints how to install
Graphviz instead of the SVG and player paths, and exits with status 0.

Every flag is checked before any work: a bad number, or an ``--out`` that is a file,
cannot be created or written, or holds a folder where an output file goes, is a usage
error (status 2, a message naming the flag, no traceback).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from autograd_engine.core.graph import topological_order
from autograd_engine.core.value import Value
from autograd_engine.examples import sigmoid_neuron
from autograd_engine.files import write_atomic
from autograd_engine.pictures.playback import player
from autograd_engine.pictures.viz import draw_dot, save_svg

__all__ = ["main", "node_table"]


def node_table(root: Value) -> str:
    """A text table of every node reachable from ``root``, in topological order.

    Columns: position, label (``-`` for none), op (``leaf`` for a leaf), data and
    the current ``.grad``, both to 6 significant digits.
    """
    rows = [("#", "label", "op", "data", "grad")]
    for i, node in enumerate(topological_order(root)):
        rows.append((str(i), node.label or "-", node.op or "leaf", _g(node.data), _g(node.grad)))
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = []
    for row in rows:
        # Text columns left-aligned, numbers right-aligned so their digits line up.
        cells = [
            row[c].rjust(widths[c]) if c in (0, 3, 4) else row[c].ljust(widths[c]) for c in range(5)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m autograd_engine",
        description="The worked sigmoid example f = sigmoid(w0*x0 + w1*x1 + w2): a table "
        "of every node's value and gradient, and its forward and backward graphs as SVG.",
    )
    parser.add_argument(
        "--out",
        default="out",
        metavar="DIR",
        help="folder for the .dot and .svg files (created if missing; default: ./out)",
    )
    parser.add_argument(
        "--w",
        nargs=3,
        type=float,
        default=(2.0, -3.0, -3.0),
        metavar=("W0", "W1", "W2"),
        help="weights (default: 2 -3 -3)",
    )
    parser.add_argument(
        "--x",
        nargs=2,
        type=float,
        default=(-1.0, -2.0),
        metavar=("X0", "X1"),
        help="inputs (default: -1 -2)",
    )
    # argparse reads "-1e-3" as an unknown flag (its test for a negative number knows no
    # exponent); widening that test lets --w -1e-3 1 1 mean what it says.
    parser._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    args = parser.parse_args(argv)
    for name, values in (("--w", args.w), ("--x", args.x)):
        bad = [v for v in values if not math.isfinite(v)]
        if bad:
            parser.error(f"{name}: values must be finite, got {bad[0]!r}")
    out = Path(args.out)
    problem = _unwritable(out)
    if problem is not None:
        parser.error(f"--out {str(out)!r}: {problem}")

    try:
        f, nodes = sigmoid_neuron(args.w, args.x)
        f.backward()
    except (ArithmeticError, ValueError) as error:  # e.g. w0*x0 overflows
        parser.error(f"--w/--x: {error}")
    w = ", ".join(_g(v) for v in args.w)
    x = ", ".join(_g(v) for v in args.x)
    print(f"f = sigmoid(w0*x0 + w1*x1 + w2) at w = ({w}), x = ({x})\n")
    print(node_table(f))
    print()
    print(f"f  = {nodes['f'].data!r}")
    print(f"dw = ({', '.join(repr(nodes[k].grad) for k in ('w0', 'w1', 'w2'))})")
    print(f"dx = ({', '.join(repr(nodes[k].grad) for k in ('x0', 'x1'))})")
    print()

    params = [nodes["w0"], nodes["w1"], nodes["w2"]]
    drawings = {
        "sigmoid_forward": draw_dot(f, params=params),
        "sigmoid_backward": draw_dot(f, backward=True, params=params),
    }
    missing_dot = None
    try:
        for stem, dot in drawings.items():
            print(f"wrote {write_atomic(out / f'{stem}.dot', dot.source)}")
            if missing_dot is None:
                try:
                    print(f"wrote {save_svg(dot, out / f'{stem}.svg')}")
                except RuntimeError as error:
                    missing_dot = str(error)
        if missing_dot is None:
            title = f"f = sigmoid(w0*x0 + w1*x1 + w2) at w = ({w}), x = ({x})"
            page = player(f, params=params, title=title)
            print(f"wrote {page.save(out / 'sigmoid_backprop.html')}")
    except OSError as error:  # e.g. the disk filled up after the checks
        parser.error(f"--out {str(out)!r}: cannot write ({error.strerror or error})")
    if missing_dot is not None:
        print(
            f"\nSVG files and the player were not written (the table and .dot files were; "
            f"exit status 0):\n{missing_dot}",
            file=sys.stderr,
        )
    return 0


OUTPUTS = (
    "sigmoid_forward.dot",
    "sigmoid_forward.svg",
    "sigmoid_backward.dot",
    "sigmoid_backward.svg",
    "sigmoid_backprop.html",
)
"""The files the demo writes into ``--out``."""


def _unwritable(out: Path) -> str | None:
    """Why the demo could not write its files into ``out`` (creating it), or None."""
    if out.exists() and not out.is_dir():
        return "is not a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot create the folder ({error.strerror or error})"
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            return f"{str(target)!r} is a folder, so the file cannot be written"
    try:  # the only sure test of writing is to write (root may not write into /sys)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".probe-", suffix=".tmp"):
            pass
    except OSError as error:
        return f"cannot write files in the folder ({error.strerror or error})"
    if not os.access(out, os.W_OK):
        return "cannot write files in the folder (permission denied)"
    return None


def _g(x: float) -> str:
    return f"{x:.6g}"


if __name__ == "__main__":
    sys.exit(main())
