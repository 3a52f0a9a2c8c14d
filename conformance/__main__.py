"""``python -m conformance``."""

from .cli import run

run()
