"""Test helpers that ship with minidl: a strict stand-in device for CPU-only test runs.

    from minidl.testing import StrictDeviceBackend
    mdl.backend.register("strict", StrictDeviceBackend)

(``MINIDL_TEST_BACKENDS=numpy,strict python -m pytest`` does this for minidl's own suite.)
"""

from minidl.testing.strict import StrictArray, StrictDeviceBackend

__all__ = ["StrictArray", "StrictDeviceBackend"]
