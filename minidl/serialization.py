"""Saving and loading checkpoints: ``.npz`` files, written atomically.

    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.npz")
    checkpoint = minidl.load("ckpt.npz")
    model.load_state_dict(checkpoint["model"])

The file is an ordinary NumPy ``.npz`` (a zip of ``.npy`` files; ``numpy.load`` opens
it). Each array is one entry, named by its path in the saved object ("model/0.weight").
Everything else (the nesting of dicts, lists and tuples, and numbers, strings, booleans
and None) is described in one extra entry, ``__minidl__``: a JSON text that ``load``
reads to rebuild the same structure. Nothing is pickled, in either direction.

Atomic: ``save`` writes a temporary file in the same directory, flushes it to disk
(``os.fsync``) and then renames it over ``path`` (``os.replace``, atomic on POSIX and
Windows). A crash at any moment leaves either the old file or the new one, never half
of one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from minidl.backend import backend_of
from minidl.errors import CheckpointError
from minidl.tensor import Tensor

__all__ = ["save", "load"]

METADATA_ENTRY = "__minidl__"
FORMAT_NAME = "minidl-checkpoint"
FORMAT_VERSION = 1
JSON_SCALARS = (bool, int, float, str, type(None))


# ---------------------------------------------------------------------------- save


def save(obj: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write ``obj`` (a state_dict, or a nested dict of them and plain values) to ``path``.

    ``obj`` may nest dicts (str or int keys), lists and tuples; its leaves may be arrays
    (NumPy, CuPy, or Tensors, stored as host NumPy arrays), NumPy scalars, and
    bool/int/float/str/None. The file is replaced atomically (see the module docstring).
    """
    if not isinstance(obj, Mapping):
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = "; save its state instead, e.g. minidl.save(model.state_dict(), path)"
        raise TypeError(f"save expected a dict (e.g. a state_dict), got {type(obj).__name__}{hint}")
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, (), arrays)  # checks every value before any file is touched
    metadata = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree})
    arrays[METADATA_ENTRY] = np.array(metadata)
    _write_atomically(os.fspath(path), arrays)


def _encode(value: Any, where: tuple, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A JSON description of ``value``; its arrays are put into ``arrays`` under new names."""
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"save: dict keys must be str or int, got {key!r} "
                    f"({type(key).__name__}) at {_describe(where)}"
                )
            items.append([key, _encode(item, (*where, key), arrays)])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(item, (*where, index), arrays) for index, item in enumerate(value)]}
    if isinstance(value, JSON_SCALARS):
        return {"value": value}
    if isinstance(value, np.generic):
        return {"scalar": value.item(), "dtype": value.dtype.str}
    value = value.data if isinstance(value, Tensor) else value
    backend = backend_of(value)
    if not (isinstance(value, np.ndarray) or backend.is_array(value)) or value.dtype.hasobject:
        raise TypeError(
            f"save cannot store {type(value).__name__} at {_describe(where)}: expected "
            "arrays, Tensors, numbers, strings, None, or dicts/lists/tuples of those"
        )
    name = _entry_name(where, arrays)
    arrays[name] = backend.to_host(value)
    return {"array": name}


def _entry_name(where: tuple, taken: dict[str, np.ndarray]) -> str:
    """The array's path joined with "/", made unique (the JSON tree keeps the exact keys).

    Unprintable characters become "_": a zip entry name ends at a NUL byte, and lone
    surrogates cannot be written as UTF-8.
    """
    path = "/".join(str(part) for part in where)
    base = "".join(char if char.isprintable() else "_" for char in path) or "array"
    name, suffix = base, 1
    while name in taken or name == METADATA_ENTRY:
        name, suffix = f"{base}~{suffix}", suffix + 1
    return name


def _describe(where: tuple) -> str:
    return "the top level" if not where else "key " + "".join(f"[{part!r}]" for part in where)


def _write_atomically(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Write the .npz to a temporary file beside ``path``, fsync it, rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        # mkstemp creates the file private (0600); give it the permissions any new file
        # gets (0666 less the umask), as a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(descriptor, "wb") as file:
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


def _write_npz(file: Any, arrays: dict[str, np.ndarray]) -> None:
    """The .npz layout ``numpy.savez`` uses: one uncompressed ``name.npy`` zip entry per array.

    Written by hand rather than with ``np.savez(file, **arrays)`` so that any key works
    (a key called "file" would clash with savez's own argument) and pickling is refused.
    """
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


# ---------------------------------------------------------------------------- load


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by ``save`` and rebuild the saved structure.

    Arrays come back as host NumPy arrays. A plain ``.npz`` written by ``numpy.savez``
    loads as a flat dict of its arrays. A missing, empty, truncated, corrupt or
    non-``.npz`` file raises CheckpointError naming the file and the problem.
    """
    path = os.fspath(path)
    arrays = _read_npz(path)
    if METADATA_ENTRY not in arrays:
        return arrays
    try:
        metadata = json.loads(arrays.pop(METADATA_ENTRY).item())
        if metadata.get("format") != FORMAT_NAME:
            raise ValueError(f"unknown format {metadata.get('format')!r}")
        if metadata.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"it has format version {metadata.get('version')!r}; this minidl reads "
                f"version {FORMAT_VERSION}"
            )
        return _decode(metadata["tree"], arrays)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CheckpointError(
            f"cannot load checkpoint {path!r}: its description entry ({METADATA_ENTRY}) is "
            f"damaged or from another program ({type(error).__name__}: {error})"
        ) from None


def _read_npz(path: str) -> dict[str, np.ndarray]:
    """Every array in the .npz at ``path``, checked against its CRC; CheckpointError otherwise."""

    def fail(problem: str) -> CheckpointError:
        return CheckpointError(f"cannot load checkpoint {path!r}: {problem}")

    if not os.path.exists(path):
        raise fail("no such file")
    if os.path.isdir(path):
        raise fail("it is a directory, not a file")
    with open(path, "rb") as file:
        start = file.read(4)
    if not start:
        raise fail("the file is empty (0 bytes)")
    if start != b"PK\x03\x04":
        raise fail(
            f"not an .npz file: it starts with {start!r}, but a .npz (zip) starts with b'PK\\x03\\x04'"
        )
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not name.endswith(".npy"):
                    raise fail(f"it holds {name!r}, which is not a .npy array: not a NumPy .npz")
                data = archive.read(name)  # checks the entry's CRC-32
                arrays[name[: -len(".npy")]] = np.lib.format.read_array(
                    io.BytesIO(data), allow_pickle=False
                )
    except CheckpointError:
        raise
    except zipfile.BadZipFile as error:
        raise fail(f"the file is truncated or corrupt ({error})") from None
    except (ValueError, OSError, EOFError, KeyError, NotImplementedError) as error:
        raise fail(
            f"an array entry is unreadable, so the file is corrupt ({type(error).__name__}: {error})"
        ) from None
    return arrays


def _decode(node: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild the saved value from its JSON description (see ``_encode``)."""
    if "dict" in node:
        return {key: _decode(item, arrays) for key, item in node["dict"]}
    if "list" in node:
        return [_decode(item, arrays) for item in node["list"]]
    if "tuple" in node:
        return tuple(_decode(item, arrays) for item in node["tuple"])
    if "value" in node:
        return node["value"]
    if "scalar" in node:
        return np.dtype(node["dtype"]).type(node["scalar"])
    if node["array"] not in arrays:
        raise KeyError(f"the array entry {node['array']!r} is missing")
    return arrays[node["array"]]
