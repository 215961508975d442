"""The training loop: fit() and History."""
