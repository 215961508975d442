"""Memory layout: the order in which an array's axes lie in memory.

NumPy and CuPy arrays of one shape can be laid out differently (a transposed view, a
convolution's batch-innermost output). Elementwise ops are fastest when every operand
shares one layout and the innermost axis is contiguous; these helpers read and match it.
"""

from __future__ import annotations

from minidl.backend import backend_of


def memory_order(array) -> tuple[int, ...]:
    """array's axes from outermost to innermost in memory (by decreasing |stride|). A
    broadcast axis (stride 0) holds no memory of its own and counts as outermost."""
    return tuple(
        sorted(range(array.ndim), key=lambda axis: -(abs(array.strides[axis]) or float("inf")))
    )


def in_layout_of(array, template):
    """``array`` stored in ``template``'s memory layout (a copy only if it is not already).

    Elementwise work on operands laid out differently walks one of them against its
    grain; converting the odd one once is cheaper (e.g. a gradient reshaped back to NCHW
    meeting pooling's batch-innermost state).
    """
    if memory_order(array) == memory_order(template):
        return array
    converted = backend_of(array).xp.empty_like(template, dtype=array.dtype)
    converted[...] = array
    return converted
