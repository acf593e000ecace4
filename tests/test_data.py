"""Data sets and the mini-batch sampler: shapes, balance, determinism, geometry, coverage."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.data import make_linear_regression, make_moons, make_xor, minibatches


@pytest.mark.parametrize("n", [2, 3, 100, 101])
def test_moons_shape_and_balance(n):
    """make_moons gives n rows of 2 floats, labels 0/1 with floor(n/2) zeros, as sklearn."""
    X, y = make_moons(n, noise=0.1, seed=3)
    assert len(X) == len(y) == n
    assert all(len(row) == 2 and all(isinstance(v, float) for v in row) for row in X)
    assert sorted(set(y)) == [0, 1]
    assert y.count(0) == n // 2 and y.count(1) == n - n // 2


def test_moons_lie_on_their_arcs_without_noise():
    """With noise=0 class 0 is on the unit upper half circle, class 1 on its shifted mirror."""
    X, y = make_moons(51, noise=0.0, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # (cos t, sin t), t in [0, pi]
            assert math.hypot(a, b) == pytest.approx(1.0, abs=1e-12)
            assert b >= -1e-12
        else:  # (1 - cos t, 0.5 - sin t)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0, abs=1e-12)
            assert b <= 0.5 + 1e-12
    # The arcs' end points (t = 0 and t = pi) are there.
    rounded = {(round(a, 9), round(b, 9)) for a, b in X}
    assert {(1.0, 0.0), (-1.0, 0.0), (0.0, 0.5), (2.0, 0.5)} <= rounded


def test_moons_noise_has_the_requested_spread():
    """With noise=s the offsets from the noiseless points have standard deviation close to s."""
    clean, y0 = make_moons(2000, noise=0.0, seed=4)
    noisy, y1 = make_moons(2000, noise=0.2, seed=4)
    assert y0 == y1  # same seed, same shuffle: the noise is drawn after it
    offsets = [n[k] - c[k] for n, c in zip(noisy, clean, strict=True) for k in (0, 1)]
    assert statistics.fmean(offsets) == pytest.approx(0.0, abs=0.02)
    assert statistics.pstdev(offsets) == pytest.approx(0.2, rel=0.05)


def test_moons_are_deterministic_and_ignore_global_random_state():
    """The same seed gives the same data whatever the global state; another seed differs."""
    random.seed(0)
    a = make_moons(50, noise=0.1, seed=7)
    random.seed(1)
    b = make_moons(50, noise=0.1, seed=7)
    assert a == b
    assert a != make_moons(50, noise=0.1, seed=8)


def test_moons_are_shuffled():
    """Labels are not in blocks: both classes occur among the first ten examples."""
    _, y = make_moons(100, seed=0)
    assert set(y[:10]) == {0, 1}


def test_xor_truth_table():
    """By default make_xor is the truth table of XOR."""
    X, y = make_xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [0, 1, 1, 0]


def test_xor_noisy_points_stay_near_their_corner():
    """With noise each point is its corner (i % 4) plus small noise, with the corner's label."""
    X, y = make_xor(40, noise=0.05, seed=1)
    corners = [(0, 0), (0, 1), (1, 0), (1, 1)]
    for i, ((a, b), label) in enumerate(zip(X, y, strict=True)):
        ca, cb = corners[i % 4]
        assert label == (ca ^ cb)
        assert abs(a - ca) < 0.4 and abs(b - cb) < 0.4
    assert X != make_xor(40, noise=0.0)[0]
    assert make_xor(40, noise=0.05, seed=1) == (X, y)


def test_linear_regression_is_exact_without_noise():
    """Without noise y = w . x + b exactly, with features in [-1, 1]."""
    X, y = make_linear_regression(30, weights=(2.0, -3.0), bias=0.5, seed=2)
    assert len(X) == len(y) == 30 and all(len(row) == 2 for row in X)
    assert all(-1.0 <= v <= 1.0 for row in X for v in row)
    for (a, b), t in zip(X, y, strict=True):
        assert t == pytest.approx(2.0 * a - 3.0 * b + 0.5, abs=1e-15)


def test_linear_regression_noise_and_seed():
    """Noise shifts targets by a spread close to the requested one; the seed fixes the data."""
    X, y = make_linear_regression(2000, weights=(1.0,), bias=0.0, noise=0.3, seed=5)
    residuals = [t - row[0] for row, t in zip(X, y, strict=True)]
    assert statistics.pstdev(residuals) == pytest.approx(0.3, rel=0.05)
    assert make_linear_regression(2000, weights=(1.0,), bias=0.0, noise=0.3, seed=5) == (X, y)


@given(n=st.integers(1, 200), batch_size=st.integers(1, 250), seed=st.integers(0, 10**6))
def test_minibatches_cover_every_index_exactly_once(n, batch_size, seed):
    """One epoch's batches partition 0..n-1, each of batch_size except possibly the last."""
    batches = list(minibatches(n, batch_size, seed))
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(n))
    assert all(len(b) == min(batch_size, n) for b in batches[:-1])
    assert 1 <= len(batches[-1]) <= batch_size
    assert len(batches) == math.ceil(n / min(batch_size, n))


def test_minibatches_full_batch_is_in_order():
    """batch_size=None (or >= n) gives one batch 0..n-1."""
    assert list(minibatches(5, None)) == [[0, 1, 2, 3, 4]]
    assert list(minibatches(5, 9)) == [[0, 1, 2, 3, 4]]


def test_minibatches_are_seeded_and_reshuffle_each_epoch():
    """The same seed gives the same batches; a shared Random gives a new order each epoch."""
    assert list(minibatches(20, 4, 3)) == list(minibatches(20, 4, 3))
    rng = random.Random(3)
    first = list(minibatches(20, 4, rng))
    second = list(minibatches(20, 4, rng))
    assert first == list(minibatches(20, 4, 3))
    assert first != second and sorted(sum(second, [])) == list(range(20))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_moons(1), "n_samples"),
        (lambda: make_moons(10, noise=-0.1), "noise"),
        (lambda: make_moons(10, noise=float("nan")), "noise"),
        (lambda: make_xor(0), "n_samples"),
        (lambda: make_linear_regression(10, weights=()), "weights"),
        (lambda: make_linear_regression(10, bias=float("inf")), "finite"),
        (lambda: minibatches(0, 1), "n"),
        (lambda: minibatches(10, 0), "batch_size"),
    ],
)
def test_bad_arguments_raise(call, message):
    """Bad sizes, noise or weights raise ValueError naming the argument, at call time."""
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: minibatches(10, 2.5), r"^minibatches: batch_size must be an int"),
        (lambda: minibatches(10, True), r"^minibatches: batch_size must be an int"),
        (lambda: minibatches(10, 2, rng=1.5), r"^minibatches: seed"),
        (lambda: make_moons("10"), r"^make_moons: n_samples"),
        (lambda: make_moons(10, noise="0.1"), r"^make_moons: noise"),
        (lambda: make_moons(10, seed=[1]), r"^make_moons: seed"),
        (lambda: make_linear_regression(10, weights="12"), r"^make_linear_regression: weights"),
        (lambda: make_linear_regression(10, weights=[True]), r"weights\[0\].*bool"),
        (lambda: make_linear_regression(10, weights=2.0), r"^make_linear_regression: weights"),
        (lambda: make_linear_regression(10, weights=[[1.0]]), r"weights\[0\]"),
        (lambda: make_linear_regression(10, bias="1"), r"^make_linear_regression: bias"),
    ],
)
def test_wrong_types_are_type_errors(call, message):
    """A str, bool, float count or nested list is a TypeError naming function and argument."""
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_linear_regression(10, weights=[10**400]), r"weights\[0\] must be finite"),
        (lambda: make_moons(10, noise=10**400), "make_moons: noise must be finite"),
        (lambda: make_xor(-3), "make_xor: n_samples must be an int >= 1"),
    ],
)
def test_huge_and_negative_numbers_are_value_errors(call, message):
    """10**400 or a negative size: ValueError naming function and argument, no OverflowError."""
    with pytest.raises(ValueError, match=message):
        call()
