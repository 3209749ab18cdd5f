"""Experiments that regenerate the figures; each checks a claim of the theory."""
