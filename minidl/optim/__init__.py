"""Optimizers: GD, SGD, Momentum, Adam, exactly as the documents state them."""
