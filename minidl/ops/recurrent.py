"""A whole LSTM layer as one op: forward runs every time step, backward is BPTT written out.

The readable version of the same recurrence is ``minidl.nn.LSTMCell`` (a Linear and the
gate activations, composed from other ops) stepped over time; it is this op's test
oracle. Running the loop inside one op instead saves the graph bookkeeping of some
twenty small ops per step, and lets the input projection of all steps be one GEMM.
"""

from __future__ import annotations

import numpy as np

from minidl.autograd import Function
from minidl.backend import backend_of


def active_batch_sizes(lengths: np.ndarray, steps: int) -> np.ndarray:
    """How many sequences are still running at each step, for lengths sorted longest first.

    The sequences still running at step t are then always the first ``sizes[t]`` rows
    (PyTorch's ``PackedSequence.batch_sizes``).
    """
    return (lengths[None, :] > np.arange(steps)[:, None]).sum(axis=1)


class LSTMLayer(Function):
    """FORMULAS S2 at every step of a sequence, with S4's lengths (one layer).

    Inputs: x (T, N, D) time-major; h0, c0 (N, H); weight_ih (4H, D), weight_hh (4H, H),
    bias_ih, bias_hh (4H,), rows in PyTorch's gate order i, f, g, o. ``lengths`` (N,), a
    host integer array, or None when every sequence runs all T steps.

    Forward, for t = 1 … T (z_t are the pre-activations of the four gates):

        z_t = x_t·W_ihᵀ + b_ih + b_hh + h_{t−1}·W_hhᵀ      (x·W_ihᵀ for all t: one GEMM)
        i, f, o = σ(z_t[i]), σ(z_t[f]), σ(z_t[o]);  g = tanh(z_t[g])
        c_t = f ⊙ c_{t−1} + i ⊙ g;   h_t = o ⊙ tanh(c_t)

    A sequence of length L stops after step L: its h_n, c_n are h_L, c_L and its outputs
    after L are 0. The batch is sorted longest first, so the sequences still running are
    always a prefix of the rows and each step computes only those.

    The result stacks three arrays (one op has one output): rows 0…T−1 are the outputs
    h_1 … h_T, row T is h_n, row T+1 is c_n; ``minidl.functional.lstm`` slices them.

    Backward (backpropagation through time), for t = T … 1, with ∂h_t collecting the
    gradient from the output at t and from step t+1, and ∂c_t the one from step t+1:

        ∂c_t += ∂h_t ⊙ o ⊙ (1 − tanh²(c_t))
        ∂z_t[i] = ∂c_t ⊙ g ⊙ i(1 − i)          ∂z_t[f] = ∂c_t ⊙ c_{t−1} ⊙ f(1 − f)
        ∂z_t[g] = ∂c_t ⊙ i ⊙ (1 − g²)          ∂z_t[o] = ∂h_t ⊙ tanh(c_t) ⊙ o(1 − o)
        ∂c_{t−1} = ∂c_t ⊙ f                    ∂h_{t−1} = ∂z_t·W_hh     (one GEMM per step)

    then, with every step's ∂z stacked (zero after each sequence's end), one GEMM each:

        ∂x = ∂z·W_ih    ∂W_ih = ∂zᵀ·x    ∂W_hh = ∂zᵀ·h_{t−1}    ∂b_ih = ∂b_hh = Σ ∂z
    """

    def forward(self, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, lengths=None):
        xp = backend_of(x).xp
        steps, batch, input_size = x.shape
        hidden = weight_hh.shape[1]
        if lengths is None:
            self.order = None
            active = [batch] * steps
        else:
            # Longest first (stable, so equal lengths keep their order).
            order = np.argsort(-lengths, kind="stable")
            self.order = backend_of(x).asarray(order)
            self.inverse = backend_of(x).asarray(np.argsort(order))
            lengths = lengths[order]
            active = active_batch_sizes(lengths, steps).tolist()
            x, h0, c0 = x[:, self.order], h0[self.order], c0[self.order]

        # σ(z) = (1 + tanh(z/2))/2: with the i, f, o rows of the weights halved, one tanh
        # over all four gates, then one multiply-add, activates them all.
        half = xp.ones(4 * hidden, dtype=x.dtype)
        half[: 2 * hidden] = half[3 * hidden :] = 0.5
        shift = 1 - half  # 0.5 for i, f, o; 0 for g
        x_rows = x.reshape(-1, input_size)
        gates = (x_rows @ (weight_ih.T * half) + (bias_ih + bias_hh) * half).reshape(
            steps, batch, 4 * hidden
        )
        weight_hh_half = weight_hh.T * half  # (H, 4H)

        # states[t] is h_t; states[1:] is the result: outputs, then h_n and c_n.
        states = xp.zeros((steps + 3, batch, hidden), dtype=x.dtype)
        states[0] = h0
        cells = xp.zeros((steps + 1, batch, hidden), dtype=x.dtype)
        cells[0] = c0
        tanh_cells = xp.zeros((steps, batch, hidden), dtype=x.dtype)
        recurrent = xp.empty((batch, 4 * hidden), dtype=x.dtype)
        product = xp.empty((batch, hidden), dtype=x.dtype)
        for t in range(steps):
            n = active[t]
            if n == 0:
                break
            z = gates[t, :n]
            z += xp.matmul(states[t, :n], weight_hh_half, out=recurrent[:n])
            xp.tanh(z, out=z)
            z *= half
            z += shift
            i, f, g, o = (z[:, k * hidden : (k + 1) * hidden] for k in range(4))
            c = xp.multiply(f, cells[t, :n], out=cells[t + 1, :n])
            c += xp.multiply(i, g, out=product[:n])
            xp.multiply(o, xp.tanh(c, out=tanh_cells[t, :n]), out=states[t + 1, :n])

        if lengths is None:
            states[steps + 1] = states[steps]
            states[steps + 2] = cells[steps]
        else:  # each sequence's state after its own last step
            rows = backend_of(x).asarray(np.arange(batch))
            last = backend_of(x).asarray(lengths)
            states[steps + 1] = states[last, rows]
            states[steps + 2] = cells[last, rows]
        if any(self.needs_input_grad):
            self.x_rows, self.weight_ih, self.weight_hh = x_rows, weight_ih, weight_hh
            self.gates, self.cells, self.tanh_cells = gates, cells, tanh_cells
            self.hidden_states, self.active = states[: steps + 1], active
        result = states[1:]
        return result if self.order is None else result[:, self.inverse]

    def backward(self, grad_output):
        xp = backend_of(grad_output).xp
        if self.order is not None:
            grad_output = grad_output[:, self.order]
        gates, cells, tanh_cells, active = self.gates, self.cells, self.tanh_cells, self.active
        steps, batch, four_hidden = gates.shape
        hidden = four_hidden // 4
        # The slope of each gate's activation at every step, in one pass:
        # σ' = σ(1 − σ) for i, f, o and tanh' = 1 − g² for g.
        slopes = gates * (1 - gates)
        g_all = gates[:, :, 2 * hidden : 3 * hidden]
        slopes[:, :, 2 * hidden : 3 * hidden] = 1 - g_all * g_all
        # ∂h_t → ∂c_t goes through o ⊙ tanh'(c_t), also for every step at once.
        o_tanh_slope = gates[:, :, 3 * hidden :] * (1 - tanh_cells * tanh_cells)

        grad_h = grad_output[steps].copy()  # from h_n
        grad_c = grad_output[steps + 1].copy()  # from c_n
        grad_gates = xp.zeros_like(gates)
        product = xp.empty((batch, hidden), dtype=gates.dtype)
        for t in reversed(range(steps)):
            n = active[t]
            if n == 0:
                continue
            dh, dc, dz = grad_h[:n], grad_c[:n], grad_gates[t, :n]
            dh += grad_output[t, :n]
            dc += xp.multiply(dh, o_tanh_slope[t, :n], out=product[:n])
            i, f, g = (gates[t, :n, k * hidden : (k + 1) * hidden] for k in range(3))
            xp.multiply(dc, g, out=dz[:, :hidden])
            xp.multiply(dc, cells[t, :n], out=dz[:, hidden : 2 * hidden])
            xp.multiply(dc, i, out=dz[:, 2 * hidden : 3 * hidden])
            xp.multiply(dh, tanh_cells[t, :n], out=dz[:, 3 * hidden :])
            dz *= slopes[t, :n]
            dc *= f
            xp.matmul(dz, self.weight_hh, out=dh)

        needs_x, needs_h0, needs_c0, needs_w_ih, needs_w_hh, needs_b_ih, needs_b_hh = (
            self.needs_input_grad
        )
        grad_rows = grad_gates.reshape(-1, four_hidden)
        grad_x = None
        if needs_x:
            grad_x = (grad_rows @ self.weight_ih).reshape(steps, batch, -1)
        grad_w_ih = grad_rows.T @ self.x_rows if needs_w_ih else None
        grad_w_hh = None
        if needs_w_hh:
            grad_w_hh = grad_rows.T @ self.hidden_states[:steps].reshape(-1, hidden)
        # Both biases add to z the same way, so they get the same gradient (autograd
        # copies an array it hands to two leaves).
        grad_bias = grad_rows.sum(axis=0) if needs_b_ih or needs_b_hh else None
        if self.order is not None:  # back to the caller's order of the batch
            grad_x = grad_x[:, self.inverse] if grad_x is not None else None
            grad_h, grad_c = grad_h[self.inverse], grad_c[self.inverse]
        return (
            grad_x,
            grad_h if needs_h0 else None,
            grad_c if needs_c0 else None,
            grad_w_ih,
            grad_w_hh,
            grad_bias if needs_b_ih else None,
            grad_bias if needs_b_hh else None,
        )
