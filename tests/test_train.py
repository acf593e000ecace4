"""fit and evaluate: the update sequence, history, accuracy rules, schedulers, progress, errors."""

from __future__ import annotations

import math
import random
import unittest.mock

import pytest

import nn.schedules
from autograd_engine import Value
from nn import MLP, Neuron
from nn.data import make_linear_regression, make_moons, make_xor
from nn.losses import (
    ARGMAX,
    SIGN,
    THRESHOLD,
    Classes,
    binary_cross_entropy,
    classes_of,
    classifies,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from nn.optim import SGD, Adam
from nn.schedules import ExponentialLR, StepLR
from nn.train import EarlyStopping, evaluate, fit, predicted_class

X1 = [[0.5], [-1.0], [2.0], [1.5], [-0.25]]
Y1 = [1.0, -2.0, 3.5, 2.0, 0.0]


def linear_neuron(w: float, b: float) -> Neuron:
    n = Neuron(1, activation="linear")
    n.w[0].data, n.b.data = w, b
    return n


def epoch_batches(n, batch_size, rng):
    """One epoch's batches as nn.data.minibatches documents them, written out independently.

    The indices 0..n-1 shuffled by ``rng.shuffle`` and cut into consecutive batches; one
    batch in order 0..n-1 for ``batch_size=None`` or >= n (no draw from ``rng`` then).
    """
    if batch_size is None or batch_size >= n:
        return [list(range(n))]
    order = list(range(n))
    rng.shuffle(order)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def sgd_by_hand(w, b, batches, lr):
    """SGD on mse of y = w x + b: d/dw = (2/m) sum (wx+b-t) x, d/db = (2/m) sum (wx+b-t)."""
    losses = []
    for batch in batches:
        m = len(batch)
        errors = [w * X1[i][0] + b - Y1[i] for i in batch]
        losses.append(sum(e * e for e in errors) / m)
        dw = 2.0 / m * sum(e * X1[i][0] for e, i in zip(errors, batch, strict=True))
        db = 2.0 / m * sum(errors)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


@pytest.mark.parametrize("seed", [11, "default"])
@pytest.mark.parametrize("batch_size", [None, 1, 2])
def test_fit_applies_the_hand_derived_sgd_updates(batch_size, seed):
    """Full-batch, online and mini-batch fit give the hand-derived SGD iterates and losses.

    The batches are drawn from ``random.Random(seed)``; without a seed, the signature's
    ``seed=0``.
    """
    model = linear_neuron(0.3, -0.1)
    history = fit(
        model,
        X1,
        Y1,
        mse_loss,
        SGD(model.parameters(), lr=0.05),
        epochs=3,
        batch_size=batch_size,
        progress=False,
        **({} if seed == "default" else {"seed": seed}),
    )
    rng = random.Random(0 if seed == "default" else seed)
    w, b = 0.3, -0.1
    orders = []
    for epoch in range(3):
        batches = epoch_batches(len(X1), batch_size, rng)
        orders.append(sum(batches, []))
        w, b, losses = sgd_by_hand(w, b, batches, lr=0.05)
        sizes = [len(batch) for batch in batches]
        epoch_loss = sum(v * s for v, s in zip(losses, sizes, strict=True)) / len(X1)
        assert history["loss"][epoch] == pytest.approx(epoch_loss, rel=1e-12)
    assert model.w[0].data == pytest.approx(w, rel=1e-12)
    assert model.b.data == pytest.approx(b, rel=1e-12)
    assert history["accuracy"] == [None, None, None]  # regression
    assert history["lr"] == [0.05, 0.05, 0.05]
    if batch_size is not None:  # the seed shuffles: the order differs from 0..4 and per epoch
        assert orders[0] != sorted(orders[0]) and orders[0] != orders[1]


class CountingSGD(SGD):
    steps = 0

    def step(self):
        self.steps += 1
        super().step()


@pytest.mark.parametrize("batch_size, per_epoch", [(None, 1), (1, 10), (3, 4), (10, 1), (50, 1)])
def test_steps_per_epoch(batch_size, per_epoch):
    """An epoch takes ceil(n / batch_size) steps: n online, 1 full-batch."""
    X, y = make_linear_regression(10, seed=0)
    model = Neuron(1, activation="linear")
    optimizer = CountingSGD(model.parameters(), lr=0.01)
    fit(model, X, y, mse_loss, optimizer, epochs=2, batch_size=batch_size, progress=False)
    assert optimizer.steps == 2 * per_epoch


def test_full_batch_first_loss_is_the_initial_loss():
    """In full-batch mode loss[0] is the loss before any update (computed by hand)."""
    model = linear_neuron(1.0, 0.0)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.1), epochs=1, progress=False
    )
    by_hand = sum((x[0] - t) ** 2 for x, t in zip(X1, Y1, strict=True)) / len(X1)
    assert history["loss"][0] == pytest.approx(by_hand, rel=1e-15)


def test_linear_regression_recovers_the_weights():
    """SGD on noiseless data from y = 2x - 3z + 0.5 recovers w and b to 1e-6."""
    X, y = make_linear_regression(40, weights=(2.0, -3.0), bias=0.5, seed=1)
    model = Neuron(2, activation="linear", seed=0)
    fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.3), epochs=300, progress=False)
    assert [p.data for p in model.parameters()] == pytest.approx([2.0, -3.0, 0.5], abs=1e-6)


def test_fit_reaches_97_percent_on_two_moons():
    """A 2-16-16-1 relu MLP with Adam reaches >= 97% training accuracy on 100 noisy moons."""
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="sigmoid", seed=0)
    history = fit(
        model,
        X,
        y,
        binary_cross_entropy,
        Adam(model.parameters(), lr=0.02),
        epochs=30,
        batch_size=10,
        progress=False,
    )
    loss, accuracy = evaluate(model, X, y, binary_cross_entropy)
    assert accuracy >= 0.97
    assert history["loss"][-1] < history["loss"][0] / 3
    # Accuracy by hand: fraction of examples with (p >= 0.5) == label.
    assert accuracy == sum((model(x).data >= 0.5) == t for x, t in zip(X, y, strict=True)) / 100


def test_hinge_and_cross_entropy_train_xor():
    """XOR is learned with hinge loss (labels +-1) and with cross-entropy (two logits)."""
    X, y = make_xor()
    signs = [2 * t - 1 for t in y]
    model = MLP(2, [8, 1], activation="tanh", seed=1)
    history = fit(
        model, X, signs, hinge_loss, Adam(model.parameters(), lr=0.05), epochs=150, progress=False
    )
    assert evaluate(model, X, signs, hinge_loss)[1] == 1.0
    assert history["accuracy"][-1] == 1.0
    model = MLP(2, [8, 2], activation="tanh", seed=1)
    fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=150, progress=False)
    assert [predicted_class(cross_entropy, model(x)) for x in X] == y


def test_accuracy_rules_per_loss():
    """BCE: p >= 0.5; hinge: s > 0 is +1; cross-entropy: first argmax; mse: no classes."""
    assert [predicted_class(binary_cross_entropy, p) for p in (0.5, 0.49)] == [1, 0]
    assert [predicted_class(hinge_loss, s) for s in (0.1, 0.0, -2.0)] == [1, -1, -1]
    assert predicted_class(cross_entropy, [1.0, 3.0, 3.0]) == 1
    assert predicted_class(mse_loss, 0.7) is None


class Constant:
    """A model that answers ``outputs[i]`` for the i-th example [i]."""

    def __init__(self, outputs):
        self.outputs = outputs

    def __call__(self, x):
        return self.outputs[int(x[0])]


@pytest.mark.parametrize(
    ("p", "t", "right"),
    [
        (0.5, 0.5, True),  # both at the edge: class 1 and class 1
        (0.5, math.nextafter(0.5, 0.0), False),  # class 1 against a target of class 0
        (math.nextafter(0.5, 0.0), 0.5, False),  # class 0 against class 1
        (math.nextafter(0.5, 0.0), math.nextafter(0.5, 0.0), True),
        (math.nextafter(0.5, 1.0), 1.0, True),
    ],
)
def test_bce_accuracy_edge_for_predictions_and_soft_targets(p, t, right):
    """BCE accuracy: class (p >= 0.5) against class (t >= 0.5), on both sides of 0.5."""
    _, accuracy = evaluate(Constant([Value(p)]), [[0]], [t], binary_cross_entropy)
    assert accuracy == (1.0 if right else 0.0)


def test_evaluate_by_hand():
    """evaluate gives the mean loss and the fraction classified right (hinge: 1 of 3)."""
    model = linear_neuron(1.0, 0.0)  # score = x
    loss, accuracy = evaluate(model, [[2.0], [-0.5], [0.5]], [1, 1, -1], hinge_loss)
    assert loss == pytest.approx((0.0 + 1.5 + 1.5) / 3, abs=1e-15)
    assert accuracy == pytest.approx(1 / 3)


def test_epoch_accuracy_counts_predictions_made_during_the_epoch():
    """Full-batch history accuracy is the accuracy of the parameters before the step."""
    model = linear_neuron(1.0, 0.0)  # score = x: right only on x = 2
    X, labels = [[2.0], [-0.5], [0.5]], [1, 1, -1]
    history = fit(
        model, X, labels, hinge_loss, SGD(model.parameters(), lr=0.1), epochs=1, progress=False
    )
    assert history["accuracy"] == [pytest.approx(1 / 3)]


class StepCounter:
    """A scheduler whose step takes no argument; halves the learning rate each epoch."""

    def __init__(self, optimizer):
        self.optimizer, self.calls = optimizer, 0

    def step(self):
        self.calls += 1
        self.optimizer.param_groups[0]["lr"] /= 2


class ReduceLROnPlateau:
    """Shaped like torch's, step(metrics, epoch=None): fit passes it the epoch loss."""

    def __init__(self):
        self.metrics = []

    def step(self, metrics, epoch=None):
        self.metrics.append(metrics)


class MetricScheduler:
    """Another name, but its step needs a metric: fit passes the epoch loss too."""

    def __init__(self):
        self.metrics = []

    def step(self, metric):
        self.metrics.append(metric)


class KeywordOnlyPlateau:
    """step(metrics, *, epoch=None): the first parameter decides, whatever comes after it."""

    def __init__(self):
        self.metrics = []

    def step(self, metrics, *, epoch=None):
        self.metrics.append(metrics)


def test_scheduler_steps_once_per_epoch_and_lr_is_recorded():
    """A step() scheduler is called once per epoch; history["lr"] shows the rate used."""
    model = linear_neuron(0.0, 0.0)
    optimizer = SGD(model.parameters(), lr=0.08)
    scheduler = StepCounter(optimizer)
    history = fit(
        model,
        X1,
        Y1,
        mse_loss,
        optimizer,
        epochs=3,
        batch_size=2,
        scheduler=scheduler,
        progress=False,
    )
    assert scheduler.calls == 3
    assert history["lr"] == [0.08, 0.04, 0.02]


@pytest.mark.parametrize("make", [ReduceLROnPlateau, MetricScheduler, KeywordOnlyPlateau])
def test_plateau_scheduler_gets_the_epoch_loss(make):
    """A ReduceLROnPlateau-style scheduler receives each epoch's loss."""
    model = linear_neuron(0.0, 0.0)
    scheduler = make()
    history = fit(
        model,
        X1,
        Y1,
        mse_loss,
        SGD(model.parameters(), lr=0.01),
        epochs=4,
        scheduler=scheduler,
        progress=False,
    )
    assert scheduler.metrics == history["loss"]


def test_torch_reduce_lr_on_plateau_is_detected():
    """torch's ReduceLROnPlateau declares nothing; its step(metrics) gets the epoch loss."""
    torch = pytest.importorskip("torch")
    model = linear_neuron(0.0, 0.0)
    dummy = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(dummy, patience=0)
    fit(
        model,
        X1,
        Y1,
        mse_loss,
        SGD(model.parameters(), lr=0.01),
        epochs=2,
        scheduler=scheduler,
        progress=False,
    )
    assert scheduler.last_epoch == 2


def test_fit_is_deterministic_for_a_seed():
    """Two runs with the same seed give the same history and parameters; another seed differs."""

    def run(seed):
        X, y = make_moons(30, noise=0.1, seed=0)
        model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
        h = fit(
            model,
            X,
            y,
            binary_cross_entropy,
            SGD(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=4,
            progress=False,
            seed=seed,
        )
        return h, [p.data for p in model.parameters()]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_progress_bar_goes_to_stderr_only_when_asked(capsys):
    """progress=True draws a tqdm bar on stderr showing the loss; progress=False prints nothing."""
    model = linear_neuron(0.0, 0.0)
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), epochs=2, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), epochs=2, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "2/2" in err and "loss" in err


def test_zero_epochs_changes_nothing():
    """epochs=0 returns an empty history and leaves the parameters alone."""
    model = linear_neuron(0.3, 0.2)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.1), epochs=0, progress=False
    )
    assert history == {"loss": [], "accuracy": [], "lr": []}
    assert (model.w[0].data, model.b.data) == (0.3, 0.2)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"y": Y1[:3]}, ValueError, "differ in length"),
        ({"X": X1[:3]}, ValueError, r"^fit: X and y differ in length \(3 vs 5\)$"),
        ({"X": [], "y": []}, ValueError, "at least one"),
        ({"epochs": -1}, ValueError, "epochs"),
        ({"epochs": 2.0}, ValueError, "epochs"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"epochs": True}, ValueError, "^fit: epochs must be an int >= 0, got True$"),
        ({"batch_size": True}, ValueError, "batch_size must be None or an int >= 1, got True$"),
        ({"batch_size": 2.0}, ValueError, "batch_size must be None or an int >= 1, got 2.0$"),
        ({"batch_size": "2"}, ValueError, "batch_size must be None or an int >= 1, got '2'$"),
        ({"optimizer": object()}, TypeError, "zero_grad"),
        ({"scheduler": object()}, TypeError, "scheduler"),
    ],
)
def test_bad_arguments_raise_before_training(kwargs, error, message):
    """Bad data, epochs, batch size, optimizer or scheduler raise before any parameter moves."""
    model = linear_neuron(0.3, 0.2)
    args = {
        "X": X1,
        "y": Y1,
        "loss": mse_loss,
        "optimizer": SGD(model.parameters(), lr=0.1),
        "epochs": 1,
        "progress": False,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(model, **args)
    assert (model.w[0].data, model.b.data) == (0.3, 0.2)


def test_a_bad_label_fails_in_the_loss_before_any_step():
    """A label the loss rejects (hinge label 0) raises from the loss before the first update."""
    model = linear_neuron(0.3, 0.2)
    with pytest.raises(ValueError, match="must be \\+1 or -1"):
        fit(
            model,
            X1,
            [1, -1, 0, 1, 1],
            hinge_loss,
            SGD(model.parameters(), lr=0.1),
            epochs=1,
            progress=False,
        )
    assert (model.w[0].data, model.b.data) == (0.3, 0.2)


def test_fit_matches_a_live_torch_training_loop():
    """Two epochs of mini-batch SGD with momentum give torch's parameters, same batch order."""
    torch = pytest.importorskip("torch")
    X, y = make_moons(9, noise=0.1, seed=2)
    model = MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=4)
    layers = [
        (
            torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64),
            torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64),
        )
        for layer in model.layers
    ]
    tensors = [t.requires_grad_() for pair in layers for t in pair]
    fit(
        model,
        X,
        y,
        binary_cross_entropy,
        SGD(model.parameters(), lr=0.5, momentum=0.9),
        epochs=2,
        batch_size=4,
        progress=False,
        seed=3,
    )
    optimizer = torch.optim.SGD(tensors, lr=0.5, momentum=0.9)
    rng = random.Random(3)
    tx = torch.tensor(X, dtype=torch.float64)
    ty = torch.tensor(y, dtype=torch.float64)
    for _ in range(2):
        for batch in epoch_batches(len(X), 4, rng):
            optimizer.zero_grad()
            (w1, b1), (w2, b2) = layers
            h = torch.tanh(tx[batch] @ w1.T + b1)
            p = torch.sigmoid(h @ w2.T + b2).squeeze(1)
            torch.nn.functional.binary_cross_entropy(p, ty[batch]).backward()
            optimizer.step()
    theirs = []
    for w, b in layers:
        for j in range(w.shape[0]):
            theirs += w[j].tolist() + [b[j].item()]
    assert [p.data for p in model.parameters()] == pytest.approx(theirs, abs=1e-12)


def test_bad_example_late_in_the_data_raises_before_any_update():
    """A bad label at y[4] in online training raises naming example 4; no parameter moved."""
    from nn import Neuron

    n = Neuron(1, "linear")
    before = [p.data for p in n.parameters()]
    X = [[1.0], [2.0], [-1.0], [0.5], [1.5]]
    with pytest.raises(ValueError, match=r"example 4 .*labels\[0\] = 0"):
        fit(n, X, [1, -1, 1, 1, 0], hinge_loss, SGD(n.parameters(), lr=0.1), 1, 1, progress=False)
    assert [p.data for p in n.parameters()] == before


# -- validation, early stopping, max-norm, penalty, train/eval modes ----------------------

XV = [[1.0], [-0.5], [2.0]]
YV = [-2.0, 1.0, -4.0]  # y = -2x: the opposite of the training data's y = 2x


def test_validation_history_is_evaluate_after_each_epoch():
    """val_loss[e], val_accuracy[e] are evaluate() on the parameters at the end of epoch e."""
    X, y = make_moons(30, noise=0.2, seed=1)
    X_val, y_val = make_moons(12, noise=0.2, seed=2)
    make = lambda: MLP(2, [6, 1], output_activation="sigmoid", seed=0)  # noqa: E731
    model = make()
    history = fit(
        model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.3), epochs=3,
        progress=False, validation=(X_val, y_val),
    )  # fmt: skip
    step_by_step = make()
    optimizer = SGD(step_by_step.parameters(), lr=0.3)
    expected = []
    for _ in range(3):  # full batch: one fit epoch at a time is the same training
        fit(step_by_step, X, y, binary_cross_entropy, optimizer, epochs=1, progress=False)
        expected.append(evaluate(step_by_step, X_val, y_val, binary_cross_entropy))
    assert history["val_loss"] == [loss for loss, _ in expected]
    assert history["val_accuracy"] == [acc for _, acc in expected]
    assert "best_epoch" not in history


class Spy(MLP):
    """An MLP that records, per call, its mode and whether a graph was recorded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def __call__(self, x):
        out = super().__call__(x)
        self.calls.append((self.training, bool(out.parents)))
        return out


def test_fit_trains_in_train_mode_and_validates_in_eval_mode_without_a_graph():
    """Training calls see training=True with a graph, validation calls eval mode and no graph."""
    model = Spy(1, [4, 1], seed=0, dropout=0.5).eval()
    fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), epochs=2, progress=False,
        validation=(XV, YV),
    )  # fmt: skip
    checks = 5 + 3  # the pass over every example before training: eval mode, no graph
    epoch = [(True, True)] * 5 + [(False, False)] * 3
    assert model.calls == [(False, False)] * checks + epoch * 2
    assert model.training is False  # back in the mode it was in
    assert model.train() is model
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), epochs=1, progress=False)
    assert model.training is True
    model.calls.clear()
    evaluate(model, XV, YV, mse_loss)
    assert model.calls == [(False, False)] * 3 and model.training is True


def test_progress_bar_shows_validation_metrics(capsys):
    """The progress bar's postfix carries val_loss and val_acc."""
    X, y = make_moons(10, seed=0)
    model = MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    fit(
        model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2,
        validation=(X[:4], y[:4]),
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "val_loss=" in err and "val_acc=" in err


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch():
    """Validation only worsens: best epoch 0, stop at epoch `patience`, epoch-0 weights back."""
    model = linear_neuron(0.0, 0.0)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.05), epochs=50, progress=False,
        validation=(XV, YV), early_stopping=3,
    )  # fmt: skip
    assert len(history["loss"]) == len(history["val_loss"]) == 4
    assert history["val_loss"] == sorted(history["val_loss"])  # only worse: the setup works
    assert history["best_epoch"] == 0 and history["stopped_epoch"] == 3
    after_one = linear_neuron(0.0, 0.0)
    fit(after_one, X1, Y1, mse_loss, SGD(after_one.parameters(), lr=0.05), 1, progress=False)
    assert (model.w[0].data, model.b.data) == (after_one.w[0].data, after_one.b.data)


def test_early_stopping_counts_epochs_without_a_strictly_better_loss(monkeypatch):
    """Scripted val losses 5,4,4,4.2,3,3,3.5,3.6: patience 3 restarts at epoch 4, stops at 7."""
    import nn.train

    script = iter([5.0, 4.0, 4.0, 4.2, 3.0, 3.0, 3.5, 3.6, 1.0, 1.0])
    snapshots = []
    real = nn.train.evaluate

    def scripted(model, X, y, loss):
        snapshots.append([p.data for p in model.parameters()])
        real(model, X, y, loss)
        return next(script), None

    monkeypatch.setattr(nn.train, "evaluate", scripted)
    model = linear_neuron(0.0, 0.0)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), epochs=10, progress=False,
        validation=(XV, YV), early_stopping=3,
    )  # fmt: skip
    assert history["val_loss"] == [5.0, 4.0, 4.0, 4.2, 3.0, 3.0, 3.5, 3.6]
    assert (history["best_epoch"], history["stopped_epoch"]) == (4, 7)
    assert [p.data for p in model.parameters()] == snapshots[4]


def _scripted_fit(monkeypatch, val_losses, epochs, patience):
    """fit, evaluate scripted to return ``val_losses``: (history, per-epoch weights, model)."""
    import nn.train

    script = iter(val_losses)
    snapshots = []

    def scripted(model, X, y, loss):
        snapshots.append([p.data for p in model.parameters()])
        return next(script), None

    monkeypatch.setattr(nn.train, "evaluate", scripted)
    model = linear_neuron(0.0, 0.0)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), epochs=epochs,
        progress=False, validation=(XV, YV), early_stopping=patience,
    )  # fmt: skip
    return history, snapshots, model


@pytest.mark.parametrize(
    "epochs, patience, ran, stopped",
    [
        (5, 3, 4, 3),  # patience runs out one epoch before the last: a stop, recorded
        (4, 3, 4, None),  # it runs out exactly on the last epoch: all epochs ran, no stop
        (4, 4, 4, None),  # one epoch short of running out on the last epoch
        (3, 3, 3, None),  # the last epoch is one short of the patience
        (300, 299, 300, None),  # the same on an epoch number beyond the small ints CPython shares
    ],
)
def test_early_stopping_at_the_last_epoch(monkeypatch, epochs, patience, ran, stopped):
    """Validation only worsens after epoch 0: a stop is recorded only if epochs were left."""
    history, snapshots, model = _scripted_fit(
        monkeypatch, [float(e + 1) for e in range(epochs)], epochs, patience
    )
    assert len(history["loss"]) == len(history["val_loss"]) == ran
    assert history["best_epoch"] == 0 and history["stopped_epoch"] == stopped
    assert [p.data for p in model.parameters()] == snapshots[0]  # epoch 0's weights back
    assert snapshots[0] != snapshots[-1]  # and they differ from the last epoch's


def test_early_stopping_keeps_the_first_of_equal_best_losses(monkeypatch):
    """Equal losses are no improvement: best stays the first epoch of the tie, then the stop."""
    history, snapshots, model = _scripted_fit(monkeypatch, [3.0, 2.0, 2.0, 2.0, 9.0], 5, 2)
    assert (history["best_epoch"], history["stopped_epoch"]) == (1, 3)
    assert [p.data for p in model.parameters()] == snapshots[1] != snapshots[2]


def test_early_stopping_that_never_triggers():
    """Validation on the training data keeps improving: no stop, best = last epoch."""
    model = linear_neuron(0.0, 0.0)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.05), epochs=5, progress=False,
        validation=(X1, Y1), early_stopping=2,
    )  # fmt: skip
    assert history["stopped_epoch"] is None and history["best_epoch"] == 4
    assert len(history["loss"]) == 5


def test_fit_max_norm_is_max_norm_after_every_step():
    """fit(max_norm=c) equals a hand loop that calls max_norm_ after each step; norms <= c."""
    from nn.constraints import max_norm_

    X, y = make_moons(20, noise=0.1, seed=0)
    a = MLP(2, [8, 1], output_activation="sigmoid", seed=1)
    b = MLP(2, [8, 1], output_activation="sigmoid", seed=1)
    fit(a, X, y, binary_cross_entropy, Adam(a.parameters(), lr=0.1), epochs=3, batch_size=5,
        progress=False, seed=2, max_norm=0.5)  # fmt: skip
    optimizer, rng = Adam(b.parameters(), lr=0.1), random.Random(2)
    for _ in range(3):
        for batch in epoch_batches(20, 5, rng):
            optimizer.zero_grad()
            binary_cross_entropy([b(X[i]) for i in batch], [y[i] for i in batch]).backward()
            optimizer.step()
            max_norm_(b, 0.5)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    for layer in a.layers:
        for n in layer.neurons:
            assert sum(w.data**2 for w in n.w) <= 0.25


def test_fit_penalty_is_added_to_each_step_but_not_to_the_reported_loss():
    """penalty=lambda: l2_penalty(...) trains on loss + penalty; history loss is the data loss."""
    from nn.losses import l2_penalty

    model = linear_neuron(0.5, 0.0)
    history = fit(
        model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.05), epochs=1, progress=False,
        penalty=lambda: l2_penalty([model.w[0]], 0.5),
    )  # fmt: skip
    # full batch, by hand: d/dw = (2/n) sum (wx - t) x + 2 * 0.5 * w; d/db = (2/n) sum (wx - t)
    errors = [0.5 * x[0] - t for x, t in zip(X1, Y1, strict=True)]
    dw = 2 / 5 * sum(e * x[0] for e, x in zip(errors, X1, strict=True)) + 0.5
    db = 2 / 5 * sum(errors)
    assert model.w[0].data == pytest.approx(0.5 - 0.05 * dw, rel=1e-14)
    assert model.b.data == pytest.approx(-0.05 * db, rel=1e-14)
    assert history["loss"][0] == pytest.approx(sum(e * e for e in errors) / 5, rel=1e-15)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"early_stopping": 2}, ValueError, r"early_stopping .*pass validation=\(X_val, y_val\)"),
        ({"validation": (XV, YV), "early_stopping": 2.0}, TypeError, "int >= 1.*got float 2.0"),
        ({"validation": (XV, YV), "early_stopping": True}, TypeError, "got bool"),
        ({"validation": (XV, YV), "early_stopping": 0}, ValueError, "^fit: early_stopping.* 0$"),
        ({"validation": (XV, YV), "early_stopping": -1}, ValueError, "^fit: early_stopping.* -1$"),
        ({"validation": (XV, YV[:2])}, ValueError, r"validation: X and y differ .*\(3 vs 2\)"),
        ({"validation": ([[1.0, 2.0]], [1.0])}, ValueError, r"X_val\[0\] is a row of 2.*row of 1"),
        ({"validation": ([[1.0]], [[1.0]])}, ValueError, r"y_val\[0\] is a row of 1.*single"),
        ({"validation": (XV,)}, TypeError, "validation must be a pair"),
        ({"validation": (XV, YV, YV)}, TypeError, r"validation must be a pair \(X_val, y_val\)"),
        ({"validation": 5}, TypeError, r"validation must be a pair \(X_val, y_val\), got int$"),
        ({"validation": {0: XV, 1: YV}}, TypeError, r"must be a pair \(X_val, y_val\), got dict$"),
        (
            {"validation": ([[]], [1.0])},
            ValueError,
            r"X_val\[0\] is a row of 0, .*X\[0\] is a row of 1$",
        ),
        ({"validation": (5, YV)}, TypeError, "^fit: validation X_val must be a list, got int$"),
        ({"validation": (XV, "ab")}, TypeError, "^fit: validation y_val must be a list, got str$"),
        ({"validation": ([], [])}, ValueError, "at least one example"),
        ({"validation": ([["a"]], [1.0])}, TypeError, r"validation example 0 \(X_val\[0\]"),
        ({"max_norm": -1.0}, ValueError, "fit: max_norm must be a finite number >= 0, got -1.0"),
        ({"max_norm": "2"}, TypeError, "fit: max_norm"),
        ({"penalty": 3.0}, TypeError, "fit: penalty must be a function"),
        ({"penalty": lambda: 3.0}, TypeError, r"fit: penalty\(\) must return a Value"),
    ],
)
def test_bad_generalization_arguments_raise_before_training(kwargs, error, match):
    """Bad validation, early_stopping, max_norm or penalty raises first; nothing moves."""
    model = linear_neuron(0.3, 0.2)
    optimizer = Adam(model.parameters(), lr=0.1)
    with pytest.raises(error, match=match):
        fit(model, X1, Y1, mse_loss, optimizer, epochs=2, progress=False, **kwargs)
    assert (model.w[0].data, model.b.data) == (0.3, 0.2)
    assert optimizer.state == {} or all(not s for s in optimizer.state.values())
    assert model.training is True


def test_max_norm_and_early_stopping_need_a_module():
    """A plain function as the model cannot be constrained or restored: TypeError."""
    w = linear_neuron(1.0, 0.0)
    f = lambda x: w(x)  # noqa: E731
    with pytest.raises(TypeError, match="fit: max_norm needs an nn Module"):
        fit(f, X1, Y1, mse_loss, SGD(w.parameters(), lr=0.1), 1, progress=False, max_norm=1.0)
    with pytest.raises(TypeError, match=r"early_stopping .*parameters\(\) method"):
        fit(f, X1, Y1, mse_loss, SGD(w.parameters(), lr=0.1), 1, progress=False,
            validation=(XV, YV), early_stopping=1)  # fmt: skip


@pytest.mark.parametrize("bad", [None, 5, "ab"])
def test_fit_and_evaluate_refuse_data_that_is_not_a_list_by_name(bad):
    """X or y that is not a list of examples is a TypeError naming fit/evaluate and X or y."""
    model = MLP(2, [1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(TypeError, match=r"^fit: X must be a list of examples"):
        fit(model, bad, [1.0], mse_loss, SGD(model.parameters(), lr=0.1), epochs=1)
    with pytest.raises(TypeError, match=r"^evaluate: y must be a list of examples"):
        evaluate(model, [[0.0, 1.0]], bad, mse_loss)
    assert [p.data for p in model.parameters()] == before


# -- the pieces of fit: EarlyStopping, a loss's declared Classes, a scheduler's steps_on ------


def test_early_stopping_object_runs_out_exactly_when_patience_is_used_up():
    """Patience 2 after a best at epoch 0: epoch 1 waits one, epoch 2 runs out (True)."""
    w = Value(1.0)
    stopper = EarlyStopping(2)
    stopper.start([w])
    assert stopper.update(0, 1.0) is False and stopper.best_epoch == 0
    w.data = 5.0
    assert stopper.update(1, 2.0) is False and stopper.waited == 1
    assert stopper.update(2, 3.0) is True and stopper.waited == 2
    stopper.restore()
    assert w.data == 1.0  # epoch 0's value back


def test_early_stopping_object_running_out_on_the_last_epoch_stops_nothing(monkeypatch):
    """fit with EarlyStopping(2), 3 epochs, val 1,2,3: patience ends on the last epoch, no stop."""
    history, snapshots, model = _scripted_fit(monkeypatch, [1.0, 2.0, 3.0], 3, EarlyStopping(2))
    assert len(history["loss"]) == 3
    assert (history["best_epoch"], history["stopped_epoch"]) == (0, None)
    assert [p.data for p in model.parameters()] == snapshots[0] != snapshots[2]


# best 1, min_delta 1/4: an improvement needs val + 1/4 < 1. At val = 3/4 the sum is exactly
# 1 (no improvement); one ulp below 3/4 (3/4 - 2**-53) the sum is 1 - 2**-53 < 1, exact in binary.
@pytest.mark.parametrize(
    "val, improves",
    [(0.75, False), (math.nextafter(0.75, 0.0), True), (math.nextafter(0.75, 1.0), False)],
)
def test_early_stopping_min_delta_boundary(val, improves):
    """An epoch improves only when val_loss + min_delta is strictly below the best loss."""
    assert 0.75 - math.nextafter(0.75, 0.0) == 2.0**-53  # the ulp the comment reasons with
    stopper = EarlyStopping(1, min_delta=0.25)
    stopper.start([])
    stopper.update(0, 1.0)
    assert stopper.update(1, val) is (not improves)
    assert stopper.best_epoch == (1 if improves else 0)
    assert stopper.best_loss == (val if improves else 1.0)


def test_fit_with_min_delta_counts_small_gains_as_waiting(monkeypatch):
    """Val 4, 3.9, 3.8, 3.7 with min_delta 0.5, patience 2: no gain counts; stop at epoch 2."""
    history, snapshots, model = _scripted_fit(
        monkeypatch, [4.0, 3.9, 3.8, 3.7], 4, EarlyStopping(2, min_delta=0.5)
    )
    assert (history["best_epoch"], history["stopped_epoch"]) == (0, 2)
    assert [p.data for p in model.parameters()] == snapshots[0]


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((0,), ValueError, "EarlyStopping: patience must be an int >= 1"),
        ((2.0,), TypeError, "EarlyStopping: patience must be an int >= 1.*float"),
        ((2, -0.1), ValueError, "EarlyStopping: min_delta must be a finite number >= 0"),
        ((2, math.nan), ValueError, "EarlyStopping: min_delta must be finite"),
    ],
)
def test_early_stopping_rejects_bad_arguments(args, error, match):
    """A patience below 1 or not an int, a negative or nan min_delta: a clear error."""
    with pytest.raises(error, match=match):
        EarlyStopping(*args)


@classifies(Classes("over 1/2", lambda p: p > 0.5, lambda t: t > 0.5))
def squared_error_classified(preds, targets):
    """mse_loss, declaring that a prediction is right when it is on the target's side of 1/2."""
    return mse_loss(preds, targets)


def test_a_custom_loss_declares_how_its_accuracy_is_counted():
    """Predictions 0.9, 0.2, 0.6 against 1, 0, 0: right, right, wrong: accuracy 2/3."""
    model = Constant([Value(0.9), Value(0.2), Value(0.6)])
    X, y = [[0], [1], [2]], [1.0, 0.0, 0.0]
    loss, accuracy = evaluate(model, X, y, squared_error_classified)
    assert accuracy == 2 / 3
    assert loss == pytest.approx((0.01 + 0.04 + 0.36) / 3, rel=1e-15)
    assert evaluate(model, X, y, mse_loss)[1] is None  # the same loss undeclared: regression
    assert predicted_class(squared_error_classified, Value(0.6)) is True


def test_fit_counts_accuracy_by_the_declared_rule():
    """One full-batch epoch: predictions made before the update, x = 0.5, 2, -1 with w = 1, b = 0.

    Scores 0.5, 2, -1 against targets 1, 1, 0: 0.5 is not > 1/2 (wrong), 2 right, -1 right.
    """
    model = linear_neuron(1.0, 0.0)
    X, y = [[0.5], [2.0], [-1.0]], [1.0, 1.0, 0.0]
    history = fit(model, X, y, squared_error_classified, SGD(model.parameters(), lr=0.01), 1,
                  progress=False)  # fmt: skip
    assert history["accuracy"] == [2 / 3]


def test_a_loss_with_a_classes_attribute_of_the_wrong_kind_is_refused():
    """loss.classes that is not a Classes: TypeError before training, nothing moves."""

    def loss(preds, targets):
        return mse_loss(preds, targets)

    loss.classes = "argmax"
    model = linear_neuron(0.3, 0.2)
    with pytest.raises(TypeError, match=r"fit: loss.classes must be an nn.losses.Classes"):
        fit(model, X1, Y1, loss, SGD(model.parameters(), lr=0.1), 2, progress=False)
    assert (model.w[0].data, model.b.data) == (0.3, 0.2)


def test_the_built_in_losses_declare_their_rules():
    """BCE counts by p >= 1/2, hinge by the sign, cross-entropy by argmax, mse by none."""
    assert classes_of(binary_cross_entropy) is THRESHOLD
    assert classes_of(hinge_loss) is SIGN
    assert classes_of(cross_entropy) is ARGMAX
    assert classes_of(mse_loss) is None


class DeclaredMetricScheduler:
    """Declares it steps on a metric, though its step's argument has a default."""

    steps_on = "metric"

    def __init__(self):
        self.metrics = []

    def step(self, metric=None):
        self.metrics.append(metric)


class DeclaredEpochScheduler:
    """Declares it steps per epoch, though its step takes any positional arguments."""

    steps_on = "epoch"

    def __init__(self):
        self.calls = []

    def step(self, *args):
        self.calls.append(args)


def test_a_scheduler_is_stepped_by_its_declared_kind():
    """steps_on="metric" gets each epoch's loss; steps_on="epoch" gets step() with nothing."""
    model = linear_neuron(0.0, 0.0)
    by_metric, by_epoch = DeclaredMetricScheduler(), DeclaredEpochScheduler()
    history = fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 3,
                  scheduler=by_metric, progress=False)  # fmt: skip
    assert by_metric.metrics == history["loss"] and len(history["loss"]) == 3
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 2,
        scheduler=by_epoch, progress=False)  # fmt: skip
    assert by_epoch.calls == [(), ()]


@pytest.mark.parametrize("kind", ["metric", "epoch"])
def test_a_kind_spelled_at_run_time_is_the_same_kind(kind):
    """steps_on compared by value: a string built at run time (read from a config, say), not
    the interned literal, steps the scheduler the same way."""
    scheduler = DeclaredMetricScheduler() if kind == "metric" else DeclaredEpochScheduler()
    scheduler.steps_on = "".join(list(kind))
    assert scheduler.steps_on == kind and scheduler.steps_on is not kind
    model = linear_neuron(0.0, 0.0)
    history = fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 2,
                  scheduler=scheduler, progress=False)  # fmt: skip
    if kind == "metric":
        assert scheduler.metrics == history["loss"]
    else:
        assert scheduler.calls == [(), ()]


class Uninspectable:
    """A step() whose signature inspect cannot read: a ``__signature__`` that is not one
    (TypeError) or that cannot be found (ValueError, as for some builtins)."""

    def __init__(self, error):
        self.error, self.calls = error, []

    @property
    def __signature__(self):
        if self.error is TypeError:
            return "not a signature"
        raise ValueError("no signature found")

    def __call__(self, *args):
        self.calls.append(args)


@pytest.mark.parametrize("error", [TypeError, ValueError])
def test_a_scheduler_whose_step_cannot_be_inspected_steps_per_epoch(error):
    """No steps_on and no readable signature: step() is called with nothing, once an epoch."""

    class Scheduler:
        step = Uninspectable(error)

    model = linear_neuron(0.0, 0.0)
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 2,
        scheduler=Scheduler(), progress=False)  # fmt: skip
    assert Scheduler.step.calls == [(), ()]


def test_the_built_in_schedulers_declare_their_kind():
    """StepLR and ExponentialLR step per epoch; ReduceLROnPlateau on a metric."""
    assert (StepLR.steps_on, ExponentialLR.steps_on) == ("epoch", "epoch")
    assert nn.schedules.ReduceLROnPlateau.steps_on == "metric"


def test_a_scheduler_declaring_an_unknown_kind_is_refused():
    """steps_on="batch" is a ValueError before training; nothing moves."""
    scheduler = DeclaredEpochScheduler()
    scheduler.steps_on = "batch"
    model = linear_neuron(0.3, 0.2)
    with pytest.raises(ValueError, match="fit: scheduler.steps_on must be 'epoch' or 'metric'"):
        fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.1), 2,
            scheduler=scheduler, progress=False)  # fmt: skip
    assert (model.w[0].data, model.b.data) == (0.3, 0.2) and scheduler.calls == []


@pytest.mark.parametrize("where", ["step", "validation"])
def test_ctrl_c_anywhere_in_an_epoch_names_that_epoch(monkeypatch, where):
    """A KeyboardInterrupt in the 3rd epoch, during a batch's step or during the validation
    pass after it, carries the note "fit: stopped during epoch 3 of 5"."""
    import nn.train

    model = MLP(2, [3, 1], seed=0)
    X, y = make_xor()
    calls = {"n": 0}
    real_evaluate = nn.train.evaluate
    optimizer = SGD(model.parameters(), lr=0.1)
    real_step = optimizer.step

    def evaluate_then_stop(*args, **kwargs):
        calls["n"] += 1
        if where == "validation" and calls["n"] == 3:
            raise KeyboardInterrupt
        return real_evaluate(*args, **kwargs)

    def step_then_stop():
        calls["steps"] = calls.get("steps", 0) + 1
        if where == "step" and calls["steps"] == 3:
            raise KeyboardInterrupt
        real_step()

    monkeypatch.setattr(nn.train, "evaluate", evaluate_then_stop)
    monkeypatch.setattr(optimizer, "step", step_then_stop)
    with pytest.raises(KeyboardInterrupt) as caught:
        fit(model, X, y, mse_loss, optimizer, 5, validation=(X, y), progress=False)
    assert caught.value.__notes__ == ["fit: stopped during epoch 3 of 5"]


# -- found by mutation testing nn/train.py (issue 24) -------------------------------------


def test_more_examples_than_the_small_ints_cpython_shares():
    """300 examples: the lengths of X and y are compared by value, not by identity (ints
    beyond 256 are distinct objects), so evaluate and fit take them; 300 vs 299 is refused."""
    X = [[i / 100] for i in range(300)]
    y = [0.0] * 300
    by_hand = sum((2.0 * x[0] + 0.5) ** 2 for x in X) / 300  # mse of y = 2x + 0.5 against 0
    model = linear_neuron(2.0, 0.5)
    assert evaluate(model, X, y, mse_loss) == (pytest.approx(by_hand, rel=1e-12), None)
    history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.01), 1, progress=False)
    assert history["loss"] == [pytest.approx(by_hand, rel=1e-12)]
    with pytest.raises(ValueError, match=r"evaluate: X and y differ in length \(300 vs 299\)"):
        evaluate(model, X, y[:299], mse_loss)


class AnyDefaultScheduler:
    """step's first parameter has a default, one that compares equal to everything."""

    def __init__(self):
        self.got_default = []

    def step(self, epoch=unittest.mock.ANY):
        self.got_default.append(epoch is unittest.mock.ANY)


def test_a_scheduler_whose_step_has_a_default_is_stepped_with_nothing():
    """A default is a default whatever it compares equal to: step() gets no argument."""
    model = linear_neuron(0.0, 0.0)
    scheduler = AnyDefaultScheduler()
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 2,
        scheduler=scheduler, progress=False)  # fmt: skip
    assert scheduler.got_default == [True, True]


@pytest.mark.parametrize(
    "n, batch_size, epochs, every, total, steps",
    [
        (5, None, 3, 1, 3, [0, 1, 2, 3]),  # full batch: one step an epoch
        (5, 5, 3, 1, 3, [0, 1, 2, 3]),  # a batch of all n is full batch
        (5, 8, 3, 1, 3, [0, 1, 2, 3]),  # and so is a batch larger than n
        (5, 2, 3, 4, 9, [0, 4, 8, 9]),  # ceil(5 / 2) = 3 steps an epoch
        (4, 2, 5, 4, 10, [0, 4, 8, 10]),  # 4 / 2 = 2 steps an epoch
        (5, 4, 2, 1, 4, [0, 1, 2, 3, 4]),  # ceil(5 / 4) = 2 steps an epoch
    ],
)
def test_a_recording_counts_epochs_times_ceil_n_over_batch_steps(
    n, batch_size, epochs, every, total, steps
):
    """Recorder(every=k) keeps steps 0, k, 2k, ... and the last of epochs * ceil(n / batch)
    steps: a limit of exactly that many records is enough, one less is refused before
    training, naming the steps."""
    from nn.record import Recorder

    def run(limit):
        model = linear_neuron(0.3, -0.1)
        optimizer = SGD(model.parameters(), lr=0.05)
        return fit(model, X1[:n], Y1[:n], mse_loss, optimizer, epochs, batch_size,
                   progress=False, record=Recorder(every=every, limit=limit))  # fmt: skip

    assert run(limit=len(steps)).recording.steps == steps
    refused = rf"^fit: recording {total} steps at every={every} keeps {len(steps)} records, "
    with pytest.raises(ValueError, match=refused + rf"more than limit={len(steps) - 1};"):
        run(limit=len(steps) - 1)


def _diverging_run(lr, groups="SGD's", epochs=10, w0=2.0):
    """fit of w * x on x = 1, t = 0 from w = w0: mse = w^2 (w0^2 at first), gradient 2w, so
    SGD's step w <- (1 - 2 lr) w multiplies the loss by (1 - 2 lr)^2 every epoch."""
    w = Value(w0)
    optimizer = SGD([w], lr=lr)
    if groups != "SGD's":
        optimizer = BareSGD([w], lr, groups)
    return fit(lambda x: w * x[0], [[1.0]], [0.0], mse_loss, optimizer, epochs, progress=False)


@pytest.mark.parametrize("w0, losses", [(2.0, "4 to 4e\\+12"), (0.5, "0.25 to 2.5e\\+11")])
def test_a_loss_a_million_times_the_first_is_not_yet_divergence(w0, losses):
    """Losses L, 1e6 L, 1e12 L (w <- -1000 w; L = 4, and L = 0.25 below 1): exactly 1e6 times
    the first goes on, 1e12 times stops at epoch 2, measured from the first epoch's loss
    (not from the one before)."""
    message = (
        rf"^fit: training diverged at epoch 2 \(the loss grew from {losses}\); the usual "
        r"cause is a learning rate that is too large \(lr=500\.5\): try a smaller one$"
    )
    with pytest.raises(FloatingPointError, match=message):
        _diverging_run(lr=500.5, w0=w0)


def test_a_loss_just_over_a_million_times_the_first_is_divergence():
    """w <- -1000.0002 w: loss 4, then 4000001.6 (just over 1e6 times the first): epoch 1."""
    with pytest.raises(FloatingPointError, match=r"diverged at epoch 1 \(the loss grew from 4 "):
        _diverging_run(lr=500.5001)


def test_finite_batch_losses_whose_total_overflows_have_a_finite_mean():
    """Two examples of loss 1e308 each (w = 1e154, x = 1, t = 0, online, lr = 0): their plain
    total 2e308 is beyond floats, but the epoch's loss is their mean, 1e308, finite: no
    divergence is claimed (it said "grew from inf to inf"), and the history holds 1e308."""
    w = Value(1e154)
    history = fit(lambda x: w * x[0], [[1.0], [1.0]], [0.0, 0.0], mse_loss, SGD([w], lr=0.0), 2,
                  1, progress=False)  # fmt: skip
    assert (1e154 * 1.0) ** 2 == 1e308  # each batch's loss, by hand
    assert history["loss"] == [1e308, 1e308]
    assert w.data == 1e154


def test_numbers_beyond_floats_in_a_step_are_divergence_too():
    """w <- -(1e200 - 1) w: epoch 1's loss squares -2e200 and overflows; the loss's
    OverflowError comes out of fit as the same class, saying where and what to try."""
    message = (
        r"^fit: training diverged at epoch 1 \(mse_loss: .* is beyond the float range\); the usual "
        r"cause is "
        r"a learning rate that is too large \(lr=5e\+199\): try a smaller one$"
    )
    with pytest.raises(OverflowError, match=message):
        _diverging_run(lr=5e199)


def test_a_loss_below_zero_is_never_divergence_while_finite():
    """A loss may be negative (mse - 1 here, as a log-likelihood can be): the growth check
    compares with a positive first loss only. mse - 1 of w * x at x = 1, t = 0 from w = 0,
    with the penalty (w - 1)^2: w = 0, 0.2, 0.32 as in the test above, losses w^2 - 1."""
    w = Value(0.0)

    def shifted(preds, targets):
        return mse_loss(preds, targets) - 1.0

    history = fit(lambda x: w * x[0], [[1.0]], [0.0], shifted, SGD([w], lr=0.1), 3,
                  progress=False, penalty=lambda: (w - 1.0) ** 2)  # fmt: skip
    assert history["loss"] == pytest.approx([-1.0, -0.96, -0.8976], rel=1e-12, abs=0.0)


def test_a_loss_that_starts_at_zero_may_grow():
    """A first epoch loss of 0 (a perfect fit) gives no ratio to grow by: a penalty pulling
    w from 0 to 1 raises the loss from 0 and fit goes on. By hand: the gradient of
    w^2 + (w - 1)^2 is 4w - 2, so w <- 0.6 w + 0.2: w = 0, 0.2, 0.32, 0.392."""
    w = Value(0.0)
    history = fit(lambda x: w * x[0], [[1.0]], [0.0], mse_loss, SGD([w], lr=0.1), 4,
                  progress=False, penalty=lambda: (w - 1.0) ** 2)  # fmt: skip
    assert history["loss"] == pytest.approx([0.0, 0.04, 0.1024, 0.153664], rel=1e-12, abs=0.0)


class BareSGD:
    """Plain SGD with only zero_grad() and step(): no param_groups, or the groups given."""

    def __init__(self, params, lr, groups):
        self.params, self.lr = params, lr
        if groups != "none":
            self.param_groups = groups

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad


@pytest.mark.parametrize("groups", ["none", [], [{"momentum": 0.0}]])
def test_an_optimizer_with_no_learning_rate_to_show(groups):
    """No param_groups, none, or a first group with no "lr": history["lr"] is None and a
    diverging run's message names no rate."""
    model = linear_neuron(0.3, -0.1)
    history = fit(model, X1, Y1, mse_loss, BareSGD(model.parameters(), 0.05, groups), 2,
                  progress=False)  # fmt: skip
    w, b, _ = sgd_by_hand(0.3, -0.1, [list(range(5))], lr=0.05)
    w, b, _ = sgd_by_hand(w, b, [list(range(5))], lr=0.05)
    assert model.w[0].data == pytest.approx(w, rel=1e-12)
    assert model.b.data == pytest.approx(b, rel=1e-12)
    assert history["lr"] == [None, None]
    with pytest.raises(FloatingPointError, match=r"epoch 2 .* too large: try a smaller one$"):
        _diverging_run(500.5, groups)


def test_validation_rows_are_compared_with_the_first_training_row():
    """The held-out rows must have the shape of X[0], the training row the message names
    (a plain model may take rows of any length: here it sums them), also for rows longer
    than 256 (lengths compared by value)."""
    model_w = Value(1.0)

    def summing(x):
        return model_w * sum(x)

    def run(X, X_val):
        y = [0.0] * len(X)
        return fit(summing, X, y, mse_loss, SGD([model_w], lr=0.0), 1, progress=False,
                   validation=(X_val, [0.0] * len(X_val)))  # fmt: skip

    long = [[0.001] * 300]
    assert run(long, long)["val_loss"] == [pytest.approx(0.09, rel=1e-12)]  # (300 * 0.001)^2
    assert run([[1.0, 2.0], [1.0, 2.0, 3.0]], [[0.5, 0.5]])["val_loss"] == [1.0]
    with pytest.raises(
        ValueError, match=r"X_val\[0\] is a row of 3, but the training X\[0\] is a row of 2"
    ):
        run([[1.0, 2.0], [1.0, 2.0, 3.0]], [[0.5, 0.5, 0.0]])


def test_early_stopping_with_patience_one():
    """early_stopping=1, the least patience: the first epoch that does not improve stops."""
    model = linear_neuron(0.0, 0.0)
    history = fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.05), 20,
                  progress=False, validation=(XV, YV), early_stopping=1)  # fmt: skip
    # y = 2x training against y = -2x validation: every step toward 2x worsens validation
    assert (history["best_epoch"], history["stopped_epoch"]) == (0, 1)


def test_the_learning_rate_shown_is_the_first_groups():
    """Two parameter groups with rates 0.1 and 0.2: history["lr"] is the first group's."""
    model = linear_neuron(0.0, 0.0)
    optimizer = SGD([{"params": [model.w[0]], "lr": 0.1}, {"params": [model.b], "lr": 0.2}])
    history = fit(model, X1, Y1, mse_loss, optimizer, 2, progress=False)
    assert history["lr"] == [0.1, 0.1]


def test_the_progress_bar_is_on_by_default_and_stays_after_the_run(capsys):
    """Without progress=, fit draws its bar on stderr; after the run the finished bar stays
    (its last line is the full bar with the loss, ended by a newline, not erased)."""
    model = linear_neuron(0.0, 0.0)
    fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 3)
    out, err = capsys.readouterr()
    last = err.split("\r")[-1]
    assert out == "" and last.startswith("fit: 100%") and "3/3" in last and "loss=" in last
    assert last.endswith("\n")


def test_ctrl_c_as_the_bar_starts_names_the_first_epoch(monkeypatch):
    """A KeyboardInterrupt while the progress bar hands out its first epoch: "epoch 1 of 4"."""
    import tqdm.auto

    class Interrupted:
        def __init__(self, *args, **kwargs):
            pass

        def __iter__(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(tqdm.auto, "tqdm", Interrupted)
    model = linear_neuron(0.0, 0.0)
    with pytest.raises(KeyboardInterrupt) as caught:
        fit(model, X1, Y1, mse_loss, SGD(model.parameters(), lr=0.01), 4, progress=True)
    assert caught.value.__notes__ == ["fit: stopped during epoch 1 of 4"]
    assert (model.w[0].data, model.b.data) == (0.0, 0.0)


class HalfModal:
    """A plain model with half of Module's modes: a ``training`` flag and no ``train()``, or
    a ``train()`` of its own (here: a training routine) and no ``training`` flag."""

    def __init__(self, has):
        self.w, self.calls = Value(0.5), []
        if has == "flag":
            self.training = True
        else:
            self.train = lambda *args: self.calls.append(args)

    def __call__(self, x):
        return self.w * x[0]


@pytest.mark.parametrize("has", ["flag", "train"])
def test_a_model_with_half_the_modes_is_a_plain_callable(has):
    """Modes are switched only on a model with both a bool ``training`` and a callable
    ``train``: fit and evaluate run the others as they are, calling nothing else."""
    model = HalfModal(has)
    fit(model, X1, Y1, mse_loss, SGD([model.w], lr=0.01), 1, progress=False,
        validation=(XV, YV))  # fmt: skip
    assert evaluate(model, XV, YV, mse_loss)[1] is None
    assert model.calls == [] and getattr(model, "training", True) is True
