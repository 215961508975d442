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
# # 04 · The documents' MLPs on handwritten digits
#
# Two multi-layer perceptrons from the documents:
#
# | id | network | training |
# |---|---|---|
# | X3 (doc 002) | 784–128–64–10, ReLU, cross-entropy | SGD, lr 0.001, momentum 0.9, batch 64, Fashion-MNIST |
# | X4 (doc 003) | 784–64–64–10, ReLU, softmax + categorical CE | Adam, batch 32, 10 epochs, MNIST scaled by 1/255 |
#
# MNIST is not bundled, so we train both on the 8×8 digits that ship with
# scikit-learn: 1797 images, 64 pixels each. The input layer therefore has 64 units
# instead of 784. Everything else is as the documents say. At the end, the same networks
# run on MNIST and Fashion-MNIST, if their files are on disk.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minidl as mdl
from minidl import metrics, nn, optim
from minidl.data import DataLoader, TensorDataset, datasets, one_hot, standardize, train_test_split

mdl.manual_seed(0)

# %% [markdown]
# ## 1. The data
#
# `load_digits()` returns the pixels already scaled to $[0, 1]$ (the value divided by
# 16, the 8×8 version of D2's $x/255$). We keep a quarter of the images for testing, with
# the same share of each digit in both parts, and look at the test set only once, at the
# end. A fifth of the rest is the validation set: the curves during training are
# measured on it, and it is what we would tune the learning rate or the number of
# epochs on. Then we standardize every pixel with the training set's mean and standard
# deviation (D1): $x' = (x - \mu)/\sigma$.

# %%
x, y = datasets.load_digits()
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0, stratify=y)
x_train, x_val, y_train, y_val = train_test_split(
    x_train, y_train, test_size=0.2, seed=0, stratify=y_train
)
x_train, mean, std = standardize(x_train)
x_val, _, _ = standardize(x_val, mean, std)
x_test, _, _ = standardize(x_test, mean, std)
print("train", x_train.shape, " validation", x_val.shape, " test", x_test.shape)
print("images per digit in the training set:", np.bincount(y_train))

fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for digit, ax in enumerate(axes):
    ax.imshow(x[np.flatnonzero(y == digit)[0]].reshape(8, 8), cmap="gray_r")
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## 2. X3: 64–128–64–10, ReLU, cross-entropy, SGD with momentum
#
# Document 002 trains with PyTorch's `SGD(lr=0.001, momentum=0.9)`. minidl's `Momentum`
# takes the same steps for a constant learning rate (see erratum E1). The last layer
# outputs logits, and `CrossEntropyLoss` applies the softmax (L4).
#
# Such a small learning rate needs many steps. Document 002 makes 1875 of them (two
# epochs of 60000 images in batches of 64). Here one epoch is only 22 batches, so we
# train for 80 epochs, which is about as many steps.


# %%
def x3(inputs=64):
    return nn.Sequential(
        nn.Linear(inputs, 128), nn.ReLU(),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )  # fmt: skip


mdl.manual_seed(0)
model_x3 = x3()
train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=0)
val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=256)
start = time.perf_counter()
history_x3 = mdl.train.fit(
    model_x3,
    nn.CrossEntropyLoss(),
    optim.Momentum(model_x3.parameters(), lr=0.001, momentum=0.9),
    train_loader,
    epochs=80,
    val_loader=val_loader,
    progress=False,
)
print(f"X3 trained in {time.perf_counter() - start:.1f} s")
history_x3.plot(title="X3 (64–128–64–10, SGD + momentum) on the digits, validation set")
plt.show()

# %% [markdown]
# ## 3. X4: 64–64–64–10, softmax + categorical cross-entropy, Adam
#
# Document 003 uses one-hot labels (D3) with categorical cross-entropy. `F.cross_entropy`
# accepts one-hot rows as the target as well as class indices. It trains with Adam
# (default rate 0.001), in batches of 32, for 10 epochs.

# %%
mdl.manual_seed(0)
model_x4 = nn.Sequential(
    nn.Linear(64, 64), nn.ReLU(),
    nn.Linear(64, 64), nn.ReLU(),
    nn.Linear(64, 10),
)  # fmt: skip
y_train_one_hot = one_hot(y_train, 10)
print("label", y_train[0], "→ one-hot", y_train_one_hot[0])
start = time.perf_counter()
history_x4 = mdl.train.fit(
    model_x4,
    nn.CrossEntropyLoss(),
    optim.Adam(model_x4.parameters(), lr=0.001),
    DataLoader(TensorDataset(x_train, y_train_one_hot), batch_size=32, shuffle=True, seed=0),
    epochs=10,
    val_loader=DataLoader(TensorDataset(x_val, one_hot(y_val, 10)), batch_size=256),
    progress=False,
)
print(f"X4 trained in {time.perf_counter() - start:.1f} s")
history_x4.plot(title="X4 (64–64–64–10, Adam) on the digits, validation set")
plt.show()

# %% [markdown]
# ## 4. How good are they? Accuracy and the confusion matrix (M1–M4)
#
# Accuracy is the share of correct answers (M1). The confusion matrix counts, for each
# true digit (row), how often each digit was predicted (column). The diagonal holds the
# correct answers. Per class, recall = diagonal / row sum (M2) and precision =
# diagonal / column sum (M3). F1 is their harmonic mean (M4, *not* the document's
# accuracy-based version, erratum E5). "macro" averages over the ten digits.


# %%
def predict(model, features):
    model.eval()
    with mdl.no_grad():
        scores = model(mdl.tensor(features))
    model.train()
    return scores.numpy().argmax(axis=1)


fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, (name, model) in zip(axes, [("X3 (SGD + momentum)", model_x3), ("X4 (Adam)", model_x4)]):
    predicted = predict(model, x_test)
    matrix = metrics.confusion_matrix(y_test, predicted, num_classes=10)
    ax.imshow(matrix, cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            ax.text(column, row, count, ha="center", va="center", fontsize=7,
                    color="white" if count > matrix.max() / 2 else "black")  # fmt: skip
    ax.set(
        xlabel="predicted digit", ylabel="true digit", xticks=range(10), yticks=range(10),
        title=f"{name}: test set, images per cell",
    )  # fmt: skip
    print(
        f"{name:20s} accuracy {metrics.accuracy(y_test, predicted):.3f}   "
        f"macro precision {metrics.precision(y_test, predicted, average='macro'):.3f}   "
        f"recall {metrics.recall(y_test, predicted, average='macro'):.3f}   "
        f"F1 {metrics.f1_score(y_test, predicted, average='macro'):.3f}"
    )
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 5. MNIST and Fashion-MNIST, when the files are there
#
# The real X3 and X4 use 28×28 images, so 784 inputs. minidl reads the original IDX
# files from `<root>/mnist/` and `<root>/fashion-mnist/`. The root is taken from the
# environment variable `MINIDL_DATA`, or `data/` at the top of the repository. Nothing
# is downloaded here. To fetch the files once, call
# `datasets.mnist(root, download=True)`. To stay within a minute, this section trains on
# the first 12000 images for one epoch only.

# %%
data_root = Path(os.environ.get("MINIDL_DATA", Path.cwd().parent / "data"))


def try_idx_dataset(loader, name, build, make_optimizer, batch_size):
    try:
        images, labels = loader(data_root, train=True)
        test_images, test_labels = loader(data_root, train=False)
    except FileNotFoundError:
        print(f"{name}: no files under {data_root} - skipped")
        return
    mdl.manual_seed(0)
    model = build()
    flat = images[:12000].reshape(-1, 784)  # already scaled by 1/255 (D2)
    fit_history = mdl.train.fit(
        model, nn.CrossEntropyLoss(), make_optimizer(model.parameters()),
        DataLoader(TensorDataset(flat, labels[:12000]), batch_size=batch_size, shuffle=True, seed=0),
        epochs=1, progress=False,
    )  # fmt: skip
    predicted = predict(model, test_images.reshape(-1, 784))
    print(
        f"{name}: test accuracy after one short epoch {metrics.accuracy(test_labels, predicted):.3f}"
    )
    return fit_history


try_idx_dataset(
    datasets.fashion_mnist, "X3 on Fashion-MNIST", lambda: x3(784),
    lambda p: optim.Momentum(p, lr=0.001, momentum=0.9), batch_size=64,
)  # fmt: skip
try_idx_dataset(
    datasets.mnist, "X4 on MNIST",
    lambda: nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)),
    lambda p: optim.Adam(p, lr=0.001), batch_size=32,
)  # fmt: skip

# %% [markdown]
# ## 6. Cohen's kappa beside accuracy (FORMULAS T6)
#
# Accuracy counts agreements; some of them happen by chance. Cohen's kappa takes the
# chance agreement out: $\kappa = (p_o - p_e)/(1 - p_e)$, where $p_o$ is the accuracy
# and $p_e = \sum_k (\text{row}_k/n)(\text{col}_k/n)$ is the agreement of a guesser
# with the same class frequencies, from the confusion matrix. With ten balanced classes
# $p_e \approx 0.1$, so κ is a little below the accuracy. The bars show both.

# %%
names, accuracies, kappas = [], [], []
for name, model in [("X3 (SGD + momentum)", model_x3), ("X4 (Adam)", model_x4)]:
    model.eval()
    with mdl.no_grad():
        predicted = model(mdl.tensor(x_test)).numpy().argmax(axis=1)
    model.train()
    names.append(name)
    accuracies.append(metrics.accuracy(y_test, predicted))
    kappas.append(metrics.cohen_kappa(y_test, predicted))
    print(f"{name:20s} accuracy {accuracies[-1]:.3f}   Cohen's kappa {kappas[-1]:.3f}")

fig, ax = plt.subplots(figsize=(6, 3.2))
positions = np.arange(len(names))
ax.bar(positions - 0.2, accuracies, width=0.4, label="accuracy")
ax.bar(positions + 0.2, kappas, width=0.4, label="Cohen's kappa")
ax.set(xticks=positions, xticklabels=names, ylim=(0.8, 1.0), ylabel="score (1 = perfect)",
       xlabel="network", title="Digits test set: accuracy and chance-corrected kappa")  # fmt: skip
ax.legend(loc="lower right")
plt.show()
