"""Saving and loading checkpoints (.npz, written atomically)."""
__all__ = []
