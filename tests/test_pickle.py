"""pickle and deepcopy: any graph and any model, at any depth, sharing kept; custom ops refused."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

from autograd_engine import ALL_OPS, Op, Value
from autograd_engine.core.ops import ADD
from autograd_engine.core.value import apply_op
from nn import MLP, Layer, Neuron

DEEP = 100_000


def _node(op):
    """A node made by ``op`` from inputs in its domain, whatever its arity (1 to 4 inputs)."""
    samples = [0.7, 1.3, 0.4, 1.1]
    for arity in (1, 2, 3, 4):
        args = [Value(x, label=f"v{i}") for i, x in enumerate(samples[:arity])]
        for i in op.constants:
            if i < arity:
                args[i] = 2.0
        try:
            return apply_op(op, *args)
        except (TypeError, ValueError, ArithmeticError):
            continue
    raise AssertionError(f"no arity from 1 to 4 works for {op}")


def _same_graph(a, b):
    """Same data, grad, label and op, node by node, with parents in the same places."""
    from autograd_engine import topological_order

    oa, ob = topological_order(a), topological_order(b)
    assert len(oa) == len(ob)
    index = {id(n): i for i, n in enumerate(ob)}
    for x, y in zip(oa, ob, strict=True):
        assert (x.data, x.grad, x.label, str(x.op)) == (y.data, y.grad, y.label, str(y.op))
        assert x.op is y.op or (x.op == "" and y.op == "")
        assert [index[id(p)] for p in y.parents] == [oa.index(p) for p in x.parents]
        assert x is not y


@pytest.mark.parametrize("op", ALL_OPS, ids=str)
@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_a_node_of_every_op_pickles_and_loads_back(op, protocol):
    """A node made by any op in ALL_OPS dumps and loads to the same graph, same op object."""
    out = _node(op)
    out.backward()
    back = pickle.loads(pickle.dumps(out, protocol=protocol))
    _same_graph(out, back)
    assert back.op is op


@pytest.mark.parametrize("op", ALL_OPS, ids=str)
def test_a_node_of_every_op_deep_copies(op):
    """deepcopy of any non-leaf Value copies its whole graph; the op itself is shared."""
    out = _node(op)
    back = copy.deepcopy(out)
    _same_graph(out, back)
    back.backward()
    assert all(p.grad != 0.0 or p.data == 0.0 for p in back.parents if p.label)


def test_sharing_is_kept_within_and_across_objects():
    """x used twice stays one node; a leaf pickled beside its output stays that same leaf."""
    x = Value(3.0, label="x")
    y = x * x + x
    for clone in (lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy):
        x2, y2 = clone([x, y])
        mul = y2.parents[0]
        assert mul.parents[0] is mul.parents[1] is y2.parents[1] is x2
        y2.backward()
        assert x2.grad == 2 * 3.0 + 1


def test_a_100000_deep_chain_pickles_and_copies_without_recursion():
    """A chain of 100,000 nodes dumps, loads and deep-copies (no RecursionError) and backprops."""
    x = Value(0.5, label="x")
    y = x
    for _ in range(DEEP):
        y = y + 0.0
    for back in (pickle.loads(pickle.dumps(y)), copy.deepcopy(y)):
        assert back.data == y.data
        back.backward()
        leaf = back
        while leaf.parents:
            leaf = leaf.parents[0]
        assert leaf.label == "x" and leaf.grad == 1.0


def test_interrupted_sharing_leaves_later_dumps_depth_safe():
    """Two outputs sharing a deep graph pickled together, then an inner node alone: no recursion."""
    x = Value(1.0)
    mid = x
    for _ in range(DEEP // 2):
        mid = mid + 1.0
    a, b = mid * 2.0, mid * 3.0
    pickle.dumps([a, b])
    back = pickle.loads(pickle.dumps(mid.parents[0]))
    assert back.data == mid.data - 1.0


def test_a_custom_op_is_refused_with_one_clear_error_before_writing():
    """A graph with an op outside ALL_OPS: PicklingError naming it; deepcopy still works."""
    square = Op("square", lambda a: a * a, lambda g, out, a: (2 * g * a,))
    x = Value(3.0)
    y = apply_op(square, x) + 1.0
    with pytest.raises(pickle.PicklingError, match="op 'square' is not one of ALL_OPS"):
        pickle.dumps(y)
    fake_add = Op("add", ADD.forward, ADD.vjp)
    with pytest.raises(pickle.PicklingError, match="'add'"):
        pickle.dumps(apply_op(fake_add, x, x))
    assert copy.deepcopy(y).data == 10.0
    # The failure left nothing behind: x's graph pickles as before.
    assert pickle.loads(pickle.dumps(x * 2.0)).data == 6.0


def test_identity_equality_and_slots_are_kept():
    """Copies are new nodes: equal only to themselves, hashable, without a __dict__."""
    x = Value(1.0)
    y = copy.deepcopy(x)
    z = copy.copy(x)
    assert y != x and z != x and y == y and len({x, y, z}) == 3
    assert not hasattr(y, "__dict__")
    assert z.data == x.data


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLP(2, [3, 1], seed=0),  # linear output
        lambda: MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=1),
        lambda: Layer(3, 2, activation="linear", seed=2),
        lambda: Neuron(2, activation="linear", seed=3),
    ],
)
def test_models_pickle_and_deep_copy_with_every_activation(make):
    """Every model, linear output included, pickles and deep-copies to the same function."""
    model = make()
    x = [0.25, -0.5, 0.75][: model.nin]
    want = model(x)
    want = [v.data for v in want] if isinstance(want, list) else [want.data]
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        got = clone(x)
        got = [v.data for v in got] if isinstance(got, list) else [got.data]
        assert got == want
        assert [p.data for p in clone.parameters()] == [p.data for p in model.parameters()]
        assert not set(map(id, clone.parameters())) & set(map(id, model.parameters()))


def test_unpickled_values_keep_finite_floats():
    """The data of a loaded node is the exact float that was dumped."""
    y = Value(math.pi) * Value(1e-300)
    assert pickle.loads(pickle.dumps(y)).data == y.data


def test_a_model_with_its_optimizer_and_schedule_stays_linked():
    """Pickled or deep-copied together, the optimizer's groups and state key the new parameters."""
    from nn.optim import Adam
    from nn.schedules import StepLR

    model = MLP(2, [3, 1], seed=0)
    opt = Adam(model.parameters(), lr=0.1)
    sched = StepLR(opt, 2)
    model([1.0, 2.0]).backward()
    opt.step()
    sched.step()
    for clone in (lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy):
        model2, opt2, sched2 = clone((model, opt, sched))
        params = model2.parameters()
        assert all(a is b for a, b in zip(opt2.param_groups[0]["params"], params, strict=True))
        assert set(opt2.state) == set(params) and sched2.optimizer is opt2
        assert opt2.state_dict() == opt.state_dict()
