"""Save and load MDPs as ``.npz`` (exact, binary) or human-readable JSON.

The JSON form is meant to be written by hand::

    {
      "gamma": 0.9,
      "n_states": 2, "n_actions": 2,
      "rho0": [1.0, 0.0],
      "R": [[0, 1], [0, 0]],                # (S, A), or (S,) for r(s)
      "transitions": [[0, 0, 0, 1.0],       # [s, a, next, probability]; duplicates are summed
                      [0, 1, 1, 1.0],
                      [1, 0, 1, 1.0], [1, 1, 1, 1.0]]
    }

``"P"`` as a nested ``(S, A, S)`` list may replace ``"transitions"``. A file with
``"sparse": true`` loads as a sparse model. Everything is validated by :class:`MDP` on load.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .mdp import MDP

__all__ = ["save", "load", "save_npz", "load_npz", "to_json", "from_json", "to_dict", "from_dict"]


def save_npz(mdp: MDP, path) -> None:
    """Save ``mdp`` to ``path`` (``.npz``) exactly, keeping a sparse ``P`` sparse."""
    arrays = dict(R=mdp.R, rho0=mdp.rho0, gamma=np.float64(mdp.gamma), n_actions=np.int64(mdp.n_actions))
    if mdp.is_sparse:
        P = mdp.P
        arrays.update(P_data=P.data, P_indices=P.indices, P_indptr=P.indptr, P_shape=np.array(P.shape))
    else:
        arrays.update(P=mdp.P)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def load_npz(path) -> MDP:
    """Load an MDP saved by :func:`save_npz`."""
    with np.load(path, allow_pickle=False) as z:
        missing = [k for k in ("R", "rho0", "gamma") if k not in z]
        if missing:
            raise ValueError(f"{path} is not a saved MDP: it lacks the array(s) {missing}")
        if "P" in z:
            P = z["P"]
        elif "P_data" in z:
            P = sp.csr_array((z["P_data"], z["P_indices"], z["P_indptr"]), shape=tuple(z["P_shape"]))
        else:
            raise ValueError(f"{path} holds no transition model (no 'P' or 'P_data' array)")
        return MDP(P, z["R"], z["rho0"], float(z["gamma"]))


def to_dict(mdp: MDP) -> dict:
    """A JSON-ready dict; transitions are listed sparsely as ``[s, a, next, p]``."""
    S, A = mdp.shape
    Pf = mdp.P if mdp.is_sparse else sp.csr_array(mdp.P_flat)
    coo = Pf.tocoo()
    trans = [[int(r // A), int(r % A), int(c), float(p)] for r, c, p in zip(coo.row, coo.col, coo.data)]
    trans.sort()
    return {
        "gamma": mdp.gamma,
        "n_states": S,
        "n_actions": A,
        "sparse": mdp.is_sparse,
        "rho0": mdp.rho0.tolist(),
        "R": mdp.R.tolist(),
        "transitions": trans,
    }


def from_dict(d: dict) -> MDP:
    """Build an MDP from the dict form (see the module docstring)."""
    for key in ("gamma", "rho0", "R"):
        if key not in d:
            raise ValueError(f"MDP description lacks the required key {key!r}")
    rho0 = np.asarray(d["rho0"], dtype=np.float64)
    R = np.asarray(d["R"], dtype=np.float64)
    if "P" in d:
        P = np.asarray(d["P"], dtype=np.float64)
        mdp = MDP(P, R, rho0, d["gamma"])
        return mdp.to_sparse() if d.get("sparse") else mdp
    if "transitions" not in d:
        raise ValueError("MDP description needs 'transitions' (a list of [s, a, next, p]) or 'P'")
    S = int(d.get("n_states", rho0.shape[0]))
    A = int(d.get("n_actions", R.shape[1] if R.ndim == 2 else 0))
    if A <= 0:
        raise ValueError("MDP description needs 'n_actions' when R is given per state")
    try:
        t = np.asarray(d["transitions"], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("transitions must be a list of [s, a, next, p] entries of 4 numbers each") from None
    if t.ndim != 2 or t.shape[1] != 4:
        raise ValueError(f"transitions must be a list of [s, a, next, p] entries of 4 numbers each, got shape {t.shape}")
    s, a, nxt, p = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    for name, v, hi in (("state", s, S), ("action", a, A), ("next state", nxt, S)):
        if np.any((v != np.round(v)) | (v < 0) | (v >= hi)):
            raise ValueError(f"transitions: a {name} index is not an integer in [0, {hi})")
    rows = (s * A + a).astype(np.int64)
    Pf = sp.csr_array((p, (rows, nxt.astype(np.int64))), shape=(S * A, S))  # duplicates summed
    mdp = MDP(Pf, R, rho0, d["gamma"])
    return mdp if d.get("sparse") else mdp.to_dense()


def to_json(mdp: MDP, path=None, indent: int | None = 1) -> str:
    """The JSON text of ``mdp``; also written to ``path`` if given."""
    text = json.dumps(to_dict(mdp), indent=indent)
    if path is not None:
        Path(path).write_text(text)
    return text


def from_json(text_or_path) -> MDP:
    """Load an MDP from JSON text or a path to a ``.json`` file."""
    s = str(text_or_path)
    text = Path(s).read_text() if not s.lstrip().startswith("{") else s
    return from_dict(json.loads(text))


def save(mdp: MDP, path) -> None:
    """Save by suffix: ``.npz`` (exact binary) or ``.json`` (human-readable)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npz":
        save_npz(mdp, path)
    elif suffix == ".json":
        to_json(mdp, path)
    else:
        raise ValueError(f"unknown MDP file type {suffix!r}: use .npz or .json")


def load(path) -> MDP:
    """Load by suffix: ``.npz`` or ``.json``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npz":
        return load_npz(path)
    if suffix == ".json":
        return from_json(Path(path))
    raise ValueError(f"unknown MDP file type {suffix!r}: use .npz or .json")
