# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Activations and losses
#
# This notebook covers the activations of FORMULAS A1–A4 with their derivatives, which
# autograd computes for us. Then it covers the losses L1–L7 on the documents' own
# examples: MSE in its two reductions, softmax cross-entropy (the 0.1054 example) and
# binary cross-entropy.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as mdl
from minidl import functional as F

mdl.manual_seed(0)

# %% [markdown]
# ## 1. ReLU, sigmoid and tanh, and their derivatives
#
# | id | $f(x)$ | $f'(x)$ |
# |---|---|---|
# | A1 | $\max(0, x)$ | $1$ for $x \ge 0$, $0$ for $x < 0$ |
# | A2 | $\sigma(x) = 1/(1 + e^{-x})$ | $\sigma(x)(1 - \sigma(x))$ |
# | A3 | $\tanh(x) = (e^x - e^{-x})/(e^x + e^{-x})$ | $1 - \tanh^2(x)$ |
#
# To get $f'(x)$ at many points at once, we apply $f$ elementwise to a vector $x$ and
# call `backward()` on $\sum_k f(x_k)$. Since $\partial/\partial x_k \sum_j f(x_j) = f'(x_k)$,
# `x.grad` holds the derivative at every point.


# %%
def value_and_derivative(activation, points):
    x = mdl.tensor(points, requires_grad=True)
    y = activation(x)
    y.sum().backward()
    return y.numpy(), x.backend.to_host(x.grad)  # x.grad as a NumPy array, on any backend


points = np.linspace(-4, 4, 401)
activations = {"ReLU": F.relu, "sigmoid": F.sigmoid, "tanh": F.tanh}

fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for ax, (name, activation) in zip(axes, activations.items()):
    value, derivative = value_and_derivative(activation, points)
    ax.plot(points, value, label=f"{name}(x)")
    ax.plot(points, derivative, "--", label=f"{name}′(x), by autograd")
    ax.axhline(0, color="0.85", zorder=0)
    ax.set(title=f"{name} and its derivative", xlabel="input x", ylabel=f"{name}(x) and {name}′(x)")
    ax.legend(loc="upper left", fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The derivatives from autograd agree with the formulas in the table. ReLU′ at exactly 0
# is 1, as the documents define it (A1).

# %%
_, relu_derivative = value_and_derivative(F.relu, np.array([-1.0, 0.0, 2.0]))
s, sigmoid_derivative = value_and_derivative(F.sigmoid, points)
t, tanh_derivative = value_and_derivative(F.tanh, points)
print("ReLU′ at -1, 0, 2:", relu_derivative)
print("max |autograd − σ(1−σ)| =", np.abs(sigmoid_derivative - s * (1 - s)).max())
print("max |autograd − (1−tanh²)| =", np.abs(tanh_derivative - (1 - t**2)).max())

# %% [markdown]
# ## 2. Softmax (A4)
#
# $$P(y = i) = \frac{e^{z_i}}{\sum_j e^{z_j}}$$
#
# Softmax turns scores (logits) into probabilities. Adding the same number to every
# score does not change the result. minidl uses this and subtracts $\max_j z_j$ first,
# so that logits of $\pm 1000$ do not overflow.

# %%
z = mdl.tensor([[2.0, 1.0, 0.1], [1000.0, 0.0, -1000.0]])
p = F.softmax(z, axis=-1)
print(p.numpy().round(4))
print("rows sum to", p.numpy().sum(axis=1))

# %% [markdown]
# ## 3. Mean squared error: two reductions (L1, L2)
#
# The documents use two versions of MSE:
#
# - L1 (`reduction="mean"`): $L = \frac1n \sum_i (y_i - \hat y_i)^2$, the usual one;
# - L2 (`reduction="half_sum"`): $J = \frac12 \sum_i (y_i - \hat y_i)^2$. Its gradient is
#   simply $\partial J / \partial \hat y_i = \hat y_i - y_i$.
#
# Here are both on the line fit of document 001, where $y = (2, 4, 7)$ and the line
# $\hat y = \theta_0 + \theta_1 x$ with $\theta = (0, 1)$ predicts $(1, 2, 3)$.

# %%
target = mdl.tensor([2.0, 4.0, 7.0])
for reduction in ["mean", "half_sum"]:
    prediction = mdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = F.mse_loss(prediction, target, reduction=reduction)
    loss.backward()
    print(f"{reduction:9s} loss = {loss.item():7.4f}   dloss/dŷ = {prediction.grad}")

# %% [markdown]
# With `half_sum`, the gradient at the prediction is $\hat y - y = (-1, -2, -4)$. At the
# line's intercept it is $\sum_i (\hat y_i - y_i) = -7$. Document 001 writes
# $+\frac1n\sum_i(y_i - \hat y_i) = +2.33$ instead, with the wrong sign and a stray $1/n$
# (erratum E6). Autograd follows the chain rule down to $\theta$:

# %%
x = mdl.tensor([1.0, 2.0, 3.0])
theta0 = mdl.tensor(0.0, requires_grad=True)
theta1 = mdl.tensor(1.0, requires_grad=True)
J = F.mse_loss(theta0 + theta1 * x, target, reduction="half_sum")
J.backward()
print(f"J = {J.item()},  dJ/dθ0 = {float(theta0.grad)},  dJ/dθ1 = {float(theta1.grad)}")
assert (float(theta0.grad), float(theta1.grad)) == (-7.0, -17.0)
print(
    "document 001 (E6):", np.mean([1.0, 2.0, 4.0]), np.mean(np.array([1.0, 2.0, 4.0]) * [1, 2, 3])
)

# %% [markdown]
# ## 4. Cross-entropy on the documents' example (L3–L5, L7)
#
# Document 002: three classes, true label $y = (1, 0, 0)$, predicted probabilities
# $P = (0.9, 0.05, 0.05)$:
#
# $$L = -\sum_i y_i \log P(y = i) = -\log 0.9 \approx 0.1054 .$$
#
# `F.cross_entropy` takes *logits* and applies softmax itself, which is more stable.
# Since $\mathrm{softmax}(\log P) = P$, we can pass $\log P$ as the logits. The target can
# be a class index or a one-hot row (D3).

# %%
logits = mdl.tensor(np.log([[0.9, 0.05, 0.05]]), requires_grad=True)
loss_from_index = F.cross_entropy(logits, mdl.tensor([0]))
loss_from_one_hot = F.cross_entropy(logits, mdl.tensor([[1.0, 0.0, 0.0]]))
print(f"L = {loss_from_index.item():.4f} (class index),  {loss_from_one_hot.item():.4f} (one-hot)")
print(f"-log 0.9 = {-np.log(0.9):.4f}")
assert abs(loss_from_index.item() - 0.1054) < 1e-4

# %% [markdown]
# **L7.** The gradient of softmax + cross-entropy at the logits is $\hat y - y$ per sample,
# divided by $m$ for the mean over $m$ samples. For the example that is
# $(0.9, 0.05, 0.05) - (1, 0, 0) = (-0.1, 0.05, 0.05)$.

# %%
loss_from_index.backward()
print("dL/dlogits =", logits.grad.round(6))

# %% [markdown]
# For a batch, L4 takes the mean over the samples. Each sample contributes $-\log$ of the
# probability it gives to *its own* class. Document 001's 60/40 example instead weights
# every sample's log-probabilities by the class counts (erratum E8). Here are 100 samples
# (60 of class A, 40 of class B) and a model that says $P(A) = 0.7$ for every sample:

# %%
labels = np.array([0] * 60 + [1] * 40)
constant_logits = mdl.tensor(np.log(np.tile([0.7, 0.3], (100, 1))))
cross_entropy = F.cross_entropy(constant_logits, mdl.tensor(labels)).item()
documents_formula = -(1 / 100) * sum(60 * np.log(0.7) + 40 * np.log(0.3) for _ in range(100))
print(f"cross-entropy (L4): {cross_entropy:.4f}   = -(60 ln 0.7 + 40 ln 0.3)/100")
assert abs(cross_entropy - 0.6956) < 1e-4 and abs(documents_formula - 69.56) < 1e-2
print(
    f"document 001's J:   {documents_formula:.2f}   (E8: 100× too large, and blind to the labels)"
)

# %% [markdown]
# ## 5. Binary cross-entropy (L6)
#
# $$J = -y \log \hat y - (1 - y) \log (1 - \hat y)$$
#
# `F.binary_cross_entropy` takes probabilities $\hat y$, for example the output of a
# sigmoid. `F.binary_cross_entropy_with_logits` takes the scores before the sigmoid, and
# stays finite even for scores of $\pm 1000$.

# %%
probabilities = mdl.tensor([0.8, 0.3, 0.99])
targets = mdl.tensor([1.0, 0.0, 1.0])
by_hand = np.mean(-np.array([np.log(0.8), np.log(1 - 0.3), np.log(0.99)]))
print(f"BCE = {F.binary_cross_entropy(probabilities, targets).item():.4f}   by hand: {by_hand:.4f}")

huge = mdl.tensor([1000.0, -1000.0])
print("with logits ±1000:", F.binary_cross_entropy_with_logits(huge, mdl.tensor([0.0, 1.0])).item())

# %% [markdown]
# The plot shows why cross-entropy suits classification. For a sample of class 1, the
# loss grows without bound as $\hat y \to 0$, while the squared error stays at most 1.
# So a confident wrong answer is penalised hard.

# %%
y_hat = np.linspace(0.01, 0.99, 99)
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(y_hat, -np.log(y_hat), label="BCE, y = 1: −log ŷ")
ax.plot(y_hat, (1 - y_hat) ** 2, label="squared error, y = 1: (1 − ŷ)²")
ax.set_xlabel("ŷ, the predicted probability of class 1")
ax.set_ylabel("loss of one sample")
ax.set_title("a sample of class 1: cross-entropy vs squared error")
ax.legend()
plt.show()
