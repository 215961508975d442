"""nn.init: the statistics of each initialiser, fan computation, dtype/device, reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minidl as mdl
from minidl import nn
from minidl.nn import init


def values(tensor):
    return tensor.numpy().astype(np.float64)


def test_D4_seed_normal():
    """FORMULAS D4: w ~ N(0, 1/√fan_in), standard deviation 1/√fan_in."""
    fan_in = 400
    weight = init.seed_normal(nn.Parameter(np.zeros((1000, fan_in), dtype=np.float32)))
    drawn = values(weight)
    expected_std = 1 / math.sqrt(fan_in)
    assert drawn.std() == pytest.approx(expected_std, rel=0.01)  # 400,000 draws: ~0.1% noise
    assert abs(drawn.mean()) < 4 * expected_std / math.sqrt(drawn.size)


def test_D4_seed_normal_of_a_bias_takes_an_explicit_fan_in():
    bias = init.seed_normal((100_000,), fan_in=25)
    assert values(bias).std() == pytest.approx(1 / math.sqrt(25), rel=0.01)


def test_he_normal_std_is_sqrt_two_over_fan_in():
    weight = init.he_normal((500, 800))
    assert values(weight).std() == pytest.approx(math.sqrt(2 / 800), rel=0.01)


def test_xavier_uniform_bound_and_variance():
    fan_out, fan_in = 300, 500
    drawn = values(init.xavier_uniform((fan_out, fan_in)))
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert drawn.min() >= -bound and drawn.max() <= bound
    assert drawn.max() > 0.99 * bound and drawn.min() < -0.99 * bound
    assert drawn.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.02)


def test_zeros():
    assert not np.any(values(init.zeros(nn.Parameter(np.ones((3, 2))))))


def test_fan_in_and_fan_out_of_dense_and_conv_weights():
    assert init.fan_in_and_fan_out((10, 784)) == (784, 10)
    assert init.fan_in_and_fan_out((32, 3, 3, 3)) == (27, 288)
    with pytest.raises(ValueError, match="fan_in="):
        init.he_normal((5,))


def test_initialisers_fill_in_place_keeping_identity_dtype_and_device(backend):
    for dtype in (np.float32, np.float64):
        parameter = nn.Parameter(backend.xp.zeros((4, 6), dtype=dtype))
        for initialiser in (init.seed_normal, init.he_normal, init.xavier_uniform):
            assert initialiser(parameter) is parameter
            assert parameter.dtype == dtype and parameter.device == backend.name
            assert np.any(values(parameter) != 0)


def test_same_seed_gives_the_same_weights_on_every_backend(backend):
    with mdl.use_backend("numpy"):
        mdl.manual_seed(42)
        reference = nn.Conv2d(3, 4, 3).state_dict()
    mdl.manual_seed(42)
    again = nn.Conv2d(3, 4, 3)
    assert again.weight.device == backend.name
    for name, value in again.state_dict().items():
        np.testing.assert_array_equal(value, reference[name])
    mdl.manual_seed(43)
    assert not np.array_equal(nn.Conv2d(3, 4, 3).state_dict()["weight"], reference["weight"])


def test_layer_defaults_he_normal_weights_and_zero_biases():
    layer = nn.Linear(1000, 400)
    assert layer.weight.dtype == np.float32
    assert values(layer.weight).std() == pytest.approx(math.sqrt(2 / 1000), rel=0.01)
    assert not np.any(values(layer.bias))
    conv = nn.Conv2d(16, 64, 3, dtype=np.float64)
    assert conv.weight.dtype == np.float64
    assert values(conv.weight).std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.05)


def test_initialiser_refuses_what_it_cannot_fill():
    with pytest.raises(TypeError, match="shape"):
        init.he_normal("weights")
    with pytest.raises(TypeError, match="floating-point"):
        init.zeros(mdl.tensor(np.arange(3)))
    with pytest.raises(ValueError, match="fan_in must be a positive"):
        init.seed_normal((3,), fan_in=0)
