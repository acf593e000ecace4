"""What the optimizer tests iterate: every example of every class in ``nn.optim.OPTIMIZERS``.

As torch's tests iterate ``optim_db``: a class registered with ``torch="..."`` and its
``examples`` are picked up by tests/test_optim.py, test_interop.py and test_replay.py without
an edit there. Names read ``<class>_<example>`` (``sgd_nesterov``), as the recorded traces
of tests/data/make_traces.py.
"""

from __future__ import annotations

from typing import Any

from nn.optim import OPTIMIZERS

EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    f"{name.lower()}_{example}": (name, kwargs)
    for name, cls in OPTIMIZERS.items()
    for example, kwargs in cls.examples.items()
}
"""Trace name -> (engine class name, keyword arguments), every example of every optimizer."""

FIRST = [f"{name.lower()}_{next(iter(cls.examples))}" for name, cls in OPTIMIZERS.items()]
"""Each optimizer's first example: the plain one (only ``lr``)."""

RICHEST = [
    f"{name.lower()}_"
    + max(
        (e for e, kw in cls.examples.items() if not kw.get("maximize")),
        key=lambda e, cls=cls: len(cls.examples[e]),
    )
    for name, cls in OPTIMIZERS.items()
]
"""Each optimizer's example with the most options that minimises (the most state to carry;
a schedule that watches the loss fall cuts its lr)."""
