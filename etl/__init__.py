"""Command-line data work: `python -m etl reference | load`."""
