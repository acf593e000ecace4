"""Small seeded data sets (two-moons, XOR, linear regression) and a mini-batch sampler.

Everything is plain Python lists (``X`` is a list of rows, ``y`` a list of labels
or targets) and every function takes a ``seed`` for its own ``random.Random``:
the global random state is never used, so the same seed gives the same data.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from autograd_engine.validation import (
    check_int,
    check_real,
    is_real,
    seeded,
    sequence_of_reals,
    show,
)

__all__ = ["make_moons", "make_xor", "make_linear_regression", "minibatches", "train_test_split"]


MAX_SAMPLES = 10**8
"""The largest data set or batch these functions make (beyond it the lists would not fit
in memory: a caller asking for more gets a ValueError at once, not a hang)."""


def _count(n: object, name: str, minimum: int = 1) -> int:
    owner, _, argument = name.partition(": ")
    return check_int(owner, argument, n, min=minimum, max=MAX_SAMPLES)


def _noise(noise: object, name: str) -> float:
    return check_real(name, "noise", noise, min=0.0)


def _seed(seed: object, owner: str) -> random.Random:
    return seeded(owner, seed)


def _finite(owner: str, X: list[list[float]], y: Sequence[float], what: str) -> None:
    # Large but finite noise or weights can still overflow a coordinate to inf.
    if not all(math.isfinite(v) for row in X for v in row) or not all(math.isfinite(v) for v in y):
        raise ValueError(f"{owner}: {what} is so large that the data overflow to inf")


def _linspace(n: int) -> list[float]:
    # n evenly spaced angles from 0 to pi inclusive (one point -> 0).
    return [math.pi * k / (n - 1) if n > 1 else 0.0 for k in range(n)]


def make_moons(
    n_samples: int = 100, noise: float = 0.0, seed: int | None = 0
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as ``sklearn.datasets.make_moons`` (shuffled).

    Class 0 (``n_samples // 2`` points, as sklearn) lies on the upper arc
    (cos t, sin t), class 1 on the lower arc (1 - cos t, 0.5 - sin t), with t evenly
    spaced over [0, pi]; Gaussian noise of standard deviation ``noise`` is then added
    to each coordinate, and the points are shuffled. Returns ``(X, y)``: ``X`` a list
    of [x0, x1], ``y`` labels in {0, 1} (use ``[2*t - 1 for t in y]`` for hinge loss).
    """
    n = _count(n_samples, "make_moons: n_samples", 2)
    noise = _noise(noise, "make_moons")
    rng = _seed(seed, "make_moons")
    n_outer = n // 2
    n_inner = n - n // 2
    points = [([math.cos(t), math.sin(t)], 0) for t in _linspace(n_outer)]
    points += [([1.0 - math.cos(t), 0.5 - math.sin(t)], 1) for t in _linspace(n_inner)]
    rng.shuffle(points)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for (a, b), _ in points]
    y = [label for _, label in points]
    _finite("make_moons", X, y, "noise")
    return X, y


def make_xor(
    n_samples: int = 4, noise: float = 0.0, seed: int | None = 0
) -> tuple[list[list[float]], list[int]]:
    """XOR: point i is corner i % 4 of (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, plus noise.

    With the defaults this is the four-row truth table of XOR, in that order;
    ``noise`` adds Gaussian noise (standard deviation ``noise``) to each coordinate.
    The label is x0 XOR x1 of the corner. Returns ``(X, y)`` with labels in {0, 1}.
    """
    n = _count(n_samples, "make_xor: n_samples")
    noise = _noise(noise, "make_xor")
    rng = _seed(seed, "make_xor")
    corners = [((0.0, 0.0), 0), ((0.0, 1.0), 1), ((1.0, 0.0), 1), ((1.0, 1.0), 0)]
    X, y = [], []
    for i in range(n):
        (a, b), label = corners[i % 4]
        X.append([a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] if noise else [a, b])
        y.append(label)
    _finite("make_xor", X, y, "noise")
    return X, y


def make_linear_regression(
    n_samples: int = 100,
    weights: Sequence[float] = (2.0,),
    bias: float = 1.0,
    noise: float = 0.0,
    seed: int | None = 0,
) -> tuple[list[list[float]], list[float]]:
    """y = sum_j weights_j x_j + bias + noise, with x_j ~ uniform(-1, 1).

    ``noise`` is the standard deviation of Gaussian noise added to each target.
    Returns ``(X, y)``: ``X`` a list of rows of ``len(weights)`` features.
    """
    n = _count(n_samples, "make_linear_regression: n_samples")
    noise = _noise(noise, "make_linear_regression")
    weights = sequence_of_reals("make_linear_regression", "weights", weights, min_len=1)
    bias = check_real("make_linear_regression", "bias", bias)
    rng = _seed(seed, "make_linear_regression")
    X, y = [], []
    for _ in range(n):
        row = [rng.uniform(-1.0, 1.0) for _ in weights]
        target = sum(w * x for w, x in zip(weights, row, strict=True)) + bias
        X.append(row)
        y.append(target + rng.gauss(0.0, noise) if noise else target)
    _finite("make_linear_regression", X, y, "noise or a weight")
    return X, y


def minibatches(
    n: int, batch_size: int | None, rng: random.Random | int | None = 0
) -> Iterator[list[int]]:
    """One epoch of mini-batches: lists of indices into a data set of ``n`` examples.

    The indices 0..n-1 are shuffled with ``rng`` (a ``random.Random``, or a seed for
    a new one) and cut into consecutive batches of ``batch_size`` (the last may be
    smaller): sampling without replacement, so every index appears exactly once
    per epoch. Pass the same ``random.Random`` every epoch to get a fresh order each
    time. ``batch_size=None`` (or >= n) gives one full batch, in order 0..n-1.
    """
    n = _count(n, "minibatches: n")  # checked now, not at the first next()
    if batch_size is not None:
        batch_size = _count(batch_size, "minibatches: batch_size")
    if not isinstance(rng, random.Random):
        rng = _seed(rng, "minibatches")
    if batch_size is None or batch_size >= n:
        return iter([list(range(n))])
    order = list(range(n))
    rng.shuffle(order)
    return iter([order[start : start + batch_size] for start in range(0, n, batch_size)])


def train_test_split(
    X: Sequence[Any], y: Sequence[Any], test_size: float | int = 0.25, seed: int | None = 0
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Shuffle (X, y) and split it: returns ``X_train, X_test, y_train, y_test``, as scikit-learn.

    ``test_size`` is a fraction in (0, 1), giving ``n_test = ceil(test_size * n)``
    examples, or an int count in [1, n-1]; ``n_train = n - n_test`` (scikit-learn's
    ``train_test_split`` rounds the same way). The order is a permutation of
    0..n-1 from ``random.Random(seed)``: the first ``n_test`` indices form the test
    set, the rest the training set, so the same seed gives the same split. The
    inputs are not changed: the results are new lists (rows that are lists are
    copied).
    """
    owner = "train_test_split"
    for name, data in (("X", X), ("y", y)):
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise TypeError(f"{owner}: {name} must be a list, got {type(data).__name__}")
    if len(X) != len(y):
        raise ValueError(f"{owner}: X and y differ in length ({len(X)} vs {len(y)})")
    n = len(X)
    if n < 2:
        raise ValueError(f"{owner}: needs at least 2 examples to split, got {n}")
    if not is_real(test_size):
        raise TypeError(
            f"{owner}: test_size must be a float in (0, 1) or an int in [1, {n - 1}], "
            f"got {show(test_size)}"
        )
    if isinstance(test_size, int):
        n_test = check_int(owner, "test_size", test_size, min=1, max=n - 1)
    else:
        fraction = float(test_size)
        if not 0.0 < fraction < 1.0:  # also rejects nan
            raise ValueError(f"{owner}: test_size must be a float in (0, 1), got {test_size!r}")
        n_test = math.ceil(fraction * n)
        if n_test >= n:
            raise ValueError(
                f"{owner}: test_size={test_size!r} of {n} examples leaves no training example "
                f"(n_test = ceil({test_size!r} * {n}) = {n_test})"
            )
    order = list(range(n))
    seeded(owner, seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]

    def take(data: Sequence[Any], indices: list[int]) -> list[Any]:
        return [list(data[i]) if isinstance(data[i], list) else data[i] for i in indices]

    return take(X, train), take(X, test), take(y, train), take(y, test)
