"""Benchmarks of fupin-rules (issue 6). Run ``python benchmarks/run.py``."""
