"""One test per formula row (docs/formulas.md) for activations, losses and layers, on hand-computed
cases (numbers chosen so the answer can be worked out on paper)."""

from __future__ import annotations

import math

import numpy as np

import minidl as mdl
from minidl import functional as F


def _grad(tensor):
    return mdl.get_backend().to_host(tensor.grad)


def _leaf(values):
    return mdl.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# --------------------------------------------------------------------------- activations


def test_A1_relu(backend):
    """f(x) = max(0, x); f' = 1 for x ≥ 0 (1 at exactly 0, the documents' convention)."""
    x = _leaf([-2.0, -0.5, 0.0, 0.5, 3.0])
    y = F.relu(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(_grad(x), [0.0, 0.0, 1.0, 1.0, 1.0])


def test_A2_sigmoid(backend):
    """σ(x) = 1/(1 + e^(−x)): σ(0) = 1/2, σ(ln 3) = 1/(1 + 1/3) = 3/4; σ' = σ(1 − σ)."""
    x = _leaf([0.0, math.log(3), -math.log(3)])
    y = F.sigmoid(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.5, 0.75, 0.25])
    np.testing.assert_allclose(_grad(x), [0.25, 0.1875, 0.1875])


def test_A3_tanh(backend):
    """tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6; tanh' = 1 − tanh² = 0.64."""
    x = _leaf([0.0, math.log(2)])
    y = F.tanh(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, 0.6], atol=1e-15)
    np.testing.assert_allclose(_grad(x), [1.0, 0.64])


def test_A4_softmax(backend):
    """e^(z_i)/Σ e^(z_j) with z = (0, ln 2, ln 7): (1, 2, 7)/10."""
    z = mdl.tensor([[0.0, math.log(2), math.log(7)]], dtype="float64")
    np.testing.assert_allclose(F.softmax(z).numpy(), [[0.1, 0.2, 0.7]])
    np.testing.assert_allclose(F.log_softmax(z).numpy(), np.log([[0.1, 0.2, 0.7]]))


# --------------------------------------------------------------------------- losses


def test_L1_mse_mean(backend):
    """L = (1/n) Σ (y − ŷ)²: y = (1, 2, 3), ŷ = (1, 3, 5) → (0 + 1 + 4)/3; ∂L/∂ŷ = (2/n)(ŷ − y)."""
    prediction = _leaf([1.0, 3.0, 5.0])
    loss = F.mse_loss(prediction, [1.0, 2.0, 3.0], reduction="mean")
    loss.backward()
    np.testing.assert_allclose(loss.item(), 5 / 3)
    np.testing.assert_allclose(_grad(prediction), [0.0, 2 / 3, 4 / 3])


def test_L2_mse_half_sum(backend):
    """J = (1/2) Σ (y − ŷ)² on the same numbers → 5/2; ∂J/∂ŷ = ŷ − y (no 1/n)."""
    prediction = _leaf([1.0, 3.0, 5.0])
    loss = F.mse_loss(prediction, [1.0, 2.0, 3.0], reduction="half_sum")
    loss.backward()
    np.testing.assert_allclose(loss.item(), 2.5)
    np.testing.assert_allclose(_grad(prediction), [0.0, 1.0, 2.0])
    total = F.mse_loss(prediction.detach(), [1.0, 2.0, 3.0], reduction="sum")
    np.testing.assert_allclose(total.item(), 5.0)


def test_L3_cross_entropy(backend):
    """L = −(1/n) Σ y_i log ŷ_i: true-class probabilities 1/2 and 1/4 → (ln 2 + ln 4)/2.

    cross_entropy takes logits; log-probabilities are logits whose softmax is those
    probabilities (softmax(log P) = P)."""
    logits = mdl.tensor(np.log([[0.5, 0.5], [0.25, 0.75]]))
    loss = F.cross_entropy(logits, [0, 0])
    np.testing.assert_allclose(loss.item(), 1.5 * math.log(2))


def test_L4_cross_entropy_multiclass(backend):
    """J = −(1/m) Σ_i Σ_k y_k log ŷ_k, m = 2, one-hot and soft targets."""
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    logits = mdl.tensor(np.log(probabilities))
    one_hot = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    expected = -(math.log(0.7) + math.log(0.6)) / 2  # ≈ 0.43375
    np.testing.assert_allclose(F.cross_entropy(logits, one_hot).item(), expected)
    np.testing.assert_allclose(F.cross_entropy(logits, [0, 2]).item(), expected)
    soft = [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    expected_soft = -(0.5 * math.log(0.7) + 0.5 * math.log(0.2) + math.log(0.6)) / 2
    np.testing.assert_allclose(F.cross_entropy(logits, soft).item(), expected_soft)


def test_L5_cross_entropy_example(backend):
    """The document's example: y = [1, 0, 0], P = [0.9, 0.05, 0.05] → −log 0.9 ≈ 0.1054."""
    logits = mdl.tensor(np.log([[0.9, 0.05, 0.05]]))
    np.testing.assert_allclose(F.cross_entropy(logits, [[1.0, 0.0, 0.0]]).item(), 0.1054, atol=5e-5)
    np.testing.assert_allclose(F.cross_entropy(logits, [0]).item(), -math.log(0.9))


def test_L6_binary_cross_entropy(backend):
    """J = −y log ŷ − (1 − y) log(1 − ŷ): ŷ = 0.8 with y = 1 → −ln 0.8, with y = 0 → −ln 0.2."""
    expected = (-math.log(0.8) - math.log(0.2)) / 2  # mean of the two, ≈ 0.9163
    prediction = mdl.tensor([0.8, 0.8], dtype="float64")
    np.testing.assert_allclose(F.binary_cross_entropy(prediction, [1.0, 0.0]).item(), expected)
    # The same through logits: σ(ln 4) = 0.8.
    logits = mdl.tensor([math.log(4), math.log(4)], dtype="float64")
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(logits, [1.0, 0.0]).item(), expected
    )


def test_L7_softmax_ce_gradient(backend):
    """∂J/∂z = (ŷ − y)/m: softmax(0, ln 3) = (1/4, 3/4) with class 1, softmax(0, 0) with class 0."""
    logits = _leaf([[0.0, math.log(3)], [0.0, 0.0]])
    F.cross_entropy(logits, [1, 0]).backward()
    expected = np.array([[0.25 - 0, 0.75 - 1], [0.5 - 1, 0.5 - 0]]) / 2
    np.testing.assert_allclose(_grad(logits), expected)
    # One-hot targets give the same gradient.
    logits_one_hot = _leaf([[0.0, math.log(3)], [0.0, 0.0]])
    F.cross_entropy(logits_one_hot, [[0.0, 1.0], [1.0, 0.0]]).backward()
    np.testing.assert_allclose(_grad(logits_one_hot), expected)
    # And the logits' gradient of BCE with logits is (σ(x) − y)/n, the binary analogue.
    binary = _leaf([math.log(3), 0.0])
    F.binary_cross_entropy_with_logits(binary, [0.0, 1.0]).backward()
    np.testing.assert_allclose(_grad(binary), [(0.75 - 0) / 2, (0.5 - 1) / 2])


# --------------------------------------------------------------------------- layers


def test_N1_dense(backend):
    """z_j = Σ_i w_ji x_i + b_j with x = (1, 2): (1 + 0.1, 2 − 2 + 0.2, 0.5 + 1 + 0.3)."""
    x = mdl.tensor([[1.0, 2.0]])
    weight = mdl.tensor([[1.0, 0.0], [2.0, -1.0], [0.5, 0.5]])
    bias = mdl.tensor([0.1, 0.2, 0.3])
    np.testing.assert_allclose(F.linear(x, weight, bias).numpy(), [[1.1, 0.2, 1.8]], rtol=1e-6)


def test_N2_conv_cross_correlation(backend):
    """output_ij = Σ w·input over the window, the kernel NOT flipped (cross-correlation).

    Top-left: 1·1 + 2·2 + 3·4 + 4·5 = 37 (a flipped kernel, true convolution, gives 23).
    """
    image = mdl.tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    kernel = mdl.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2))
    np.testing.assert_allclose(F.conv2d(image, kernel).numpy()[0, 0], [[37, 47], [67, 77]])
    # With a bias and a stride of 2 only the top-left window fits.
    bias = mdl.tensor([0.5])
    np.testing.assert_allclose(F.conv2d(image, kernel, bias, stride=2).numpy(), [[[[37.5]]]])


def test_N3_max_pooling(backend):
    """2×2 max pooling halves a 4×4 feature map, keeping each window's largest value."""
    feature_map = np.array(
        [[1, 3, 2, 1], [4, 2, 0, 5], [7, 1, 6, 2], [0, 8, 3, 4]], dtype=np.float64
    ).reshape(1, 1, 4, 4)
    pooled = F.max_pool2d(mdl.tensor(feature_map), 2).numpy()
    np.testing.assert_array_equal(pooled[0, 0], [[4, 5], [8, 6]])


def test_N4_flatten_then_dense(backend):
    """The fully connected layer reads the flattened feature map (batch axis kept)."""
    feature_map = mdl.tensor(np.arange(8.0).reshape(2, 1, 2, 2))
    flat = F.flatten(feature_map)
    assert flat.shape == (2, 4)
    out = F.linear(flat, mdl.tensor(np.ones((1, 4))))
    np.testing.assert_allclose(out.numpy(), [[0 + 1 + 2 + 3], [4 + 5 + 6 + 7]])


def test_E7_valid_conv_output_size(backend):
    """Erratum E7: a valid 3×3 conv of a 3×3 input gives 1×1 (not 2×2); 2×2 needs a 2×2
    kernel, or padding."""
    image = mdl.tensor(np.ones((1, 1, 3, 3)))
    assert F.conv2d(image, mdl.tensor(np.ones((1, 1, 3, 3)))).shape == (1, 1, 1, 1)
    assert F.conv2d(image, mdl.tensor(np.ones((1, 1, 2, 2)))).shape == (1, 1, 2, 2)
    assert F.conv2d(image, mdl.tensor(np.ones((1, 1, 3, 3))), padding=1).shape == (1, 1, 3, 3)
