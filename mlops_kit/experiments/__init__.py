"""Experiments: reproducing a registered version's training run, and comparing its metrics."""
