"""Gradient checking: compare reverse-mode derivatives with central differences.

``gradcheck(f, inputs)`` evaluates ``f`` at ``inputs``, takes the analytic gradient
with ``grad`` (the same reverse sweep as ``backward``, but it writes no ``.grad``),
and compares every entry with the central difference

    numeric_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

It passes when, for every input ``i``,

    |analytic_i - numeric_i| <= atol + rtol * |numeric_i|

(the rule of ``math.isclose``'s cousin ``numpy.allclose`` and of PyTorch's gradcheck).

How eps and the tolerances were chosen (the defaults are PyTorch's). A central
difference has two errors: truncation, ``eps**2 * |f'''| / 6`` (Taylor's theorem),
and rounding, about ``u * |f| / eps`` where ``u = 2**-53 ~ 1.1e-16`` is the unit
roundoff. Their sum is smallest near ``eps = u ** (1/3) ~ 5e-6``; ``eps = 1e-6`` sits
close to that optimum, where for values and derivatives of order one both errors are
about ``1e-10``. ``atol = 1e-5`` and ``rtol = 1e-3`` are five orders of magnitude
above that, so a correct derivative passes even when ``|f|`` is in the thousands or
``f'''`` is large, while a wrong formula (a missing factor, a sign, a wrong power)
is off by far more than ``1e-3`` relative and fails.

Kinks. Where ``f`` is not differentiable the check cannot pass and should not: a
central difference straddling a kink returns the mean of the one-sided slopes. For
``relu`` at 0 it returns ``(eps - 0) / (2 eps) = 0.5`` while the engine's
convention is ``relu'(0) = 0`` (as PyTorch), so gradcheck raises. Within ``eps`` of
the kink (``0 < x < eps``) the numeric value lies between 0.5 and 1. Check
piecewise functions at points farther than ``eps`` (times the size of the slope of
the kink's argument) from every kink.

Poles and domain edges. If ``x - eps`` or ``x + eps`` leaves the domain (``log`` at
``x <= eps``), ``f`` raises there and gradcheck raises ``ValueError`` saying which
input and step failed. Close to a pole, truncation grows: for ``log`` at distance
``d`` from 0 the relative error of the central difference is about
``(eps / d)**2 / 3``, so with the default ``rtol`` the check is reliable for
``d`` larger than about ``50 * eps``.

At large ``|x|`` an absolute step is lost in rounding (at ``x = 1e11`` the floats are
1.5e-5 apart, so ``x + 1e-6 == x``), so the step is relative there: input ``i`` moves
by ``h_i = eps * max(1, |x_i|)`` (``eps`` itself for ``|x_i| <= 1``, as in PyTorch),
and the difference is divided by the step really taken, ``(x + h) - (x - h)``, not by
``2 h``. An ``eps`` so small that ``x + h == x - h`` raises ValueError saying so.

Second order. With ``check_second_order=True`` the analytic Hessian, obtained by
differentiating ``grad(..., create_graph=True)`` once more (double backward, what
PyTorch's ``gradgradcheck`` checks), is compared entry by entry with central
differences of the analytic first derivatives:

    numeric_ij = (g_i(x + eps e_j) - g_i(x - eps e_j)) / (2 eps),  g_i = d f / d x_i

with the same tolerance rule. This catches a ``vjp`` that is right on floats but
builds a wrong graph on Values (for example one that treats ``out`` as a constant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from autograd_engine.core.derivatives import grad
from autograd_engine.core.mode import enable_grad
from autograd_engine.core.value import Value
from autograd_engine.validation import check_bool, check_real, check_sequence, is_real, show

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

        numeric_i = (f(x + h e_i) - f(x - h e_i)) / (2 h),  h = eps * max(1, |x_i|)
        pass iff |analytic_i - numeric_i| <= atol + rtol * |numeric_i|

    With ``check_second_order`` the Hessian from double backward is also compared
    with central differences of the analytic gradient (see the module docstring for
    how eps and the tolerances were chosen, and for kinks and poles).

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
                    f"d2 out / d input {i}{_label(i, labels)} d input {j}{_label(j, labels)} "
                    f"at {point}: {failure}"
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
    return f"input {i}{_label(i, labels)} at {point[i]!r}"


def _label(i: int, labels: list[str]) -> str:
    return f" (label {labels[i]!r})" if labels[i] else ""
