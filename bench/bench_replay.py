"""Replay benchmark, run on demand: python bench/bench_replay.py [--steps 500] [--out DIR]

The issue's figures for a learner's run: 500 full-batch steps of Adam on an MLP 2-16-16-1
(ReLU, sigmoid output, binary cross-entropy) on 100 two-moons points, with 40 validation
points, recorded at every step with the default traced examples:

1. recording overhead: ``fit`` without and with ``record=True``, timed side by side
   (CPU time of this process, ``gc.freeze()`` after imports; the two take turns in
   ``--rounds`` rounds of ``--chunk`` epochs each on fresh models, medians of the per-round
   ratios);
2. the page's size in bytes (target: at most 5 MB);
3. in headless Chromium (1400 x 900): time from navigation to the page ready (its numbers
   decoded and step shown; target 2 s), and the time to move one step (the median of 50
   ``next`` steps and of 20 scrubs to random steps, each until the browser has drawn the
   frame, and of 50 ``next`` steps with a traced point's backward pass open in the
   player's view; target 50 ms).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from nn import MLP
from nn.data import make_moons
from nn.losses import binary_cross_entropy
from nn.optim import Adam
from nn.train import fit


def setup():
    X, y = make_moons(100, noise=0.1, seed=0)
    Xv, yv = make_moons(40, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="sigmoid", seed=0)
    return model, X, y, (Xv, yv)


def run(epochs: int, record: bool):
    model, X, y, val = setup()
    start = time.process_time()
    history = fit(
        model,
        X,
        y,
        binary_cross_entropy,
        Adam(model.parameters(), lr=0.01),
        epochs,
        progress=False,
        validation=val,
        record=record,
    )
    return time.process_time() - start, history


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    gc.freeze()

    ratios, plain_times, rec_times = [], [], []
    for _ in range(args.rounds):
        t0, _ = run(args.chunk, False)
        t1, _ = run(args.chunk, True)
        plain_times.append(t0 / args.chunk)
        rec_times.append(t1 / args.chunk)
        ratios.append(t1 / t0)
    print(f"fit step, plain:     {1000 * statistics.median(plain_times):7.1f} ms")
    print(f"fit step, recording: {1000 * statistics.median(rec_times):7.1f} ms")
    print(
        f"recording overhead:  {100 * (statistics.median(ratios) - 1):+6.1f} % "
        f"(median of {args.rounds} rounds; target <= 30 %)"
    )

    t, history = run(args.steps, True)
    start = time.perf_counter()
    replay = history.replay()
    out = args.out or Path(tempfile.mkdtemp())
    path = replay.save(out / "replay_bench.html")
    print(
        f"{args.steps} recorded steps: fit {t:.1f} s CPU, replay page built in "
        f"{time.perf_counter() - start:.2f} s"
    )
    size = path.stat().st_size
    print(f"page size:           {size / 1e6:7.2f} MB (target <= 5 MB)")
    browser_figures(path, args.steps)


def browser_figures(path: Path, steps: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        opens = []
        for _ in range(3):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            page.goto(path.resolve().as_uri())
            page.wait_for_selector('.rp[data-ready="1"]', timeout=60000)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
            opens.append(time.perf_counter() - start)
            page.close()
        print(f"open (to ready):     {statistics.median(opens):7.2f} s (median of 3; target 2 s)")
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(path.resolve().as_uri() + "#step=0")
        page.wait_for_selector('.rp[data-ready="1"]', timeout=60000)
        times = page.evaluate(
            """async (n) => {
              const next = document.querySelector('[data-action=next]');
              const scrub = document.querySelector('[data-role=scrub]');
              const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
              const out = {next: [], scrub: []};
              for (let i = 0; i < 50; i++) {
                const t = performance.now(); next.click(); await frame();
                out.next.push(performance.now() - t);
              }
              for (let i = 0; i < 20; i++) {
                const t = performance.now();
                scrub.value = String(Math.floor(Math.random() * n));
                scrub.dispatchEvent(new Event('input')); await frame();
                out.scrub.push(performance.now() - t);
              }
              return out;
            }""",
            steps,
        )
        # The same with a traced point's backward pass open (the player's view is fed the
        # example's numbers at every step).
        page.select_option("[data-role=example-select]", index=1)
        opened = page.evaluate(
            """async (n) => {
              const next = document.querySelector('.rp-controls [data-action=next]');
              const scrub = document.querySelector('[data-role=scrub]');
              const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
              scrub.value = "0"; scrub.dispatchEvent(new Event('input')); await frame();
              const out = [];
              for (let i = 0; i < 50; i++) {
                const t = performance.now(); next.click(); await frame();
                out.push(performance.now() - t);
              }
              return out;
            }""",
            steps,
        )
        times["next, example open"] = opened
        for name in ("next", "scrub", "next, example open"):
            print(
                f"move one step ({name}): {statistics.median(times[name]):6.1f} ms median, "
                f"max {max(times[name]):.1f} ms (target < 50 ms)"
            )
        browser.close()


if __name__ == "__main__":
    main()
