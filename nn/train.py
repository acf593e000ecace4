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
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd_engine import Value, no_grad
from autograd_engine.validation import array_as_list, check_bool, raise_as, seeded, show
from nn import record as recording
from nn.compiled_fit import CompiledTrainer
from nn.constraints import check_max_norm, max_norm_
from nn.data import minibatches
from nn.losses import binary_cross_entropy, cross_entropy, hinge_loss
from nn.module import Module

__all__ = ["fit", "evaluate", "predicted_class", "History"]

History = dict[str, Any]
"""fit's result: {"loss": [...], "accuracy": [...], "lr": [...]}, one entry per epoch; with
``validation`` also "val_loss" and "val_accuracy"; with ``early_stopping`` also "best_epoch"
and "stopped_epoch" (ints or None). See ``fit``."""

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
    return bool(cls == target)


def _check_data(X: Sequence[Any], y: Sequence[Any], name: str) -> int:
    for argument, data in (("X", X), ("y", y)):
        if isinstance(data, str | bytes) or not isinstance(data, Sequence):
            raise TypeError(f"{name}: {argument} must be a list of examples, got {show(data)}")
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
    label (None for regression losses). A model with ``train()``/``eval()`` (an nn
    ``Module``) is evaluated in evaluation mode, so dropout is off, and left in the
    mode it was in.
    """
    X, y = array_as_list(X), array_as_list(y)
    _check_data(X, y, "evaluate")
    with _mode(model, training=False), no_grad():
        preds = [model(x) for x in X]
        value = loss(preds, list(y)).data
    correct = [_correct(loss, p, t) for p, t in zip(preds, y, strict=True)]
    accuracy = None if correct[0] is None else sum(map(bool, correct)) / len(correct)
    return value, accuracy


@contextmanager
def _mode(model: Any, training: bool) -> Iterator[None]:
    # Switch a Module to train/eval mode for the block, then back to the mode it had.
    before = getattr(model, "training", None)
    switch = getattr(model, "train", None)
    if not isinstance(before, bool) or not callable(switch):
        yield  # a plain callable has no modes
        return
    switch(training)
    try:
        yield
    finally:
        switch(before)


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
    *,
    validation: tuple[Sequence[Any], Sequence[Any]] | None = None,
    early_stopping: int | None = None,
    max_norm: float | None = None,
    penalty: Callable[[], Value] | None = None,
    compile: bool = False,
    record: Any = False,
    live: Any = False,
) -> History:
    """Train ``model`` on (X, y) for ``epochs`` epochs; return the per-epoch history.

    ``batch_size=1`` is online training, ``None`` full-batch (one step per epoch),
    anything else mini-batch: each epoch visits every example exactly once, in an
    order drawn from ``random.Random(seed)`` (see ``nn.data.minibatches``). Each
    step minimises ``loss(preds, targets)``, the batch mean, plus ``penalty()`` if
    given (e.g. ``lambda: l2_penalty(weights, 1e-3)``, rebuilt every step). After
    each epoch the scheduler steps: ``scheduler.step(epoch_loss)`` (the training
    loss) for a ReduceLROnPlateau (a class of that name, or any scheduler whose
    ``step`` takes a required argument), else ``scheduler.step()``.

    History: ``loss[e]`` is the mean of the per-example losses of epoch ``e``, as
    computed during its steps (each batch before its update, weighted by batch
    size; the penalty is not included); ``accuracy[e]`` the fraction of those
    predictions that were right (see the module docstring; None for regression);
    ``lr[e]`` the first parameter group's learning rate used during the epoch. A
    progress bar (``tqdm.auto``, so it renders in notebooks too) shows them unless
    ``progress=False``.

    Modes: a model with ``train()``/``eval()`` (an nn ``Module``) is trained in
    training mode (dropout on) and evaluated in evaluation mode (dropout off); at
    the end it is back in the mode it had when ``fit`` was called.

    ``validation=(X_val, y_val)``: after every epoch the model is evaluated on it
    (``evaluate``: evaluation mode, no graph recorded) and the history gains
    ``val_loss[e]`` and ``val_accuracy[e]``, also shown by the progress bar.

    ``early_stopping=patience`` (an int >= 1, needs ``validation``): training stops
    once ``patience`` epochs in a row have not lowered the best validation loss
    (strictly), and the parameters of the best epoch are copied back into the
    model (also when all ``epochs`` ran). ``history["best_epoch"]`` is the index
    ``e`` of that epoch (the first of ties), ``history["stopped_epoch"]`` the index
    of the last epoch trained if early stopping ended training, else None.

    ``compile=True``: the model runs as compiled straight-line code
    (``autograd_engine.compiled``; see ``nn.compiled_fit``), with the trained parameters
    bit-identical to ``compile=False``. The model must not branch on the data (checked:
    ``GuardError`` if it does).

    ``max_norm=c``: after every optimizer step, ``nn.constraints.max_norm_(model, c)``
    rescales each neuron's incoming weight vector to a 2-norm of at most c.

    Before the first update every argument is checked and every training and
    validation example goes through the model and the loss once (evaluation mode,
    no graph): bad input raises there, naming the argument or example, and no
    parameter moves.

    ``record=True`` (or ``record=nn.record.Recorder(every=k, trace=[...])``) keeps a
    bounded trace of the run (``nn.record``): the returned history is then a
    ``RecordedHistory`` whose ``replay()`` is a page that steps through the training.
    ``live=True`` (records too) shows that page in Jupyter while training runs, updated
    in place, ending as the full replay (or pass an ``nn.pictures.replay.LiveView``).
    """
    X, y = array_as_list(X), array_as_list(y)  # a numpy array as lists of numbers
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
    X_val, y_val = _check_validation(validation, X, y)
    patience = _check_patience(early_stopping, validation, model)
    if max_norm is not None:
        if not isinstance(model, Module):
            raise TypeError(
                f"fit: max_norm needs an nn Module (Neuron, Layer, MLP), got {type(model).__name__}"
            )
        max_norm = check_max_norm(max_norm, "fit")
    if penalty is not None and not callable(penalty):
        raise TypeError(
            f"fit: penalty must be a function of no arguments returning a Value, got {penalty!r}"
        )
    check_bool("fit", "progress", progress)
    check_bool("fit", "compile", compile)
    session = recording.start(
        record,
        live,
        model,
        X,
        y,
        loss,
        optimizer,
        validation,
        1 if batch_size is None or batch_size >= n else -(-n // batch_size),
        epochs,
        batch_size,
    )
    rng = seeded("fit", seed)
    metric = scheduler is not None and _wants_metric(scheduler)
    if epochs:
        with _mode(model, training=False):
            _check_examples(model, X, y, loss, "")
            if X_val is not None and y_val is not None:
                _check_examples(model, X_val, y_val, loss, "validation ")
            if penalty is not None:
                _check_penalty(penalty)
    history: History = {"loss": [], "accuracy": [], "lr": []}
    if X_val is not None:
        history["val_loss"], history["val_accuracy"] = [], []
    if patience is not None:
        history["best_epoch"], history["stopped_epoch"] = None, None
    # Typed as a callable; with patience it must also have parameters() (a Module).
    params = model.parameters() if patience is not None else []  # type: ignore[attr-defined]
    best_loss, best_data, waited = math.inf, [p.data for p in params], 0

    bar = None
    if progress:  # imported only when shown: tqdm.auto warns in a notebook without widgets
        from tqdm.auto import tqdm

        bar = tqdm(range(epochs), desc="fit", leave=True)
    with _mode(model, training=True):
        # compile=True: traced and checked here, in training mode, before any update.
        trainer = CompiledTrainer(model, loss, penalty, X) if compile and epochs else None
        for epoch in range(epochs) if bar is None else bar:
            lr = _lr(optimizer)
            total, correct, counted = 0.0, 0, 0
            for batch in minibatches(n, batch_size, rng):
                optimizer.zero_grad()
                try:
                    targets = [y[i] for i in batch]
                    if trainer is not None:  # the model compiled: the same gradients, bit for bit
                        preds, value = trainer.step([X[i] for i in batch], targets)
                    else:
                        preds = [model(X[i]) for i in batch]
                        value = loss(preds, targets)
                        objective = value if penalty is None else value + penalty()
                        objective.backward()
                    if session is not None:
                        session.before_update()
                    optimizer.step()
                except (OverflowError, FloatingPointError) as error:  # numbers beyond floats
                    raise_as(error, _diverging(epoch, lr, str(error)))
                except KeyboardInterrupt as error:  # Ctrl-C: say where training stood
                    error.add_note(f"fit: stopped during epoch {epoch + 1} of {epochs}")
                    raise
                if max_norm is not None:
                    max_norm_(model, max_norm)
                if session is not None:
                    session.after_update(value.data, epoch)
                total += value.data * len(batch)
                for p, t in zip(preds, targets, strict=True):
                    ok = _correct(loss, p, t)
                    if ok is not None:
                        correct += ok
                        counted += 1
            epoch_loss = total / n
            first = history["loss"][0] if history["loss"] else epoch_loss
            if not math.isfinite(epoch_loss) or (first > 0.0 and epoch_loss > 1e6 * first):
                raise FloatingPointError(
                    _diverging(epoch, lr, f"the loss grew from {first:.4g} to {epoch_loss:.4g}")
                )
            accuracy = correct / counted if counted else None
            history["loss"].append(epoch_loss)
            history["accuracy"].append(accuracy)
            history["lr"].append(lr)
            shown = {"loss": f"{epoch_loss:.4f}"}
            if accuracy is not None:
                shown["acc"] = f"{accuracy:.3f}"
            if X_val is not None and y_val is not None:
                val_loss, val_accuracy = evaluate(model, X_val, y_val, loss)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_accuracy)
                shown["val_loss"] = f"{val_loss:.4f}"
                if val_accuracy is not None:
                    shown["val_acc"] = f"{val_accuracy:.3f}"
            if session is not None:
                session.end_epoch(history["val_loss"][-1] if X_val is not None else None)
            if bar is not None:
                bar.set_postfix(shown, refresh=False)
            if scheduler is not None:
                if metric:
                    scheduler.step(epoch_loss)
                else:
                    scheduler.step()
            if patience is not None:
                if val_loss < best_loss:
                    best_loss, best_data, waited = val_loss, [p.data for p in params], 0
                    history["best_epoch"] = epoch
                else:
                    waited += 1
                    if waited >= patience and epoch < epochs - 1:
                        history["stopped_epoch"] = epoch
                        break
    if bar is not None:
        bar.close()
    if session is not None:
        history = session.finish(history)
    if patience is not None and history["best_epoch"] is not None:
        for p, v in zip(params, best_data, strict=True):
            p.data = v  # the parameters of the best epoch
    return history


def _diverging(epoch: int, lr: float | None, what: str) -> str:
    """The message for a run that diverges: what happened, where, and the likely cause."""
    rate = f" (lr={lr!r})" if lr is not None else ""
    return (
        f"fit: training diverged at epoch {epoch} ({what}); the usual cause is a learning "
        f"rate that is too large{rate}: try a smaller one"
    )


def _check_validation(
    validation: object, X: Sequence[Any], y: Sequence[Any]
) -> tuple[Sequence[Any] | None, Sequence[Any] | None]:
    # (X_val, y_val), checked to have the training data's shape, or (None, None).
    if validation is None:
        return None, None
    if (
        isinstance(validation, (str, bytes))
        or not isinstance(validation, Sequence)
        or len(validation) != 2
    ):
        raise TypeError(
            f"fit: validation must be a pair (X_val, y_val), got {type(validation).__name__}"
        )
    X_val, y_val = (array_as_list(data) for data in validation)
    for name, data in (("X_val", X_val), ("y_val", y_val)):
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise TypeError(f"fit: validation {name} must be a list, got {type(data).__name__}")
    _check_data(X_val, y_val, "fit: validation")
    for name, train, held_out in (("X", X, X_val), ("y", y, y_val)):
        expected = _shape(train[0])
        for i, item in enumerate(held_out):
            if _shape(item) != expected:
                raise ValueError(
                    f"fit: validation {name}_val[{i}] is {_describe(_shape(item))}, but the "
                    f"training {name}[0] is {_describe(expected)}"
                )
    return X_val, y_val


def _shape(item: object) -> int | None:
    # The length of a row (a list of features or logits), None for a scalar.
    if isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
        return len(item)
    return None


def _describe(shape: int | None) -> str:
    return "a single number" if shape is None else f"a row of {shape}"


def _check_patience(patience: object, validation: object, model: object) -> int | None:
    if patience is None:
        return None
    if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
        raise TypeError(
            f"fit: early_stopping must be None or an int >= 1 (the patience in epochs), "
            f"got {type(patience).__name__} {patience!r}"
        )
    if patience < 1:
        raise ValueError(
            f"fit: early_stopping must be None or an int >= 1 (the patience in epochs), "
            f"got {patience!r}"
        )
    if validation is None:
        raise ValueError(
            "fit: early_stopping watches the validation loss: pass validation=(X_val, y_val)"
        )
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"fit: early_stopping restores the best parameters, so the model needs a "
            f"parameters() method, got {type(model).__name__}"
        )
    return int(patience)


def _check_penalty(penalty: Callable[[], Any]) -> None:
    value = penalty()
    if not isinstance(value, Value):
        raise TypeError(
            f"fit: penalty() must return a Value (e.g. l2_penalty(...)), "
            f"got {type(value).__name__} {value!r}"
        )


def _check_examples(
    model: Callable[[Any], Any], X: Sequence[Any], y: Sequence[Any], loss: Loss, which: str
) -> None:
    # One forward pass (no graph) over every example before the first update, so bad
    # data raises here, naming the example, instead of midway with parameters moved.
    with no_grad():
        for i, (x, target) in enumerate(zip(X, y, strict=True)):
            try:
                loss([model(x)], [target])
            except (TypeError, ValueError, ArithmeticError) as error:
                where = f"X_val[{i}], y_val[{i}]" if which else f"X[{i}], y[{i}]"
                raise_as(  # same class; a custom class keeps its instance and gets a note
                    error,
                    f"fit: {which}example {i} ({where}) is rejected before any update: {error}",
                )


def _lr(optimizer: Any) -> float | None:
    groups: Any = getattr(optimizer, "param_groups", None)
    try:
        lr: float | None = groups[0]["lr"]  # a TypeError if there are no groups
        return lr
    except (TypeError, IndexError, KeyError):
        return None
