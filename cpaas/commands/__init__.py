"""Implementations behind the `cpaas` CLI, one module per process or admin area."""
