"""Losses as fused ops: each computes its value and its gradient in closed form.

Fusing (rather than composing log, exp, mean, ...) is what makes them stable: the
cross-entropy never takes the log of a softmax that underflowed to 0, and the gradient
at the logits comes out as the simple ŷ − y (FORMULAS L7).
"""

from __future__ import annotations

from minidl.autograd import Function
from minidl.backend import backend_of
from minidl.ops.activation import log_softmax, stable_sigmoid

# Probabilities are clipped to [BCE_EPS, 1 − BCE_EPS] before the log in binary
# cross-entropy, so that a prediction of exactly 0 or 1 gives a large but finite loss
# (−log 1e-7 ≈ 16.1) instead of inf. 1e-7 is also Keras's epsilon. In float16, where
# 1 − 1e-7 rounds to 1, the dtype's own machine epsilon is used instead.
BCE_EPS = 1e-7


class CrossEntropy(Function):
    """Softmax + cross-entropy of logits (N, C), mean over the N samples.

    FORMULAS L4:  J = −(1/N) Σ_n Σ_k y_nk · log ŷ_nk   with ŷ = softmax(logits)  (A4)
    (L3 and L5 are the same sum; for one sample with one-hot y it is −log ŷ_true.)

    ``target`` is either class indices (N,) of integer dtype, read as one-hot rows, or
    probabilities / one-hot rows (N, C). log ŷ is computed as log_softmax (shift by the
    row maximum), so logits of ±1000 give finite values.

    The gradient at the logits, for any target rows y (label-smoothed, or not summing
    to 1):  ∂J/∂logits_n = (ŷ_n·Σ_k y_nk − y_n) / N, since every y_nk pulls the whole
    softmax up. FORMULAS L7's (ŷ − y) / N is the case Σ_k y_nk = 1 (one-hot rows, class
    indices, probabilities). For probability targets, ∂J/∂y = −log ŷ / N as well.
    """

    def forward(self, logits, target):
        xp = backend_of(logits).xp
        batch = logits.shape[0]
        self.log_probs = log_softmax(logits, axis=1)  # the class axis
        self.target = target
        if target.ndim == 1:  # class indices: pick each row's log ŷ of the true class
            picked = xp.take_along_axis(self.log_probs, target[:, None], axis=1)
            return -picked.sum() / batch
        return -(target * self.log_probs).sum() / batch

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        batch = self.log_probs.shape[0]
        scale = grad_output / batch
        grad_logits = grad_target = None
        if self.needs_input_grad[0]:
            probs = xp.exp(self.log_probs)  # ŷ
            if self.target.ndim == 1:
                # ŷ − one_hot(target): subtract 1 at each row's true class.
                rows = xp.arange(batch)
                probs[rows, self.target] -= 1
                grad_logits = probs * scale
            else:
                row_total = self.target.sum(axis=1, keepdims=True)  # Σ_k y_nk, often 1
                grad_logits = (probs * row_total - self.target) * scale
        if self.needs_input_grad[1]:
            grad_target = -self.log_probs * scale
        return grad_logits, grad_target


class MSELoss(Function):
    """Squared error between prediction ŷ and target y, reduced by ``reduction``:

        "mean"      FORMULAS L1:  L = (1/n) Σ (y_i − ŷ_i)²     ∂L/∂ŷ = (2/n)(ŷ − y)
        "half_sum"  FORMULAS L2:  J = (1/2) Σ (y_i − ŷ_i)²     ∂J/∂ŷ = ŷ − y
        "sum"                     S = Σ (y_i − ŷ_i)²           ∂S/∂ŷ = 2(ŷ − y)

    n counts every element. ∂/∂y is the negative of ∂/∂ŷ.
    """

    SCALES = {"mean": None, "half_sum": 0.5, "sum": 1.0}  # the factor in front of Σ

    def forward(self, prediction, target, reduction="mean"):
        self.difference = prediction - target
        scale = self.SCALES[reduction]
        self.scale = 1.0 / self.difference.size if scale is None else scale
        return (self.difference * self.difference).sum() * self.scale

    def backward(self, grad_output):
        grad_prediction = (2 * self.scale) * grad_output * self.difference
        grad_target = -grad_prediction if self.needs_input_grad[1] else None
        return grad_prediction, grad_target


class BinaryCrossEntropy(Function):
    """FORMULAS L6 on probabilities ŷ ∈ [0, 1], mean over all n elements:

        J = −(1/n) Σ [ y·log ŷ + (1 − y)·log(1 − ŷ) ]

    ŷ is clipped to [eps, 1 − eps] (``BCE_EPS``) inside the logs so ŷ = 0 or 1 stays
    finite. Gradients, with ŷ clipped the same way:

        ∂J/∂ŷ = (ŷ − y) / (ŷ(1 − ŷ)) / n        ∂J/∂y = −(log ŷ − log(1 − ŷ)) / n

    Outside [eps, 1 − eps] ∂J/∂ŷ is this formula at the clip edge, not the 0 of a flat
    clip, so a saturated prediction still gets pushed the right way (PyTorch does the
    same). Prefer binary_cross_entropy_with_logits: it needs no clipping at all.
    """

    def forward(self, probability, target):
        xp = backend_of(probability).xp
        eps = max(BCE_EPS, float(xp.finfo(probability.dtype).eps))
        self.probability = xp.clip(probability, eps, 1 - eps)
        self.target = target
        self.log_p = xp.log(self.probability)
        self.log_not_p = xp.log(1 - self.probability)
        loss = target * self.log_p + (1 - target) * self.log_not_p
        return -loss.sum() / loss.size

    def backward(self, grad_output):
        p, y, count = self.probability, self.target, self.probability.size
        grad_probability = grad_target = None
        if self.needs_input_grad[0]:
            grad_probability = grad_output * (p - y) / (p * (1 - p)) / count
        if self.needs_input_grad[1]:
            grad_target = -grad_output * (self.log_p - self.log_not_p) / count
        return grad_probability, grad_target


class BinaryCrossEntropyWithLogits(Function):
    """FORMULAS L6 with ŷ = σ(x) (A2) folded in, mean over all n elements:

        J = (1/n) Σ [ max(x, 0) − x·y + log(1 + e^(−|x|)) ]

    which is −y·log σ(x) − (1 − y)·log(1 − σ(x)) rewritten so that the exponent is never
    positive: finite for any logit, no clipping needed.

        ∂J/∂x = (σ(x) − y) / n        ∂J/∂y = −x / n
    """

    def forward(self, logits, target):
        xp = backend_of(logits).xp
        self.logits, self.target = logits, target
        exp_neg_abs = xp.exp(-xp.abs(logits))
        self.sigmoid = stable_sigmoid(logits, exp_neg_abs)  # kept for backward
        loss = xp.maximum(logits, 0) - logits * target + xp.log1p(exp_neg_abs)
        return loss.sum() / loss.size

    def backward(self, grad_output):
        count = self.logits.size
        grad_logits = grad_target = None
        if self.needs_input_grad[0]:
            grad_logits = grad_output * (self.sigmoid - self.target) / count
        if self.needs_input_grad[1]:
            grad_target = -grad_output * self.logits / count
        return grad_logits, grad_target
