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


class PackedSteps:
    """Where each step's rows are when only the real steps of a batch are stored.

    With the batch sorted longest first, step t has ``sizes[t]`` running sequences, the
    first rows of the batch. Arrays over the real steps ("packed", like PyTorch's
    PackedSequence) hold step 0's rows, then step 1's, and so on: step t's rows are
    ``starts[t] : starts[t] + sizes[t]``, and ``running[t, n]`` says whether sequence n
    is still running at step t (its packed order is the row-major order of that mask).
    """

    def __init__(self, lengths: np.ndarray, steps: int) -> None:
        self.steps, self.batch = steps, len(lengths)
        self.running = np.arange(steps)[:, None] < lengths[None, :]
        self.sizes = self.running.sum(axis=1).tolist()
        self.starts = np.concatenate([[0], np.cumsum(self.sizes)]).tolist()
        self.total = self.starts[-1]
        self.lengths = lengths


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
    always the first rows, and only the real steps are computed and stored (packed, see
    ``PackedSteps``): padding costs neither time nor memory.

    The result stacks three arrays (one op has one output): rows 0…T−1 are the outputs
    h_1 … h_T, row T is h_n, row T+1 is c_n; ``minidl.functional.lstm`` slices them.

    Backward (backpropagation through time), for t = T … 1, with ∂h_t collecting the
    gradient from the output at t and from step t+1, and ∂c_t the one from step t+1:

        ∂c_t += ∂h_t ⊙ o ⊙ (1 − tanh²(c_t))
        ∂z_t[i] = ∂c_t ⊙ g ⊙ i(1 − i)          ∂z_t[f] = ∂c_t ⊙ c_{t−1} ⊙ f(1 − f)
        ∂z_t[g] = ∂c_t ⊙ i ⊙ (1 − g²)          ∂z_t[o] = ∂h_t ⊙ tanh(c_t) ⊙ o(1 − o)
        ∂c_{t−1} = ∂c_t ⊙ f                    ∂h_{t−1} = ∂z_t·W_hh     (one GEMM per step)

    then, with every real step's ∂z stacked, one GEMM each:

        ∂x = ∂z·W_ih    ∂W_ih = ∂zᵀ·x    ∂W_hh = ∂zᵀ·h_{t−1}    ∂b_ih = ∂b_hh = Σ ∂z
    """

    def forward(self, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, lengths=None):
        backend = backend_of(x)
        xp = backend.xp
        steps, batch, input_size = x.shape
        hidden = weight_hh.shape[1]
        if lengths is None:
            self.order = None
            packed = PackedSteps(np.full(batch, steps), steps)
            x_rows = x.reshape(-1, input_size)  # every step is real: packed is x itself
        else:
            # Longest first (stable, so equal lengths keep their order).
            order = np.argsort(-lengths, kind="stable")
            self.order, self.inverse = backend.asarray(order), backend.asarray(np.argsort(order))
            packed = PackedSteps(lengths[order], steps)
            self.running = backend.asarray(packed.running)
            x_rows = x[:, self.order][self.running]
            h0, c0 = h0[self.order], c0[self.order]
        sizes, starts = packed.sizes, packed.starts

        # σ(z) = (1 + tanh(z/2))/2: with the i, f, o rows of the weights halved, one tanh
        # over all four gates, then one multiply-add, activates them all.
        half = xp.ones(4 * hidden, dtype=x.dtype)
        half[: 2 * hidden] = half[3 * hidden :] = 0.5
        shift = 1 - half  # 0.5 for i, f, o; 0 for g
        gates = x_rows @ (weight_ih.T * half) + (bias_ih + bias_hh) * half  # (real steps, 4H)
        weight_hh_half = weight_hh.T * half  # (H, 4H)

        # h and c of every real step, after h0 and c0 (rows 0 … N−1). The states after k
        # steps start at row after[k]: step t reads from after[t] and writes at after[t+1].
        states = xp.empty((batch + packed.total, hidden), dtype=x.dtype)
        cells = xp.empty((batch + packed.total, hidden), dtype=x.dtype)
        states[:batch], cells[:batch] = h0, c0
        after = [0] + [batch + start for start in starts[:-1]]
        tanh_cells = xp.empty((packed.total, hidden), dtype=x.dtype)
        recurrent = xp.empty((batch, 4 * hidden), dtype=x.dtype)
        product = xp.empty((batch, hidden), dtype=x.dtype)
        for t in range(steps):
            n, rows = sizes[t], slice(starts[t], starts[t + 1])
            if n == 0:
                break
            before, here = slice(after[t], after[t] + n), slice(after[t + 1], after[t + 1] + n)
            z = gates[rows]
            z += xp.matmul(states[before], weight_hh_half, out=recurrent[:n])
            xp.tanh(z, out=z)
            z *= half
            z += shift
            i, f, g, o = (z[:, k * hidden : (k + 1) * hidden] for k in range(4))
            c = xp.multiply(f, cells[before], out=cells[here])
            c += xp.multiply(i, g, out=product[:n])
            xp.multiply(o, xp.tanh(c, out=tanh_cells[rows]), out=states[here])

        result = xp.zeros((steps + 2, batch, hidden), dtype=x.dtype)
        if self.order is None:
            result[:steps] = states[batch:].reshape(steps, batch, hidden)
        else:
            result[:steps][self.running] = states[batch:]
        # Each sequence's state after its own last step: sequence n of length L is row n
        # of the states after L steps.
        last = backend.asarray(np.array(after)[packed.lengths] + np.arange(batch))
        result[steps], result[steps + 1] = states[last], cells[last]
        if any(self.needs_input_grad):
            self.x_rows, self.weight_ih, self.weight_hh = x_rows, weight_ih, weight_hh
            self.gates, self.cells, self.tanh_cells, self.states = gates, cells, tanh_cells, states
            self.packed, self.after = packed, after
        return result if self.order is None else result[:, self.inverse]

    def backward(self, grad_output):
        backend = backend_of(grad_output)
        xp = backend.xp
        if self.order is not None:
            grad_output = grad_output[:, self.order]
        gates, cells, tanh_cells, packed = self.gates, self.cells, self.tanh_cells, self.packed
        sizes, starts, after = packed.sizes, packed.starts, self.after
        steps, batch, hidden = packed.steps, packed.batch, self.weight_hh.shape[1]
        if self.order is None:
            grad_steps = grad_output[:steps].reshape(-1, hidden)
        else:
            grad_steps = grad_output[:steps][self.running]  # the real steps' output gradients

        grad_h = grad_output[steps].copy()  # from h_n
        grad_c = grad_output[steps + 1].copy()  # from c_n
        grad_gates = xp.empty_like(gates)
        slope = xp.empty((batch, 4 * hidden), dtype=gates.dtype)
        product = xp.empty((batch, hidden), dtype=gates.dtype)
        for t in reversed(range(steps)):
            n, rows = sizes[t], slice(starts[t], starts[t + 1])
            if n == 0:
                continue
            dh, dc, dz = grad_h[:n], grad_c[:n], grad_gates[rows]
            dh += grad_steps[rows]
            z, tanh_c = gates[rows], tanh_cells[rows]
            i, f, g, o = (z[:, k * hidden : (k + 1) * hidden] for k in range(4))
            # ∂c_t += ∂h_t ⊙ o ⊙ (1 − tanh²(c_t))
            tanh_slope = xp.multiply(tanh_c, tanh_c, out=product[:n])
            xp.subtract(1, tanh_slope, out=tanh_slope)
            tanh_slope *= o
            tanh_slope *= dh
            dc += tanh_slope
            xp.multiply(dc, g, out=dz[:, :hidden])
            xp.multiply(dc, cells[after[t] : after[t] + n], out=dz[:, hidden : 2 * hidden])
            xp.multiply(dc, i, out=dz[:, 2 * hidden : 3 * hidden])
            xp.multiply(dh, tanh_c, out=dz[:, 3 * hidden :])
            # The activations' slopes: σ(1 − σ) for i, f, o; 1 − g² for g.
            gate_slope = xp.subtract(1, z, out=slope[:n])
            gate_slope *= z
            g_slope = xp.multiply(g, g, out=gate_slope[:, 2 * hidden : 3 * hidden])
            xp.subtract(1, g_slope, out=g_slope)
            dz *= gate_slope
            dc *= f
            xp.matmul(dz, self.weight_hh, out=dh)

        needs_x, needs_h0, needs_c0, needs_w_ih, needs_w_hh, needs_b_ih, needs_b_hh = (
            self.needs_input_grad
        )
        grad_x = None
        if needs_x:
            grad_x_rows = grad_gates @ self.weight_ih
            if self.order is None:
                grad_x = grad_x_rows.reshape(steps, batch, -1)
            else:  # padded steps get no gradient
                grad_x = xp.zeros((steps, batch, grad_x_rows.shape[1]), dtype=grad_x_rows.dtype)
                grad_x[self.running] = grad_x_rows
        grad_w_ih = grad_gates.T @ self.x_rows if needs_w_ih else None
        grad_w_hh = None
        if needs_w_hh:
            # The state each real step read: h0's rows, then the steps' own.
            if self.order is None:
                read = self.states[: batch * steps]
            else:
                step_of_row, sequence_of_row = np.nonzero(packed.running)
                read = self.states[backend.asarray(np.array(after)[step_of_row] + sequence_of_row)]
            grad_w_hh = grad_gates.T @ read
        # Both biases add to z the same way, so they get the same gradient (autograd
        # copies an array it hands to two leaves).
        grad_bias = grad_gates.sum(axis=0) if needs_b_ih or needs_b_hh else None
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
