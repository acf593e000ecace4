"""Compiled steps against the dynamic engine and hand-written floats: python bench/bench_compiled.py

The training step of ``bench_engine.py`` (MLP 2-16-16-1, ReLU, 100 two-moons points,
micrograd's max-margin loss: mean relu(1 - y*score) + 1e-4 * sum p^2, then the SGD
update), five ways, side by side in one run (same method as ``bench_engine.py``: imports
frozen out of the collector, CPU time, medians of rounds taken in turn):

- the dynamic engine on its own network (one fused ``Value.dot`` per neuron) and on
  micrograd's binary graph (``+ * relu`` only),
- the same two networks compiled with ``autograd_engine.compiled``: the per-example loss
  as generated straight-line code (``step.mean`` over the 100 rows), the penalty as a
  second compiled step of no arguments, then the same SGD loop over the parameters,
- the step written by hand with plain floats (``bench_engine.floats_step``), the floor.

Every variant must give the same loss and gradients (to rounding: the hand-written code
sums in another order). Also reported: how long ``compiled`` takes for each network
(two traces, code generation, Python's ``compile()`` of the step and of the row loop that
``mean`` runs, the self-check against backward()).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import (  # noqa: E402  # a sibling script, found through sys.path
    EngineMLP,
    close,
    engine_step,
    floats_step,
    init_weights,
    timed_rounds,
    two_moons,
)

from autograd_engine import Value, compiled  # noqa: E402


def compile_model(model: EngineMLP, X, y):
    """(per-example loss step, penalty step) for the benchmark's loss."""
    params = model.parameters()

    def example(x: list[float], t: float) -> Value:
        return (1.0 - t * model(x)).relu()  # max-margin loss of one point

    def penalty() -> Value:
        if model.fused:
            return 1e-4 * Value.sum([p * p for p in params])
        return 1e-4 * sum(p * p for p in params)

    return compiled(example, params, X[0], y[0]), compiled(penalty, params)


def compiled_step(model: EngineMLP, steps, rows, lr: float) -> tuple[float, list[float]]:
    example, penalty = steps
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    reg = penalty()
    loss = example.mean(rows) + reg
    grads = [p.grad for p in params]
    for p in params:
        p.data -= lr * p.grad
    return loss, grads


def compile_times(model: EngineMLP, X, y, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        example, _ = compile_model(model, X, y)
        assert example._kernel.rows is not None  # the row loop, compiled on first use: counted
        times.append(time.process_time() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    X, y = two_moons(100, 0.1, seed=1)
    weights = init_weights(seed=0)
    lr = 0.0  # the weights stay fixed, so every repeat does the same work
    fused, binary = EngineMLP(weights, fused=True), EngineMLP(weights, fused=False)
    floats_w = [[list(n) for n in layer] for layer in weights]
    rows = list(zip(X, y))
    steps_fused, steps_binary = compile_model(fused, X, y), compile_model(binary, X, y)
    runs = {
        "engine, own network (dot)": lambda: engine_step(fused, X, y, lr),
        "compiled, own network (dot)": lambda: compiled_step(fused, steps_fused, rows, lr),
        "engine, + * relu only": lambda: engine_step(binary, X, y, lr),
        "compiled, + * relu only": lambda: compiled_step(binary, steps_binary, rows, lr),
        "plain floats by hand": lambda: floats_step(floats_w, X, y, lr),
    }
    ref_loss, ref_grads = floats_step(floats_w, X, y, lr)
    for name, fn in runs.items():
        loss, grads = fn()
        assert close(loss, ref_loss), (name, loss, ref_loss)
        assert all(close(g, r) for g, r in zip(grads, ref_grads, strict=True)), name
    gc.collect()
    gc.freeze()
    times = timed_rounds(runs, args.repeats)
    floor = times["plain floats by hand"]
    print(
        f"one training step, MLP 2-16-16-1, 100 points (loss {ref_loss:.6f}, same in every "
        f"variant; CPU time, median of {3 * args.repeats}, steps back to back):"
    )
    for name, t in times.items():
        print(f"  {name:30s} {t * 1e3:8.2f} ms  {t / floor:5.2f}x the float floor")
    for name, model in (("own network (dot)", fused), ("+ * relu only", binary)):
        lines = len(compile_model(model, X, y)[0].source.splitlines())
        t = compile_times(model, X, y, 5)
        print(
            f"  compiling the {name} model (loss step and penalty step): {t * 1e3:6.1f} ms "
            f"(median of 5; the loss step is {lines} lines)"
        )


if __name__ == "__main__":
    main()
