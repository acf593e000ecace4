"""The grad mode: whether operations record the graph (off inside ``no_grad``).

One flag per thread, read by every operation (``value.py``) and set by ``no_grad`` and
``enable_grad``, which nest and restore the previous mode on exit, even on error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["grad_mode", "no_grad_blocks", "is_grad_enabled", "no_grad", "enable_grad"]


class GradMode(threading.local):
    """Whether operations record the graph; one flag per thread."""

    enabled = True


grad_mode = GradMode()

no_grad_blocks: list[None] = []
"""One entry per ``no_grad`` block being run, in any thread: while it is empty every
thread records, which the node builder tells from this one global, faster than from
the thread-local flag. The entry goes in before a flag turns off and comes out after it
is back on, so an interrupt in between can only leave an extra entry: slower, never wrong."""


def is_grad_enabled() -> bool:
    """True unless inside a ``no_grad()`` block."""
    return grad_mode.enabled


@contextmanager
def _set_grad_enabled(enabled: bool) -> Iterator[None]:
    previous = grad_mode.enabled
    if not enabled:
        no_grad_blocks.append(None)
    grad_mode.enabled = enabled
    try:
        yield
    finally:
        grad_mode.enabled = previous
        if not enabled:
            no_grad_blocks.pop()


def no_grad() -> AbstractContextManager[None]:
    """Context manager: operations inside record no graph (results are leaves).

    Use it for evaluation and for optimizer updates, where nothing will be
    differentiated. Nests, restores the previous mode on exit, even on error, and
    affects only the current thread.

    >>> from autograd_engine import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.data, y.parents                       # the value, but no history
    (6.0, ())
    """
    return _set_grad_enabled(False)


def enable_grad() -> AbstractContextManager[None]:
    """Context manager: operations inside record the graph, even within ``no_grad``.

    For code that must build a graph whatever the caller's mode (``grad(...,
    create_graph=True)``, ``gradcheck``).

    >>> from autograd_engine import Value
    >>> with no_grad(), enable_grad():
    ...     y = Value(2.0) * 3
    >>> len(y.parents)
    2
    """
    return _set_grad_enabled(True)
