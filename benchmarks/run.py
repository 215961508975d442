"""Run the minidl benchmark suite from a checkout: ``python benchmarks/run.py [flags]``.

The same as ``minidl bench [flags]``; see ``benchmarks/README.md`` for the flags.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's minidl

from minidl.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
