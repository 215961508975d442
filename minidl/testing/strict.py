"""A stand-in GPU for CPU-only test runs: NumPy underneath, CuPy's rules on top.

CI machines have no GPU, so the code paths that only a device takes would never run
there. ``StrictDeviceBackend`` runs them on the CPU and refuses what CuPy refuses:

* its arrays (``StrictArray``) are their own type, not an ndarray subclass, so a hidden
  ``np.asarray(device_array)`` cannot succeed quietly: ``__array__`` raises, as CuPy's does;
* an op that mixes a device array with a host ``numpy.ndarray`` raises TypeError;
* ``np.*`` functions and ufuncs called on device arrays dispatch to the device, as CuPy's
  do (``__array_function__`` / ``__array_ufunc__``); reductions and scalar indexing give
  0-d arrays, not Python or NumPy scalars; ufunc outputs are C-ordered;
* ``xp`` offers only the names CuPy has (``cupy_api.json``, a snapshot of CuPy's public
  API made by ``tools/snapshot_cupy_api.py``), and refuses keywords CuPy's function lacks;
* its generator's ``bit_generator.state`` is a method, as CuPy's is;
* every device-to-host sync, implicit (``.item()``, ``bool()``, ``float()``, ``int()``)
  or explicit (``get()``, ``backend.to_host``), is counted with where it happened
  (``syncs``, ``sync_report()``).

Register it as any backend: ``mdl.backend.register("strict", StrictDeviceBackend)``; the
test suite does this for ``MINIDL_TEST_BACKENDS=numpy,strict``.
"""

from __future__ import annotations

import functools
import inspect
import json
import traceback
import types
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from minidl.backend.base import Backend

API = json.loads((Path(__file__).with_name("cupy_api.json")).read_text())


class HostDeviceMixError(TypeError):
    """A host ``numpy.ndarray`` met a device array in one op (CuPy raises TypeError)."""


def _refuse_host(value: Any, where: str) -> None:
    if isinstance(value, np.ndarray):
        raise HostDeviceMixError(
            f"{where} got a host numpy.ndarray (shape {value.shape}) among device arrays; "
            "CuPy refuses this: move it with backend.to_device(...) first"
        )


def unwrap(value: Any, where: str) -> Any:
    """Device arrays -> their NumPy storage (recursively in lists, tuples and dicts)."""
    if isinstance(value, StrictArray):
        return value._array
    if isinstance(value, (list, tuple)):
        return type(value)(unwrap(item, where) for item in value)
    if isinstance(value, dict):
        return {key: unwrap(item, where) for key, item in value.items()}
    _refuse_host(value, where)
    return value


def _index(index: Any, shape: tuple[int, ...]) -> Any:
    """An index for a device array of ``shape``, as CuPy reads it.

    CuPy uploads host index arrays itself, so they pass; and it does not raise on an
    out-of-range integer array index but wraps it around (``i mod size``), so index 12
    on an axis of 10 reads element 2. NumPy raises, so that is done here.
    """
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(item._array if isinstance(item, StrictArray) else item for item in items)
    if not any(item is None or item is Ellipsis for item in items):  # item k indexes axis k
        items = (
            tuple(_wrap_around(item, size) for item, size in zip(items, shape))
            + items[len(shape) :]
        )
    return items if isinstance(index, tuple) else items[0]


def _wrap_around(index: Any, size: int) -> Any:
    """An integer index array taken modulo ``size`` (CuPy's wrap mode); others as they are."""
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and size:
        return index % size
    return index


def _wrapped_take(name: str, args: tuple, kwargs: dict) -> tuple:
    """``take_along_axis``'s arguments with its indices wrapped around, as CuPy reads them."""
    if name != "take_along_axis":
        return args
    array, indices, axis = (*args, kwargs.get("axis"))[:3]
    if axis is None:
        return args
    return (array, _wrap_around(indices, array.shape[axis]), *args[2:])


def wrap(value: Any, c_order: bool = False) -> Any:
    """NumPy results -> device arrays; NumPy scalars become 0-d device arrays, as in CuPy."""
    if isinstance(value, np.ndarray):
        if c_order and not value.flags.c_contiguous:
            value = np.ascontiguousarray(value)
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(wrap(item, c_order) for item in value)
    if isinstance(value, list):
        return [wrap(item, c_order) for item in value]
    return value


class SyncCounter:
    """Counts device-to-host syncs and remembers where they came from.

    Implicit ones (``.item()``, ``bool()``, ``float()``, ``int()``) and explicit copies
    (``get()``, which ``backend.to_host`` uses): each waits for the device's queued work.
    """

    def __init__(self) -> None:
        self.count = 0
        self.sites: Counter[str] = Counter()

    def record(self, kind: str) -> None:
        self.count += 1
        for frame in reversed(traceback.extract_stack(limit=10)[:-1]):
            if "minidl/testing" not in frame.filename:
                self.sites[f"{kind} at {frame.filename}:{frame.lineno} ({frame.name})"] += 1
                return

    def reset(self) -> None:
        self.count = 0
        self.sites.clear()

    def report(self) -> str:
        lines = [f"{self.count} device-to-host syncs"]
        lines += [f"  {n:6d}  {site}" for site, n in self.sites.most_common()]
        return "\n".join(lines)


SYNCS = SyncCounter()


class StrictArray:
    """A device array of the stand-in backend: a NumPy array that behaves like CuPy's."""

    __slots__ = ("_array", "__weakref__")
    __array_priority__ = 100

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    # --- what CuPy refuses ------------------------------------------------------------
    def __array__(self, *args, **kwargs):
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed (strict stand-in device, "
            "as CuPy); use backend.to_host(array) or array.get()"
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}"
        inputs = unwrap(inputs, where)
        if method == "at":  # ufunc.at(target, indices, ...): CuPy wraps bad indices around
            inputs = (inputs[0], _index(inputs[1], inputs[0].shape), *inputs[2:])
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = tuple(unwrap(item, where) for item in out)
        result = getattr(ufunc, method)(*inputs, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return wrap(result, c_order=True)

    def __array_function__(self, func, types, args, kwargs):
        name = func.__name__
        if name not in API["functions"]:
            raise AttributeError(
                f"CuPy has no {name}(); minidl must not call numpy.{name} on device arrays"
            )
        where = f"numpy.{name}"
        args, kwargs = unwrap(args, where), unwrap(kwargs, where)
        return wrap(func(*_wrapped_take(name, args, kwargs), **kwargs))

    # --- host syncs, counted ------------------------------------------------------------
    def item(self):
        SYNCS.record("item()")
        return self._array.item()

    def __bool__(self) -> bool:
        SYNCS.record("bool()")
        return bool(self._array)

    def __float__(self) -> float:
        SYNCS.record("float()")
        return float(self._array)

    def __int__(self) -> int:
        SYNCS.record("int()")
        return int(self._array)

    def __index__(self) -> int:
        SYNCS.record("index")
        return self._array.__index__()

    def get(self) -> np.ndarray:
        """An explicit copy to the host (CuPy's ``ndarray.get``): a sync too, counted."""
        SYNCS.record("get()")
        return self._array.copy()

    def tolist(self):
        SYNCS.record("tolist()")
        return self._array.tolist()

    # --- plain attributes ---------------------------------------------------------------
    shape = property(lambda self: self._array.shape)
    dtype = property(lambda self: self._array.dtype)
    ndim = property(lambda self: self._array.ndim)
    size = property(lambda self: self._array.size)
    strides = property(lambda self: self._array.strides)
    itemsize = property(lambda self: self._array.itemsize)
    nbytes = property(lambda self: self._array.nbytes)
    flags = property(lambda self: self._array.flags)
    T = property(lambda self: StrictArray(self._array.T))

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"strict_device_array({self._array!r})"

    def __getitem__(self, index):
        return wrap(self._array[_index(index, self.shape)])

    def __setitem__(self, index, value) -> None:
        self._array[_index(index, self.shape)] = unwrap(value, "item assignment")

    def __getattr__(self, name: str):
        if name not in API["ndarray"]:
            raise AttributeError(f"cupy.ndarray has no attribute {name!r}")
        attribute = getattr(self._array, name)
        if not callable(attribute):
            return wrap(attribute)

        @functools.wraps(attribute)
        def method(*args, **kwargs):
            where = f"ndarray.{name}"
            return wrap(attribute(*unwrap(args, where), **unwrap(kwargs, where)))

        return method

    # --- operators go through the ufuncs, so they check and wrap like them --------------
    def _binary(ufunc, reflected=False):
        if reflected:
            return lambda self, other: ufunc(other, self)
        return lambda self, other: ufunc(self, other)

    __add__, __radd__ = _binary(np.add), _binary(np.add, True)
    __sub__, __rsub__ = _binary(np.subtract), _binary(np.subtract, True)
    __mul__, __rmul__ = _binary(np.multiply), _binary(np.multiply, True)
    __truediv__, __rtruediv__ = _binary(np.true_divide), _binary(np.true_divide, True)
    __floordiv__, __rfloordiv__ = _binary(np.floor_divide), _binary(np.floor_divide, True)
    __mod__, __rmod__ = _binary(np.remainder), _binary(np.remainder, True)
    __pow__, __rpow__ = _binary(np.power), _binary(np.power, True)
    __matmul__, __rmatmul__ = _binary(np.matmul), _binary(np.matmul, True)
    __and__, __rand__ = _binary(np.bitwise_and), _binary(np.bitwise_and, True)
    __or__, __ror__ = _binary(np.bitwise_or), _binary(np.bitwise_or, True)
    __xor__, __rxor__ = _binary(np.bitwise_xor), _binary(np.bitwise_xor, True)
    __lt__, __le__ = _binary(np.less), _binary(np.less_equal)
    __gt__, __ge__ = _binary(np.greater), _binary(np.greater_equal)
    __eq__, __ne__ = _binary(np.equal), _binary(np.not_equal)
    __hash__ = None
    del _binary

    def _inplace(ufunc):
        def operator(self, other):
            ufunc(self, other, out=(self,))
            return self

        return operator

    __iadd__, __isub__ = _inplace(np.add), _inplace(np.subtract)
    __imul__, __itruediv__ = _inplace(np.multiply), _inplace(np.true_divide)
    __ipow__ = _inplace(np.power)
    del _inplace

    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return np.positive(self)

    def __abs__(self):
        return np.absolute(self)

    def __invert__(self):
        return np.invert(self)


class _BitGenerator:
    """CuPy's bit generator: ``state`` is a method there, not a property."""

    def __init__(self, generator: np.random.Generator) -> None:
        self._generator = generator

    def state(self) -> int:
        return id(self._generator)


class StrictGenerator:
    """``xp.random.default_rng(seed)`` of the stand-in: draws on the device."""

    def __init__(self, seed=None) -> None:
        self._generator = np.random.default_rng(seed)
        self.bit_generator = _BitGenerator(self._generator)

    def random(self, size=None, dtype=np.float64, out=None):
        return wrap(self._generator.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return wrap(self._generator.standard_normal(size, dtype=dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return wrap(self._generator.integers(low, high, size, dtype=dtype, endpoint=endpoint))

    def permutation(self, x):
        return wrap(self._generator.permutation(unwrap(x, "permutation")))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return wrap(self._generator.uniform(low, high, size).astype(dtype, copy=False))

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=np.float64):
        return wrap(self._generator.normal(loc, scale, size).astype(dtype, copy=False))


def _device_function(name: str, function):
    """numpy's ``function`` as the stand-in's ``xp.<name>``: CuPy's keywords, device results."""
    allowed = API["functions"].get(name)

    @functools.wraps(function)
    def device_function(*args, **kwargs):
        if allowed is not None:
            unknown = [key for key in kwargs if key not in allowed]
            if unknown:
                raise TypeError(f"cupy.{name}() has no keyword {unknown[0]!r} (it takes {allowed})")
        where = f"xp.{name}"
        args, kwargs = unwrap(args, where), unwrap(kwargs, where)
        return wrap(function(*_wrapped_take(name, args, kwargs), **kwargs))

    return device_function


class _Namespace:
    """A module-like namespace whose attributes are only the names CuPy has."""

    def __init__(self, prefix: str, source, names, extra=None) -> None:
        self._prefix, self._source, self._names = prefix, source, set(names)
        self._extra = extra or {}

    def __getattr__(self, name: str):
        if name in self._extra:
            return self._extra[name]
        if name not in self._names:
            raise AttributeError(f"{self._prefix} has no attribute {name!r} (CuPy has none)")
        value = getattr(self._source, name)
        if isinstance(value, np.ufunc):
            return value  # ufuncs dispatch through StrictArray.__array_ufunc__
        if inspect.isclass(value) or not callable(value):
            return value  # dtypes (xp.float32), constants (xp.inf, xp.newaxis)
        function = _device_function(
            name if self._prefix == "cupy" else f"{self._prefix}.{name}", value
        )
        setattr(self, name, function)
        return function


def _asarray(data, dtype=None, order=None):
    """``xp.asarray``: host data may come in (an explicit upload); device data stays."""
    if isinstance(data, StrictArray):
        return StrictArray(np.asarray(data._array, dtype=dtype, order=order))
    if isinstance(data, (list, tuple)):
        data = [item._array if isinstance(item, StrictArray) else item for item in data]
    return StrictArray(np.array(data, dtype=dtype, order=order or "K"))


def _array(data, dtype=None, copy=True, order="K", ndmin=0):
    if isinstance(data, StrictArray):
        data = data._array
    return StrictArray(np.array(data, dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def _asnumpy(array, stream=None, order="C", out=None):
    return array.get() if isinstance(array, StrictArray) else np.asarray(array, order=order)


XP = _Namespace(
    "cupy",
    np,
    API["functions"].keys() | set(API["other"]),
    extra={
        "ndarray": StrictArray,
        "asarray": _asarray,
        "array": _array,
        "asnumpy": _asnumpy,
        "random": _Namespace(
            "cupy.random",
            np.random,
            (),
            extra={"default_rng": StrictGenerator, "Generator": StrictGenerator},
        ),
        "linalg": _Namespace("cupy.linalg", np.linalg, API["linalg"]),
        "lib": types.SimpleNamespace(
            stride_tricks=_Namespace(
                "cupy.lib.stride_tricks",
                np.lib.stride_tricks,
                ("as_strided", "sliding_window_view"),
            )
        ),
    },
)


class StrictDeviceBackend(Backend):
    """The stand-in device: run minidl's GPU code paths on a CPU, with CuPy's strictness."""

    name = "strict"
    xp = XP
    array_type = StrictArray
    syncs = SYNCS

    def is_array(self, obj: Any) -> bool:
        return type(obj) is StrictArray

    def asarray(self, data: Any, dtype: Any = None) -> StrictArray:
        return _asarray(data, dtype=dtype)

    def to_host(self, array: Any) -> np.ndarray:
        return array.get() if isinstance(array, StrictArray) else np.asarray(array)

    def device_name(self) -> str:
        return "strict stand-in device (NumPy with CuPy's rules)"

    @staticmethod
    def sync_report() -> str:
        return SYNCS.report()
