"""Regenerate the README's pictures: ``python docs/make_figures.py`` (needs Graphviz's dot).

- ``mlp_2_2_1_full.svg``: the full backward view of an MLP 2-2-1's squared error on one
  example (every node, each neuron boxed by its label prefix);
- ``mlp_2_16_16_1_collapsed.svg``: the collapsed backward view of an MLP 2-16-16-1's
  squared error on one example (one node per neuron).
"""

from __future__ import annotations

import re
from pathlib import Path

from autograd_engine import Value, draw_dot, save_svg
from nn import MLP

HERE = Path(__file__).resolve().parent


def loss_of(model: MLP) -> Value:
    """(model(x) - y)^2 at x = (0.5, -1), y = 1, inputs and target labelled."""
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    loss = (model(x) - Value(1.0, label="y")) ** 2
    loss.label = "loss"
    return loss


def main() -> None:
    """Write both SVGs beside this script and print their widths."""
    small = MLP(2, [2, 1], activation="tanh", seed=0)
    big = MLP(2, [16, 16, 1], activation="relu", seed=0)
    figures = {
        "mlp_2_2_1_full.svg": draw_dot(loss_of(small), backward=True, params=small.parameters()),
        "mlp_2_16_16_1_collapsed.svg": draw_dot(
            loss_of(big), backward=True, params=big.parameters(), collapse=True
        ),
    }
    for name, drawing in figures.items():
        path = save_svg(drawing, HERE / name)
        width = re.search(r'width="([\d.]+)pt"', path.read_text(encoding="utf-8")).group(1)
        print(f"wrote {path} ({width}pt wide)")


if __name__ == "__main__":
    main()
