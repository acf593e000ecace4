"""Gradient checking: compare reverse-mode derivatives with central differences.

``gradcheck(f, inputs)`` takes the analytic gradient with ``grad`` (the same reverse sweep
as ``backward``, writing no ``.grad``) and passes when, for every input ``i``,

    numeric_i = (f(x + h_i e_i) - f(x - h_i e_i)) / ((x_i + h_i) - (x_i - h_i))
    |analytic_i - numeric_i| <= atol + rtol * |numeric_i|

with ``h_i = eps * max(1, |x_i|)`` and PyTorch's defaults ``eps = 1e-6, atol = 1e-5,
rtol = 1e-3``. ``check_second_order=True`` also compares the Hessian from double backward
with central differences of the first derivatives (PyTorch's ``gradgradcheck``). Why these
numbers, and what kinks, poles and large ``|x|`` do to the check: notebook 03.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from autograd_engine.core.derivatives import grad
from autograd_engine.core.mode import enable_grad
from autograd_engine.core.value import Value
from autograd_engine.validation import (
    check_bool,
    check_real,
    check_sequence,
    is_real,
    label_note,
    show,
)

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """An analytic derivative disagrees with its central-difference estimate.

    A subclass of ``AssertionError``, so a failed check inside a test reads as a
    failed assertion. The message names each failing input (index and label), the
    analytic and the numeric value, their difference and the tolerance
    ``atol + rtol * |numeric|``.
    """


def gradcheck(
    f: Callable[..., Value],
    inputs: Iterable[float | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    check_second_order: bool = False,
) -> bool:
    """Check ``grad`` of ``f`` at ``inputs`` against central differences; True or raise.

    ``f(*Values) -> Value``. ``inputs`` are numbers or Values (only their ``data``
    and ``label`` are used; nothing of theirs is changed). For every input ``i``:

        numeric_i = (f(x + h e_i) - f(x - h e_i)) / ((x_i + h) - (x_i - h)),
        h = eps * max(1, |x_i|)
        pass iff |analytic_i - numeric_i| <= atol + rtol * |numeric_i|

    With ``check_second_order`` the Hessian from double backward is also compared
    with central differences of the analytic gradient (notebook 03 shows how eps and
    the tolerances were chosen, and what kinks and poles do).

    Raises ``GradcheckError`` (an ``AssertionError``) listing every failing entry;
    ``TypeError`` if ``f`` is not callable, does not return a Value or an input is
    not a real number; ``ValueError`` for no inputs, a non-finite input,
    ``eps <= 0``, a negative tolerance, or when ``f`` fails at ``x +- eps``.

    >>> gradcheck(lambda x, y: x * y + x.exp(), [0.5, -1.0])
    True
    >>> gradcheck(lambda x: x.relu(), [0.0])    # at the kink: analytic 0, numeric 1/2
    Traceback (most recent call last):
        ...
    autograd_engine.checking.gradient_check.GradcheckError: gradcheck: first derivatives ...
      d out / d input 0 at 0.0: analytic 0.0, numeric 0.5, |difference| 0.5 > tolerance ...
    """
    point, labels = _check_arguments(f, inputs, eps, atol, rtol)
    check_bool("gradcheck", "check_second_order", check_second_order)
    tol = _Tolerances(float(eps), float(atol), float(rtol))
    # Record graphs even if called inside no_grad: the check differentiates f.
    with enable_grad():
        return _gradcheck(f, point, labels, tol, check_second_order)


class _Tolerances(NamedTuple):
    """The step of the central differences and the tolerances of the comparison."""

    eps: float
    atol: float
    rtol: float


def _gradcheck(
    f: Callable[..., Value],
    point: list[float],
    labels: list[str],
    tol: _Tolerances,
    check_second_order: bool,
) -> bool:
    leaves = _leaves(point, labels)
    analytic = [g.data for g in grad(_call(f, leaves), leaves)]

    failures = []
    for i in range(len(point)):
        h = _h(point, i, tol.eps)
        plus = _call_at(f, point, labels, i, +h)[0].data
        minus = _call_at(f, point, labels, i, -h)[0].data
        numeric = (plus - minus) / _step(point[i], h)
        failure = _compare(analytic[i], numeric, tol)
        if failure:
            failures.append(f"d out / d {_name(i, labels, point)}: {failure}")
    if failures:
        raise GradcheckError(_report("first derivatives", failures, len(point), tol))

    if check_second_order:
        _check_hessian(f, point, labels, tol)
    return True


def _check_hessian(
    f: Callable[..., Value], point: list[float], labels: list[str], tol: _Tolerances
) -> None:
    """Double-backward Hessian vs central differences of the analytic gradient."""
    n = len(point)
    leaves = _leaves(point, labels)
    first = grad(_call(f, leaves), leaves, create_graph=True)
    # Row i is the gradient of d f / d x_i; an entry that does not depend on the
    # inputs (a constant leaf) has zero second derivatives.
    analytic = [[h.data for h in grad(g_i, leaves)] for g_i in first]

    failures = []
    for j in range(n):
        h = _h(point, j, tol.eps)
        plus = _gradient_at(f, point, labels, j, +h)
        minus = _gradient_at(f, point, labels, j, -h)
        step = _step(point[j], h)
        for i in range(n):
            numeric = (plus[i] - minus[i]) / step
            failure = _compare(analytic[i][j], numeric, tol)
            if failure:
                failures.append(
                    f"d2 out / d input {i}{label_note(labels[i])} "
                    f"d input {j}{label_note(labels[j])} at {point}: {failure}"
                )
    if failures:
        raise GradcheckError(
            _report(
                "second derivatives (double backward vs differences of grad)",
                failures,
                n * n,
                tol,
            )
        )


def _compare(analytic: float, numeric: float, tol: _Tolerances) -> str:
    """'' if close, else a sentence with both values, the difference and the tolerance."""
    tolerance = tol.atol + tol.rtol * abs(numeric)
    difference = abs(analytic - numeric)
    if difference <= tolerance:  # False for nan, so a nan is reported
        return ""
    return (
        f"analytic {analytic!r}, numeric {numeric!r}, |difference| {difference:.3g} "
        f"> tolerance {tolerance:.3g} (atol + rtol * |numeric|)"
    )


def _report(what: str, failures: list[str], total: int, tol: _Tolerances) -> str:
    head = (
        f"gradcheck: {what} disagree with central differences at {len(failures)} of "
        f"{total} entries (eps={tol.eps!r}, atol={tol.atol!r}, rtol={tol.rtol!r}):"
    )
    return "\n  ".join([head, *failures])


def _check_arguments(
    f: object, inputs: object, eps: object, atol: object, rtol: object
) -> tuple[list[float], list[str]]:
    """The input point and labels, or a TypeError/ValueError naming the bad argument."""
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {show(f)}")
    if isinstance(inputs, Value) or is_real(inputs):
        raise TypeError(
            f"gradcheck: inputs must be a sequence of numbers or Values, got a single "
            f"{type(inputs).__name__}; wrap it in a list"
        )
    items = check_sequence("gradcheck", "inputs", inputs, what="numbers or Values")
    if not items:
        raise ValueError("gradcheck: inputs is empty; give at least one point to check at")
    point, labels = [], []
    for i, x in enumerate(items):
        if isinstance(x, Value):
            point.append(x.data)
            labels.append(x.label)
        elif is_real(x):
            point.append(check_real("gradcheck", f"inputs[{i}]", x))
            labels.append("")
        else:
            raise TypeError(
                f"gradcheck: inputs[{i}] must be a real number or a Value, got {show(x)}"
            )
    check_real("gradcheck", "eps", eps, min=0.0, min_open=True)
    check_real("gradcheck", "atol", atol, min=0.0)
    check_real("gradcheck", "rtol", rtol, min=0.0)
    return point, labels


def _leaves(point: list[float], labels: list[str]) -> list[Value]:
    return [Value(x, label=label) for x, label in zip(point, labels, strict=True)]


def _call(f: Callable[..., Value], leaves: list[Value]) -> Value:
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    return out


def _call_at(
    f: Callable[..., Value], point: list[float], labels: list[str], i: int, step: float
) -> tuple[Value, list[Value]]:
    """f at ``point`` with input ``i`` moved by ``step`` (and the leaves it was given).

    A ValueError naming the input and the step if f fails there.
    """
    leaves = _leaves(point, labels)
    leaves[i] = Value(point[i] + step, label=labels[i])
    try:
        return _call(f, leaves), leaves
    except (ArithmeticError, ValueError) as error:
        sign = "+" if step > 0 else "-"
        raise ValueError(
            f"gradcheck: f fails at {_name(i, labels, point)} {sign} eps "
            f"(= {point[i] + step!r}, step {abs(step)!r}): {error}. The point is within eps "
            f"of a pole or the edge of f's domain; move it or use a smaller eps"
        ) from error


def _gradient_at(
    f: Callable[..., Value], point: list[float], labels: list[str], j: int, step: float
) -> list[float]:
    """The analytic gradient of f with input ``j`` moved by ``step``."""
    out, leaves = _call_at(f, point, labels, j, step)
    return [g.data for g in grad(out, leaves)]


def _h(point: list[float], i: int, eps: float) -> float:
    """The step for input ``i``: eps * max(1, |x_i|), or a ValueError if it rounds away."""
    x = point[i]
    h = eps * max(1.0, abs(x))
    if x + h == x - h:
        raise ValueError(
            f"gradcheck: eps={eps!r} is below the rounding step of input {i} at {x!r} "
            f"(x + h == x - h for h = {h!r}); use a larger eps"
        )
    return h


def _step(x: float, h: float) -> float:
    # The step really taken, (x + h) - (x - h): at large |x| it is not 2 h
    # exactly, and dividing by 2 h would misjudge a correct derivative.
    return (x + h) - (x - h)


def _name(i: int, labels: list[str], point: list[float]) -> str:
    return f"input {i}{label_note(labels[i])} at {point[i]!r}"
