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


EDGE = math.exp(-100.0)  # log(p) = -100 here; below it the log is clamped


@pytest.mark.parametrize(
    ("p", "clamped"),
    [
        (math.nextafter(EDGE, 0.0), True),
        (EDGE, False),
        (math.nextafter(EDGE, 1.0), False),
        (1e-30, False),
    ],
)
def test_bce_clamp_edge_on_both_sides(p, clamped):
    """-log p with t = 1: 100 with no gradient once log p < -100, else d/dp = -1/p."""
    v = Value(p)
    loss = binary_cross_entropy([v], [1.0])
    loss.backward()
    assert loss.data == pytest.approx(min(-math.log(p), 100.0), rel=1e-15)
    assert v.grad == (0.0 if clamped else pytest.approx(-1.0 / p, rel=1e-12))


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
        (lambda: cross_entropy([[1.0, 2.0], [1.0]], [0, 0]), "has 1 classes"),
        (lambda: cross_entropy([[]], [0]), "non-empty list"),
        (lambda: cross_entropy([], []), "at least one"),
        (lambda: softmax([]), "non-empty list"),
        (lambda: hinge_loss([1.0], [0]), r"labels\[0\] = 0 must be \+1 or -1"),
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


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cross_entropy([[1.0, 2.0]], [0.0]), r"cross_entropy: target_indices\[0\]"),
        (lambda: cross_entropy([[1.0, 2.0]], [True]), r"target_indices\[0\].*bool"),
        (lambda: cross_entropy([1.0], [0]), r"cross_entropy: logits\[0\]"),
        (lambda: hinge_loss([1.0], [True]), r"hinge_loss: labels\[0\]"),
        (lambda: mse_loss(5, 5), "mse_loss: preds must be a list"),
        (lambda: mse_loss("ab", "cd"), "mse_loss: preds must be a list"),
        (lambda: mse_loss(Value(1.0), [1.0]), "mse_loss: preds must be a list"),
        (lambda: mse_loss([[1.0]], [1.0]), r"mse_loss: preds\[0\]"),
        (lambda: mse_loss([None], [1.0]), r"mse_loss: preds\[0\]"),
        (lambda: binary_cross_entropy(None, [1.0]), "binary_cross_entropy: probs"),
        (lambda: softmax(3.0), "softmax: logits"),
        (lambda: softmax(["a"]), r"softmax: logits\[0\]"),
    ],
)
def test_wrong_types_are_type_errors_naming_loss_and_argument(call, message):
    """A wrong type (bool label, float index, a number for a list) is a TypeError naming both."""
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, 10**400], ids=["nan", "inf", "-inf", "1e400"]
)
def test_a_non_finite_number_names_the_loss_and_the_entry(bad):
    """A nan or inf prediction/target/logit names the loss and the entry, not just "Value"."""
    with pytest.raises(ValueError, match=r"^mse_loss: preds\[1\] must be finite"):
        mse_loss([1.0, bad], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^mse_loss: targets\[0\]"):
        mse_loss([1.0], [bad])
    with pytest.raises(ValueError, match=r"^cross_entropy: logits\[0\]\[1\]"):
        cross_entropy([[1.0, bad]], [0])
    with pytest.raises(ValueError, match=r"^binary_cross_entropy: targets\[0\]"):
        binary_cross_entropy([0.5], [bad])
    with pytest.raises(ValueError, match=r"^hinge_loss: scores\[0\]"):
        hinge_loss([bad], [1])


# -- any finite logits: exact values and gradients ----------------------------------------


@pytest.mark.parametrize("big", [1.0, 1e3, 1e6, 1e12, 1e17, 1e300, 1.7976931348623157e308])
@pytest.mark.parametrize("classes", [2, 3, 7])
def test_equal_logits_give_log_c_and_uniform_gradient(big, classes):
    """C equal logits, however large: loss = log C exactly, d/dz_j = 1/C - [j == y]."""
    for sign in (1.0, -1.0):
        z = values([sign * big] * classes)
        loss = cross_entropy([z], [1])
        loss.backward()
        assert loss.data == pytest.approx(math.log(classes), rel=1e-15)
        want = [1.0 / classes - (j == 1) for j in range(classes)]
        assert grads(z) == pytest.approx(want, rel=1e-15, abs=1e-16)


@pytest.mark.parametrize("big", [1e3, 1e6, 1e12, 1e17, 1e300])
def test_two_logits_closed_form(big):
    """Logits (b + d, b): loss for target 1 is log(1 + e^d) = softplus(d), any offset b."""
    for d in (0.0, 0.5, -3.0, 20.0):
        z = values([big + d, big])
        d_exact = z[0].data - z[1].data  # what the floats really hold
        loss = cross_entropy([z], [1])
        loss.backward()
        softplus = max(d_exact, 0.0) + math.log1p(math.exp(-abs(d_exact)))
        assert loss.data == pytest.approx(softplus, rel=1e-14)
        p = 1.0 / (1.0 + math.exp(-d_exact))  # softmax of the first class
        assert grads(z) == pytest.approx([p, -p], rel=1e-13, abs=1e-300)


def test_logits_of_opposite_extreme_signs_do_not_overflow():
    """softmax(1e308, -1e308) = (1, 0) and cross_entropy is 0 for the top class, grads (0, 0)."""
    z = values([1e308, -1e308])
    s = softmax(z)
    assert [v.data for v in s] == [1.0, 0.0]
    s[0].backward()
    assert grads(z) == [0.0, 0.0]
    z = values([1e308, -1e308])
    loss = cross_entropy([z], [0])
    loss.backward()
    assert loss.data == 0.0
    assert grads(z) == [0.0, 0.0]
    # A loss beyond the float range is an OverflowError saying so (torch returns inf).
    with pytest.raises(OverflowError, match="cross_entropy: the loss of row 0"):
        cross_entropy([[1e308, -1e308]], [1])


def _magnitude_rows(rng, big, n, c):
    rows = []
    for _ in range(n):
        kind = rng.randrange(3)
        if kind == 0:  # random signs at one magnitude
            row = [rng.choice([-1.0, 1.0]) * big * rng.uniform(0.5, 1.0) for _ in range(c)]
        elif kind == 1:  # a mixture of magnitudes
            row = [rng.choice([-1.0, 1.0]) * rng.choice([1.0, 1e3, big]) for _ in range(c)]
        else:  # close to each other at a large offset: the hard case for rounding
            base = rng.choice([-1.0, 1.0]) * big
            row = [base + rng.uniform(-3, 3) * max(1.0, abs(base) * 2**-50) for _ in range(c)]
        rows.append(row)
    return rows


@pytest.mark.parametrize("big", [1.0, 1e3, 1e6, 1e12, 1e17, 1e300])
@pytest.mark.parametrize("seed", range(4))
def test_cross_entropy_and_softmax_match_torch_at_any_magnitude(big, seed):
    """Values and every logit's gradient agree with torch (float64) at magnitudes 1 to 1e300."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = random.Random(seed)
    n, c = rng.randint(1, 4), rng.randint(2, 5)
    rows = _magnitude_rows(rng, big, n, c)
    tz = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    targets = []
    for row in rows:  # a target no more than 1e300 below its row's max keeps the loss finite
        top = max(row)
        targets.append(rng.choice([j for j, v in enumerate(row) if top - v < 1e300]))
    want = F.cross_entropy(tz, torch.tensor(targets))
    want.backward()
    z = [values(r) for r in rows]
    loss = cross_entropy(z, targets)
    loss.backward()
    assert loss.data == pytest.approx(want.item(), rel=1e-12, abs=1e-300)
    got = [v.grad for row in z for v in row]
    assert got == pytest.approx(tz.grad.flatten().tolist(), rel=1e-12, abs=1e-15)

    row = rows[0]
    tr = torch.tensor(row, dtype=torch.float64, requires_grad=True)
    weights = [rng.uniform(-1, 1) for _ in row]
    (torch.softmax(tr, 0) * torch.tensor(weights, dtype=torch.float64)).sum().backward()
    zr = values(row)
    s = softmax(zr)
    assert [v.data for v in s] == pytest.approx(torch.softmax(tr, 0).tolist(), rel=1e-12, abs=0)
    Value.sum([si * w for si, w in zip(s, weights, strict=True)]).backward()
    assert grads(zr) == pytest.approx(tr.grad.tolist(), rel=1e-12, abs=1e-15)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    """d/dz_ij = (softmax(z_i)_j - [j == y_i]) / n, checked against the closed form."""
    rng = random.Random(7)
    rows = [[rng.uniform(-1e6, 1e6) * 1e-5 for _ in range(4)] for _ in range(3)]
    targets = [0, 3, 2]
    z = [values(r) for r in rows]
    cross_entropy(z, targets).backward()
    for row, zs, y in zip(rows, z, targets, strict=True):
        m = max(row)
        e = [math.exp(v - m) for v in row]
        total = math.fsum(e)
        want = [(ej / total - (j == y)) / 3 for j, ej in enumerate(e)]
        assert grads(zs) == pytest.approx(want, rel=1e-12, abs=1e-17)


def test_bce_counts_tiny_probabilities_exactly():
    """-log(1 - p) for p = 1e-20 is 1e-20 (log1p), not 0: the rounding of 1 - p is undone."""
    p = Value(1e-20)
    loss = binary_cross_entropy([p], [0.0])
    loss.backward()
    # abs=0: pytest's default abs=1e-12 would let 0.0 pass for 1e-20.
    assert loss.data == pytest.approx(1e-20, rel=1e-15, abs=0.0)
    assert p.grad == pytest.approx(1.0, rel=1e-15)  # d/dp -log(1-p) = 1/(1-p)
    for q in (1e-300, 1e-17, 0.3, 0.5, 0.75, 1 - 1e-12):
        loss = binary_cross_entropy([q], [0.0])
        assert loss.data == pytest.approx(-math.log1p(-q), rel=1e-15, abs=0.0)


@pytest.mark.parametrize("seed", range(3))
def test_bce_matches_torch_near_the_edges(seed):
    """Probabilities near 0 and 1 with soft targets: value and gradient agree with torch."""
    torch = pytest.importorskip("torch")
    rng = random.Random(seed)
    ps = [rng.choice([1e-30, 1e-12, 1e-6, 0.5, 1 - 1e-6, 1 - 1e-12]) for _ in range(6)]
    ts = [rng.choice([0.0, 0.25, 1.0]) for _ in range(6)]
    tp = torch.tensor(ps, dtype=torch.float64, requires_grad=True)
    want = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(ts, dtype=torch.float64))
    p = values(ps)
    loss = binary_cross_entropy(p, ts)
    assert loss.data == pytest.approx(want.item(), rel=1e-12)


def test_mean_of_huge_terms_does_not_overflow():
    """Two losses of 1e308 have mean 1e308: the sum alone would overflow, so terms scale first."""
    loss = mse_loss([Value(1e154), Value(1e154)], [0.0, 0.0])
    assert loss.data == pytest.approx(1e308, rel=1e-15)


def test_mse_beyond_the_float_range_says_so():
    """A squared error beyond 1.8e308 is an OverflowError naming mse_loss and the entry."""
    with pytest.raises(OverflowError, match=r"^mse_loss: the squared error of entry 1"):
        mse_loss([0.0, 1e200], [0.0, -1e200])


# -- boundaries and branches found by mutation testing (docs/mutation.md) -------------------


def test_bce_at_exactly_e_to_the_minus_100_is_inside_the_clamp_as_torch_clamp():
    """log p is clamped to >= -100; at p = e^-100 exactly torch.clamp(log p, min=-100) passes
    the gradient (the boundary belongs inside): d/dp -log p = -1/p. Just below, the loss is
    the constant 100 and the gradient 0."""
    tiny = math.exp(-100.0)
    p = Value(tiny)
    loss = binary_cross_entropy([p], [1.0])
    loss.backward()
    assert loss.data == 100.0
    assert p.grad == -1.0 / tiny
    below = Value(math.nextafter(tiny, 0.0))
    loss = binary_cross_entropy([below], [1.0])
    loss.backward()
    assert loss.data == 100.0 and below.grad == 0.0


def test_bce_log_one_minus_p_is_log1p_even_where_1_minus_p_rounds_down():
    """The term for target 0 is -log1p(-p), exactly, also where the rounded 1 - p makes
    log(1 - p) smaller than log1p(-p) (the correction is added in both directions)."""
    rng = random.Random(3)
    found = 0
    for _ in range(2000):
        p = rng.uniform(0.01, 0.49)
        if math.log1p(-p) > math.log(1.0 - p):
            found += 1
            assert binary_cross_entropy([Value(p)], [0.0]).data == -math.log1p(-p)
    assert found > 10  # the case is reached, not only the rounding-up one


@pytest.mark.parametrize("t", [-0.5, -1e-300, 1.5, math.nextafter(1.0, 2.0)])
def test_bce_refuses_a_target_outside_0_1_on_either_side(t):
    p = Value(0.5)
    with pytest.raises(ValueError, match=r"targets\[0\] = .* is not in \[0, 1\]"):
        binary_cross_entropy([p], [t])
    assert p.grad == 0.0


@pytest.mark.parametrize("row", [Value(1.0), 2.5])
def test_cross_entropy_names_a_scalar_row_as_not_a_list_of_logits(row):
    with pytest.raises(TypeError, match=r"cross_entropy: logits\[0\] must be a non-empty list"):
        cross_entropy([row], [0])


@pytest.mark.parametrize("lengths", [(3, 4), (4, 3)])
def test_cross_entropy_refuses_rows_of_different_lengths_either_way(lengths):
    rows = [[Value(0.1 * j) for j in range(n)] for n in lengths]
    first, second = lengths
    message = rf"logits\[1\] has {second} classes, logits\[0\] has {first}"
    with pytest.raises(ValueError, match=message):
        cross_entropy(rows, [0, 0])


def test_cross_entropy_with_many_classes_matches_the_hand_formula():
    """300 classes (beyond the small ints Python caches): loss = log(sum_j e^z_j) - z_y,
    with every row of the same length accepted."""
    rows = [[Value(math.sin(j + 7 * i)) for j in range(300)] for i in range(2)]
    loss = cross_entropy(rows, [5, 299])
    want = (
        sum(
            math.log(math.fsum(math.exp(z.data) for z in row)) - row[y].data
            for row, y in zip(rows, [5, 299])
        )
        / 2
    )
    assert loss.data == pytest.approx(want, rel=1e-14, abs=0.0)


def test_l1_and_l2_penalties_default_to_weight_one():
    """l1 = sum |p|, l2 = sum p^2 when no weight is given (hand sums)."""
    from nn.losses import l1_penalty, l2_penalty

    ps = values([0.5, -2.0, 3.0])
    assert l1_penalty(ps).data == 5.5
    assert l2_penalty(ps).data == 13.25


def test_a_batch_of_300_is_accepted_and_averaged():
    """Lengths beyond Python's small-int cache compare by value: mse of 300 unit errors is 1."""
    preds = values([1.0] * 300)
    assert mse_loss(preds, [0.0] * 300).data == 1.0


@pytest.mark.parametrize("y", [3, 4, 7, -1])
def test_cross_entropy_refuses_a_class_index_past_either_end(y):
    rows = [values([0.1, 0.2, 0.3])]
    message = rf"target_indices\[0\] = {y} is not a class index in 0\.\.2$"
    with pytest.raises(ValueError, match=message):
        cross_entropy(rows, [y])


@pytest.mark.parametrize(("t", "logs"), [(1.0, 1), (0.0, 1), (0.5, 2), (0.75, 2)])
def test_bce_leaves_out_the_log_term_whose_weight_is_zero(t, logs):
    """-[t log p + (1 - t) log(1 - p)]: a target of 1 has no log(1 - p) node, a target of 0
    no log(p) node; any other target both."""
    from autograd_engine import topological_order

    loss = binary_cross_entropy([Value(0.3)], [t])
    assert [str(n.op) for n in topological_order(loss) if n.op].count("log") == logs


# -- how each loss counts accuracy -------------------------------------------------------


def test_each_built_in_loss_declares_its_accuracy_rule():
    """Probabilities vs 0/1 targets, scores vs +1/-1 labels, logits vs class indices;
    mse is a regression loss (no accuracy)."""
    from nn.losses import ARGMAX, SIGN, THRESHOLD, classes_of

    assert classes_of(binary_cross_entropy) is THRESHOLD
    assert classes_of(hinge_loss) is SIGN
    assert classes_of(cross_entropy) is ARGMAX
    assert classes_of(mse_loss) is None


@pytest.mark.parametrize(
    ("rule", "pred", "target", "right"),
    [
        ("THRESHOLD", 0.5, 1, True),  # p >= 0.5 is class 1, the boundary included
        ("THRESHOLD", math.nextafter(0.5, 0.0), 1, False),
        ("THRESHOLD", 0.2, 1, False),
        ("THRESHOLD", 0.2, 0, True),
        ("THRESHOLD", 0.9, 0.7, True),  # a soft target is class 1 from 0.5 on
        ("THRESHOLD", 0.9, 0.3, False),
        ("SIGN", 0.3, 1, True),
        ("SIGN", 0.5, -1, False),
        ("SIGN", 0.0, -1, True),  # a score of 0 is not above the boundary: class -1
        ("SIGN", 0.0, 1, False),
        ("SIGN", -0.5, -1, True),
        ("SIGN", -0.5, -1.0, True),  # labels compared by value
        ("SIGN", -0.5, 1, False),
        ("ARGMAX", [0.1, 0.7, 0.7], 1, True),  # the first of ties, as torch.argmax
        ("ARGMAX", [0.1, 0.7, 0.7], 2, False),
        ("ARGMAX", [2.0, -1.0, 0.5], 0, True),
    ],
)
def test_accuracy_rules_by_hand(rule, pred, target, right):
    import nn.losses

    assert getattr(nn.losses, rule).correct(pred, target) is right


@pytest.mark.parametrize("params", ["wb", 3.0, Value(1.0)])
def test_penalties_refuse_a_string_a_number_or_a_single_value_as_params(params):
    from nn.losses import l1_penalty, l2_penalty

    for penalty in (l1_penalty, l2_penalty):
        with pytest.raises(TypeError, match="params must be a list of Values"):
            penalty(params)


def test_each_rules_boundary_is_where_its_class_changes():
    """THRESHOLD's boundary 0.5 is class 1 and the float below it class 0; SIGN's boundary
    0 is class -1 and the float above it class +1 (the replay draws these edges)."""
    from nn.losses import SIGN, THRESHOLD

    edge = THRESHOLD.boundary
    assert THRESHOLD.predict(edge) == 1 and THRESHOLD.predict(math.nextafter(edge, 0.0)) == 0
    edge = SIGN.boundary
    assert SIGN.predict(edge) == -1 and SIGN.predict(math.nextafter(edge, 1.0)) == 1


@pytest.mark.parametrize("p", [0.5, 0.25, 0.75])
def test_bce_adds_no_correction_node_where_log_1_minus_p_is_exact(p):
    """Where log(1 - p) already equals log1p(-p) (1 - p exact), log(1 - p) feeds the weight
    (1 - t) directly: no "+ 0.0" correction node between them."""
    from autograd_engine import topological_order

    assert math.log(1.0 - p) == math.log1p(-p)
    order = topological_order(binary_cross_entropy([Value(p)], [0.0]))
    (log_node,) = [n for n in order if str(n.op) == "log"]
    users = [n for n in order if any(q is log_node for q in n.parents)]
    assert [str(n.op) for n in users] == ["mul"]


def test_accuracy_rules_cannot_be_changed_in_place():
    """THRESHOLD and friends are shared by every loss that declares them: frozen."""
    import dataclasses

    from nn.losses import THRESHOLD

    with pytest.raises(dataclasses.FrozenInstanceError):
        THRESHOLD.boundary = 0.7  # type: ignore[misc]
    assert THRESHOLD.boundary == 0.5


def test_softmax_names_its_one_row_as_logits_without_an_index():
    with pytest.raises(TypeError, match=r"^softmax: logits must be a non-empty list of logits"):
        softmax(3.0)
