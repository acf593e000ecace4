"""The training loop: ``fit`` (online, mini-batch or full-batch) and ``evaluate``.

One optimisation step is: ``optimizer.zero_grad()``, forward the batch,
``loss(preds, targets)``, ``backward()``, ``optimizer.step()``. Any optimizer with
the ``torch.optim`` interface works (``zero_grad()``, ``step()``, ``param_groups``),
and any scheduler with ``step()``, stepped once per epoch. Accuracy is counted by the
rule the loss declares (``nn.losses.Classes``); a loss that declares none is a
regression loss, with accuracy None.
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
from nn.early_stopping import EarlyStopping
from nn.losses import Classes, classes_of
from nn.module import Module

__all__ = ["fit", "evaluate", "predicted_class", "History", "EarlyStopping"]

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
    """The class a prediction stands for under the rule ``loss`` declares (None for regression).

    binary_cross_entropy: 1 if p >= 0.5 else 0; hinge_loss: +1 if s > 0 else -1;
    cross_entropy: argmax of the logits (first on ties); see ``nn.losses.Classes``.
    """
    rule = classes_of(loss, "predicted_class")
    return None if rule is None else rule.predict(_data(pred))


def _count_correct(rule: Classes | None, preds: Sequence[Any], targets: Sequence[Any]) -> int:
    # How many predictions ``rule`` counts as right (0 for a regression loss).
    if rule is None:
        return 0
    return sum(rule.correct(_data(p), t) for p, t in zip(preds, targets, strict=True))


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
    rule = classes_of(loss, "evaluate")
    with _mode(model, training=False), no_grad():
        preds = [model(x) for x in X]
        value = loss(preds, list(y)).data
    accuracy = None if rule is None else _count_correct(rule, preds, y) / len(preds)
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


def _steps_on(scheduler: Any) -> str:
    """What ``scheduler.step`` takes: ``"metric"`` (the epoch loss) or ``"epoch"`` (nothing).

    As the scheduler declares it (``steps_on``, see ``nn.schedules.LRScheduler``); one that
    declares nothing (torch's) steps on a metric when its ``step``'s first parameter has no
    default, as torch's ``ReduceLROnPlateau.step(metrics)``.
    """
    declared = getattr(scheduler, "steps_on", None)
    if declared is not None:
        if declared not in ("epoch", "metric"):
            raise ValueError(
                f"fit: scheduler.steps_on must be 'epoch' or 'metric', got {show(declared)}"
            )
        return str(declared)
    try:
        params = list(inspect.signature(scheduler.step).parameters.values())
    except (TypeError, ValueError):
        return "epoch"
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if params and params[0].default is inspect.Parameter.empty and params[0].kind in positional:
        return "metric"
    return "epoch"


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
    early_stopping: int | EarlyStopping | None = None,
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
    loss) for a scheduler that steps on a metric (``steps_on = "metric"``, as
    ``ReduceLROnPlateau``; one that declares no ``steps_on`` does when its ``step``
    takes a required argument), else ``scheduler.step()``.

    History: ``loss[e]`` is the mean of the per-example losses of epoch ``e``, as
    computed during its steps (each batch before its update, weighted by batch
    size; the penalty is not included); ``accuracy[e]`` the fraction of those
    predictions that were right by the rule the loss declares (``nn.losses.Classes``;
    None for a regression loss); ``lr[e]`` the first parameter group's learning rate
    used during the epoch. A progress bar (``tqdm.auto``, so it renders in notebooks
    too) shows them unless ``progress=False``.

    Modes: a model with ``train()``/``eval()`` (an nn ``Module``) is trained in
    training mode (dropout on) and evaluated in evaluation mode (dropout off); at
    the end it is back in the mode it had when ``fit`` was called.

    ``validation=(X_val, y_val)``: after every epoch the model is evaluated on it
    (``evaluate``: evaluation mode, no graph recorded) and the history gains
    ``val_loss[e]`` and ``val_accuracy[e]``, also shown by the progress bar.

    ``early_stopping=patience`` (an int >= 1, or an ``EarlyStopping``; needs
    ``validation``): training stops once ``patience`` epochs in a row have not lowered
    the best validation loss (strictly, by more than ``min_delta``), and the parameters
    of the best epoch are copied back into the model (also when all ``epochs`` ran).
    ``history["best_epoch"]`` is the index ``e`` of that epoch (the first of ties),
    ``history["stopped_epoch"]`` the index of the last epoch trained if early stopping
    ended training, else None (patience running out on the last epoch stops nothing).

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
    _check_run(epochs, batch_size, optimizer, scheduler)
    X_val, y_val = _check_validation(validation, X, y)
    stopper = _early_stopping(early_stopping, validation, model)
    max_norm = _check_extras(model, max_norm, penalty, progress, compile)
    rule = classes_of(loss, "fit")
    steps_on = None if scheduler is None else _steps_on(scheduler)
    per_epoch = 1 if batch_size is None or batch_size >= n else -(-n // batch_size)
    session = recording.start(
        record, live, model, X, y, loss, optimizer, validation, per_epoch, epochs, batch_size
    )
    rng = seeded("fit", seed)
    if epochs:
        _check_first_pass(model, loss, penalty, [(X, y, ""), (X_val, y_val, "validation ")])
    history = _empty_history(X_val is not None, stopper is not None)
    if stopper is not None:
        stopper.start(model.parameters())  # type: ignore[attr-defined]  # checked: a Module
    bar = _progress_bar(epochs) if progress else None
    with _mode(model, training=True):
        # compile=True: traced and checked here, in training mode, before any update.
        trainer = CompiledTrainer(model, loss, penalty, X) if compile and epochs else None
        epoch_of = _Epoch(model, X, y, loss, rule, optimizer, penalty, max_norm, trainer, session)
        epoch = 0
        try:
            for epoch in range(epochs) if bar is None else bar:
                lr = _lr(optimizer)
                epoch_loss, accuracy = epoch_of.run(
                    epoch, epochs, lr, minibatches(n, batch_size, rng)
                )
                _check_converging(history["loss"], epoch_loss, epoch, lr)
                shown = _log(history, "", epoch_loss, accuracy, lr=lr)
                val_loss = None
                if X_val is not None and y_val is not None:
                    val_loss, val_accuracy = evaluate(model, X_val, y_val, loss)
                    shown |= _log(history, "val_", val_loss, val_accuracy)
                if session is not None:
                    session.end_epoch(val_loss)
                if bar is not None:
                    bar.set_postfix(shown, refresh=False)
                if steps_on == "metric":
                    scheduler.step(epoch_loss)
                elif steps_on == "epoch":
                    scheduler.step()
                if stopper is not None and val_loss is not None and stopper.update(epoch, val_loss):
                    if epoch < epochs - 1:  # patience running out on the last epoch stops nothing
                        history["stopped_epoch"] = epoch
                        break
        except KeyboardInterrupt as error:  # Ctrl-C anywhere in an epoch: say where it stood
            error.add_note(f"fit: stopped during epoch {epoch + 1} of {epochs}")
            raise
    if bar is not None:
        bar.close()
    if stopper is not None:
        history["best_epoch"] = stopper.best_epoch
    if session is not None:
        history = session.finish(history)
    if stopper is not None:
        stopper.restore()  # the parameters of the best epoch
    return history


class _Epoch:
    """One epoch of training: every batch's forward, backward and update, with the tally."""

    def __init__(
        self,
        model: Callable[[Any], Any],
        X: Sequence[Any],
        y: Sequence[Any],
        loss: Loss,
        rule: Classes | None,
        optimizer: Any,
        penalty: Callable[[], Value] | None,
        max_norm: float | None,
        trainer: CompiledTrainer | None,
        session: recording.Session | None,
    ) -> None:
        self.model, self.X, self.y, self.loss, self.rule = model, X, y, loss, rule
        self.optimizer, self.penalty, self.max_norm = optimizer, penalty, max_norm
        self.trainer, self.session = trainer, session

    def run(
        self, epoch: int, epochs: int, lr: float | None, batches: Iterator[list[int]]
    ) -> tuple[float, float | None]:
        """Train on every batch; return the epoch's mean loss and accuracy (None: regression)."""
        total, correct, n = 0.0, 0, 0
        parts = []  # (batch loss, batch size): the mean again if the plain total overflows
        for batch in batches:
            targets = [self.y[i] for i in batch]
            try:
                preds, value = self._step(batch, targets)
            except (OverflowError, FloatingPointError) as error:  # numbers beyond floats
                raise_as(error, _diverging(epoch, lr, str(error)))
            if self.max_norm is not None:
                max_norm_(self.model, self.max_norm)  # type: ignore[arg-type]  # checked
            if self.session is not None:
                self.session.after_update(value.data, epoch)
            total += value.data * len(batch)
            parts.append((value.data, len(batch)))
            correct += _count_correct(self.rule, preds, targets)
            n += len(batch)
        if math.isinf(total) and all(math.isfinite(v) for v, _ in parts):
            # Finite batch losses have a finite mean, whatever their plain total does.
            return math.fsum(v * (k / n) for v, k in parts), _accuracy(self.rule, correct, n)
        return total / n, _accuracy(self.rule, correct, n)

    def _step(self, batch: list[int], targets: list[Any]) -> tuple[list[Any], Value]:
        # One update: zero_grad, forward, backward, optimizer.step(); the predictions and loss.
        self.optimizer.zero_grad()
        if self.trainer is not None:  # the model compiled: the same gradients, bit for bit
            preds, value = self.trainer.step([self.X[i] for i in batch], targets)
        else:
            preds = [self.model(self.X[i]) for i in batch]
            value = self.loss(preds, targets)
            objective = value if self.penalty is None else value + self.penalty()
            objective.backward()
        if self.session is not None:
            self.session.before_update()
        self.optimizer.step()
        return preds, value


def _empty_history(validation: bool, early_stopping: bool) -> History:
    history: History = {"loss": [], "accuracy": [], "lr": []}
    if validation:
        history["val_loss"], history["val_accuracy"] = [], []
    if early_stopping:
        history["best_epoch"], history["stopped_epoch"] = None, None
    return history


def _log(
    history: History, prefix: str, loss: float, accuracy: float | None, **more: Any
) -> dict[str, str]:
    # Append an epoch's figures to the history; return them as the progress bar shows them.
    history[prefix + "loss"].append(loss)
    history[prefix + "accuracy"].append(accuracy)
    for key, value in more.items():
        history[key].append(value)
    shown = {prefix + "loss": f"{loss:.4f}"}
    if accuracy is not None:
        shown[prefix + "acc"] = f"{accuracy:.3f}"
    return shown


def _progress_bar(epochs: int) -> Any:
    # Imported only when shown: tqdm.auto warns in a notebook without widgets.
    from tqdm.auto import tqdm

    return tqdm(range(epochs), desc="fit", leave=True)


def _accuracy(rule: Any, correct: int, n: int) -> float | None:
    # The share of examples classified right, or None for a loss with no rule (regression).
    return None if rule is None else correct / n


def _check_converging(losses: list[float], epoch_loss: float, epoch: int, lr: float | None) -> None:
    # A nan or inf loss, or one a million times the first epoch's, is a diverging run.
    first = losses[0] if losses else epoch_loss
    if not math.isfinite(epoch_loss) or (first > 0.0 and epoch_loss > 1e6 * first):
        raise FloatingPointError(
            _diverging(epoch, lr, f"the loss grew from {first:.4g} to {epoch_loss:.4g}")
        )


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
                    f"fit: validation {name}_val[{i}] is {_shape_words(_shape(item))}, but the "
                    f"training {name}[0] is {_shape_words(expected)}"
                )
    return X_val, y_val


def _shape(item: object) -> int | None:
    # The length of a row (a list of features or logits), None for a scalar.
    if isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
        return len(item)
    return None


def _shape_words(shape: int | None) -> str:
    # How a message names a shape: "a single number" or "a row of 3".
    return "a single number" if shape is None else f"a row of {shape}"


def _early_stopping(
    early_stopping: object, validation: object, model: object
) -> EarlyStopping | None:
    # The EarlyStopping object fit uses: the one given, or EarlyStopping(patience) for an int.
    if early_stopping is None:
        return None
    if isinstance(early_stopping, EarlyStopping):
        stopper = early_stopping
    elif isinstance(early_stopping, bool) or not isinstance(early_stopping, numbers.Integral):
        raise TypeError(
            f"fit: early_stopping must be None, an int >= 1 (the patience in epochs) or an "
            f"EarlyStopping, got {type(early_stopping).__name__} {early_stopping!r}"
        )
    elif early_stopping < 1:
        raise ValueError(
            f"fit: early_stopping must be None or an int >= 1 (the patience in epochs), "
            f"got {early_stopping!r}"
        )
    else:
        stopper = EarlyStopping(int(early_stopping))
    if validation is None:
        raise ValueError(
            "fit: early_stopping watches the validation loss: pass validation=(X_val, y_val)"
        )
    if not callable(getattr(model, "parameters", None)):
        raise TypeError(
            f"fit: early_stopping restores the best parameters, so the model needs a "
            f"parameters() method, got {type(model).__name__}"
        )
    return stopper


def _check_run(epochs: object, batch_size: object, optimizer: object, scheduler: object) -> None:
    # The run's shape and its optimizer and scheduler.
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


def _check_extras(
    model: object, max_norm: object, penalty: object, progress: object, compile: object
) -> float | None:
    # max_norm (returned as a float, or None), penalty and the two switches.
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
    return max_norm  # None or checked to a float


def _check_first_pass(
    model: Callable[[Any], Any],
    loss: Loss,
    penalty: Callable[[], Any] | None,
    data: list[tuple[Sequence[Any] | None, Sequence[Any] | None, str]],
) -> None:
    # Every example through the model and the loss, and the penalty once, before any update.
    with _mode(model, training=False):
        for X, y, which in data:
            if X is not None and y is not None:
                _check_examples(model, X, y, loss, which)
        if penalty is not None:
            _check_penalty(penalty)


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
