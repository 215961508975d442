"""Saving and loading checkpoints: ``.npz`` files, written atomically.

    minidl.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.npz")
    checkpoint = minidl.load("ckpt.npz")
    model.load_state_dict(checkpoint["model"])

The file is an ordinary NumPy ``.npz`` (a zip of ``.npy`` files; ``numpy.load`` opens
it). Each array is one entry, named by its path in the saved object ("model/0.weight").
Everything else (the nesting of dicts, lists and tuples, and numbers, strings, booleans
and None) is described in one extra entry, ``__minidl__``: a JSON text that ``load``
reads to rebuild the same structure. Nothing is pickled, in either direction.

That entry is written first, and it holds a manifest: every array's entry name, shape,
dtype and CRC-32. ``load`` checks the file against it, so a damaged zip directory that
hides entries, or an entry whose data was swapped, is an error rather than a checkpoint
with parts missing. Each array is read straight into its final NumPy array (no second
copy), after checking that the size its header declares is the size of its data.
Checkpoints of format version 1 (before the manifest) still load, with a warning.

Atomic: ``save`` writes a temporary file in the same directory, flushes it to disk
(``os.fsync``) and then renames it over ``path`` (``os.replace``, atomic on POSIX and
Windows). A crash at any moment leaves either the old file or the new one, never half
of one. The temporary file's name holds the writer's process id, so that the next save
to the same path removes those of writers that were killed. SIGINT, SIGTERM and SIGHUP
that arrive during the write wait until the file is complete. Saving through a symlink
replaces the file it points to, and a replaced file keeps its permissions.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import signal
import stat
import threading
import warnings
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from minidl.backend import backend_of
from minidl.errors import CheckpointError
from minidl.tensor import Tensor

__all__ = ["save", "load", "check_save_target"]

METADATA_ENTRY = "__minidl__"
FORMAT_NAME = "minidl-checkpoint"
FORMAT_VERSION = 2  # 2 added the manifest; version 1 files still load, with a warning
READABLE_VERSIONS = (1, 2)
MAX_NESTING = 100  # dicts/lists/tuples inside each other, on save and on load
READ_CHUNK_BYTES = 1 << 20
JSON_SCALARS = (bool, int, float, str, type(None))
SCALAR_KINDS = "biuf"  # NumPy scalars kept with their dtype: bool, ints, floats


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
    manifest = {name: _manifest_row(array) for name, array in arrays.items()}
    metadata = json.dumps(
        {"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree, "manifest": manifest}
    )
    path = os.fspath(path)
    _check_names_a_file(path)
    # The description goes first: a zip directory cut short loses its last entries.
    _write_atomically(path, {METADATA_ENTRY: np.array(metadata), **arrays})


def _encode(value: Any, where: tuple, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A JSON description of ``value``; its arrays are put into ``arrays`` under new names."""
    if len(where) > MAX_NESTING:
        raise ValueError(
            f"save: the object is nested more than {MAX_NESTING} levels deep (at "
            f"{_describe(where[:3])}...); is a list or dict inside itself?"
        )
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
    if isinstance(value, np.generic) and value.dtype.kind in SCALAR_KINDS:
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


def _manifest_row(array: np.ndarray) -> dict[str, Any]:
    return {
        "shape": list(array.shape),
        "dtype": _json_form(np.lib.format.dtype_to_descr(array.dtype)),
        "crc32": zlib.crc32(_bytes_in_file_order(array)),
    }


def _json_form(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _bytes_in_file_order(array: np.ndarray) -> memoryview | bytes:
    """The array's data as ``numpy.lib.format`` writes it (Fortran order for an array
    that is only Fortran-contiguous, C order otherwise), without a copy where possible."""
    if array.dtype.itemsize == 0 or array.size == 0:
        return b""
    if array.flags.f_contiguous and not array.flags.c_contiguous:
        array = array.T
    elif not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    return memoryview(array.reshape(-1).view(np.uint8))


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
    """Write the .npz to a temporary file beside ``path``, fsync it, rename it over ``path``.

    Through a symlink, the file the link points to is replaced (the link stays). An
    existing file keeps its permission bits; a new one gets those of a plain open()
    (0666 less the umask). Errors name ``path``, never the temporary file.
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    mode = _mode_of_replacement(target)
    _remove_stale_temporaries(target)
    temporary = _temporary_name(target)
    with _signals_deferred():
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise _save_error(error, path) from None
        try:
            with os.fdopen(descriptor, "wb") as file:
                os.chmod(temporary, mode)
                _write_npz(file, arrays)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException as error:
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)
            if isinstance(error, OSError):
                raise _save_error(error, path) from None
            raise
        _fsync_directory(directory)


def check_save_target(path: str | os.PathLike) -> None:
    """Raise the OSError (or ValueError) that ``save(obj, path)`` would raise, writing nothing.

    Lets a long computation check where its result will go before it starts: ``path``
    must name a file (not "" nor a directory) in an existing, writable directory.
    """
    path = os.fspath(path)
    _check_names_a_file(path)
    temporary = _temporary_name(os.path.realpath(path))
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise _save_error(error, path) from None
    os.remove(temporary)


def _check_names_a_file(path: str) -> None:
    if not path:
        raise ValueError("cannot save to '': the path is empty; give a file name such as model.npz")
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"cannot save to {path!r}: it is a directory; give a file name inside it, "
            f"e.g. {os.path.join(path, 'model.npz')!r}"
        )


def _save_error(error: OSError, path: str) -> OSError:
    """``error`` (same class) reworded to name the user's ``path`` and why."""
    directory = os.path.dirname(os.path.abspath(path)) or os.sep
    if isinstance(error, FileNotFoundError) and not os.path.isdir(directory):
        why = f"the directory {directory!r} does not exist"
    elif isinstance(error, NotADirectoryError):
        why = f"a part of {directory!r} is a file, not a directory"
    elif isinstance(error, IsADirectoryError) or os.path.isdir(os.path.realpath(path)):
        why = "it is a directory; give a file name inside it"
    elif isinstance(error, PermissionError) or error.errno == errno.EROFS:
        why = f"no permission to write in {directory!r} ({error.strerror})"
    elif error.errno == errno.ENOSPC:
        why = "the disk is full; the old file (if any) is unchanged"
    else:
        why = error.strerror or str(error)
    return type(error)(f"cannot save to {path!r}: {why}")


# Temporary files are named ".<file>.minidl-<pid>-<random>.tmp": a later save to the same
# file can tell the leftovers of a writer that was killed (its process is gone) from the
# file a live writer is still writing.
TEMPORARY_MARK = ".minidl-"


def _temporary_name(target: str) -> str:
    directory, name = os.path.split(target)
    return os.path.join(
        directory, f".{name}{TEMPORARY_MARK}{os.getpid()}-{secrets.token_hex(4)}.tmp"
    )


def _remove_stale_temporaries(target: str) -> None:
    """Delete the temporary files that killed saves to ``target`` left behind.

    Only those whose writer process is gone: a concurrent save's file is left alone.
    (On a file system shared by several machines a process id names a process of this
    machine only; a live writer elsewhere would then lose its temporary file and its save
    would fail with an error, never with a broken file.)
    """
    directory, name = os.path.split(target)
    prefix = f".{name}{TEMPORARY_MARK}"
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        pid = entry[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not _process_exists(int(pid)):
            with contextlib.suppress(OSError):
                os.remove(os.path.join(directory, entry))


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # it exists but belongs to someone else, or we cannot tell
    return True


def _mode_of_replacement(target: str) -> int:
    """The permission bits the new file gets: the old file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# SIGINT, SIGTERM and SIGHUP arriving while a checkpoint is written wait until it is
# complete: a second Ctrl-C must not cost the file the first one asked for.
DEFERRED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def _signals_deferred():
    """Hold the DEFERRED_SIGNALS that arrive inside the block; deliver them when it ends.

    Python runs signal handlers only in the main thread, so only there can they be held:
    the handlers are swapped for one that records the signal, then restored, and each
    recorded signal is raised again (a default SIGTERM then ends the process, after the
    file is complete).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    for number in DEFERRED_SIGNALS:
        handler = signal.getsignal(number)
        if handler is not None:  # None: a handler installed outside Python; leave it
            previous[number] = signal.signal(number, lambda n, frame: received.append(n))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in received:
            signal.raise_signal(number)


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
    loads as a flat dict of its arrays. A missing, empty, truncated, corrupt, crafted or
    non-``.npz`` file raises CheckpointError naming the file and the problem.
    """
    path = os.fspath(path)

    def fail(problem: str) -> CheckpointError:
        return CheckpointError(f"cannot load checkpoint {path!r}: {problem}")

    arrays, first_entry = _read_npz(path, fail)
    if METADATA_ENTRY not in arrays:
        if first_entry == METADATA_ENTRY + ".npy":
            raise fail(
                f"its zip directory does not list its first entry ({METADATA_ENTRY}), so "
                "the directory is damaged and other entries may be missing too"
            )
        return arrays
    try:
        metadata = json.loads(arrays.pop(METADATA_ENTRY).item())
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
            raise ValueError("unknown format")
        version = metadata.get("version")
        if version not in READABLE_VERSIONS:
            raise ValueError(
                f"it has format version {version!r}; this minidl reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}"
            )
        if version >= 2:
            _check_manifest(metadata["manifest"], arrays, fail)
        else:
            warnings.warn(
                f"checkpoint {path!r} was written by an older minidl (format version 1), "
                "without a manifest of its arrays: an entry lost to damage can go unnoticed; "
                "save it again to add one",
                stacklevel=2,
            )
        return _decode(metadata["tree"], arrays, depth=0)
    except CheckpointError:
        raise
    except RecursionError:
        raise fail(
            f"its description entry ({METADATA_ENTRY}) is nested too deeply to be a "
            "checkpoint: the file is crafted or damaged"
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as error:
        raise fail(
            f"its description entry ({METADATA_ENTRY}) is damaged or from another program "
            f"({type(error).__name__}: {error})"
        ) from None


def _read_npz(path: str, fail: Any) -> tuple[dict[str, np.ndarray], str]:
    """Every array in the .npz at ``path`` (CRC-checked), and the name its first local
    header gives (to tell a damaged directory that lost that entry)."""
    if not os.path.exists(path):
        raise fail("no such file")
    if os.path.isdir(path):
        raise fail("it is a directory, not a file")
    with open(path, "rb") as file:
        start = file.read(30 + 64)  # a zip local header is 30 bytes, then the entry's name
    if not start:
        raise fail("the file is empty (0 bytes)")
    if start[:4] != b"PK\x03\x04":
        raise fail(
            f"not an .npz file: it starts with {start[:4]!r}, but a .npz (zip) starts with "
            "b'PK\\x03\\x04'"
        )
    name_length = int.from_bytes(start[26:28], "little")
    first_entry = start[30 : 30 + name_length].decode("utf-8", "replace")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise fail(
                        f"it holds {info.filename!r}, which is not a .npy array: not a NumPy .npz"
                    )
                name = info.filename[: -len(".npy")]
                if name in arrays:
                    raise fail(f"the entry {info.filename!r} appears twice: the file is crafted")
                arrays[name] = _read_entry(archive, info, fail)
    except CheckpointError:
        raise
    except zipfile.BadZipFile as error:
        raise fail(f"the file is truncated or corrupt ({error})") from None
    except (ValueError, OSError, EOFError, KeyError, NotImplementedError, RuntimeError) as error:
        # RuntimeError: zipfile's "encrypted, password required" (minidl never encrypts)
        raise fail(
            f"an array entry is unreadable, so the file is corrupt ({type(error).__name__}: {error})"
        ) from None
    return arrays, first_entry


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, fail: Any) -> np.ndarray:
    """One ``.npy`` entry, read straight into its final array.

    The size its header declares must be the size of the data that follows it, which is
    checked before anything is allocated (a crafted header cannot ask for terabytes).
    """
    with archive.open(info) as entry:
        version = np.lib.format.read_magic(entry)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(entry)
        else:  # 2.0, and 3.0 (the same layout in UTF-8)
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(entry)
        if dtype.hasobject:
            raise fail(
                f"the entry {info.filename!r} holds Python objects (pickled data), which minidl "
                "never loads: loading it could run code"
            )
        declared = math.prod(shape) * dtype.itemsize
        present = info.file_size - entry.tell()
        if declared != present:
            raise fail(
                f"the entry {info.filename!r} declares an array of shape {shape} and dtype "
                f"{dtype} ({declared:,} bytes), but holds {present:,} bytes of data"
            )
        array = np.empty(shape, dtype, order="F" if fortran_order else "C")
        if declared:
            _read_into(entry, memoryview(array.reshape(-1, order="A").view(np.uint8)))
        entry.read(1)  # at the end of the entry: completes its CRC-32 check
    return array


def _read_into(entry: Any, target: memoryview) -> None:
    position = 0
    while position < len(target):
        chunk = entry.read(min(READ_CHUNK_BYTES, len(target) - position))
        if not chunk:
            raise EOFError(f"the data ends after {position:,} of {len(target):,} bytes")
        target[position : position + len(chunk)] = chunk
        position += len(chunk)


def _check_manifest(manifest: dict[str, Any], arrays: dict[str, np.ndarray], fail: Any) -> None:
    """The arrays read must be exactly those the manifest lists, with its shapes, dtypes
    and CRC-32s; otherwise CheckpointError listing what differs."""
    problems = []
    missing = sorted(set(manifest) - set(arrays))
    unexpected = sorted(set(arrays) - set(manifest))
    if missing:
        problems.append(f"entries missing: {', '.join(missing[:5])}")
    if unexpected:
        problems.append(f"entries not in the manifest: {', '.join(unexpected[:5])}")
    for name in sorted(set(manifest) & set(arrays)):
        row, array = manifest[name], arrays[name]
        if row["shape"] != list(array.shape):
            problems.append(f"{name}: shape {array.shape}, manifest says {tuple(row['shape'])}")
        elif row["dtype"] != _json_form(np.lib.format.dtype_to_descr(array.dtype)):
            problems.append(f"{name}: dtype {array.dtype}, manifest says {row['dtype']}")
        elif row["crc32"] != zlib.crc32(_bytes_in_file_order(array)):
            problems.append(f"{name}: its data does not match the manifest's CRC-32")
    if problems:
        raise fail(
            "the file does not match its own manifest, so it is damaged: " + "; ".join(problems)
        )


def _decode(node: dict[str, Any], arrays: dict[str, np.ndarray], depth: int) -> Any:
    """Rebuild the saved value from its JSON description (see ``_encode``)."""
    if depth > MAX_NESTING:
        raise ValueError(f"the description is nested more than {MAX_NESTING} levels deep")
    if "dict" in node:
        return {key: _decode(item, arrays, depth + 1) for key, item in node["dict"]}
    if "list" in node:
        return [_decode(item, arrays, depth + 1) for item in node["list"]]
    if "tuple" in node:
        return tuple(_decode(item, arrays, depth + 1) for item in node["tuple"])
    if "value" in node:
        return node["value"]
    if "scalar" in node:
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in SCALAR_KINDS:
            raise ValueError(f"a scalar of dtype {dtype} is not one save writes")
        return dtype.type(node["scalar"])
    if node["array"] not in arrays:
        raise KeyError(f"the array entry {node['array']!r} is missing")
    return arrays[node["array"]]
