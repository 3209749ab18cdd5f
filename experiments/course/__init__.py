"""A course in a box: exercises that check themselves, for the tutorial notebooks.

* :func:`check` -- what a notebook's check cell calls: ``check("01.2", answer)`` prints ``right``,
  ``wrong`` with a hint, or ``not attempted yet``; the expected answer is computed at check time
  (:mod:`.exercises`), by linear solves independent of the functions the notebooks teach.
* :mod:`.students` -- the student copies are generated from the solution notebooks
  (``python -m experiments.course strip``); see experiments/notebooks/README.md for the layout.
* :mod:`.coupling` -- the maximal coupling of the proof of Theorem 1 of [TRPO], sampled.
"""

from .checking import NOT_ATTEMPTED, RIGHT, WRONG, check, verdict
from .coupling import CoupledRollouts, coupled_rollouts, no_divergence_probability
from .exercises import EXERCISES, Exercise, exercise
from . import students

__all__ = ["check", "verdict", "RIGHT", "WRONG", "NOT_ATTEMPTED", "Exercise", "EXERCISES", "exercise",
           "CoupledRollouts", "coupled_rollouts", "no_divergence_probability"]
