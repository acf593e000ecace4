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
import numbers
from collections.abc import Sequence

from autograd_engine import Value

__all__ = ["mse_loss", "binary_cross_entropy", "cross_entropy", "softmax", "hinge_loss"]

LOG_CLAMP = -100.0
"""binary_cross_entropy clamps each log to >= LOG_CLAMP, as torch.nn.BCELoss does."""

_TINY = math.exp(LOG_CLAMP)  # log(p) < -100 exactly when p < e^-100


def _value(x: object, name: str, what: str, i: int) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x))
    raise TypeError(f"{name}: {what}[{i}] must be a Value or a number, got {type(x).__name__}")


def _number(x: object, name: str, what: str, i: int) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: {what}[{i}] must be a number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{name}: {what}[{i}] must be finite, got {x!r}")
    return x


def _check_batch(name: str, a: Sequence[object], b: Sequence[object], an: str, bn: str) -> int:
    if len(a) != len(b):
        raise ValueError(f"{name}: {an} and {bn} differ in length ({len(a)} vs {len(b)})")
    if len(a) == 0:
        raise ValueError(f"{name}: needs at least one example, got empty {an} and {bn}")
    return len(a)


def _mean(terms: list[Value]) -> Value:
    # (1/n) * sum_i terms_i: one n-ary sum node, then one scale.
    return Value.sum(terms) * (1.0 / len(terms))


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
    n = _check_batch("mse_loss", preds, targets, "preds", "targets")
    terms = []
    for i in range(n):
        d = _value(preds[i], "mse_loss", "preds", i) - _value(targets[i], "mse_loss", "targets", i)
        terms.append(d * d)
    return _mean(terms)


def _clamped_log(p: Value) -> Value | float:
    # log(p) clamped to >= -100 (torch.nn.BCELoss); below the clamp it is the constant -100,
    # so its gradient is 0 there (torch's backward instead uses (p-t)/max(p(1-p), 1e-12)).
    return p.log() if p.data >= _TINY else LOG_CLAMP


def binary_cross_entropy(probs: Sequence[Value | float], targets: Sequence[float]) -> Value:
    """Mean binary cross-entropy of probabilities: -(1/n) sum_i [t_i log p_i + (1-t_i) log(1-p_i)].

    ``probs`` must lie in [0, 1] (e.g. a sigmoid output) and ``targets`` in [0, 1]
    (usually 0 or 1); as in ``torch.nn.BCELoss`` each log is clamped to >= -100, so
    p = 0 or 1 gives a finite loss. Inside the clamp d/dp_i = (p_i - t_i) / (n p_i (1-p_i)).

    Where torch differs: a clamped log is a constant here, so its gradient is 0, and an
    unclamped one has its true slope (at p = 0, t = 0: d/dp -log(1-p) = 1); torch
    instead uses (p - t) / max(p(1-p), 1e-12) everywhere (0 there, -1e12 at p = 0,
    t = 1). ``log(1 - p)`` is computed as the log of the rounded ``1 - p`` (torch uses
    ``log1p(-p)``), which differs by about 1e-16 in absolute terms.

    >>> p = Value(0.8)
    >>> loss = binary_cross_entropy([p], [1])   # -log 0.8
    >>> round(loss.data, 6), round(-math.log(0.8), 6)
    (0.223144, 0.223144)
    >>> loss.backward()
    >>> round(p.grad, 12)                       # (p - t) / (p (1 - p)) = -0.2 / 0.16
    -1.25
    """
    n = _check_batch("binary_cross_entropy", probs, targets, "probs", "targets")
    terms = []
    for i in range(n):
        p = _value(probs[i], "binary_cross_entropy", "probs", i)
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy: probs[{i}] = {p.data!r} is not a probability in [0, 1] "
                "(apply sigmoid first)"
            )
        t = _number(targets[i], "binary_cross_entropy", "targets", i)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets[{i}] = {t!r} is not in [0, 1]")
        # A term whose weight is 0 is left out: 0 * log(...) adds nothing to value or gradient.
        term: Value | float = 0.0
        if t != 0.0:
            term = t * _clamped_log(p)
        if t != 1.0:
            term = term + (1.0 - t) * _clamped_log(1.0 - p)
        terms.append(-_value(term, "binary_cross_entropy", "terms", i))
    return _mean(terms)


def _logits(row: object, name: str, i: int) -> list[Value]:
    if isinstance(row, (Value, numbers.Real)) or not isinstance(row, Sequence) or not row:
        raise ValueError(f"{name}: logits[{i}] must be a non-empty list of logits, got {row!r}")
    return [_value(z, name, f"logits[{i}]", j) for j, z in enumerate(row)]


def _log_sum_exp(zs: list[Value]) -> Value:
    # log sum_j e^{z_j} = m + log sum_j e^{z_j - m}, with m = max_j z_j taken as a constant:
    # every exponent is <= 0, so nothing overflows, and the gradient is unchanged because
    # the two m's cancel (d/dz_j = softmax_j either way).
    m = max(z.data for z in zs)
    return Value.sum([(z - m).exp() for z in zs]).log() + m


def softmax(logits: Sequence[Value | float]) -> list[Value]:
    """softmax_j = e^{z_j - m} / sum_k e^{z_k - m}, m = max_k z_k (stable: never overflows).

    >>> [round(s.data, 12) for s in softmax([0.0, math.log(3)])]    # 1/(1+3), 3/(1+3)
    [0.25, 0.75]
    >>> [round(s.data, 12) for s in softmax([1000.0, 1000.0])]      # no overflow
    [0.5, 0.5]
    """
    zs = _logits(logits, "softmax", 0)
    m = max(z.data for z in zs)
    es = [(z - m).exp() for z in zs]
    total = Value.sum(es)
    return [e / total for e in es]


def cross_entropy(
    logits_batch: Sequence[Sequence[Value | float]], target_indices: Sequence[int]
) -> Value:
    """Mean cross-entropy of logits: (1/n) sum_i [logsumexp(z_i) - z_i[y_i]].

    Equals -(1/n) sum_i log softmax(z_i)[y_i] (``torch.nn.CrossEntropyLoss``), with
    log-sum-exp computed stably (the max is subtracted first), so logits of 1000
    are fine. d/dz_ij = (softmax(z_i)_j - [j == y_i]) / n. Every row needs the same
    number of classes C and every target index must be an int in [0, C).

    >>> z = [Value(0.0), Value(math.log(3))]
    >>> loss = cross_entropy([z], [1])          # -log softmax(z)[1] = -log(3/4)
    >>> round(loss.data, 12) == round(math.log(4 / 3), 12)
    True
    >>> loss.backward()
    >>> [round(v.grad, 12) for v in z]          # softmax(z) - onehot(1)
    [0.25, -0.25]
    """
    n = _check_batch("cross_entropy", logits_batch, target_indices, "logits_batch", "targets")
    terms = []
    classes = None
    for i in range(n):
        zs = _logits(logits_batch[i], "cross_entropy", i)
        if classes is None:
            classes = len(zs)
        elif len(zs) != classes:
            raise ValueError(
                f"cross_entropy: logits[{i}] has {len(zs)} classes, logits[0] has {classes}"
            )
        y = target_indices[i]
        if isinstance(y, bool) or not isinstance(y, numbers.Integral) or not 0 <= y < classes:
            raise ValueError(
                f"cross_entropy: target_indices[{i}] = {y!r} is not a class index in "
                f"0..{classes - 1}"
            )
        terms.append(_log_sum_exp(zs) - zs[int(y)])
    return _mean(terms)


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
    n = _check_batch("hinge_loss", scores, labels, "scores", "labels")
    terms = []
    for i in range(n):
        s = _value(scores[i], "hinge_loss", "scores", i)
        y = labels[i]
        if isinstance(y, bool) or not isinstance(y, numbers.Real) or y not in (1, -1):
            raise ValueError(f"hinge_loss: labels[{i}] = {y!r} must be +1 or -1")
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
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        raise TypeError(
            f"{name}: weight must be a finite number >= 0, got {type(weight).__name__} {weight!r}"
        )
    lam = float(weight)
    if not (math.isfinite(lam) and lam >= 0.0):
        raise ValueError(f"{name}: weight must be a finite number >= 0, got {weight!r}")
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
    (see the README, "Generalization"). ``weight`` (lambda) must be a finite number >= 0.
    """
    params, weight = _penalty_args("l2_penalty", params, weight)
    return Value.dot(params, params) * weight
