"""One seed for every random draw: initialisation, dropout masks, shuffling.

``manual_seed(seed)`` reseeds the host generator (used for weight initialisation, so
the same seed gives the same weights on every backend) and the generator of every
backend built so far (used for device-side draws such as dropout masks). Backends built
later are seeded from the same seed when they are first built.
"""

from __future__ import annotations

import numpy as np

from minidl import backend as backends

_host_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed every random draw minidl makes, on every backend."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expected a non-negative integer, got {seed!r}")
    global _host_rng
    _host_rng = np.random.default_rng(int(seed))
    backends.seed_all(int(seed))


def host_rng() -> np.random.Generator:
    """The host generator that initialisers and default shuffles draw from."""
    return _host_rng


def get_state() -> dict:
    """The host generator's state, to store in a checkpoint."""
    return _host_rng.bit_generator.state


def set_state(state: dict) -> None:
    """Restore the host generator's state from ``get_state()``."""
    _host_rng.bit_generator.state = state
