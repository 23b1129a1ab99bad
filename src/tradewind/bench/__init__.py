"""Benchmarks that start real server processes and drive them over HTTP from another process."""
