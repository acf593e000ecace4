"""The training loop: ``fit`` (online, mini-batch or full-batch) and ``evaluate``.

One optimisation step is: ``optimizer.zero_grad()``, forward the batch,
``loss(preds, targets)``, ``backward()``, ``optimizer.step()``. Any optimizer with
the ``torch.optim`` interface works (``zero_grad()``, ``step()``, ``param_groups``),
and any scheduler with ``step()``, stepped once per epoch.

Accuracy depends on the loss, i.e. on the label convention it implies:

- ``binary_cross_entropy``: predictions are probabilities; class = (p >= 0.5),
  compared with (t >= 0.5).
- ``hinge_loss``: predictions are scores, labels +1/-1; class = +1 if s > 0 else -1.
- ``cross_entropy``: predictions are lists of logits; class = the first index of
  the largest logit (as ``torch.argmax``), compared with the target index.
- anything else (``mse_loss``, a custom loss): regression, accuracy is ``None``.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd_engine import Value, no_grad
from autograd_engine.validation import raise_as
from nn.data import minibatches
from nn.losses import binary_cross_entropy, cross_entropy, hinge_loss

__all__ = ["fit", "evaluate", "predicted_class", "History"]

History = dict[str, list[Any]]
"""fit's result: {"loss": [...], "accuracy": [...], "lr": [...]}, one entry per epoch."""

Loss = Callable[[list[Any], list[Any]], Value]


def _data(p: Any) -> Any:
    if isinstance(p, Value):
        return p.data
    if isinstance(p, (list, tuple)):
        return [_data(z) for z in p]
    return float(p)


def predicted_class(loss: Loss, pred: Any) -> float | int | None:
    """The class a prediction stands for under ``loss``'s convention (None for regression).

    binary_cross_entropy: 1 if p >= 0.5 else 0; hinge_loss: +1 if s > 0 else -1;
    cross_entropy: argmax of the logits (first on ties); otherwise None.
    """
    value = _data(pred)
    if loss is binary_cross_entropy:
        return 1 if value >= 0.5 else 0
    if loss is hinge_loss:
        return 1 if value > 0.0 else -1
    if loss is cross_entropy:
        return max(range(len(value)), key=value.__getitem__)  # max keeps the first of ties
    return None


def _correct(loss: Loss, pred: Any, target: Any) -> bool | None:
    cls = predicted_class(loss, pred)
    if cls is None:
        return None
    if loss is binary_cross_entropy:
        return cls == (1 if float(target) >= 0.5 else 0)
    return cls == target


def _check_data(X: Sequence[Any], y: Sequence[Any], name: str) -> int:
    if len(X) != len(y):
        raise ValueError(f"{name}: X and y differ in length ({len(X)} vs {len(y)})")
    if len(X) == 0:
        raise ValueError(f"{name}: needs at least one example, got empty X and y")
    return len(X)


def evaluate(
    model: Callable[[Any], Any], X: Sequence[Any], y: Sequence[Any], loss: Loss
) -> tuple[float, float | None]:
    """(mean loss, accuracy) of ``model`` on the whole of (X, y), recording no graph.

    Accuracy is the fraction of examples whose ``predicted_class`` matches the
    label (None for regression losses).
    """
    _check_data(X, y, "evaluate")
    with no_grad():
        preds = [model(x) for x in X]
        value = loss(preds, list(y)).data
    correct = [_correct(loss, p, t) for p, t in zip(preds, y, strict=True)]
    accuracy = None if correct[0] is None else sum(correct) / len(correct)
    return value, accuracy


def _wants_metric(scheduler: Any) -> bool:
    # ReduceLROnPlateau (ours or torch's) steps on a metric: step(metrics). Detected by
    # class name, or by a step() whose first parameter has no default.
    if any(cls.__name__ == "ReduceLROnPlateau" for cls in type(scheduler).__mro__):
        return True
    try:
        params = list(inspect.signature(scheduler.step).parameters.values())
    except (TypeError, ValueError):
        return False
    return (
        bool(params)
        and params[0].default is inspect.Parameter.empty
        and params[0].kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    )


def fit(
    model: Callable[[Any], Any],
    X: Sequence[Any],
    y: Sequence[Any],
    loss: Loss,
    optimizer: Any,
    epochs: int,
    batch_size: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
    seed: int | None = 0,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` epochs; return the per-epoch history.

    ``batch_size=1`` is online training, ``None`` full-batch (one step per epoch),
    anything else mini-batch: each epoch visits every example exactly once, in an
    order drawn from ``random.Random(seed)`` (see ``nn.data.minibatches``). Each
    step minimises ``loss(preds, targets)``, the batch mean. After each epoch the
    scheduler steps: ``scheduler.step(epoch_loss)`` for a ReduceLROnPlateau (a class
    of that name, or any scheduler whose ``step`` takes a required argument), else
    ``scheduler.step()``.

    History: ``loss[e]`` is the mean of the per-example losses of epoch ``e``, as
    computed during its steps (each batch before its update, weighted by batch
    size); ``accuracy[e]`` the fraction of those predictions that were right (see
    the module docstring; None for regression); ``lr[e]`` the first parameter
    group's learning rate used during the epoch. A progress bar (``tqdm.auto``, so
    it renders in notebooks too) shows them unless ``progress=False``.

    Before the first update every example goes through the model and the loss once
    (no graph): bad data raises there, naming the example, and no parameter moves.
    """
    n = _check_data(X, y, "fit")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"fit: batch_size must be None or an int >= 1, got {batch_size!r}")
    for method in ("zero_grad", "step"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"fit: optimizer needs a {method}() method, got {optimizer!r}")
    if scheduler is not None and not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler needs a step() method, got {scheduler!r}")
    metric = scheduler is not None and _wants_metric(scheduler)
    if epochs:
        _check_examples(model, X, y, loss)
    rng = random.Random(seed)
    history: History = {"loss": [], "accuracy": [], "lr": []}

    from tqdm.auto import tqdm  # imported here: only training needs it

    bar = tqdm(range(epochs), desc="fit", disable=not progress, leave=True)
    for _ in bar:
        lr = _lr(optimizer)
        total, correct, counted = 0.0, 0, 0
        for batch in minibatches(n, batch_size, rng):
            optimizer.zero_grad()
            preds = [model(X[i]) for i in batch]
            targets = [y[i] for i in batch]
            value = loss(preds, targets)
            value.backward()
            optimizer.step()
            total += value.data * len(batch)
            for p, t in zip(preds, targets, strict=True):
                ok = _correct(loss, p, t)
                if ok is not None:
                    correct += ok
                    counted += 1
        epoch_loss = total / n
        accuracy = correct / counted if counted else None
        history["loss"].append(epoch_loss)
        history["accuracy"].append(accuracy)
        history["lr"].append(lr)
        if progress:
            shown = {"loss": f"{epoch_loss:.4f}"}
            if accuracy is not None:
                shown["acc"] = f"{accuracy:.3f}"
            bar.set_postfix(shown, refresh=False)
        if scheduler is not None:
            if metric:
                scheduler.step(epoch_loss)
            else:
                scheduler.step()
    bar.close()
    return history


def _check_examples(
    model: Callable[[Any], Any], X: Sequence[Any], y: Sequence[Any], loss: Loss
) -> None:
    # One forward pass (no graph) over every example before the first update, so bad
    # data raises here, naming the example, instead of midway with parameters moved.
    with no_grad():
        for i, (x, target) in enumerate(zip(X, y, strict=True)):
            try:
                loss([model(x)], [target])
            except (TypeError, ValueError, ArithmeticError) as error:
                raise_as(  # same class; a custom class keeps its instance and gets a note
                    error,
                    f"fit: example {i} (X[{i}], y[{i}]) is rejected before any update: {error}",
                )


def _lr(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    try:
        return groups[0]["lr"]
    except (TypeError, IndexError, KeyError):
        return None
