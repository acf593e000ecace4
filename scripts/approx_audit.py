"""A pytest plugin that lists every ``pytest.approx`` whose tolerance is looser than it reads.

``pytest.approx(x, rel=r)`` also allows pytest's default absolute tolerance of 1e-12, so for
a tiny ``x`` (|x| < 1e-9, where 1e-12 is more than 0.1% of it) the comparison accepts 0.0
and any other number within 1e-12: ``approx(1e-20, rel=1e-15)`` passes for 0.0. Such a call
must give ``abs=`` explicitly. Run (prints one line per offending call site, and fails the
session if there is one):

    PYTHONPATH=. python -m pytest -q -p no:cacheprovider -p scripts.approx_audit tests/test_x.py
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

_TINY = 1e-9
_found: dict[str, str] = {}
_approx = pytest.approx


def _numbers(expected: Any) -> Iterator[float]:
    if isinstance(expected, bool):
        return
    if isinstance(expected, int | float):
        yield float(expected)
    elif isinstance(expected, Mapping):
        for v in expected.values():
            yield from _numbers(v)
    elif isinstance(expected, list | tuple):
        for v in expected:
            yield from _numbers(v)


def _audited(expected: Any, *args: Any, **kwargs: Any) -> Any:
    if "abs" not in kwargs and len(args) < 2:
        tiny = [x for x in _numbers(expected) if x != 0.0 and math.isfinite(x) and abs(x) < _TINY]
        if tiny:
            frame = sys._getframe(1)
            where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
            _found.setdefault(where, f"approx({tiny[0]!r}) without abs=")
    return _approx(expected, *args, **kwargs)


pytest.approx = _audited


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Print the call sites found, and fail the session if there are any."""
    for where, what in sorted(_found.items()):
        print(f"\napprox-audit: {where}: {what}", end="")
    if _found:
        print()
        session.exitstatus = 1
