"""nn.load builds the model a file describes; a hostile file raises naming it, changing nothing."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys

import optim_examples
import pytest

import nn
from autograd_engine import Value
from nn import MLP, Layer, Neuron
from nn.optim import OPTIMIZERS


@contextlib.contextmanager
def _int_digits(n):
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(n)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(old)


def snapshot(model):
    return [p.data for p in model.parameters()]


MODELS = {
    "mlp": lambda: MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=5),
    "mlp-linear": lambda: MLP(2, [3, 1], seed=1),
    "layer": lambda: Layer(2, 3, activation="sigmoid", seed=2),
    "neuron": lambda: Neuron(4, activation="linear", seed=3),
}


@pytest.mark.parametrize("kind", MODELS)
def test_load_builds_the_saved_model(tmp_path, kind):
    """nn.load returns a model of the saved class, architecture, parameters and outputs."""
    model = MODELS[kind]()
    path = tmp_path / "m.json"
    model.save(path)
    loaded = nn.load(path)
    assert type(loaded) is type(model)
    assert loaded.architecture() == model.architecture()
    assert snapshot(loaded) == snapshot(model)
    x = [0.3, -0.7, 1.1, 0.2][: model.nin]
    out, want = loaded(x), model(x)
    outs = out if isinstance(out, list) else [out]
    wants = want if isinstance(want, list) else [want]
    assert [v.data for v in outs] == [v.data for v in wants]
    assert nn.load(str(path)).parameters()[0].data == model.parameters()[0].data


def test_model_load_still_loads_into_an_existing_model(tmp_path):
    """model.load(path) keeps working and returns the same model."""
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=1).save(path)
    other = MLP(2, [3, 1], seed=2)
    assert other.load(path) is other
    assert snapshot(other) == snapshot(MLP(2, [3, 1], seed=1))


def _saved(**arch_changes):
    state = MLP(2, [3, 1], seed=0).state_dict()
    state["architecture"].update(arch_changes)
    return state


HOSTILE = {
    "bool nin": (_saved(nin=True), TypeError, r"architecture\['nin'\].*bool"),
    "float nin": (_saved(nin=2.0), TypeError, r"architecture\['nin'\]"),
    "string nin": (_saved(nin="2"), TypeError, r"architecture\['nin'\]"),
    "negative nin": (_saved(nin=-2), ValueError, r"architecture\['nin'\].*>= 1"),
    "zero nin": (_saved(nin=0), ValueError, r"architecture\['nin'\]"),
    "absurd nin": (
        _saved(nin=10**9),
        ValueError,
        "has 3000000007 parameters but the file holds 13",
    ),
    "huge nin": (_saved(nin=10**400), ValueError, "parameters but the file holds 13"),
    "5000-digit nin": (_saved(nin=10**5000), ValueError, "parameters but the file holds 13"),
    "bool layer size": (_saved(nouts=[3, True]), TypeError, r"nouts'\]\[1\]"),
    "nouts a string": (_saved(nouts="31"), TypeError, r"nouts"),
    "nouts empty": (_saved(nouts=[]), ValueError, r"nouts"),
    "absurd layer": (_saved(nouts=[10**9, 1]), ValueError, "parameters but the file holds 13"),
    "unknown activation": (_saved(activation="swish"), ValueError, "activation.*'relu'"),
    "activation a list": (_saved(activation=["relu"]), TypeError, "activation"),
    "extra arch key": (_saved(colour="red"), ValueError, "unexpected.*colour"),
    "unknown type": (_saved(type="Transformer"), ValueError, r"architecture\['type'\]"),
    "type missing": ({"architecture": {"nin": 2}, "parameters": {}}, TypeError, "type"),
    "architecture a list": ({"architecture": [], "parameters": {}}, TypeError, "architecture"),
    "no architecture": ({"parameters": {"b": 0.0}}, ValueError, "no 'architecture'"),
    "top level list": ([1, 2], TypeError, "content must be a dict"),
    "parameters a list": ({**_saved(), "parameters": [0.0] * 13}, TypeError, "parameters"),
    "extra top key": ({**_saved(), "optimizer": {}}, ValueError, "top-level"),
    "other architecture": (
        {**_saved(), "parameters": MLP(2, [4, 1], seed=0).state_dict()["parameters"]},
        ValueError,
        "13 parameters but the file holds 17",
    ),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_hostile_files_raise_naming_the_file(tmp_path, case):
    """Wrong types, bool/negative/absurd sizes, extra keys: an error naming the file."""
    state, error, message = HOSTILE[case]
    path = tmp_path / "hostile.json"
    with _int_digits(10**6):  # json.dumps of 10**5000 needs the limit raised
        path.write_text(json.dumps(state))
    with pytest.raises(error, match=message) as info:
        nn.load(path)
    assert str(info.value).startswith(f"load: {str(path)!r}")


def _param_file(tmp_path, text_value):
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    name = "layers.0.neurons.1.w.0"
    state["parameters"][name] = 12345.5
    path = tmp_path / "p.json"
    path.write_text(json.dumps(state).replace("12345.5", text_value))
    return path, name


@pytest.mark.parametrize(
    "text",
    ["NaN", "Infinity", "-Infinity", "1" + "0" * 5000, "-" + "9" * 5000, "1e400", "1" + "0" * 400],
)
def test_non_finite_parameters_name_the_file_and_the_parameter(tmp_path, text):
    """nan, inf, a 5,000-digit integer: ValueError naming the file and the parameter."""
    path, name = _param_file(tmp_path, text)
    for load in (nn.load, MLP(2, [3, 1], seed=4).load):
        with pytest.raises(ValueError) as info:
            load(path)
        message = str(info.value)
        assert "p.json" in message and repr(name) in message and "finite" in message
        assert len(message) < 500


@pytest.mark.parametrize("value", ['"0.5"', "true", "null", "[1]", "{}"])
def test_wrong_type_parameters_name_the_file_and_the_parameter(tmp_path, value):
    """A parameter that is a string, bool, null, list or dict: TypeError naming both."""
    path, name = _param_file(tmp_path, value)
    model = MLP(2, [3, 1], seed=4)
    before = snapshot(model)
    for load in (nn.load, model.load):
        with pytest.raises(TypeError, match=rf"p\.json.*{name}.*real number"):
            load(path)
    assert snapshot(model) == before


@pytest.mark.parametrize("depth", [100, 10_000, 200_000])
def test_deeply_nested_files_are_a_value_error_naming_the_file(tmp_path, depth):
    """[[[[...]]]] nested deeply: the loader's own ValueError, never RecursionError."""
    path = tmp_path / "deep.json"
    path.write_text('{"parameters": ' + "[" * depth + "]" * depth + "}")
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    for load in (nn.load, model.load):
        with pytest.raises((ValueError, TypeError), match="deep.json"):
            load(path)
    assert snapshot(model) == before


@pytest.mark.parametrize("cut", [1, 10, 100, -20, -1])
def test_truncated_files_raise_naming_the_file(tmp_path, cut):
    """A file cut short anywhere is not valid JSON: ValueError naming the file."""
    good = tmp_path / "good.json"
    MLP(2, [3, 1], seed=0).save(good)
    path = tmp_path / "cut.json"
    path.write_bytes(good.read_bytes()[:cut])
    model = MLP(2, [3, 1], seed=7)
    before = snapshot(model)
    for load in (nn.load, model.load):
        with pytest.raises(ValueError, match="cut.json"):
            load(path)
    assert snapshot(model) == before


def test_a_file_of_another_architecture_leaves_the_model_unchanged(tmp_path):
    """model.load of a Layer file, or of an MLP of another shape, raises and changes nothing."""
    model = MLP(2, [3, 1], seed=0)
    before = snapshot(model)
    for other in (Layer(2, 3, seed=0), MLP(2, [3, 1], activation="tanh", seed=0)):
        path = tmp_path / "other.json"
        other.save(path)
        with pytest.raises(ValueError, match="other.json.*architecture"):
            model.load(path)
    assert snapshot(model) == before


@pytest.mark.parametrize("bad", [None, 5, ["m.json"]])
def test_path_of_the_wrong_type(bad):
    """A path that is not a str or PathLike is a TypeError naming load / save."""
    with pytest.raises(TypeError, match="^load: path"):
        nn.load(bad)
    with pytest.raises(TypeError, match="^load: path"):
        MLP(2, [1], seed=0).load(bad)
    with pytest.raises(TypeError, match="^save: path"):
        MLP(2, [1], seed=0).save(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_saving_a_non_finite_parameter_names_it_and_writes_nothing(tmp_path, bad):
    """A parameter set by hand to nan raises naming it (and its label); the old file stays."""
    model = MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    before = path.read_bytes()
    w = model.layers[1].neurons[0].w[2]
    with pytest.raises(ValueError, match="data must be finite"):
        w.data = bad  # refused by hand, as by Value(bad)
    w._data = bad  # planted behind the setter's back: save still checks
    with pytest.raises(ValueError, match=r"save: parameter 'layers\.1\.neurons\.0\.w\.2'"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_saving_over_a_private_model_keeps_it_private(tmp_path):
    """A model file of mode 0600 stays 0600 after saving over it."""
    path = tmp_path / "m.json"
    MLP(2, [1], seed=0).save(path)
    os.chmod(path, 0o600)
    MLP(2, [1], seed=1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert nn.load(path).parameters()[0].data == MLP(2, [1], seed=1).parameters()[0].data


def test_loaded_parameters_are_plain_leaves():
    """The loaded model's parameters are leaf Values with finite floats."""
    model = Neuron(2, seed=0)
    for p in model.parameters():
        assert isinstance(p, Value) and p.parents == () and type(p.data) is float


def test_a_users_own_module_still_saves_and_loads(tmp_path):
    """A Module subclass with its own architecture type round-trips through model.load."""
    from nn import Module

    class Scale(Module):
        def __init__(self):
            self.k = Value(2.0, label="k")

        def named_parameters(self):
            return [("k", self.k)]

        def architecture(self):
            return {"type": "Scale"}

    model = Scale()
    path = tmp_path / "s.json"
    model.save(path)
    other = Scale()
    other.k.data = 5.0
    assert other.load(path).k.data == 2.0
    with pytest.raises(ValueError, match=r"s\.json.*architecture\['type'\]"):
        nn.load(path)


def _reversed_json(model) -> str:
    """The model's file with every object's keys in reverse order (as another writer might)."""

    def flip(obj):
        if isinstance(obj, dict):
            return {k: flip(v) for k, v in reversed(list(obj.items()))}
        return obj

    return json.dumps(flip(model.state_dict()), indent=1)


def test_every_architecture_has_a_model_here():
    """MODELS covers every type nn.load can build, so the next tests reach each one."""
    assert {type(make()).__name__ for make in MODELS.values()} == set(nn.module.ARCHITECTURES)


@pytest.mark.parametrize("kind", MODELS)
def test_files_and_state_dicts_in_another_key_order_load_by_name(tmp_path, kind):
    """Parameters are matched by name: a file with its keys reversed loads the same values.

    Every parameter value differs, so a loader that took the values in file order would
    put them on the wrong parameters.
    """
    model = MODELS[kind]()
    named = dict(model.state_dict()["parameters"])
    assert len(set(named.values())) == len(named)
    path = tmp_path / "reversed.json"
    path.write_text(_reversed_json(model))
    assert list(json.loads(path.read_text())["parameters"]) == list(reversed(named))
    loaded = nn.load(path)
    assert loaded.state_dict()["parameters"] == named
    assert dict(loaded.named_parameters()).keys() == named.keys()
    assert [p.data for _, p in loaded.named_parameters()] == list(named.values())
    fresh = MODELS[kind]()
    for p in fresh.parameters():
        p.data = 0.0
    fresh.load(path)
    assert snapshot(fresh) == snapshot(model)
    other = MODELS[kind]()
    for p in other.parameters():
        p.data = 0.0
    other.load_state_dict(json.loads(_reversed_json(model)))
    assert snapshot(other) == snapshot(model)


# -- the messages, whole: the file named once, each reader's own reason ----------------------


def test_load_messages_name_the_file_once_and_keep_the_reason_whole(tmp_path):
    """nn.load's own misfits read "load: '<file>': <reason>" (no second "load: "), and
    model.load's "load: '<file>' does not fit this model: load_state_dict: <reason>"."""
    path = tmp_path / "m.json"
    state = MLP(2, [3, 1], seed=0).state_dict()
    state["parameters"] = MLP(2, [4, 1], seed=0).state_dict()["parameters"]
    path.write_text(json.dumps(state))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value) == (
        f"load: {str(path)!r}: the architecture has 13 parameters but the file holds 17"
    )
    Layer(2, 3, seed=0).save(path)
    with pytest.raises(ValueError) as info:
        MLP(2, [3, 1], seed=0).load(path)
    assert str(info.value) == (
        f"load: {str(path)!r} does not fit this model: load_state_dict: architecture "
        "{'type': 'Layer', 'nin': 2, 'nout': 3, 'activation': 'relu'} does not match this "
        "model's {'type': 'MLP', 'nin': 2, 'nouts': [3, 1], 'activation': 'relu', "
        "'output_activation': 'linear'}"
    )


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"\xff\xfe\x00garbage", "is not UTF-8 text ("),
        (b'{"parameters": {', "is not valid JSON ("),
        (b"[" * 200_000 + b"]" * 200_000, "is nested too deeply to be a saved model"),
    ],
)
def test_each_unreadable_file_says_why(tmp_path, content, reason):
    """Bytes that are not UTF-8, text that is not JSON, nesting past the reader's depth: a
    ValueError "load: '<file>' <reason>", from nn.load and from model.load alike."""
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    model = MLP(2, [3, 1], seed=0)
    for load in (nn.load, model.load):
        with pytest.raises(ValueError) as info:
            load(path)
        assert str(info.value).startswith(f"load: {str(path)!r} {reason}")


def test_a_number_past_a_lowered_int_limit_is_a_value_error_naming_the_file(tmp_path):
    """With Python's int-from-text limit lowered to 640 digits, a 1,000-digit weight cannot be
    read: ValueError "load: '<file>' cannot be read as JSON", never the bare ValueError."""
    path, _ = _param_file(tmp_path, "1" * 1000)
    model = MLP(2, [3, 1], seed=4)
    before = snapshot(model)
    with _int_digits(640):
        for load in (nn.load, model.load):
            with pytest.raises(ValueError) as info:
                load(path)
            assert str(info.value).startswith(f"load: {str(path)!r} cannot be read as JSON (")
    assert snapshot(model) == before


@pytest.mark.parametrize(
    "digits, shown",
    [
        (3999, "int of about 3999 digits"),
        (4000, "int of 4000 digits"),
        (4001, "int of 4001 digits"),
    ],
)
def test_long_integers_on_both_sides_of_the_reading_limit_are_not_finite(tmp_path, digits, shown):
    """Below 4,000 digits the integer is read (and shown by its estimated length); from 4,000
    on it stands in as one beyond every float, shown by its exact length: not finite, either
    way, naming the file and the parameter."""
    path, name = _param_file(tmp_path, "1" * digits)
    with pytest.raises(ValueError) as info:
        nn.load(path)
    assert str(info.value) == (
        f"load: {str(path)!r}: load_state_dict: parameter {name!r} must be finite, got {shown}"
    )


@pytest.mark.parametrize("sign", ["-", ""])
def test_a_5000_digit_layer_size_keeps_its_sign(tmp_path, sign):
    """nin = -10**4999...: an int >= 1 is wanted; nin = +10**4999...: far too many parameters."""
    path = tmp_path / "m.json"
    text = json.dumps(MLP(2, [3, 1], seed=0).state_dict())
    path.write_text(text.replace('"nin": 2', f'"nin": {sign}' + "9" * 5000))
    with pytest.raises(ValueError) as info:
        nn.load(path)
    message = str(info.value)
    if sign:
        assert message == (
            f"load: {str(path)!r}: architecture['nin'] must be an int >= 1, got int of 5000 digits"
        )
    else:  # read as 10**4000 (the reader's stand-in from 4,000 digits on): 3 * 10**4000 + 7
        assert message == (
            f"load: {str(path)!r}: the architecture has about 10^4000 parameters but the file "
            "holds 13"
        )


def test_a_model_of_more_than_256_parameters_loads_from_its_file(tmp_path):
    """A 2-16-16-1 MLP (337 parameters, past the small integers Python caches, where `is`
    and `==` part ways) loads from its file with every parameter."""
    model = MLP(2, [16, 16, 1], activation="tanh", seed=3)
    path = tmp_path / "m.json"
    model.save(path)
    loaded = nn.load(path)
    assert len(loaded.parameters()) == 337
    assert snapshot(loaded) == snapshot(model)


_SQUARES = {"sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq"}  # sums of squares


@pytest.mark.parametrize(
    "name",
    [  # every example of an optimizer whose state has a step count or a sum of squares
        name
        for name, (cls_name, _) in sorted(optim_examples.EXAMPLES.items())
        if {"step", *_SQUARES} & set(OPTIMIZERS[cls_name].state_names)
    ],
)
def test_a_loaded_step_count_or_square_out_of_range_is_refused_by_name(name):
    """A step count must be a whole number >= 0 and a sum of squares >= 0 (a negative one made
    the next step take the root of a negative: Adam with step -2.5 raised a bare complex-number
    TypeError). Just outside is refused naming the field, nothing changes; at the edge (0)
    the state loads."""
    cls_name, kwargs = optim_examples.EXAMPLES[name]
    p = Value(1.0, label="w")
    opt = OPTIMIZERS[cls_name]([p], **kwargs)
    for g in (0.5, -0.25):
        p.grad = g
        opt.step()
    saved = opt.state_dict()
    fields = saved["state"].get(0, {})
    checked = [f for f in fields if f == "step" or f in _SQUARES]
    assert checked  # two steps made them
    before = {k: dict(v) for k, v in opt.state.items()}
    for field in checked:
        bads = [-1.0, 2.5, -2.5] if field == "step" else [-1e-300, -1.0]
        for bad in bads:
            state = {"state": {0: {**fields, field: bad}}, "param_groups": saved["param_groups"]}
            with pytest.raises(ValueError, match=rf"state\[0\]\['{field}'\] .*got {bad}"):
                opt.load_state_dict(state)
            assert {k: dict(v) for k, v in opt.state.items()} == before
        edge = {"state": {0: {**fields, field: 0.0}}, "param_groups": saved["param_groups"]}
        opt.load_state_dict(edge)
        assert opt.state[p][field] == 0.0
        opt.load_state_dict(saved)
