"""Stand-ins for the external platforms the hub talks to, run as separate processes by `make run`, the tests and
the benchmarks."""
