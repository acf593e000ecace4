"""Engine benchmark, run on demand: python bench/bench_engine.py

Measures side by side, in one run:
1. one training step (forward, backward, SGD update) of an MLP 2-16-16-1 (ReLU) on 100
   two-moons points with micrograd's max-margin loss (mean relu(1 - y*score) + 1e-4 * sum p^2):
   - autograd_engine, each neuron one fused ``Value.dot`` node (how ``nn.Neuron`` computes),
   - autograd_engine on micrograd's exact graph (binary + and * only),
   - micrograd 0.1.0 (``pip install micrograd``), same weights and data,
   - the same step written by hand with plain floats (the floor for pure Python);
   all four start from the same weights and must give the same loss and gradients;
2. bytes per node of a 100,000-node chain (tracemalloc);
3. the longest chain that differentiates (tried up to 1,000,000 nodes).

Times are the median of several repeats (time.perf_counter); ratios are of medians. The step
is timed twice: with Python's cyclic garbage collector on (the default, what users get) and
paused. micrograd's closures form reference cycles (``out._backward`` refers to ``out``), so
its graphs are freed only by the cycle collector, whose passes dominate its step; the
engine's nodes hold no closures, so its graphs are freed by reference counting.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc

from autograd_engine import Value

SIZES = [2, 16, 16, 1]


def two_moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[float]]:
    """n points on two interleaved half circles, labels +1 / -1."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), 1.0
        else:
            x, y, label = 1.0 - math.cos(t), 0.5 - math.sin(t), -1.0
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(label)
    return xs, ys


def init_weights(seed: int) -> list[list[list[float]]]:
    """weights[layer][neuron] = [w_1..w_nin, b], uniform(-1, 1) weights, zero bias."""
    rng = random.Random(seed)
    return [
        [[rng.uniform(-1, 1) for _ in range(nin)] + [0.0] for _ in range(nout)]
        for nin, nout in zip(SIZES, SIZES[1:])
    ]


# -- autograd_engine -------------------------------------------------------------


class EngineMLP:
    """The benchmark MLP on autograd_engine Values (fused dot, or micrograd's chain)."""

    def __init__(self, weights: list[list[list[float]]], fused: bool) -> None:
        self.layers = [[[Value(w) for w in neuron] for neuron in layer] for layer in weights]
        self.fused = fused

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for neuron in layer for p in neuron]

    def __call__(self, x: list) -> Value:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = []
            for neuron in layer:
                w, b = neuron[:-1], neuron[-1]
                if self.fused:
                    act = Value.dot(w, x) + b
                else:
                    act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act if i == last else act.relu())
            x = out
        return x[0]


def engine_step(model, X, y, lr: float) -> float:
    scores = [model([Value(a), Value(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    params = model.parameters()
    if model.fused:
        data_loss = Value.sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * Value.sum([p * p for p in params])
    else:
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
    total = data_loss + reg_loss
    for p in params:
        p.grad = 0.0
    total.backward()
    for p in params:
        p.data -= lr * p.grad
    return total.data


# -- micrograd -------------------------------------------------------------------


def micrograd_model(weights):
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP

    model = MLP(SIZES[0], SIZES[1:])
    for layer, wl in zip(model.layers, weights):
        for neuron, wn in zip(layer.neurons, wl):
            neuron.w = [MValue(w) for w in wn[:-1]]
            neuron.b = MValue(wn[-1])
    return model


def micrograd_step(model, X, y, lr: float) -> float:
    from micrograd.engine import Value as MValue

    scores = [model([MValue(a), MValue(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


# -- plain floats, by hand -------------------------------------------------------


def floats_step(weights, X, y, lr: float) -> float:
    """Forward, backward and update of the same network with hand-written derivatives."""
    n = len(X)
    grads = [[[0.0] * len(neuron) for neuron in layer] for layer in weights]
    total = 0.0
    last = len(weights) - 1
    for xi, yi in zip(X, y):
        acts = [xi]  # activations per layer (inputs first)
        pres = []
        for li, layer in enumerate(weights):
            a = acts[-1]
            pre = [sum(w * v for w, v in zip(neuron, a)) + neuron[-1] for neuron in layer]
            pres.append(pre)
            acts.append(pre if li == last else [z if z > 0 else 0.0 for z in pre])
        margin = 1.0 - yi * acts[-1][0]
        if margin <= 0:
            continue
        total += margin
        delta = [-yi / n]  # d loss / d score
        for li in range(last, -1, -1):
            layer, a, pre = weights[li], acts[li], pres[li]
            if li != last:
                delta = [d if z > 0 else 0.0 for d, z in zip(delta, pre)]
            gl = grads[li]
            for j, d in enumerate(delta):
                gj = gl[j]
                for k, v in enumerate(a):
                    gj[k] += d * v
                gj[-1] += d
            if li:
                delta = [
                    sum(layer[j][k] * delta[j] for j in range(len(delta))) for k in range(len(a))
                ]
    total = total / n
    reg = 0.0
    for layer, gl in zip(weights, grads):
        for neuron, gn in zip(layer, gl):
            for k, w in enumerate(neuron):
                reg += w * w
                gn[k] += 2e-4 * w
                neuron[k] = w - lr * gn[k]
    return total + 1e-4 * reg


# -- measurement -----------------------------------------------------------------


def median_time(fn, repeats: int, cyclic_gc: bool = True) -> float:
    """Median wall time of ``fn()``; with ``cyclic_gc=False`` the cycle collector is paused."""
    times = []
    for _ in range(repeats):
        gc.collect()
        if not cyclic_gc:
            gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return statistics.median(times)


def bench_step(repeats: int) -> None:
    X, y = two_moons(100, 0.1, seed=1)
    weights = init_weights(seed=0)
    lr = 0.0  # keep the weights fixed so every repeat does the same work

    fused = EngineMLP(weights, fused=True)
    chain = EngineMLP(weights, fused=False)
    losses = {"engine, fused dot": engine_step(fused, X, y, lr)}
    losses["engine, micrograd's graph"] = engine_step(chain, X, y, lr)
    have_micrograd = True
    try:
        mg = micrograd_model(weights)
        losses["micrograd 0.1.0"] = micrograd_step(mg, X, y, lr)
    except ImportError:
        have_micrograd = False
    floats_w = [[list(n) for n in layer] for layer in weights]
    losses["plain floats by hand"] = floats_step(floats_w, X, y, lr)
    ref = losses["plain floats by hand"]
    for name, loss in losses.items():
        assert math.isclose(loss, ref, rel_tol=1e-12), (name, loss, ref)
    # gradients agree too (fused engine vs micrograd's graph on the engine)
    for p, q in zip(fused.parameters(), chain.parameters()):
        assert math.isclose(p.grad, q.grad, rel_tol=1e-9, abs_tol=1e-12), (p.grad, q.grad)

    runs = {
        "engine, fused dot": lambda: engine_step(fused, X, y, lr),
        "engine, micrograd's graph": lambda: engine_step(chain, X, y, lr),
    }
    if have_micrograd:
        runs["micrograd 0.1.0"] = lambda: micrograd_step(mg, X, y, lr)
    runs["plain floats by hand"] = lambda: floats_step(floats_w, X, y, lr)
    for cyclic_gc in (True, False):
        times = {name: median_time(fn, repeats, cyclic_gc) for name, fn in runs.items()}
        print(
            f"one training step, MLP 2-16-16-1, 100 points (loss {ref:.6f}, median of "
            f"{repeats}), cyclic garbage collector {'on (the default)' if cyclic_gc else 'paused'}:"
        )
        base = times.get("micrograd 0.1.0")
        floor = times["plain floats by hand"]
        for name, t in times.items():
            vs_mg = f"{base / t:6.1f}x faster than micrograd" if base else ""
            print(f"  {name:28s} {t * 1e3:8.2f} ms  {t / floor:5.1f}x the float floor  {vs_mg}")


def bench_memory(n: int = 100_000) -> None:
    gc.collect()
    tracemalloc.start()
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y.tanh()
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"memory: {used / n:.1f} bytes per node ({n:,}-node tanh chain, tracemalloc)")
    del x, y


def bench_longest_chain(limit: int = 1_000_000) -> None:
    n = 1000
    longest = 0
    while n <= limit:
        x = Value(0.5)
        y = x
        for _ in range(n):
            y = y * 1.0
        try:
            y.backward()
            ok = x.grad == 1.0
        except RecursionError:
            ok = False
        del y
        if not ok:
            break
        longest = n
        n *= 10
    print(f"longest chain differentiated: {longest:,} nodes (tried up to {limit:,})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}")
    bench_step(args.repeats)
    bench_memory()
    bench_longest_chain()


if __name__ == "__main__":
    main()
