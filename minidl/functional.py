"""Functional API: differentiable activations, layers and losses (imported as F)."""
