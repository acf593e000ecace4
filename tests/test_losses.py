"""Losses: values and gradients against hand derivations and PyTorch; bad input is rejected."""

from __future__ import annotations

import math
import random

import pytest

from autograd_engine import Value
from nn.losses import binary_cross_entropy, cross_entropy, hinge_loss, mse_loss, softmax


def values(xs):
    return [Value(x) for x in xs]


def grads(vs):
    return [v.grad for v in vs]


# -- recorded values (PyTorch 2.13, float64, reduction="mean"), most also derived by hand ----


def test_mse_by_hand_and_torch():
    """mse of diffs (-0.5, -1.75, 1, 0.4) is 4.4725/4; d/dp_i = 2 d_i / 4 (torch agrees)."""
    p = values([0.5, -1.25, 3.0, 0.1])
    loss = mse_loss(p, [1.0, 0.5, 2.0, -0.3])
    loss.backward()
    assert loss.data == pytest.approx(1.118125, abs=1e-15)
    assert grads(p) == pytest.approx([-0.25, -0.875, 0.5, 0.2], abs=1e-15)


def test_mse_targets_may_be_values():
    """With Value targets the gradient flows to them too: d/dt_i = -2 (p_i - t_i) / n."""
    p, t = values([1.0, 2.0]), values([0.0, 5.0])
    mse_loss(p, t).backward()
    assert grads(t) == pytest.approx([-1.0, 3.0], abs=1e-15)


def test_bce_matches_recorded_torch():
    """BCE value and gradient (p - t) / (n p (1 - p)) match torch, soft targets included."""
    p = values([0.2, 0.9, 0.6, 0.999])
    t = [0.0, 1.0, 0.3, 0.0]
    loss = binary_cross_entropy(p, t)
    loss.backward()
    assert loss.data == pytest.approx(2.0077276363489696, abs=1e-14)
    torch_grads = [0.31249999999999994, -0.2777777777777778, 0.3125, 249.99999999999974]
    assert grads(p) == pytest.approx(torch_grads, rel=1e-12)
    by_hand = [
        (pi - ti) / (4 * pi * (1 - pi)) for pi, ti in zip([0.2, 0.9, 0.6, 0.999], t, strict=True)
    ]
    assert grads(p) == pytest.approx(by_hand, rel=1e-12)


def test_bce_clamps_the_log_at_minus_100_like_torch():
    """p = 0 or 1 gives a finite loss: each wrong certain answer costs 100 (torch gives 50.0)."""
    loss = binary_cross_entropy([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0])
    assert loss.data == 50.0


def test_cross_entropy_matches_recorded_torch_with_huge_logits():
    """Cross-entropy with logits of +-1000 matches torch: no overflow, exact gradients."""
    z = [values([2.0, 1.0, 0.1]), values([0.5, 2.5, -1.0]), values([1000.0, 0.0, -1000.0])]
    loss = cross_entropy(z, [0, 2, 1])
    loss.backward()
    assert loss.data == pytest.approx(334.6900694078001, rel=1e-14)
    torch_grads = [
        [-0.1136662870380107, 0.08081099023490462, 0.03285529680310606],
        [0.03870484489138038, 0.28599227020281903, -0.32469711509419946],
        [0.3333333333333333, -0.3333333333333333, 0.0],
    ]
    for row, want in zip(z, torch_grads, strict=True):
        assert grads(row) == pytest.approx(want, abs=1e-15)


def test_cross_entropy_by_hand():
    """For logits (0, log 3) and target 0: loss = log(1 + 3) - 0, d/dz = (1/4 - 1, 3/4)."""
    z = values([0.0, math.log(3.0)])
    loss = cross_entropy([z], [0])
    loss.backward()
    assert loss.data == pytest.approx(math.log(4.0), abs=1e-15)
    assert grads(z) == pytest.approx([-0.75, 0.75], abs=1e-15)


def test_softmax_matches_recorded_torch():
    """softmax(1, 2, 3) and the gradient of a weighted sum of it match torch."""
    z = values([1.0, 2.0, 3.0])
    s = softmax(z)
    assert [v.data for v in s] == pytest.approx(
        [0.09003057317038045, 0.2447284710547976, 0.6652409557748218], abs=1e-15
    )
    (s[0] * 1.0 + s[1] * -2.0 + s[2] * 0.5).backward()
    assert grads(z) == pytest.approx(
        [0.09604514583293235, -0.47310763853503385, 0.3770624927021015], abs=1e-15
    )


def test_softmax_is_stable_for_huge_logits():
    """softmax(1000, 999, -1000) = (e/(e+1), 1/(e+1), 0) with no overflow, summing to 1."""
    s = [v.data for v in softmax([1000.0, 999.0, -1000.0])]
    e = math.e
    assert s == pytest.approx([e / (e + 1), 1 / (e + 1), 0.0], abs=1e-15)
    assert sum(s) == pytest.approx(1.0, abs=1e-15)


def test_hinge_by_hand():
    """Margins (0.5, -1, 2, -2) -> mean relu = 2.5/4; d/ds_i = -y_i/4 where the margin > 0."""
    s = values([0.5, -2.0, 1.0, 3.0])
    loss = hinge_loss(s, [1, -1, -1, 1])
    loss.backward()
    assert loss.data == 0.625
    assert grads(s) == pytest.approx([-0.25, 0.0, 0.25, 0.0], abs=1e-15)


# -- live comparison with PyTorch on random batches ---------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_all_losses_match_live_torch(seed):
    """On random batches every loss and its gradient agrees with torch to 1e-12."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = random.Random(seed)
    n = rng.randint(1, 6)

    def both(xs):
        return values(xs), torch.tensor(xs, dtype=torch.float64, requires_grad=True)

    def check(ours, ours_inputs, theirs, their_input):
        ours.backward()
        theirs.backward()
        assert ours.data == pytest.approx(theirs.item(), rel=1e-12, abs=1e-12)
        flat = [v.grad for row in ours_inputs for v in (row if isinstance(row, list) else [row])]
        assert flat == pytest.approx(their_input.grad.flatten().tolist(), rel=1e-12, abs=1e-12)

    a, ta = both([rng.uniform(-3, 3) for _ in range(n)])
    t = [rng.uniform(-3, 3) for _ in range(n)]
    check(mse_loss(a, t), a, F.mse_loss(ta, torch.tensor(t, dtype=torch.float64)), ta)

    p, tp = both([rng.uniform(0.01, 0.99) for _ in range(n)])
    t = [float(rng.randint(0, 1)) for _ in range(n)]
    check(
        binary_cross_entropy(p, t),
        p,
        F.binary_cross_entropy(tp, torch.tensor(t, dtype=torch.float64)),
        tp,
    )

    c = rng.randint(2, 5)
    rows = [[rng.uniform(-50, 50) for _ in range(c)] for _ in range(n)]
    z = [values(r) for r in rows]
    tz = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    y = [rng.randrange(c) for _ in range(n)]
    check(cross_entropy(z, y), z, F.cross_entropy(tz, torch.tensor(y)), tz)

    s, ts = both([rng.uniform(-3, 3) for _ in range(n)])
    lab = [rng.choice([1, -1]) for _ in range(n)]
    check(
        hinge_loss(s, lab),
        s,
        torch.relu(1 - torch.tensor(lab, dtype=torch.float64) * ts).mean(),
        ts,
    )


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mse_loss([1.0, 2.0], [1.0]), "differ in length"),
        (lambda: mse_loss([], []), "at least one"),
        (lambda: binary_cross_entropy([0.5], [1.0, 0.0]), "differ in length"),
        (lambda: binary_cross_entropy([], []), "at least one"),
        (lambda: binary_cross_entropy([1.5], [1.0]), r"probs\[0\] = 1.5 is not a probability"),
        (lambda: binary_cross_entropy([Value(-0.1)], [1.0]), "not a probability"),
        (lambda: binary_cross_entropy([0.5], [2.0]), r"targets\[0\] = 2.0 is not in \[0, 1\]"),
        (lambda: cross_entropy([[1.0, 2.0]], [2]), r"target_indices\[0\] = 2"),
        (lambda: cross_entropy([[1.0, 2.0]], [-1]), "not a class index"),
        (lambda: cross_entropy([[1.0, 2.0]], [0.0]), "not a class index"),
        (lambda: cross_entropy([[1.0, 2.0], [1.0]], [0, 0]), "has 1 classes"),
        (lambda: cross_entropy([[]], [0]), "non-empty list"),
        (lambda: cross_entropy([1.0], [0]), "non-empty list"),
        (lambda: cross_entropy([], []), "at least one"),
        (lambda: softmax([]), "non-empty list"),
        (lambda: hinge_loss([1.0], [0]), r"labels\[0\] = 0 must be \+1 or -1"),
        (lambda: hinge_loss([1.0], [True]), "must be"),
        (lambda: hinge_loss([1.0, 2.0], [1]), "differ in length"),
    ],
)
def test_bad_input_is_rejected(call, message):
    """Length mismatches, empty batches, out-of-range probabilities and bad labels raise."""
    with pytest.raises(ValueError, match=message):
        call()


def test_non_numeric_prediction_is_a_type_error():
    """A prediction that is neither a Value nor a number is a TypeError naming its index."""
    with pytest.raises(TypeError, match=r"preds\[1\]"):
        mse_loss([1.0, "2"], [1.0, 2.0])
