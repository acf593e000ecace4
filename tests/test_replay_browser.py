"""The replay and race pages in headless Chromium (Playwright), through their DOM contracts.

Each page is opened from file:// with every other request refused and recorded (the test
then fails), as in tests/test_player.py. What the page shows at a step (``data-value``,
``data-grad``, the panel's ``data-state-NAME``) is compared with a fresh hand-run of that
many steps; the heat map's colours with the model's own class at those points; the race's
table with a hand-run of the same optimizer. Under CI these must run, never skip.
"""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest
from test_replay import X_VAL, Y_VAL, X, Y, fresh_run, make

from autograd_engine import Value
from nn import MLP
from nn.losses import binary_cross_entropy
from nn.optim import SGD, Adagrad, Adam, RMSprop
from nn.pictures.race import race
from nn.record import Recorder
from nn.train import fit

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
INSTALL = "sudo apt-get install chromium; pip install playwright (no browser download needed)"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium; under CI its absence fails the tests."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "Playwright is not installed"
    if problem is None and not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        problem = f"Chromium is not at {CHROMIUM}"
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; under CI the browser tests must run: {INSTALL}")
        pytest.skip(f"{problem}: {INSTALL}")
    from playwright.sync_api import sync_playwright

    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Page:
    """A saved page in the browser; it may make no request and log no error."""

    def __init__(self, browser, path: Path, fragment: str = "", javascript: bool = True):
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 900}, java_script_enabled=javascript
        )
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.errors: list[str] = []

        def refuse(route):
            if route.request.url == self.url:
                route.continue_()
            else:
                self.requests.append(route.request.url)
                route.abort()

        self.context.route("**/*", refuse)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on(
            "console", lambda m: m.type in ("error", "warning") and self.errors.append(m.text)
        )
        self.page.goto(self.url + fragment)
        if javascript:
            self.page.wait_for_selector('[data-ready="1"]', timeout=15000)

    def close(self):
        self.context.close()
        assert self.requests == [], self.requests
        assert self.errors == [], self.errors

    def step(self) -> str:
        return self.page.inner_text('[data-role="step"]')

    def params(self) -> dict[str, tuple[str, str]]:
        rows = self.page.eval_on_selector_all(
            '[data-role="network"] [data-label]',
            "els => els.map(e => [e.getAttribute('data-label'), e.getAttribute('data-value'),"
            " e.getAttribute('data-grad')])",
        )
        return {label: (v, g) for label, v, g in rows}


@pytest.fixture(scope="module")
def adam_run(tmp_path_factory):
    """Adam with an exponential schedule, mini-batches of 8, dropout 0.2, validation data."""
    model, opt, sched = make("adam", "exponential", 0.2)
    history = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        3,
        8,
        sched,
        progress=False,
        validation=(X_VAL, Y_VAL),
        record=Recorder(trace=[0, 5]),
    )
    path = history.replay().save(tmp_path_factory.mktemp("replay") / "adam.html")
    return path, [p.label for p in model.parameters()]


def test_dom_contract_and_controls(browser, adam_run):
    """step "k / n", a range scrub, the buttons, keys, and #step=k."""
    path, labels = adam_run
    page = Page(browser, path)
    p = page.page
    assert page.step() == "9 / 9"  # opens at the last step
    assert p.get_attribute('[data-role="scrub"]', "type") == "range"
    for role in ("loss-chart", "lr-chart", "boundary", "network", "param-panel", "example"):
        assert p.query_selector(f'[data-role="{role}"]') is not None, role
    p.click('[data-action="first"]')
    assert page.step() == "0 / 9"
    p.click('[data-action="next"]')
    p.click('[data-action="next"]')
    assert page.step() == "2 / 9"
    p.click('[data-action="prev"]')
    assert page.step() == "1 / 9"
    p.click('[data-action="last"]')
    assert page.step() == "9 / 9"
    p.keyboard.press("Home")
    assert page.step() == "0 / 9"
    p.keyboard.press("ArrowRight")
    assert page.step() == "1 / 9"
    p.fill('[data-role="scrub"]', "6")
    assert page.step() == "6 / 9"
    p.click('[data-action="first"]')
    p.click('[data-action="play"]')
    p.wait_for_function("document.querySelector('[data-role=step]').textContent === '9 / 9'")
    assert p.get_attribute('[data-action="play"]', "aria-pressed") == "false"
    assert sorted(page.params()) == sorted(labels)
    page.close()
    page = Page(browser, path, "#step=4")
    assert page.step() == "4 / 9"
    page.close()


@pytest.mark.parametrize("k", [0, 1, 5, 9])
def test_shown_numbers_equal_a_fresh_run(browser, adam_run, k):
    """Every parameter's data-value/data-grad and the panel's state at step k equal a
    fresh run of k steps, to 1e-12."""
    path, labels = adam_run
    page = Page(browser, path, f"#step={k}")
    params, opt = fresh_run("adam", "exponential", 0.2, 8, k)
    shown = page.params()
    for q in params:
        value, grad = shown[q.label]
        assert abs(float(value) - q.data) <= 1e-12 * max(1, abs(q.data))
        if k == 0:
            assert grad == ""
        else:
            assert abs(float(grad) - q.grad) <= 1e-12 * max(1, abs(q.grad))
    for q in (params[0], params[7], params[-1]):
        # an edge crossed by others: a click event on the element itself
        page.page.dispatch_event(f'[data-role="network"] [data-label="{q.label}"]', "click")
        panel = page.page.query_selector('[data-role="param-panel"]')
        assert panel.get_attribute("data-label") == q.label
        for name in ("step", "exp_avg", "exp_avg_sq"):
            got = panel.get_attribute(f"data-state-{name}")
            if k == 0:
                assert got == ""
            else:
                want = opt.state[q][name]
                assert abs(float(got) - want) <= 1e-12 * max(1, abs(want)), (name, got, want)
        text = panel.inner_text()
        if k:
            assert "m = exp_avg = b1*m + (1-b1)*g" in text and "v_hat" in text
    page.close()


def test_param_panel_writes_the_adam_update_with_the_numbers(browser, adam_run):
    """At step 1 the panel's m line reads 0.9*0 + 0.1*g = 0.1 g with the run's g."""
    path, labels = adam_run
    page = Page(browser, path, "#step=1")
    params, opt = fresh_run("adam", "exponential", 0.2, 8, 1)
    q = params[-1]  # the output bias
    page.page.click(f'[data-role="network"] [data-label="{q.label}"]')
    text = page.page.inner_text('[data-role="param-panel"]')
    g = q.grad
    assert f"0.9*0 + 0.1*{float(f'{g:.4g}')}" in text.replace("0.09999999999999998", "0.1")
    page.close()


def test_traced_example_backward_pass_steps_in_sweep_order(browser, adam_run):
    """Clicking a traced point opens the backprop player's network view, one card per
    neuron and the loss, at the end of the forward pass; each step of the player's sweep
    makes the next card (the loss, then the last layer first) current with its gradient."""
    path, _ = adam_run
    page = Page(browser, path, "#step=3")
    p = page.page
    p.click('[data-role="boundary"] circle[data-index="5"]')
    cards = lambda: p.eval_on_selector_all(  # noqa: E731
        '[data-role="example"] [data-label]',
        "els => els.map(e => [e.getAttribute('data-label'), e.getAttribute('data-grad'),"
        " e.getAttribute('data-current'), e.getAttribute('data-value')])",
    )
    first = cards()
    assert [c[0] for c in first] == [f"L0.n{j}" for j in range(5)] + [
        f"L1.n{j}" for j in range(4)
    ] + ["L2.n0", "loss"]
    assert all(g == "" and v != "" for _, g, _, v in first)
    order = []
    for _ in range(11):
        p.click('[data-role="example"] [data-action="next"]')
        now = cards()
        current = [c for c in now if c[2] == "true"]
        assert len(current) == 1 and current[0][1] != ""
        order.append(current[0][0])
    assert order == [
        "loss",
        "L2.n0",
        "L1.n3",
        "L1.n2",
        "L1.n1",
        "L1.n0",
        "L0.n4",
        "L0.n3",
        "L0.n2",
        "L0.n1",
        "L0.n0",
    ]
    assert page.step() == "3 / 9"  # the replay stayed at its step
    page.close()


def _close(shown: str, exact: float) -> bool:
    """A number the player shows (4 significant digits, from a float32 trace) against an
    exact one."""
    return abs(float(shown) - exact) <= 6e-4 * abs(exact) + 1e-12


def test_clicked_points_pass_equals_backward_at_that_steps_parameters(browser, tmp_path):
    """The player's view of a clicked point at step k shows that example's backward() at
    the parameters update k's gradient was computed at (step k - 1's, as recorded and
    checked against fresh runs in test_replay.py): every card's value and gradient, and
    at each step of the sweep the numbers of its explanation (what a neuron passes back
    to each input, out.grad x act'(out) x weight; its parameters' gradients). Scrubbing
    the replay to another step feeds the view that step's numbers."""
    import re

    model = MLP(2, [5, 4, 1], activation="tanh", output_activation="sigmoid", seed=4)
    opt = Adam(model.parameters(), lr=0.05)
    history = fit(
        model, X, Y, binary_cross_entropy, opt, 6, progress=False, record=Recorder(trace=[5])
    )
    rec = history.recording
    path = history.replay().save(tmp_path / "r.html")
    page = Page(browser, path, "#step=4")
    p = page.page
    p.click('[data-role="boundary"] circle[data-index="5"]')
    for k in (4, 1):
        if k == 1:  # another replay step: the open view follows it
            p.click('.rp-controls [data-action="first"]')
            p.click('.rp-controls [data-action="next"]')
            assert page.step() == "1 / 6"
        fresh = MLP(2, [5, 4, 1], activation="tanh", output_activation="sigmoid", seed=0)
        for q, v in zip(fresh.parameters(), rec.parameters_at(k - 1), strict=True):
            q.data = v
        fresh.eval()
        h, outs = X[5], []
        for layer in fresh.layers:
            h = [neuron(h) for neuron in layer.neurons]
            outs.append(h)
        loss = binary_cross_entropy([h[0]], [Y[5]])
        loss.backward()
        by_label = {f"L{i}.n{j}": o for i, row in enumerate(outs) for j, o in enumerate(row)}
        neurons = {
            f"L{i}.n{j}": n
            for i, layer in enumerate(fresh.layers)
            for j, n in enumerate(layer.neurons)
        }
        grads = {q.label: q.grad for q in fresh.parameters()}
        p.click('[data-role="example"] [data-action="first"]')
        checked = 0
        while True:
            p.click('[data-role="example"] [data-action="next"]')
            current = p.eval_on_selector(
                '[data-role="example"] [data-current="true"]',
                "e => e.getAttribute('data-label')",
            )
            text = p.inner_text('[data-role="example"] [data-role="explain"]')
            if current in by_label and text.startswith("backward"):
                o = by_label[current]
                slope = 1 - o.data**2 if current.startswith(("L0", "L1")) else o.data * (1 - o.data)
                for target, shown in re.findall(r"to (L\d\.n\d+): (\S+)", text):
                    w = neurons[current].w[int(target.split(".n")[1])]
                    assert _close(shown.rstrip(";"), o.grad * slope * w.data), (k, current, target)
                    checked += 1
                for label, shown in re.findall(r"(L\d\.n\d+\.(?:w\d+|b)) = (\S+)", text):
                    assert _close(shown.rstrip(","), grads[label]), (k, label, shown)
                    checked += 1
            if (
                p.inner_text('[data-role="example"] [data-role="step"]').split(" / ")[0]
                == (p.inner_text('[data-role="example"] [data-role="step"]').split(" / ")[1])
            ):
                break
        assert checked == 4 * 5 + 1 * 4 + len(grads)
        cards = p.eval_on_selector_all(
            '[data-role="example"] [data-label]',
            "els => els.map(e => [e.dataset.label, e.dataset.value, e.dataset.grad])",
        )
        assert len(cards) == 11
        for label, value, grad in cards:
            o = loss if label == "loss" else by_label[label]
            assert _close(value, o.data) and _close(grad, o.grad), (k, label, value, grad)
    page.close()


def test_keys_go_to_one_widget_of_a_page_with_a_replay_and_a_player(browser, adam_run, tmp_path):
    """A replay and a player on one page: with nothing focused, arrow keys move only the
    first of them until the other is clicked, then only that one; the replay's embedded
    player does not take the page's keys or its #step=k."""
    from autograd_engine import player
    from nn.record import Recording

    model, opt, _ = make("sgd", "none", 0.0)
    history = fit(model, X, Y, binary_cross_entropy, opt, 4, progress=False, record=True)
    assert isinstance(history.recording, Recording)
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    c = a * b + a
    c.label = "c"
    body = history.replay()._repr_html_() + player(c)._repr_html_()
    path = tmp_path / "both.html"
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"
    )
    page = Page(browser, path, "#step=2")
    p = page.page
    p.wait_for_selector('body > .agp[data-ready="1"]')
    replay_step = lambda: p.inner_text('.rp .rp-controls [data-role="step"]')  # noqa: E731
    player_step = lambda: p.inner_text('body > .agp [data-role="step"]')  # noqa: E731
    n = player_step().split(" / ")[1]
    assert replay_step() == "2 / 4" and player_step() == f"0 / {n}"
    assert p.evaluate("document.activeElement === document.body")
    p.keyboard.press("ArrowRight")
    p.keyboard.press("ArrowRight")
    assert replay_step() == "4 / 4" and player_step() == f"0 / {n}"
    p.click('body > .agp [data-role="stage"]', position={"x": 3, "y": 3})
    p.evaluate("document.activeElement.blur()")
    p.keyboard.press("ArrowRight")
    p.keyboard.press("ArrowRight")
    p.keyboard.press("ArrowLeft")
    assert replay_step() == "4 / 4" and player_step() == f"1 / {n}"
    p.click('.rp [data-role="loss-chart"]')
    p.evaluate("document.activeElement.blur()")
    p.keyboard.press("ArrowLeft")
    assert replay_step() == "3 / 4" and player_step() == f"1 / {n}"
    # the replay's own embedded player (hidden, unopened) took no key and no #step
    embedded = p.inner_text('.rp [data-role="example"] [data-role="step"]')
    assert embedded.split(" / ")[0] == "0"
    page.close()


def test_heat_map_colours_follow_the_models_classes(browser, adam_run, tmp_path):
    """Cells far from the boundary are blue where the model says class 1 and red where 0."""
    path, _ = adam_run
    page = Page(browser, path, "#step=9")
    info = page.page.evaluate(
        """() => { const c = document.querySelector('[data-role=boundary] canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return {w: c.width, px: Array.from(d)}; }"""
    )
    page.close()
    model, opt, sched = make("adam", "exponential", 0.2)
    rec = fit(
        model,
        X,
        Y,
        binary_cross_entropy,
        opt,
        3,
        8,
        sched,
        progress=False,
        validation=(X_VAL, Y_VAL),
        record=True,
    ).recording
    G = info["w"]
    pts = X + X_VAL
    lo0, hi0 = min(p[0] for p in pts), max(p[0] for p in pts)
    lo1, hi1 = min(p[1] for p in pts), max(p[1] for p in pts)
    lo0, hi0 = lo0 - 0.1 * (hi0 - lo0), hi0 + 0.1 * (hi0 - lo0)
    lo1, hi1 = lo1 - 0.1 * (hi1 - lo1), hi1 + 0.1 * (hi1 - lo1)
    cells = [(a, b) for a in range(0, G, 7) for b in range(0, G, 7)]
    points = [
        [lo0 + (hi0 - lo0) * (b + 0.5) / G, hi1 - (hi1 - lo1) * (a + 0.5) / G] for a, b in cells
    ]
    outs = rec.output_at(9, points)
    checked = 0
    for (a, b), p in zip(cells, outs):
        if abs(p - 0.5) < 0.15:
            continue
        r, _, bl = info["px"][4 * (a * G + b) : 4 * (a * G + b) + 3]
        assert (bl > r) == (p > 0.5), (a, b, p, r, bl)
        checked += 1
    assert checked > 10


def test_without_scripts_the_page_shows_the_last_step_picture(browser, adam_run):
    """With JavaScript off the static PNG of the last step is visible."""
    path, _ = adam_run
    page = Page(browser, path, javascript=False)
    img = page.page.query_selector(".rp-static img")
    assert img.is_visible() and img.bounding_box()["width"] > 300
    page.close()


def test_lr_chart_only_with_a_schedule(browser, tmp_path):
    """A constant learning rate draws no lr chart."""
    model, opt, _ = make("sgd", "none", 0.0)
    path = (
        fit(model, X, Y, binary_cross_entropy, opt, 2, progress=False, record=True)
        .replay()
        .save(tmp_path / "sgd.html")
    )
    page = Page(browser, path)
    assert page.page.query_selector('[data-role="lr-chart"]') is None
    assert page.step() == "2 / 2"
    page.close()


def test_race_table_follows_the_scrub_and_matches_a_hand_run(browser, tmp_path):
    """The race's row for SGD at step k holds the position of k hand steps of SGD."""
    r = race("valley", steps=12)
    page = Page(browser, r.save(tmp_path / "race.html"), "#step=5")
    assert page.step() == "5 / 12"
    x, y = Value(-9.0), Value(2.0)
    opt = SGD([x, y], lr=0.4)
    for _ in range(5):
        opt.zero_grad()
        (x**2 / 20 + y**2).backward()
        opt.step()
    row = page.page.query_selector('[data-role="race-table"] tr[data-racer="SGD"]')
    assert float(row.get_attribute("data-x")) == x.data
    assert float(row.get_attribute("data-y")) == y.data
    assert math.isclose(float(row.get_attribute("data-loss")), x.data**2 / 20 + y.data**2)
    points = page.page.get_attribute('[data-role="contour"] polyline[data-racer="SGD"]', "points")
    assert len(points.split()) == 6
    page.page.click('[data-action="last"]')
    assert page.step() == "12 / 12"
    page.close()


# opt_name: an example of tests/optim_examples.py (or test_replay's "sgd"); the panel's
# explanation of each optimizer is written by hand in replay.js, hence this list.
@pytest.mark.parametrize(
    "opt_name, first_line",
    [
        ("sgd", "p = p - lr*g"),
        ("sgd_nesterov", "momentum_buffer = momentum*buf + (1-dampening)*g"),
        ("sgd_weight_decay", "g = g + weight_decay*p"),
        ("adagrad_plain", "sum = sum + g*g"),
        ("rmsprop_plain", "square_avg = alpha*square_avg + (1-alpha)*g*g"),
        ("rmsprop_centered_momentum_alpha04", "avg = sqrt(square_avg - grad_avg^2) + eps"),
        ("adam_amsgrad", "max_exp_avg_sq = max(max_exp_avg_sq, v)"),
        ("adamw_plain", "p = p*(1 - lr*weight_decay)"),
    ],
)
def test_param_panel_writes_every_optimizers_update(browser, tmp_path, opt_name, first_line):
    """For each optimizer the panel at step 2 writes its update's lines, ending in the value
    the run reached (4 significant digits), with no missing number."""
    model, opt, _ = make(opt_name, "none", 0.0)
    path = (
        fit(model, X, Y, binary_cross_entropy, opt, 3, progress=False, record=True)
        .replay()
        .save(tmp_path / "r.html")
    )
    page = Page(browser, path, "#step=2")
    params, _ = fresh_run(opt_name, "none", 0.0, None, 2)
    q = params[3]
    page.page.dispatch_event(f'[data-role="network"] [data-label="{q.label}"]', "click")
    text = page.page.inner_text('[data-role="param-panel"]')
    assert first_line in text, text
    assert "NaN" not in text and "undefined" not in text and "= -\n" not in text
    last = text.strip().splitlines()[-1].strip()
    assert last == f"= {float(f'{q.data:.4g}')!r}".replace("e-0", "e-"), (last, q.data)
    page.close()


def test_a_single_neuron_is_drawn_as_one_layer(browser, tmp_path):
    """A Neuron (no layers of its own) gets the network view and the boundary too: its
    weights and bias carry their labels and the run's last values."""
    from nn import Neuron

    neuron = Neuron(2, activation="sigmoid", seed=0)
    path = (
        fit(
            neuron,
            X,
            Y,
            binary_cross_entropy,
            SGD(neuron.parameters(), lr=0.5),
            4,
            progress=False,
            record=True,
        )
        .replay()
        .save(tmp_path / "neuron.html")
    )
    page = Page(browser, path)
    shown = page.params()
    assert sorted(shown) == ["n0.b", "n0.w0", "n0.w1"]
    for p in neuron.parameters():
        assert float(shown[p.label][0]) == p.data
    assert page.page.query_selector('[data-role="boundary"]') is not None
    page.close()


def _three_class():
    from nn.losses import cross_entropy

    model = MLP(2, [4, 3], activation="tanh", seed=0)
    labels = [int(2 * x[0] + x[1]) % 3 for x in X]
    return model, X, labels, cross_entropy, Adam(model.parameters(), lr=0.05), False


def _hinge():
    from nn.losses import hinge_loss

    model = MLP(2, [4, 1], activation="leaky_relu", seed=0)
    return model, X, [2 * t - 1 for t in Y], hinge_loss, SGD(model.parameters(), lr=0.1), True


def _regression_1d():
    from nn.losses import mse_loss

    model = MLP(1, [3, 1], activation="sigmoid", seed=0)
    xs = [[i / 10] for i in range(12)]
    return model, xs, [2 * x[0] - 1 for x in xs], mse_loss, RMSprop(model.parameters()), False


def _two_groups():
    model = MLP(2, [3, 1], output_activation="sigmoid", seed=0)
    ps = model.parameters()
    opt = Adagrad([{"params": ps[:9], "lr": 0.3}, {"params": ps[9:], "lr": 0.05}])
    return model, X, Y, binary_cross_entropy, opt, True


@pytest.mark.parametrize(
    "setup",
    [_three_class, _hinge, _regression_1d, _two_groups],
    ids=lambda f: f.__name__.strip("_"),
)
def test_other_losses_and_shapes_open_cleanly(browser, tmp_path, setup):
    """Multi-class logits, hinge scores, 1-D regression and two param groups: the page opens
    with no error, every parameter labelled, the traced example (from the boundary, or the
    list where there is none) steps through its whole sweep, and the boundary is drawn
    exactly for 2-D inputs with one output."""
    model, xs, ys, loss, opt, boundary = setup()
    history = fit(model, xs, ys, loss, opt, 3, progress=False, record=Recorder(trace=[1]))
    page = Page(browser, history.replay().save(tmp_path / "r.html"), "#step=2")
    assert page.step() == "2 / 3"
    assert sorted(page.params()) == sorted(p.label for p in model.parameters())
    assert (page.page.query_selector('[data-role="boundary"]') is not None) == boundary
    if boundary:
        page.page.click('[data-role="boundary"] circle[data-index="1"]')
    else:  # no boundary to click on: the list of traced examples opens it
        page.page.select_option('[data-role="example-select"]', "1")
    cards = '[data-role="example"] [data-label]'
    n_neurons = sum(model.nouts)
    assert len(page.page.query_selector_all(cards)) == n_neurons + 1  # and the loss
    page.page.click('[data-role="example"] [data-action="last"]')
    grads = page.page.eval_on_selector_all(cards, "els => els.map(e => e.dataset.grad)")
    assert all(g != "" for g in grads)
    page.close()


def test_clicking_a_point_that_was_not_traced_says_how_to_trace_it(browser, adam_run):
    """An untraced point opens no sweep but names the Recorder argument that traces it; a
    traced one is then shown in the list too."""
    path, _ = adam_run
    page = Page(browser, path)
    page.page.click('[data-role="boundary"] circle[data-index="3"]')
    text = page.page.inner_text('[data-role="example"]')
    assert "example 3 was not traced" in text and "Recorder(trace=[3])" in text
    page.page.click('[data-role="boundary"] circle[data-index="5"]')
    assert page.page.eval_on_selector('[data-role="example-select"]', "e => e.value") == "5"
    page.close()
