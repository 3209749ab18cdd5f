"""``check(exercise_id, answer)``: the verdict a notebook's check cell prints.

Three verdicts, each on one line starting with the exercise id in brackets: ``right``, ``wrong`` (with
a hint, never the expected value) and ``not attempted yet`` (the answer is still ``...``). A wrong
answer, of any type, never raises.
"""

from __future__ import annotations

import numbers

import numpy as np

from .exercises import Exercise, exercise

__all__ = ["check", "verdict", "RIGHT", "WRONG", "NOT_ATTEMPTED"]

RIGHT, WRONG, NOT_ATTEMPTED = "right", "wrong", "not attempted yet"


def _judge_number(ex: Exercise, answer) -> tuple[bool, str]:
    if isinstance(answer, (bool, np.bool_)) or not isinstance(answer, (numbers.Real, np.ndarray)) \
            or np.size(answer) != 1:
        return False, f"expected one number, got {type(answer).__name__}"
    x = float(np.asarray(answer).reshape(()))
    if not np.isfinite(x):
        return False, f"expected a finite number, got {x}"
    ok = abs(x - ex.expected()) <= ex.atol + ex.rtol * abs(ex.expected())
    return ok, f"{x:.6g} is {'within' if ok else 'not within'} the tolerance ({ex.tolerance})"


def _judge_choice(ex: Exercise, answer) -> tuple[bool, str]:
    if isinstance(answer, np.generic):
        answer = answer.item()
    if isinstance(answer, str):
        answer = answer.strip().lower()
    if isinstance(answer, bool) or answer not in ex.options:
        return False, f"the answer must be one of {ex.options}, got {answer!r}"
    return answer == ex.expected(), f"{answer!r}"


def verdict(exercise_id: str, answer) -> tuple[str, str]:
    """Judge ``answer`` to exercise ``exercise_id``: ``(status, message)`` without printing.

    Parameters
    ----------
    exercise_id : str, e.g. ``"01.2"`` (:data:`experiments.course.EXERCISES`).
    answer : the student's answer; ``...`` (Ellipsis) means not attempted yet.

    Returns
    -------
    (status, message) : ``status`` is ``"right"``, ``"wrong"`` or ``"not attempted yet"``.

    Raises
    ------
    ValueError
        Only if ``exercise_id`` names no exercise; a wrong answer never raises.

    Examples
    --------
    >>> from experiments.course import verdict
    >>> verdict("01.3", ...)[0]
    'not attempted yet'
    >>> verdict("01.3", "sideways")[0]
    'wrong'
    """
    ex = exercise(exercise_id)
    if answer is Ellipsis:
        return NOT_ATTEMPTED, "replace `...` by your answer and run the cell again"
    try:
        if ex.kind == "number":
            ok, why = _judge_number(ex, answer)
        elif ex.kind == "choice":
            ok, why = _judge_choice(ex, answer)
        else:
            ok, why = ex.judge(answer)
    except Exception as e:  # a malformed answer is a wrong answer, not a crash of the notebook
        ok, why = False, f"the answer could not be judged ({type(e).__name__}: {e})"
    return (RIGHT, why) if ok else (WRONG, f"{why}. Hint: {ex.hint}")


def check(exercise_id: str, answer) -> None:
    """Print the verdict on ``answer`` to exercise ``exercise_id`` (one line; see :func:`verdict`).

    Parameters
    ----------
    exercise_id : str. answer : the student's answer, ``...`` if not attempted.

    Examples
    --------
    >>> import tabular as T
    >>> from experiments.course import check
    >>> mdp = T.garnet(5, 2, 2, rng=3, gamma=0.9)
    >>> check("01.2", float(T.evaluate(mdp, T.uniform(mdp)).A[2, 0]))
    [01.2] right: ... is within the tolerance (1e-06 absolute)
    >>> check("01.2", 123.0)
    [01.2] wrong: 123 is not within the tolerance (1e-06 absolute). Hint: A = Q - V; ...
    >>> check("01.2", ...)
    [01.2] not attempted yet: replace `...` by your answer and run the cell again
    """
    status, message = verdict(exercise_id, answer)
    print(f"[{exercise_id}] {status}: {message}")
