"""Write minidl/testing/cupy_api.json: the public names (and keyword names) of CuPy's API.

The strict stand-in device (minidl.testing.strict) offers only these names, so a CPU-only
test run catches a call that CuPy does not have. Run it where CuPy is installed (no GPU
needed: it only imports CuPy and reads signatures), then commit the JSON:

    python tools/snapshot_cupy_api.py
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import cupy
import numpy as np

TARGET = Path(__file__).parents[1] / "minidl" / "testing" / "cupy_api.json"


def keywords(function) -> list[str] | None:
    """The keyword names ``function`` accepts, or None when it takes **kwargs or has no
    readable signature (Cython functions without one)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def public(module) -> list[str]:
    return sorted(name for name in dir(module) if not name.startswith("_"))


def main() -> None:
    functions, other = {}, []
    for name in public(cupy):
        value = getattr(cupy, name)
        # Functions NumPy also has are what minidl can call as xp.<name>.
        if callable(value) and not isinstance(value, type) and hasattr(np, name):
            functions[name] = keywords(value)
        else:
            other.append(name)
    snapshot = {
        "cupy_version": cupy.__version__,
        "functions": functions,
        "other": other,
        "ndarray": public(cupy.ndarray),
        "linalg": public(cupy.linalg),
        "random": public(cupy.random),
        "random.Generator": public(cupy.random.Generator),
    }
    TARGET.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"wrote {TARGET} from CuPy {cupy.__version__}: {len(functions)} functions")


if __name__ == "__main__":
    main()
