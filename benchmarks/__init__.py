"""Benchmarks: `python -m benchmarks [--size smoke|full] [--only NAME ...] [--json FILE]`."""
