"""The worked sigmoid example against the published values, a hand derivation and PyTorch.

Published worked example (lecture notes "Backpropagation and Optimization", 3.1.2):
f = sigmoid(w0*x0 + w1*x1 + w2) at w = (2, -3, -3), x = (-1, -2) gives
dw = (-0.20, -0.4, 0.2). By hand: z = 1, f = 1/(1 + e^-1), df/dz = f(1 - f), and
dw_i = x_i df/dz (dw2 = df/dz), dx_i = w_i df/dz.
"""

from __future__ import annotations

import math

import pytest

from autograd_engine import topological_order
from autograd_engine.examples import sigmoid_neuron

F = 0.7310585786300049
DW = (-0.19661193324148185, -0.3932238664829637, 0.19661193324148185)
DX = (0.3932238664829637, -0.5898357997244456)


def test_forward_value_and_intermediates_match_the_hand_computation():
    """w0x0 = -2, w1x1 = 6, s = 4, z = 1 and f = 1/(1 + e^-1)."""
    f, nodes = sigmoid_neuron()
    assert nodes["f"] is f
    expected = {"w0": 2, "w1": -3, "w2": -3, "x0": -1, "x1": -2}
    expected.update({"w0x0": -2, "w1x1": 6, "s": 4, "z": 1})
    for label, data in expected.items():
        assert nodes[label].data == data
    assert f.data == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-15)
    assert f.data == pytest.approx(F, abs=1e-15)


def test_gradients_match_the_published_and_hand_derived_values():
    """backward() gives the published dw = (-0.20, -0.4, 0.2) and dx = w * f(1 - f)."""
    f, nodes = sigmoid_neuron()
    f.backward()
    dw = [nodes[k].grad for k in ("w0", "w1", "w2")]
    dx = [nodes[k].grad for k in ("x0", "x1")]
    assert dw == pytest.approx([-0.20, -0.4, 0.2], abs=0.01)  # the notes round to 1-2 decimals
    assert dw == pytest.approx(DW, abs=1e-15)
    assert dx == pytest.approx(DX, abs=1e-15)
    s = 1 / (1 + math.exp(-1))
    local = s * (1 - s)  # sigma'(z) at z = 1
    assert dw == pytest.approx([-1 * local, -2 * local, local], abs=1e-15)
    assert dx == pytest.approx([2 * local, -3 * local], abs=1e-15)


def test_every_node_is_labelled_and_named_in_the_dict():
    """The dict holds all 10 nodes of the graph under their own labels; leaves are the inputs."""
    f, nodes = sigmoid_neuron()
    order = topological_order(f)
    assert len(order) == 10
    assert {node.label for node in order} == set(nodes)
    assert all(nodes[node.label] is node for node in order)
    leaves = {node.label for node in order if not node.parents}
    assert leaves == {"w0", "w1", "w2", "x0", "x1"}
    assert (nodes["f"].op, nodes["z"].op, nodes["w0x0"].op) == ("sigmoid", "add", "mul")
    assert nodes["z"].parents == (nodes["s"], nodes["w2"])


def test_building_leaves_gradients_at_zero():
    """sigmoid_neuron only builds the graph: every .grad is 0 until backward()."""
    f, _ = sigmoid_neuron()
    assert all(node.grad == 0.0 for node in topological_order(f))


def test_other_inputs_match_central_differences():
    """For other w and x, each gradient agrees with a central difference of f."""
    w, x = (0.5, 1.5, -1.0), (2.0, -1.0)
    f, nodes = sigmoid_neuron(w, x)
    f.backward()

    def f_of(w, x):
        z = w[0] * x[0] + w[1] * x[1] + w[2]
        return 1 / (1 + math.exp(-z))

    h = 1e-6
    for i in range(3):
        up, down = list(w), list(w)
        up[i] += h
        down[i] -= h
        numeric = (f_of(up, x) - f_of(down, x)) / (2 * h)
        assert nodes[f"w{i}"].grad == pytest.approx(numeric, abs=1e-9)
    for i in range(2):
        up, down = list(x), list(x)
        up[i] += h
        down[i] -= h
        numeric = (f_of(w, up) - f_of(w, down)) / (2 * h)
        assert nodes[f"x{i}"].grad == pytest.approx(numeric, abs=1e-9)


def test_matches_pytorch():
    """The same expression in PyTorch (float64) gives the same value and gradients."""
    torch = pytest.importorskip("torch")
    w = torch.tensor([2.0, -3.0, -3.0], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([-1.0, -2.0], dtype=torch.float64, requires_grad=True)
    out = torch.sigmoid(w[0] * x[0] + w[1] * x[1] + w[2])
    out.backward()
    f, nodes = sigmoid_neuron()
    f.backward()
    assert f.data == pytest.approx(out.item(), abs=1e-15)
    assert [nodes[f"w{i}"].grad for i in range(3)] == pytest.approx(w.grad.tolist(), abs=1e-15)
    assert [nodes[f"x{i}"].grad for i in range(2)] == pytest.approx(x.grad.tolist(), abs=1e-15)


def test_bad_inputs_raise_errors_naming_the_argument():
    """Wrong lengths, non-sequences, non-numbers and non-finite numbers raise clear errors."""
    with pytest.raises(ValueError, match=r"w must have 3 numbers, got 2"):
        sigmoid_neuron(w=(1, 2))
    with pytest.raises(ValueError, match=r"x must have 2 numbers, got 3"):
        sigmoid_neuron(x=(1, 2, 3))
    with pytest.raises(TypeError, match=r"x must be a sequence of 2 numbers, got str 'ab'"):
        sigmoid_neuron(x="ab")
    with pytest.raises(TypeError, match=r"w\[1\] must be a real number, got str 'a'"):
        sigmoid_neuron(w=(1, "a", 2))
    with pytest.raises(TypeError, match=r"w\[0\] must be a real number, got bool True"):
        sigmoid_neuron(w=(True, 1, 2))
    with pytest.raises(ValueError, match=r"finite, got nan \(label 'x1'\)"):
        sigmoid_neuron(x=(1.0, float("nan")))
