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
# # 05 · The documents' CNNs on digit images
#
# | id | network | task |
# |---|---|---|
# | X5 (doc 000) | Conv(32, 3×3)–MaxPool 2–Conv(64)–MaxPool 2–Conv(128)–MaxPool 2–Flatten–Dense(512)–Dropout(0.5)–Dense(1, sigmoid); BCE; Adam 0.001 | binary |
# | X6 (doc 004) | Conv–MaxPool–Flatten–Dense(softmax); categorical CE; Adam | multi-class |
#
# We train both on the 8×8 digit images bundled with scikit-learn. X5 answers "is this
# a 0?", and X6 tells the ten digits apart. On the way we check the convolution's output
# size (erratum E7) and look at what the first layer has learned.

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minidl as mdl
from minidl import functional as F
from minidl import metrics, nn, optim
from minidl.data import DataLoader, TensorDataset, datasets, train_test_split

mdl.manual_seed(0)

# %% [markdown]
# ## 1. Convolution: output size (N2, erratum E7)
#
# `F.conv2d` slides the kernel over the input and sums the products (a
# cross-correlation, N2). With no padding, a $k \times k$ kernel fits into an
# $H \times W$ input at $(H - k + 1) \times (W - k + 1)$ places. Document 004 says a 3×3
# kernel on a 3×3 input gives a 2×2 output. It gives 1×1:

# %%
image = mdl.tensor(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))  # (batch, channels, height, width)
for kernel_size, padding in [(3, 0), (2, 0), (3, 1)]:
    kernel = mdl.tensor(np.ones((1, 1, kernel_size, kernel_size)))
    output = F.conv2d(image, kernel, padding=padding)
    print(
        f"3×3 input, {kernel_size}×{kernel_size} kernel, padding {padding} → output {output.shape[2:]}"
    )
print(
    "the single output of the 3×3 kernel is the sum of all nine pixels:",
    F.conv2d(image, mdl.tensor(np.ones((1, 1, 3, 3)))).item(),
)

# %% [markdown]
# ## 2. The data
#
# `load_digits(images=True)` gives images of shape (N, 1, 8, 8) with pixels in $[0, 1]$.
# A quarter of them is kept for testing, looked at once at the end. A fifth of the rest
# is the validation set that the training curves are measured on.

# %%
images, digits = datasets.load_digits(images=True)
x_train, x_test, y_train, y_test = train_test_split(
    images, digits, test_size=0.25, seed=0, stratify=digits
)
x_train, x_val, y_train, y_val = train_test_split(
    x_train, y_train, test_size=0.2, seed=0, stratify=y_train
)
print("train", x_train.shape, " validation", x_val.shape, " test", x_test.shape)

# %% [markdown]
# ## 3. X5: a binary CNN with sigmoid + BCE, "is it a 0?"
#
# X5 is a three-block CNN. Document 000 feeds it 150×150 colour images. Our images are
# 8×8, so each 3×3 convolution gets padding 1, which keeps the size. Then each max-pool
# halves it: 8 → 4 → 2 → 1. The ReLU after each convolution is the document's
# `activation='relu'`. The last layer is one sigmoid unit, and the loss is binary
# cross-entropy (L6).


# %%
def x5():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 32 × 4 × 4
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 64 × 2 × 2
        nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 128 × 1 × 1
        nn.Flatten(),
        nn.Linear(128, 512), nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(512, 1), nn.Sigmoid(),
    )  # fmt: skip


is_zero_train = (y_train == 0).astype(np.float32)[:, None]
is_zero_val = (y_val == 0).astype(np.float32)[:, None]
is_zero_test = (y_test == 0).astype(np.float32)[:, None]
print(f"{is_zero_train.mean():.0%} of the training images are zeros")

mdl.manual_seed(0)
model_x5 = x5()
start = time.perf_counter()
history_x5 = mdl.train.fit(
    model_x5,
    nn.BCELoss(),
    optim.Adam(model_x5.parameters(), lr=0.001),
    DataLoader(TensorDataset(x_train, is_zero_train), batch_size=32, shuffle=True, seed=0),
    epochs=4,
    val_loader=DataLoader(TensorDataset(x_val, is_zero_val), batch_size=256),
    progress=False,
)
print(f"X5 trained in {time.perf_counter() - start:.1f} s")
# The accuracy axis starts at 0.9: answering "no" every time already scores about 0.9.
history_x5.plot(title='X5 (binary CNN): "is it a 0?", validation set')
plt.show()

# %% [markdown]
# Only one image in ten is a zero, so a model that always answers "no" is already 90%
# accurate. For a rare class, precision, recall and F1 say more than accuracy.


# %%
def predict(model, features):
    model.eval()  # dropout off
    with mdl.no_grad():
        output = model(mdl.tensor(features)).numpy()
    model.train()
    return output


predicted_zero = (predict(model_x5, x_test)[:, 0] > 0.5).astype(np.int64)
truth = is_zero_test[:, 0].astype(np.int64)
accuracy = metrics.accuracy(truth, predicted_zero)
precision = metrics.precision(truth, predicted_zero)
recall = metrics.recall(truth, predicted_zero)
print(
    f"accuracy {accuracy:.3f}  precision {precision:.3f}  recall {recall:.3f}  F1 {metrics.f1_score(truth, predicted_zero):.3f}"
)
print(
    f"(the documents' F1 from accuracy and recall, erratum E5: {2 * accuracy * recall / (accuracy + recall):.3f})"
)

# %% [markdown]
# ## 4. X6: Conv–MaxPool–Flatten–Dense(softmax), ten classes
#
# Document 004 leaves the sizes open. We use 16 filters of 3×3 without padding
# (8×8 → 6×6), a 2×2 max-pool (→ 3×3), and one dense layer to the ten classes. The
# softmax is inside `CrossEntropyLoss` (L4).

# %%
mdl.manual_seed(0)
model_x6 = nn.Sequential(
    nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),  # 16 × 3 × 3
    nn.Flatten(),
    nn.Linear(16 * 3 * 3, 10),
)  # fmt: skip
start = time.perf_counter()
history_x6 = mdl.train.fit(
    model_x6,
    nn.CrossEntropyLoss(),
    optim.Adam(model_x6.parameters(), lr=0.01),
    DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=0),
    epochs=8,
    val_loader=DataLoader(TensorDataset(x_val, y_val), batch_size=256),
    progress=False,
)
print(f"X6 trained in {time.perf_counter() - start:.1f} s")
history_x6.plot(title="X6 (Conv–MaxPool–Flatten–Dense), ten digits, validation set")
plt.show()

predicted_digit = predict(model_x6, x_test).argmax(axis=1)
print(f"X6 test accuracy {metrics.accuracy(y_test, predicted_digit):.3f}")
print(metrics.confusion_matrix(y_test, predicted_digit, num_classes=10))

# %% [markdown]
# ## 5. What the first layer sees: kernels and feature maps
#
# Each of X6's 16 kernels is a 3×3 pattern, drawn here above its feature map. A
# feature map (after ReLU) lights up where the image contains its kernel's pattern: a
# stroke at some angle, an edge, a corner. The max-pool then keeps the strongest
# response in each 2×2 block.

# %%
sample = x_test[:1]
kernels = model_x6[0].weight.numpy()[:, 0]  # (16, 3, 3)
with mdl.no_grad():
    feature_maps = model_x6[1](model_x6[0](mdl.tensor(sample))).numpy()[0]  # (16, 6, 6)

fig, axes = plt.subplots(4, 9, figsize=(11, 5.2), layout="constrained")
axes[0, 0].imshow(sample[0, 0], cmap="gray_r")
axes[0, 0].set_title(f"input: a {y_test[0]}", fontsize=9)
# One colour scale for all kernels, centred on 0 (white), so red and blue mean the
# same weight everywhere; one scale, from 0, for all feature maps.
weight_limit = np.abs(kernels).max()
for k in range(16):
    row, column = 2 * (k // 8), 1 + k % 8
    kernel_image = axes[row, column].imshow(  # kernel k ...
        kernels[k], cmap="RdBu_r", vmin=-weight_limit, vmax=weight_limit
    )
    map_image = axes[row + 1, column].imshow(  # ... and its feature map below it
        feature_maps[k], cmap="magma", vmin=0, vmax=feature_maps.max()
    )
    axes[row, column].set_title(f"kernel {k}", fontsize=7)
for ax in axes.ravel():
    ax.axis("off")
fig.colorbar(kernel_image, ax=axes, label="kernel weight (rows 1 and 3)", shrink=0.9)
fig.colorbar(map_image, ax=axes, label="feature map value (rows 2 and 4)", shrink=0.9)
fig.suptitle("X6's first layer: 16 kernels (3×3) and their feature maps (6×6) for one test image")
plt.show()

# %% [markdown]
# ## 6. The ROC curve of X5 and its AUC (FORMULAS T5)
#
# X5 answers "is it a 0?" with a probability; the 0.5 threshold used above is one choice
# of many. The ROC curve shows every choice at once: for each threshold, the share of
# zeros found (true-positive rate) against the share of other digits wrongly called zero
# (false-positive rate). The area under it (AUC) is the probability that a random zero
# gets a higher score than a random other digit: 1 is a perfect ranking, 0.5 is chance.

# %%
model_x5.eval()  # dropout off
with mdl.no_grad():
    zero_scores = model_x5(mdl.tensor(x_test)).numpy()[:, 0]
model_x5.train()
is_zero = (y_test == 0).astype(np.int64)
fpr, tpr, thresholds = metrics.roc_curve(is_zero, zero_scores)
auc = metrics.roc_auc(is_zero, zero_scores)

fig, ax = plt.subplots(figsize=(4.5, 4.5))
ax.plot(fpr, tpr, marker=".", label=f"X5, AUC = {auc:.3f}")
ax.plot([0, 1], [0, 1], linestyle="--", color="gray", label="chance (AUC = 0.5)")
ax.set(xlabel="false-positive rate (other digits called 0)",
       ylabel="true-positive rate (zeros found)", title="ROC curve: is it a 0?")  # fmt: skip
ax.legend(loc="lower right")
plt.show()
predicted = (zero_scores > 0.5).astype(np.int64)
print(
    f"at threshold 0.5: accuracy {metrics.accuracy(is_zero, predicted):.3f}, "
    f"Cohen's kappa {metrics.cohen_kappa(is_zero, predicted):.3f}"
)

# %% [markdown]
# Kappa is lower than accuracy here: nine images in ten are not zeros, so answering
# "no" every time already agrees 90% of the time by chance, and kappa only counts what
# is better than that.
#
# ## 7. Data augmentation (FORMULAS T4)
#
# Document 000 trains X5 with Keras' `ImageDataGenerator`, which rotates, shifts, zooms
# and flips each training image at random, anew every epoch: the network never sees the
# same picture twice and has to learn what does not change. `minidl.data.transforms`
# does the same on NCHW batches, and `DataLoader(..., transform=...)` applies it to the
# training batches only. Here are a few digits and three random draws of each.

# %%
from minidl.data import transforms  # noqa: E402

augment = transforms.Compose(
    [
        transforms.RandomRotation(15),
        transforms.RandomShift(0.125),
        transforms.RandomZoom(0.1),
    ]
)  # no flips: a mirrored 2 is not a 2
mdl.manual_seed(0)
originals = x_train[:6]
fig, axes = plt.subplots(4, 6, figsize=(7, 5))
for row in range(4):
    shown = originals if row == 0 else augment(originals)
    for column in range(6):
        axes[row, column].imshow(shown[column, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[row, column].set_xticks([])
        axes[row, column].set_yticks([])
    axes[row, 0].set_ylabel("original" if row == 0 else f"draw {row}")
fig.suptitle("Digits (8×8 pixels) and three random augmentations of each")
plt.tight_layout()
plt.show()

# %% [markdown]
# Training X6 again with augmented batches, to compare the test accuracy epoch by epoch.

# %%
mdl.manual_seed(0)
model_x6_augmented = nn.Sequential(
    nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(16 * 3 * 3, 10),
)  # fmt: skip
history_augmented = mdl.train.fit(
    model_x6_augmented,
    nn.CrossEntropyLoss(),
    optim.Adam(model_x6_augmented.parameters(), lr=0.01),
    DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True, seed=0,
               transform=augment),
    epochs=8,
    val_loader=DataLoader(TensorDataset(x_test, y_test), batch_size=256),
    progress=False,
)  # fmt: skip
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(history_x6.epochs, history_x6.val_accuracy, marker="o", label="X6, plain batches")
ax.plot(history_augmented.epochs, history_augmented.val_accuracy, marker="o",
        label="X6, augmented batches")  # fmt: skip
ax.set(xlabel="epoch", ylabel="test accuracy (fraction)", title="X6 with and without augmentation")
ax.legend()
plt.show()

# %% [markdown]
# Here augmentation does not help, and costs some accuracy in 8 epochs: these digits
# are already centred and scaled the same way, in train and test alike, and on 8×8
# pixels a one-pixel shift is an eighth of the image. Augmentation pays where training
# images are few and vary in ways the test images will too, as the cat and dog photos
# of document 000 do. Try weaker transforms, or more epochs, and compare.
