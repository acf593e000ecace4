"""Engine benchmark, run on demand: python bench/bench_engine.py [--big]

Everything is measured side by side in one run, so the ratios compare like with like:

1. one training step (forward, backward, SGD update) of an MLP 2-16-16-1 (ReLU) on 100
   two-moons points with micrograd's max-margin loss (mean relu(1 - y*score) + 1e-4 * sum p^2):
   - autograd_engine with its own network: each neuron one fused ``Value.dot`` node, as
     ``nn.Neuron`` computes,
   - autograd_engine on micrograd's exact graph (``+ * relu`` only, node for node),
   - micrograd 0.1.0 with its own ``MLP`` (the ``bench`` extra),
   - PyTorch on float64 0-dim tensors, the same binary graph (skipped if torch is absent),
   - the same step written by hand with plain floats (the floor for pure Python);
   every variant starts from the same weights and must give the same loss and gradients;
2. backward time per node, ours against micrograd's, on a wide sum of products (a balanced
   tree of ``+`` over ``a_i * b_i``) and on the chain ``y = y*1.0001 + 0.0001``;
3. bytes per op node of that chain (tracemalloc, its constants included: bare floats here,
   leaf Values in micrograd);
4. the chain differentiated in a fresh process (``chain_memory.py``, which imports neither
   torch nor micrograd), with its peak resident memory (1,000,000 op nodes; ``--big`` adds
   10,000,000).

How: ``gc.freeze()`` runs after every import, so no engine's collector passes walk another
library's objects (or its own modules); the cyclic collector stays on, as users run. Each
variant runs its repeats back to back, as a training loop does (so it also pays for freeing
its previous step's graph); the step is timed a second time with an untimed ``gc.collect()``
before each run (the issue's method, which spares micrograd freeing its cyclic graphs). The
variants take turns in rounds so that changes in machine load hit all of them alike. Times
are CPU times of this process (time.process_time, so a busy machine's waiting is left out)
and medians; ratios are of medians. Backward is timed on
a graph built untimed, with only that engine's graph alive; micrograd sorts its graph
recursively, so the recursion limit is raised around its ``backward`` calls only, and restored.
``--profile`` prints where the engine's time goes (cProfile) instead.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

from autograd_engine import Value

try:
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MicroMLP
except ImportError:  # the bench extra is not installed: its columns are skipped
    MValue = MicroMLP = None
try:
    import torch
except ImportError:  # PyTorch is optional: its column is skipped
    torch = None

# Everything imported so far (our modules, micrograd's, torch's) is moved out of the cycle
# collector's sight, so each engine's collector passes walk only the objects it makes.
gc.freeze()

SIZES = [2, 16, 16, 1]
CHAIN_MUL, CHAIN_ADD = 1.0001, 0.0001


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


# -- the training step, one function per engine ------------------------------------
# Each step function returns (loss, gradients in parameter order) and applies SGD.


class EngineMLP:
    """The benchmark MLP on autograd_engine Values (fused dot, or micrograd's binary graph).

    ``V`` is the engine's Value class: ours, or a baseline's (``--baseline``).
    """

    def __init__(self, weights: list[list[list[float]]], fused: bool, V=Value) -> None:
        self.V = V
        self.layers = [[[V(w) for w in neuron] for neuron in layer] for layer in weights]
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
                    act = self.V.dot(w, x) + b
                else:
                    act = sum((wi * xi for wi, xi in zip(w, x)), b)
                out.append(act if i == last else act.relu())
            x = out
        return x[0]


def engine_step(model: EngineMLP, X, y, lr: float) -> tuple[float, list[float]]:
    V = model.V
    scores = [model([V(a), V(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    params = model.parameters()
    if model.fused:
        data_loss = V.sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * V.sum([p * p for p in params])
    else:
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
    total = data_loss + reg_loss
    for p in params:
        p.grad = 0.0
    total.backward()
    grads = [p.grad for p in params]
    for p in params:
        p.data -= lr * p.grad
    return total.data, grads


def micrograd_model(weights):
    model = MicroMLP(SIZES[0], SIZES[1:])
    for layer, wl in zip(model.layers, weights):
        for neuron, wn in zip(layer.neurons, wl):
            neuron.w = [MValue(w) for w in wn[:-1]]
            neuron.b = MValue(wn[-1])
    return model


def micrograd_step(model, X, y, lr: float) -> tuple[float, list[float]]:
    scores = [model([MValue(a), MValue(b)]) for a, b in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    grads = [p.grad for p in model.parameters()]
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data, grads


def torch_model(weights):
    def t(w):
        return torch.tensor(w, dtype=torch.float64, requires_grad=True)

    return [[[t(w) for w in neuron] for neuron in layer] for layer in weights]


def torch_step(layers, X, y, lr: float) -> tuple[float, list[float]]:
    """micrograd's graph on float64 0-dim tensors: one autograd node per scalar op."""
    params = [p for layer in layers for neuron in layer for p in neuron]
    scores = []
    for a, b in X:
        x = [torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)]
        for i, layer in enumerate(layers):
            out = []
            for neuron in layer:
                act = sum((wi * xi for wi, xi in zip(neuron[:-1], x)), neuron[-1])
                out.append(act if i == len(layers) - 1 else act.relu())
            x = out
        scores.append(x[0])
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in params)
    total = data_loss + reg_loss
    for p in params:
        p.grad = None
    total.backward()
    grads = [p.grad.item() for p in params]
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return total.item(), grads


def floats_step(weights, X, y, lr: float) -> tuple[float, list[float]]:
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
    flat = []
    for layer, gl in zip(weights, grads):
        for neuron, gn in zip(layer, gl):
            for k, w in enumerate(neuron):
                reg += w * w
                gn[k] += 2e-4 * w
                flat.append(gn[k])
                neuron[k] = w - lr * gn[k]
    return total + 1e-4 * reg, flat


# -- code written the way learners write it: a character-level GPT on scalar Values ------


class SlotsValue:
    """The 30-line engine of the popular 200-line GPT scripts: local derivatives stored at build."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data, self.grad = data, 0
        self._children, self._local_grads = children, local_grads

    def __add__(self, other):
        other = other if isinstance(other, SlotsValue) else SlotsValue(other)
        return SlotsValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, SlotsValue) else SlotsValue(other)
        return SlotsValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k):
        return SlotsValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self):
        return SlotsValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        return SlotsValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):
        return SlotsValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def backward(self):
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad


VOCAB, N_EMBD, N_HEAD, BLOCK = 27, 16, 4, 8
HEAD_DIM = N_EMBD // N_HEAD


def gpt_params(V, seed: int = 0) -> dict[str, list[list]]:
    """The weights of a one-layer character-level GPT, as matrices of ``V``."""
    rng = random.Random(seed)

    def matrix(nout: int, nin: int) -> list[list]:
        return [[V(rng.gauss(0, 0.08)) for _ in range(nin)] for _ in range(nout)]

    shapes = {
        "wte": (VOCAB, N_EMBD),
        "wpe": (BLOCK, N_EMBD),
        "wq": (N_EMBD, N_EMBD),
        "wk": (N_EMBD, N_EMBD),
        "wv": (N_EMBD, N_EMBD),
        "wo": (N_EMBD, N_EMBD),
        "fc1": (4 * N_EMBD, N_EMBD),
        "fc2": (N_EMBD, 4 * N_EMBD),
        "lm_head": (VOCAB, N_EMBD),
    }
    return {name: matrix(*shape) for name, shape in shapes.items()}


def linear(x, w):
    return [sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]


def softmax(logits):
    m = max(v.data for v in logits)
    exps = [(v - m).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x):
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def gpt(token: int, pos: int, keys: list, values: list, p: dict) -> list:
    """Logits for the next character, as the 200-line scripts write it: scalars throughout."""
    x = rmsnorm([t + q for t, q in zip(p["wte"][token], p["wpe"][pos])])
    x_res = x
    x = rmsnorm(x)
    q, k, v = linear(x, p["wq"]), linear(x, p["wk"]), linear(x, p["wv"])
    keys.append(k)
    values.append(v)
    heads = []
    for h in range(N_HEAD):
        hs = h * HEAD_DIM
        q_h = q[hs : hs + HEAD_DIM]
        k_h = [ki[hs : hs + HEAD_DIM] for ki in keys]
        v_h = [vi[hs : hs + HEAD_DIM] for vi in values]
        logits = [sum(q_h[j] * k_t[j] for j in range(HEAD_DIM)) / HEAD_DIM**0.5 for k_t in k_h]
        weights = softmax(logits)
        heads.extend(sum(weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(HEAD_DIM))
    x = [a + b for a, b in zip(linear(heads, p["wo"]), x_res)]
    x_res = x
    hidden = [h.relu() for h in linear(rmsnorm(x), p["fc1"])]
    x = [a + b for a, b in zip(linear(hidden, p["fc2"]), x_res)]
    return linear(x, p["lm_head"])


def gpt_step(p: dict, doc: list[int]) -> float:
    """Mean next-character loss of one document, built and backpropagated; grads zeroed."""
    keys, values, losses = [], [], []
    n = min(BLOCK, len(doc) - 1)
    for pos in range(n):
        probs = softmax(gpt(doc[pos], pos, keys, values, p))
        losses.append(-probs[doc[pos + 1]].log())
    loss = (1 / n) * sum(losses)
    loss.backward()
    for matrix in p.values():
        for row in matrix:
            for w in row:
                w.grad = 0.0
    return loss.data


def bench_learner(repeats: int, engines: dict[str, type]) -> None:
    doc = [0, 5, 13, 13, 1, 0, 8, 1, 0]  # ".emma.ha." as indices, BOS = 0
    params = {name: gpt_params(V) for name, V in engines.items()}
    losses = {name: gpt_step(params[name], doc) for name in engines}
    first = next(iter(losses.values()))
    assert all(close(v, first) for v in losses.values()), losses
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))  # SlotsValue sorts its graph recursively
    try:
        runs = {name: partial(gpt_step, params[name], doc) for name in engines}
        times = timed_rounds(runs, repeats)
    finally:
        sys.setrecursionlimit(limit)
    print(
        f"code as learners write it: one step (build + backward) of a 1-layer char GPT on "
        f"scalar Values ({len(doc) - 1} positions, n_embd {N_EMBD}, {N_HEAD} heads; "
        f"+ * ** exp log relu and sum over generators; loss {first:.6f} in every engine):"
    )
    base = times["30-line __slots__ Value"]
    for name, t in times.items():
        print(f"  {name:28s} {t * 1e3:8.2f} ms  {base / t:5.2f}x the 30-line Value's speed")


# -- measurement -----------------------------------------------------------------


def timed_rounds(
    runs: dict[str, Callable[[], object]], repeats: int, rounds: int = 3, collect: bool = False
):
    """Median time per variant; each round runs every variant ``repeats`` times back to back.

    With ``collect`` an untimed ``gc.collect()`` precedes every run, so no run pays for
    freeing an earlier one's garbage (how the issue's figures were taken).
    """
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            gc.collect()  # start each block without the previous variant's garbage
            for _ in range(repeats):
                if collect:
                    gc.collect()
                t0 = time.process_time()
                fn()
                times[name].append(time.process_time() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def close(a: float, b: float) -> bool:
    # Different engines sum in different orders, so they agree to rounding, not bit for bit.
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def load_baseline(path: str) -> type:
    """Another copy of the engine (an older commit's ``autograd_engine`` folder, say),
    imported under the name ``baseline_engine`` so that both run in this process."""
    import importlib
    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp()) / "baseline_engine"
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for f in copy.rglob("*.py"):  # subpackages too (core/, pictures/, ...)
        f.write_text(f.read_text().replace("autograd_engine", "baseline_engine"))
    sys.path.insert(0, str(copy.parent))
    baseline = importlib.import_module("baseline_engine")
    gc.freeze()
    return baseline.Value


BASELINE = None  # the baseline engine's Value class, set by --baseline


def bench_step(repeats: int) -> None:
    X, y = two_moons(100, 0.1, seed=1)
    weights = init_weights(seed=0)
    lr = 0.0  # keep the weights fixed so every repeat does the same work
    fused, binary = EngineMLP(weights, fused=True), EngineMLP(weights, fused=False)
    floats_w = [[list(n) for n in layer] for layer in weights]
    runs = {
        "engine, own network (dot)": lambda: engine_step(fused, X, y, lr),
        "engine, + * relu only": lambda: engine_step(binary, X, y, lr),
    }
    if BASELINE is not None:
        b_fused = EngineMLP(weights, fused=True, V=BASELINE)
        b_binary = EngineMLP(weights, fused=False, V=BASELINE)
        runs["baseline, own network (dot)"] = lambda: engine_step(b_fused, X, y, lr)
        runs["baseline, + * relu only"] = lambda: engine_step(b_binary, X, y, lr)
    if MValue is not None:
        mg = micrograd_model(weights)
        runs["micrograd 0.1.0"] = lambda: micrograd_step(mg, X, y, lr)
    if torch is not None:
        tm = torch_model(weights)
        runs[f"torch {torch.__version__.split('+')[0]} scalars"] = lambda: torch_step(tm, X, y, lr)
    runs["plain floats by hand"] = lambda: floats_step(floats_w, X, y, lr)

    ref_loss, ref_grads = floats_step(floats_w, X, y, lr)
    for name, fn in runs.items():
        loss, grads = fn()
        assert close(loss, ref_loss), (name, loss, ref_loss)
        assert len(grads) == len(ref_grads), name
        assert all(close(g, r) for g, r in zip(grads, ref_grads)), name

    print(
        f"one training step, MLP 2-16-16-1, 100 points (loss {ref_loss:.6f}, same loss and "
        f"gradients in every variant; CPU time, median of {3 * repeats}):"
    )
    for collect, how in (
        (False, "steps back to back, as a training loop runs (the headline)"),
        (True, "an untimed gc.collect() before each step (no step frees an earlier one's graph)"),
    ):
        times = timed_rounds(runs, repeats, collect=collect)
        print(f" {how}:")
        base = times.get("micrograd 0.1.0")
        floor = times["plain floats by hand"]
        for name, t in times.items():
            vs_mg = f"{base / t:6.1f}x micrograd's speed" if base else ""
            print(f"  {name:28s} {t * 1e3:8.2f} ms  {t / floor:5.1f}x the float floor  {vs_mg}")
        for kind in ("own network (dot)", "+ * relu only"):
            if f"baseline, {kind}" in times:
                ratio = times[f"baseline, {kind}"] / times[f"engine, {kind}"]
                print(f"  {kind}: engine {ratio:5.3f}x the baseline's speed")


# -- graphs for backward and memory ----------------------------------------------


def wide(cls, n: int, seed: int = 2):
    """sum_i a_i * b_i as a balanced tree of binary +; returns (root, leaves)."""
    rng = random.Random(seed)
    leaves = [cls(rng.uniform(-1, 1)) for _ in range(2 * n)]
    level = [a * b for a, b in zip(leaves[::2], leaves[1::2])]
    while len(level) > 1:
        pairs = [a + b for a, b in zip(level[::2], level[1::2])]
        level = pairs + level[len(pairs) * 2 :]
    return level[0], leaves


def chain(cls, steps: int):
    """y = y*1.0001 + 0.0001, ``steps`` times from x = 0.5: 2*steps op nodes; returns (y, x)."""
    x = cls(0.5)
    y = x
    for _ in range(steps):
        y = y * CHAIN_MUL + CHAIN_ADD
    return y, x


def chain_grad(steps: int) -> float:
    """dy/dx of the chain in plain floats, in the order backward multiplies: 1.0001^steps."""
    g = 1.0
    for _ in range(steps):
        g = g * CHAIN_MUL
    return g


def micrograd_backward(root) -> None:
    # micrograd sorts recursively; only its calls get the deeper limit, restored at once.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * 200_000))
    try:
        root.backward()
    finally:
        sys.setrecursionlimit(limit)


def timed_backward(build, backward, repeats: int) -> list[float]:
    """Times of ``backward(root)`` on a graph built (untimed) alone in the heap."""
    root, leaves = build()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        backward(root)
        times.append(time.process_time() - t0)
    del root, leaves
    gc.collect()  # micrograd's graph is a web of cycles: free it before the next engine runs
    return times


def bench_backward(repeats: int, n_wide: int = 1 << 15, steps: int = 20_000) -> None:
    print("backward only, CPU time per node of micrograd's graph (leaves and constants included):")
    for name, build, nodes in (
        (f"wide: sum of {n_wide:,} products", lambda c: wide(c, n_wide), 4 * n_wide - 1),
        (f"chain: {steps:,} x (y*1.0001 + 0.0001)", lambda c: chain(c, steps), 4 * steps + 1),
    ):
        # Both engines give the same gradients (checked once, graphs side by side) ...
        ours, our_leaves = build(Value)
        ours.backward()
        if MValue is not None:
            theirs, their_leaves = build(MValue)
            micrograd_backward(theirs)
            if isinstance(our_leaves, list):
                assert all(close(a.grad, b.grad) for a, b in zip(our_leaves, their_leaves)), name
            else:
                assert our_leaves.grad == their_leaves.grad == chain_grad(steps), name
            del theirs, their_leaves
        del ours, our_leaves
        gc.collect()
        # ... then each is timed with only its own graph alive, as a user's process holds it.
        engines = {"engine": (Value, Value.backward)}
        if BASELINE is not None:
            engines["baseline"] = (BASELINE, BASELINE.backward)
        if MValue is not None:
            engines["micrograd"] = (MValue, micrograd_backward)
        times: dict[str, list[float]] = {k: [] for k in engines}
        for _ in range(3):
            for k, (cls, backward) in engines.items():
                times[k] += timed_backward(partial(build, cls), backward, repeats)
        med = {k: statistics.median(ts) for k, ts in times.items()}
        shown = "   ".join(f"{k} {t / nodes * 1e6:6.3f} us" for k, t in med.items())
        ratio = f"ours {med['micrograd'] / med['engine']:4.2f}x micrograd's speed" if MValue else ""
        if BASELINE is not None:
            ratio += f"; {med['baseline'] / med['engine']:5.3f}x the baseline's"
        print(f"  {name:38s} {nodes:>7,} nodes   {shown}   {ratio}")


def bench_memory(steps: int = 100_000) -> None:
    print("memory of the chain y = y*1.0001 + 0.0001 (tracemalloc, constants included):")
    for name, cls in (("engine", Value), ("baseline", BASELINE), ("micrograd", MValue)):
        if cls is None:
            continue
        gc.collect()
        tracemalloc.start()
        y, x = chain(cls, steps)
        used, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {name:10s} {used / (2 * steps):6.1f} bytes per op node ({2 * steps:,} op nodes)")
        del y, x


def bench_big_chain(sizes: list[int]) -> None:
    print("the chain y = y*1.0001 + 0.0001 differentiated in a fresh process (its peak RSS):")
    for n in sizes:
        cmd = [sys.executable, str(Path(__file__).with_name("chain_memory.py")), str(n)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["killed"])[-1]
            print(f"  {n:>12,} op nodes: FAILED ({reason})")
            break
        rss_graph, peak, built, back = done.stdout.split()
        print(
            f"  {n:>12,} op nodes ({n:,} constants): graph built "
            f"{int(rss_graph) / 2**20:5.2f} GiB, peak during backward {int(peak) / 2**20:5.2f} GiB "
            f"(build {built} s, backward {back} s)"
        )


def profile() -> None:
    import cProfile
    import pstats

    X, y = two_moons(100, 0.1, seed=1)
    binary = EngineMLP(init_weights(seed=0), fused=False)
    root, _ = chain(Value, 100_000)
    for title, stmt, env in (
        ("binary-op step", "for _ in range(5): engine_step(binary, X, y, 0.0)", locals()),
        ("chain backward", "for _ in range(5): root.backward()", locals()),
    ):
        print(f"== cProfile: {title}")
        prof = cProfile.Profile()
        prof.runctx(stmt, globals(), env)
        pstats.Stats(prof).sort_stats("tottime").print_stats(8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per variant per round")
    parser.add_argument("--big", action="store_true", help="also differentiate a 10M-node chain")
    parser.add_argument("--profile", action="store_true", help="print cProfile tables only")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="another autograd_engine folder (e.g. of an older commit) to time side by side",
    )
    parser.add_argument("--learner", action="store_true", help="only the learner-code section")
    args = parser.parse_args()
    if args.profile:
        profile()
        return
    global BASELINE
    if args.baseline:
        BASELINE = load_baseline(args.baseline)
    print(f"Python {sys.version.split()[0]}, gc.freeze() after imports, cyclic collector on")
    engines: dict[str, type] = {"engine": Value, "30-line __slots__ Value": SlotsValue}
    if BASELINE is not None:
        engines["baseline"] = BASELINE
    if args.learner:
        bench_learner(args.repeats, engines)
        return
    bench_step(args.repeats)
    bench_backward(args.repeats)
    bench_memory()
    bench_learner(args.repeats, engines)
    bench_big_chain([1_000_000, 10_000_000] if args.big else [1_000_000])


if __name__ == "__main__":
    main()
