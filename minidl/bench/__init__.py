"""The backend benchmark suite (run by `minidl bench`)."""
