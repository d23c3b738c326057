"""Tests of the benchmark harness (bench/): it runs, and its bare route does Tact's work."""
