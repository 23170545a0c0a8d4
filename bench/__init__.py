"""Benchmarks for the capable-to-promise engine: board generator, baselines and reports.

Nothing here is imported by the product; ``make bench`` runs ``bench.run_all``.
"""
