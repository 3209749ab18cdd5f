"""Conjugate gradient for the search direction ``(F + damping I) s = g`` of the practical step
([TRPO] Appendix C; THEORY.md §5), on Fisher-vector products only."""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla


__all__ = ["CG_RTOL", "conjugate_gradient"]

#: Relative residual at which conjugate gradient stops early (as in [TRPO]'s reference code, 1e-10).
CG_RTOL = 1e-10


def conjugate_gradient(matvec, b, iters: int, rtol: float = CG_RTOL, solver: str = "scipy"):
    """Solve ``M x = b`` for symmetric positive (semi-)definite ``M`` given by ``matvec``.

    At most ``iters`` iterations of conjugate gradient from ``x = 0``, stopping early when
    ``||b - M x|| <= rtol ||b||``. ``solver="scipy"``: :func:`scipy.sparse.linalg.cg` on a
    :class:`~scipy.sparse.linalg.LinearOperator`; ``solver="own"``: the same recursion written out.

    Returns
    -------
    (x, n_iterations, relative_residual) with the residual recomputed as ``||M x - b|| / ||b||``.

    Examples
    --------
    >>> import numpy as np
    >>> from bounds.updates.practical.cg import conjugate_gradient
    >>> M = np.array([[4.0, 1.0], [1.0, 3.0]]); b = np.array([1.0, 2.0])
    >>> x, iters, residual = conjugate_gradient(lambda v: M @ v, b, iters=10)
    >>> bool(np.allclose(x, np.linalg.solve(M, b))), residual < 1e-8
    (True, True)
    """
    b = np.asarray(b, dtype=np.float64)
    n = b.shape[0]
    nb = float(np.linalg.norm(b))
    if nb == 0.0:
        return np.zeros(n), 0, 0.0
    if solver == "scipy":
        count = [0]

        def cb(_xk):
            count[0] += 1

        op = spla.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        x, _info = spla.cg(op, b, rtol=rtol, atol=0.0, maxiter=iters, callback=cb)
        its = count[0]
    elif solver == "own":
        x = np.zeros(n)
        r = b.copy()
        p = r.copy()
        rr = float(r @ r)
        its = 0
        for _ in range(iters):
            if np.sqrt(rr) <= rtol * nb:
                break
            Mp = matvec(p)
            pMp = float(p @ Mp)
            if pMp <= 0:  # direction of zero curvature: M is singular along p and b has no component
                break
            a = rr / pMp
            x += a * p
            r -= a * Mp
            rr_new = float(r @ r)
            p = r + (rr_new / rr) * p
            rr = rr_new
            its += 1
    else:
        raise ValueError(f"cg must be 'scipy' or 'own', got {solver!r}")
    res = float(np.linalg.norm(matvec(x) - b)) / nb
    return x, its, res
