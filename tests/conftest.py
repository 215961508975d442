"""Shared test set-up: hypothesis profiles and the backend parametrisation.

Every test that takes the ``backend`` fixture runs once per available backend (NumPy
always, CuPy on a machine with a GPU), with that backend current.

Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: ``dev`` (quick), ``ci`` (default;
derandomised so CI is repeatable), ``thorough`` (many examples, for a long local run).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

import minidl as mdl

# The `backend` fixture is function-scoped on purpose: it only selects the current
# backend, which is the same for every example, so reusing it across examples is safe.
_SUPPRESSED = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile("dev", max_examples=10, deadline=None, suppress_health_check=_SUPPRESSED)
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, suppress_health_check=_SUPPRESSED
)
settings.register_profile(
    "thorough", max_examples=300, deadline=None, suppress_health_check=_SUPPRESSED
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _test_backends() -> list[str]:
    """The backends the ``backend`` fixture runs on: MINIDL_TEST_BACKENDS (e.g.
    "numpy,strict", where "strict" is the stand-in device of minidl.testing), or every
    backend available here."""
    names = [name for name in os.environ.get("MINIDL_TEST_BACKENDS", "").split(",") if name]
    if "strict" in names:
        from minidl.testing import StrictDeviceBackend

        mdl.backend.register("strict", StrictDeviceBackend)
    return names or mdl.backend.available()


BACKENDS = _test_backends()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test with each available backend as the current one."""
    with mdl.use_backend(request.param) as chosen:
        yield chosen


@pytest.fixture
def strict():
    """The stand-in, registered for this test (and left registered when the run's
    MINIDL_TEST_BACKENDS had already registered it)."""
    from minidl.testing import StrictDeviceBackend

    registered = "strict" in mdl.backend._factories
    if not registered:
        mdl.backend.register("strict", StrictDeviceBackend)
    try:
        yield mdl.backend.get("strict")
    finally:
        if not registered:
            mdl.backend._factories.pop("strict", None)
            mdl.backend._built.pop("strict", None)


@pytest.fixture(autouse=True)
def _restore_backend():
    """Each test starts on the backend the run started on (MINIDL_BACKEND), whatever an
    earlier test set: otherwise one test's set_backend("numpy") silently moves every
    later test of a CuPy run to NumPy."""
    start = mdl.get_backend()
    yield
    mdl.set_backend(start)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same seed, so failures reproduce."""
    mdl.manual_seed(0)
    yield
