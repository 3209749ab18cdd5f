"""Test-suite configuration: Hypothesis runs derandomized, so every CI run sees the same examples
(a property that fails does so reproducibly, never by the luck of a random seed)."""

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci")
