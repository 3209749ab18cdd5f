"""Policy-improvement bounds of the theory of TRPO, computed exactly on tabular MDPs."""
