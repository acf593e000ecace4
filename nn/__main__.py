"""``python -m nn``: train a 2-16-16-1 MLP on two-moons, print its accuracy, save two plots.

The network (relu hidden layers, sigmoid output) is trained with binary
cross-entropy and Adam on mini-batches; the loss/accuracy curve and the decision
boundary are saved as ``OUTPUTS`` (PNG files: matplotlib, Agg backend, so no display
is needed) and their paths printed. Everything is seeded, so every run prints the same
numbers.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from autograd_engine import Value, no_grad
from autograd_engine.validation import counted
from nn.data import make_moons
from nn.losses import binary_cross_entropy
from nn.module import MLP
from nn.train import History, evaluate, fit

__all__ = ["main", "plot_history", "plot_decision_boundary", "OUTPUTS"]

OUTPUTS = ("loss_curve.png", "decision_boundary.png")
"""The files the demo writes into ``--out``: the loss and accuracy curve, the decision boundary."""


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend: files only, no display needed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _writable_dir_problem(path: str) -> str | None:
    """Create the folder ``path`` if needed and probe it with a temp file; say what is wrong."""
    if os.path.exists(path) and not os.path.isdir(path):
        return "is a file, not a folder"
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        return f"cannot be created or written: {error.strerror or error}"
    return None


def plot_history(history: History, path: str) -> None:
    """Save the per-epoch training loss (left axis) and accuracy (right axis) as a PNG."""
    plt = _pyplot()

    epochs = range(1, len(history["loss"]) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, history["loss"], color="tab:blue", label="loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy", color="tab:blue")
    ax.set_yscale("log")
    acc = ax.twinx()
    acc.plot(epochs, history["accuracy"], color="tab:orange", label="accuracy")
    acc.set_ylabel("training accuracy", color="tab:orange")
    acc.set_ylim(0.0, 1.02)
    ax.set_title("Two moons: training loss and accuracy")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _probability(model: MLP, a: float, b: float) -> float:
    out = model([a, b])
    if not isinstance(out, Value):
        raise TypeError(f"plot_decision_boundary: the model must have one output, got {len(out)}")
    return out.data


def plot_decision_boundary(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], path: str, steps: int = 60
) -> None:
    """Save the model's probability p(class 1) over a grid, its 0.5 contour and the data."""
    plt = _pyplot()

    xs = [row[0] for row in X]
    ys = [row[1] for row in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    with no_grad():  # evaluation only: no graph to build
        probs = [[_probability(model, a, b) for a in gx] for b in gy]
    fig, ax = plt.subplots(figsize=(6, 5))
    filled = ax.contourf(gx, gy, probs, levels=20, cmap="RdBu_r", alpha=0.6, vmin=0, vmax=1)
    ax.contour(gx, gy, probs, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(xs, ys, c=list(y), cmap="RdBu_r", edgecolors="black", s=25, vmin=0, vmax=1)
    fig.colorbar(filled, ax=ax, label="p(class 1)")
    ax.set_title("Two moons: decision boundary (p = 0.5)")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit status (0; 130 if stopped by Ctrl-C).

    Every flag is checked, and the ``--out`` folder created and probed, before any training:
    a bad one is a usage error naming the flag (exit status 2, no traceback).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    _pyplot()  # fails now, not after training, if matplotlib is missing

    from nn.optim import Adam  # the torch.optim.Adam update, see nn/optim.py

    X, y = make_moons(args.samples, noise=args.noise, seed=args.seed)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="sigmoid", seed=args.seed)
    optimizer = Adam(model.parameters(), lr=args.lr)
    print(
        f"two-moons: {counted(args.samples, 'point')}, noise {args.noise}; MLP 2-16-16-1 (relu, "
        f"sigmoid output, {counted(len(model.parameters()), 'parameter')}); binary "
        f"cross-entropy; Adam lr {args.lr}; batch size {args.batch_size}; "
        f"{counted(args.epochs, 'epoch')}"
    )
    start = time.perf_counter()
    try:
        history = fit(
            model,
            X,
            y,
            binary_cross_entropy,
            optimizer,
            args.epochs,
            batch_size=args.batch_size,
            progress=not args.no_progress,
            seed=args.seed,
            compile=args.compile,
        )
    except KeyboardInterrupt as error:  # Ctrl-C: where it stopped, no traceback, status 130
        where = "; ".join(getattr(error, "__notes__", [])) or "fit: stopped"
        print(f"\ninterrupted by Ctrl-C ({where}); no plots were written", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - start
    loss, accuracy = evaluate(model, X, y, binary_cross_entropy)
    print(f"trained in {seconds:.1f} s" + (" (compiled)" if args.compile else ""))
    print(f"final training loss: {loss:.4f}")
    if accuracy is not None:  # binary cross-entropy always has one
        print(f"training accuracy: {100 * accuracy:.1f}%")

    curve, boundary = (os.path.join(args.out, name) for name in OUTPUTS)
    plot_history(history, curve)
    plot_decision_boundary(model, X, y, boundary)
    print(f"loss curve: {curve}")
    print(f"decision boundary: {boundary}")
    return 0


def _parser() -> argparse.ArgumentParser:
    # The flags; the help names every file the demo writes.
    parser = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train a 2-16-16-1 MLP on two-moons and plot it: the loss and accuracy "
        "curve and the decision boundary, as PNG files.",
    )
    parser.add_argument(
        "--out",
        default="out",
        metavar="DIR",
        help=f"folder for the files {' and '.join(OUTPUTS)} (created if missing; default: ./out)",
    )
    parser.add_argument("--epochs", type=int, default=40, help="training epochs (40)")
    parser.add_argument("--samples", type=int, default=200, help="two-moons points (200)")
    parser.add_argument("--noise", type=float, default=0.1, help="two-moons noise (0.1)")
    parser.add_argument("--batch-size", type=int, default=20, help="mini-batch size (20)")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (0.01)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, init and batches")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--compile",
        action="store_true",
        help="train the model compiled to straight-line Python (the same numbers, faster)",
    )
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    # Every flag is checked before any work, so a typo never throws a finished training away.
    if not math.isfinite(args.lr) or args.lr <= 0:
        parser.error(f"--lr must be a finite number > 0, got {args.lr!r}")
    if not math.isfinite(args.noise) or args.noise < 0:
        parser.error(f"--noise must be a finite number >= 0, got {args.noise!r}")
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    if args.samples < 2:
        parser.error(f"--samples must be >= 2, got {args.samples}")
    if args.batch_size < 1:
        parser.error(f"--batch-size must be >= 1, got {args.batch_size}")
    problem = _writable_dir_problem(args.out)
    if problem:
        parser.error(f"--out {args.out!r} {problem}")


if __name__ == "__main__":
    sys.exit(main())
