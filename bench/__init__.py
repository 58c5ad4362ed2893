"""Benchmarks (`make bench`): measured in headless Chromium on this machine, results in bench/results/."""
from __future__ import annotations

import argparse


def whole_numbers(text: str) -> tuple[int, ...]:
    """An argparse type: comma-separated whole numbers of at least 1 ("1,10,100")."""
    try:
        numbers = tuple(int(n) for n in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"comma-separated whole numbers, not {text!r}") from None
    if not numbers or min(numbers) < 1:
        raise argparse.ArgumentTypeError(f"each number at least 1, not {text!r}")
    return numbers
