"""minidl's benchmarks against PyTorch (not installed with minidl): see README.md here."""
