"""Releasing weights: ``python -m benchmarks.release.ship_weights`` copies a trained checkpoint into
``sktag/weights/`` with its reference outputs and prints its registry record."""
