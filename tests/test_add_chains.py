"""An add chain's intermediate is a node of its own, and a later ``+`` never changes it.

Extending ``a + b`` in place when ``a + b + c`` is evaluated would save a node, and a
reference count of 3 inside ``__add__`` looks like "only this expression holds it". It is
not: C code may pass a reference it borrowed from a container that keeps the object
visible, and numpy's object-array loops do exactly that (``x + y`` read ``x[i]`` from
``x``'s buffer; ``np.add.accumulate`` reads the previous output from the result). These
tests hold the intermediate in every way a program can, numpy included, and check that
it never changes; an in-place extension by reference count fails them.
"""

from __future__ import annotations

import pytest

from autograd_engine import Value


class _Box:
    def __init__(self, node: Value) -> None:
        self.node = node


# Each holder keeps t = a + b and hands it back as the left operand of t + c.
HOLDERS = {
    "variable": lambda t: lambda: t,
    "list": lambda t: lambda held=[t]: held[0],  # noqa: B006  # the list is the holder
    "dict": lambda t: lambda held={"t": t}: held["t"],  # noqa: B006
    "attribute": lambda t: lambda box=_Box(t): box.node,  # noqa: B008
    "another node's input": lambda t: lambda user=t * 2.0: user.parents[0],
    "a tuple": lambda t: lambda held=(t,): held[0],
}


@pytest.mark.parametrize("holder", HOLDERS)
def test_an_intermediate_someone_holds_is_never_changed(holder):
    a, b, c = Value(1.0), Value(2.0), Value(4.0)
    get = HOLDERS[holder](a + b)
    u = get() + c
    t = get()
    assert t.data == 3.0 and t.parents == (a, b)  # as built
    assert u.data == 7.0 and u.parents == (t, c) and u is not t
    u.backward()
    assert (t.grad, a.grad, b.grad, c.grad) == (1.0, 1.0, 1.0, 1.0)


def test_a_chain_of_temporaries_keeps_each_intermediate():
    a, b, c = Value(1.0), Value(2.0), Value(4.0)
    y = a + b + c
    assert y.data == 7.0 and y.parents[1] is c and y.parents[0].parents == (a, b)


def test_numpy_object_arrays_never_change_their_elements():
    """numpy passes x[i] to __add__ as a borrowed reference: x's count is its only one."""
    np = pytest.importorskip("numpy")
    a, b, c, d = Value(1.0), Value(2.0), Value(4.0), Value(8.0)
    x = np.empty(1, dtype=object)
    x[0] = a + b  # held by the array alone
    z = x + np.array([c], dtype=object)
    assert x[0].data == 3.0 and x[0].parents == (a, b)
    assert z[0].data == 7.0 and z[0].parents == (x[0], c)
    values = np.empty(4, dtype=object)
    values[:] = [a, b, c, d]
    running = np.add.accumulate(values)
    assert [v.data for v in running] == [1.0, 3.0, 7.0, 15.0]
    assert [len(v.parents) for v in running] == [0, 2, 2, 2]
    assert running[1] is running[2].parents[0]
