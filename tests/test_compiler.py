"""compiled(fn, params, *args): the generated step against the engine's own backward, bit for bit.

Expected values come from an independent source: the dynamic engine's ``backward()`` on a
freshly built graph (a different code path: the graph sweep, not generated code), the
hand derivation of seed 002 (dw = (-0.20, -0.39, 0.20)) and plain ``fit()``.
"""

from __future__ import annotations

import math
import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_engine import ALL_OPS, Op, Value, compiled
from autograd_engine.compiler import GuardError, runtime_constant
from autograd_engine.core.value import apply_op
from autograd_engine.testing import DOMAINS, expressions
from nn import MLP
from nn.compiled_fit import CompiledTrainer
from nn.data import make_moons
from nn.losses import (
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
)
from nn.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from nn.schedules import ExponentialLR, ReduceLROnPlateau, StepLR
from nn.train import fit


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def engine(fn, params, *args, start=None):
    """(loss, grads) of fn(*args).backward() on a fresh graph, grads starting at ``start``."""
    for p, g in zip(params, start or [0.0] * len(params)):
        p.grad = g
    loss = fn(*args)
    loss.backward()
    return loss.data, [p.grad for p in params]


def run_compiled(step, params, *args, start=None):
    for p, g in zip(params, start or [0.0] * len(params)):
        p.grad = g
    loss = step(*args)
    return loss, [p.grad for p in params]


def same(a, b) -> bool:
    (la, ga), (lb, gb) = a, b
    return bits(la) == bits(lb) and [bits(g) for g in ga] == [bits(g) for g in gb]


# -- every op, and random graphs of them ------------------------------------------------


@pytest.mark.parametrize("op", ALL_OPS, ids=str)
@given(data=st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_op_compiles_to_its_own_forward_and_derivatives(op, data):
    args = data.draw(DOMAINS[str(op)])
    params = [Value(x) for i, x in enumerate(args) if i not in op.constants]
    weight = Value(data.draw(st.floats(-2.0, 2.0)))

    def fn():
        it = iter(params)
        xs = [x if i in op.constants else next(it) for i, x in enumerate(args)]
        return apply_op(op, *xs) * weight  # a non-unit seed reaches the op

    everything = [*params, weight]
    step = compiled(fn, everything)
    start = [data.draw(st.floats(-1.0, 1.0)) for _ in everything]  # grads accumulate
    assert same(run_compiled(step, everything, start=start), engine(fn, everything, start=start))


@pytest.mark.parametrize(
    ("op", "args"),
    [
        ("relu", (0.0,)),
        ("abs", (0.0,)),
        ("leaky_relu", (0.0, 0.2)),
        ("softplus", (20.0,)),
        ("powv", (0.0, 0.0)),
        ("powv", (0.0, 2.0)),
        ("pow", (0.0, 0.0)),
        ("rpow", (0.0, 2.0)),
        ("mul", (-0.0, 3.0)),
    ],
)
def test_kinks_and_edges_take_the_rows_own_values(op, args):
    row = next(o for o in ALL_OPS if o == op)
    params = [Value(x) for i, x in enumerate(args) if i not in row.constants]

    def fn():
        it = iter(params)
        return apply_op(row, *[x if i in row.constants else next(it) for i, x in enumerate(args)])

    step = compiled(fn, params)
    assert same(run_compiled(step, params), engine(fn, params))


@given(expressions(max_instructions=14))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_graphs_compile_bit_for_bit(expr):
    params = [Value(x) for x in expr.inputs]
    step = compiled(lambda: expr(*params), params)
    assert same(run_compiled(step, params), engine(lambda: expr(*params), params))


@given(expressions(min_inputs=2, max_instructions=10), st.floats(-0.5, 0.5))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_graphs_with_an_input_argument(expr, shift):
    # The first input is data (an argument), the rest parameters; grads start nonzero.
    params = [Value(x) for x in expr.inputs[1:]]

    def fn(x):
        return expr(x, *params)

    step = compiled(fn, params, expr.inputs[0])
    start = [0.25 * k - 0.5 for k in range(len(params))]
    assert same(
        run_compiled(step, params, expr.inputs[0], start=start),
        engine(lambda x: fn(Value(x)), params, expr.inputs[0], start=start),
    )


# -- the worked example (seed 002) and what the source looks like -----------------------


def test_worked_sigmoid_example_matches_the_hand_derivation():
    w = [Value(2.0, label="w0"), Value(-3.0, label="w1"), Value(-3.0, label="w2")]

    def neuron(x0, x1):
        z = Value.dot(w[:2], [x0, x1]) + w[2]
        z.label = "z"
        y = z.sigmoid()
        y.label = "y"
        return y

    step = compiled(neuron, w, -1.0, -2.0)
    y = step(-1.0, -2.0)
    assert round(y, 2) == 0.73  # sigma(1)
    # Seed 002: dw = (-0.20, -0.39, 0.20) (the notes round -0.393 to -0.4).
    assert [round(p.grad, 2) for p in w] == [-0.20, -0.39, 0.20]
    src = step.source
    assert "g_z = g_y * y * (1.0 - y)" in src  # sigma' = sigma (1 - sigma), by name
    assert "# y = sigmoid(z)" in src
    assert "g_w0 = g_w0 + g_z * x0" in src


def test_sum_and_dot_call_pythons_sum_whatever_their_first_term():
    """The sum and dot rows call sum(), compensated from Python 3.12 on: the generated code
    must call it too, also where the first term is a constant (a plain ``a + b + c`` is the
    same on 3.11 only, hence the look at the source)."""
    w = Value(1.0, label="w")

    def fn(x):
        s = Value.sum([1e16, w * x, -1e16])  # left to right: 0.0; compensated: 1.0
        s.label = "s"
        d = Value.dot([2.0, w], [3.0, x])  # first term 2.0 * 3.0, a constant
        d.label = "d"
        return s * d

    step = compiled(fn, [w], 0.0)  # where both sums agree: its self-check passes
    assert "    s = sum((1e+16, v" in step.source
    assert "    d = sum((6.0, w * x,))" in step.source
    for x in (1.0, 0.75, -3.0):
        assert same(run_compiled(step, [w], x), engine(lambda v: fn(Value(v)), [w], x))


def test_source_names_nodes_by_their_labels():
    model = MLP(2, [3, 1], seed=0)
    step = compiled(lambda x, t: mse_loss([model(x)], [t]), model.parameters(), [0.5, -1.0], 1.0)
    src = step.source
    for name in ("L0_n1_w0", "L0_n2_b", "L1_n0_out", "g_L0_n1_w0"):
        assert name in src
    assert "# L0_n0_z = L0_n0_dot + L0_n0_b" in src  # a comment per node, naming its op


def test_any_labels_make_valid_distinct_names():
    labels = ["x", "g_x", "sum", "P", "for", "1a", "é", "ﬁ", "fi", "", "a.b", "a_b", "_", "S", "C"]
    params = [Value(0.1 * (k + 1), label=label) for k, label in enumerate(labels)]

    def fn(x):
        total = x
        for k, p in enumerate(params):
            total = total * p + p
            total.label = labels[-1 - k]
        return total.tanh()

    step = compiled(fn, params, 0.3)
    assert same(run_compiled(step, params, 0.7), engine(lambda v: fn(Value(v)), params, 0.7))


# -- guards ------------------------------------------------------------------------------


def test_guard_fires_on_a_data_dependent_branch():
    w = Value(0.5, label="w")

    def fn(x):
        h = w * x
        h.label = "h"
        return h * h if h.data > 0.5 else h.exp()

    with pytest.raises(GuardError, match=r"structure changed.*|exp node|mul node"):
        compiled(fn, [w], 1.1)  # 1.1 -> a smaller x on the second trace: the branch flips
    with pytest.raises(GuardError, match="node 3"):
        compiled(fn, [w], 3.0, check_args=(0.1,))
    compiled(fn, [w], 3.0, check_args=(2.0,))  # the same branch both times: compiles


def test_verify_checks_more_examples():
    w = Value(0.5, label="w")

    def fn(x):
        h = w * x
        return h * h if x.data < 10.0 else h.exp()

    step = compiled(fn, [w], 1.0, check_args=(2.0,))
    step.verify(5.0)  # the same branch: fine
    w.grad = 0.25
    with pytest.raises(GuardError, match="node 3"):
        step.verify(20.0)
    assert w.grad == 0.25


def test_guard_fires_on_a_data_dependent_constant():
    w = Value(1.5, label="w")

    def fn(x):
        return w * x.data  # x's value baked in as a constant

    with pytest.raises(GuardError, match="constant"):
        compiled(fn, [w], 2.0)


def test_guard_fires_on_a_constant_read_from_a_parameter():
    """The step reads the parameters afresh at each call: a number fn takes from a
    parameter's .data would be baked in and go stale once an optimizer moves it."""
    w = Value(0.5, label="w")

    def fn(x):
        return w * x * (1.0 / abs(w.data))  # w / |w| with |w| read as a number

    with pytest.raises(GuardError, match=r"the constant 2\.0\).*a parameter's \.data"):
        compiled(fn, [w], 2.0)
    assert w.data == 0.5 and w.grad == 0.0  # the second trace's move of w is undone


def test_a_value_left_out_of_params_is_read_at_every_call():
    """A leaf Value the graph reaches but params omit (a frozen layer) is read afresh at
    each call, as fn on Values reads it, and gets no gradient; never baked in."""
    w, b = Value(1.0, label="w"), Value(3.0, label="b")

    def fn(x):
        return (w * x + b).tanh()

    step = compiled(fn, [w], 2.0)
    assert "b = F[0].data" in step.source  # read by name, at each call
    b.data = 10.0
    b.grad = 0.0
    got = run_compiled(step, [w], 2.0)
    assert got[0] == math.tanh(12.0)  # tanh(w x + b) with b = 10 now
    assert same(got, engine(fn, [w], 2.0))  # and bit for bit what backward() gives w
    b.grad = 0.0
    step(2.0)
    assert b.grad == 0.0  # not a parameter: no gradient accumulated
    b.data = -0.5  # and in fit's kernels (forward, rows) too
    assert step.mean([(1.0,), (-2.0,)]) == (Value.sum([fn(1.0), fn(-2.0)]) * 0.5).data
    assert step._kernel.forward([w.data], [], 2.0) == (fn(2.0).data,)


def test_a_number_read_from_a_value_left_out_of_params_is_refused():
    """b is read afresh at each call, so a number fn takes from b.data must not be baked."""
    w, b = Value(1.0, label="w"), Value(3.0, label="b")

    def fn(x):
        return w * x + b * (1.0 / b.data)

    with pytest.raises(GuardError, match="constant"):
        compiled(fn, [w], 2.0)
    assert b.data == 3.0 and b.grad == 0.0  # the second trace's move of b is undone


def test_a_node_built_before_fn_is_called_is_refused():
    """h = 3 w built once, outside fn: fn on Values reuses its old value after w moves, the
    compiled step would recompute it from w. Not the same function: refused, not guessed."""
    w = Value(2.0, label="w")
    h = w * 3.0
    h.label = "h"
    with pytest.raises(ValueError, match=r"mul node labelled 'h'.*before fn was called"):
        compiled(lambda x: h * x, [w], 1.5)
    assert w.data == 2.0 and w.grad == 0.0


def test_runtime_constant_is_recomputed_every_call():
    w = Value(1.5, label="w")

    def fn(x):
        return w * x + runtime_constant(-x.data, lambda v: -v, [x])

    step = compiled(fn, [w], 2.0)
    for x in (3.0, -7.25):
        assert same(run_compiled(step, [w], x), engine(lambda v: fn(Value(v)), [w], x))


def test_cross_entropy_and_binary_cross_entropy_compile_with_int_targets():
    model = MLP(2, [4, 3], activation="tanh", seed=2)
    params = model.parameters()

    def ce(x, t):
        return cross_entropy([model(x)], [t])

    step = compiled(ce, params, [0.3, -0.2], 1)
    assert step.source.count("# runtime constant") == 1  # -max computed once per row
    rng = random.Random(5)
    for _ in range(6):  # the max logit moves between classes: it is recomputed, not baked
        x = [rng.uniform(-3, 3), rng.uniform(-3, 3)]
        t = rng.randrange(3)  # a new int: compiled for it on first use
        assert same(run_compiled(step, params, x, t), engine(ce, params, x, t))
    sig = MLP(2, [4, 1], output_activation="sigmoid", seed=3)

    def bce(x, t):
        return binary_cross_entropy([sig(x)], [t])

    step = compiled(bce, sig.parameters(), [0.1, 0.2], 0)
    for x, t in (([0.4, -2.0], 0), ([1.5, 0.5], 1), ([-0.3, 0.7], 0)):
        got = run_compiled(step, sig.parameters(), x, t)
        assert same(got, engine(bce, sig.parameters(), x, t))


def test_a_rare_branch_of_a_loss_is_guarded_at_every_call():
    w = Value(1.0, label="w")

    def bce(x, t):
        return binary_cross_entropy([(w * x).sigmoid()], [t])

    step = compiled(bce, [w], 1.0, 1)
    assert same(run_compiled(step, [w], 2.0, 1), engine(bce, [w], 2.0, 1))
    w.grad = 0.5
    with pytest.raises(GuardError, match="clamp of log\\(p\\)"):
        step(-400.0, 1)  # sigmoid(-400) < e^-100: the loss clamps log(p) there
    assert w.grad == 0.5

    def ce(z0, z1):
        return cross_entropy([[w * z0, w * z1]], [0])

    step = compiled(ce, [w], 0.5, -0.25)
    assert same(run_compiled(step, [w], 3.0, 1.0), engine(ce, [w], 3.0, 1.0))
    with pytest.raises(GuardError, match="underflowing"):
        step(0.0, -1000.0)  # e^-1000 is 0: the loss leaves that term out
    with pytest.raises(GuardError, match="underflowing"):
        step(500.0, -600.0)  # e^(-600 - 500) is 0 too: measured from the max, not from 0


def test_the_clamp_guards_of_bce_agree_with_the_eager_branch_at_the_boundary():
    """log p is inside its clamp at p = e^-100 exactly (as torch.clamp), so a step compiled
    inside replays there; log(1 - p) is clamped at p = 1, so a step compiled at p = 0.5
    refuses p = 1 with the guard's name, and leaves the gradients untouched."""
    w = Value(1.0, label="w")

    def bce(p, t):
        return binary_cross_entropy([w * p], [t])

    tiny = math.exp(-100.0)
    step = compiled(bce, [w], 0.5, 1)
    assert same(run_compiled(step, [w], tiny, 1), engine(bce, [w], tiny, 1))
    step = compiled(bce, [w], 0.5, 0)
    assert same(run_compiled(step, [w], 0.25, 0), engine(bce, [w], 0.25, 0))
    w.grad = 0.5
    with pytest.raises(GuardError, match=r"clamp of log\(1 - p\)"):
        step(1.0, 0)
    assert w.grad == 0.5


def test_dropout_masks_are_drawn_per_call_as_the_model_draws_them():
    model = MLP(2, [5, 5, 1], dropout=0.4, seed=4)
    params = model.parameters()

    def fn(x, t):
        return mse_loss([model(x)], [t])

    state = model.dropout_rng.getstate()
    step = compiled(fn, params, [0.1, 0.2], 0.5)
    model.dropout_rng.setstate(state)
    expected_rng = random.Random()
    expected_rng.setstate(state)
    for x, t in (([0.5, -1.0], 1.0), ([2.0, 0.25], -0.5), ([-1.0, 1.0], 0.0)):
        after = model.dropout_rng.getstate()
        got = run_compiled(step, params, x, t)
        model.dropout_rng.setstate(after)  # the same draws for the engine's run
        assert same(got, engine(fn, params, x, t))


def test_a_custom_op_compiles_through_its_own_forward_and_vjp():
    calls = []

    def vjp(g, out, a):
        calls.append(a)
        return (g * 3.0 * a * a,)

    cube = Op("cube", lambda a: a * a * a, vjp)
    w = Value(0.7, label="w")

    def fn(x):
        return cube(w * x)

    step = compiled(fn, [w], 1.25)
    assert "its own vjp" in step.source
    calls.clear()
    got = run_compiled(step, [w], -2.0)
    assert calls == [0.7 * -2.0]  # the vjp ran, on floats, at the step
    assert same(got, engine(lambda x: fn(Value(x)), [w], -2.0))


def test_a_custom_op_name_with_a_line_break_stays_inside_its_comment():
    # An op's name is any str; written raw into a comment, a line break would end the
    # comment and run the rest of the name as code of the step.
    ran = []
    hostile = Op("sq\n    _ran.append(1)#", lambda a: a * a, lambda g, out, a: (g * 2.0 * a,))
    w = Value(1.5, label="w")

    def fn(x):
        return hostile(w * x)

    step = compiled(fn, [w], 2.0)
    step._kernel.namespace["_ran"] = ran  # what the injected line would call
    got = run_compiled(step, [w], 2.0)
    assert ran == []
    assert "sq\\n" in step.source  # the name is shown, escaped
    assert same(got, engine(lambda x: fn(Value(x)), [w], 2.0))


# -- refusals and bad input ----------------------------------------------------------------


def test_create_graph_and_backward_inside_fn_are_refused():
    w = Value(2.0)
    with pytest.raises(NotImplementedError, match="create_graph"):
        compiled(lambda x: w * x, [w], 1.0, create_graph=True)

    def calls_backward(x):
        y = w * x
        y.backward()
        return y

    with pytest.raises(ValueError, match="backward"):
        compiled(calls_backward, [w], 1.0)
    assert w.grad == 0.0  # and it changed nothing


def test_bad_arguments_raise_and_change_nothing():
    w = Value(2.0, label="w")
    step = compiled(lambda x, v: w * Value.dot([w, w], v) * x, [w], 1.0, [1.0, 2.0])
    w.grad = 0.5
    with pytest.raises(ValueError, match="list of 2 numbers"):
        step(1.0, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="not a finite number"):
        step(1.0, [math.nan, 2.0])
    with pytest.raises(TypeError, match="expects 2 arguments"):
        step(1.0)
    with pytest.raises(TypeError, match="number or a list of numbers"):
        step(Value(1.0), [1.0, 2.0])
    assert w.grad == 0.5
    logged = compiled(lambda x: (w * x).log(), [w], 1.0)
    with pytest.raises(ValueError, match="compiled step: .*domain"):
        logged(-1.0)  # log of -2: outside log's domain, as backward() would say too
    assert w.grad == 0.5
    with pytest.raises(TypeError, match="params"):
        compiled(lambda: w * w, w)
    with pytest.raises(ValueError, match="leaf"):
        compiled(lambda: w * 2.0, [w * 1.0])


def test_mean_equals_the_nn_mean_graph():
    model = MLP(2, [6, 6, 1], seed=7)
    params = model.parameters()
    X, y = make_moons(30, noise=0.2, seed=1)
    Y = [2.0 * t - 1.0 for t in y]
    step = compiled(lambda x, t: (1.0 - t * model(x)).relu(), params, X[0], Y[0])
    for p in params:
        p.grad = 0.0
    got = step.mean(list(zip(X, Y)))
    grads = [p.grad for p in params]
    hinge = hinge_loss([model(x) for x in X], [int(t) for t in Y])  # (1/n) sum relu(1 - y s)
    for p in params:
        p.grad = 0.0
    hinge.backward()
    assert same((got, grads), (hinge.data, [p.grad for p in params]))


# -- fit(compile=True) is fit() -------------------------------------------------------------

CASES = [
    dict(loss="mse"),
    dict(loss="bce", out="sigmoid", act="tanh"),
    dict(loss="ce", classes=3, act="leaky_relu"),
    dict(loss="hinge", act="sigmoid", batch_size=1),
    dict(loss="mse", act="linear", optimizer="adam", batch_size=None),
    dict(loss="ce", classes=2, dropout=0.3, optimizer="rmsprop"),
    dict(loss="mse", dropout=0.5, optimizer="adagrad", scheduler="step"),
    dict(loss="bce", out="sigmoid", optimizer="adamw", scheduler="exp", batch_size=5),
    dict(loss="hinge", scheduler="plateau", validation=True),
    dict(loss="ce", classes=3, validation=True, early_stopping=True, epochs=6),
    dict(loss="mse", penalty="l2", optimizer="momentum"),
    dict(loss="ce", classes=2, penalty="l1", dropout=0.2, max_norm=True, batch_size=7),
]


def train(case: dict, compile: bool) -> tuple[list[bytes], dict]:
    X, y = make_moons(26, noise=0.25, seed=11)
    loss = {
        "mse": mse_loss,
        "bce": binary_cross_entropy,
        "ce": cross_entropy,
        "hinge": hinge_loss,
    }[case["loss"]]
    if case["loss"] == "hinge":
        y = [1 if t else -1 for t in y]
    if case["loss"] == "mse":
        y = [float(t) for t in y]
    nout = case.get("classes", 1)
    model = MLP(
        2,
        [5, 4, nout],
        activation=case.get("act", "relu"),
        output_activation=case.get("out", "linear"),
        seed=3,
        dropout=case.get("dropout", 0.0),
    )
    params = model.parameters()
    optimizer = {
        "sgd": lambda: SGD(params, lr=0.1),
        "momentum": lambda: SGD(params, lr=0.1, momentum=0.9, nesterov=True),
        "adam": lambda: Adam(params, lr=0.02),
        "adamw": lambda: AdamW(params, lr=0.02),
        "rmsprop": lambda: RMSprop(params, lr=0.01),
        "adagrad": lambda: Adagrad(params, lr=0.1),
    }[case.get("optimizer", "sgd")]()
    scheduler = {
        None: lambda: None,
        "step": lambda: StepLR(optimizer, step_size=1, gamma=0.5),
        "exp": lambda: ExponentialLR(optimizer, gamma=0.9),
        "plateau": lambda: ReduceLROnPlateau(optimizer, patience=0),
    }[case.get("scheduler")]()
    kwargs: dict = {}
    if case.get("validation"):
        kwargs["validation"] = (X[:8], y[:8])
    if case.get("early_stopping"):
        kwargs["early_stopping"] = 1
    if case.get("max_norm"):
        kwargs["max_norm"] = 0.5
    if case.get("penalty"):
        weights = [p for name, p in model.named_parameters() if name.endswith(("w.0", "w.1"))]
        make = l2_penalty if case["penalty"] == "l2" else l1_penalty
        kwargs["penalty"] = lambda: make(weights, 1e-2)
    history = fit(
        model,
        X,
        y,
        loss,
        optimizer,
        epochs=case.get("epochs", 3),
        batch_size=case.get("batch_size", 4),
        scheduler=scheduler,
        progress=False,
        compile=compile,
        **kwargs,
    )
    return [bits(p.data) for p in params], history


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_fit_compiled_trains_the_same_parameters_bit_for_bit(case, monkeypatch):
    expected, expected_history = train(case, compile=False)

    def no_fallback(self, *args):
        raise AssertionError("a batch ran on Values: the kernels were not tested")

    monkeypatch.setattr(CompiledTrainer, "_on_values", no_fallback)
    got, history = train(case, compile=True)
    assert got == expected
    assert history == expected_history


def test_fit_compile_refuses_a_model_that_branches_on_the_data():
    w = Value(1.0)

    class Branchy:
        training = True

        def parameters(self):
            return [w]

        def __call__(self, x):
            v = w * x[0]
            return v.tanh() if x[0] > 0 else v.exp()

    # X[0] and X[1] take the same branch: the example that flips it comes later, and the
    # examples spread over X are checked too, before any update.
    X, y = [[1.0], [2.0], [3.0], [-1.0]], [0.0, 1.0, 0.0, 1.0]
    with pytest.raises(GuardError, match="fit: compile=True.*exp node"):
        fit(Branchy(), X, y, mse_loss, SGD([w], lr=0.1), epochs=1, progress=False, compile=True)
    assert w.data == 1.0
    with pytest.raises(TypeError, match="compile must be a bool"):
        fit(Branchy(), X, y, mse_loss, SGD([w], lr=0.1), epochs=1, progress=False, compile=1)


def test_fit_compiled_runs_a_batch_on_values_when_the_loss_reaches_a_parameter(monkeypatch):
    # A loss that reads a parameter itself: the kernels cannot mirror its sweep, so those
    # batches run on Values (same dropout draws): still the same parameters, bit for bit.
    def run(compile):
        X, y = make_moons(12, noise=0.2, seed=5)
        model = MLP(2, [4, 1], seed=2, dropout=0.25)
        w = model.parameters()[0]

        def loss(preds, targets):
            return mse_loss(preds, targets) + 1e-2 * w * w

        fit(
            model,
            X,
            [float(t) for t in y],
            loss,
            SGD(model.parameters(), lr=0.1),
            epochs=2,
            batch_size=5,
            progress=False,
            compile=compile,
        )
        return [bits(p.data) for p in model.parameters()]

    calls = []
    original = CompiledTrainer._on_values

    def counted(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(CompiledTrainer, "_on_values", counted)
    assert run(True) == run(False)
    assert len(calls) == 6  # 3 batches an epoch, 2 epochs
