"""Exact rational functions without gcds, and fraction-free evaluation of a policy (THEORY.md §1).

The ring is ``QQ[symbols]``: the symbols of the MDP and of the policies, with each ``exp(theta)``
atom made a generator ``E = exp(theta)`` (:func:`~bounds.symbolic.exact.exp_to_symbols`). A
quantity is a :class:`Frac`, ``c * prod(numerator factors) / prod(denominator factors)``, and an
identity holds exactly when the numerator of the difference is the zero polynomial.

:func:`ff_evaluate` multiplies each row of the Bellman system by the common denominator ``Z_s``
of the policy row (``Z_s = sum_b exp(theta[s, b])`` for a softmax policy) and solves the polynomial
systems by fraction-free Gaussian elimination (``DomainMatrix.solve_den``). This proves Eq. (4) of
[TRPO] for fully symbolic ``P``, ``R``, ``rho0``, ``gamma`` and ``theta`` in under a second
(S = A = 2; about 1 s for S = 2, A = 3; about 40 s for S = 3, A = 2), where ``sympy.cancel`` of the
``LUsolve`` expressions takes minutes.

Derivatives in ``theta`` are taken by the chain rule through the generator ``E = exp(theta)``:
``d f / d theta = E * d f / d E`` (exact, since ``dE/dtheta = E``).

References: [TRPO] Schulman et al. 2015 (arXiv:1502.05477 v5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp
from sympy import QQ
from sympy.polys.matrices import DomainMatrix
from sympy.polys.polyerrors import CoercionFailed, GeneratorsError

from .exact import exp_to_symbols

if TYPE_CHECKING:
    from .model import SymbolicMDP

__all__ = ["Frac", "Ring", "RingEvaluation", "ff_evaluate"]


# ============================================================================ rational functions
class Frac:
    """``c * prod(num) / prod(den)``: a rational function kept as lists of polynomial factors.

    ``c`` is a rational constant; ``num`` and ``den`` are lists (with repetition) of non-constant
    polynomials with positive leading coefficient, in a ring ``QQ[gens]``. Products concatenate the
    lists and cancel identical factors; sums bring both terms over the least common multiple of the
    factor lists and expand the numerator into one polynomial. No polynomial gcd is ever computed,
    so the representation is not canonical, but it is exact: every factor is a non-zero polynomial,
    so the rational function is identically zero iff ``c == 0`` (an expanded numerator that is the
    zero polynomial sets ``c = 0``). "Identically zero" means zero as a rational function, i.e.
    wherever the denominators do not vanish (for the MDP quantities: wherever
    ``I - gamma P_pi`` is invertible, in particular for every ``0 <= gamma < 1``).

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import symbolic_mdp
    >>> from bounds.symbolic.ring import Frac, Ring
    >>> ring = Ring(symbolic_mdp(1, 1))
    >>> x = ring.gen(ring.mdp.gamma)
    >>> f = Frac.make(num=[x], den=[x + 1], K=ring.K)
    >>> print(ring.to_sympy(f + f - f.scale(2 * ring.K.one)), (f - f).is_zero())
    0 True
    >>> g = ring.mdp.gamma
    >>> print(sp.cancel(ring.to_sympy(f * f) - g ** 2 / (g + 1) ** 2))
    0
    """

    __slots__ = ("c", "num", "den")

    def __init__(self, c, num, den):
        self.c, self.num, self.den = c, num, den

    # ------------------------------------------------------------ construction
    @classmethod
    def make(cls, num=(), den=(), c=None, K=None):
        """Build from factor lists, normalizing constants and signs."""
        if K is None:
            K = num[0].ring if num else den[0].ring
        c = K.domain.one if c is None else c
        nf, df = [], []
        for f in num:
            if not f:
                return cls(K.domain.zero, [], [])
            c, f = cls._split(c, f, nf, +1)
        for f in den:
            if not f:
                raise ValueError("a denominator is identically zero (singular system)")
            c, f = cls._split(c, f, df, -1)
        return cls._cancel(c, nf, df)

    @staticmethod
    def _split(c, f, out, sign):
        if f.is_ground:
            lc = f.LC
            return (c * lc if sign > 0 else c / lc), None
        if f.LC < 0:
            f, c = -f, -c
        out.append(f)
        return c, f

    @classmethod
    def _cancel(cls, c, nf, df):
        if not c:
            return cls(c, [], [])
        nf = list(nf)
        rest = []
        for f in df:
            for i, g in enumerate(nf):
                if g == f:
                    del nf[i]
                    break
            else:
                rest.append(f)
        return cls(c, nf, rest)

    @staticmethod
    def _prod(factors, one):
        out = one
        for f in factors:
            out = out * f
        return out

    def _ring_one(self):
        fs = self.num or self.den
        return fs[0].ring.one if fs else None

    # ------------------------------------------------------------ arithmetic
    def __mul__(self, other):
        return Frac._cancel(self.c * other.c, self.num + other.num, self.den + other.den)

    def __neg__(self):
        return Frac(-self.c, self.num, self.den)

    def __sub__(self, other):
        return self + (-other)

    def __add__(self, other):
        if not other.c:
            return self
        if not self.c:
            return other
        lcm, miss_a, miss_b = _multiset_lcm(self.den, other.den)
        one = self._ring_one() or other._ring_one()
        if one is None:  # both are constants
            return Frac(self.c + other.c, [], [])
        num = (self._prod(self.num + miss_a, one) * self.c
               + self._prod(other.num + miss_b, one) * other.c)
        return Frac._from_sum(num, lcm)

    @classmethod
    def _from_sum(cls, num, den):
        """``num / prod(den)`` for an expanded numerator."""
        if not num:
            return cls(num.ring.domain.zero, [], [])
        return cls.make([num], den, K=num.ring)

    def scale(self, poly):
        """``self * poly`` for a ring polynomial (the chain rule ``d/dtheta = E d/dE``)."""
        return Frac.make(self.num + [poly], self.den, c=self.c, K=poly.ring)

    def diff(self, x):
        """Exact derivative in the ring generator ``x``. Factors free of ``x`` stay as they are;
        for the product ``g = prod_i n_i / prod_u u^{m_u}`` of the factors that contain ``x``::

            g' = (N' prod_u u - N sum_u m_u u' prod_{v != u} v) / (prod_u u^{m_u} prod_u u)

        with ``N = prod_i n_i`` and ``N' = sum_i n_i' prod_{k != i} n_k`` (product rule)."""
        if not self.c:
            return self
        ring = x.ring
        one = ring.one
        dep_n = [f for f in self.num if f.degree(x) > 0]
        dep_d = [f for f in self.den if f.degree(x) > 0]
        if not dep_n and not dep_d:
            return Frac(ring.domain.zero, [], [])
        indep_n = [f for f in self.num if f.degree(x) <= 0]
        indep_d = [f for f in self.den if f.degree(x) <= 0]
        N = self._prod(dep_n, one)
        dN = ring.zero
        for i, f in enumerate(dep_n):
            dN += f.diff(x) * self._prod(dep_n[:i] + dep_n[i + 1:], one)
        distinct = []
        for f in dep_d:
            if not any(f == g for g, _ in distinct):
                distinct.append((f, sum(1 for h in dep_d if h == f)))
        prod_u = self._prod([u for u, _ in distinct], one)
        dD = ring.zero
        for j, (u, m) in enumerate(distinct):
            dD += u.diff(x) * m * self._prod([v for k, (v, _) in enumerate(distinct) if k != j], one)
        num = dN * prod_u - N * dD
        if not num:
            return Frac(ring.domain.zero, [], [])
        return Frac.make([num] + indep_n, indep_d + dep_d + [u for u, _ in distinct], c=self.c, K=ring)

    def compose(self, pairs):
        """Substitute generators, ``pairs = [(x, y), ...]`` (``x`` by ``y``), in every factor."""
        K = pairs[0][0].ring
        return Frac.make([f.compose(pairs) for f in self.num], [f.compose(pairs) for f in self.den],
                          c=self.c, K=K)

    def is_zero(self) -> bool:
        """Whether the rational function is identically zero (exact: ``c == 0``)."""
        return not self.c

    def to_sympy(self, K, back: dict):
        """The sympy expression ``c * prod(num) / prod(den)``, generators mapped by ``back``."""
        if not self.c:
            return sp.Integer(0)
        num = sp.Mul(K.domain.to_sympy(self.c), *[K.to_sympy(f) for f in self.num])
        den = sp.Mul(*[K.to_sympy(f) for f in self.den])
        return (num / den).xreplace(back)


def _multiset_lcm(a, b):
    """LCM of two factor multisets; returns (lcm, factors missing from a, factors missing from b)."""
    b_left = list(b)
    common = []
    only_a = []
    for f in a:
        for i, g in enumerate(b_left):
            if g == f:
                del b_left[i]
                common.append(f)
                break
        else:
            only_a.append(f)
    lcm = common + only_a + b_left
    return lcm, b_left, only_a


# ============================================================================ the ring
class Ring:
    """The ring ``QQ[gens]`` shared by an MDP and some policies, with ``exp`` atoms as generators.

    ``policies`` holds each policy rewritten in the generators (``exp(theta)`` -> a positive Dummy);
    ``back`` maps the Dummies to ``exp(theta)`` again and ``fwd`` the other way.

    Examples
    --------
    >>> import sympy as sp
    >>> from bounds.symbolic import symbolic_mdp, softmax_policy
    >>> from bounds.symbolic.ring import Ring
    >>> mdp = symbolic_mdp(1, 2)
    >>> ring = Ring(mdp, softmax_policy(1, 2).pi)
    >>> print(len(ring.K.gens), len(ring.back))
    5 2
    >>> print(ring.to_sympy(ring.sum([])), ring.policies[0].has(sp.exp))
    0 False
    """

    def __init__(self, mdp: SymbolicMDP, *policies):
        dummies, back = {}, {}
        pols = []
        for pi in policies:
            pi2, back = exp_to_symbols(pi, dummies)  # the last mapping covers every Dummy
            pols.append(sp.ImmutableMatrix(pi2))
        syms = set(mdp.free_symbols)
        for p in pols:
            syms |= p.free_symbols
        gens = sorted(syms, key=sp.default_sort_key)
        if not gens:
            gens = [sp.Dummy("unused")]
        self.K = QQ[tuple(gens)]
        self.back = back  # Dummy -> exp(theta)
        self.fwd = {e: d for d, e in back.items()}  # exp(theta) -> Dummy
        self.policies = pols
        self.mdp = mdp

    def poly(self, expr, what: str):
        """``expr`` as a polynomial of the ring; ``ValueError`` naming ``what`` if it is not one."""
        try:
            return self.K.from_sympy(sp.expand(sp.sympify(expr)))
        except (CoercionFailed, GeneratorsError, TypeError, ValueError):
            raise ValueError(f"{what} = {expr} is not a polynomial in the MDP's symbols; the "
                             "fraction_free method needs polynomial P, R, rho0 and gamma") from None

    def gen(self, x):
        """The ring generator for a symbol, or for ``exp(theta)``."""
        x = self.fwd.get(x, x)
        return self.K.from_sympy(x)

    def fraction(self, expr, what: str):
        """``(numerator, denominator)`` polynomials of a rational expression."""
        n, d = sp.fraction(sp.together(sp.sympify(expr)))
        return self.poly(n, what), self.poly(d, what)

    def zero(self) -> Frac:
        return Frac(QQ.zero, [], [])

    def sum(self, items) -> Frac:
        """The sum of ring fractions, added left to right (``zero()`` for no items)."""
        out = self.zero()
        for x in items:
            out = out + x
        return out

    def to_sympy(self, f: Frac):
        """``f`` as a sympy expression in the MDP's symbols and ``exp(theta)``."""
        return f.to_sympy(self.K, self.back)


# ============================================================================ fraction-free evaluation
@dataclass(frozen=True, eq=False)
class RingEvaluation:
    """Exact quantities of a policy as ring fractions (:class:`Frac`), nested lists indexed
    ``[s]`` or ``[s][a]``; the fraction-free counterpart of
    :class:`~bounds.symbolic.evaluation.SymbolicEvaluation` (same names, same formulas).

    Examples
    --------
    >>> from bounds.symbolic import random_rational_mdp, random_rational_policy
    >>> from bounds.symbolic.ring import Ring, RingEvaluation, ff_evaluate
    >>> mdp, pi = random_rational_mdp(2, 2, rng=0), random_rational_policy(2, 2, rng=1)
    >>> ev = ff_evaluate(Ring(mdp, pi), pi)
    >>> print(isinstance(ev, RingEvaluation), ev.shape, len(ev.V))
    True (2, 2) 2
    """

    pi: list
    V: list
    Q: list
    A: list
    eta: Frac
    rho: list
    P_pi: list
    r_pi: list

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.pi), len(self.pi[0])


def _policy_over_common_denominators(ring: Ring, pi):
    """``pi(a|s) = N[s][a] / Z[s]`` with ``Z[s]`` the lcm of the row's denominators; checks that
    ``sum_a N[s][a] = Z[s]`` (the row sums to exactly 1)."""
    K = ring.K
    S, A = ring.mdp.shape
    Z, N = [], []
    for s in range(S):
        fr = [ring.fraction(pi[s, a], f"pi[{s},{a}]") for a in range(A)]
        z = fr[0][1]
        for _, d in fr[1:]:
            z = z.lcm(d)
        Z.append(z)
        N.append([n * z.exquo(d) for n, d in fr])
        if sum(N[s], K.zero) != z:
            raise ValueError(f"pi row {s} does not sum to exactly 1")
    return Z, N


def _mdp_polynomials(ring: Ring):
    """``P[s][a][t]``, ``R[s][a]``, ``rho0[t]`` and ``gamma`` as ring polynomials."""
    mdp = ring.mdp
    S, A = mdp.shape
    P = [[[ring.poly(mdp.P[s][a][t], f"P[{s}][{a}][{t}]") for t in range(S)] for a in range(A)] for s in range(S)]
    R = [[ring.poly(mdp.R[s, a], f"R[{s},{a}]") for a in range(A)] for s in range(S)]
    rho0 = [ring.poly(mdp.rho0[t], f"rho0[{t}]") for t in range(S)]
    return P, R, rho0, ring.poly(mdp.gamma, "gamma")


def _solve_den_pair(M, b, rho0, K):
    """Fraction-free solutions ``M V = b`` and ``M^T u = rho0``: ``(V numerators, V denominator,
    u numerators, u denominator)``."""
    S = len(M)
    Md = DomainMatrix(M, (S, S), K)
    Vn, dV = Md.solve_den(DomainMatrix([[x] for x in b], (S, 1), K))
    un, du = Md.transpose().solve_den(DomainMatrix([[x] for x in rho0], (S, 1), K))
    if not dV or not du:
        raise ValueError("I - gamma P_pi is singular (gamma = 1?)")
    return [row[0] for row in Vn.to_list()], dV, [row[0] for row in un.to_list()], du


def ff_evaluate(ring: Ring, pi) -> RingEvaluation:
    """Fraction-free exact evaluation in ``ring`` of a policy ``pi`` (expressions in ring symbols).

    With ``pi(a|s) = N[s, a] / Z[s]`` (one common denominator per state), the Bellman system
    ``(I - gamma P_pi) V = r_pi`` multiplied by ``diag(Z)`` is ``M V = b`` with the polynomial
    ``M[s, t] = Z[s] delta_{st} - gamma sum_a N[s, a] P[s, a, t]`` and ``b[s] = sum_a N[s, a] R[s, a]``.
    Since ``I - gamma P_pi = diag(Z)^{-1} M``, the visitation equation
    ``(I - gamma P_pi)^T rho = rho0`` is ``M^T u = rho0`` with ``rho = diag(Z) u``.
    Both polynomial systems are solved by fraction-free elimination (``DomainMatrix.solve_den``).
    Then (THEORY.md §1) ``Q = R + gamma P V``, ``A = Q - V`` and ``eta = rho0 . V``.

    Examples
    --------
    >>> from bounds.symbolic import evaluate_symbolic, random_rational_mdp, random_rational_policy
    >>> from bounds.symbolic.ring import Ring, ff_evaluate
    >>> mdp, pi = random_rational_mdp(2, 2, rng=0), random_rational_policy(2, 2, rng=1)
    >>> ring = Ring(mdp, pi)
    >>> ev = ff_evaluate(ring, ring.policies[0])
    >>> print(ring.to_sympy(ev.eta) == evaluate_symbolic(mdp, pi).eta)
    True
    """
    K = ring.K
    S, A = ring.mdp.shape
    Z, N = _policy_over_common_denominators(ring, pi)
    P, R, rho0, g = _mdp_polynomials(ring)
    NP = [[sum((N[s][a] * P[s][a][t] for a in range(A)), K.zero) for t in range(S)] for s in range(S)]
    M = [[(Z[s] if s == t else K.zero) - g * NP[s][t] for t in range(S)] for s in range(S)]
    b = [sum((N[s][a] * R[s][a] for a in range(A)), K.zero) for s in range(S)]
    Vn, dV, un, du = _solve_den_pair(M, b, rho0, K)
    F = Frac.make
    # Q = R + gamma P V over the common denominator dV
    Qn = [[R[s][a] * dV + g * sum((P[s][a][t] * Vn[t] for t in range(S)), K.zero) for a in range(A)]
          for s in range(S)]
    return RingEvaluation(
        pi=[[F([N[s][a]], [Z[s]], K=K) for a in range(A)] for s in range(S)],
        V=[F([Vn[s]], [dV], K=K) for s in range(S)],
        Q=[[F([Qn[s][a]], [dV], K=K) for a in range(A)] for s in range(S)],
        A=[[F([Qn[s][a] - Vn[s]], [dV], K=K) for a in range(A)] for s in range(S)],  # A = Q - V
        eta=F([sum((rho0[t] * Vn[t] for t in range(S)), K.zero)], [dV], K=K),  # eta = rho0 . V
        rho=[F([Z[s], un[s]], [du], K=K) for s in range(S)],  # rho = diag(Z) u
        P_pi=[[F([NP[s][t]], [Z[s]], K=K) for t in range(S)] for s in range(S)],
        r_pi=[F([b[s]], [Z[s]], K=K) for s in range(S)],
    )
