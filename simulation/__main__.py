"""python -m simulation: the live simulator (options: python -m simulation --help)."""
import sys

from simulation.cli import main

sys.exit(main())
