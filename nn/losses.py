"""Loss functions: each takes lists (a batch) and returns the mean over the batch as a Value.

Built only from ``Value`` arithmetic, so ``loss.backward()`` reaches the model.
Predictions may be Values or plain numbers; targets and labels are numbers. A
length mismatch, an empty batch or a bad label raises ValueError naming the loss,
the argument and the offending entry. Values and gradients match PyTorch's
``reduction="mean"`` losses (``tests/test_losses.py`` checks this), with one
exception at the edges of binary cross-entropy, described in its docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from autograd_engine import Value
from autograd_engine.compiler import runtime_constant, runtime_guard, tracing
from autograd_engine.validation import (
    check_int,
    check_real,
    check_sequence,
    is_real,
    label_note,
    show,
)

__all__ = ["mse_loss", "binary_cross_entropy", "cross_entropy", "softmax", "hinge_loss"]
__all__ += ["Classes", "classifies", "classes_of", "THRESHOLD", "SIGN", "ARGMAX"]

LOG_CLAMP = -100.0
"""binary_cross_entropy clamps each log to >= LOG_CLAMP, as torch.nn.BCELoss does."""

_TINY = math.exp(LOG_CLAMP)  # log(p) < -100 exactly when p < e^-100


# -- how a loss counts accuracy ----------------------------------------------------------


@dataclass(frozen=True)
class Classes:
    """How a loss's predictions count as right: ``predict(pred) == label(target)``.

    ``predict`` takes a prediction's number (a list of numbers for a row of logits) and
    ``label`` a target, each returning a class. ``boundary`` is the prediction at which
    the class changes, where there is one (drawn as the decision boundary). A loss declares
    its rule with ``@classifies(rule)``; a loss without one is a regression loss, and
    ``fit``/``evaluate`` report no accuracy for it.
    """

    name: str
    predict: Callable[[Any], Any]
    label: Callable[[Any], Any]
    boundary: float | None = None

    def correct(self, pred: Any, target: Any) -> bool:
        """Whether ``pred`` (a number or a list of numbers) is ``target``'s class."""
        return bool(self.predict(pred) == self.label(target))


def _at_least_half(x: Any) -> int:
    return 1 if float(x) >= 0.5 else 0


def _sign(s: Any) -> int:
    return 1 if s > 0.0 else -1


def _same(t: Any) -> Any:
    return t


def _argmax(row: Any) -> int:
    return max(range(len(row)), key=row.__getitem__)  # max keeps the first of ties


THRESHOLD = Classes("p >= 0.5", _at_least_half, _at_least_half, boundary=0.5)
"""Probabilities: class 1 if p >= 0.5 else 0, the target's likewise (t >= 0.5)."""
SIGN = Classes("sign", _sign, _same, boundary=0.0)
"""Scores with labels +1/-1: class +1 if s > 0 else -1, compared with the label."""
ARGMAX = Classes("argmax", _argmax, _same)
"""Rows of logits: the first index of the largest (as ``torch.argmax``), vs the target index."""

_Loss = TypeVar("_Loss", bound=Callable[..., Any])


def classifies(rule: Classes) -> Callable[[_Loss], _Loss]:
    """Decorator: the loss declares ``rule`` as how its accuracy is counted (``loss.classes``).

    >>> @classifies(SIGN)
    ... def my_hinge(scores, labels): ...
    >>> classes_of(my_hinge) is SIGN
    True
    """
    if not isinstance(rule, Classes):
        raise TypeError(f"classifies: rule must be a Classes, got {show(rule)}")

    def declare(loss: _Loss) -> _Loss:
        loss.classes = rule  # type: ignore[attr-defined]
        return loss

    return declare


def classes_of(loss: object, owner: str = "classes_of") -> Classes | None:
    """The ``Classes`` rule ``loss`` declares (``loss.classes``), or None for a regression loss."""
    rule = getattr(loss, "classes", None)
    if rule is not None and not isinstance(rule, Classes):
        raise TypeError(
            f"{owner}: loss.classes must be an nn.losses.Classes (or absent), got {show(rule)}"
        )
    return rule


def _entry(x: object, name: str, what: str, i: int) -> Value:
    # A Value as it is; a number becomes a constant leaf, checked (and named) here so that
    # a nan says which loss and which entry it came from, not just "Value: ...".
    if isinstance(x, Value):
        return x
    if not is_real(x):
        raise TypeError(f"{name}: {what}[{i}] must be a Value or a number, got {show(x)}")
    return Value(check_real(name, f"{what}[{i}]", x))


def _number(x: object, name: str, what: str, i: int) -> float:
    return check_real(name, f"{what}[{i}]", x)


_ITEMS = {
    "logits_batch": "rows of logits",
    "target_indices": "class indices (ints)",
    "labels": "labels (+1 or -1)",
    "targets": "numbers",
}


def _batch(name: str, x: object, what: str) -> list[object]:
    items = _ITEMS.get(what, "Values or numbers")
    return check_sequence(name, what, x, what=items, forbid=(Value,))


def _check_batch(name: str, a: object, b: object, an: str, bn: str) -> tuple[list[Any], list[Any]]:
    a, b = _batch(name, a, an), _batch(name, b, bn)
    if len(a) != len(b):
        raise ValueError(f"{name}: {an} and {bn} differ in length ({len(a)} vs {len(b)})")
    if len(a) == 0:
        raise ValueError(f"{name}: needs at least one example, got empty {an} and {bn}")
    return a, b


def _mean(terms: list[Value]) -> Value:
    # (1/n) * sum_i terms_i: one n-ary sum node, then one scale (torch sums, then divides).
    # If the plain sum would overflow while the mean does not, scale each term first.
    # The result is labelled "loss": drawings and the backprop player name it so.
    scale = 1.0 / len(terms)
    if math.isfinite(sum(t.data for t in terms)) or len(terms) == 1:
        loss = Value.sum(terms) * scale
    else:
        loss = Value.sum([t * scale for t in terms])
    loss.label = "loss"
    return loss


def mse_loss(preds: Sequence[Value | float], targets: Sequence[Value | float]) -> Value:
    """Mean squared error: (1/n) sum_i (p_i - t_i)^2; d/dp_i = 2 (p_i - t_i) / n.

    >>> p = [Value(1.0), Value(3.0)]
    >>> loss = mse_loss(p, [0.0, 1.0])          # (1^2 + 2^2) / 2
    >>> loss.data
    2.5
    >>> loss.backward()
    >>> [v.grad for v in p]                     # 2 (p - t) / 2
    [1.0, 2.0]
    """
    preds, targets = _check_batch("mse_loss", preds, targets, "preds", "targets")
    terms = []
    for i in range(len(preds)):
        p = _entry(preds[i], "mse_loss", "preds", i)
        t = _entry(targets[i], "mse_loss", "targets", i)
        try:
            d = p - t
            terms.append(d * d)
        except OverflowError as error:  # |p - t| > 1.3e154: the square is beyond the floats
            raise OverflowError(
                f"mse_loss: the squared error of entry {i} (preds[{i}] = {p.data!r}, "
                f"targets[{i}] = {t.data!r}) is beyond the float range"
            ) from error
    return _mean(terms)


def _log(p: Value) -> Value | float:
    # log(p) clamped to >= -100 (torch.nn.BCELoss); below the clamp it is the constant -100,
    # so its gradient is 0 there (torch's backward instead uses (p-t)/max(p(1-p), 1e-12)).
    inside = p.data >= _TINY
    runtime_guard(inside, _above_clamp, (p,), "binary_cross_entropy's clamp of log(p)")
    return p.log() if inside else LOG_CLAMP


def _above_clamp(x: float) -> bool:
    return x >= _TINY


def _below_clamp(x: float) -> bool:
    return x < _TINY


def _log_one_minus(p: Value) -> Value | float:
    # log(1 - p) clamped as _log, with the value of log1p(-p): for p < 1/2 the difference
    # 1 - p rounds (1 - 1e-20 == 1.0, so log(1 - p) would be 0 instead of -1e-20), so the
    # node log(1 - p) gets the constant log1p(-p) - log(1 - p) added. Its gradient stays
    # -1 / (1 - p), exact up to the rounding of 1 - p (relative 1e-16).
    q = 1.0 - p
    runtime_guard(q.data < _TINY, _below_clamp, (q,), "binary_cross_entropy's clamp of log(1 - p)")
    if q.data < _TINY:
        return LOG_CLAMP
    exact = math.log1p(-p.data)
    node = q.log()
    if tracing():  # compiled: the correction depends on the data, so it is computed per call
        return node + runtime_constant(exact - node.data, _log1p_correction, (p, node))
    return node if exact == node.data else node + (exact - node.data)


def _log1p_correction(p: float, log_q: float) -> float:
    return math.log1p(-p) - log_q


@classifies(THRESHOLD)
def binary_cross_entropy(probs: Sequence[Value | float], targets: Sequence[float]) -> Value:
    """Mean binary cross-entropy of probabilities: -(1/n) sum_i [t_i log p_i + (1-t_i) log(1-p_i)].

    ``probs`` must lie in [0, 1] (e.g. a sigmoid output) and ``targets`` in [0, 1]
    (usually 0 or 1); as in ``torch.nn.BCELoss`` each log is clamped to >= -100, so
    p = 0 or 1 gives a finite loss. Inside the clamp d/dp_i = (p_i - t_i) / (n p_i (1-p_i)).
    ``log(1 - p)`` has the value of ``log1p(-p)``, as torch computes it, so a tiny p
    still counts (``-log(1 - 1e-20) = 1e-20``, not 0).

    Where torch differs: a clamped log is a constant here, so its gradient is 0, and an
    unclamped one has its true slope (at p = 0, t = 0: d/dp -log(1-p) = 1); torch
    instead uses (p - t) / max(p(1-p), 1e-12) everywhere (0 there, -1e12 at p = 0,
    t = 1).

    >>> p = Value(0.8)
    >>> loss = binary_cross_entropy([p], [1])   # -log 0.8
    >>> round(loss.data, 6), round(-math.log(0.8), 6)
    (0.223144, 0.223144)
    >>> loss.backward()
    >>> round(p.grad, 12)                       # (p - t) / (p (1 - p)) = -0.2 / 0.16
    -1.25
    """
    owner = "binary_cross_entropy"
    probs, targets = _check_batch(owner, probs, targets, "probs", "targets")
    terms = []
    for i in range(len(probs)):
        p = _entry(probs[i], owner, "probs", i)
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"{owner}: probs[{i}] = {p.data!r}{label_note(p.label)} is not a probability "
                "in [0, 1] (apply sigmoid first)"
            )
        t = _number(targets[i], owner, "targets", i)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"{owner}: targets[{i}] = {t!r} is not in [0, 1]")
        # A term whose weight is 0 is left out: 0 * log(...) adds nothing to value or gradient.
        term: Value | float = 0.0
        if t != 0.0:
            term = t * _log(p)
        if t != 1.0:
            term = term + (1.0 - t) * _log_one_minus(p)
        terms.append(-term if isinstance(term, Value) else Value(-term))
    return _mean(terms)


def _logits(row: object, name: str, i: int) -> list[Value]:
    what = f"logits[{i}]" if name != "softmax" else "logits"
    if isinstance(row, Value) or is_real(row):
        raise TypeError(f"{name}: {what} must be a non-empty list of logits, got {show(row)}")
    items = check_sequence(name, what, row, what="logits")
    if not items:
        raise ValueError(f"{name}: {what} must be a non-empty list of logits, got []")
    return [_entry(z, name, what, j) for j, z in enumerate(items)]


def _shifted_exps(zs: list[Value]) -> tuple[float, Value | float, list[Value | None]]:
    """m = max_j z_j, the shift -m (see ``_shift``) and, for each j, the node e^{z_j - m},
    or None where it is exactly 0.

    Every exponent is <= 0, so nothing overflows. For finite logits the difference
    z_j - m itself can overflow (1e308 - -1e308); whenever it is below about -745,
    e^{z_j - m} is exactly 0 in floating point anyway, so the term adds 0 to every sum
    and its gradient is 0 too: it is left out of the graph (None), and no node is inf.
    """
    m = max(z.data for z in zs)
    neg_m = _shift(m, zs)
    exps: list[Value | None] = []
    for z in zs:
        vanishes = math.exp(z.data - m) == 0.0
        if tracing():  # compiled: this branch is checked again on every call
            runtime_guard(vanishes, _vanishes, (z, *zs), "a logit e^(z - max) underflowing to 0")
        if vanishes:  # z - m < -745 or -inf: e^(z - m) underflows to 0
            exps.append(None)
        else:
            exps.append((z + neg_m).exp())  # z - m, the same add node
    return m, neg_m, exps


def _vanishes(z: float, *zs: float) -> bool:
    return math.exp(z - max(zs)) == 0.0


def _negated_max(*xs: float) -> float:
    return -max(xs)


def _shift(m: float, zs: list[Value]) -> Value | float:
    # -m, the constant that z - m adds; while ``compiled`` traces, a node it recomputes
    # from the logits on every call (it depends on the data, so it must not be baked in).
    return runtime_constant(-m, _negated_max, zs)


def softmax(logits: Sequence[Value | float]) -> list[Value]:
    """softmax_j = e^{z_j - m} / sum_k e^{z_k - m}, m = max_k z_k (stable for any finite z).

    A term whose e^{z_j - m} underflows to 0 (z_j more than ~745 below the max) is the
    constant 0, with gradient 0, as in PyTorch.

    >>> [round(s.data, 12) for s in softmax([0.0, math.log(3)])]    # 1/(1+3), 3/(1+3)
    [0.25, 0.75]
    >>> [round(s.data, 12) for s in softmax([1e308, -1e308])]       # no overflow
    [1.0, 0.0]
    """
    zs = _logits(logits, "softmax", 0)
    _, _, exps = _shifted_exps(zs)
    total = Value.sum([e for e in exps if e is not None])
    return [e / total if e is not None else Value(0.0) for e in exps]


@classifies(ARGMAX)
def cross_entropy(
    logits_batch: Sequence[Sequence[Value | float]], target_indices: Sequence[int]
) -> Value:
    """Mean cross-entropy of logits: (1/n) sum_i [log sum_j e^{z_ij - m_i} - (z_i[y_i] - m_i)].

    With m_i = max_j z_ij this equals (1/n) sum_i [logsumexp(z_i) - z_i[y_i]], i.e.
    -(1/n) sum_i log softmax(z_i)[y_i] (``torch.nn.CrossEntropyLoss``). It is computed in
    that shifted form, as PyTorch's log_softmax does: never ``(m + log sum) - z_y``, whose
    rounding at ``m`` swamps the loss (at logits of 1e17 it gives 0, not log 2). Any finite
    logits work; terms with e^{z - m} = 0 are left out (see ``softmax``).
    d/dz_ij = (softmax(z_i)_j - [j == y_i]) / n. Every row needs the same number of
    classes C and every target index must be an int in [0, C). A loss beyond the float
    range (z_y about 1e308 below the max) raises OverflowError, where torch returns inf.

    >>> z = [Value(0.0), Value(math.log(3))]
    >>> loss = cross_entropy([z], [1])          # -log softmax(z)[1] = -log(3/4)
    >>> round(loss.data, 12) == round(math.log(4 / 3), 12)
    True
    >>> loss.backward()
    >>> [round(v.grad, 12) for v in z]          # softmax(z) - onehot(1)
    [0.25, -0.25]
    >>> round(cross_entropy([[1e17, 1e17]], [0]).data, 12) == round(math.log(2), 12)
    True
    """
    owner = "cross_entropy"
    logits_batch, target_indices = _check_batch(
        owner, logits_batch, target_indices, "logits_batch", "target_indices"
    )
    terms = []
    classes = None
    for i in range(len(logits_batch)):
        zs = _logits(logits_batch[i], owner, i)
        if classes is None:
            classes = len(zs)
        elif len(zs) != classes:
            raise ValueError(f"{owner}: logits[{i}] has {len(zs)} classes, logits[0] has {classes}")
        y = check_int(owner, f"target_indices[{i}]", target_indices[i])
        if not 0 <= y < classes:
            raise ValueError(
                f"{owner}: target_indices[{i}] = {y!r} is not a class index in 0..{classes - 1}"
            )
        m, neg_m, exps = _shifted_exps(zs)  # one -m for the row: z_y - m adds the same
        shifted = zs[y].data - m
        if not math.isfinite(shifted):
            raise OverflowError(
                f"{owner}: the loss of row {i} is beyond the float range: its target logit "
                f"{zs[y].data!r} lies {shifted!r} below the row's max {m!r}"
            )
        log_sum = Value.sum([e for e in exps if e is not None]).log()
        terms.append(log_sum - (zs[y] + neg_m))  # zs[y] - m
    return _mean(terms)


@classifies(SIGN)
def hinge_loss(scores: Sequence[Value | float], labels: Sequence[int]) -> Value:
    """Mean hinge loss: (1/n) sum_i relu(1 - y_i s_i), labels y_i in {+1, -1}.

    d/ds_i = -y_i / n where y_i s_i < 1, else 0 (0 at the kink y_i s_i = 1).

    >>> s = [Value(0.5), Value(2.0), Value(-3.0)]
    >>> loss = hinge_loss(s, [1, -1, -1])       # (0.5 + 3 + 0) / 3: the last is past the margin
    >>> round(loss.data, 12)
    1.166666666667
    >>> loss.backward()
    >>> [round(v.grad, 12) for v in s]          # -y / 3 inside the margin, 0 outside
    [-0.333333333333, 0.333333333333, 0.0]
    """
    scores, labels = _check_batch("hinge_loss", scores, labels, "scores", "labels")
    terms = []
    for i in range(len(scores)):
        s = _entry(scores[i], "hinge_loss", "scores", i)
        y = check_real("hinge_loss", f"labels[{i}]", labels[i])
        if y not in (1.0, -1.0):
            raise ValueError(f"hinge_loss: labels[{i}] = {labels[i]!r} must be +1 or -1")
        terms.append((1.0 - float(y) * s).relu())
    return _mean(terms)


# -- penalties (regularization terms added to a loss) -----------------------------------

__all__ += ["l1_penalty", "l2_penalty"]


def _penalty_args(name: str, params: object, weight: object) -> tuple[list[Value], float]:
    if isinstance(params, (Value, str)) or not hasattr(params, "__iter__"):
        raise TypeError(
            f"{name}: params must be a list of Values (e.g. model.parameters()), "
            f"got {type(params).__name__}"
        )
    params = list(params)
    if not params:
        raise ValueError(f"{name}: params must hold at least one Value, got none")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"{name}: params[{i}] must be a Value, got {type(p).__name__} {p!r}")
    lam = check_real(name, "weight", weight, min=0.0)
    return params, lam


def l1_penalty(params: Sequence[Value], weight: float = 1.0) -> Value:
    """L1 penalty (lasso): weight * sum_i |w_i|; d/dw_i = weight * sign(w_i), 0 at w_i = 0.

    Add it to a loss (or pass ``penalty=lambda: l1_penalty(ws, lam)`` to ``fit``) to
    push weights toward exactly zero: the pull has the same size however small w is.
    ``params`` is usually the weights only (biases are seldom penalised); ``weight``
    (lambda) must be a finite number >= 0.
    """
    params, weight = _penalty_args("l1_penalty", params, weight)
    return Value.sum([p.abs() for p in params]) * weight  # abs'(0) = 0, as torch


def l2_penalty(params: Sequence[Value], weight: float = 1.0) -> Value:
    """L2 penalty (ridge): weight * sum_i w_i^2; d/dw_i = 2 * weight * w_i.

    The sum of squares is one ``dot(w, w)`` node. With plain SGD, adding this to the
    loss is the same update as ``SGD(weight_decay=2 * weight)``; with Adam it is not
    (see docs/training.md, "Generalization"). ``weight`` (lambda) must be a finite number >= 0.
    """
    params, weight = _penalty_args("l2_penalty", params, weight)
    return Value.dot(params, params) * weight
