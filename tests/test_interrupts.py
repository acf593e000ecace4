"""Walks are safe by construction: an interrupt at any line, or a second thread, changes no
later result.

The harness (``interrupted``) runs a walk under ``sys.settrace`` and raises
KeyboardInterrupt at the k-th line the engine executes, for every k until the walk runs
to its end. After each interruption it checks that backward was all or nothing, that
the same graph and a fresh loss from the same model give the reference gradients (to the
bit), and that the sweep's permit came back. ``faulthandler`` is the watchdog: a hang
ends the run with every thread's traceback instead of stalling CI.

The reference gradients are hand derivations of the small model below.
"""

from __future__ import annotations

import copy
import faulthandler
import math
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import autograd_engine
from autograd_engine import Op, Value, grad, hessian, jvp, topological_order, zero_grad
from autograd_engine.core import graph
from autograd_engine.core.value import Constant

ENGINE = str(Path(autograd_engine.__file__).parent)
# Where walks keep state: the drawings' harness interrupts only these modules' lines (the
# drawing code keeps no state of its own, and a page takes 50 ms to lay out).
WALK_MODULES = (str(Path(graph.__file__)), str(Path(graph.__file__).with_name("value.py")))


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """A walk that hangs (a lock left held, say) fails the run with tracebacks, after 120 s."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def interrupted(walk: Callable[[], object], k: int, where: str | tuple[str, ...] = ENGINE) -> bool:
    """Run ``walk`` with a KeyboardInterrupt raised at its k-th line of engine code.

    Only lines of files whose path starts with ``where`` are counted. Returns True if
    the interrupt was raised (the walk did not finish), False if the walk finished in
    fewer than k lines.
    """
    count = 0

    def trace(frame: Any, event: str, arg: object) -> Any:
        nonlocal count
        if not frame.f_code.co_filename.startswith(where):
            return None  # only the engine's own lines are counted (and traced)
        if event == "line":
            count += 1
            if count == k:
                raise KeyboardInterrupt
        return trace

    sys.settrace(trace)
    try:
        walk()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False


# A small model, all ops a learner meets: w . x + b through tanh, an MSE with constants,
# a sum, a power and an exp, built afresh by loss().
W = [0.5, -1.25]
B = 0.25
X = [1.5, -0.5]


def model() -> list[Value]:
    return [Value(W[0], label="w0"), Value(W[1], label="w1"), Value(B, label="b")]


def loss_of(params: list[Value]) -> Value:
    w0, w1, b = params
    z = Value.dot([w0, w1], X) + b  # z = w . x + b
    h = z.tanh()
    err = 2.0 * h - 0.5  # a constant on either side
    return sum([err**2, 0.1 * (w0 * w0 + w1 * w1), (b * 0.5).exp()])


def hand_gradients() -> list[float]:
    # L = (2 tanh z - 1/2)^2 + 0.1 (w0^2 + w1^2) + e^(b/2), z = w . x + b:
    # dL/dz = 2 (2h - 1/2) * 2 (1 - h^2); dL/dw_i = dL/dz x_i + 0.2 w_i; dL/db = dL/dz + e^(b/2)/2
    z = W[0] * X[0] + W[1] * X[1] + B
    h = math.tanh(z)
    dz = 2 * (2 * h - 0.5) * 2 * (1 - h * h)
    return [dz * X[0] + 0.2 * W[0], dz * X[1] + 0.2 * W[1], dz + math.exp(B / 2) / 2]


def reference() -> tuple[list[float], dict[int, float]]:
    """Gradients of a clean run: of the parameters, and of every node by position."""
    params = model()
    loss = loss_of(params)
    loss.backward()
    return [p.grad for p in params], {i: n.grad for i, n in enumerate(graph.sweep_order(loss))}


def test_the_reference_gradients_match_the_hand_derivation():
    grads, _ = reference()
    assert grads == pytest.approx(hand_gradients(), rel=1e-12)


def check_unchanged_results(params: list[Value], loss: Value, ref: list[float]) -> None:
    """The later results an interrupted walk must not change, all to the bit."""
    assert len(graph._permits) == 1  # the fast sweep's permit came back
    for p in params:
        p.grad = 0.0
    loss_of(params).backward()  # a fresh loss from the same model
    assert [p.grad for p in params] == ref
    assert [d.data for d in grad(loss, params)] == ref  # the same graph, through grad
    zero_grad(loss)
    loss.backward()  # and through backward
    assert [p.grad for p in params] == ref
    assert all(type(n) is Value for n in graph.sweep_order(loss))  # no constant swept
    for n in topological_order(loss):
        if type(n) is Constant:
            assert n.grad == 0.0


def small_loss(params: list[Value]) -> Value:
    w0, _, b = params
    return ((w0 * X[0] + b).tanh() - 0.5) ** 2


def _walks(params: list[Value], loss: Value) -> dict[str, Callable[[], object]]:
    from autograd_engine import draw_dot, player

    small = small_loss(params)
    return {
        "backward": loss.backward,
        "grad": lambda: grad(loss, params),
        "grad create_graph": lambda: grad(loss, params, create_graph=True),
        "hessian": lambda: hessian(loss, params[:2]),
        "jvp": lambda: jvp(loss, params, [1.0, -1.0, 0.5]),
        "topological_order": lambda: topological_order(loss),
        "zero_grad": lambda: zero_grad(loss),
        "draw_dot": lambda: draw_dot(small, backward=True).source,
        "player": lambda: player(small).html(),
        "pickle": lambda: pickle.loads(pickle.dumps(loss)),
        "deepcopy": lambda: copy.deepcopy(loss),
    }


WALKS = list(_walks(model(), loss_of(model())))
DRAWINGS = ("draw_dot", "player")


@pytest.mark.parametrize("name", WALKS)
def test_an_interrupt_at_every_line_of_a_walk_changes_no_later_result(name):
    """KeyboardInterrupt at each line k of the walk, for every k: nothing changes after."""
    ref, ref_nodes = reference()
    params = model()
    loss = loss_of(params)
    walk = _walks(params, loss)[name]
    nodes = graph.sweep_order(loss)
    k = 1
    while True:
        zero_grad(loss)
        if name == "backward":
            loss.backward()  # grads to add to: all-or-nothing must show on non-zero ones
        before = [n.grad for n in nodes]
        stopped = interrupted(walk, k, WALK_MODULES if name in DRAWINGS else ENGINE)
        after = [n.grad for n in nodes]
        if name == "backward":
            added = [b + ref_nodes[i] for i, b in enumerate(before)]
            assert after in (before, added), f"backward split by an interrupt at line {k}"
        elif name != "zero_grad":
            assert after == before, f"{name} wrote a .grad (interrupted at line {k})"
        check_unchanged_results(params, loss, ref)
        if not stopped:
            break
        k += 1
    assert k > 3  # the walk did run through several lines: the harness reached it


def test_an_interrupt_inside_a_vjp_halfway_through_the_sweep_changes_nothing():
    calls = {"n": 0}

    def vjp(g: float, out: float, a: float) -> tuple[float]:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # as Ctrl-C in a notebook, mid-sweep
        return (g * 3.0,)

    triple = Op("triple", lambda a: 3.0 * a, vjp)
    x = Value(2.0)
    shared = x * x
    y = triple(shared) + shared  # dy/dx = (3 + 1) 2x = 16
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert (x.grad, shared.grad) == (0.0, 0.0)
    y.backward()
    assert (x.grad, shared.grad) == (16.0, 4.0)


def test_a_reader_thread_walking_and_drawing_never_disturbs_backward():
    """Thread A draws and walks the graph while thread B backpropagates: 100 rounds, exact."""
    from autograd_engine import draw_dot

    ref, _ = reference()
    params = model()
    loss = loss_of(params)
    stop = threading.Event()
    problems: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                order = topological_order(loss)
                for node in order:
                    node.parents  # noqa: B018  # shows constants as Constants
                draw_dot(loss, backward=True).source  # noqa: B018
        except BaseException as error:  # pragma: no cover - reported below
            problems.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(100):
            for p in params:
                p.grad = 0.0
            fresh = loss_of(params)
            fresh.backward()
            assert [p.grad for p in params] == ref
            zero_grad(loss)
            loss.backward()
            assert [p.grad for p in params] == ref
    finally:
        stop.set()
        thread.join()
    assert problems == []


def test_two_threads_on_different_graphs_do_not_wait_for_each_other():
    """A sweep paused inside a vjp does not stop another thread's sweep of another graph."""
    entered, release = threading.Event(), threading.Event()

    def vjp(g: float, out: float, a: float) -> tuple[float]:
        entered.set()
        release.wait(30)
        return (g * 2.0,)

    slow = Op("slow_double", lambda a: 2.0 * a, vjp)
    x = Value(3.0)
    first = threading.Thread(target=lambda: (slow(x) * x).backward())  # d/dx (2x * x) = 4x
    first.start()
    assert entered.wait(30)
    ref, _ = reference()
    params = model()
    loss_of(params).backward()  # would wait forever if sweeps queued behind each other
    assert [p.grad for p in params] == ref
    release.set()
    first.join()
    assert x.grad == 12.0


def test_the_same_graph_from_two_threads_adds_both_gradients_exactly():
    """Both backward calls run in full, one through the plain sweep: the grads add up."""
    entered, release = threading.Event(), threading.Event()

    def vjp(g: float, out: float, a: float) -> tuple[float]:
        if threading.current_thread() is not threading.main_thread():
            entered.set()
            release.wait(30)
        return (g * 2.0,)

    slow = Op("slow_double", lambda a: 2.0 * a, vjp)
    x = Value(3.0)
    y = slow(x) * x + x  # dy/dx = 4x + 1 = 13
    other = threading.Thread(target=y.backward)
    other.start()
    assert entered.wait(30)
    y.backward()  # the main thread, while the other is inside its sweep
    assert x.grad == 13.0
    release.set()
    other.join()
    assert x.grad == 26.0


def test_many_backward_calls_from_two_threads_lose_no_addition():
    params = model()
    loss = loss_of(params)
    ref, _ = reference()

    def run() -> None:
        for _ in range(50):
            loss.backward()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [0.0] * 3
    for _ in range(100):  # the same value added 100 times: any interleaving gives this
        expected = [e + r for e, r in zip(expected, ref)]
    assert [p.grad for p in params] == expected
