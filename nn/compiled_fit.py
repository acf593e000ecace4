"""``fit(..., compile=True)``: each step runs the model as compiled code, bit for bit as ``fit()``.

The model is compiled once (``autograd_engine.compiler``) into a graph-free forward and a
forward-and-backward kernel for one example. A step then goes:

1. the forward kernel on every example of the batch, in batch order (drawing dropout masks
   in the order the model draws them);
2. the loss (and ``penalty()``) built on Values as ``fit`` builds them, but on leaf Values
   holding the model's outputs: a small graph, with whatever data-dependent branches the
   loss takes; ``grad`` gives d loss / d output for every output;
3. the backward kernels, examples in the order the backward sweep of ``fit``'s whole-batch
   graph reaches them (last reached, first swept), each adding its contributions into
   one accumulator per parameter, started from the penalty's gradient as that sweep is;
4. ``p.grad + total`` written once per parameter, as ``backward()`` writes it.

Every float operation is the one ``objective.backward()`` performs, in the same order, so
the parameters after training are bit-identical. Where a batch's loss graph reaches the
outputs in an order the kernel cannot mirror (or reaches a parameter itself), that batch
runs on Values instead, with the same dropout draws.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd_engine import Value, grad, topological_order
from autograd_engine.compiler import CompiledStep, GuardError, add_grads

__all__ = ["CompiledTrainer"]


class CompiledTrainer:
    """Runs ``fit``'s step (zero_grad excluded) with the model compiled (see the module)."""

    def __init__(
        self,
        model: Callable[[Any], Any],
        loss: Callable[[list[Any], list[Any]], Value],
        penalty: Callable[[], Value] | None,
        X: Sequence[Any],
    ) -> None:
        parameters = getattr(model, "parameters", None)
        if not callable(parameters):
            raise TypeError(
                f"fit: compile=True needs a model with parameters() (an nn Module), got "
                f"{type(model).__name__}"
            )
        self.model = model
        self.loss = loss
        self.penalty = penalty
        self.params: list[Value] = list(parameters())
        self.single = True
        modules = getattr(model, "modules", None)
        mods: list[Any] = modules() if callable(modules) else [model]
        self.rngs = [
            m.dropout_rng
            for m in mods
            if isinstance(getattr(m, "dropout_rng", None), random.Random)
        ]
        self.batches_on_values = 0  # batches that had to run on Values (for tests and curiosity)
        self.compiled = self._build(X)

    def _build(self, X: Sequence[Any]) -> CompiledStep:
        """Compile the model on X[0], checked against up to 8 other examples spread over X."""
        states = [r.getstate() for r in self.rngs]  # tracing draws dropout masks: undo them
        try:
            example = (_floats(X[0]),)
            picks = sorted({round(k * (len(X) - 1) / 8) for k in range(1, 9)} - {0})
            others = [(_floats(X[i]),) for i in picks]
            step = CompiledStep(
                self.model, self.params, example, others[0] if others else None, "any"
            )
            for args in others[1:]:
                step.verify(*args)
            out = self.model(X[0])
        except GuardError as error:
            raise GuardError(f"fit: compile=True: {error}") from None
        finally:
            for r, s in zip(self.rngs, states, strict=True):
                r.setstate(s)
        self.single = not isinstance(out, (list, tuple))
        return step

    def step(self, xs: Sequence[Any], targets: list[Any]) -> tuple[list[Any], Value]:
        """Forward, loss and backward of one batch; adds the gradient into ``p.grad``.

        Returns (predictions as leaf Values, the loss Value), as ``fit`` uses them.
        """
        step = self.compiled
        states = [r.getstate() for r in self.rngs]
        P = [p.data for p in self.params]
        calls = []
        leaves: list[list[Value]] = []
        for x in xs:  # forward, in batch order: dropout draws as the model makes them
            kernel, ready = step.prepare((_floats(x),))
            drawn = [draw() for draw in kernel.draw]
            calls.append((kernel.step, drawn, ready))
            leaves.append([Value(o) for o in kernel.forward(P, drawn, *ready)])
        preds = [row[0] if self.single else list(row) for row in leaves]
        value = self.loss(preds, targets)
        blocks = self._blocks(value, leaves)
        if blocks is None:  # the loss reaches the outputs in an order we cannot mirror
            return self._on_values(xs, targets, states)
        seeds = grad(value, [leaf for row in leaves for leaf in row])
        per_example, k = [], 0
        for row in leaves:
            per_example.append(tuple(s.data for s in seeds[k : k + len(row)]))
            k += len(row)
        A: Any = self._penalty_start()
        for i in reversed(blocks):  # the batch graph's sweep reaches the examples last to first
            kernel_step, drawn, ready = calls[i]
            _, A = kernel_step(P, A, per_example[i], drawn, *ready)
        add_grads(self.params, A, "backward")
        return preds, value

    def _blocks(self, value: Value, leaves: list[list[Value]]) -> list[int] | None:
        """The examples in the order ``value``'s graph reaches them, or None if not mirrorable.

        Mirrorable: no parameter in the loss graph, and each example's outputs all reached,
        in output order, one example after another.
        """
        where = {id(leaf): (i, j) for i, row in enumerate(leaves) for j, leaf in enumerate(row)}
        params = {id(p) for p in self.params}
        seen: list[tuple[int, int]] = []
        for node in topological_order(value):
            if id(node) in params:
                return None
            if id(node) in where:
                seen.append(where[id(node)])
        if len(seen) != sum(map(len, leaves)):
            return None
        blocks, k = [], 0
        while k < len(seen):
            i = seen[k][0]
            row = len(leaves[i])
            if seen[k : k + row] != [(i, j) for j in range(row)]:
                return None
            blocks.append(i)
            k += row
        return blocks

    def _penalty_start(self) -> list[float]:
        # The sweep of value + penalty() reaches the penalty's nodes first: each parameter's
        # sum starts with what the penalty gives it (-0.0, the exact zero of +, if nothing).
        if self.penalty is None:
            return [-0.0] * len(self.params)
        pen = self.penalty()
        reached = {id(node) for node in topological_order(pen)}
        grads = grad(pen, self.params)
        return [
            g.data if id(p) in reached else -0.0 for p, g in zip(self.params, grads, strict=True)
        ]

    def _on_values(
        self, xs: Sequence[Any], targets: list[Any], states: list[Any]
    ) -> tuple[list[Any], Value]:
        self.batches_on_values += 1
        for r, s in zip(self.rngs, states, strict=True):
            r.setstate(s)  # the same dropout draws as the kernels made
        preds = [self.model(x) for x in xs]
        value = self.loss(preds, targets)
        objective = value if self.penalty is None else value + self.penalty()
        objective.backward()
        return preds, value


def _floats(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [float(v) for v in x]
    return float(x)
