"""Benchmarks of Red Passbook, each run against a scratch database it creates and drops."""
