"""Pictures of one MDP and of one policy step, for students and teachers.

* :mod:`.layout` -- where each state is drawn and what its actions mean (zoo gridworlds, chains,
  FrozenLake, CliffWalking, any MDP given a grid shape, a state graph otherwise).
* :mod:`.quantities` -- the per-state numbers (V, d, Abar, TV, KL, the terms of eta - L), numpy only.
* :mod:`.maps` -- heat maps, policy arrows or bars, state graphs (matplotlib).
* :mod:`.report` -- the one-page report of a step with the bounds table, and its CSV files.
* :mod:`.cli` -- ``python -m experiments explore NAME_OR_FILE ... --out DIR``.
* :mod:`.widgets` -- the ipywidgets explorer used by ``experiments/notebooks/explorer.ipynb``.
"""

from .layout import Layout, auto_layout, chain_layout, graph_layout, grid_layout, gym_layout, zoo_layout
from .quantities import PolicyPicture, StepTerms, policy_picture, step_terms

__all__ = ["Layout", "auto_layout", "chain_layout", "graph_layout", "grid_layout", "gym_layout", "zoo_layout",
           "PolicyPicture", "StepTerms", "policy_picture", "step_terms"]
