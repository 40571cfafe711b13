"""Synthetic but realistic data for the demo, the tests and the benchmarks: institutions, employers, retirees."""
