"""Hypothesis strategies shared by the tests: shapes, broadcastable pairs, float64 arrays."""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minidl as mdl

small_shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def float_arrays(shape, low=-3.0, high=3.0):
    """float64 arrays of ``shape`` with values in [low, high]."""
    return hnp.arrays(
        np.float64, shape, elements=st.floats(low, high, allow_nan=False, allow_subnormal=False)
    )


@st.composite
def broadcastable_pair(draw, low=-3.0, high=3.0):
    """Two float64 arrays whose shapes broadcast together (size-1 and missing axes included)."""
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)
    )
    a_shape, b_shape = shapes.input_shapes
    return draw(float_arrays(a_shape, low, high)), draw(float_arrays(b_shape, low, high))


def leaf(array, requires_grad=True):
    """A float64 leaf tensor on the current backend."""
    return mdl.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)


@contextlib.contextmanager
def no_host_reads(backend):
    """Fail if the block reads anything back from ``backend``'s device.

    Counted on the strict stand-in (``StrictDeviceBackend.syncs``); CuPy cannot count
    them, so there the block only runs.
    """
    syncs = getattr(backend, "syncs", None)
    before = syncs.count if syncs is not None else 0
    yield
    if syncs is not None and syncs.count != before:
        raise AssertionError(f"the block read the device back:\n{backend.sync_report()}")
