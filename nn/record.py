"""Recording a training run: ``fit(..., record=True)`` or ``fit(..., record=Recorder(...))``.

A ``Recorder`` keeps a bounded trace of the optimisation, one record per recorded step.
Step 0 is the model before training; step ``k`` is the model after ``k`` optimizer updates
(``optimizer.step()``, then ``max_norm`` if given). The record of step ``k`` holds:

- ``lr``: the learning rate of each param group used by update ``k``;
- ``loss``: the batch loss update ``k`` minimised (computed before it, at step ``k - 1``'s
  parameters), and ``val_loss`` when ``k`` ends an epoch and ``fit`` has validation data;
- ``data``: every parameter's value after update ``k``; ``grad``: the gradient update ``k``
  used (``p.grad`` as ``backward()`` left it);
- ``state``: the optimizer's per-parameter state after update ``k``, by torch's names
  (``momentum_buffer``, ``sum``, ``square_avg``, ``grad_avg``, ``exp_avg``, ``exp_avg_sq``,
  ``max_exp_avg_sq``, ``step``); a name a parameter has no entry for yet is ``nan``;
- with ``every > 1`` also ``before``: values and state just before update ``k`` (so the
  replay can write the update out with its numbers);
- for an ``MLP``, the traced examples: for each, every neuron's output and the gradient of
  that example's loss with respect to it and to its pre-activation ``z`` (dropout off),
  at the parameters update ``k``'s gradient was computed at (step ``k - 1``'s; step 0's
  own for step 0), so a traced example's d loss/d parameter is its share of ``grad``
  (``Recording.traced_parameters(k)``).

Bounded: ``every=k`` keeps steps 0, k, 2k, ... and the last; ``trace`` lists the examples
traced (default: ``DEFAULT_TRACED`` = 4, spread over the data); ``limit`` is the most
records a run may keep: a longer run raises before training starts, naming the ``every``
that would fit.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd_engine import Value, grad, no_grad
from autograd_engine.validation import check_int, show
from nn.losses import classes_of
from nn.optim import OPTIMIZERS

__all__ = ["STATE_NAMES", "Recorder", "Recording", "RecordedHistory"]

STATE_NAMES = tuple(
    dict.fromkeys(["step", *(name for c in OPTIMIZERS.values() for name in c.state_names)])
)
"""The optimizer state a recording keeps, by torch's names, in the order a page lists them:
``step``, then the ``state_names`` of every optimizer in ``nn.optim.OPTIMIZERS``, in order."""

DEFAULT_TRACED = 4
"""How many examples ``Recorder()`` traces when ``trace`` is not given."""


class Recorder:
    """What to record: ``Recorder(every=1, trace=None, limit=5000)``; pass it as ``record=``.

    ``every``: record steps 0, every, 2*every, ... and the last step. ``trace``: indices
    of training examples whose per-neuron forward values and gradients are kept at every
    recorded step (an MLP only; default: ``DEFAULT_TRACED`` indices spread evenly over the
    data; ``[]`` for none). ``limit``: the most records kept; a run that would keep more
    raises ``ValueError`` before any update.
    """

    def __init__(
        self, every: int = 1, trace: Sequence[int] | None = None, limit: int = 5000
    ) -> None:
        self.every = check_int("Recorder", "every", every, min=1)
        self.limit = check_int("Recorder", "limit", limit, min=2)
        if trace is not None:
            if isinstance(trace, str | bytes) or not isinstance(trace, Sequence):
                raise TypeError(
                    f"Recorder: trace must be a list of example indices, got {show(trace)}"
                )
            trace = [check_int("Recorder", f"trace[{i}]", t, min=0) for i, t in enumerate(trace)]
            if len(set(trace)) != len(trace):
                raise ValueError(f"Recorder: trace names an example twice: {trace}")
        self.trace: list[int] | None = None if trace is None else list(trace)

    def __repr__(self) -> str:
        return f"Recorder(every={self.every}, trace={self.trace!r}, limit={self.limit})"


class Recording:
    """The trace a ``Recorder`` kept during one ``fit``; see the module docstring.

    ``steps[r]`` is the step number of record ``r``; ``data[r]``, ``grad[r]`` are lists
    of floats in ``parameters()`` order, ``state[name][r]`` likewise (``nan`` where the
    optimizer holds no such entry), ``lr[r]`` one float per param group, ``loss[r]`` and
    ``val_loss[r]`` floats (``nan`` where not computed). ``labels`` names the parameters
    (``L0.n1.w0``); ``traces[i][r]`` is the trace of example ``i`` at record ``r``.
    """

    def __init__(
        self,
        model: Any,
        params: list[Value],
        X: Sequence[Any],
        y: Sequence[Any],
        loss: Callable[..., Any],
        optimizer: Any,
        validation: tuple[Sequence[Any], Sequence[Any]] | None,
        every: int,
        traced: list[int],
        total_steps: int,
        batch_size: int | None,
    ) -> None:
        self.model = model
        self.params = params
        self.labels = [p.label or f"p{i}" for i, p in enumerate(params)]
        self.X = [_row(x) for x in X]
        self.y = [_label_value(t) for t in y]
        self.X_val = None if validation is None else [_row(x) for x in validation[0]]
        self.y_val = None if validation is None else [_label_value(t) for t in validation[1]]
        self.loss_name = getattr(loss, "__name__", type(loss).__name__)
        rule = classes_of(loss, "fit")  # the output where the class changes (0 if none)
        self.threshold = 0.0 if rule is None or rule.boundary is None else rule.boundary
        self.loss_fn = loss
        self.optimizer_name = type(optimizer).__name__
        groups = getattr(optimizer, "param_groups", [])
        where = {id(p): g for g, group in enumerate(groups) for p in group["params"]}
        self.group_of = [where.get(id(p), 0) for p in params]
        self.hyper = [
            {k: _plain(v) for k, v in group.items() if k not in ("params", "initial_lr")}
            for group in groups
        ]
        self.every = every
        self.traced = traced
        self.total_steps = total_steps
        self.batch_size = batch_size
        self.architecture = _layers_of(model)
        self.steps: list[int] = []
        self.epoch: list[int] = []
        self.lr: list[list[float]] = []
        self.loss: list[float] = []
        self.val_loss: list[float] = []
        self.data: list[array[float]] = []
        self.grad: list[array[float]] = []
        self.state: dict[str, list[array[float]]] = {}
        self.before: dict[int, tuple[array[float], dict[str, array[float]]]] = {}
        self.traces: dict[int, list[dict[str, Any]]] = {i: [] for i in traced}
        self._optimizer = optimizer

    # -- reading -----------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.steps)

    def index(self, step: int) -> int:
        """The record number of step ``step``; ValueError if that step was not recorded."""
        try:
            return self.steps.index(step)
        except ValueError:
            raise ValueError(
                f"Recording: step {step} was not recorded (recorded: every {self.every}th, "
                f"0 to {self.steps[-1] if self.steps else 0})"
            ) from None

    def state_names(self) -> list[str]:
        """The state names this run's optimizer used, in ``STATE_NAMES`` order."""
        return [name for name in STATE_NAMES if name in self.state]

    def parameters_at(self, step: int) -> list[float]:
        """The parameter values after ``step`` updates (a recorded step)."""
        return list(self.data[self.index(step)])

    def traced_parameters(self, step: int) -> list[float]:
        """The parameter values the traced passes of ``step`` ran at: those the gradient of
        update ``step`` was computed at (step ``step - 1``'s values; step 0's for step 0)."""
        r = self.index(step)
        if r == 0:
            return list(self.data[0])
        if r in self.before:
            return list(self.before[r][0])
        return list(self.data[r - 1])  # every=1: the record before is step - 1

    def output_at(self, step: int, points: Sequence[Sequence[float]]) -> list[float]:
        """The model's output (evaluation mode, first output) at ``points`` with the
        parameters of ``step``; the model's own parameters are restored afterwards."""
        with self._evaluating_at(self.parameters_at(step)), no_grad():
            outs = []
            for x in points:
                out = self.model(list(x))
                first = out[0] if isinstance(out, list) else out
                outs.append(float(first.data if isinstance(first, Value) else first))
        return outs

    @contextmanager
    def _evaluating_at(self, values: Sequence[float]) -> Iterator[None]:
        """The model with its parameters set to ``values``, in evaluation mode; its own
        parameters and mode come back afterwards, however the block ends."""
        saved = [p.data for p in self.params]
        training = getattr(self.model, "training", None)
        try:
            for p, v in zip(self.params, values, strict=True):
                p.data = v
            if isinstance(training, bool):
                self.model.train(False)
            yield
        finally:
            for p, v in zip(self.params, saved, strict=True):
                p.data = v
            if isinstance(training, bool):
                self.model.train(training)

    def grid(self, step: int, size: int = 50) -> tuple[list[float], list[float], list[float]]:
        """(xs, ys, outputs): the model's output on a ``size`` x ``size`` grid over the data
        (row by row, y outer), at the parameters of ``step``; 2-D inputs only."""
        size = check_int("Recording.grid", "size", size, min=2, max=400)
        if not self.X or len(self.X[0]) != 2:
            raise ValueError("Recording.grid: the decision boundary needs 2-D inputs")
        xs, ys = grid_axes(self.X + (self.X_val or []), size)
        outs = self.output_at(step, [[a, b] for b in ys for a in xs])
        return xs, ys, outs

    def example_player(self, i: int, step: int) -> Any:
        """The backprop player (``autograd_engine.player``) of training example ``i``'s loss
        at the parameters the gradient of ``step`` was computed at (``traced_parameters``),
        opening at its network level: the same pass the
        replay page steps through for a traced example, there with every op one click away.
        Dropout off; the model's own parameters are restored afterwards."""
        from autograd_engine import player

        i = check_int("Recording.example_player", "i", i, min=0, max=len(self.X) - 1)
        with self._evaluating_at(self.traced_parameters(step)):
            loss = self.loss_fn([self.model(self.X[i])], [self.y[i]])
            loss.label = "loss"
            title = f"example {i} at step {step}: its backward pass"
            return player(loss, params=self.params, title=title)

    def replay(self, title: str | None = None) -> Any:
        """The replay page of this run (``nn.pictures.replay.Replay``)."""
        from nn.pictures.replay import Replay

        return Replay(self, title=title)

    # -- writing (called by fit through Session) -----------------------------------

    def _append(
        self,
        step: int,
        epoch: int,
        lr: list[float],
        loss: float,
        before: Any = None,
        traces: dict[int, dict[str, Any]] | None = None,
    ) -> None:
        self.steps.append(step)
        self.epoch.append(epoch)
        self.lr.append(lr)
        self.loss.append(loss)
        self.val_loss.append(math.nan)
        params = self.params
        self.data.append(array("d", [p.data for p in params]))
        self.grad.append(
            array("d", [p.grad if step else math.nan for p in params])  # no gradient at step 0
        )
        opt_state = getattr(self._optimizer, "state", {})
        states = [_state_of(opt_state, p) for p in params]
        # In STATE_NAMES order, not a set's: the page's JSON is the same in every process.
        names = [name for name in STATE_NAMES if any(name in s for s in states)]
        for name in (name for name in names if name not in self.state):
            self.state[name] = [array("d", [math.nan]) * len(params) for _ in self.steps[:-1]]
        for name, rows in self.state.items():
            rows.append(array("d", [float(s.get(name, math.nan)) for s in states]))
        if before is not None:
            self.before[len(self.steps) - 1] = before
        if traces is None:
            traces = self._traces()
        for i in self.traced:
            self.traces[i].append(traces[i])

    def _traces(self, values: Sequence[float] | None = None) -> dict[int, dict[str, Any]]:
        """Every traced example's pass at the current parameters, or at ``values`` (the
        model's own parameters are restored afterwards)."""
        if not self.traced:
            return {}
        if values is None:
            return {i: self._trace(i) for i in self.traced}
        saved = [p.data for p in self.params]
        try:
            for p, v in zip(self.params, values, strict=True):
                p.data = v
            return {i: self._trace(i) for i in self.traced}
        finally:
            for p, v in zip(self.params, saved, strict=True):
                p.data = v

    def _trace(self, i: int) -> dict[str, Any]:
        """One example's pass through the MLP at the current parameters (dropout off):
        per layer, per neuron [out, d loss/d out, d loss/d z]; plus the prediction and loss."""
        model = self.model
        x, target = self.X[i], self.y[i]
        training = model.training
        model.train(False)
        try:
            h: list[Any] = x
            outs: list[list[Value]] = []
            for layer in model.layers:
                row = [neuron(h) for neuron in layer.neurons]
                outs.append(row)
                h = row
            pred = outs[-1][0] if len(outs[-1]) == 1 else outs[-1]
            loss = self.loss_fn([pred], [target])
            flat = [v for row in outs for v in row]
            zs = [
                v if neuron.activation == "linear" else v.parents[0]
                for layer, row in zip(model.layers, outs, strict=True)
                for neuron, v in zip(layer.neurons, row, strict=True)
            ]
            grads = grad(loss, flat + zs)
        finally:
            model.train(training)
        m = len(flat)
        neurons, k = [], 0
        for row in outs:
            neurons.append(
                [[v.data, grads[k + j].data, grads[m + k + j].data] for j, v in enumerate(row)]
            )
            k += len(row)
        return {"loss": loss.data, "neurons": neurons}


class RecordedHistory(dict[str, Any]):
    """fit's history (a dict, as without recording) with the run's ``recording`` attached."""

    recording: Recording

    def replay(self, title: str | None = None) -> Any:
        """The replay page of the run: ``history.replay().save("training.html")``."""
        return self.recording.replay(title=title)


# -- the session fit drives ---------------------------------------------------------


class Session:
    """fit's side of recording: ``before_update()``, ``after_update()``, ``end_epoch()``."""

    def __init__(self, recording: Recording, live: Any = None) -> None:
        self.recording = recording
        self.step = 0
        self.live = live
        self._before: Any = None
        self._traces: dict[int, dict[str, Any]] | None = None
        self._lr: list[float] = []
        self._last: tuple[int, float] = (0, math.nan)

    def before_update(self) -> None:
        """Called after ``backward()``, before ``optimizer.step()``: the traced passes of a
        step due to be recorded run here, at the parameters its gradient was computed at."""
        rec = self.recording
        self._traces = rec._traces() if self._records(self.step + 1) else None
        groups = getattr(rec._optimizer, "param_groups", None) or [{"lr": math.nan}]
        self._lr = [float(g.get("lr", math.nan)) for g in groups]
        if rec.every > 1:  # cheap beside a step; also kept for a last step early stopping ends
            opt_state = getattr(rec._optimizer, "state", {})
            data = array("d", [p.data for p in rec.params])
            states = [_state_of(opt_state, p) for p in rec.params]
            state = {
                name: array("d", [float(s.get(name, math.nan)) for s in states])
                for name in STATE_NAMES
                if any(name in s for s in states)
            }
            self._before = (data, state)
        else:
            self._before = None

    def _records(self, k: int) -> bool:
        return k % self.recording.every == 0 or k == self.recording.total_steps

    def after_update(self, batch_loss: float, epoch: int) -> None:
        """Called after ``optimizer.step()`` (and max_norm): records step k if it is due."""
        self.step += 1
        k = self.step
        self._last = (epoch, batch_loss)
        if self._records(k):
            self.recording._append(k, epoch, self._lr, batch_loss, self._before, self._traces)
        if self.live is not None:
            self.live.update(self.recording, final=False)

    def end_epoch(self, val_loss: float | None) -> None:
        """Called after an epoch: the validation loss belongs to the epoch's last step."""
        rec = self.recording
        if val_loss is not None and rec.steps and rec.steps[-1] == self.step:
            rec.val_loss[-1] = float(val_loss)

    def finish(self, history: dict[str, Any]) -> RecordedHistory:
        """After the last update (before early stopping restores the best parameters): the
        last step is recorded if it was not; the history gets the recording; the live view
        becomes the replay."""
        rec = self.recording
        if self.step and rec.steps[-1] != self.step:  # early stopping ended between records
            epoch, loss = self._last
            traces = rec._traces(self._before[0]) if self._before is not None else None
            rec._append(self.step, epoch, self._lr, loss, self._before, traces)
        out = RecordedHistory(history)
        out.recording = rec
        if self.live is not None:
            self.live.update(self.recording, final=True)
        return out


def start(
    record: object,
    live: object,
    model: Any,
    X: Sequence[Any],
    y: Sequence[Any],
    loss: Callable[..., Any],
    optimizer: Any,
    validation: tuple[Sequence[Any], Sequence[Any]] | None,
    steps_per_epoch: int,
    epochs: int,
    batch_size: int | None,
) -> Session | None:
    """Check ``record``/``live`` and start a session (None if neither asks for one).

    Records step 0 (the initial parameters, with the initial training loss). Raises
    before any update if the run would keep more than ``limit`` records.
    """
    view: Any = None
    if live is True:
        from nn.pictures.replay import LiveView

        view = LiveView()
    elif live is not False:
        from nn.pictures.replay import LiveView

        if not isinstance(live, LiveView):
            raise TypeError(f"fit: live must be True, False or a LiveView, got {show(live)}")
        view = live
    if record is None or record is False:
        if view is None:
            return None
        recorder = Recorder()
    elif record is True:
        recorder = Recorder()
    elif isinstance(record, Recorder):
        recorder = record
    else:
        raise TypeError(f"fit: record must be True, False or a Recorder, got {show(record)}")
    params = _parameters(model)
    if not params:
        raise TypeError(
            f"fit: record needs a model with parameters() (an nn Module), got "
            f"{type(model).__name__}"
        )
    n = len(X)
    total = steps_per_epoch * epochs
    records = total // recorder.every + 1 + (1 if total % recorder.every else 0)
    if records > recorder.limit:
        # every=total keeps 2 records (the start and the end); else ceil(total / (limit - 2))
        need = total if recorder.limit == 2 else -(-total // (recorder.limit - 2))
        raise ValueError(
            f"fit: recording {total} steps at every={recorder.every} keeps {records} records, "
            f"more than limit={recorder.limit}; pass record=Recorder(every={need}) "
            "(or a larger limit)"
        )
    is_mlp = getattr(model, "layers", None) is not None and hasattr(model, "architecture")
    if recorder.trace is None:
        traced = sorted({(j * n) // DEFAULT_TRACED for j in range(min(n, DEFAULT_TRACED))})
    else:
        traced = recorder.trace
        for i in traced:
            if i >= n:
                raise ValueError(
                    f"fit: Recorder trace index {i} is out of range for {n} training examples"
                )
    if not is_mlp:
        traced = []
    recording = Recording(
        model,
        params,
        X,
        y,
        loss,
        optimizer,
        validation,
        recorder.every,
        traced,
        total,
        batch_size,
    )
    session = Session(recording, view)
    groups = getattr(optimizer, "param_groups", None) or [{"lr": math.nan}]
    lr0 = [float(g.get("lr", math.nan)) for g in groups]
    recording._append(0, 0, lr0, math.nan)
    return session


# -- helpers ------------------------------------------------------------------------


def grid_axes(points: Sequence[Sequence[float]], size: int) -> tuple[list[float], list[float]]:
    """``size`` evenly spaced x and y coordinates covering ``points`` plus a 10% margin."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    out = []
    for lo, hi in ((min(xs), max(xs)), (min(ys), max(ys))):
        pad = 0.1 * (hi - lo) or 1.0
        lo, hi = lo - pad, hi + pad
        out.append([lo + (hi - lo) * k / (size - 1) for k in range(size)])
    return out[0], out[1]


def _parameters(model: Any) -> list[Value]:
    params = getattr(model, "parameters", None)
    if not callable(params):
        return []
    return list(params())


def _state_of(state: Any, p: Value) -> dict[str, float]:
    try:
        got = state.get(p)
    except (AttributeError, TypeError):
        return {}
    return got if isinstance(got, dict) else {}


def _layers_of(model: Any) -> dict[str, Any] | None:
    """The model as layers for the page: an MLP's architecture; a Layer or a Neuron as an
    MLP of one layer (same parameter order); None for any other model."""
    arch = getattr(model, "architecture", None)
    if not callable(arch):
        return None
    got = arch()
    if not isinstance(got, dict):
        return None
    if got.get("type") == "MLP" and getattr(model, "layers", None) is not None:
        return got
    if got.get("type") in ("Neuron", "Layer"):
        nout = 1 if got["type"] == "Neuron" else got["nout"]
        act = got["activation"]
        return {
            "type": got["type"],
            "nin": got["nin"],
            "nouts": [nout],
            "activation": act,
            "output_activation": act,
        }
    return None


def _row(x: Any) -> list[float]:
    """An input as a list of floats (a Value's data; a scalar input as a row of one)."""
    if isinstance(x, Sequence) and not isinstance(x, str | bytes):
        return [float(v.data if isinstance(v, Value) else v) for v in x]
    return [float(x.data if isinstance(x, Value) else x)]


def _label_value(t: Any) -> Any:
    if isinstance(t, Value):
        return t.data
    if isinstance(t, Sequence) and not isinstance(t, str | bytes):
        return [_label_value(v) for v in t]
    return t


def _plain(v: Any) -> Any:
    if isinstance(v, bool | int | float | str) or v is None:
        return v
    if isinstance(v, tuple | list):
        return [_plain(x) for x in v]
    return repr(v)


def now() -> float:
    """Seconds on a monotonic clock (the live view's throttle)."""
    return time.monotonic()
