"""nn.interop against PyTorch itself: models, optimizers and schedules move both ways, losslessly.

The reference numbers come from torch 2.13: every "continue on the other side" run is
compared with the same run done entirely in torch (or entirely in the engine), and the
torch optimizers and schedules of those reference runs are built by torch's own
constructors, not by nn.interop.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import optim_examples
import pytest

torch = pytest.importorskip("torch")

import nn.interop as interop  # noqa: E402
from autograd_engine import Value  # noqa: E402
from nn import ACTIVATIONS, MLP, Layer, Neuron  # noqa: E402
from nn import optim as our_optim  # noqa: E402
from nn import schedules as our_schedules  # noqa: E402
from nn.data import make_moons  # noqa: E402
from nn.interop import (  # noqa: E402
    TORCH_ACTIVATIONS,
    from_torch,
    optimizer_from_torch,
    optimizer_to_torch,
    scheduler_from_torch,
    scheduler_to_torch,
    to_torch,
)
from nn.losses import mse_loss  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-12
N = 4  # steps on each side

X, Y = make_moons(8, noise=0.1, seed=3)
XT = torch.tensor(X, dtype=torch.float64)
YT = torch.tensor(Y, dtype=torch.float64)

OPTIMIZERS = optim_examples.EXAMPLES  # every example of every registered optimizer
FIRST, RICHEST = optim_examples.FIRST, optim_examples.RICHEST
# (activation, example): every example with tanh, every activation with each plain example.
CROSSED = sorted({("tanh", o) for o in OPTIMIZERS} | {(a, o) for a in ACTIVATIONS for o in FIRST})

SCHEDULES = {
    "StepLR": {"step_size": 2, "gamma": 0.5},
    "ExponentialLR": {"gamma": 0.8},
    # mode="max" on a falling loss: every epoch is bad, so the lr is really cut.
    "ReduceLROnPlateau": {"mode": "max", "factor": 0.5, "patience": 1, "cooldown": 1},
}


# -- helpers --------------------------------------------------------------------------


def model_for(activation: str, output_activation: str = "linear", seed: int = 1) -> MLP:
    return MLP(2, [4, 3, 1], activation=activation, output_activation=output_activation, seed=seed)


def numbers_of(net) -> list[float]:
    """A torch Sequential's numbers in nn order (neuron by neuron: weights, then bias)."""
    out = []
    for m in net:
        if isinstance(m, torch.nn.Linear):
            for row, b in zip(m.weight.tolist(), m.bias.tolist()):
                out += [*row, b]
    return out


def close(a: list[float], b: list[float], tol: float = TOL) -> bool:
    assert len(a) == len(b)
    return max(abs(x - y) for x, y in zip(a, b)) <= tol


def engine_steps(model, opt, sched, n: int) -> None:
    for _ in range(n):
        opt.zero_grad()
        loss = mse_loss([model(x) for x in X], Y)
        loss.backward()
        opt.step()
        if isinstance(sched, our_schedules.ReduceLROnPlateau):
            sched.step(loss.data)
        elif sched is not None:
            sched.step()


def torch_steps(net, topt, tsched, n: int) -> None:
    for _ in range(n):
        topt.zero_grad()
        loss = ((net(XT).squeeze(-1) - YT) ** 2).mean()
        loss.backward()
        topt.step()
        if isinstance(tsched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            tsched.step(loss.item())
        elif tsched is not None:
            tsched.step()


def torch_only(model: MLP, opt_case, sched_name, n: int):
    """Reference: the model's initial weights trained n steps by torch's own classes."""
    cls_name, kwargs = opt_case
    net = to_torch(model)
    topt = twin(cls_name)(net.parameters(), **kwargs)
    tsched = None
    if sched_name:
        tsched = getattr(torch.optim.lr_scheduler, sched_name)(topt, **SCHEDULES[sched_name])
    torch_steps(net, topt, tsched, n)
    return net, topt


def engine_only(model: MLP, opt_case, sched_name, n: int):
    cls_name, kwargs = opt_case
    opt = getattr(our_optim, cls_name)(model.parameters(), **kwargs)
    sched = None
    if sched_name:
        sched = getattr(our_schedules, sched_name)(opt, **SCHEDULES[sched_name])
    engine_steps(model, opt, sched, n)
    return opt


def engine_then_torch(model: MLP, opt_case, sched_name, n: int):
    """n steps here, export everything, n more steps in torch."""
    cls_name, kwargs = opt_case
    opt = getattr(our_optim, cls_name)(model.parameters(), **kwargs)
    sched = None
    if sched_name:
        sched = getattr(our_schedules, sched_name)(opt, **SCHEDULES[sched_name])
    engine_steps(model, opt, sched, n)
    net = to_torch(model)
    topt = optimizer_to_torch(opt, net.parameters())
    tsched = scheduler_to_torch(sched, topt) if sched else None
    assert type(topt) is twin(cls_name)
    torch_steps(net, topt, tsched, n)
    return net, topt


def torch_then_engine(model: MLP, opt_case, sched_name, n: int):
    """n steps in torch (torch's own classes), import everything, n more steps here."""
    net, topt = torch_only(model, opt_case, None, 0)
    tsched = None
    if sched_name:
        tsched = getattr(torch.optim.lr_scheduler, sched_name)(topt, **SCHEDULES[sched_name])
    torch_steps(net, topt, tsched, n)
    back = from_torch(net)
    opt = optimizer_from_torch(topt, back.parameters())
    sched = scheduler_from_torch(tsched, opt) if tsched else None
    assert type(opt) is getattr(our_optim, opt_case[0])
    engine_steps(back, opt, sched, n)
    return back, opt


def twin(cls_name: str):
    """torch's class for the engine optimizer ``cls_name``."""
    return getattr(torch.optim, our_optim.OPTIMIZERS[cls_name].torch_name)


def activation_ids():
    return sorted(ACTIVATIONS)


# -- the activation table ----------------------------------------------------------


def test_every_engine_activation_has_a_torch_module():
    """Each name in nn.module.ACTIVATIONS has a row in TORCH_ACTIVATIONS naming a torch.nn class."""
    missing = sorted(set(ACTIVATIONS) - set(TORCH_ACTIVATIONS))
    assert not missing, f"activations without a PyTorch module: {missing}"
    for cls_name, attributes in TORCH_ACTIVATIONS.values():
        module = getattr(torch.nn, cls_name)(**attributes)
        assert all(getattr(module, k) == v for k, v in attributes.items())


@pytest.mark.parametrize("name", activation_ids())
def test_activation_module_computes_the_engine_activation(name):
    """torch's module for each activation gives the engine's numbers on both sides of 0."""
    cls_name, attributes = TORCH_ACTIVATIONS[name]
    module = getattr(torch.nn, cls_name)(**attributes)
    xs = [-7.5, -2.0, -0.3, -1e-3, 1e-3, 0.4, 1.5, 6.0]
    ours = [ACTIVATIONS[name](Value(x)).data for x in xs]
    theirs = module(torch.tensor(xs, dtype=torch.float64)).tolist()
    assert close(ours, theirs, 1e-15)


# -- to_torch / from_torch -----------------------------------------------------------


@pytest.mark.parametrize("output_activation", activation_ids())
@pytest.mark.parametrize("activation", activation_ids())
def test_to_torch_output_equals_the_model(activation, output_activation):
    """The exported Sequential computes the model's output to 1e-12 on random inputs."""
    model = MLP(3, [5, 4, 2], activation, output_activation, seed=7)
    net = to_torch(model)
    assert all(p.dtype == torch.float64 for p in net.parameters())
    rng = random.Random(0)
    inputs = [[rng.uniform(-4, 4) for _ in range(3)] for _ in range(20)]
    out = net(torch.tensor(inputs, dtype=torch.float64)).tolist()
    for x, row in zip(inputs, out):
        assert close([v.data for v in model(x)], row)


@pytest.mark.parametrize("activation", activation_ids())
def test_layer_and_neuron_export_as_one_linear_and_activation(activation):
    """A Layer is Sequential(Linear(nin, nout), act), a Neuron Sequential(Linear(nin, 1), act)."""
    layer = Layer(3, 2, activation, seed=4)
    neuron = Neuron(3, activation, seed=5)
    x = [0.7, -1.3, 2.1]
    xt = torch.tensor([x], dtype=torch.float64)
    lnet, nnet = to_torch(layer), to_torch(neuron)
    assert [type(m).__name__ for m in lnet] == ["Linear", TORCH_ACTIVATIONS[activation][0]]
    assert lnet[0].weight.shape == (2, 3) and nnet[0].weight.shape == (1, 3)
    assert close([v.data for v in layer(x)], lnet(xt)[0].tolist())
    assert close([neuron(x).data], nnet(xt)[0].tolist())
    assert nnet[0].weight[0].tolist() == [w.data for w in neuron.w]
    assert nnet[0].bias.item() == neuron.b.data


def test_to_torch_layout_and_float32():
    """weight[j, i] is neuron j's w_i and bias[j] its b; dtype=float32 rounds each number once."""
    model = MLP(2, [3, 1], seed=2)
    net = to_torch(model)
    first = model.layers[0].neurons
    assert net[0].weight.tolist() == [[w.data for w in n.w] for n in first]
    assert net[0].bias.tolist() == [n.b.data for n in first]
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "Identity"]
    net32 = to_torch(model, dtype=torch.float32)
    assert net32[0].weight.dtype == torch.float32
    assert net32[0].weight[1, 0].item() == float(torch.tensor(first[1].w[0].data).float())


def test_to_torch_draws_no_random_numbers():
    """Exporting leaves torch's global random state where it was."""
    torch.manual_seed(0)
    before = torch.get_rng_state()
    to_torch(MLP(4, [8, 8, 1]))
    assert torch.equal(before, torch.get_rng_state())


def test_to_torch_rejects_bad_arguments():
    """A non-model is a TypeError; a non-float dtype a ValueError."""
    with pytest.raises(TypeError, match="to_torch: model must be an MLP, Layer or Neuron"):
        to_torch([1.0, 2.0])
    with pytest.raises(ValueError, match="to_torch: dtype must be a floating-point dtype"):
        to_torch(MLP(2, [1]), dtype=torch.int64)
    with pytest.raises(TypeError, match="to_torch: dtype must be a torch.dtype"):
        to_torch(MLP(2, [1]), dtype="float64")


@pytest.mark.parametrize("output_activation", activation_ids())
@pytest.mark.parametrize("activation", activation_ids())
def test_round_trip_is_exact(activation, output_activation):
    """from_torch(to_torch(m)) has m's architecture and every number bit for bit."""
    model = MLP(3, [4, 4, 2], activation, output_activation, seed=11)
    back = from_torch(to_torch(model))
    assert back.state_dict() == model.state_dict()
    again = to_torch(back)
    for a, b in zip(again.parameters(), to_torch(model).parameters()):
        assert torch.equal(a, b)


def test_from_torch_reads_a_torch_built_network():
    """A network built in torch (no Identity, a float32 layer) becomes an MLP with its numbers."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 5).double(),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 1),
    )
    model = from_torch(net)
    assert model.architecture() == {
        "type": "MLP",
        "nin": 2,
        "nouts": [5, 5, 1],
        "activation": "tanh",
        "output_activation": "linear",
    }
    # float32 numbers convert to float64 exactly
    assert model.layers[0].neurons[3].w[1].data == net[0].weight[3, 1].item()
    x = [0.25, -0.5]
    expected = net.double()(torch.tensor([x], dtype=torch.float64)).item()
    assert abs(model(x).data - expected) <= TOL


def test_from_torch_single_linear_and_linear_hidden_layers():
    """A lone Linear is a one-layer linear MLP; Linear, Linear (no activation) means 'linear'."""
    lin = torch.nn.Linear(3, 2, dtype=torch.float64)
    model = from_torch(lin)
    assert model.nouts == [2] and model.output_activation == "linear"
    assert [[w.data for w in n.w] for n in model.layers[0].neurons] == lin.weight.tolist()
    two = from_torch(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)))
    assert (two.activation, two.output_activation) == ("linear", "linear")


def _bad_nets():
    L = torch.nn.Linear
    leaky = ("LeakyReLU", 0.2)
    return {
        "conv": (torch.nn.Sequential(L(4, 4), torch.nn.Conv2d(1, 1, 3)), r"\[1\] Conv2d"),
        "dropout": (
            torch.nn.Sequential(L(2, 3), torch.nn.ReLU(), torch.nn.Dropout(0.5), L(3, 1)),
            r"\[2\] Dropout",
        ),
        "batchnorm": (torch.nn.Sequential(L(2, 3), torch.nn.BatchNorm1d(3)), r"\[1\] BatchNorm"),
        "no_bias": (torch.nn.Sequential(L(2, 3), torch.nn.ReLU(), L(3, 1, bias=False)), "bias"),
        "sizes": (torch.nn.Sequential(L(2, 3), torch.nn.ReLU(), L(4, 1)), r"\[2\].*takes 4"),
        "two_activations": (
            torch.nn.Sequential(L(2, 3), torch.nn.ReLU(), torch.nn.Tanh(), L(3, 1)),
            r"\[2\] Tanh.*follows another activation",
        ),
        "activation_first": (
            torch.nn.Sequential(torch.nn.ReLU(), L(2, 1)),
            r"\[0\] ReLU.*before any Linear",
        ),
        "leaky_slope": (
            torch.nn.Sequential(L(2, 3), getattr(torch.nn, leaky[0])(leaky[1]), L(3, 1)),
            r"\[1\] LeakyReLU.*differs from the engine's 'leaky_relu', .*negative_slope=0.01",
        ),
        "nested": (
            torch.nn.Sequential(torch.nn.Sequential(L(2, 3), torch.nn.ReLU()), L(3, 1)),
            r"\[0\] Sequential.*nested",
        ),
        "hidden_differ": (
            torch.nn.Sequential(L(2, 3), torch.nn.ReLU(), L(3, 3), torch.nn.Tanh(), L(3, 1)),
            r"after module \[2\] is 'tanh'",
        ),
        "empty": (torch.nn.Sequential(), "empty"),
        "not_sequential_or_linear": (torch.nn.Conv2d(1, 1, 3), r"\[0\] Conv2d"),
    }


@pytest.mark.parametrize("case", sorted(_bad_nets()))
def test_from_torch_rejects_what_an_mlp_cannot_be(case):
    """Each unrepresentable network is a ValueError naming the module's position and kind."""
    net, pattern = _bad_nets()[case]
    with pytest.raises(ValueError, match=pattern) as error:
        from_torch(net)
    assert str(error.value).startswith("from_torch:")


def test_from_torch_builds_nothing_half_way(monkeypatch):
    """A non-finite weight in the last layer raises before any MLP is constructed."""
    built = []
    monkeypatch.setattr(interop, "MLP", lambda *a, **k: built.append(a))
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        net[2].bias[0] = float("nan")
    with pytest.raises(ValueError, match=r"from_torch: module \[2\].*non-finite"):
        from_torch(net)
    assert built == []


def test_from_torch_type_error_and_named_modules():
    """A non-Module is a TypeError; a named child is reported with its name."""
    with pytest.raises(TypeError, match="from_torch: module must be"):
        from_torch([1, 2])
    from collections import OrderedDict

    net = torch.nn.Sequential(
        OrderedDict(
            fc1=torch.nn.Linear(2, 3), drop=torch.nn.Dropout(0.1), fc2=torch.nn.Linear(3, 1)
        )
    )
    with pytest.raises(ValueError, match=r"module \[1\] \('drop'\)"):
        from_torch(net)


# -- training on both sides -----------------------------------------------------------


@pytest.mark.parametrize(("activation", "opt_name"), CROSSED)
def test_engine_then_torch_equals_torch_throughout(activation, opt_name):
    """N steps here + N in torch after export = 2N steps in torch, to 1e-12."""
    case = OPTIMIZERS[opt_name]
    mixed, _ = engine_then_torch(model_for(activation), case, None, N)
    reference, _ = torch_only(model_for(activation), case, None, 2 * N)
    start = [p.data for p in model_for(activation).parameters()]
    assert not close(numbers_of(reference), start, 1e-6), "training must move the weights"
    assert close(numbers_of(mixed), numbers_of(reference))


@pytest.mark.parametrize(("activation", "opt_name"), CROSSED)
def test_torch_then_engine_equals_engine_throughout(activation, opt_name):
    """N steps in torch + N here after import = 2N steps here, and = 2N steps in torch."""
    case = OPTIMIZERS[opt_name]
    mixed, _ = torch_then_engine(model_for(activation), case, None, N)
    reference = model_for(activation)
    engine_only(reference, case, None, 2 * N)
    ours = [p.data for p in mixed.parameters()]
    assert close(ours, [p.data for p in reference.parameters()])
    in_torch, _ = torch_only(model_for(activation), case, None, 2 * N)
    assert close(ours, numbers_of(in_torch))


@pytest.mark.parametrize("opt_name", RICHEST)
@pytest.mark.parametrize("sched_name", sorted(SCHEDULES))
def test_schedules_continue_on_the_other_side(sched_name, opt_name):
    """With a schedule, both directions give the single-side run's weights and lrs to 1e-12."""
    case = OPTIMIZERS[opt_name]
    mixed, topt = engine_then_torch(model_for("tanh"), case, sched_name, N)
    reference, ropt = torch_only(model_for("tanh"), case, sched_name, 2 * N)
    assert close(numbers_of(mixed), numbers_of(reference))
    assert [g["lr"] for g in topt.param_groups] == [g["lr"] for g in ropt.param_groups]
    assert ropt.param_groups[0]["lr"] < case[1]["lr"], "the schedule must have cut the lr"

    back, opt = torch_then_engine(model_for("tanh"), case, sched_name, N)
    model = model_for("tanh")
    ref_opt = engine_only(model, case, sched_name, 2 * N)
    assert close([p.data for p in back.parameters()], [p.data for p in model.parameters()])
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref_opt.param_groups]


@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_optimizer_state_round_trip_is_exact(opt_name):
    """to torch and back: param groups and every state field come back bit for bit."""
    cls_name, kwargs = OPTIMIZERS[opt_name]
    model = model_for("tanh")
    opt = getattr(our_optim, cls_name)(model.parameters(), **kwargs)
    our_schedules.ExponentialLR(opt, gamma=0.9)  # puts initial_lr into the groups
    engine_steps(model, opt, None, 3)
    before = opt.state_dict()
    net = to_torch(model)
    topt = optimizer_to_torch(opt, net.parameters())
    assert opt.state_dict() == before, "exporting must not change the optimizer"
    assert topt.param_groups[0]["initial_lr"] == kwargs["lr"]
    back = optimizer_from_torch(topt, from_torch(net).parameters())
    assert back.state_dict() == before


def test_exported_state_is_laid_out_as_torch_would_have_it():
    """Adam's exp_avg for a Linear's weight holds neuron j's moments in row j, step is a scalar."""
    model = model_for("relu")
    opt = our_optim.Adam(model.parameters(), lr=0.01)
    engine_steps(model, opt, None, 2)
    net = to_torch(model)
    topt = optimizer_to_torch(opt, net.parameters())
    state = topt.state[net[2].weight]
    neuron = model.layers[1].neurons[2]
    assert state["exp_avg"][2, 3].item() == opt.state[neuron.w[3]]["exp_avg"]
    assert topt.state[net[2].bias]["exp_avg_sq"][2].item() == opt.state[neuron.b]["exp_avg_sq"]
    assert state["step"].shape == () and state["step"].item() == 2.0
    assert state["exp_avg"].dtype == torch.float64


def test_fresh_adagrad_carries_its_initial_sums():
    """An Adagrad that has not stepped exports sum = initial_accumulator_value and step 0."""
    model = model_for("tanh")
    opt = our_optim.Adagrad(model.parameters(), lr=0.1, initial_accumulator_value=0.25)
    net = to_torch(model)
    topt = optimizer_to_torch(opt, net.parameters())
    assert torch.equal(
        topt.state[net[0].weight]["sum"], torch.full((4, 2), 0.25, dtype=torch.float64)
    )
    assert topt.state[net[0].weight]["step"].item() == 0.0


def test_param_groups_carry_over():
    """Weights and biases in two groups (different weight decay) train alike on both sides."""
    model = model_for("tanh")
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    biases = [n.b for layer in model.layers for n in layer.neurons]
    opt = our_optim.SGD(
        [{"params": weights, "weight_decay": 0.1}, {"params": biases, "lr": 0.05}],
        lr=0.1,
        momentum=0.9,
    )
    engine_steps(model, opt, None, N)
    net = to_torch(model)
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    topt = optimizer_to_torch(
        opt, [{"params": [m.weight for m in linears]}, {"params": [m.bias for m in linears]}]
    )
    assert [g["lr"] for g in topt.param_groups] == [0.1, 0.05]
    assert [g["weight_decay"] for g in topt.param_groups] == [0.1, 0.0]
    torch_steps(net, topt, None, N)

    reference = model_for("tanh")
    rnet = to_torch(reference)
    rlin = [m for m in rnet if isinstance(m, torch.nn.Linear)]
    ropt = torch.optim.SGD(
        [
            {"params": [m.weight for m in rlin], "weight_decay": 0.1},
            {"params": [m.bias for m in rlin], "lr": 0.05},
        ],
        lr=0.1,
        momentum=0.9,
    )
    torch_steps(rnet, ropt, None, 2 * N)
    assert close(numbers_of(net), numbers_of(rnet))


def test_flat_torch_params_split_between_layer_groups():
    """One group per layer and the flat net.parameters(): split at layer boundaries."""
    model = model_for("relu")
    opt = our_optim.Adam(
        [
            {"params": layer.parameters(), "lr": 0.01 * (k + 1)}
            for k, layer in enumerate(model.layers)
        ]
    )
    engine_steps(model, opt, None, 2)
    net = to_torch(model)
    topt = optimizer_to_torch(opt, net.parameters())
    assert [len(g["params"]) for g in topt.param_groups] == [2, 2, 2]
    assert [g["lr"] for g in topt.param_groups] == [0.01, 0.02, 0.03]
    back = optimizer_from_torch(topt, from_torch(net).parameters())
    assert [len(g["params"]) for g in back.param_groups] == [12, 15, 4]
    assert back.state_dict() == opt.state_dict()


def test_optimizer_transfer_refuses_mismatched_parameters():
    """Another model's numbers, a wrong order or a wrong count is a ValueError naming it."""
    model = model_for("tanh")
    opt = our_optim.SGD(model.parameters(), lr=0.1)
    other = to_torch(model_for("tanh", seed=99))
    with pytest.raises(ValueError, match="optimizer_to_torch: parameter .*group 0, index 0"):
        optimizer_to_torch(opt, other.parameters())
    net = to_torch(model)
    with pytest.raises(ValueError, match="optimizer_to_torch"):
        optimizer_to_torch(opt, list(net.parameters())[::-1])
    with pytest.raises(ValueError, match="optimizer_to_torch: the optimizer has 31 parameters"):
        optimizer_to_torch(opt, list(net.parameters())[:4])
    topt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="optimizer_from_torch: .*index 0"):
        optimizer_from_torch(topt, model_for("tanh", seed=99).parameters())
    with pytest.raises(ValueError, match="optimizer_from_torch: the torch optimizer has 31"):
        optimizer_from_torch(topt, model.parameters()[:5])


def test_optimizer_transfer_type_errors():
    """Only the registered optimizers, each matched with its own twin, cross over."""
    net = to_torch(model_for("tanh"))
    with pytest.raises(TypeError, match="optimizer_from_torch: expected one of SGD"):
        optimizer_from_torch(torch.optim.LBFGS(net.parameters()), model_for("tanh"))
    with pytest.raises(TypeError, match="optimizer_to_torch: expected one of SGD"):
        optimizer_to_torch(torch.optim.SGD(net.parameters()), net.parameters())


def test_scheduler_needs_the_optimizer_carried_first():
    """A schedule moved onto an optimizer at other lrs is a ValueError; nothing is built."""
    model = model_for("tanh")
    opt = our_optim.SGD(model.parameters(), lr=0.1)
    sched = our_schedules.StepLR(opt, step_size=1, gamma=0.5)
    engine_steps(model, opt, sched, 2)
    net = to_torch(model)
    fresh = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler_to_torch: .*carry the optimizer over first"):
        scheduler_to_torch(sched, fresh)
    with pytest.raises(TypeError, match="scheduler_to_torch: expected one of StepLR"):
        scheduler_to_torch(object(), fresh)


def test_without_torch_import_works_and_calls_say_how_to_install():
    """With torch unimportable, `import nn.interop` works and each call raises the pip hint."""
    code = """
import sys
sys.modules["torch"] = None
import nn, nn.interop
from nn import MLP
from nn.interop import to_torch, from_torch, optimizer_to_torch, optimizer_from_torch
from nn.interop import scheduler_to_torch, scheduler_from_torch
calls = [lambda: to_torch(MLP(2, [1])), lambda: from_torch(None),
         lambda: optimizer_to_torch(None, []), lambda: optimizer_from_torch(None, []),
         lambda: scheduler_to_torch(None, None), lambda: scheduler_from_torch(None, None)]
for call in calls:
    try:
        call()
    except ImportError as error:
        assert 'pip install "autograd-engine[torch]"' in str(error), error
    else:
        raise AssertionError("no ImportError")
assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_importing_nn_interop_does_not_import_torch():
    """A fresh interpreter that imports nn.interop has not loaded torch."""
    code = "import sys, nn.interop; print('torch' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_to_torch_gradients_equal_backward():
    """The exported network's autograd gradients equal backward()'s, in nn order, to 1e-12."""
    model = model_for("sigmoid", "tanh")
    loss = mse_loss([model(x) for x in X], Y)
    loss.backward()
    net = to_torch(model)
    tloss = ((net(XT).squeeze(-1) - YT) ** 2).mean()
    tloss.backward()
    grads = []
    for m in net:
        if isinstance(m, torch.nn.Linear):
            for row, b in zip(m.weight.grad.tolist(), m.bias.grad.tolist()):
                grads += [*row, b]
    assert math.isclose(loss.data, tloss.item(), rel_tol=0, abs_tol=TOL)
    assert close([p.grad for p in model.parameters()], grads)


def _leaky(v: Value) -> Value:
    # x if x > 0 else 0.01 x, from relu alone: the stand-in while Value.leaky_relu is missing
    return v.relu() - (-v).relu() * 0.01


@pytest.fixture
def with_leaky_relu(monkeypatch):
    """ACTIVATIONS with "leaky_relu" (the engine's own when it has one)."""
    monkeypatch.setitem(ACTIVATIONS, "leaky_relu", ACTIVATIONS.get("leaky_relu", _leaky))


def test_leaky_relu_goes_both_ways(with_leaky_relu):
    """ "leaky_relu" is torch's default LeakyReLU (slope 0.01): same outputs, exact round trip."""
    model = MLP(2, [3, 1], activation="leaky_relu", output_activation="leaky_relu", seed=3)
    net = to_torch(model)
    assert type(net[1]) is torch.nn.LeakyReLU and net[1].negative_slope == 0.01
    inputs = [[-3.0, 2.0], [1.5, -4.0], [-2.0, -2.0]]
    out = net(torch.tensor(inputs, dtype=torch.float64)).squeeze(-1).tolist()
    assert close([model(x).data for x in inputs], out)
    assert min(out) < 0, "a negative output shows the leak"
    assert from_torch(net).state_dict() == model.state_dict()
    torch_built = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.LeakyReLU(), torch.nn.Linear(3, 1)
    )
    assert from_torch(torch_built).activation == "leaky_relu"


def test_leaky_relu_without_engine_support_is_refused(monkeypatch):
    """If the engine has no "leaky_relu", a LeakyReLU is a ValueError, not another activation."""
    monkeypatch.delitem(ACTIVATIONS, "leaky_relu", raising=False)
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(), torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"module \[1\] LeakyReLU.*no 'leaky_relu' activation"):
        from_torch(net)
