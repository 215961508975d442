"""Differentiable primitives: each op's forward and backward in one small class.

    arithmetic.py  + - * / ** neg @
    elementwise.py exp log sqrt abs clip
    reduction.py   sum mean max
    shape.py       reshape transpose getitem
    activation.py  relu sigmoid tanh softmax log_softmax
    linear.py      the dense layer x @ Wᵀ + b as one op
    conv.py        2-D convolution (im2col + one GEMM) and its simple twin, window helpers
    pool.py        2-D max and average pooling, and max pooling's simple twin
    loss.py        fused losses: MSE, cross-entropy, binary cross-entropy (with logits)
    dropout.py     inverted dropout
    embedding.py   the embedding lookup (a row of the weight per token id)
    recurrent.py   a whole LSTM layer as one op (backward through time)
    cast.py        a float dtype change whose gradient changes back (mixed precision)
    layout.py      memory-order helpers shared by conv, pool and ReLU (not an op)

Every op is a ``minidl.autograd.Function`` and works on plain backend arrays: no module
here imports ``Tensor``. ``minidl.tensor`` imports the ops its operators and methods
apply (``x + y`` is ``Add.apply(x, y)``); ``minidl.functional`` imports the rest.
An op's docstring names its formula as ``FORMULAS <id>``: that row of docs/formulas.md.
"""
