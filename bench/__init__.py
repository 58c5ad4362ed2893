"""Benchmarks (`make bench`): measured in headless Chromium on this machine, results in bench/results/."""
