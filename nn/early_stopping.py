"""Early stopping: watch the validation loss, remember the best parameters, say when to stop."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from autograd_engine import Value
from autograd_engine.validation import check_real, show

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Stop once ``patience`` epochs in a row have not improved the best validation loss.

    An epoch improves when ``val_loss + min_delta < best`` (strictly; ``best`` starts at
    inf), as Keras and Lightning count it: with ``min_delta=0`` any lower loss improves, an
    equal one does not. ``fit(..., early_stopping=patience)`` makes ``EarlyStopping(patience)``;
    pass an instance for a ``min_delta``. ``start(params)`` begins a run, ``update(epoch,
    val_loss)`` after every epoch returns True once patience has run out, ``restore()`` copies
    the best epoch's values back into ``params``.
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        owner = "EarlyStopping"
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral):
            raise TypeError(
                f"{owner}: patience must be an int >= 1 (epochs), got {type(patience).__name__} "
                f"{patience!r}"
            )
        if patience < 1:
            raise ValueError(f"{owner}: patience must be an int >= 1 (epochs), got {patience!r}")
        self.patience: int = int(patience)
        self.min_delta: float = check_real(owner, "min_delta", min_delta, min=0.0)
        self.start([])

    def start(self, params: Sequence[Value]) -> None:
        """Begin a run watching ``params``: no best epoch yet, best loss inf, nothing waited."""
        self.params = list(params)
        self.best_epoch: int | None = None
        self.best_loss = math.inf
        self.best_data = [p.data for p in self.params]
        self.waited = 0

    def update(self, epoch: int, val_loss: float) -> bool:
        """Count epoch ``epoch``'s ``val_loss``; True when ``patience`` epochs went unimproved.

        An improvement (``val_loss + min_delta < best_loss``) keeps the parameters' values
        and resets the count; anything else (a nan too) adds one epoch to it.
        """
        if val_loss + self.min_delta < self.best_loss:
            self.best_epoch, self.best_loss, self.waited = epoch, val_loss, 0
            self.best_data = [p.data for p in self.params]
            return False
        self.waited += 1
        return self.waited >= self.patience

    def restore(self) -> None:
        """Copy the best epoch's values back into the parameters (nothing before one)."""
        if self.best_epoch is None:
            return
        for p, v in zip(self.params, self.best_data, strict=True):
            p.data = v

    def __repr__(self) -> str:
        return f"EarlyStopping(patience={self.patience}, min_delta={show(self.min_delta)})"
