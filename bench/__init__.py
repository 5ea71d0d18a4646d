"""Benchmarks: run on purpose (see bench/README.md), never collected by pytest."""
