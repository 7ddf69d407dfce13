"""Benchmarks of the project (not the product): the harnesses behind `make bench`, the
hand-written baselines they compare with, and the page they write (docs/benchmarks.md).
Run them from the repository's root as `python -m benchmarks.<name>`."""
