"""Generalization: dropout and train/eval modes, L1/L2 penalties, max-norm, train_test_split."""

from __future__ import annotations

import math
import random

import pytest

from autograd_engine import Value, compiled, draw_dot, topological_order
from nn import MLP, Layer, Neuron
from nn.constraints import max_norm_
from nn.data import make_moons, train_test_split
from nn.losses import l1_penalty, l2_penalty, mse_loss
from nn.module import ACTIVATIONS
from nn.optim import SGD, Adam, AdamW

# -- dropout --------------------------------------------------------------------------


def forward_by_hand(model: MLP, x: list[float], masks: list[list[bool]] | None) -> float:
    """The MLP's output on floats; masks[k][j] True drops hidden unit j of layer k."""
    p = model.dropout
    for k, layer in enumerate(model.layers):
        act = ACTIVATIONS[layer.activation]
        h = []
        for j, n in enumerate(layer.neurons):
            z = sum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data
            a = act(Value(z)).data
            if masks is not None and k < len(model.layers) - 1:
                a = 0.0 if masks[k][j] else a / (1.0 - p)
            h.append(a)
        x = h
    return x[0]


def masks_to_come(model: MLP) -> list[list[bool]]:
    """The drop decisions of the next training-mode call: u < p, drawn from a copy of the rng."""
    rng = random.Random()
    rng.setstate(model.dropout_rng.getstate())
    return [[rng.random() < model.dropout for _ in range(n)] for n in model.nouts[:-1]]


def test_dropout_does_not_change_the_initial_parameters():
    """MLP(..., dropout=p) starts from the same weights as the same MLP without dropout."""
    a = MLP(3, [5, 4, 1], activation="tanh", seed=7, dropout=0.5)
    b = MLP(3, [5, 4, 1], activation="tanh", seed=7)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_eval_mode_is_the_network_without_dropout_bit_for_bit():
    """In eval mode the output equals the dropout-free network exactly, with the same graph size."""
    a = MLP(2, [8, 8, 1], seed=3, dropout=0.5).eval()
    b = MLP(2, [8, 8, 1], seed=3)
    for x in ([0.3, -1.2], [2.0, 0.5], [-0.7, -0.1]):
        ya, yb = a(x), b(x)
        assert ya.data == yb.data
        assert len(topological_order(ya)) == len(topological_order(yb))
    # eval mode draws nothing from the dropout generator
    state = a.dropout_rng.getstate()
    a([1.0, 1.0])
    assert a.dropout_rng.getstate() == state


def test_p_zero_adds_no_node_in_training_mode():
    """dropout=0 in training mode builds exactly the graph of a plain MLP."""
    a = MLP(2, [6, 1], seed=1, dropout=0.0)
    b = MLP(2, [6, 1], seed=1)
    assert a.training
    ya, yb = a([0.5, 0.25]), b([0.5, 0.25])
    assert ya.data == yb.data
    assert len(topological_order(ya)) == len(topological_order(yb))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_training_mode_drops_the_drawn_units_and_scales_the_rest(p):
    """Each hidden unit is 0 if u < p, else h / (1 - p) (inverted dropout), u from dropout_rng."""
    model = MLP(2, [6, 5, 1], activation="tanh", seed=2, dropout=p)
    for x in ([0.3, -1.2], [1.5, 0.5], [-0.4, 0.9]):
        masks = masks_to_come(model)
        expected = forward_by_hand(model, x, masks)
        assert model(x).data == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_the_drop_rate_is_p():
    """Over 20 000 seeded draws, the fraction of dropped units is p = 0.3 within 4 sigma."""
    model = MLP(1, [100, 1], seed=0, dropout=0.3)
    dropped = 0
    for _ in range(200):
        out = model([1.0])
        dropped += sum(1 for v in topological_order(out) if v.label.endswith(".dropped"))
    sigma = math.sqrt(20_000 * 0.3 * 0.7)
    assert abs(dropped - 6000) < 4 * sigma


def test_dropout_is_reproducible_and_leaves_the_global_random_state_alone():
    """Two models with the same seed drop the same units; the global random state is untouched."""
    random.seed(123)
    before = random.getstate()
    a = MLP(2, [10, 10, 1], seed=5, dropout=0.5)
    b = MLP(2, [10, 10, 1], seed=5, dropout=0.5)
    outs_a = [a([0.1 * i, -0.2]).data for i in range(20)]
    outs_b = [b([0.1 * i, -0.2]).data for i in range(20)]
    assert outs_a == outs_b
    assert len(set(outs_a)) > 1  # different masks on different calls
    assert random.getstate() == before


def test_a_dropped_unit_passes_no_gradient():
    """Every weight that reaches the output only through a dropped unit gets gradient 0."""
    model = MLP(3, [6, 1], activation="tanh", seed=5, dropout=0.5)
    masks = masks_to_come(model)[0]
    assert any(masks) and not all(masks)  # this seed drops some units and keeps others
    out = model([0.5, -1.0, 2.0])
    out.backward()
    hidden, output = model.layers[0].neurons, model.layers[1].neurons[0]
    for j, dropped in enumerate(masks):
        grads = [w.grad for w in hidden[j].w] + [hidden[j].b.grad]
        if dropped:
            assert grads == [0.0] * 4
            assert output.w[j].grad == 0.0  # it reads 0 * h_j
        else:
            assert all(g != 0.0 for g in grads)  # tanh' > 0 and inputs nonzero
            assert output.w[j].grad != 0.0


def test_a_kept_unit_gradient_is_scaled_and_matches_finite_differences():
    """With the mask fixed, backward equals central differences, and is 1/(1-p) times eval's."""
    p = 0.4
    model = MLP(2, [5, 1], activation="tanh", seed=8, dropout=p)
    x = [0.7, -0.3]
    state = model.dropout_rng.getstate()
    masks = masks_to_come(model)[0]
    assert not all(masks)

    def f() -> float:  # the same mask every call
        model.dropout_rng.setstate(state)
        return model(x).data

    model.dropout_rng.setstate(state)
    model.zero_grad()
    model(x).backward()
    train_grads = [q.grad for q in model.parameters()]
    h = 1e-6
    for q, g in zip(model.parameters(), train_grads, strict=True):
        old = q.data
        q.data = old + h
        up = f()
        q.data = old - h
        down = f()
        q.data = old
        assert g == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)

    model.eval()
    model.zero_grad()
    model(x).backward()
    for j, dropped in enumerate(masks):
        if dropped:
            continue
        neuron = model.layers[0].neurons[j]
        for w in [*neuron.w, neuron.b]:
            index = next(i for i, q in enumerate(model.parameters()) if q is w)
            assert train_grads[index] == pytest.approx(w.grad / (1 - p), rel=1e-12)


def test_train_and_eval_switch_every_submodule_and_return_the_model():
    """train()/eval() set .training on the model, its layers and neurons, and return the model."""
    model = MLP(2, [3, 1], seed=0)
    modules = model.modules()
    assert len(modules) == 1 + 2 + 4  # MLP, 2 layers, 3 + 1 neurons
    assert all(m.training for m in modules)
    assert model.eval() is model
    assert not any(m.training for m in modules)
    assert model.train() is model
    assert all(m.training for m in modules)
    assert model.train(False) is model and not model.layers[1].neurons[0].training
    layer = Layer(2, 2)
    assert layer.eval() is layer and not layer.neurons[1].training
    layer.owner = layer  # a cycle: each module is still visited once
    assert len(layer.modules()) == 3
    with pytest.raises(TypeError, match=r"MLP.train: mode must be a bool, got int 1"):
        model.train(1)


def test_dropout_nodes_are_named_after_the_unit_in_drawings():
    """A dropped unit's node is labelled '<unit>.dropped', a kept one '<unit>.kept'."""
    model = MLP(2, [4, 1], seed=4, dropout=0.5)
    masks = masks_to_come(model)[0]
    out = model([1.0, 2.0])
    labels = {v.label for v in topological_order(out)}
    for j, dropped in enumerate(masks):
        assert f"L0.n{j}.{'dropped' if dropped else 'kept'}" in labels
    source = draw_dot(out).source
    assert f"L0.n{masks.index(True)}.dropped" in source


def test_dropout_label_follows_the_unit_output_label(monkeypatch):
    """A unit whose output is labelled 'P.out' gets 'P.kept' or 'P.dropped'."""
    plain = Neuron.__call__

    def labelled(self, x):
        out = plain(self, x)
        out.label = f"unit{id(self)}.out"
        return out

    monkeypatch.setattr(Neuron, "__call__", labelled)
    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    masks = masks_to_come(model)[0]
    out = model([1.0, 1.0])
    labels = {v.label for v in topological_order(out)}
    for j, dropped in enumerate(masks):
        unit = model.layers[0].neurons[j]
        assert f"unit{id(unit)}.{'dropped' if dropped else 'kept'}" in labels


def test_architecture_records_dropout_and_files_keep_it(tmp_path):
    """state_dict's architecture says dropout; a file saved with it only loads into a match."""
    model = MLP(2, [3, 1], seed=0, dropout=0.25)
    assert model.state_dict()["architecture"]["dropout"] == 0.25
    assert "dropout" not in MLP(2, [3, 1], seed=0).architecture()
    path = tmp_path / "m.json"
    model.save(path)
    same = MLP(2, [3, 1], seed=9, dropout=0.25).load(path)
    assert [p.data for p in same.parameters()] == [p.data for p in model.parameters()]
    other = MLP(2, [3, 1], seed=9)
    before = [p.data for p in other.parameters()]
    with pytest.raises(ValueError, match="architecture"):
        other.load(path)
    assert [p.data for p in other.parameters()] == before
    assert "dropout=0.25" in repr(model)


def test_dropout_labels_for_units_labelled_otherwise_or_not_at_all(monkeypatch):
    """A unit labelled "custom" (no ".out") gets "custom.kept"; an unlabelled one "L0.n{j}.kept"."""
    plain = Neuron.__call__
    names = iter(["custom", "", "x.out"] * 2)

    def relabelled(self, x):
        out = plain(self, x)
        if self in model.layers[0].neurons:
            out.label = next(names)
        return out

    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    monkeypatch.setattr(Neuron, "__call__", relabelled)
    for _ in range(2):
        masks = masks_to_come(model)[0]
        out = model([1.0, 1.0])
        labels = {v.label for v in topological_order(out)}
        word = ["dropped" if m else "kept" for m in masks]
        assert {f"custom.{word[0]}", f"L0.n1.{word[1]}", f"x.{word[2]}"} <= labels


def test_a_draw_equal_to_p_keeps_the_unit():
    """u < p drops: a unit whose draw u is exactly p is kept, in the model and in a compiled
    step alike (p is set to the next draw, which the seed alone fixes)."""
    seed, x = 11, [0.8, -0.6]
    rng = random.Random()
    rng.setstate(MLP(2, [3, 1], seed=seed).dropout_rng.getstate())
    u = rng.random()
    model = MLP(2, [3, 1], activation="tanh", seed=seed, dropout=u)
    start = model.dropout_rng.getstate()
    masks = masks_to_come(model)
    assert model.dropout == u and masks[0][0] is False
    expected = forward_by_hand(model, x, masks)
    out = model(x)
    assert "L0.n0.kept" in {v.label for v in topological_order(out)}
    assert out.data == pytest.approx(expected, rel=1e-12, abs=1e-14)
    step = compiled(model, model.parameters(), x)
    model.dropout_rng.setstate(start)
    assert step(x) == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_a_compiled_step_draws_its_masks_as_the_model_does():
    """A compiled step draws a factor per hidden unit per call from dropout_rng, layer by layer:
    0 if u < p, else 1 / (1 - p), as the class docstring says."""
    model = MLP(2, [6, 5, 1], activation="tanh", seed=2, dropout=0.4)
    step = compiled(model, model.parameters(), [0.1, 0.2])
    seen = set()
    for x in ([0.3, -1.2], [1.5, 0.5], [-0.4, 0.9], [0.7, 0.7]):
        masks = masks_to_come(model)
        seen.update(m for layer in masks for m in layer)
        assert step(x) == pytest.approx(forward_by_hand(model, x, masks), rel=1e-12, abs=1e-14)
    assert seen == {True, False}


def test_the_dropout_generator_comes_after_the_parameters_from_the_seed():
    """dropout_rng = Random(getrandbits(64)) of random.Random(seed) once every parameter has
    been drawn: the seed alone fixes the masks, and dropout never moves the weights."""
    for seed, nouts in ((0, [3, 1]), (5, [4, 4, 2])):
        model = MLP(3, nouts, seed=seed, dropout=0.5)
        rng = random.Random(seed)
        for _ in model.parameters():
            rng.random()
        assert model.dropout_rng.getstate() == random.Random(rng.getrandbits(64)).getstate()


def test_a_300_layer_mlp_never_drops_its_output():
    """Hidden layers only, however deep (past the integers Python caches): the output unit
    is neither dropped nor scaled."""
    model = MLP(1, [1] * 300, activation="tanh", seed=1, dropout=0.5)
    masks = masks_to_come(model)
    out = model([0.5])
    assert out.label == "L299.n0.out"
    assert out.data == pytest.approx(forward_by_hand(model, [0.5], masks), rel=1e-12, abs=1e-14)
    assert out.data != 0.0


@pytest.mark.parametrize(
    "p, error",
    [(-0.1, ValueError), (1.0, ValueError), (1.5, ValueError), (math.nan, ValueError),
     ("0.5", TypeError), (True, TypeError), (None, TypeError)],
)  # fmt: skip
def test_bad_dropout_probability(p, error):
    """p outside [0, 1), a non-number or a bool is refused, naming MLP and dropout."""
    expected = r"^MLP: dropout must be (a finite number >= 0 and < 1|finite|a real number)"
    with pytest.raises(error, match=expected):
        MLP(2, [3, 1], dropout=p)


# -- penalties -------------------------------------------------------------------------


def test_l1_penalty_value_and_gradient_by_hand():
    """l1 = lam * sum |w|; d/dw = lam * sign(w), with sign(0) = 0 as torch."""
    ws = [Value(1.5), Value(-2.0), Value(0.0), Value(0.25)]
    out = l1_penalty(ws, 0.1)
    assert out.data == pytest.approx(0.1 * 3.75, rel=1e-15)
    out.backward()
    assert [w.grad for w in ws] == [0.1, -0.1, 0.0, 0.1]


def test_l2_penalty_value_and_gradient_by_hand():
    """l2 = lam * sum w^2; d/dw = 2 lam w."""
    ws = [Value(1.5), Value(-2.0), Value(0.0)]
    out = l2_penalty(ws, 0.5)
    assert out.data == 0.5 * (2.25 + 4.0)
    out.backward()
    assert [w.grad for w in ws] == [1.5, -2.0, 0.0]
    assert l2_penalty([Value(3.0)]).data == 9.0  # weight defaults to 1


def test_penalties_match_torch():
    """Values and gradients of the penalties equal torch's abs().sum() and pow(2).sum()."""
    torch = pytest.importorskip("torch")
    data = [0.3, -1.7, 0.0, 2.5, -0.01]
    for ours, theirs in (
        (l1_penalty, lambda t: 0.3 * t.abs().sum()),
        (l2_penalty, lambda t: 0.3 * t.pow(2).sum()),
    ):
        ws = [Value(d) for d in data]
        out = ours(ws, 0.3)
        out.backward()
        t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        ref = theirs(t)
        ref.backward()
        assert out.data == pytest.approx(ref.item(), rel=1e-15)
        assert [w.grad for w in ws] == pytest.approx(t.grad.tolist(), rel=1e-15)


@pytest.mark.parametrize("fn", [l1_penalty, l2_penalty])
@pytest.mark.parametrize(
    "params, weight, error, match",
    [
        ("ws", -0.1, ValueError, r"weight must be a finite number >= 0, got -0.1"),
        ("ws", math.inf, ValueError, "weight must be finite, got inf"),
        ("ws", True, TypeError, "weight must be a real number, got bool"),
        ("ws", "1", TypeError, "weight"),
        ([], 1.0, ValueError, "at least one Value"),
        ([1.0], 1.0, TypeError, r"params\[0\] must be a Value, got float"),
        (Value(1.0), 1.0, TypeError, "params must be a list of Values"),
    ],
)
def test_bad_penalty_arguments(fn, params, weight, error, match):
    """A negative or non-number weight and params that are not Values are refused, by name."""
    ws = [Value(1.0), Value(2.0)] if params == "ws" else params
    with pytest.raises(error, match=f"^{fn.__name__}: .*{match}"):
        fn(ws, weight)


def _steps(optimizer_cls, decay_kw: dict, lam: float, steps: int = 6) -> list[float]:
    """Train y = w.x + b on mse for a few steps; lam > 0 adds l2_penalty(params, lam)."""
    X, y = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]], [1.0, -0.5, 0.3]
    model = Neuron(2, activation="linear", seed=3)
    opt = optimizer_cls(model.parameters(), lr=0.05, **decay_kw)
    for _ in range(steps):
        opt.zero_grad()
        loss = mse_loss([model(x) for x in X], y)
        if lam:
            loss = loss + l2_penalty(model.parameters(), lam)
        loss.backward()
        opt.step()
    return [p.data for p in model.parameters()]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_weight_decay_is_the_l2_penalty(momentum):
    """SGD(weight_decay=2 lam) gives the iterates of SGD on loss + lam * ||w||^2 (1e-15)."""
    lam = 0.05
    decayed = _steps(SGD, {"weight_decay": 2 * lam, "momentum": momentum}, 0.0)
    penalised = _steps(SGD, {"momentum": momentum}, lam)
    plain = _steps(SGD, {"momentum": momentum}, 0.0)
    assert penalised == pytest.approx(decayed, rel=1e-15, abs=1e-16)
    assert max(abs(a - b) for a, b in zip(plain, decayed, strict=True)) > 1e-3


def test_adam_l2_penalty_is_not_decoupled_weight_decay():
    """Adam's weight_decay is the L2 penalty's gradient, but AdamW (real decay) is not."""
    lam = 0.05
    penalised = _steps(Adam, {}, lam)
    # torch's Adam adds weight_decay * w to the gradient: the same as the penalty.
    assert _steps(Adam, {"weight_decay": 2 * lam}, 0.0) == pytest.approx(penalised, rel=1e-12)
    # Decoupled decay (AdamW) shrinks w directly instead of passing lam*w through Adam's
    # per-parameter scaling, so it follows another path.
    decoupled = _steps(AdamW, {"weight_decay": 2 * lam}, 0.0)
    assert max(abs(a - b) for a, b in zip(penalised, decoupled, strict=True)) > 1e-3


# -- max-norm --------------------------------------------------------------------------


def test_max_norm_by_hand():
    """w = (3, 4) has norm 5 > 1: it becomes w * 1/(5 + 1e-7); short vectors and biases stay."""
    layer = Layer(2, 2, activation="linear")
    long, short = layer.neurons
    long.w[0].data, long.w[1].data, long.b.data = 3.0, 4.0, 10.0
    short.w[0].data, short.w[1].data, short.b.data = 0.6, -0.8, 7.0  # norm exactly 1
    assert max_norm_(layer, 1.0) == 1
    assert long.w[0].data == pytest.approx(0.6, rel=1e-7) and long.w[0].data < 0.6
    assert long.w[1].data == pytest.approx(0.8, rel=1e-7) and long.w[1].data < 0.8
    assert math.hypot(long.w[0].data, long.w[1].data) <= 1.0
    assert long.b.data == 10.0
    assert [short.w[0].data, short.w[1].data, short.b.data] == [0.6, -0.8, 7.0]
    assert max_norm_(layer, 1.0) == 0  # already inside the ball


@pytest.mark.parametrize(
    ("c", "rescaled"), [(math.nextafter(5.0, 0.0), True), (5.0, False), (5.5, False)]
)
def test_max_norm_edge_on_both_sides(c, rescaled):
    """w = (3, 4) has norm exactly 5: rescaled only for c < 5, to w * c / (5 + 1e-7)."""
    neuron = Neuron(2, activation="linear")
    neuron.w[0].data, neuron.w[1].data = 3.0, 4.0
    assert max_norm_(neuron, c) == int(rescaled)
    factor = c / (5.0 + 1e-7) if rescaled else 1.0
    assert [w.data for w in neuron.w] == [3.0 * factor, 4.0 * factor]


def test_max_norm_matches_torch_renorm():
    """Each layer's weight matrix after max_norm_ equals torch.renorm(W, 2, 0, c)."""
    torch = pytest.importorskip("torch")
    model = MLP(3, [6, 4, 2], seed=0)
    rng = random.Random(1)
    for p in model.parameters():
        p.data = rng.uniform(-2.0, 2.0)
    before = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
    max_norm_(model, 1.3)
    for layer, W in zip(model.layers, before, strict=True):
        expected = torch.renorm(torch.tensor(W, dtype=torch.float64), p=2, dim=0, maxnorm=1.3)
        got = [[w.data for w in n.w] for n in layer.neurons]
        for row, ref in zip(got, expected.tolist(), strict=True):
            assert row == pytest.approx(ref, rel=1e-15, abs=0)


@pytest.mark.parametrize(
    "c, error, match",
    [(-1.0, ValueError, "got -1.0"), (math.nan, ValueError, "nan"), (math.inf, ValueError, "inf"),
     (True, TypeError, "bool"), ("1", TypeError, "str"),
     (10**400, ValueError, "int of about 401 digits")],
)  # fmt: skip
def test_bad_max_norm(c, error, match):
    """A negative, non-finite or non-number max_norm is refused and no weight changes."""
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=f"^max_norm_: max_norm must be .*{match}"):
        max_norm_(model, c)
    assert [p.data for p in model.parameters()] == before
    with pytest.raises(TypeError, match="max_norm_: model must be an nn Module"):
        max_norm_(lambda x: x, 1.0)


# -- train_test_split ------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, test_size, n_test",
    # ceil(test_size * n), as sklearn; 0.28 * 25 is 7.000000000000001 in floats, so 8.
    [(10, 0.25, 3), (25, 0.28, 8), (10, 0.5, 5), (40, 0.25, 10), (7, 0.1, 1), (10, 3, 3),
     (10, 9, 9), (2, 0.5, 1)],
)  # fmt: skip
def test_split_sizes_round_as_sklearn(n, test_size, n_test):
    """A fraction gives ceil(test_size * n) test examples, an int exactly that many."""
    X = [[float(i), -float(i)] for i in range(n)]
    y = list(range(n))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size, seed=0)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == n - n_test


def test_split_is_a_shuffled_partition_that_keeps_pairs():
    """Train and test are disjoint, cover the data, keep each row with its label, are shuffled."""
    X, y = make_moons(40, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, 0.25, seed=3)
    pairs = sorted(zip(map(tuple, X), y, strict=True))
    got = sorted(zip(map(tuple, X_train + X_test), y_train + y_test, strict=True))
    assert got == pairs
    assert X_train + X_test != X  # shuffled, not a cut of the original order
    rng = random.Random(3)
    order = list(range(40))
    rng.shuffle(order)
    assert X_test == [X[i] for i in order[:10]]


def test_split_is_reproducible_and_does_not_touch_its_inputs():
    """The same seed gives the same split; another seed another; X and y are unchanged."""
    X = [[float(i)] for i in range(20)]
    y = [i % 2 for i in range(20)]
    X_copy, y_copy = [list(r) for r in X], list(y)
    first = train_test_split(X, y, 0.5, seed=1)
    assert train_test_split(X, y, 0.5, seed=1) == first
    assert train_test_split(X, y, 0.5, seed=2) != first
    assert (X, y) == (X_copy, y_copy)
    first[0][0][0] = 999.0  # the rows returned are copies
    assert X == X_copy


@pytest.mark.parametrize(
    "test_size, error, match",
    [(0.0, ValueError, r"float in \(0, 1\), got 0.0"), (1.0, ValueError, "got 1.0"),
     (-0.2, ValueError, "float"), (math.nan, ValueError, "nan"),
     (0, ValueError, r">= 1 and <= 9, got 0"), (10, ValueError, "got 10"), (-1, ValueError, "int"),
     (True, TypeError, "bool"), ("0.2", TypeError, "str"),
     (0.95, ValueError, "leaves no training example")],
)  # fmt: skip
def test_bad_test_size(test_size, error, match):
    """test_size outside (0, 1), outside [1, n-1], a bool or a string is refused by name."""
    X, y = [[float(i)] for i in range(10)], list(range(10))
    with pytest.raises(error, match=f"^train_test_split: .*{match}"):
        train_test_split(X, y, test_size)


def test_bad_split_data():
    """Mismatched lengths, fewer than two examples or non-lists are refused."""
    with pytest.raises(ValueError, match=r"X and y differ in length \(3 vs 2\)"):
        train_test_split([[1.0], [2.0], [3.0]], [0, 1], 0.5)
    with pytest.raises(ValueError, match="at least 2 examples"):
        train_test_split([[1.0]], [0], 0.5)
    with pytest.raises(TypeError, match="X must be a list"):
        train_test_split("abc", [0, 1, 2], 0.5)
    with pytest.raises(TypeError, match="seed must be an int, a str or None"):
        train_test_split([[1.0], [2.0]], [0, 1], 0.5, seed=1.5)
