"""Neuron, Layer, MLP: forward values, gradients, initialisation, state_dict, save and load."""

from __future__ import annotations

import json
import math
import os
import random

import pytest

from autograd_engine import Value, topological_order
from nn import MLP, Layer, Module, Neuron

# A 2-3-1 network with hand-chosen parameters, in parameters() order:
# layer 0: neuron j has weights W1[j] then bias b1[j]; layer 1: W2[0], then b2[0].
W1 = [[0.1, -0.2], [-0.4, 0.5], [0.7, 0.8]]
B1 = [0.3, -0.6, 0.05]
W2 = [0.9, -1.0, 0.25]
B2 = -0.1
X0 = [1.5, -0.5]
FLAT = [*W1[0], B1[0], *W1[1], B1[1], *W1[2], B1[2], *W2, B2]

# Recorded from PyTorch 2.13 (float64): out = W2 @ act(W1 @ x + b1) + b2, then
# out.backward(); gradients flattened in the same order as FLAT, and d out / d x.
TORCH = {
    "tanh": (
        1.3972530081936672,
        [
            1.011797349556611,
            -0.337265783185537,
            0.674531566371074,
            -0.29660141361985937,
            0.09886713787328646,
            -0.19773427574657293,
            0.23802734624342203,
            -0.07934244874780734,
            0.15868489749561468,
            0.5005202111902353,
            -0.8956928738431645,
            0.6043677771171634,
            1.0,
        ],
        [0.2576262951826669, -0.10682553315100952],
    ),
    "relu": (
        0.5700000000000001,
        [1.35, -0.45, 0.9, 0.0, 0.0, 0.0, 0.375, -0.125, 0.25, 0.55, 0.0, 0.7, 1.0],
        [0.265, 0.02],
    ),
    "sigmoid": (
        0.4477674089364493,
        [
            0.3132103183526473,
            -0.10440343945088243,
            0.20880687890176486,
            -0.23085145639056243,
            0.0769504854635208,
            -0.1539009709270416,
            0.0831423274849159,
            -0.027714109161638634,
            0.05542821832327727,
            0.6341355910108007,
            0.19000156601531293,
            0.668187772168166,
            1.0,
        ],
        [0.12124082908728721, -0.07436928658525196],
    ),
}


def fixed_mlp(activation: str) -> MLP:
    model = MLP(2, [3, 1], activation=activation, seed=0)
    for p, v in zip(model.parameters(), FLAT, strict=True):
        p.data = v
    return model


def snapshot(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


# -- forward and backward -----------------------------------------------------


def test_neuron_forward_by_hand():
    """A neuron computes act(w . x + b): 0.5*2 - 1*1 + 0.25 = 0.25 before the activation."""
    expected = {
        "linear": 0.25,
        "relu": 0.25,
        "tanh": math.tanh(0.25),
        "sigmoid": 1 / (1 + math.exp(-0.25)),
    }
    for activation, want in expected.items():
        n = Neuron(2, activation=activation)
        n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
        assert n([2.0, 1.0]).data == pytest.approx(want, abs=1e-15)


def test_neuron_relu_is_zero_below_the_kink():
    """relu(w . x + b) is 0 when the weighted sum is negative, and so is every gradient."""
    n = Neuron(2, activation="relu")
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    out = n([0.0, 1.0])  # 0 - 1 + 0.25 = -0.75
    out.backward()
    assert out.data == 0.0
    assert [p.grad for p in n.parameters()] == [0.0, 0.0, 0.0]


def test_neuron_gradient_by_hand():
    """For tanh(w . x + b): d/dw_i = (1 - out^2) x_i, d/db = 1 - out^2, d/dx_i = (1 - out^2) w_i."""
    n = Neuron(2, activation="tanh")
    n.w[0].data, n.w[1].data, n.b.data = 0.5, -1.0, 0.25
    x = [Value(2.0), Value(1.0)]
    out = n(x)
    out.backward()
    d = 1 - math.tanh(0.25) ** 2
    assert [p.grad for p in n.parameters()] == pytest.approx([d * 2.0, d * 1.0, d], abs=1e-15)
    assert [v.grad for v in x] == pytest.approx([d * 0.5, d * -1.0], abs=1e-15)


def test_neuron_uses_one_fused_dot_node():
    """A linear neuron's output is add(dot(w..., x...), b): one dot node however many inputs."""
    n = Neuron(5, activation="linear")
    out = n([1.0, 2.0, 3.0, 4.0, 5.0])
    assert out.op == "add"
    dot, b = out.parents
    assert dot.op == "dot" and b is n.b
    assert dot.parents[:5] == tuple(n.w)
    assert [p.data for p in dot.parents[5:]] == [1.0, 2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_mlp_matches_recorded_torch(activation):
    """A fixed 2-3-1 MLP gives PyTorch's output and gradients (recorded values)."""
    out_want, grads_want, x_grads_want = TORCH[activation]
    model = fixed_mlp(activation)
    x = [Value(v) for v in X0]
    out = model(x)
    out.backward()
    assert out.data == pytest.approx(out_want, abs=1e-14)
    assert [p.grad for p in model.parameters()] == pytest.approx(grads_want, abs=1e-14)
    assert [v.grad for v in x] == pytest.approx(x_grads_want, abs=1e-14)


def test_mlp_relu_by_hand():
    """The relu case by hand: z = (0.55, -1.45, 0.7), out = 0.9*0.55 + 0 + 0.25*0.7 - 0.1."""
    model = fixed_mlp("relu")
    assert model(X0).data == pytest.approx(0.9 * 0.55 + 0.25 * 0.7 - 0.1, abs=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_mlp_matches_live_torch(activation):
    """A random 3-4-4-2 MLP gives the same outputs and gradients as the same torch network."""
    torch = pytest.importorskip("torch")
    model = MLP(3, [4, 4, 2], activation=activation, seed=7)
    x = [0.3, -1.2, 2.0]
    outs = model(x)
    (outs[0] * 1.5 - outs[1]).backward()
    act = getattr(torch, activation)
    h = torch.tensor(x, dtype=torch.float64)
    tensors = []
    for k, layer in enumerate(model.layers):
        W = torch.tensor(
            [[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True
        )
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        tensors.append((W, b))
        h = W @ h + b
        if k < len(model.layers) - 1:
            h = act(h)
    (h[0] * 1.5 - h[1]).backward()
    assert [o.data for o in outs] == pytest.approx(h.tolist(), abs=1e-13)
    torch_grads = []
    for W, b in tensors:
        for j in range(W.shape[0]):
            torch_grads += W.grad[j].tolist() + [b.grad[j].item()]
    assert [p.grad for p in model.parameters()] == pytest.approx(torch_grads, abs=1e-13)


# -- structure ------------------------------------------------------------------


def test_parameters_order_layer_neuron_weights_then_bias():
    """parameters(): layer by layer, neuron by neuron, each neuron's weights then its bias."""
    model = MLP(2, [3, 2], seed=0)
    expected = [p for layer in model.layers for n in layer.neurons for p in (*n.w, n.b)]
    assert model.parameters() == expected
    assert len(expected) == 3 * (2 + 1) + 2 * (3 + 1)
    assert len(MLP(2, [16, 16, 1]).parameters()) == 48 + 272 + 17


def test_layer_returns_a_list_and_mlp_a_single_value():
    """Layer always returns a list; MLP returns a Value for one output, else a list."""
    assert isinstance(Layer(2, 1)([1.0, 2.0]), list)
    assert len(Layer(2, 3)([1.0, 2.0])) == 3
    assert isinstance(MLP(2, [4, 1])([1.0, 2.0]), Value)
    out = MLP(2, [4, 3])([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_last_layer_is_linear_by_default_and_configurable():
    """Hidden layers use `activation`, the last layer is linear unless output_activation says."""
    model = MLP(2, [4, 4, 1], activation="tanh")
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    assert model([1.0, -1.0]).op == "add"
    sig = MLP(2, [4, 1], output_activation="sigmoid")
    out = sig([1.0, -1.0])
    assert out.op == "sigmoid" and 0.0 < out.data < 1.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Neuron(2, activation="softplus"),
        lambda: Layer(2, 2, activation="ReLU"),
        lambda: MLP(2, [1], activation="gelu"),
    ],
)
def test_unknown_activation_lists_the_choices(make):
    """An unknown activation is a ValueError that lists the valid names."""
    with pytest.raises(ValueError, match="relu.*tanh.*sigmoid.*linear"):
        make()


def test_an_activation_that_is_not_a_str_is_a_type_error():
    """None or a function for an activation is a TypeError naming MLP and the argument."""
    with pytest.raises(TypeError, match="^MLP: output_activation.*relu.*linear"):
        MLP(2, [1], output_activation=None)


@pytest.mark.parametrize("bad", [[1.0], [1.0, 2.0, 3.0], []])
def test_wrong_input_length_is_rejected(bad):
    """Neuron, Layer and MLP reject inputs of the wrong length, naming both lengths."""
    for model in (Neuron(2), Layer(2, 3), MLP(2, [3, 1])):
        with pytest.raises(ValueError, match=f"expected 2 inputs, got {len(bad)}"):
            model(bad)


@pytest.mark.parametrize(
    "bad, error",
    [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError), ("3", TypeError)],
)
def test_bad_sizes_are_rejected(bad, error):
    """Layer sizes must be ints >= 1: a ValueError for a small int, a TypeError for a non-int."""
    with pytest.raises(error, match="^MLP: .*must be an int >= 1"):
        MLP(2, [bad, 1])
    with pytest.raises(error, match="^Neuron: nin must be an int >= 1"):
        Neuron(bad)


def test_init_rule_is_torch_linear_uniform_from_the_seed():
    """Parameters are uniform(-1/sqrt(nin), 1/sqrt(nin)) draws from Random(seed), in order."""
    model = MLP(4, [3, 2], seed=123)
    rng = random.Random(123)
    bounds = [0.5] * (3 * 5) + [1 / math.sqrt(3)] * (2 * 4)
    assert snapshot(model) == [rng.uniform(-b, b) for b in bounds]
    assert all(abs(p) <= b for p, b in zip(snapshot(model), bounds, strict=True))


def test_seed_reproducible_and_independent_of_global_random_state():
    """Same seed, same parameters, whatever the global random state; another seed differs."""
    random.seed(1)
    a = snapshot(MLP(2, [8, 1], seed=5))
    random.seed(2)
    random.random()
    b = snapshot(MLP(2, [8, 1], seed=5))
    assert a == b
    assert a != snapshot(MLP(2, [8, 1], seed=6))


def test_zero_grad_clears_every_parameter():
    """zero_grad sets every parameter's grad to 0 after a backward pass."""
    model = MLP(2, [3, 1], activation="tanh")
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# -- state_dict, save, load -------------------------------------------------------


def test_state_dict_is_json_friendly_and_named():
    """state_dict holds the architecture and one float per parameter under dotted names."""
    model = fixed_mlp("tanh")
    state = json.loads(json.dumps(model.state_dict()))
    assert state["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "nouts": [3, 1],
        "activation": "tanh",
        "output_activation": "linear",
    }
    params = state["parameters"]
    assert list(params) == [
        f"layers.0.neurons.{j}.{n}" for j in range(3) for n in ("w.0", "w.1", "b")
    ] + [
        "layers.1.neurons.0.w.0",
        "layers.1.neurons.0.w.1",
        "layers.1.neurons.0.w.2",
        "layers.1.neurons.0.b",
    ]
    assert list(params.values()) == FLAT


def test_save_load_round_trip(tmp_path):
    """A model loaded from a saved file has the same parameters and outputs."""
    model = MLP(2, [5, 3, 1], activation="tanh", seed=1)
    path = tmp_path / "model.json"
    model.save(path)
    other = MLP(2, [5, 3, 1], activation="tanh", seed=2)
    assert snapshot(other) != snapshot(model)
    assert other.load(path) is other
    assert snapshot(other) == snapshot(model)
    assert other([0.3, -0.7]).data == model([0.3, -0.7]).data


def test_save_overwrites_and_leaves_no_temp_files(tmp_path):
    """Saving twice replaces the file; only the target file is left in the directory."""
    path = tmp_path / "m.json"
    MLP(2, [2, 1], seed=1).save(path)
    model = MLP(2, [2, 1], seed=2)
    model.save(str(path))
    assert os.listdir(tmp_path) == ["m.json"]
    assert json.loads(path.read_text())["parameters"] == model.state_dict()["parameters"]


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    """If writing fails midway the old file is untouched and the temp file is removed."""
    path = tmp_path / "m.json"
    MLP(2, [2, 1], seed=1).save(path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        MLP(2, [2, 1], seed=2).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def _state(**changes):
    state = fixed_mlp("tanh").state_dict()
    params = state["parameters"]
    for key, value in changes.items():
        if key == "drop":
            del params[value]
        elif key == "extra":
            params[value] = 0.0
        else:
            params[key.replace("__", ".")] = value
    return state


BAD_STATES = {
    "missing key": (_state(drop="layers.1.neurons.0.b"), ValueError, "missing"),
    "unexpected key": (_state(extra="layers.2.neurons.0.b"), ValueError, "unexpected"),
    "renamed key": (
        {"parameters": {("x" + k): v for k, v in _state()["parameters"].items()}},
        ValueError,
        "missing",
    ),
    "nan": (_state(layers__0__neurons__0__b=float("nan")), ValueError, "finite"),
    "inf": (_state(layers__0__neurons__0__b=float("inf")), ValueError, "finite"),
    "string": (_state(layers__0__neurons__0__b="0.5"), TypeError, "real number"),
    "bool": (_state(layers__0__neurons__0__b=True), TypeError, "real number"),
    "null": (_state(layers__0__neurons__0__b=None), TypeError, "real number"),
    "architecture": (
        {
            **_state(),
            "architecture": {
                "type": "MLP",
                "nin": 2,
                "nouts": [3, 1],
                "activation": "relu",
                "output_activation": "linear",
            },
        },
        ValueError,
        "architecture",
    ),
    "not a dict": ([1.0] * 13, TypeError, "expected a dict"),
    "no parameters": ({"architecture": _state()["architecture"]}, ValueError, "parameters"),
    "parameters list": ({"parameters": FLAT}, TypeError, "must be a dict"),
    "extra top-level": ({**_state(), "optimizer": {}}, ValueError, "top-level"),
}


@pytest.mark.parametrize("case", BAD_STATES, ids=list(BAD_STATES))
def test_load_state_dict_rejects_misfits_and_changes_nothing(case):
    """A state that does not fit raises a clear error and leaves every parameter unchanged."""
    state, error, message = BAD_STATES[case]
    model = MLP(2, [3, 1], activation="tanh", seed=9)
    before = snapshot(model)
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert snapshot(model) == before


def test_load_state_dict_rejects_wrong_parameter_count():
    """A state for a different-sized model is rejected, naming both counts."""
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    bigger = MLP(2, [4, 1], seed=0).state_dict()
    del bigger["architecture"]
    with pytest.raises(ValueError, match="expected 13 parameters, got 17"):
        model.load_state_dict(bigger)
    assert snapshot(model) == before


@pytest.mark.parametrize(
    "text", ['{"parameters": {', "", "not json", '{"parameters": {"a": NaN}}', "[]"]
)
def test_load_rejects_corrupt_files_and_changes_nothing(tmp_path, text):
    """Loading a corrupt or misfitting file raises an error naming the file; nothing changes."""
    path = tmp_path / "bad.json"
    path.write_text(text)
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    with pytest.raises((ValueError, TypeError), match="bad.json"):
        model.load(path)
    assert snapshot(model) == before


def test_load_rejects_a_file_with_a_nan_parameter(tmp_path):
    """A saved file edited to hold NaN is rejected (JSON's NaN extension is not accepted)."""
    model = MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    path.write_text(path.read_text().replace(str(model.parameters()[0].data), "NaN", 1))
    other = MLP(2, [3, 1], seed=1)
    before = snapshot(other)
    with pytest.raises(ValueError, match="finite"):
        other.load(path)
    assert snapshot(other) == before


def test_parameters_are_labelled_for_drawings_and_errors():
    """A lone neuron labels its weights n0.w0..n0.w{nin-1} and its bias n0.b, in order."""
    from nn import Neuron

    n = Neuron(3, seed=1)
    assert [p.label for p in n.parameters()] == ["n0.w0", "n0.w1", "n0.w2", "n0.b"]
    out = n([1.0, 2.0, 3.0])
    assert out.label == "n0.out"
    z = out.parents[0]
    assert z.label == "n0.z" and [p.label for p in z.parents] == ["n0.dot", "n0.b"]


def test_every_node_an_mlp_makes_is_labelled_by_its_place():
    """MLP labels are L{layer}.n{neuron}.{w0,..,b,dot,z,out}; state_dict names are unchanged."""

    model = MLP(2, [2, 1], activation="tanh", seed=0)
    assert [p.label for p in model.parameters()] == [
        "L0.n0.w0", "L0.n0.w1", "L0.n0.b",
        "L0.n1.w0", "L0.n1.w1", "L0.n1.b",
        "L1.n0.w0", "L1.n0.w1", "L1.n0.b",
    ]  # fmt: skip
    assert [name for name, _ in model.named_parameters()][:3] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
    ]
    out = model([0.5, -1.0])
    labels = {v.label for v in topological_order(out)}
    # The linear output neuron's z is its output; the constants 0.5 and -1 stay unlabelled.
    assert labels == {
        "", "L0.n0.w0", "L0.n0.w1", "L0.n0.b", "L0.n0.dot", "L0.n0.z", "L0.n0.out",
        "L0.n1.w0", "L0.n1.w1", "L0.n1.b", "L0.n1.dot", "L0.n1.z", "L0.n1.out",
        "L1.n0.w0", "L1.n0.w1", "L1.n0.b", "L1.n0.dot", "L1.n0.out",
    }  # fmt: skip
    assert out.label == "L1.n0.out"
    assert [p.label for p in Layer(2, 2).parameters()][3:] == ["L0.n1.w0", "L0.n1.w1", "L0.n1.b"]


def test_non_utf8_and_huge_integer_files_are_rejected_naming_the_file(tmp_path):
    """A binary file and a 400-digit weight raise ValueError naming the file; nothing changes."""
    from nn import MLP

    model = MLP(2, [2, 1], seed=0)
    before = [p.data for p in model.parameters()]
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="binary.json"):
        model.load(binary)
    state = model.state_dict()
    first = next(iter(state["parameters"]))
    huge = tmp_path / "huge.json"
    huge.write_text(
        json.dumps(state).replace(json.dumps(state["parameters"][first]), "1" + "0" * 400, 1)
    )
    with pytest.raises(ValueError, match="huge.json.*finite"):
        model.load(huge)
    assert [p.data for p in model.parameters()] == before


def test_calling_a_model_on_a_number_is_a_clear_type_error():
    """MLP(...)(1.0) says it expected a list of inputs."""
    from nn import MLP

    with pytest.raises(TypeError, match="MLP: expected a list of 2 inputs"):
        MLP(2, [1], seed=0)(1.0)


# -- inputs: every check, on every model ----------------------------------------------------

NAN, INF = float("nan"), float("inf")
BAD_INPUTS = {
    "a string": ("ab", TypeError, "expected a list of 2 inputs (numbers or Values), got str 'ab'"),
    "nan after a Value": ([Value(1.0), NAN], ValueError, "input x[1] must be finite, got nan"),
    "nan after a float": ([1.0, NAN], ValueError, "input x[1] must be finite, got nan"),
    "only nans": ([NAN, NAN], ValueError, "input x[0] must be finite, got nan"),
    "only infinities": ([INF, -INF], ValueError, "input x[0] must be finite, got inf"),
    "only minus infinities": ([-INF, -INF], ValueError, "input x[0] must be finite, got -inf"),
    "a str after an int": (
        [1, "a"],
        TypeError,
        "input x[1] must be a Value or a real number, got str 'a'",
    ),
    "a str after a Value": (
        [Value(1.0), "a"],
        TypeError,
        "input x[1] must be a Value or a real number, got str 'a'",
    ),
    "a bool": (
        [1.0, True],
        TypeError,
        "input x[1] must be a Value or a real number, got bool True",
    ),
    "None": ([1.0, None], TypeError, "input x[1] must be a Value or a real number, got None"),
    "a huge int": (
        [2**2000, 1],
        ValueError,
        "input x[0] must be finite, got int of about 603 digits",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_every_bad_input_is_named_by_the_model_that_got_it(case):
    """A str, a non-finite number (alone, after a float or after a Value), a bool, None: the
    whole message, naming the model and the input's index; no graph is built."""
    x, error, message = BAD_INPUTS[case]
    for model in (Neuron(2), Layer(2, 2), MLP(2, [3, 1])):
        with pytest.raises(error) as info:
            model(x)
        assert str(info.value) == f"{type(model).__name__}: {message}"


@pytest.mark.parametrize(
    "x, shown",
    [([Value(1.0), 1.0, "a"], "str 'a'"), ([Value(1.0), 1.0, True], "bool True"),
     ([1, 1.0, None], "None")],
)  # fmt: skip
def test_a_bad_input_among_values_and_floats_is_named(x, shown):
    """Values, floats and one bad input together: the bad one is still found and named."""
    for model in (Neuron(3), Layer(3, 2), MLP(3, [2, 1])):
        with pytest.raises(TypeError) as info:
            model(x)
        assert str(info.value) == (
            f"{type(model).__name__}: input x[2] must be a Value or a real number, got {shown}"
        )


def test_a_300_input_neuron_takes_300_inputs():
    """nin = 300 (past the integers Python caches, where `is` and `==` part ways): 300 inputs
    are the right number, 299 are not; the output is w . x + b by hand."""
    n = Neuron(300, activation="linear", seed=0)
    x = [0.01 * i for i in range(300)]
    want = math.fsum(w.data * xi for w, xi in zip(n.w, x, strict=True)) + n.b.data
    assert n(x).data == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="^Neuron: expected 300 inputs, got 299$"):
        n(x[:-1])


def test_ints_floats_zeros_and_values_are_the_same_inputs():
    """[0, 1], [0.0, 1.0], [-0.0, 1.0] and Values holding them give the same output, bit for bit.

    The plain-float check must not stumble on 0.0 (x - x is a finite float's test, not x / x).
    """
    model = fixed_mlp("tanh")
    want = model([Value(0.0), Value(1.0)]).data
    for x in ([0, 1], [0.0, 1.0], [-0.0, 1.0], [0.0, Value(1.0)], (0.0, 1)):
        assert model(x).data == want
    big = [1e300, -1e300]  # large finite floats: accepted as they are (1e300 ** 1e300 overflows)
    assert model(big).data == model([Value(v) for v in big]).data
    assert want == pytest.approx(
        sum(w2 * math.tanh(w[1] + b) for w2, w, b in zip(W2, W1, B1, strict=True)) + B2,
        abs=1e-15,
    )


# -- defaults, size limits, deep networks -------------------------------------------------------


def test_the_default_seed_is_0_for_every_model():
    """Neuron, Layer and MLP without a seed draw from random.Random(0), by the init rule."""
    rng = random.Random(0)
    bound = 1 / math.sqrt(3)
    assert snapshot(Neuron(3)) == [rng.uniform(-bound, bound) for _ in range(4)]
    rng = random.Random(0)
    assert snapshot(Layer(3, 2)) == [rng.uniform(-bound, bound) for _ in range(8)]
    rng = random.Random(0)
    bounds = [bound] * 8 + [1 / math.sqrt(2)] * 3
    assert snapshot(MLP(3, [2, 1])) == [rng.uniform(-b, b) for b in bounds]


def test_a_layer_over_the_parameter_limit_is_refused_before_anything_is_allocated(monkeypatch):
    """(nin + 1) * nout > MAX_LAYER_PARAMETERS = 10**7 is a ValueError giving both numbers, and
    not one neuron is built first (Neuron is replaced by one that fails if called)."""
    import nn.module

    def no_neuron(*args, **kwargs):
        raise AssertionError("a neuron was built for a layer over the limit")

    monkeypatch.setattr(nn.module, "Neuron", no_neuron)
    for nin, nout in ((10**7, 1), (10**7, 2), (4999, 2001)):
        with pytest.raises(ValueError) as info:
            Layer(nin, nout)
        assert str(info.value) == (
            f"Layer: nin={nin}, nout={nout} make {(nin + 1) * nout} parameters, more than "
            "MAX_LAYER_PARAMETERS=10000000"
        )
    with pytest.raises(ValueError, match=r"^Layer: nin must be an int >= 1 and <= 10000000"):
        Layer(10**7 + 1, 1)


@pytest.mark.parametrize(
    "nin, nout, fits",
    [(11, 1, True), (3, 3, True), (5, 2, True), (2, 4, True), (1, 6, True),
     (12, 1, False), (3, 4, False), (4, 3, False), (1, 7, False), (6, 2, False)],
)  # fmt: skip
def test_the_layer_size_limit_on_both_sides(monkeypatch, nin, nout, fits):
    """With the limit set to 12: (nin + 1) * nout = 12 is built, 13 to 16 are refused."""
    import nn.module

    monkeypatch.setattr(nn.module, "MAX_LAYER_PARAMETERS", 12)
    if fits:
        assert len(Layer(nin, nout).parameters()) == (nin + 1) * nout
        return
    with pytest.raises(ValueError) as info:
        Layer(nin, nout)
    assert str(info.value) == (
        f"Layer: nin={nin}, nout={nout} make {(nin + 1) * nout} parameters, more than "
        "MAX_LAYER_PARAMETERS=12"
    )


def test_an_empty_list_of_layer_sizes_is_refused():
    """MLP(2, []) has no layer to compute anything: a ValueError naming nouts."""
    with pytest.raises(ValueError, match=r"^MLP: nouts"):
        MLP(2, [])
    assert len(MLP(2, [1]).layers) == 1


def test_a_300_layer_mlp_uses_the_output_activation_on_the_last_layer_only():
    """Layer k < last uses `activation`, the last `output_activation`, however deep (past the
    small integers Python caches, where `is` and `==` part ways)."""
    model = MLP(1, [1] * 300, activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh"] * 299 + ["sigmoid"]
    out = model([0.5])
    dot = out.parents[0].parents[0]  # sigmoid(dot(w, h) + b)
    assert out.op == "sigmoid" and dot.op == "dot" and dot.parents[1].op == "tanh"


# -- modules(), train(), eval() ---------------------------------------------------------------


class _Shared(Module):
    """Two attributes holding the same neuron, then another neuron."""

    def __init__(self):
        shared = Neuron(1, seed=0)
        self.a = shared
        self.b = shared
        self.c = Neuron(1, seed=1)

    def named_parameters(self):
        return [("a." + n, p) for n, p in self.a.named_parameters()] + [
            ("c." + n, p) for n, p in self.c.named_parameters()
        ]

    def architecture(self):
        return {"type": "Shared"}


def test_modules_skips_a_module_seen_before_and_goes_on_to_the_next():
    """A submodule reached twice is listed once, and the modules after it are still visited."""
    model = _Shared()
    assert model.modules() == [model, model.a, model.c]
    model.eval()
    assert not model.c.training
    model.train()
    assert model.c.training


# -- load_state_dict: architectures compared with defaults filled in, misfit messages ----------


def test_a_state_architecture_is_compared_with_its_defaults_filled_in():
    """An MLP's architecture saying dropout 0.0, or nouts as a tuple, describes the same model."""
    source = fixed_mlp("tanh")
    for change in ({"dropout": 0.0}, {"nouts": (3, 1)}):
        state = source.state_dict()
        state["architecture"].update(change)
        model = MLP(2, [3, 1], activation="tanh", seed=9)
        model.load_state_dict(state)
        assert snapshot(model) == FLAT


@pytest.mark.parametrize(
    "architecture, error, message",
    [
        ([], ValueError, "load_state_dict: architecture [] does not match this model's "),
        (
            {"type": ["MLP"]},
            ValueError,
            "load_state_dict: architecture {'type': ['MLP']} does not match this model's ",
        ),
        (
            {"type": "MLP", "nin": 2.0, "nouts": [3, 1], "activation": "tanh",
             "output_activation": "linear"},
            TypeError,
            "load_state_dict: architecture['nin'] must be an int >= 1, got 2.0",
        ),
    ],
)  # fmt: skip
def test_a_state_architecture_that_is_not_one_of_ours_or_is_malformed(architecture, error, message):
    """A list, a type that is a list, nin 2.0: its own error each, nothing changed."""
    model = MLP(2, [3, 1], activation="tanh", seed=9)
    before = snapshot(model)
    state = {
        "architecture": architecture,
        "parameters": fixed_mlp("tanh").state_dict()["parameters"],
    }
    with pytest.raises(error) as info:
        model.load_state_dict(state)
    assert str(info.value).startswith(message)
    assert snapshot(model) == before


@pytest.mark.parametrize("kind", ["Aaa", "Zzz"])
def test_a_users_own_type_is_compared_as_it_is(kind):
    """A user's Module of a type nn does not know (sorting before or after ours) loading a
    Neuron's state: "does not match", not a complaint about its own type."""

    class Own(Module):
        def __init__(self):
            self.n = Neuron(1, seed=0)

        def named_parameters(self):
            return self.n.named_parameters()

        def architecture(self):
            return {"type": kind}

    model = Own()
    state = {
        "architecture": Neuron(1).architecture(),
        "parameters": model.state_dict()["parameters"],
    }
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    assert str(info.value) == (
        "load_state_dict: architecture {'type': 'Neuron', 'nin': 1, 'activation': 'relu'} "
        f"does not match this model's {{'type': {kind!r}}}"
    )


def test_unexpected_top_level_keys_are_listed_five_at_most():
    """Seven unknown keys: the first five in sorted order are named."""
    state = {**fixed_mlp("tanh").state_dict(), **{f"k{i}": 0 for i in range(6, -1, -1)}}
    with pytest.raises(ValueError) as info:
        MLP(2, [3, 1], activation="tanh").load_state_dict(state)
    assert (
        str(info.value)
        == "load_state_dict: unexpected top-level keys ['k0', 'k1', 'k2', 'k3', 'k4']"
    )


def _names(n):
    return [f"layers.{k}.x" for k in range(n)]


@pytest.mark.parametrize("n", [4, 5, 6, 7])
def test_missing_and_unexpected_names_are_listed_five_at_most(n):
    """n names missing or n unexpected: up to five named, "..." after them when there are more."""
    names = [name for name, _ in MLP(2, [3, 1]).named_parameters()]
    params = dict.fromkeys(names, 0.5)
    for name in names[:n]:
        del params[name]
    shown = names[:5]
    more = "..." if n > 5 else ""
    with pytest.raises(ValueError) as info:
        MLP(2, [3, 1]).load_state_dict({"parameters": params})
    assert str(info.value) == (
        f"load_state_dict: expected 13 parameters, got {13 - n}; "
        f"missing {shown[: min(n, 5)]}{more}, unexpected []"
    )
    params = {**dict.fromkeys(names, 0.5), **dict.fromkeys(_names(n), 0.5)}
    with pytest.raises(ValueError) as info:
        MLP(2, [3, 1]).load_state_dict({"parameters": params})
    assert str(info.value) == (
        f"load_state_dict: expected 13 parameters, got {13 + n}; "
        f"missing [], unexpected {_names(n)[:5]}{more}"
    )


def test_a_non_finite_number_in_a_users_architecture_is_not_written(tmp_path):
    """save writes strict JSON: an architecture holding nan raises ValueError and the old file
    stays as it was."""

    class Odd(_Shared):
        def architecture(self):
            return {"type": "Odd", "scale": float("nan")}

    path = tmp_path / "odd.json"
    _Shared().save(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"^save: the model's state_dict\(\) is not JSON: "):
        Odd().save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["odd.json"]
