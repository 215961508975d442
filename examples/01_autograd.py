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
# # 01 · Autograd: from one expression to gradient descent
#
# This notebook builds a small expression, looks at the graph minidl records for it,
# works out the gradients by hand, and checks that `backward()` gets the same numbers.
# Then it uses `gradcheck` to catch a wrong backward. Last, it walks through the
# documents' gradient-descent example (FORMULAS O5) step by step, and shows where the
# document's arithmetic goes wrong (erratum E2). At the end, it checks the hand-written
# gradients of the documents' 1–2–1 network (X1, erratum E3) and trains that network.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as mdl
from minidl import functional as F
from minidl import optim

mdl.manual_seed(0)

# %% [markdown]
# ## 1. A scalar expression and its graph
#
# $$L = (a \cdot b + c)^2 \qquad a = 2,\; b = -3,\; c = 10$$
#
# Each operation on tensors runs at once (define-by-run) and records which op made the
# result and from which inputs. We keep the intermediate results in variables so that we
# can name them.

# %%
a = mdl.tensor(2.0, requires_grad=True)
b = mdl.tensor(-3.0, requires_grad=True)
c = mdl.tensor(10.0, requires_grad=True)

e = a * b  # -6
d = e + c  # 4
L = d**2  # 16
print("e =", e.item(), " d =", d.item(), " L =", L.item())

# %% [markdown]
# minidl recorded a graph while it computed `L`. `mdl.viz.graph(L)` returns it as plain
# data: the nodes (tensors and the ops between them) and the edges, from the leaves
# (`a`, `b`, `c`, which we made) to the root `L`. Naming the tensors (`names=`) labels
# them; an intermediate shows its value while we still hold it.

# %%
names = {"a": a, "b": b, "c": c, "e": e, "d": d, "L": L}
graph = mdl.viz.graph(L, names=names)
label = {node["id"]: node["label"] for node in graph["nodes"]}
print("nodes, each after what it is computed from:")
for node in graph["nodes"]:
    if node["kind"] == "op":
        print(f"  {node['label']}")
    else:
        leaf = "  (leaf)" if node["leaf"] else ""
        print(f"  {node['label']} = {node['value']:g}{leaf}")
print("edges:")
for source, target in graph["edges"]:
    print(f"  {label[source]} → {label[target]}")

# %% [markdown]
# The exponent 2 in `d**2` is a constant: nothing flows back to it, so it is not part of
# the graph. `mdl.viz.draw(L)` draws the same graph with Graphviz (`mdl.viz.to_dot(L)`
# gives its DOT text without it): leaves orange, computed tensors grey, ops blue.

# %%
from IPython.display import display  # noqa: E402

if mdl.viz.graphviz_available():
    display(mdl.viz.draw(L, names=names))
else:
    print("Graphviz's `dot` is not installed here (apt-get install graphviz / brew install")
    print("graphviz draws the picture); the same graph as DOT text:")
    print(mdl.viz.to_dot(L, names=names))

# %% [markdown]
# ## 2. Backward by hand
#
# The chain rule, from the output back to the leaves. Each step multiplies the gradient
# that reached a node by one local derivative:
#
# | quantity | rule | value |
# |---|---|---|
# | $\partial L/\partial L$ | start | $1$ |
# | $\partial L/\partial d$ | $\partial L/\partial L \cdot 2d$ | $8$ |
# | $\partial L/\partial e$ | $\partial L/\partial d \cdot 1$ (from $d = e + c$) | $8$ |
# | $\partial L/\partial c$ | $\partial L/\partial d \cdot 1$ | $8$ |
# | $\partial L/\partial a$ | $\partial L/\partial e \cdot b$ (from $e = a b$) | $-24$ |
# | $\partial L/\partial b$ | $\partial L/\partial e \cdot a$ | $16$ |

# %%
dL_dL = 1.0
dL_dd = dL_dL * 2 * d.item()
dL_de = dL_dd * 1.0
by_hand = {
    "L": dL_dL, "d": dL_dd, "e": dL_de, "c": dL_dd * 1.0,
    "a": dL_de * b.item(), "b": dL_de * a.item(),
}  # fmt: skip
print(by_hand)

# %% [markdown]
# ## 3. The same with `backward()`, and every gradient on the way
#
# `L.backward()` visits the graph in reverse topological order. At each op it applies
# the op's local rule, and it leaves ∂L/∂leaf in `leaf.grad`. An intermediate tensor's
# gradient only passes through, unless we ask for it: `retain_grad()` keeps it in
# `.grad`, and `register_hook(fn)` calls `fn(grad)` the moment it is computed (a hook
# may also return a changed gradient, as gradient clipping does). Afterwards the graph
# is freed, so calling `backward()` a second time raises an error.

# %%
for name in ("e", "d", "L"):
    names[name].retain_grad()
    names[name].register_hook(lambda grad, name=name: print(f"hook: dL/d{name} = {float(grad):g}"))
L.backward()

# %%
print(f"{'node':8s}{'by hand':>10s}{'backward()':>12s}")
for name, tensor in names.items():
    print(f"dL/d{name:4s}{by_hand[name]:10g}{float(tensor.grad):12g}")
    assert by_hand[name] == float(tensor.grad)

# %% [markdown]
# ## 4. Checking a backward with `gradcheck`
#
# `mdl.gradcheck(fn, inputs)` compares the analytic gradient from `backward()` with
# central differences $\big(f(x+\varepsilon) - f(x-\varepsilon)\big) / 2\varepsilon$,
# in float64.

# %%
x = mdl.tensor(np.array([[0.5, -1.2], [2.0, 0.3]]), requires_grad=True)
W = mdl.tensor(np.array([[1.0, -0.5], [0.25, 2.0]]), requires_grad=True)
mdl.gradcheck(lambda x, W: ((x @ W).exp() / (1 + x**2)).sum(), [x, W])

# %% [markdown]
# Now a wrong backward. The op below is ReLU, but its backward uses the rule that
# document 002 gives for it, $\mathrm{ReLU}(z)(1 - \mathrm{ReLU}(z))$, which is really
# the *sigmoid's* rule (erratum E4). `gradcheck` catches it and says where.

# %%
from minidl.autograd import Function  # noqa: E402
from minidl.backend import backend_of  # noqa: E402
from minidl.errors import GradcheckError  # noqa: E402


class ReLUWithTheDocumentsDerivative(Function):
    def forward(self, z):
        self.relu = backend_of(z).xp.maximum(z, 0)
        return self.relu

    def backward(self, grad_output):
        return grad_output * self.relu * (1 - self.relu)  # E4: wrong


z = mdl.tensor(np.array([2.0, 0.5, -1.0]), requires_grad=True)
try:
    mdl.gradcheck(lambda z: ReLUWithTheDocumentsDerivative.apply(z), [z])
except GradcheckError as error:
    print("GradcheckError:", error)
else:
    raise AssertionError("gradcheck should have caught the wrong derivative")

# %% [markdown]
# minidl's own ReLU passes, because its derivative is the step function (A1). We keep
# the input away from 0, where ReLU has a kink and central differences are not
# meaningful.

# %%
mdl.gradcheck(F.relu, [mdl.tensor(np.array([2.0, 0.5, -1.0]), requires_grad=True)])

# %% [markdown]
# ## 5. Gradient descent, step by step (O5 and erratum E2)
#
# Document 002 minimises $L = (w - 3)^2$ from $w_0 = 2$ with learning rate
# $\alpha = 0.1$ and the rule (O1)
#
# $$w_{new} = w_{old} - \alpha \frac{\partial L}{\partial w}, \qquad \frac{\partial L}{\partial w} = 2(w - 3).$$
#
# Its first step is right: $2(2-3) = -2$, $w_1 = 2 + 0.2 = 2.2$. Its second step writes
# $2 \cdot (2.2 - 3) = -1.2$ and $w_2 = 2.34$. But $2 \cdot (-0.8) = -1.6$, so
# $w_2 = 2.2 + 0.16 = 2.36$. Below, autograd computes each gradient and `optim.GD`
# takes each step.

# %%
w = mdl.tensor(2.0, requires_grad=True, dtype="float64")
opt = optim.GD([w], lr=0.1)
history = [(0, w.item(), None)]
for step in range(1, 6):
    loss = (w - 3) ** 2
    opt.zero_grad()
    loss.backward()
    gradient = float(w.grad)
    opt.step()
    history.append((step, w.item(), gradient))
    print(f"step {step}: dL/dw = 2·(w−3) = {gradient:+.4f}  →  w = {w.item():.4f}")

# %%
w1, w2 = history[1][1], history[2][1]
print(f"w1 = {w1:.4f} (document: 2.2)")
print(f"w2 = {w2:.4f} (document: 2.34, from the slip 2·(2.2−3) = −1.2)")
assert abs(w1 - 2.2) < 1e-12 and abs(w2 - 2.36) < 1e-12

# %% [markdown]
# Each step moves $w$ a fifth of the way to the minimum, since
# $w - 3 \leftarrow (1 - 2\alpha)(w - 3) = 0.8\,(w - 3)$. The picture shows the steps
# on the loss curve.

# %%
grid = np.linspace(1.5, 3.5, 200)
steps = np.array([h[1] for h in history])
fig, (whole, zoom) = plt.subplots(1, 2, figsize=(11, 3.8))
for ax in (whole, zoom):
    ax.plot(grid, (grid - 3) ** 2, color="0.6", label="L(w) = (w − 3)²")
    ax.plot(steps, (steps - 3) ** 2, "o-", color="C0", label="gradient descent, α = 0.1")
    ax.plot(
        [2.34], [(2.34 - 3) ** 2], "s", markersize=9, markerfacecolor="none",
        markeredgecolor="C3", markeredgewidth=2, label="document's w₂ = 2.34 (E2)",
    )  # fmt: skip
    ax.set_xlabel("w (the weight)")
    ax.set_ylabel("L(w)")
for step, value, _ in history[:3]:
    whole.annotate(
        f"w{step} = {value:.2f}", (value, (value - 3) ** 2), textcoords="offset points",
        xytext=(6, 8),
    )  # fmt: skip
whole.set_title("five steps of gradient descent on L = (w − 3)²")
whole.legend()
# Zoomed in, the document's w₂ (2.34) and the right one (2.36) are visibly apart.
zoom.set_xlim(2.28, 2.42)
zoom.set_ylim(0.33, 0.52)
zoom.annotate("w₂ = 2.36 (right)", (2.36, 0.64**2), textcoords="offset points", xytext=(8, 8))
zoom.annotate("2.34 (document)", (2.34, 0.66**2), textcoords="offset points", xytext=(-40, -22))
zoom.set_title("step 2 close up: erratum E2")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 6. The documents' 1–2–1 network (X1) and its hand gradients (erratum E3)
#
# Document 000 (§4.3) builds a network with 1 input, 2 ReLU hidden units and 1 sigmoid
# output, trained with MSE and Adam:
#
# $$z_1 = w_1 x + b_1,\quad a_1 = \max(0, z_1),\quad z_2 = w_2 a_1 + b_2,\quad \hat y = \sigma(z_2),\quad L = \tfrac1n \textstyle\sum_i (\hat y_i - y_i)^2 .$$
#
# It then writes the gradients by hand, for example
# $\partial L/\partial w_2 = \frac1n \sum_i (\hat y_i - y_i)\, a_1^2\, x_i$. The chain rule
# gives something else:
#
# $$\delta_i = \tfrac{2}{n} (\hat y_i - y_i)\, \hat y_i (1 - \hat y_i), \qquad
# \frac{\partial L}{\partial w_2} = \sum_i \delta_i\, a_{1,i}, \qquad
# \frac{\partial L}{\partial w_1} = \sum_i \delta_i\, w_2\, \mathbb 1[z_{1,i} > 0]\, x_i .$$
#
# We fix the weights and three samples, and compare the document's formulas, the chain
# rule and `backward()`.

# %%
from minidl import nn  # noqa: E402

x_samples = np.array([[-1.0], [0.5], [2.0]])
y_samples = np.array([[0.0], [1.0], [1.0]])
x1 = nn.Sequential(
    nn.Linear(1, 2, dtype=np.float64), nn.ReLU(), nn.Linear(2, 1, dtype=np.float64), nn.Sigmoid()
)
x1.load_state_dict(
    {
        "0.weight": np.array([[0.5], [-0.3]]),  # w1, one per hidden unit
        "0.bias": np.array([0.1, 0.2]),  # b1
        "2.weight": np.array([[0.8, -0.6]]),  # w2
        "2.bias": np.array([0.05]),  # b2
    }
)
loss = nn.MSELoss()(x1(mdl.tensor(x_samples)), mdl.tensor(y_samples))
loss.backward()

# The same forward pass in NumPy, for the two hand formulas.
w1, b1 = np.array([0.5, -0.3]), np.array([0.1, 0.2])
w2, b2 = np.array([0.8, -0.6]), 0.05
z1 = x_samples * w1 + b1  # (3 samples, 2 hidden units)
a1 = np.maximum(z1, 0)
y_hat = 1 / (1 + np.exp(-(a1 @ w2 + b2)))
error = y_hat - y_samples[:, 0]
delta = 2 / 3 * error * y_hat * (1 - y_hat)
gradients = {
    "dL/dw2": (
        np.mean(error[:, None] * a1**2 * x_samples, axis=0),
        delta @ a1,
        x1[2].weight.backend.to_host(x1[2].weight.grad)[0],  # to NumPy, from any backend
    ),
    "dL/dw1": (
        np.mean(error[:, None] * w2 * a1**2, axis=0),
        (delta[:, None] * w2 * (z1 > 0) * x_samples).sum(axis=0),
        x1[0].weight.backend.to_host(x1[0].weight.grad)[:, 0],
    ),
}
print(f"L = {loss.item():.4f}")
for name, (document, chain_rule, autograd) in gradients.items():
    print(
        f"{name}: document {document.round(4)}   chain rule {chain_rule.round(4)}   backward() {autograd.round(4)}"
    )
    assert np.allclose(chain_rule, autograd) and not np.allclose(document, autograd)


def x1_loss(w1, b1, w2, b2):
    """The same network written with the functional API, for gradcheck."""
    hidden = F.relu(F.linear(mdl.tensor(x_samples), w1, b1))
    return F.mse_loss(F.sigmoid(F.linear(hidden, w2, b2)), mdl.tensor(y_samples))


print("gradcheck:", mdl.gradcheck(x1_loss, [p.detach().requires_grad_() for p in x1.parameters()]))

# %% [markdown]
# The document's formulas are off in size and even in sign. `backward()` agrees with the
# chain rule, and `gradcheck` agrees with both. Now we train X1 as document 000 does:
# standardize the input (D1), minimise MSE with Adam, and threshold $\hat y$ at 0.5. The
# task is to tell whether a measurement is above 5.

# %%
rng = np.random.default_rng(0)
raw = rng.normal(5.0, 2.0, size=(200, 1))
labels = (raw > 5.0).astype(np.float64)
standardized, mu, sigma = mdl.data.standardize(raw)  # x' = (x − μ)/σ
inputs, targets = mdl.tensor(standardized), mdl.tensor(labels)

mdl.manual_seed(1)
x1 = nn.Sequential(
    nn.Linear(1, 2, dtype=np.float64), nn.ReLU(), nn.Linear(2, 1, dtype=np.float64), nn.Sigmoid()
)
opt = optim.Adam(x1.parameters(), lr=0.05)
for _ in range(300):
    opt.zero_grad()
    loss = nn.MSELoss()(x1(inputs), targets)
    loss.backward()
    opt.step()
with mdl.no_grad():
    accuracy = ((x1(inputs).numpy() > 0.5) == (labels > 0.5)).mean()
print(
    f"μ = {mu[0]:.2f}, σ = {sigma[0]:.2f};  after 300 Adam steps: MSE {loss.item():.4f}, accuracy {accuracy:.1%}"
)
