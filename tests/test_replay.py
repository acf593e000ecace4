"""Recording a fit and its replay page: the numbers the page holds, checked against fresh runs.

Point 6 of the replay issue: what the page holds at step k (parameters, gradients, optimizer
state) equals a fresh run of the same training for k steps, to 1e-12, for every optimizer,
with and without a schedule, with mini-batches and with dropout. The fresh runs are
``fit(..., epochs=e)`` itself at epoch ends and a hand-written loop (zero_grad, forward,
loss, backward, step) for the steps inside an epoch. The numbers are read back out of the
saved page's HTML, not from the recorder. The browser side is tests/test_replay_browser.py.
"""

from __future__ import annotations

import json
import math
import random
import re
from functools import partial

import optim_examples
import pytest

from autograd_engine import Value
from nn import MLP, optim
from nn.data import make_moons, minibatches
from nn.losses import binary_cross_entropy
from nn.optim import SGD, Adam
from nn.pictures.replay import LiveView, Replay, decode_floats, encode_floats
from nn.record import STATE_NAMES, RecordedHistory, Recorder
from nn.schedules import ExponentialLR, StepLR
from nn.train import fit

X, Y = make_moons(24, noise=0.15, seed=3)
X_VAL, Y_VAL = make_moons(10, noise=0.15, seed=4)

# Every example of every registered optimizer, plus the two set-ups the other tests train with.
OPTIMIZERS = {
    name: partial(optim.OPTIMIZERS[cls_name], **kwargs)
    for name, (cls_name, kwargs) in optim_examples.EXAMPLES.items()
} | {"sgd": partial(SGD, lr=0.3), "adam": partial(Adam, lr=0.05)}
EXAMPLES, FIRST, RICHEST = (
    list(optim_examples.EXAMPLES),
    optim_examples.FIRST,
    optim_examples.RICHEST,
)
SCHEDULES = {
    "none": None,
    "exponential": lambda opt: ExponentialLR(opt, gamma=0.8),
    "step": lambda opt: StepLR(opt, step_size=1, gamma=0.5),
}


def make(opt_name, schedule, dropout):
    model = MLP(2, [5, 4, 1], output_activation="sigmoid", seed=1, dropout=dropout)
    opt = OPTIMIZERS[opt_name](model.parameters())
    sched = None if SCHEDULES[schedule] is None else SCHEDULES[schedule](opt)
    return model, opt, sched


def page_numbers(replay: Replay, step: int):
    """(data, grad, state) of ``step`` as the saved page holds them (decoded from its HTML)."""
    text = replay.html()
    blob = re.search(r'<script type="application/json" class="rp-data">(.*?)</script>', text, re.S)
    data = json.loads(blob.group(1))
    r = data["steps"].index(step)
    S = len(data["steps"])

    def at(encoded):
        values = decode_floats(encoded)
        return [values[p * S + r] for p in range(len(data["labels"]))]

    numbers = data["numbers"]
    state = {name: at(v) for name, v in numbers["state"].items()}
    return at(numbers["data"]), at(numbers["grad"]), state, data


def fresh_run(opt_name, schedule, dropout, batch_size, k):
    """The same training by hand, stopped after k updates: (params, optimizer)."""
    model, opt, sched = make(opt_name, schedule, dropout)
    rng = random.Random(0)  # fit's seed=0
    done = 0
    model.train()
    for _ in range(10):
        for batch in minibatches(len(X), batch_size, rng):
            if done == k:
                return model.parameters(), opt
            opt.zero_grad()
            preds = [model(X[i]) for i in batch]
            binary_cross_entropy(preds, [Y[i] for i in batch]).backward()
            opt.step()
            done += 1
        if sched is not None:
            sched.step()
    return model.parameters(), opt


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


def assert_same(page, params, opt, step):
    data, grad, state, _ = page
    for p, (v, g) in enumerate(zip(data, grad)):
        assert close(v, params[p].data), (step, p, "data", v, params[p].data)
        assert close(g, params[p].grad), (step, p, "grad", g, params[p].grad)
    expected_names = {k for s in opt.state.values() for k in s}
    assert expected_names <= set(state), (expected_names, set(state))
    for name in expected_names:
        for p, q in enumerate(params):
            want = opt.state[q].get(name, math.nan) if q in opt.state else math.nan
            assert close(state[name][p], float(want)), (step, p, name, state[name][p], want)


@pytest.mark.parametrize(
    ("opt_name", "schedule"),
    [(o, "none") for o in EXAMPLES] + [(o, s) for o in FIRST for s in SCHEDULES if s != "none"],
)
def test_page_numbers_equal_a_fresh_run_at_every_step(opt_name, schedule):
    """Mini-batches of 8 with dropout 0.2: every step's numbers equal a hand-run of k steps
    (every example of every optimizer; each plain example with each schedule)."""
    dropout, batch_size, epochs = 0.2, 8, 3
    model, opt, sched = make(opt_name, schedule, dropout)
    history = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        epochs,
        batch_size,
        sched,
        progress=False,
        record=True,
    )
    replay = history.replay()
    steps_per_epoch = 3
    for k in range(0, epochs * steps_per_epoch + 1):
        params, fresh_opt = fresh_run(opt_name, schedule, dropout, batch_size, k)
        page = page_numbers(replay, k)
        if k == 0:
            assert page[0] == [p.data for p in params]
            assert all(math.isnan(g) for g in page[1])  # no gradient before the first step
            continue
        assert_same(page, params, fresh_opt, k)


@pytest.mark.parametrize("opt_name", RICHEST)
@pytest.mark.parametrize("batch_size", [None, 5])
def test_page_at_an_epoch_end_equals_fit_for_that_many_epochs(opt_name, batch_size):
    """A fresh fit(epochs=e) ends with the page's numbers at the last step of epoch e."""
    epochs, per_epoch = 4, (1 if batch_size is None else 5)
    model, opt, sched = make(opt_name, "exponential", 0.0)
    replay = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        epochs,
        batch_size,
        sched,
        progress=False,
        record=Recorder(every=1),
    ).replay()
    for e in (1, 3):
        fresh, fresh_opt, fresh_sched = make(opt_name, "exponential", 0.0)
        fit(
            fresh, X, Y, binary_cross_entropy, fresh_opt, e, batch_size, fresh_sched, progress=False
        )
        assert_same(page_numbers(replay, e * per_epoch), fresh.parameters(), fresh_opt, e)


def test_every_k_keeps_steps_0_k_2k_and_the_last_with_the_values_before_each():
    """every=3 over 10 steps keeps 0, 3, 6, 9, 10 and, for each, the values just before it."""
    model, opt, _ = make("adam", "none", 0.0)
    history = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        2,
        5,
        progress=False,
        record=Recorder(every=3, trace=[0, 7]),
    )
    rec = history.recording
    assert rec.steps == [0, 3, 6, 9, 10]
    for r, step in enumerate(rec.steps):
        if step == 0:
            continue
        params, fresh_opt = fresh_run("adam", "none", 0.0, 5, step - 1)
        data, state = rec.before[r]
        assert list(data) == [p.data for p in params]
        assert list(state["exp_avg"]) == [fresh_opt.state[p]["exp_avg"] for p in params]
    assert sorted(rec.traces) == [0, 7] and all(len(t) == 5 for t in rec.traces.values())


def test_state_names_are_torchs():
    """Every state name each optimizer keeps (every example of every registered optimizer) is
    one torch's optimizer of that kind keeps, and the recording keeps it."""
    torch = pytest.importorskip("torch")
    configs = [
        (cls, getattr(torch.optim, cls.torch_name), kwargs)
        for cls in optim.OPTIMIZERS.values()
        for kwargs in cls.examples.values()
    ]
    for ours, theirs, kwargs in configs:
        model = MLP(2, [3, 1], output_activation="sigmoid", seed=0)
        history = fit(
            model,
            X,
            Y,
            binary_cross_entropy,
            ours(model.parameters(), **kwargs),
            1,
            progress=False,
            record=True,
        )
        w = torch.zeros(3, requires_grad=True)
        t_opt = theirs([w], **kwargs)
        w.sum().backward()
        t_opt.step()
        torch_names = {k for k, v in t_opt.state[w].items() if v is not None}
        assert set(history.recording.state_names()) == torch_names, (ours.__name__, kwargs)
        assert torch_names <= set(STATE_NAMES)


def test_traced_example_gradients_agree_with_backward_on_that_example():
    """For a traced example, d loss/d z of each neuron times its input is that weight's
    gradient as backward() computes it for the example alone (and d loss/d out of the
    sigmoid output is (p - t) / (p (1 - p)), by hand)."""
    model, opt, _ = make("sgd", "none", 0.0)
    history = fit(
        model, X, Y, binary_cross_entropy, opt, 2, progress=False, record=Recorder(trace=[4])
    )
    rec = history.recording
    last = rec.traces[4][-1]
    # the traced pass ran at the parameters the last step's gradient was computed at
    for p, v in zip(model.parameters(), rec.traced_parameters(rec.steps[-1]), strict=True):
        p.data = v
    model.zero_grad()
    model.eval()
    p_out = model(X[4])
    binary_cross_entropy([p_out], [Y[4]]).backward()
    inputs = [X[4]] + [[n[0] for n in layer] for layer in last["neurons"][:-1]]
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            out, dout, dz = last["neurons"][k][j]
            for i, w in enumerate(neuron.w):
                assert close(dz * inputs[k][i], w.grad), (k, j, i)
            assert close(dz, neuron.b.grad)
    p, t = p_out.data, Y[4]
    out, dout, dz = last["neurons"][-1][0]
    assert close(out, p)
    assert abs(dout - (p - t) / (p * (1 - p))) <= 1e-9 * max(1.0, abs(dout))
    assert abs(dz - (p - t)) <= 1e-12


@pytest.mark.parametrize("every", [1, 2])
def test_traced_passes_sum_to_the_gradient_shown_at_their_step(every):
    """Full-batch training, every example traced: at each recorded step k, the mean over
    the batch of each example's traced d loss/d parameter (d loss/d z times the neuron's
    input; d loss/d z for a bias) is the gradient shown at step k (the one update k used),
    so the traced passes ran at the parameters that gradient was computed at."""
    model = MLP(2, [4, 3, 1], output_activation="sigmoid", seed=2)
    opt = SGD(model.parameters(), lr=0.5)
    rec = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        5,
        progress=False,
        record=Recorder(every=every, trace=list(range(len(X)))),
    ).recording
    assert rec.steps[-1] == 5 and len(rec.steps) > 2
    for r, step in enumerate(rec.steps[1:], start=1):
        sums = [0.0] * len(rec.params)
        for i in range(len(X)):
            trace = rec.traces[i][r]["neurons"]
            inputs = [X[i]] + [[n[0] for n in layer] for layer in trace[:-1]]
            q = 0
            for k, layer in enumerate(trace):
                for _out, _dout, dz in layer:
                    for x in inputs[k]:
                        sums[q] += dz * x
                        q += 1
                    sums[q] += dz
                    q += 1
        assert q == len(rec.params)
        for q, shown in enumerate(rec.grad[r]):
            assert abs(sums[q] / len(X) - shown) <= 1e-12 * max(1.0, abs(shown)), (step, q)


def test_encoding_is_lossless():
    """encode_floats/decode_floats give back the same doubles, nan and signed zeros included."""
    values = [0.0, -0.0, 1e-308, -2.5, math.pi, 1e300, math.nan, 5e-324]
    back = decode_floats(encode_floats(values))
    assert [math.copysign(1, v) for v in back] == [math.copysign(1, v) for v in values]
    assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(back, values))


def test_record_false_leaves_fit_unchanged_and_recording_changes_no_number():
    """Without record fit returns a plain dict; with it the same history and parameters."""
    m1, o1, _ = make("adam", "none", 0.2)
    h1 = fit(m1, X, Y, binary_cross_entropy, o1, 2, 8, progress=False)
    m2, o2, _ = make("adam", "none", 0.2)
    h2 = fit(m2, X, Y, binary_cross_entropy, o2, 2, 8, progress=False, record=True)
    assert type(h1) is dict and isinstance(h2, RecordedHistory)
    assert dict(h2) == h1
    assert [p.data for p in m1.parameters()] == [p.data for p in m2.parameters()]
    assert m2.dropout_rng.random() == m1.dropout_rng.random()  # tracing drew no dropout


@pytest.mark.parametrize(
    "record, error, match",
    [
        ("yes", TypeError, "record must be True, False or a Recorder"),
        (Recorder(trace=[24]), ValueError, "trace index 24 is out of range for 24"),
        (Recorder(limit=5), ValueError, r"keeps 10 records, more than limit=5; .*every=3"),
    ],
)
def test_bad_recording_raises_before_any_update(record, error, match):
    """A bad record= or a run longer than the limit raises, naming it, and nothing moves."""
    model, opt, _ = make("adam", "none", 0.0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=match):
        fit(model, X, Y, binary_cross_entropy, opt, 9, progress=False, record=record)
    assert [p.data for p in model.parameters()] == before and opt.state == {}


@pytest.mark.parametrize("limit", [2, 3, 4, 5, 9])
def test_the_every_a_too_long_recording_suggests_fits_the_limit(limit):
    """9 full-batch steps keep 10 records at every=1, too many for these limits: the error
    names an every (limit 2 included, which once divided by zero), and a recording with that
    every and limit then runs, keeping at most limit records."""
    model, opt, _ = make("adam", "none", 0.0)
    with pytest.raises(ValueError, match=rf"more than limit={limit}; pass record=Recorder") as info:
        fit(model, X, Y, binary_cross_entropy, opt, 9, progress=False, record=Recorder(limit=limit))
    every = int(re.search(r"Recorder\(every=(\d+)\)", str(info.value)).group(1))
    model, opt, _ = make("adam", "none", 0.0)
    history = fit(model, X, Y, binary_cross_entropy, opt, 9, progress=False,
                  record=Recorder(every=every, limit=limit))  # fmt: skip
    assert 2 <= len(history.recording.steps) <= limit


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"every": 0}, ValueError, "every"),
        ({"trace": [1, 1]}, ValueError, "twice"),
        ({"trace": "0"}, TypeError, "list of example indices"),
        ({"trace": [-1]}, ValueError, r"trace\[0\]"),
    ],
)
def test_recorder_checks_its_arguments(kwargs, error, match):
    """A bad every or trace is refused at once, naming the argument."""
    with pytest.raises(error, match=match):
        Recorder(**kwargs)


def test_validation_loss_belongs_to_each_epochs_last_step():
    """val_loss is recorded at the last step of each epoch, equal to the history's."""
    model, opt, _ = make("adam", "none", 0.0)
    history = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        3,
        12,
        progress=False,
        validation=(X_VAL, Y_VAL),
        record=True,
    )
    rec = history.recording
    at_ends = [v for s, v in zip(rec.steps, rec.val_loss) if s and s % 2 == 0]
    assert at_ends == history["val_loss"]
    assert all(math.isnan(v) for s, v in zip(rec.steps, rec.val_loss) if s % 2 == 1)


def test_output_at_a_step_uses_that_steps_parameters_and_restores_the_model():
    """Recording.output_at(k) equals the model's output after a fresh run of k steps."""
    model, opt, _ = make("adam", "none", 0.0)
    rec = fit(model, X, Y, binary_cross_entropy, opt, 4, progress=False, record=True).recording
    final = [p.data for p in model.parameters()]
    fresh, _ = fresh_run("adam", "none", 0.0, None, 2)
    check = MLP(2, [5, 4, 1], output_activation="sigmoid", seed=1)
    for p, q in zip(check.parameters(), fresh):
        p.data = q.data
    points = [[0.1, 0.2], [1.5, -0.3]]
    assert rec.output_at(2, points) == [check(x).data for x in points]
    assert [p.data for p in model.parameters()] == final


class FakeHandle:
    def __init__(self, log):
        self.log = log

    def update(self, bundle, raw=False):
        self.log.append(("update", bundle, raw))


def test_live_view_updates_one_display_in_place_and_ends_as_the_replay():
    """live: one display, then updates through its handle; the last is the full replay
    with a PNG of the last step."""
    log = []

    def display(bundle, raw=False, display_id=False):
        log.append(("display", bundle, raw))
        assert display_id is True
        return FakeHandle(log)

    view = LiveView(interval=0.0, display=display)
    model, opt, _ = make("adam", "none", 0.0)
    history = fit(model, X, Y, binary_cross_entropy, opt, 3, progress=False, live=view)
    assert [entry[0] for entry in log] == ["display", "update", "update", "update"]
    assert all(raw for _, _, raw in log)
    final = log[-1][1]
    assert final["image/png"]
    assert len(re.findall(r'<input[^>]*data-role="scrub"', final["text/html"])) == 1
    assert 'data-role="step">3 / 3<' in final["text/html"]
    assert "image/png" not in log[1][1]  # in-between updates: the page so far, no PNG
    assert 'data-role="step">1 / 1<' in log[0][1]["text/html"]
    assert 'data-role="step">2 / 2<' in log[1][1]["text/html"]
    assert isinstance(history, RecordedHistory)


def test_live_true_outside_ipython_shows_nothing_and_still_records(monkeypatch):
    """fit(live=True) where IPython is missing trains and records as usual."""
    import builtins

    real = builtins.__import__

    def no_ipython(name, *args, **kwargs):
        if name.startswith("IPython"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipython)
    model, opt, _ = make("sgd", "none", 0.0)
    history = fit(model, X, Y, binary_cross_entropy, opt, 2, progress=False, live=True)
    assert history.recording.steps == [0, 1, 2]


def test_replay_page_is_offline_and_escapes_its_title(tmp_path):
    """The saved page names no URL to fetch and a hostile title is text, never markup."""
    model, opt, _ = make("adam", "none", 0.0)
    history = fit(model, X, Y, binary_cross_entropy, opt, 2, progress=False, record=True)
    page = history.replay(title="</script><script>alert(1)</script>").save(tmp_path / "r.html")
    text = page.read_text()
    assert "<script>alert(1)" not in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    with pytest.raises(TypeError, match="title must be a str"):
        history.replay(title=3)


def test_a_plain_callable_cannot_be_recorded():
    """record needs parameters(); a lambda model is refused before training."""
    w = Value(0.5)
    with pytest.raises(TypeError, match="record needs a model with parameters"):
        fit(
            lambda x: w * x[0],
            [[1.0]],
            [1.0],
            lambda p, t: (p[0] - t[0]) ** 2,
            SGD([w]),
            1,
            progress=False,
            record=True,
        )


def test_early_stopping_still_records_the_last_step_trained():
    """A run early stopping ends between records keeps its last trained step, with the
    values of that step (not the best epoch's, which fit restores afterwards)."""
    model, opt, _ = make("adam", "none", 0.0)
    history = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        40,
        progress=False,
        validation=(X_VAL, [1 - t for t in Y_VAL]),
        early_stopping=2,
        record=Recorder(every=7),
    )
    stopped = history["stopped_epoch"]
    assert stopped is not None and (stopped + 1) % 7 != 0
    rec = history.recording
    assert rec.steps[-1] == stopped + 1
    params, _ = fresh_run("adam", "none", 0.0, None, stopped + 1)
    assert list(rec.data[-1]) == [p.data for p in params]


def test_a_compiled_fit_records_the_same_numbers():
    """fit(compile=True, record=True) keeps exactly the numbers the plain fit keeps."""
    runs = []
    for compile_ in (False, True):
        model, opt, sched = make("adam", "exponential", 0.2)
        history = fit(
            model,
            X,
            Y,
            binary_cross_entropy,
            opt,
            2,
            8,
            sched,
            progress=False,
            compile=compile_,
            record=Recorder(trace=[2]),
        )
        runs.append(history.recording)
    plain, compiled = runs
    assert compiled.steps == plain.steps and compiled.loss == plain.loss
    assert [list(r) for r in compiled.data] == [list(r) for r in plain.data]
    assert [list(r) for r in compiled.grad[1:]] == [list(r) for r in plain.grad[1:]]
    for name in plain.state:  # record 0 holds nan (no state yet), which never equals itself
        assert [list(r) for r in compiled.state[name][1:]] == [
            list(r) for r in plain.state[name][1:]
        ]
    assert compiled.traces == plain.traces


def test_example_player_shows_the_traced_numbers_at_the_network_level():
    """Recording.example_player(i, k) is the backprop player of example i's loss at step
    k's parameters: each neuron card shows the output and gradient the trace recorded (to
    the player's 4 digits), and the model is left as it was."""
    pytest.importorskip("graphviz")
    model, opt, _ = make("adam", "none", 0.2)
    rec = fit(
        model, X, Y, binary_cross_entropy, opt, 3, progress=False, record=Recorder(trace=[5])
    ).recording
    final = [p.data for p in model.parameters()]
    page = rec.example_player(5, 2)
    assert page.level == "network"
    cards = dict(
        (m.group(1), (float(m.group(2)), float(m.group(3))))
        for m in re.finditer(
            r'data-label="(L\d\.n\d+)" data-kind="neuron" data-value="([^"]*)" '
            r'data-grad="([^"]*)"',
            page.html(),
        )
    )
    trace = rec.traces[5][rec.index(2)]["neurons"]
    assert len(cards) == sum(len(layer) for layer in trace)
    for k, layer in enumerate(trace):
        for j, (out, dout, _) in enumerate(layer):
            value, grad = cards[f"L{k}.n{j}"]
            assert abs(value - out) <= 5e-4 * abs(out) + 1e-12, (k, j, value, out)
            assert abs(grad - dout) <= 5e-4 * abs(dout) + 1e-12, (k, j, grad, dout)
    assert [p.data for p in model.parameters()] == final and model.training


def test_the_page_is_the_same_in_every_process():
    """Two processes with different string hashing write the same replay page, byte for byte
    (Adam's three state fields listed in one order, not a set's)."""
    import hashlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import hashlib\n"
        "from nn import MLP\nfrom nn.data import make_moons\nfrom nn.losses import mse_loss\n"
        "from nn.optim import Adam\nfrom nn.train import fit\n"
        "X, y = make_moons(6, noise=0.1, seed=1)\nm = MLP(2, [3, 1], seed=0)\n"
        "h = fit(m, X, y, mse_loss, Adam(m.parameters(), lr=0.01), 2, progress=False,"
        " record=True)\n"
        "print(hashlib.sha256(h.replay().html().encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[1]
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1 and len(hashlib.sha256().hexdigest()) == len(digests.pop())
