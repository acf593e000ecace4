"""Bad input gets a clear error naming the op, the operand and its label; nothing changes."""

from __future__ import annotations

import math

import pytest

from autograd_engine import Op, Value, grad, hessian, topological_order
from autograd_engine.core.value import apply_op


@pytest.mark.parametrize("bad", ["a", None, [1.0], 1 + 2j, True])
def test_value_rejects_non_numbers(bad):
    """Value('a') and friends are TypeErrors naming the type."""
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_value_rejects_non_finite(bad):
    """Non-finite data is a ValueError naming the label."""
    with pytest.raises(ValueError, match="finite.*'x'"):
        Value(bad, label="x")


def test_label_must_be_a_string():
    """A non-str label is a TypeError."""
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize("t", [0.0, -1.0])
def test_log_of_non_positive(t):
    """log(0) and log(-1) are ValueErrors naming log, the label and the value."""
    x = Value(t, label="x")
    with pytest.raises(ValueError, match=rf"log.*x = {t!r}"):
        x.log()


def test_zero_to_negative_power():
    """0 ** -1 is a ZeroDivisionError naming pow and the operand."""
    x = Value(0.0, label="z")
    with pytest.raises(ZeroDivisionError, match=r"pow.*z = 0\.0"):
        x**-1
    with pytest.raises(ZeroDivisionError, match="powv"):
        x ** Value(-2.0)


def test_division_by_zero():
    """x / 0 and x / Value(0) are ZeroDivisionErrors naming div and the divisor."""
    x, zero = Value(1.0, label="x"), Value(0.0, label="d")
    with pytest.raises(ZeroDivisionError, match=r"div.*d = 0\.0"):
        x / zero
    with pytest.raises(ZeroDivisionError, match="div"):
        x / 0
    with pytest.raises(ZeroDivisionError, match="div"):
        1 / zero


def test_negative_base_with_value_exponent():
    """(-2) ** y for a Value y is a ValueError naming the base's label."""
    base, y = Value(-2.0, label="b"), Value(2.0, label="y")
    with pytest.raises(ValueError, match=r"powv.*b = -2\.0"):
        base**y
    with pytest.raises(ValueError, match="negative base"):
        (-2) ** y


def test_negative_base_with_fractional_constant_exponent():
    """(-8) ** 0.5 would be complex: a ValueError, while (-2) ** 3 is fine."""
    x = Value(-8.0, label="x")
    with pytest.raises(ValueError, match="integer exponent"):
        x**0.5
    assert (Value(-2.0) ** 3).data == -8.0


def test_overflow_is_an_error_not_inf():
    """exp(1000) and 1e308 * 10 raise OverflowError naming the op."""
    with pytest.raises(OverflowError, match="exp"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match="mul"):
        Value(1e308) * 10


def test_failed_op_changes_nothing():
    """A failing op leaves its operands' data, grad and graph as they were."""
    x = Value(-1.0, label="x")
    y = x * 2
    before = [(n.data, n.grad, n.parents) for n in topological_order(y)]
    with pytest.raises(ValueError):
        x.log()
    assert [(n.data, n.grad, n.parents) for n in topological_order(y)] == before


def test_unsupported_operand_is_type_error():
    """Value + 'a' is a TypeError (Python's 'unsupported operand' message)."""
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Value(1.0)
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) ** "a"
    with pytest.raises(TypeError, match="dot"):
        Value.dot([Value(1.0)], ["x"])


def test_sum_and_dot_reject_bad_shapes():
    """Empty sums and mismatched dot products are ValueErrors."""
    with pytest.raises(ValueError, match="sum"):
        Value.sum([])
    with pytest.raises(ValueError, match="equal length"):
        Value.dot([Value(1.0)], [Value(1.0), Value(2.0)])


def test_infinite_derivative_raises_in_backward_and_changes_no_grad():
    """sqrt at 0 has an infinite slope: backward raises naming pow and leaves .grad alone."""
    x = Value(0.0, label="x")
    y = x**0.5 + x
    with pytest.raises(ZeroDivisionError, match="backward through pow"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0


def test_overflowing_gradient_raises_and_changes_nothing():
    """Forward finite but dz/dx = 1e300 * 1e300 = inf: FloatingPointError, no .grad written."""
    x = Value(1e-300, label="x")
    y = x * 1e300  # 1.0
    z = y * 1e300  # 1e300, finite
    message = (
        r"^backward: the gradient of node \(label 'x'\) \(data=1e-300, op='leaf'\) is not "
        r"finite \(inf\); no \.grad was changed$"
    )
    with pytest.raises(FloatingPointError, match=message):
        z.backward()
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0


def test_accumulated_gradient_overflow_raises_and_changes_nothing():
    """Adding a finite gradient to a .grad near the float limit would give inf: raise, keep all."""
    x = Value(2.0, label="x")
    y = x * 1e307
    x.grad = 1.79e308
    with pytest.raises(FloatingPointError, match="not finite"):
        y.backward()
    assert x.grad == 1.79e308 and y.grad == 0.0


def test_backward_rejects_bad_gradient():
    """backward(gradient=nan) and backward(gradient='a') are rejected."""
    x = Value(1.0)
    with pytest.raises(ValueError, match="finite"):
        x.backward(gradient=float("nan"))
    with pytest.raises(TypeError):
        x.backward(gradient="a")
    assert x.grad == 0.0


def test_grad_rejects_non_values():
    """grad and hessian need Value output and Value inputs."""
    x = Value(1.0)
    with pytest.raises(TypeError, match="output"):
        grad(1.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[1\]"):
        grad(x * x, [x, 2.0])
    with pytest.raises(TypeError):
        hessian(x * x, [3.0])


def test_non_finite_number_operand_names_the_op():
    """x * inf and x + 10**400 are ValueErrors naming the op, not silent infs."""
    x = Value(2.0, label="x")
    with pytest.raises(ValueError, match="mul: operand.*finite"):
        x * math.inf
    with pytest.raises(ValueError, match="add: operand.*finite"):
        x + 10**400
    with pytest.raises(ValueError, match="finite"):
        Value(10**400)


def test_custom_op_with_wrong_number_of_terms_is_an_error():
    """A vjp returning fewer terms than inputs raises TypeError naming the op, not a silent 0."""
    short = Op("short", lambda a, b: a * b, lambda g, out, a, b: (g * b,))
    x, z = Value(1.5), Value(2.0)
    y = apply_op(short, x, z)
    with pytest.raises(TypeError, match=r"short.*sequence of 2 terms, one per input, got tuple"):
        grad(y, [x, z])
    with pytest.raises(TypeError, match="short"):
        y.backward()
    assert x.grad == 0.0 and z.grad == 0.0


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("kind", ["tuple", "list", "array"])
def test_custom_op_with_too_few_or_too_many_terms_of_any_kind(kind, count):
    """A binary op's vjp returning 1 or 3 terms, as a tuple, a list or a numpy array: a
    TypeError naming the op from grad and from backward; no term is dropped or made up.
    Two terms, of any of these kinds, are taken: d(a b)/da = b = 2, d/db = a = 1.5."""
    if kind == "array":
        make = pytest.importorskip("numpy").array
    else:
        make = {"tuple": tuple, "list": list}[kind]
    wrong = Op("wrong", lambda a, b: a * b, lambda g, out, a, b: make([g * b, g * a, g][:count]))
    x, z = Value(1.5), Value(2.0)
    y = apply_op(wrong, x, z)
    if count == 2:
        assert [float(d) for d in grad(y, [x, z])] == [2.0, 1.5]
        y.backward()
        assert (x.grad, z.grad) == (2.0, 1.5)
        return
    with pytest.raises(TypeError, match=r"wrong.*must return a sequence of 2 terms, one per"):
        grad(y, [x, z])
    with pytest.raises(TypeError, match=r"wrong.*must return a sequence of 2 terms, one per"):
        y.backward()
    assert x.grad == 0.0 and z.grad == 0.0


@pytest.mark.parametrize("count", [2, 3, 4])
@pytest.mark.parametrize("kind", ["tuple", "list", "array"])
def test_three_input_op_with_too_few_or_too_many_terms_of_any_kind(kind, count):
    """As above for an op of three inputs (the sweeps' other path): 2 or 4 terms are a
    TypeError naming the op from grad and from backward, changing no .grad, even when the
    input left without a term gets one elsewhere (y = abc + c); 3 are taken:
    dy/da = b c = -6, dy/db = a c = -4.5, dy/dc = a b + 1 = 4."""
    if kind == "array":
        make = pytest.importorskip("numpy").array
    else:
        make = {"tuple": tuple, "list": list}[kind]
    wrong = Op(
        "wrong3",
        lambda a, b, c: a * b * c,
        lambda g, out, a, b, c: make([g * b * c, g * a * c, g * a * b, g][:count]),
    )
    x, z, w = Value(1.5), Value(2.0), Value(-3.0)
    y = apply_op(wrong, x, z, w) + w
    if count == 3:
        assert [float(d) for d in grad(y, [x, z, w])] == [-6.0, -4.5, 4.0]
        y.backward()
        assert (x.grad, z.grad, w.grad) == (-6.0, -4.5, 4.0)
        return
    with pytest.raises(TypeError, match=r"wrong3.*must return a sequence of 3 terms, one per"):
        grad(y, [x, z, w])
    with pytest.raises(TypeError, match=r"wrong3.*must return a sequence of 3 terms, one per"):
        y.backward()
    assert x.grad == 0.0 and z.grad == 0.0 and w.grad == 0.0


def test_a_term_that_overflows_is_named_on_floats_and_on_values():
    """A vjp whose arithmetic overflows: on floats (backward) the op's OverflowError, named
    as a local derivative that is not finite; on Values (create_graph, where the op making
    the term refuses an infinite result) the FloatingPointError of a gradient that is not
    finite, naming the node the term came from."""
    x = Value(1.0)
    steep = Op("steep", lambda a: a, lambda g, out, a: (g * math.exp(1000.0 * a),))
    with pytest.raises(OverflowError, match=r"^backward through steep: the local derivative"):
        steep(x).backward()
    assert x.grad == 0.0
    w = Value(1e-300)
    z = w * 1e300 * 1e300  # finite forward; the term for w, 1e300 * 1e300, is not
    with pytest.raises(FloatingPointError, match=r"^backward through mul: a gradient term is"):
        grad(z, [w], create_graph=True)


def test_a_numpy_array_of_terms_for_an_op_of_300_inputs_is_taken():
    """Lengths compared by value: 300 inputs (beyond the ints CPython shares) and a vjp
    returning a numpy array of 300 terms: d(sum of k x_k)/d x_k = k."""
    np = pytest.importorskip("numpy")
    weighted = Op(
        "weighted",
        lambda *a: sum(k * v for k, v in enumerate(a)),
        lambda g, out, *a: np.arange(len(a)) * g,
    )
    xs = [Value(1.0) for _ in range(300)]
    apply_op(weighted, *xs).backward()
    assert [x.grad for x in xs] == [float(k) for k in range(300)]


def test_a_sum_of_finite_terms_that_overflows_is_named_on_floats_and_on_values():
    """x reaches y along two paths, each passing 1e308: the gradient's sum overflows. grad
    says so for the input; under create_graph the sum is a Value op, whose OverflowError
    becomes the FloatingPointError of a gradient that is not finite."""
    x = Value(1e-300)
    y = x * 1e308 + x * 1e308  # forward 2.0
    with pytest.raises(FloatingPointError, match=r"grad: d output / d inputs\[0\] is not finite"):
        grad(y, [x])
    with pytest.raises(FloatingPointError, match=r"^backward through mul: a gradient is not fin"):
        grad(y, [x], create_graph=True)


@pytest.mark.parametrize("terms", ["ab", b"ab", {0: 1.0, 1: 2.0}], ids=["str", "bytes", "dict"])
def test_custom_op_whose_vjp_returns_a_str_or_a_dict_of_the_right_length_is_named(terms):
    """A str, bytes or dict has a length and items, but is not a sequence of terms: the
    sweep that checks every term (backprop_terms, the plain one) says so, naming the op."""
    from autograd_engine.core import graph

    odd = Op("odd", lambda a, b: a * b, lambda g, out, a, b: terms)
    x, z = Value(1.5), Value(2.0)
    with pytest.raises(TypeError, match=r"odd.*must return a sequence of 2 terms, one per input"):
        graph.backprop_terms(apply_op(odd, x, z), 1.0)


@pytest.mark.parametrize("terms", [b"ab", {0: 1.0, 1: 2.0}, b"a", {0: 1.0}], ids=repr)
def test_backward_refuses_bytes_or_a_dict_as_the_terms(terms):
    """bytes and a dict of the right length are no sequence of terms (unpacked, they would
    give the byte values or the keys as gradients): refused for a binary and a unary op,
    and no gradient is written."""
    n = len(terms)
    if n == 2:
        odd = Op("odd", lambda a, b: a * b, lambda g, out, a, b: terms)
    else:
        odd = Op("odd", lambda a: 2.0 * a, lambda g, out, a: terms)
    xs = [Value(1.5), Value(2.0)][:n]
    with pytest.raises(TypeError, match=rf"odd.*must return a sequence of {n} terms?, one per"):
        apply_op(odd, *xs).backward()
    assert [x.grad for x in xs] == [0.0] * n


def test_custom_op_must_return_a_float():
    """A forward returning a complex number is a TypeError, never stored as data."""
    root = Op("root", lambda a: a**0.5, lambda g, out, a: (g * 0.5 / out,))
    with pytest.raises(TypeError, match="root: forward must return a float"):
        apply_op(root, -4.0)


def test_grad_reports_a_non_finite_derivative():
    """grad() of a graph whose derivative overflows raises FloatingPointError naming the input."""
    x = Value(1e-300, label="x")
    z = x * 1e300 * 1e300
    with pytest.raises(FloatingPointError, match="inputs\\[0\\].*'x'"):
        grad(z, [x])
    with pytest.raises(TypeError, match="grad: inputs must be a list of Values"):
        grad(z, x)


# -- one style: TypeError for a type, ValueError for a value, owner and argument first ------


def test_a_bad_operand_names_the_value_on_the_other_side():
    """x + nan and x + 'a' name the op and x (label and data), on either side."""
    x = Value(2.0, label="x")
    for call in (lambda: x + math.nan, lambda: math.nan + x, lambda: x * math.inf):
        with pytest.raises(ValueError, match=r"^(add|mul): operand .*finite.*x = 2\.0"):
            call()
    for call, op in ((lambda: x + "a", "add"), (lambda: "a" - x, "sub"), (lambda: x / None, "div")):
        with pytest.raises(TypeError, match=rf"^{op}: .*x = 2\.0"):
            call()
    for bad in (True, 1j, [1.0]):
        with pytest.raises(TypeError, match=r"^mul: .*x = 2\.0"):
            x * bad


def test_foreign_types_still_get_their_reflected_method():
    """A type that knows how to combine with a Value (its own __radd__) is still asked."""

    class Shifted:
        def __radd__(self, other):
            return ("radd", other)

    x = Value(1.0)
    assert (x + Shifted())[0] == "radd"


class DomainError(Exception):
    """A user's exception class whose constructor does not take a message."""

    def __init__(self, code):
        super().__init__(f"code {code}")
        self.code = code


def test_a_custom_error_class_survives_the_engine():
    """A custom op's own error class reaches the caller (same instance, with a note)."""

    def domain(a):
        return DomainError(7) if a < 0 else None

    op = Op("checked", lambda a: a, lambda g, out, a: (g,), domain=domain)
    with pytest.raises(DomainError) as info:
        apply_op(op, -1.0)
    assert info.value.code == 7
    assert any("checked" in note for note in getattr(info.value, "__notes__", []))

    def vjp(g, out, a):
        raise DomainError(9)

    bad = Op("bad_vjp", lambda a: a, vjp)
    x = Value(1.0, label="x")
    y = apply_op(bad, x)
    with pytest.raises(DomainError) as info:
        y.backward()
    assert info.value.code == 9 and x.grad == 0.0


@pytest.mark.parametrize("inputs", [None, 5, "ab", {"x": 1}])
def test_grad_and_hessian_name_a_non_sequence(inputs):
    """grad(y, None), grad(y, 5), hessian(y, x): TypeError naming the function and inputs."""
    x = Value(1.0, label="x")
    y = x * x
    with pytest.raises(TypeError, match="^grad: inputs must be"):
        grad(y, inputs)
    with pytest.raises(TypeError, match="^hessian: inputs must be"):
        hessian(y, inputs)
    with pytest.raises(TypeError, match="^hessian: inputs must be a list of Values"):
        hessian(y, x)


def test_backward_gradient_is_checked_by_name():
    """y.backward(nan) names backward, the argument and y's label; no .grad changes."""
    x = Value(1.0)
    y = x * 2
    y.label = "y"
    with pytest.raises(ValueError, match=r"^backward: gradient must be finite, got nan.*'y'"):
        y.backward(math.nan)
    with pytest.raises(TypeError, match="^backward: gradient must be a real number"):
        y.backward("1")
    assert x.grad == 0.0


def test_gradcheck_at_inputs_beyond_the_absolute_step():
    """gradcheck(x * 2, [1e11]) passes: the step is relative there (no ZeroDivisionError)."""
    from autograd_engine import gradcheck

    assert gradcheck(lambda a: a * 2, [1e11])
    assert gradcheck(lambda a: a * a, [-3e15], check_second_order=True)
    with pytest.raises(ValueError, match="^gradcheck: eps=1e-20 is below the rounding step"):
        gradcheck(lambda a: a * 2, [1.0], eps=1e-20)


@pytest.mark.parametrize("name", ["lr", "eps", "weight_decay"])
def test_huge_hyperparameters_are_value_errors_not_overflow(name):
    """An lr, eps or weight_decay of 10**400 says it must be finite (no 'int too large')."""
    from nn.optim import Adam

    with pytest.raises(ValueError, match=rf"^Adam: {name} must be finite"):
        Adam([Value(1.0)], **{name: 10**400})


def test_clip_grad_norm_rejects_negative_and_nan_max_norm():
    """max_norm may be inf (no clipping) but not negative, nan or 10**400; grads unchanged."""
    from nn.optim import clip_grad_norm_

    p = Value(1.0)
    p.grad = 3.0
    for bad in (-1.0, math.nan):
        with pytest.raises(ValueError, match="^clip_grad_norm_: max_norm"):
            clip_grad_norm_([p], bad)
    with pytest.raises(ValueError, match="^clip_grad_norm_: max_norm .*beyond the float range"):
        clip_grad_norm_([p], 10**400)
    assert p.grad == 3.0
    assert clip_grad_norm_([p], math.inf) == 3.0 and p.grad == 3.0


def test_optimizer_state_fields_are_checked():
    """Adam.load_state_dict refuses unknown fields and a state missing exp_avg_sq."""
    from nn.optim import SGD, Adam

    p = Value(1.0)
    opt = Adam([p], lr=0.1, amsgrad=True)
    p.grad = 1.0
    opt.step()
    good = opt.state_dict()
    before = opt.state_dict()
    for change in ("extra", "missing"):
        state = {"state": {0: dict(good["state"][0])}, "param_groups": good["param_groups"]}
        if change == "extra":
            state["state"][0]["bogus"] = 0.0
        else:
            del state["state"][0]["exp_avg_sq"]
        with pytest.raises(ValueError, match=r"^Adam.load_state_dict: state\[0\] has the wrong"):
            opt.load_state_dict(state)
    assert opt.state_dict() == before
    with pytest.raises(TypeError, match="^Adam.load_state_dict: state_dict must be a dict"):
        opt.load_state_dict(None)
    sgd = SGD([Value(1.0)], lr=0.1)  # no momentum: a buffer would be a foreign field
    with pytest.raises(ValueError, match="unexpected"):
        sgd.load_state_dict(
            {
                "state": {0: {"momentum_buffer": 1.0}},
                "param_groups": sgd.state_dict()["param_groups"],
            }
        )


def test_schedules_check_what_they_load_and_step_on():
    """load_state_dict(None), unknown keys, step('0.5') and step(True): clear errors."""
    from nn.optim import SGD
    from nn.schedules import ReduceLROnPlateau, StepLR

    opt = SGD([Value(1.0)], lr=0.1)
    sched = StepLR(opt, 2)
    before = sched.state_dict()
    with pytest.raises(TypeError, match="^StepLR.load_state_dict: state_dict must be a dict"):
        sched.load_state_dict(None)
    with pytest.raises(ValueError, match="unexpected"):
        sched.load_state_dict({**before, "surprise": 1})
    with pytest.raises(TypeError, match="last_epoch"):
        sched.load_state_dict({**before, "last_epoch": "3"})
    assert sched.state_dict() == before
    plateau = ReduceLROnPlateau(opt)
    for bad in ("0.5", True, None):
        with pytest.raises(TypeError, match="^ReduceLROnPlateau.step: metrics"):
            plateau.step(bad)
    assert plateau.num_bad_epochs == 0 and plateau.last_epoch == 0
    plateau.step(Value(0.5))
    assert plateau.best == 0.5


def test_fit_keeps_a_custom_loss_error_class():
    """fit re-raises a loss's own exception class (with a note), not an unrelated TypeError."""
    from nn import MLP
    from nn.optim import SGD
    from nn.train import fit

    class LossError(ValueError):
        def __init__(self, code):
            super().__init__(f"loss code {code}")

    def loss(preds, targets):
        raise LossError(3)

    model = MLP(1, [1], seed=0)
    with pytest.raises(LossError) as info:
        fit(model, [[0.0]], [0.0], loss=loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=1)
    assert any("example 0" in note for note in info.value.__notes__)


def test_custom_op_whose_vjp_returns_a_bare_number_is_named():
    """A vjp that returns a number where a one-term tuple is meant is a TypeError naming the
    op and saying what it must return, not "object of type 'float' has no len()"."""
    bare = Op("bare", lambda a: 2.0 * a, lambda g, out, a: 2.0 * g)
    x = Value(1.5, label="x")
    y = bare(x)
    with pytest.raises(TypeError, match=r"bare.*must return a sequence of 1 terms.*got float 2.0"):
        y.backward()
    assert x.grad == 0.0
