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
# # 03 · Optimizers: GD, SGD, Momentum, Adam
#
# The four update rules of the documents (FORMULAS O1–O4), with $g = \partial L/\partial w$:
#
# | id | optimizer | rule |
# |---|---|---|
# | O1 | `optim.GD` | $w \leftarrow w - \alpha g$, with the gradient of the whole training set |
# | O2 | `optim.SGD` | the same rule, with the gradient of a mini-batch |
# | O3 | `optim.Momentum` | $v \leftarrow \gamma v + \alpha g$; $w \leftarrow w - v$ |
# | O4 | `optim.Adam` | $m \leftarrow \beta_1 m + (1-\beta_1) g$; $v \leftarrow \beta_2 v + (1-\beta_2) g^2$; $w \leftarrow w - \alpha \hat m/(\sqrt{\hat v} + \epsilon)$ |
#
# We run them on a 2-D loss surface, where we can draw their paths, and on a small
# network. Then we put the document's momentum rule, which uses $w + v$, next to the
# correct one (erratum E1).

# %%
import matplotlib.pyplot as plt
import numpy as np

import minidl as mdl
from minidl import functional as F
from minidl import nn, optim
from minidl.optim.optimizer import Optimizer

mdl.manual_seed(0)

# %% [markdown]
# ## 1. A 2-D loss surface
#
# A least-squares problem with two weights: $L(w) = \frac1n \sum_i (x_i \cdot w - y_i)^2$.
# The second feature has five times the spread of the first, so the bowl is long and
# narrow. This is the shape where plain gradient descent zig-zags.

# %%
rng = np.random.default_rng(0)
n = 256
features = rng.normal(size=(n, 2)) * np.array([1.0, 5.0])
w_true = np.array([2.0, -1.0])
labels = features @ w_true + 0.5 * rng.normal(size=n)
X, Y = mdl.tensor(features), mdl.tensor(labels)


def loss_at(w, rows=slice(None)):
    """Mean squared error of the weights w on the chosen rows (all by default)."""
    return F.mse_loss(X[rows] @ w, Y[rows], reduction="mean")


def run(make_optimizer, steps=40, batch_size=None, start=(-2.0, 2.0)):
    """Minimise from `start`; return the path of w. batch_size=None means full batch."""
    w = mdl.tensor(np.array(start), requires_grad=True)
    opt = make_optimizer([w])
    path = [w.numpy().copy()]
    batch_rng = np.random.default_rng(1)
    for _ in range(steps):
        rows = slice(None) if batch_size is None else batch_rng.choice(n, batch_size, replace=False)
        opt.zero_grad()
        loss_at(w, rows).backward()
        opt.step()
        path.append(w.numpy().copy())
    return np.array(path)


paths = {
    "GD (α = 0.038)": run(lambda p: optim.GD(p, lr=0.038)),
    "SGD (α = 0.02, batch 8)": run(lambda p: optim.SGD(p, lr=0.02), batch_size=8),
    "Momentum (α = 0.03, γ = 0.5)": run(lambda p: optim.Momentum(p, lr=0.03, momentum=0.5)),
    "Adam (α = 0.2)": run(lambda p: optim.Adam(p, lr=0.2)),
}

# %%
grid0, grid1 = np.meshgrid(np.linspace(-3, 4, 120), np.linspace(-3, 3, 120))
grid = np.stack([grid0.ravel(), grid1.ravel()], axis=1)
surface = (((features @ grid.T) - labels[:, None]) ** 2).mean(axis=0).reshape(grid0.shape)

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
axes[0].contour(grid0, grid1, surface, levels=np.geomspace(0.3, 200, 15), colors="0.75")
for name, path in paths.items():
    axes[0].plot(path[:, 0], path[:, 1], ".-", label=name, markersize=3)
    final_loss = [loss_at(mdl.tensor(w)).item() for w in path]
    axes[1].semilogy(final_loss, label=name)
axes[0].plot(*w_true, "k*", markersize=12, label="the minimum")
axes[0].set(xlabel="w₀ (weight of x)", ylabel="w₁ (bias)", title="paths on the loss surface (contours of L)")
axes[1].set(xlabel="step", ylabel="L on the full data (log scale)", title="loss after each step")
axes[0].legend(fontsize=8)
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

for name, path in paths.items():
    print(
        f"{name:30s} w after 40 steps = {path[-1].round(3)}   L = {loss_at(mdl.tensor(path[-1])).item():.4f}"
    )

# %% [markdown]
# What the picture shows:
#
# - **GD** takes the same step rule everywhere. The learning rate must be small enough
#   for the steep direction ($w_1$), so it crawls along the flat one ($w_0$).
# - **SGD** follows the same rule with the gradient of 8 random samples. Its path is
#   noisy, but each step costs 32× less.
# - **Momentum** builds up speed along the flat direction, and the zig-zags across the
#   steep one cancel out in $v$.
# - **Adam** divides each coordinate's step by the root mean square of that
#   coordinate's recent gradients, so both directions move at a similar pace and its
#   path is almost straight. With a fixed α it overshoots near the minimum and swings
#   back.

# %% [markdown]
# ## 2. Erratum E1: the document's momentum climbs the loss
#
# Document 003 writes $v = \gamma v + \alpha\,\partial J/\partial w$ and then
# $w_{new} = w_{old} + v$. Since $v$ collects gradients, which point uphill, adding $v$
# is gradient *ascent* with momentum. To show this, we write that rule as a
# three-line optimizer (a subclass of minidl's `Optimizer`) and run it next to
# `optim.Momentum` on $L = (w - 3)^2$ from $w = 2$.


# %%
class DocumentMomentum(Optimizer):
    """Document 003's rule, wrong on purpose: v ← γv + α·g, then w ← w + v."""

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr)
        self.momentum = momentum

    def update(self, param, grad, state):
        state["v"] = self.momentum * state.get("v", 0.0) + self.lr * grad
        param.data += state["v"]  # the document's sign (E1)


def walk(optimizer_class, steps=20):
    w = mdl.tensor(2.0, requires_grad=True, dtype="float64")
    opt = optimizer_class([w], lr=0.1, momentum=0.9)
    values = [w.item()]
    for _ in range(steps):
        opt.zero_grad()
        ((w - 3) ** 2).backward()
        opt.step()
        values.append(w.item())
    return np.array(values)


documents = walk(DocumentMomentum)
correct = walk(optim.Momentum)
print("step        " + " ".join(f"{k:>8d}" for k in range(6)))
print("w + v (doc) " + " ".join(f"{v:8.4f}" for v in documents[:6]))
print("w − v       " + " ".join(f"{v:8.4f}" for v in correct[:6]))
print(f"after 20 steps: document's rule w = {documents[-1]:.1f}, minidl w = {correct[-1]:.4f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].plot(correct, "o-", label="minidl: w ← w − v")
axes[0].plot(documents[:8], "x-", color="C3", label="document 003: w ← w + v")
axes[0].axhline(3, color="0.7", linestyle=":", label="the minimum, w = 3")
axes[0].set(xlabel="step", ylabel="w", title="w after each step (γ = 0.9, α = 0.1)")
axes[1].semilogy((correct - 3) ** 2 + 1e-12, "o-", label="minidl: w ← w − v")
axes[1].semilogy((documents - 3) ** 2, "x-", color="C3", label="document 003: w ← w + v")
axes[1].set(xlabel="step", ylabel="L = (w − 3)² (log scale)", title="loss after each step")
for ax in axes:
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# The document's rule runs away from the minimum at once. minidl's rule is still
# swinging around $w = 3$ after 20 steps, and that is momentum doing what it does, not a
# bug: with $\gamma = 0.9$ and $\alpha = 0.1$ on this loss, the distance to the minimum
# rotates with a period of about 14 steps and shrinks by only $\sqrt{\gamma} \approx
# 0.95$ per step (the step matrix $\begin{pmatrix} 1 - 2\alpha & -\gamma \\ 2\alpha & \gamma
# \end{pmatrix}$ acting on $(w - 3, v)$ has determinant $\gamma$). So it needs about
# 100 steps to settle, where plain GD with the same $\alpha$ shrinks the distance by
# $0.8$ per step. A smaller $\gamma$ damps faster; a large one pays off on long, flat
# valleys like the one in section 1.

# %%
longer = walk(optim.Momentum, steps=100)
print(f"minidl's momentum: |w − 3| = {abs(longer[20] - 3):.3f} after 20 steps, {abs(longer[100] - 3):.5f} after 100")
print("shrink per step, measured over steps 20 → 100:", round((abs(longer[100] - 3) / abs(longer[20] - 3)) ** (1 / 80), 3))

# %% [markdown]
# minidl's rule is PyTorch's `SGD(momentum=0.9)` written another way. PyTorch keeps
# $b \leftarrow \gamma b + g$ and steps $w \leftarrow w - \alpha b$. With a constant
# $\alpha$, $v = \alpha b$, so the two walks are the same:

# %%
w, b = 2.0, 0.0
torch_style = [w]
for _ in range(20):
    b = 0.9 * b + 2 * (w - 3)
    w = w - 0.1 * b
    torch_style.append(w)
print("max difference from optim.Momentum:", np.abs(np.array(torch_style) - correct).max())

# %% [markdown]
# ## 3. The four optimizers on a small network
#
# The 2–3–1 network of documents 002 and 003 (X2): two inputs, three ReLU hidden
# units, one sigmoid output. We train it with binary cross-entropy on a small task:
# is a point inside the circle $\lVert x \rVert < 1.5$? Each optimizer starts from the
# same weights (same seed) and takes 300 steps: on the full batch, or on mini-batches
# of 32 for SGD.

# %%
points = rng.uniform(-2.5, 2.5, size=(400, 2)).astype(np.float32)
radius = np.linalg.norm(points, axis=1)
inside = (radius < 1.5).astype(np.float32)[:, None]
P, T = mdl.tensor(points), mdl.tensor(inside)


def train_x2(make_optimizer, steps=300, batch_size=None):
    """Train a fresh X2 network; batch_size=None means the full batch at every step."""
    mdl.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())
    opt = make_optimizer(model.parameters())
    loss_fn = nn.BCELoss()
    batch_rng = np.random.default_rng(2)
    losses = []
    for _ in range(steps):
        rows = (
            slice(None)
            if batch_size is None
            else batch_rng.choice(len(points), batch_size, replace=False)
        )
        opt.zero_grad()
        loss_fn(model(P[rows]), T[rows]).backward()
        opt.step()
        with mdl.no_grad():
            losses.append(loss_fn(model(P), T).item())  # on all the data, to compare
    with mdl.no_grad():
        accuracy = ((model(P).numpy() > 0.5) == (inside > 0.5)).mean()
    return losses, accuracy


curves = {
    "GD": train_x2(lambda p: optim.GD(p, lr=0.5)),
    "SGD (batch 32)": train_x2(lambda p: optim.SGD(p, lr=0.5), batch_size=32),
    "Momentum": train_x2(lambda p: optim.Momentum(p, lr=0.1, momentum=0.9)),
    "Adam": train_x2(lambda p: optim.Adam(p, lr=0.05)),
}

fig, ax = plt.subplots(figsize=(7, 4))
# GD and SGD end up on almost the same curve: GD is drawn wide and pale, SGD thin on top.
styles = {
    "GD": dict(linewidth=5, alpha=0.45),
    "SGD (batch 32)": dict(linewidth=1.2, linestyle="--"),
    "Momentum": dict(linewidth=1.5),
    "Adam": dict(linewidth=1.5, linestyle="-."),
}
for name, (losses, accuracy) in curves.items():
    ax.plot(losses, label=f"{name} (accuracy {accuracy:.0%})", **styles[name])
ax.set(
    xlabel="step", ylabel="BCE loss on all 400 points",
    title="2–3–1 network (X2): is a point inside the circle?",
)  # fmt: skip
ax.legend()
plt.show()

# %% [markdown]
# Three ReLU units can draw only three straight edges, so at best the network learns a
# triangle around the circle. The curves show how fast each optimizer gets down to what
# the network can do. With the same learning rate, SGD's noisy steps follow GD's curve,
# and each of its steps looks at 32 points instead of 400. Some runs stall on a plateau
# and others get past it. With another seed the order can change: one run of one small
# network is not a benchmark.

# %% [markdown]
# ## RMSprop and weight decay (FORMULAS T1, T2)
#
# RMSprop divides each weight's step by a moving root-mean-square of its own gradient:
# $v \leftarrow \alpha v + (1-\alpha) g^2$, $w \leftarrow w - \mathrm{lr}\, g/(\sqrt v + \epsilon)$.
# Adam is RMSprop plus momentum and bias correction. Weight decay (L2 regularization)
# adds $\lambda w$ to every gradient before the rule: it is the gradient of
# $\frac\lambda2\lVert w\rVert^2$ added to the loss, and it pulls every weight toward 0.
# Every minidl optimizer takes `weight_decay=λ`.

# %%
more_curves = {
    "Adam": curves["Adam"],
    "RMSprop": train_x2(lambda p: optim.RMSprop(p, lr=0.02)),
    "RMSprop, weight decay 0.01": train_x2(lambda p: optim.RMSprop(p, lr=0.02, weight_decay=0.01)),
}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, (losses, accuracy) in more_curves.items():
    ax.plot(losses, label=f"{name} (accuracy {accuracy:.0%})")
ax.set(xlabel="step", ylabel="BCE loss", title="X2 network: RMSprop next to Adam")
ax.legend()
plt.show()

# %% [markdown]
# What weight decay does is easiest to see where the data leave the weights free: a
# linear model with 20 inputs fitted to 10 samples has many exact solutions. Plain
# gradient descent keeps whatever large weights it starts from along the directions the
# data cannot see; with decay, those shrink toward 0, at a small cost in training loss.


# %%
def weight_norms(weight_decay, steps=300):
    mdl.manual_seed(0)
    rng = np.random.default_rng(0)
    inputs = mdl.tensor(rng.normal(size=(10, 20)))
    targets = mdl.tensor(rng.normal(size=(10, 1)))
    layer = nn.Linear(20, 1)
    opt = optim.SGD(layer.parameters(), lr=0.02, weight_decay=weight_decay)
    norms = []
    for _ in range(steps):
        opt.zero_grad()
        nn.MSELoss()(layer(inputs), targets).backward()
        opt.step()
        norms.append(float(np.linalg.norm(layer.weight.numpy())))
    return norms


fig, ax = plt.subplots(figsize=(6, 3.5))
for decay in (0.0, 0.1, 0.5):
    ax.plot(weight_norms(decay), label=f"weight_decay = {decay}")
ax.set(xlabel="step", ylabel="‖w‖ (L2 norm of the weights)",
       title="SGD on 10 samples, 20 inputs: L2 shrinks the weights")  # fmt: skip
ax.legend()
plt.show()

# %% [markdown]
# ## Learning-rate schedules (FORMULAS T3)
#
# `optim.lr_scheduler` changes an optimizer's `lr` as training goes on; each call of
# `scheduler.step()` moves $t$ on by one (an epoch, or a batch). `fit(...,
# scheduler=s)` steps it after every epoch, or after every batch with
# `scheduler_interval="batch"`. The curves below are the rates themselves.

# %%
from minidl.optim import lr_scheduler  # noqa: E402


def schedule(make, steps=60):
    opt = optim.SGD([mdl.tensor([0.0], requires_grad=True)], lr=0.1)
    scheduler = make(opt)
    rates = [opt.lr]
    for _ in range(steps):
        scheduler.step()
        rates.append(opt.lr)
    return rates


schedules = {
    "StepLR(step_size=15, gamma=0.5)": lambda o: lr_scheduler.StepLR(o, step_size=15, gamma=0.5),
    "ExponentialLR(gamma=0.95)": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR(T_max=60)": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=60),
    "LinearWarmup(warmup_steps=10)": lambda o: lr_scheduler.LinearWarmup(o, warmup_steps=10),
}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, make in schedules.items():
    ax.plot(schedule(make), label=name)
ax.set(xlabel="step t (scheduler.step() calls)", ylabel="learning rate α_t",
       title="Learning-rate schedules from α₀ = 0.1")  # fmt: skip
ax.legend(fontsize=8)
plt.show()
