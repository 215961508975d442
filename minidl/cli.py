"""The ``minidl`` command: train, bench, info."""

import sys


def main(argv=None) -> int:
    print("minidl: the command line is not built yet", file=sys.stderr)
    return 2
