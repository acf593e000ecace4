"""Player benchmark, run on demand: python bench/bench_player.py [--points N] [--out DIR]

The issue's scale: ``player(loss)`` for an MLP 2-16-16-1 (tanh) on 100 two-moons points,
the mean squared error of a whole batch, opened at the network level with the op level of
example 0 embedded. Measured:

1. build: wall time of ``player(loss, params=...)`` in Python (Graphviz lays out one
   drawing per neuron for the embedded example), median of 3; target <= 10 s;
2. size of ``html()`` in bytes; target <= 3 MB;
3. first paint in headless Chromium (1400x900, from file://): the page's
   ``first-contentful-paint`` entry and the time until the player's script has run
   (``data-ready`` and step 0 shown), both from navigation start; target <= 2 s;
4. step time: every step of the network level (and of one neuron's op level), each timed
   in the page from the key event to a forced layout of the changed drawing
   (``getBoundingClientRect``), median and max; target < 50 ms per step.

``gc.freeze()`` runs after the imports. Wall times (the browser is another process).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd_engine import player, topological_order  # noqa: E402
from nn import MLP  # noqa: E402
from nn.data import make_moons  # noqa: E402
from nn.losses import mse_loss  # noqa: E402

CHROMIUM = "/usr/bin/chromium"

_STEPS_JS = """async () => {
  const times = [];
  const root = document.querySelector('.agp');
  const n = parseInt(document.querySelector('[data-role="step"]').textContent.split(' / ')[1]);
  for (let k = 0; k < n; k++) {
    const t0 = performance.now();
    root.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
    document.querySelector('[data-current="true"]')?.getBoundingClientRect();
    document.body.getBoundingClientRect();
    times.push(performance.now() - t0);
  }
  return times;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None, help="keep the page in this folder")
    args = parser.parse_args()
    xs, ys = make_moons(n_samples=args.points, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], activation="tanh", seed=2)
    loss = mse_loss([model(x) for x in xs], [float(y) for y in ys])
    gc.freeze()
    print(f"MLP 2-16-16-1, {args.points} points: {len(topological_order(loss))} values")
    builds = []
    for _ in range(3):
        start = time.perf_counter()
        page = player(loss, params=model.parameters())
        builds.append(time.perf_counter() - start)
    print(
        f"build: median {statistics.median(builds):.2f} s  (runs: "
        + ", ".join(f"{b:.2f}" for b in builds)
        + ")  target <= 10 s"
    )
    text = page.html()
    print(f"html: {len(text.encode()):,} bytes ({len(text.encode()) / 1e6:.2f} MB)  target <= 3 MB")
    print(f"steps: {page.steps} at the network level")
    folder = args.out or Path(tempfile.mkdtemp())
    path = page.save(folder / "bench_player.html")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        paints, readies = [], []
        for _ in range(3):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            tab = context.new_page()
            tab.goto(path.resolve().as_uri())
            tab.wait_for_selector('.agp[data-ready="1"]')
            fcp = tab.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
            )
            ready = tab.evaluate(
                "new Promise(r => requestAnimationFrame(() => r(performance.now())))"
            )
            paints.append(fcp)
            readies.append(ready)
            context.close()
        print(
            f"first paint: median {statistics.median(paints):.0f} ms; script done and "
            f"painted: median {statistics.median(readies):.0f} ms  target <= 2000 ms"
        )
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        tab.goto(path.resolve().as_uri())
        times = tab.evaluate(_STEPS_JS)
        print(
            f"network level, {len(times)} steps: median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms  target < 50 ms"
        )
        tab.keyboard.press("Home")
        tab.click('[data-label="L1.n0"] [data-action="expand"]')
        times = tab.evaluate(_STEPS_JS)
        print(
            f"op level of L1.n0 on example 0, {len(times)} steps: median "
            f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms  target < 50 ms"
        )
        context.close()
        browser.close()


if __name__ == "__main__":
    main()
