"""The IDX file format of MNIST and Fashion-MNIST, and fetching the official files.

An IDX file is a header and then raw bytes:

    bytes 0-3   magic number 0x000008DD: two zero bytes, 0x08 (unsigned bytes), and
                DD = the number of dimensions (3 for images N×28×28, 1 for labels N)
    then        DD big-endian uint32 sizes
    then        the data, one byte per value, prod(sizes) bytes

Files may be gzip-compressed (``.gz``), as they are published.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


def read_idx(path: str | os.PathLike, expected_magic: int | None = None) -> np.ndarray:
    """The uint8 array stored in the IDX file at ``path`` (gzip or not).

    Raises ValueError naming the file when the magic number is not the expected one or
    the file is shorter (truncated download) or longer than its header says.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # the gzip signature, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path}: the gzip data is damaged or truncated ({error})") from None
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file, only {len(raw)} bytes (no header)")
    magic = int.from_bytes(raw[:4], "big")
    if expected_magic is not None and magic != expected_magic:
        raise ValueError(
            f"{path}: wrong magic number 0x{magic:08X}, expected 0x{expected_magic:08X} "
            f"({_describe(expected_magic)}); is this the right file?"
        )
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(
            f"{path}: magic number 0x{magic:08X} is not an IDX file of unsigned bytes "
            "(expected 0x000008DD)"
        )
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{path}: truncated IDX header ({len(raw)} of {header_size} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected_bytes = int(np.prod(shape, dtype=np.int64))
    data_bytes = len(raw) - header_size
    if data_bytes != expected_bytes:
        problem = "truncated" if data_bytes < expected_bytes else "too long"
        raise ValueError(
            f"{path}: {problem}: the header promises shape {shape} = {expected_bytes} bytes "
            f"of data, the file has {data_bytes}; delete it and download it again"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def _describe(magic: int) -> str:
    return {IMAGES_MAGIC: "images, N×rows×cols", LABELS_MAGIC: "labels, N"}.get(magic, "IDX")


# --------------------------------------------------------------------------- download


def download(url: str, destination: Path, md5: str, progress: bool = True) -> None:
    """Fetch ``url`` into ``destination``, check its MD5, and only then move it in place.

    The bytes go to a temporary file in the same folder first, so an interrupted or
    corrupt download never leaves a half-written file under the real name.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, suffix=".part")
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            bar = _progress_bar(total, destination.name, progress)
            while chunk := response.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
        if digest.hexdigest() != md5:
            raise ValueError(
                f"the download of {url} has MD5 {digest.hexdigest()}, expected {md5}; "
                "the file is damaged (try again) or the mirror serves something else"
            )
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _progress_bar(total: int | None, name: str, progress: bool):
    if not progress:
        return None
    from tqdm.auto import tqdm  # imported only when something is downloaded

    return tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {name}")


def fetch(mirrors: tuple[str, ...], name: str, destination: Path, md5: str) -> None:
    """Try each mirror in turn until one gives a file with the right MD5."""
    errors = []
    for mirror in mirrors:
        try:
            download(mirror + name, destination, md5)
            return
        except Exception as error:  # network errors come in many types; try the next one
            errors.append(f"{mirror}{name}: {error}")
    raise OSError("could not download " + name + ":\n  " + "\n  ".join(errors))
