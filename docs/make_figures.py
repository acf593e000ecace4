"""Regenerate the pictures of README.md and docs/pictures.md: ``python docs/make_figures.py``.

Needs Graphviz's dot.

- ``mlp_2_2_1_full.svg``: the full backward view of an MLP 2-2-1's squared error on one
  example (every node, each neuron boxed by its label prefix);
- ``mlp_2_16_16_1_collapsed.svg``: the collapsed backward view of an MLP 2-16-16-1's
  squared error on one example (one node per neuron);
- ``player.png``: the backprop player at the network level, mid-sweep, for an MLP 2-8-8-1
  (tanh) on 4 two-moons points (headless Chromium at 1400x900, through Playwright; skipped
  with a message if Playwright or Chromium is missing).
"""

from __future__ import annotations

import re
from pathlib import Path

from autograd_engine import Value, draw_dot, player, save_svg
from nn import MLP
from nn.data import make_moons
from nn.losses import mse_loss

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
    screenshot_player(HERE / "player.png")


PLAYER_STEP = 33
"""The step of the screenshot: the sweep has done the loss, the examples, L2 and part of L1."""


def screenshot_player(path: Path, chromium: str = "/usr/bin/chromium") -> None:
    """The network level of an MLP 2-8-8-1 on 4 two-moons points at step ``PLAYER_STEP``."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped player.png: Playwright is not installed (pip install playwright)")
        return
    if not Path(chromium).exists():
        print(f"skipped player.png: no Chromium at {chromium}")
        return
    xs, ys = make_moons(n_samples=4, noise=0.1, seed=1)
    model = MLP(2, [8, 8, 1], activation="tanh", seed=2)
    loss = mse_loss([model(x) for x in xs], [float(y) for y in ys])
    page = player(loss, params=model.parameters(), title="MLP 2-8-8-1 on 4 two-moons points")
    html = page.save(path.with_suffix(".html"))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            context = browser.new_context(
                viewport={"width": 1400, "height": 900}, reduced_motion="reduce"
            )
            tab = context.new_page()
            tab.goto(f"{html.resolve().as_uri()}#step={PLAYER_STEP}")
            tab.wait_for_selector('.agp[data-ready="1"]')
            tab.screenshot(path=str(path))
            browser.close()
    finally:
        html.unlink()
    print(f"wrote {path} (1400x900, step {PLAYER_STEP} of {page.steps})")


if __name__ == "__main__":
    main()
