"""minidl's own exception types, so that callers can catch what the library raises.

Each subclasses the built-in type a Python user would expect (ValueError, RuntimeError,
TypeError), so ``except ValueError`` still works. docs/errors.md lists the messages.
"""


class BackendUnavailableError(RuntimeError):
    """A backend was asked for that cannot run here (library missing, or no device)."""


class DeviceMismatchError(RuntimeError):
    """One op was given tensors that live on two different devices."""


class GraphFreedError(RuntimeError):
    """backward() went through a graph whose saved arrays were already freed."""


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with central differences."""


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, corrupt or does not fit the model."""


class AnomalyError(FloatingPointError):
    """With detect_anomaly() on, an op produced NaN or inf."""
