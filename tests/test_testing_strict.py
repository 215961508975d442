"""The strict stand-in device (minidl.testing): it must refuse what CuPy refuses, or a
CPU-only CI run would pass code that fails on the first GPU."""

from __future__ import annotations

import numpy as np
import pytest

import minidl as mdl
from minidl import nn, optim
from minidl.data import DataLoader, TensorDataset
from minidl.testing import StrictArray
from minidl.testing.strict import API, HostDeviceMixError


def test_an_implicit_copy_to_the_host_is_refused(strict):
    x = strict.asarray([1.0, 2.0])
    assert not isinstance(x, np.ndarray)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        np.asarray(x)
    np.testing.assert_array_equal(strict.to_host(x), [1.0, 2.0])  # the explicit way


def test_mixing_host_and_device_arrays_in_an_op_is_refused(strict):
    x = strict.asarray([1.0, 2.0])
    with pytest.raises(HostDeviceMixError, match="host numpy.ndarray"):
        x + np.ones(2)
    with pytest.raises(HostDeviceMixError):
        strict.xp.concatenate([x, np.ones(2)])
    assert isinstance(x + 1.0, StrictArray)  # Python scalars are fine, as in CuPy


def test_numpy_functions_dispatch_to_the_device_and_reductions_stay_arrays(strict):
    x = strict.asarray([[1.0, 2.0], [3.0, 4.0]])
    total = np.sum(x)
    assert isinstance(total, StrictArray) and total.shape == ()
    assert isinstance(x[0, 1], StrictArray)
    assert isinstance(x.max(), StrictArray)


def test_ufunc_outputs_are_c_ordered_as_on_cupy(strict):
    x = strict.asarray(np.asfortranarray(np.ones((3, 4))))
    assert x.flags.f_contiguous
    assert (x * 2).flags.c_contiguous


def test_xp_offers_only_what_cupy_has(strict):
    assert "errstate" not in API["functions"]
    with pytest.raises(AttributeError, match="CuPy has none"):
        _ = strict.xp.errstate
    with pytest.raises(TypeError, match="no keyword 'like'"):
        strict.xp.zeros_like(strict.asarray([1.0]), like=None)


def test_the_generator_state_is_a_method_as_in_cupy(strict):
    generator = strict.xp.random.default_rng(0)
    assert callable(generator.bit_generator.state)


def test_implicit_host_syncs_are_counted_with_their_place(strict):
    strict.syncs.reset()
    x = strict.asarray([1.0, 2.0])
    float(x.sum()), x.max().item(), bool(x[0] > 0)
    assert strict.syncs.count == 3
    strict.to_host(x)  # an explicit copy waits for the device as well
    assert strict.syncs.count == 4
    assert "test_testing_strict.py" in strict.sync_report()


def test_a_numpy_checkpoint_resumes_on_the_device(strict, tmp_path):
    """Defect: train.py assigned NumPy's generator state to CuPy's ``bit_generator.state``,
    a method there. Backend.set_rng_state takes a state of another backend instead."""
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    y = (x.sum(axis=1) > 0).astype(np.int64)
    path = tmp_path / "fit.npz"

    def run(epochs, resume):
        mdl.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
        optimizer = optim.Adam(model.parameters(), lr=1e-2)
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=0)
        mdl.train.fit(
            model,
            nn.CrossEntropyLoss(),
            optimizer,
            loader,
            epochs=epochs,
            progress=False,
            checkpoint_path=path,
            resume=resume,
        )
        return model

    run(1, resume=False)  # saved on NumPy
    with mdl.use_backend("strict"):
        model = run(2, resume=True)
    assert all(strict.is_array(p.data) for p in model.parameters())
    assert all(np.isfinite(strict.to_host(p.data)).all() for p in model.parameters())


def test_out_of_range_integer_indices_wrap_around_as_in_cupy(strict):
    """CuPy does not raise on an out-of-range index array: it wraps it (i mod size). The
    stand-in does the same, so that minidl's own range checks are what is tested."""
    x = strict.asarray(np.arange(10.0))
    np.testing.assert_array_equal(strict.to_host(x[strict.asarray([12, -1])]), [2.0, 9.0])
    table = strict.asarray(np.arange(6.0).reshape(2, 3))
    picked = strict.xp.take_along_axis(table, strict.asarray([[3], [4]]), axis=1)
    np.testing.assert_array_equal(strict.to_host(picked), [[0.0], [4.0]])
    np.testing.assert_array_equal(
        strict.to_host(table[strict.asarray([0, 1]), strict.asarray([5, 3])]), [2.0, 3.0]
    )
    total = strict.xp.zeros(3)
    strict.xp.add.at(total, strict.asarray([4, 0]), strict.asarray([1.0, 2.0]))
    np.testing.assert_array_equal(strict.to_host(total), [2.0, 1.0, 0.0])
