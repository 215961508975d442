"""Layers: forward values against plain NumPy, gradients by gradcheck, and teaching errors."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.ops.conv import conv2d_simple

RNG = np.random.default_rng(0)


def host(shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def as_input(array):
    return mdl.tensor(array)


# ---------------------------------------------------------------------------- NumPy references


def conv2d_reference(x, weight, bias, stride, padding):
    """conv2d_simple (the plainest statement of FORMULAS N2) on host arrays."""
    inputs = (mdl.tensor(x), mdl.tensor(weight), mdl.tensor(bias))
    return conv2d_simple(*inputs, stride=stride, padding=padding).numpy()


def pool_reference(x, size, reduce):
    batch, channels, height, width = x.shape
    out_h, out_w = height // size, width // size
    windows = x[:, :, : out_h * size, : out_w * size].reshape(
        batch, channels, out_h, size, out_w, size
    )
    return reduce(windows, axis=(3, 5))


# ---------------------------------------------------------------------------- forward values


def test_linear_forward_is_x_W_transpose_plus_b(backend):
    layer = nn.Linear(5, 3, dtype=np.float64)
    x = host((4, 5))
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(as_input(x)).numpy(), expected, rtol=1e-12)
    assert layer(as_input(x)).device == backend.name


def test_linear_without_bias():
    layer = nn.Linear(5, 3, bias=False)
    assert layer.bias is None and len(list(layer.parameters())) == 1
    x = host((2, 5), np.float32)
    np.testing.assert_allclose(layer(as_input(x)).numpy(), x @ layer.weight.numpy().T, rtol=1e-5)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (1, 2)])
def test_conv2d_forward_matches_loops(backend, stride, padding):
    layer = nn.Conv2d(2, 3, 3, stride=stride, padding=padding, dtype=np.float64)
    nn.init.seed_normal(layer.bias, fan_in=18)  # non-zero, so the bias is checked too
    x = host((2, 2, 6, 5))
    expected = conv2d_reference(x, layer.weight.numpy(), layer.bias.numpy(), stride, padding)
    np.testing.assert_allclose(layer(as_input(x)).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_pooling_forward(backend):
    x = host((2, 3, 6, 7))
    np.testing.assert_array_equal(
        nn.MaxPool2d(2)(as_input(x)).numpy(), pool_reference(x, 2, np.max)
    )
    np.testing.assert_allclose(nn.AvgPool2d(3)(as_input(x)).numpy(), pool_reference(x, 3, np.mean))
    assert nn.MaxPool2d(2, stride=1)(as_input(x)).shape == (2, 3, 5, 6)


def test_activations_forward(backend):
    x = host((3, 4))
    tensor = as_input(x)
    np.testing.assert_array_equal(nn.ReLU()(tensor).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(tensor).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(nn.Tanh()(tensor).numpy(), np.tanh(x), rtol=1e-12)
    for axis in (-1, 0):
        expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(nn.Softmax(axis)(tensor).numpy(), expected, rtol=1e-12)


def test_flatten_keeps_the_batch_axis():
    x = host((2, 3, 4, 5))
    np.testing.assert_array_equal(nn.Flatten()(as_input(x)).numpy(), x.reshape(2, 60))


def test_dropout_zeroes_and_rescales_in_training_and_passes_through_in_eval(backend):
    layer = nn.Dropout(0.25)
    x = as_input(np.ones((200, 100)))
    dropped = layer(x).numpy()
    assert set(np.unique(dropped)) <= {0.0, 1 / 0.75}
    assert np.mean(dropped == 0) == pytest.approx(0.25, abs=0.01)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_dropout_is_reproducible_with_the_seed(backend):
    x = as_input(np.ones((10, 10)))
    mdl.manual_seed(3)
    first = nn.Dropout()(x).numpy()
    mdl.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout()(x).numpy(), first)


# ---------------------------------------------------------------------------- gradients


def gradcheck_model(model, x, reseed=None):
    """gradcheck of model(x) with respect to the input and every parameter, in float64.

    gradcheck differentiates with respect to its own float64 copies of the inputs, so the
    layers' Parameters are swapped for those copies while it runs, and put back after.
    """
    owners = [
        (module, name)
        for module in model.modules()
        for name, value in vars(module).items()
        if isinstance(value, nn.Parameter)
    ]
    originals = [getattr(module, name) for module, name in owners]

    def run(x, *weights):
        for (module, name), weight in zip(owners, weights):
            setattr(module, name, weight)
        if reseed is not None:
            mdl.manual_seed(reseed)  # the same dropout mask on every call
        return model(x)

    try:
        assert mdl.gradcheck(run, [mdl.tensor(x, requires_grad=True), *originals])
    finally:
        for (module, name), original in zip(owners, originals):
            setattr(module, name, original)


GRADCHECK_CASES = {
    "linear-tanh": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (2, 3)),
    "relu": (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), (3, 3)),
    "sigmoid": (lambda: nn.Sequential(nn.Linear(3, 2), nn.Sigmoid()), (2, 3)),
    "softmax": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Softmax(axis=1)), (2, 3)),
    "conv": (lambda: nn.Sequential(nn.Conv2d(2, 2, 3, padding=1)), (1, 2, 4, 4)),
    "conv-stride": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2, stride=2)), (2, 1, 4, 5)),
    "maxpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.MaxPool2d(2)), (1, 1, 5, 5)),
    "avgpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.AvgPool2d(2, stride=1)), (1, 1, 4, 4)),
    "flatten": (
        lambda: nn.Sequential(nn.Conv2d(1, 2, 2), nn.Flatten(), nn.Linear(8, 2)),
        (2, 1, 3, 3),
    ),
    "dropout": (lambda: nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5), nn.Linear(6, 2)), (3, 4)),
}


@pytest.mark.parametrize("case", list(GRADCHECK_CASES))
def test_gradcheck_through_each_layer_type(backend, case):
    make_model, input_shape = GRADCHECK_CASES[case]
    model = make_model()
    gradcheck_model(model, host(input_shape), reseed=11 if case == "dropout" else None)


def test_every_parameter_gets_a_gradient_of_its_shape():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 1))
    model(as_input(host((2, 1, 4, 4), np.float32))).sum().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.shape == parameter.shape, name
        assert parameter.grad.dtype == np.float32


# ---------------------------------------------------------------------------- teaching errors


def test_linear_on_an_unflattened_image_says_flatten_it():
    with pytest.raises(ValueError) as error:
        nn.Linear(784, 128)(as_input(np.zeros((64, 28, 28), dtype=np.float32)))
    assert str(error.value) == (
        "Linear(in_features=784) got input of shape (64, 28, 28); flatten it first, e.g. nn.Flatten()"
    )


def test_linear_wrong_feature_count_names_expected_and_received():
    with pytest.raises(ValueError, match=r"in_features=784.*\(batch, 784\).*\(64, 100\)"):
        nn.Linear(784, 10)(as_input(np.zeros((64, 100), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"4 features per sample .* expects 6"):
        nn.Linear(6, 2)(as_input(np.zeros((3, 2, 2), dtype=np.float32)))


def test_conv2d_needs_4d_input():
    with pytest.raises(ValueError, match=r"Conv2d\(in_channels=3\).*4-D.*\(3, 32, 32\)"):
        nn.Conv2d(3, 8, 3)(as_input(np.zeros((3, 32, 32), dtype=np.float32)))


def test_conv2d_wrong_channel_count_names_both():
    with pytest.raises(
        ValueError, match=r"expected 3 input channels.*\(2, 1, 8, 8\) with 1 channels"
    ):
        nn.Conv2d(3, 8, 3)(as_input(np.zeros((2, 1, 8, 8), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"channels-last \(NHWC\)"):
        nn.Conv2d(3, 8, 3)(as_input(np.zeros((2, 8, 8, 3), dtype=np.float32)))


def test_conv2d_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"kernel size \(5, 5\) is larger"):
        nn.Conv2d(1, 1, 5)(as_input(np.zeros((1, 1, 3, 3), dtype=np.float32)))


def test_pooling_needs_4d_input():
    with pytest.raises(ValueError, match=r"4-D input.*\(4, 4\)"):
        nn.MaxPool2d(2)(as_input(np.zeros((4, 4), dtype=np.float32)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nn.Linear(0, 3), "in_features must be a positive integer, got 0"),
        (lambda: nn.Conv2d(3, 8, kernel_size=(3, 3, 3)), "kernel_size must be an int or a pair"),
        (lambda: nn.Conv2d(3, 8, 3, padding=-1), "padding must be >= 0"),
        (lambda: nn.MaxPool2d(0), "kernel_size must be a positive integer"),
        (lambda: nn.Dropout(1.0), r"p must be in \[0, 1\), got 1.0"),
    ],
)
def test_bad_layer_settings_are_refused_when_the_layer_is_made(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_layer_reprs():
    assert repr(nn.Conv2d(3, 32, 3)) == "Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"
    assert repr(nn.Dropout(0.5)) == "Dropout(p=0.5)"
    assert repr(nn.Softmax()) == "Softmax(axis=-1)"
    assert repr(nn.Flatten()) == "Flatten()"


def test_a_list_given_to_a_model_is_a_clear_type_error():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with pytest.raises(
        TypeError, match=r"Linear\(in_features=2\) expected a Tensor .* got list; .*minidl.tensor"
    ):
        model([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"Conv2d\(in_channels=1\) expected a Tensor"):
        nn.Conv2d(1, 1, 3)([[[[0.0] * 5] * 5]])
    arrays = model[0].weight.backend.xp  # arrays are fine (on the model's device)
    assert model(arrays.ones((1, 2), np.float32)).shape == (1, 3)


@pytest.mark.parametrize("layer", [nn.Linear(4, 2), nn.Conv2d(1, 2, 3)])
def test_layers_refuse_integer_input(layer):
    shape = (2, 4) if isinstance(layer, nn.Linear) else (1, 1, 4, 4)
    with pytest.raises(TypeError, match="expected floating-point input, got dtype int64"):
        layer(mdl.tensor(np.ones(shape, np.int64)))
