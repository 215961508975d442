"""The dense (fully connected) layer as one op: a single matrix product each way."""

from __future__ import annotations

from minidl.autograd import Function


class Linear(Function):
    """FORMULAS N1 (and N4): z_j = Σ_i w_ji·x_i + b_j, that is  Z = X·Wᵀ + b.

    Shapes: x (..., in_features), weight (out_features, in_features) as in PyTorch,
    bias (out_features,) or absent. Leading axes of x are flattened into one batch axis,
    so the forward pass is one GEMM, and so is each gradient:

        ∂L/∂X = G·W        ∂L/∂W = Gᵀ·X        ∂L/∂b = Σ_rows G       (G = ∂L/∂Z)
    """

    def forward(self, x, weight, bias=None):
        self.input_shape = x.shape
        out_features, in_features = weight.shape
        self.x_rows = x.reshape(-1, in_features)  # (batch, in): a view when x is contiguous
        self.weight = weight
        output = self.x_rows @ weight.T  # BLAS reads the transposed view without a copy
        if bias is not None:
            output += bias  # in place: `output` is a fresh array that nobody else holds
        return output.reshape(*x.shape[:-1], out_features)

    def backward(self, grad_output):
        needs_x, needs_weight, *needs_bias = self.needs_input_grad
        grad_rows = grad_output.reshape(-1, self.weight.shape[0])  # (batch, out)
        grad_x = (grad_rows @ self.weight).reshape(self.input_shape) if needs_x else None
        grad_weight = grad_rows.T @ self.x_rows if needs_weight else None
        if not needs_bias:  # called without a bias
            return grad_x, grad_weight
        grad_bias = grad_rows.sum(axis=0) if needs_bias[0] else None
        return grad_x, grad_weight, grad_bias
