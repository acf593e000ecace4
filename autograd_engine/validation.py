"""One way to say what is wrong: small argument checks shared by every module.

Modelled on attrs' ``validators.py``: each check is one call that returns the
argument normalised (a float, an int, a list) or raises

- ``TypeError`` for a wrong type, ``ValueError`` for a wrong value;
- with a message that starts with the owner and the argument, then says what was
  expected and what was given: ``"SGD: lr must be a finite number >= 0, got -1"``;
- naming the node's label where there is one (``label=``).

A number check rejects ``bool`` (``True`` is an ``int`` to Python, never a number
here), converts integers beyond the float range to a ValueError rather than an
``OverflowError``, and never prints a 5,000-digit integer (``show`` abbreviates).
Nothing here imports the rest of the engine, so any module may use it.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeGuard, TypeVar

__all__ = [
    "show",
    "counted",
    "label_note",
    "is_real",
    "check_real",
    "check_int",
    "check_bool",
    "check_choice",
    "check_sequence",
    "check_mapping",
    "check_keys",
    "check_instance",
    "sequence_of_reals",
    "array_as_list",
    "raise_as",
]

_MAX_SHOWN = 80

T = TypeVar("T")


def show(x: object) -> str:
    """``type repr`` of ``x`` for a message: short, and safe for any object.

    A huge integer is shown by its digit count (``repr`` of an int of more than
    4,300 digits raises in Python 3.11+), a long repr is cut to 80 characters, and
    a repr that itself raises is replaced by the type name.
    """
    kind = type(x).__name__
    if type(x) is int and x.bit_length() > 200:
        digits = int(x.bit_length() * math.log10(2)) + 1
        return f"{kind} of about {digits} digits"
    try:
        text = repr(x)
    except Exception:  # a broken __repr__ must not hide the real error
        return kind
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 3] + "..."
    # A plain int or float speaks for itself; anything else says what it is (bool True).
    if x is None or type(x) in (int, float) or text.startswith(f"{kind}("):
        return text
    return f"{kind} {text}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: ``"1 epoch"``, ``"0 epochs"``, ``"2 epochs"``.

    ``plural`` for a noun that does not take an ``s`` (default ``noun + "s"``).
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def label_note(label: object) -> str:
    """`` (label 'x')`` for a non-empty string label, else ``""``."""
    return f" (label {label!r})" if isinstance(label, str) and label else ""


def _number(x: float) -> str:
    # A bound as people write it: 0 and 1, not 0.0 and 1.0 ("lr must be ... >= 0").
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(x)


def is_real(x: object) -> TypeGuard[numbers.Real]:
    """True for a real number that is not a bool (int, float, Fraction, numpy float...)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _bounds(minimum: float | None, maximum: float | None, min_open: bool, max_open: bool) -> str:
    parts = []
    if minimum is not None:
        parts.append(f"{'>' if min_open else '>='} {_number(minimum)}")
    if maximum is not None:
        parts.append(f"{'<' if max_open else '<='} {_number(maximum)}")
    return " and ".join(parts)


def check_real(
    owner: str,
    name: str,
    x: object,
    *,
    finite: bool = True,
    min: float | None = None,  # reads as the math: min <= x
    max: float | None = None,
    min_open: bool = False,
    max_open: bool = False,
    label: object = None,
) -> float:
    """``x`` as a float, checked: ``TypeError`` unless a real number (not bool), else
    ``ValueError`` if not finite (unless ``finite=False``; nan is always refused then
    only by the bounds) or outside ``[min, max]`` (open ends with ``min_open``/``max_open``).

    An int beyond the float range counts as infinite (a ValueError, never an OverflowError).
    """
    bounds = _bounds(min, max, min_open, max_open)
    want = ("a finite number" if finite else "a number") + (f" {bounds}" if bounds else "")
    note = label_note(label)
    if not is_real(x):
        raise TypeError(f"{owner}: {name} must be a real number, got {show(x)}{note}")
    try:
        value = float(x)
    except OverflowError:  # an int (or Fraction) beyond the float range
        value = -math.inf if x < 0 else math.inf  # never 0: it overflowed
    if (finite and not math.isfinite(value)) or (math.isnan(value) and bounds):
        raise ValueError(f"{owner}: {name} must be finite, got {show(x)}{note}")
    if (
        min is not None
        and (value <= min if min_open else value < min)
        or max is not None
        and (value >= max if max_open else value > max)
    ):
        raise ValueError(f"{owner}: {name} must be {want}, got {show(x)}{note}")
    return value


def check_int(
    owner: str,
    name: str,
    x: object,
    *,
    min: int | None = None,
    max: int | None = None,
) -> int:
    """``x`` as an int: ``TypeError`` unless an integer (not bool), ``ValueError`` outside
    ``[min, max]``. A float such as ``2.0`` is a TypeError: sizes and counts are ints."""
    bounds = _bounds(min, max, False, False)
    want = "an int" + (f" {bounds}" if bounds else "")
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be {want}, got {show(x)}")
    value = int(x)
    if (min is not None and value < min) or (max is not None and value > max):
        raise ValueError(f"{owner}: {name} must be {want}, got {show(x)}")
    return value


def seeded(owner: str, seed: object) -> random.Random:
    """``random.Random(seed)`` for a seed it takes: None, an int, a str or bytes.

    Anything else (a float, a list: deprecated or an error there, and a bool, which is
    not a seed) is a ``TypeError`` naming ``owner``.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | str | bytes)):
        raise TypeError(f"{owner}: seed must be an int, a str or None, got {show(seed)}")
    return random.Random(seed)


def check_bool(owner: str, name: str, x: object) -> bool:
    """``x`` itself if it is ``True`` or ``False``, else a ``TypeError``."""
    if not isinstance(x, bool):
        raise TypeError(f"{owner}: {name} must be a bool, got {show(x)}")
    return x


def check_choice(owner: str, name: str, x: object, choices: Iterable[T]) -> T:
    """``x`` if it is one of ``choices`` (a str choice needs a str), else a ``ValueError``
    listing them (a ``TypeError`` if ``x`` is not even of the choices' type)."""
    options = list(choices)
    listed = ", ".join(repr(c) for c in options)
    kinds = {type(c) for c in options}
    if kinds and not isinstance(x, tuple(kinds)):  # e.g. a list where a name is due
        raise TypeError(f"{owner}: {name} must be one of {listed}, got {show(x)}")
    for choice in options:
        if isinstance(x, type(choice)) and x == choice:
            return choice  # the choice itself: equal to x and of its type
    raise ValueError(f"{owner}: {name} must be one of {listed}, got {show(x)}")


def check_sequence(
    owner: str,
    name: str,
    x: object,
    *,
    what: str = "values",
    min_len: int = 0,
    forbid: tuple[type, ...] = (),
) -> list[Any]:
    """``x`` as a list: ``TypeError`` for a str, bytes, mapping, set, a non-iterable or one
    of ``forbid`` (a single item where a list of them is meant); ``ValueError`` for fewer
    than ``min_len`` items. ``what`` names the items in the message ("Values", "numbers")."""
    want = f"a list of {what}"
    if (
        isinstance(x, str | bytes | bytearray | Mapping | set | frozenset)
        or (forbid and isinstance(x, forbid))
        or not isinstance(x, Iterable)
    ):
        hint = "; wrap one item in a list" if forbid and isinstance(x, forbid) else ""
        raise TypeError(f"{owner}: {name} must be {want}, got {show(x)}{hint}")
    items = list(array_as_list(x))
    if len(items) < min_len:
        need = "at least one" if min_len == 1 else f"at least {min_len}"
        raise ValueError(f"{owner}: {name} must be {want} with {need}, got {len(items)}")
    return items


def array_as_list(x: T) -> T | list[Any]:
    """A numpy array (anything with ``ndim >= 1`` and ``tolist``) as nested lists of Python
    numbers, so array-likes are taken wherever lists are; anything else as it is."""
    if getattr(x, "ndim", 0) >= 1 and callable(getattr(x, "tolist", None)):
        listed: list[Any] = x.tolist()  # type: ignore[attr-defined]
        return listed
    return x


def check_mapping(owner: str, name: str, x: object) -> Mapping[Any, Any]:
    """``x`` if it is a mapping (a dict), else a ``TypeError``."""
    if not isinstance(x, Mapping):
        raise TypeError(f"{owner}: {name} must be a dict, got {show(x)}")
    return x


def check_keys(
    owner: str,
    name: str,
    x: Mapping[Any, Any],
    required: Iterable[Any],
    optional: Iterable[Any] = (),
) -> None:
    """``ValueError`` naming the missing and the unexpected keys of mapping ``x``."""
    required = list(required)
    allowed = set(required) | set(optional)
    missing = [k for k in required if k not in x]
    unexpected = sorted((k for k in x if k not in allowed), key=repr)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if unexpected:
            shown = [show(k) if not isinstance(k, str) else k for k in unexpected[:5]]
            parts.append(f"unexpected {shown}{'...' if len(unexpected) > 5 else ''}")
        raise ValueError(f"{owner}: {name} has the wrong keys: {', '.join(parts)}")


def check_instance(owner: str, name: str, x: object, kind: type[T] | tuple[type[T], ...]) -> T:
    """``x`` if it is an instance of ``kind``, else a ``TypeError`` naming the expected type."""
    if not isinstance(x, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join(k.__name__ for k in kinds)
        raise TypeError(f"{owner}: {name} must be a {names}, got {show(x)}")
    return x


def sequence_of_reals(
    owner: str, name: str, x: object, *, min_len: int = 0, finite: bool = True
) -> list[float]:
    """A list of floats from a list of real numbers, each checked as ``name[i]``."""
    items = check_sequence(owner, name, x, what="numbers", min_len=min_len)
    return [check_real(owner, f"{name}[{i}]", v, finite=finite) for i, v in enumerate(items)]


_PLAIN_ERRORS = (
    ValueError,
    TypeError,
    ArithmeticError,
    ZeroDivisionError,
    OverflowError,
    FloatingPointError,
    RuntimeError,
    AssertionError,
)


def raise_as(error: BaseException, message: str, *, chain: bool = True) -> NoReturn:
    """Raise ``error`` again, said as ``message``.

    For the plain built-in exception classes a new exception of the same class
    carries ``message`` (chained ``from error`` unless ``chain=False``). Any other
    class (a custom op's own error, whose constructor may take other arguments) is
    never rebuilt: the same instance is raised with ``message`` added as a note
    (PEP 678), so ``except`` clauses that catch it still work and the traceback
    shows both.
    """
    if type(error) in _PLAIN_ERRORS:
        if chain:
            raise type(error)(message) from error
        raise type(error)(message) from None
    error.add_note(message)
    raise error
