"""Data: datasets, loaders and preprocessing."""
